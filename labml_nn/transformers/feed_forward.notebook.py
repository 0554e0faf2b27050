"""
## Try it: one position at a time

The network above applied to a sequence, and to each of its positions alone: the answers are
the same, because no position reads another. Reordering the positions only reorders the output.
"""
torch.manual_seed(0)
ff = FeedForward(d_model=8, d_ff=32, dropout=0.0)
x = torch.randn(1, 4, 8)  # [batch_size, seq_len, d_model]
with torch.no_grad():
    whole = ff(x)  # [batch_size, seq_len, d_model]
    alone = torch.stack([ff(x[:, i]) for i in range(4)], dim=1)
    print('whole sequence = each position alone:', torch.allclose(whole, alone, atol=1e-6))
    order = torch.tensor([3, 1, 0, 2])
    same = torch.allclose(ff(x[:, order]), whole[:, order], atol=1e-6)
    print('reordered input gives reordered output:', same)
    print('hidden units active at position 0:', int((ff.layer1(x[0, 0]) > 0).sum()), 'of 32')
