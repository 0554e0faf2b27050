"""
## Try it: the weights of every head

A module built from the class above attends over a short random sequence. Kept, its weights
show what each head reads: every row is a query, sums to one, and spreads its weight over
the keys; an untrained head spreads it almost evenly.
"""
torch.manual_seed(0)
mha = MultiHeadAttention(d_model=16, n_heads=4, dropout=0.0)
x = torch.randn(1, 5, 16)  # [batch_size, seq_len, d_model]
with keeping_attention_weights(mha) as kept, torch.no_grad():
    out = mha(x)
weights = kept[0]  # [batch_size, heads, seq_len, seq_len]
print('input', tuple(x.shape), '-> output', tuple(out.shape), '; weights', tuple(weights.shape))
print('every row sums to 1:', torch.allclose(weights.sum(-1), torch.ones(1, 4, 5)))
print('head 1, query 0, weights on the keys:', [round(w, 2) for w in weights[0, 0, 0].tolist()])
# The fused kernel gives the same output as the written-out formula
with torch.no_grad():
    print('fused kernel = formula:', torch.allclose(mha(x), out, atol=1e-6))
