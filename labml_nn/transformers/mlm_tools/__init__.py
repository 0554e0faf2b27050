r"""
---
title: Using a trained masked language model - fill-mask, export, Hugging Face, attention maps
summary: What to do with the model the lesson trained - load it from wherever it lives, ask it for hidden characters, export it as a Hugging Face-style folder and ONNX graph, load it with transformers, and look at what its attention heads do.
---

# Using a trained masked language model

[The lesson](../mlm/readme.html) ends with a trained model in a checkpoint. This chapter is
about *using* it; each page is a tool with its own command line, and each one reads the
checkpoint of any run, an exported folder, or the model that ships with the package (the
default run, trained and exported by [`bench/default_run.py`](../../bench/default_run.html)):

1. [Loading a model](load.html): one reader, `load_mlm`, for a run's uuid, its folder, a
   checkpoint, an export folder or the bundled model; every tool below reads through it.
2. [Fill-mask](fill.html): ask the model for the characters behind each `[MASK]`, as text or
   as the JSON of Hugging Face's fill-mask pipeline; fill several gaps independently or one
   after the other. The page has a box that runs the bundled model in the browser.
3. [Export](export.html): a folder in the layout of a Hugging Face model repository
   (safetensors weights, a character tokenizer, a model card and the model's own source as
   remote code).
4. [ONNX](onnx_graph.html): the model as a graph that also returns every attention weight,
   for onnxruntime in Python or in a browser.
5. [The Hugging Face wrappers](hugging_face.html): what lets `transformers`' `AutoModel`,
   `AutoTokenizer` and `pipeline` load that folder.
6. [What the heads attend to](attention_maps.html): every attention weight for a text, and
   the heads that look at the previous character, the next one, themselves or the same
   character elsewhere.

```bash
python -m labml_nn.transformers.mlm_tools.fill "To be, or not to b[MASK], that is the qu[MASK]stion"
python -m labml_nn.transformers.mlm_tools.export --out shakespeare-mlm   # add --checkpoint <run uuid>
python -m labml_nn.transformers.mlm_tools.attention_maps "To be, or not to be"
```

The tools import the lesson (the model, the vocabulary, the experiment's checkpoint format);
the lesson imports none of them, so it reads, and runs, without them.
"""
