r"""
---
title: Multi-head attention
summary: Scaled dot-product attention derived step by step, split into heads, and run through PyTorch's fused kernel.
---

# Multi-head attention

Attention lets each position build its output from the positions it finds relevant. Every
position $i$ asks a *query* $q_i$; every position $j$ offers a *key* $k_j$ and a *value*
$v_j$. How much $i$ listens to $j$ is the dot product $q_i \cdot k_j$, turned into weights
that are positive and sum to one by a softmax over $j$:

$$a_{ij} = \frac{\exp(q_i \cdot k_j / \sqrt{d_k})}{\sum_{j'} \exp(q_i \cdot k_{j'} / \sqrt{d_k})}
\qquad o_i = \sum_j a_{ij}\, v_j$$

Stacking the queries, keys and values of a sequence as rows of matrices $Q$, $K$, $V$ gives
the whole layer in one line:

$$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V$$

**Why divide by $\sqrt{d_k}$?** If the entries of $q$ and $k$ are independent with mean 0
and variance 1, their dot product is a sum of $d_k$ such products and has variance $d_k$.
Large scores push the softmax into a corner where one weight is almost 1 and the gradients
of the others vanish. Dividing by $\sqrt{d_k}$ brings the variance back to 1.

**Why several heads?** One softmax gives one weighted average per position. Splitting
$d_\text{model}$ into $h$ heads of $d_k = d_\text{model} / h$ lets a position attend to
several places at once: one head may track the previous character, another the start of
the word. The heads' outputs are concatenated and mixed by a final linear layer.

The masked language model attends in **both directions**: there is no causal mask, so a
position sees the characters after it as well as before it. That is what makes the model
*bidirectional*, the "B" in BERT.

The code below writes the formula out once in `attention`, for reading and for the tests,
and runs PyTorch's `scaled_dot_product_attention` in the model: the same mathematics in a
fused kernel that never stores the full weight matrix, and picks flash attention on GPUs.
A test checks that the two agree.

## Looking at the weights

The fused kernel never hands out the weights $a_{ij}$. To see what a trained model attends
to, a module can be asked to *keep* them: give it a list in `keep_weights` and each call runs
the written-out formula instead, appending its weights, `[batch_size, heads, seq_len, seq_len]`,
to the list. [What the heads attend to](mlm_tools/attention_maps.html) uses it for every layer at
once, and a test checks that the output is the fused kernel's.
"""

import math
from contextlib import contextmanager
from typing import Iterator, List, Optional

import torch
import torch.nn.functional as F
from torch import nn


