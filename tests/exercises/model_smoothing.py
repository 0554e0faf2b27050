"""The model, exercise 3: label smoothing on the masked positions."""
from typing import Tuple

import torch


def masked_loss_with_smoothing(logits: torch.Tensor, labels: torch.Tensor, padding_token: int,
                               smoothing: float) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""`masked_loss_and_accuracy` with label smoothing: the target puts $1 - \varepsilon$ on the
    label and spreads $\varepsilon$ evenly over all $n$ tokens,
    $\mathcal{L}_i = -(1 - \varepsilon) \log p(x_i) - \frac{\varepsilon}{n} \sum_t \log p(t)$."""
    n_tokens = logits.shape[-1]
    chosen = labels != padding_token
    log_p = torch.log_softmax(logits[chosen].reshape(-1, n_tokens), dim=-1)  # [n_chosen, n_tokens]
    target = labels[chosen].reshape(-1)
    nll = -log_p.gather(1, target[:, None]).squeeze(1)  # [n_chosen]
    uniform = -log_p.mean(dim=-1)  # [n_chosen]
    loss = ((1 - smoothing) * nll + smoothing * uniform).mean() if len(target) else logits.sum() * 0.0
    correct = ((logits.argmax(dim=-1) == labels) & chosen).sum()
    return loss, correct, chosen.sum()
