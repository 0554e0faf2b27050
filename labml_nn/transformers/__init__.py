r"""
---
title: The transformer encoder, one concept per page
summary: Token embeddings with positions, multi-head attention, the feed-forward network and pre-norm layers, written to be read top to bottom.
---

# The transformer encoder

These modules build the encoder that the
[Masked Language Model](mlm/index.html) trains. Each page holds one idea and reads from top
to bottom; put together they are the whole model:

1. [Embeddings and positions](embeddings.html) turn token ids into vectors and tell the model
   *where* each token sits. Getting their scale wrong is the reason the reference recipe
   does not learn on a laptop; that page explains why.
2. [Multi-head attention](mha.html) lets every position read from every other one,
   $\mathrm{softmax}\big(QK^\top/\sqrt{d_k}\big)V$, in several subspaces at once.
3. [The feed-forward network](feed_forward.html) transforms each position on its own.
4. [Pre-norm layers, the encoder stack and the output projection](models.html) wire the parts
   together with residual connections and layer normalization.

## Shapes

Every tensor here is **batch first**: token ids are `[batch_size, seq_len]` and activations
are `[batch_size, seq_len, d_model]`, like PyTorch's `batch_first=True` and Hugging Face's
models (the reference implementation used `[seq_len, batch_size]`). Shapes are written in
comments next to the tensors.
"""
