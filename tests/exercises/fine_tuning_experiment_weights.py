"""Fine-tuning, exercise 2: a loss that counts the rare class more."""
import torch
import torch.nn.functional as F

from labml_nn.transformers.mlm_fine_tuning import IGNORE


def weighted_loss(logits: torch.Tensor, labels: torch.Tensor, capital_weight: float) -> torch.Tensor:
    """Cross-entropy at the letters, each capital counted `capital_weight` times.
    `logits` is `[batch_size, seq_len, 2]`, `labels` `[batch_size, seq_len]`."""
    weight = torch.tensor([1.0, capital_weight], dtype=logits.dtype)
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), weight=weight, ignore_index=IGNORE)
