r"""
---
title: ONNX - the model as a graph that returns its logits and every attention weight
summary: Exporting the model to ONNX with torch.export, for any batch size and any length up to its longest sequence, with the attention weights of every layer and head as a second output, for onnxruntime in Python or in a browser.
---

# The model as an ONNX graph

```bash
python -m labml_nn.transformers.mlm_tools.export --checkpoint <run uuid> --out shakespeare-mlm --onnx
```

[ONNX](https://onnx.ai/) describes a model as a graph of standard operators that runtimes other
than PyTorch execute: onnxruntime in Python, in C++, or in a browser through WebAssembly, which
is how the [fill-mask page](fill.html#try-it-in-your-browser) runs the bundled model.

A user of the graph usually wants only the logits. A page that *shows* the model wants what it
attends to as well, so our graph has two outputs: the logits, and the attention weights of every
layer and head. The fused attention kernel the model trains with never materializes those
weights; while tracing, each attention layer is asked to keep them, which runs the
[written-out formula](../mha.html) instead (the same numbers, to rounding: a test checks the
graph's outputs against PyTorch's).

`torch.onnx.export` with `dynamo=True` traces the model with `torch.export`. Two of the input's
sizes are left free: the batch and the length, up to the model's `max_len`, the length of its
position table. The example it traces with is a batch of 2 texts of 8 characters; a test runs
the graph on other shapes.
"""

import logging
import sys
import warnings
from pathlib import Path
from typing import Tuple

import torch

from labml_nn.helpers import extras
from labml_nn.transformers.mha import keeping_attention_weights
from labml_nn.transformers.mlm.model import TransformerMLM

# The graph's file in an export folder
ONNX = 'model.onnx'


class LogitsAndAttention(torch.nn.Module):
    r"""
    What the graph computes: token ids `[batch_size, seq_len]` in; the logits,
    `[batch_size, seq_len, n_tokens]`, and the attention weights of every layer and head,
    `[batch_size, n_layers, heads, seq_len, seq_len]`, out.
    """

    def __init__(self, model: TransformerMLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        with keeping_attention_weights(self.model) as kept:
            logits = self.model(input_ids)  # [batch_size, seq_len, n_tokens]
        return logits, torch.stack(kept, dim=1)  # [batch_size, n_layers, heads, seq_len, seq_len]


def check_onnx_installed() -> None:
    r"""Exporting to ONNX needs `onnx` and `onnxscript`, from the `export` extra."""
    extras.require(('onnx', 'onnxscript'), '--onnx', 'export')


def export_onnx(model: TransformerMLM, path: Path) -> None:
    r"""
    Writes `model` as an ONNX graph, for any batch size and any length up to the model's
    `max_len`. Inputs: `input_ids` (int64); outputs: `logits` and `attentions`.
    """
    check_onnx_installed()
    max_len = model.embeddings.max_len
    batch, seq_len = torch.export.Dim('batch', max=1024), torch.export.Dim('seq_len', max=max_len)
    example = torch.full((2, min(8, max_len)), 2, dtype=torch.long)
    # The exporter's progress messages would go to stdout, which the caller may be using, and
    # its warnings (about torchvision's operators, for one) concern nothing here
    stdout, sys.stdout = sys.stdout, sys.stderr
    level = logging.getLogger('torch.onnx').level
    logging.getLogger('torch.onnx').setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            program = torch.onnx.export(LogitsAndAttention(model.eval()), (example,), dynamo=True,
                                        input_names=['input_ids'], output_names=['logits', 'attentions'],
                                        dynamic_shapes={'input_ids': {0: batch, 1: seq_len}}, verbose=False)
    finally:
        sys.stdout = stdout
        logging.getLogger('torch.onnx').setLevel(level)
    program.save(str(path))
