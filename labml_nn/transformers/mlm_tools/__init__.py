r"""
---
title: Using a trained masked language model - fill-mask, export, Hugging Face, attention maps
summary: What to do with the model the lesson trained - ask it for hidden characters, export it as a Hugging Face-style folder and ONNX graph, load it with transformers, and look at what its attention heads do.
---

# Using a trained masked language model

[The lesson](../mlm/readme.html) ends with a trained model in a checkpoint. This chapter is
about *using* it; each page is a tool with its own command line, and each one reads the
checkpoint of any run, or the model that ships with the package (the default run, trained
and exported by [`bench/default_run.py`](../../bench/default_run.html)):

1. [Fill-mask](fill.html): ask the model for the characters behind each `[MASK]`, as text or
   as the JSON of Hugging Face's fill-mask pipeline; fill several gaps independently or one
   after the other. The page has a box that runs the bundled model in the browser.
2. [Export](export.html): a folder in the layout of a Hugging Face model repository
   (safetensors weights, a character tokenizer, a model card and the model's own source as
   remote code), and an ONNX graph that also returns every attention weight.
3. [The Hugging Face wrappers](hugging_face.html): what lets `transformers`' `AutoModel`,
   `AutoTokenizer` and `pipeline` load that folder.
4. [What the heads attend to](attention_maps.html): every attention weight for a text, and
   the heads that look at the previous character, the next one, themselves or the same
   character elsewhere.

```bash
python -m labml_nn.transformers.mlm_tools.fill "To be, or not to b[MASK], that is the qu[MASK]stion"
python -m labml_nn.transformers.mlm_tools.export --checkpoint <run uuid> --out shakespeare-mlm
python -m labml_nn.transformers.mlm_tools.attention_maps "To be, or not to be"
```

The tools import the lesson (the model, the vocabulary, the experiment's checkpoint format);
the lesson imports none of them, so it reads, and runs, without them.
"""
