"""
## Try it: the stack, and only the rows that are scored

An encoder built from the classes above reads a batch. Asked for a few positions only, it
returns just those rows, and they are the rows the full output has there.
"""
torch.manual_seed(0)
encoder = Encoder(n_layers=2, d_model=16, n_heads=4, d_ff=32, dropout=0.0).eval()
x = torch.randn(2, 6, 16)  # [batch_size, seq_len, d_model]
positions = torch.tensor([[True, False, False, True, False, False],
                          [False, False, True, False, False, False]])  # [batch_size, seq_len]
with torch.no_grad():
    full = encoder(x)  # [batch_size, seq_len, d_model]
    scored = encoder(x, positions=positions)  # [n_selected, d_model]
print('full output', tuple(full.shape), '; selected rows', tuple(scored.shape))
print('the same rows:', torch.allclose(full[positions], scored, atol=1e-5))
print('final norm: each row has mean ~0 and std ~1:',
      f'{full.mean(-1).abs().max():.1e}', f'{full.std(-1, unbiased=False).mean():.3f}')
