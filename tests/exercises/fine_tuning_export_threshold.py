"""Using the fine-tuned model, exercise 2: capitals only where the model is sure enough."""
import torch

from labml_nn.transformers.mlm_fine_tuning import CAPITAL, lower_case


def restore_with_threshold(text: str, probabilities: torch.Tensor, threshold: float = 0.5) -> str:
    """`text` lower-cased, with a capital wherever P(`CAPITAL`) is above `threshold`.
    `probabilities` is `[len(text), n_labels]`, as `predict` returns it."""
    capital = (probabilities[:, CAPITAL] > threshold).tolist()
    return ''.join(ch.upper() if up else ch for ch, up in zip(lower_case(text), capital))
