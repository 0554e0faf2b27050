"""
## Try it: the same character in two places

The module above turns ids into vectors. The same character at two positions gets the same
token row but different position rows, so the two vectors differ; with the position table set
to zero they are identical, and the model could not tell the two places apart.
"""
torch.manual_seed(0)
embeddings = Embeddings(n_tokens=10, d_model=8, max_len=16, dropout=0.0)
x = torch.tensor([[3, 5, 3, 7]])  # [batch_size, seq_len]: token 3 at positions 0 and 2
h = embeddings(x)  # [batch_size, seq_len, d_model]
print('ids', tuple(x.shape), '-> vectors', tuple(h.shape))
print('token 3 at positions 0 and 2, distance:', f'{(h[0, 0] - h[0, 2]).norm():.4f}')
with torch.no_grad():
    embeddings.positions.weight.zero_()
h = embeddings(x)
print('without positions, distance:', f'{(h[0, 0] - h[0, 2]).norm():.4f}')