def attention_weights(q: torch.Tensor, k: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    r"""
    ## The weights, written out

    $a = \mathrm{softmax}(QK^\top / \sqrt{d_k})$. `q` and `k` are `[batch_size, heads, seq_len, d_k]`.
    `mask`, when given, is a boolean tensor that broadcasts to
    `[batch_size, heads, seq_len, seq_len]`: `True` where query $i$ may look at key $j$.
    Returns `[batch_size, heads, seq_len, seq_len]`, row $i$ holding the weights of query $i$.
    """
    d_k = q.shape[-1]
    # $QK^\top / \sqrt{d_k}$: every query against every key
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # [batch_size, heads, seq_len, seq_len]
    # A masked-out key gets $-\infty$, so its weight after the softmax is exactly 0
    if mask is not None:
        scores = scores.masked_fill(~mask, float('-inf'))
    # Softmax over the keys $j$: each row of weights sums to 1
    return scores.softmax(dim=-1)  # [batch_size, heads, seq_len, seq_len]


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    r"""
    ## Attention, written out

    $\mathrm{softmax}(QK^\top / \sqrt{d_k})V$: the weights above, then the weighted sum of the
    values. `v` is `[batch_size, heads, seq_len, d_k]` like `q` and `k`; so is the result.
    """
    return attention_weights(q, k, mask) @ v  # [batch_size, heads, seq_len, d_k]


class MultiHeadAttention(nn.Module):
    r"""
    ## Multi-head attention module

    * `d_model` is the width of the vectors going in and out,
    * `n_heads` the number of heads $h$; `d_model` must be divisible by it,
    * `dropout` the dropout on the attention weights,
    * `qk_norm` normalizes each head's queries and keys (below),
    * `bias=False` drops the biases of both linear layers.

    **Dropout on attention weights** cuts random links between positions while training.
    BERT used 0.1; many later models (GPT-NeoX, Llama) use none. Our models default to none:
    on a CPU, PyTorch's fused attention kernel has no dropout, so asking for it sends every
    layer down the slower path that builds the whole weight matrix. The
    [comparison benchmark](../bench/results/compare.html) measures both.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float, qk_norm: bool = False,
                 bias: bool = True):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.d_k = d_model // n_heads
        self.dropout = dropout
        # One linear layer computes $Q$, $K$ and $V$ for all heads at once: three
        # `d_model × d_model` projections stacked into one matrix multiply, which is faster
        # than three small ones.
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        # The output projection mixes the concatenated heads
        self.output = nn.Linear(d_model, d_model, bias=bias)
        # **QK-norm.** A score $q \cdot k$ grows with the lengths of $q$ and $k$, and a large
        # learning rate can grow them until the softmax saturates and training diverges.
        # Scaling each head's $q$ and $k$ to unit root-mean-square bounds every score; a learned
        # gain per dimension (shared by the heads) sets how sharp attention may become. It is
        # why such models tolerate higher learning rates. (Registered only when asked for, so
        # the default model's parameters stay as they were.)
        self.qk_norm = qk_norm
        if qk_norm:
            self.q_norm = nn.RMSNorm(self.d_k)
            self.k_norm = nn.RMSNorm(self.d_k)
        # `None`: the fused kernel. A list: the written-out formula, each call's weights appended to it
        self.keep_weights: Optional[List[torch.Tensor]] = None

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; `mask` is as in `attention` (or `None`:
        every position sees every other one). The result has the shape of `x`.
        """
        batch_size, seq_len, d_model = x.shape
        # Project and split into $Q$, $K$, $V$, each `[batch_size, seq_len, d_model]`
        q, k, v = self.qkv(x).split(d_model, dim=-1)
        # Cut `d_model` into heads and move the head axis in front of the sequence axis,
        # `[batch_size, heads, seq_len, d_k]`, the layout the attention kernel expects
        q, k, v = (t.view(batch_size, seq_len, self.n_heads, self.d_k).transpose(1, 2)
                   for t in (q, k, v))
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)  # each [batch_size, heads, seq_len, d_k]
        if self.keep_weights is None:
            # $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$ in PyTorch's fused kernel; dropout on the
            # weights only while training
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                               dropout_p=self.dropout if self.training else 0.0)
        else:
            # The same, written out, to keep the weights for whoever asked
            weights = attention_weights(q, k, mask)  # [batch_size, heads, seq_len, seq_len]
            self.keep_weights.append(weights)
            o = F.dropout(weights, self.dropout, self.training) @ v  # [batch_size, heads, seq_len, d_k]
        # Put the heads side by side again, `[batch_size, seq_len, d_model]`
        o = o.transpose(1, 2).reshape(batch_size, seq_len, d_model)
        # Mix the heads
        return self.output(o)


@contextmanager
def keeping_attention_weights(model: nn.Module) -> Iterator[List[torch.Tensor]]:
    r"""
    ## Keeping the weights of a whole model

    ```python
    with keeping_attention_weights(model) as weights:
        model(x)
    ```

    Inside the block every `MultiHeadAttention` of `model` keeps its weights; `weights` gets
    one `[batch_size, heads, seq_len, seq_len]` tensor per layer, in the order the layers ran.
    Afterwards the modules are back on the fused kernel.
    """
    kept: List[torch.Tensor] = []
    modules = [m for m in model.modules() if isinstance(m, MultiHeadAttention)]
    for m in modules:
        m.keep_weights = kept
    try:
        yield kept
    finally:
        for m in modules:
            m.keep_weights = None
