"""Attention, exercise 3: the heads one at a time, from the module's own weights."""
import torch

from labml_nn.transformers.mha import MultiHeadAttention, attention


@torch.no_grad()
def heads_one_by_one(mha: MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """What `mha(x)` computes (without dropout), head by head: `x` is `[batch_size, seq_len, d_model]`."""
    d_model, d_k = x.shape[-1], mha.d_k
    # The stacked projection's rows: the first d_model make Q, the next K, the last V
    w_q, w_k, w_v = mha.qkv.weight.split(d_model)  # [d_model, d_model] each
    b_q, b_k, b_v = mha.qkv.bias.split(d_model)  # [d_model] each
    outputs = []
    for h in range(mha.n_heads):
        rows = slice(h * d_k, (h + 1) * d_k)  # this head's d_k rows of each projection
        q = x @ w_q[rows].T + b_q[rows]  # [batch_size, seq_len, d_k]
        k = x @ w_k[rows].T + b_k[rows]
        v = x @ w_v[rows].T + b_v[rows]
        outputs.append(attention(q, k, v))  # [batch_size, seq_len, d_k]
    # Side by side, then mixed by the output projection
    return mha.output(torch.cat(outputs, dim=-1))  # [batch_size, seq_len, d_model]
