r"""
---
title: labml_nn - an annotated Masked Language Model
summary: A PyTorch package that teaches BERT's masked language model, its transformer encoder and its training, one readable module at a time.
---

# labml_nn

A package written to be read. It builds BERT's
[Masked Language Model](transformers/mlm/readme.html) from its parts and trains it on the
characters of Tiny Shakespeare:

* [the transformer encoder](transformers/index.html): embeddings and positions, multi-head
  attention, the feed-forward network, pre-norm layers;
* [the masking procedure](transformers/mlm/index.html) and [the model](transformers/mlm/model.html);
* [the experiment](transformers/mlm/experiment.html), tracked with labml;
* then [using the trained model](transformers/mlm_tools/index.html): fill-mask, export to
  Hugging Face's tools and ONNX, and what its attention heads do.

The [machinery behind the lessons](helpers/index.html) (the command line, checkpoints,
processes, labml bookkeeping) is generic and lives apart from them.
"""
