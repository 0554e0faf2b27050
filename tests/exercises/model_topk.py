"""The model, exercise 2: top-k accuracy on the masked positions."""
import torch


def top_k_accuracy(logits: torch.Tensor, labels: torch.Tensor, padding_token: int, k: int) -> float:
    r"""The share of positions with a label (not `padding_token`) whose label is among the `k`
    highest logits. `logits` is `[..., n_tokens]`, `labels` the matching `[...]`."""
    chosen = labels != padding_token
    top = logits[chosen].topk(k, dim=-1).indices  # [n_chosen, k]
    hits = (top == labels[chosen][:, None]).any(dim=-1)  # [n_chosen]
    return hits.float().mean().item() if hits.numel() else 0.0
