"""The classifier, exercise 3: one learning rate for the pre-trained weights, another for the head."""
from typing import Dict, List

from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier


def parameter_groups(model: TokenClassifier, lr: float, head_factor: float) -> List[Dict]:
    """Two groups for `torch.optim.AdamW`: the pre-trained parameters at `lr`, the new head's at
    `lr * head_factor`. Every parameter is in exactly one group."""
    return [{'params': model.encoder_parameters(), 'lr': lr},
            {'params': list(model.head.parameters()), 'lr': lr * head_factor}]
