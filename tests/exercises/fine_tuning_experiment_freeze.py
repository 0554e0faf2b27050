"""Fine-tuning, exercise 3: freeze the embeddings and the lower layers, train the rest."""
from typing import List

import torch

from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier


def freeze_lower_layers(model: TokenClassifier, n_frozen: int) -> List[torch.nn.Parameter]:
    """Freezes the embeddings and the first `n_frozen` layers of the encoder; returns the
    parameters that still train (to give to the optimizer)."""
    frozen = [model.embeddings, *model.encoder.layers[:n_frozen]]
    for module in frozen:
        module.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]
