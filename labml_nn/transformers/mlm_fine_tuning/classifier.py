r"""
---
title: The token classifier - the pre-trained encoder and a new head
summary: The masked language model's embeddings and encoder, kept; its output projection over characters, dropped; a new linear head that scores each position's labels.
---

# The pre-trained encoder with a new head

Fine-tuning keeps everything the masked language model learned about its input, the
[embeddings and the encoder](../mlm/model.html), and throws away the one part that was
specific to the pre-training game: the output projection from $d_\text{model}$ to a score per
character. In its place goes a **head** for the new task, a linear map from each position's
vector to a score per label:

$$\text{logits}_i = W\,h_i + b, \qquad W \in \mathbb{R}^{n_\text{labels} \times d_\text{model}}$$

where $h_i$ is the encoder's (final-normed) output at position $i$. The head starts from
PyTorch's default initialization; the encoder starts from the pre-trained weights, or from a
fresh initialization when we train the same model from scratch to see what pre-training was
worth ([the experiment](experiment.html)).

BERT's token classifier is the same: a dropout and one linear layer on the last hidden states.
Our default run uses no dropout, like the [pre-training run](../mlm/experiment.html).

This module imports only torch and the lesson's model, so that it travels into an
[export folder](export.html) as the lesson's model does.
"""

from typing import Optional

import torch
from torch import nn

from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM


class TokenClassifier(nn.Module):
    r"""
    ## Embeddings, encoder, head

    `body` is a masked language model, pre-trained or freshly initialized: its `embeddings` and
    `encoder` become this model's (the same modules, not copies), its `output` is dropped.
    """

    def __init__(self, body: TransformerMLM, n_labels: int):
        super().__init__()
        self.embeddings = body.embeddings
        self.encoder = body.encoder
        # The encoder's width, $d_\text{model}$, read from the layer that the head replaces
        d_model = body.output.projection.in_features
        self.head = nn.Linear(d_model, n_labels)

    @classmethod
    def from_configs(cls, c: ModelConfigs, n_tokens: int, max_len: int, n_labels: int) -> 'TokenClassifier':
        r"""A freshly initialized classifier of the shape the model configs describe."""
        return cls(TransformerMLM.from_configs(c, n_tokens, max_len), n_labels)

    def encoder_parameters(self):
        r"""The parameters that come from pre-training (all but the head's)."""
        return [p for name, p in self.named_parameters() if not name.startswith('head.')]

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` holds token ids, `[batch_size, seq_len]`; `mask` (optional) hides keys, as in the
        [encoder](../models.html). Returns logits, `[batch_size, seq_len, n_labels]`.
        """
        h = self.embeddings(x)  # [batch_size, seq_len, d_model]
        h = self.encoder(h, mask)  # [batch_size, seq_len, d_model]
        return self.head(h)  # [batch_size, seq_len, n_labels]
