"""The lesson (readme), exercise 2: the MLM loss written out from its formula."""
import torch


def masked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, padding_token: int) -> torch.Tensor:
    r"""$-\frac{1}{|M|} \sum_{i \in M} \log p_\theta(x_i \mid \tilde x)$, where $M$ is the set of
    positions whose label is not `padding_token`. `logits` is `[batch_size, seq_len, n_tokens]`."""
    chosen = labels != padding_token  # [batch_size, seq_len]: the set M
    log_p = torch.log_softmax(logits[chosen], dim=-1)  # [|M|, n_tokens]
    log_p_of_label = log_p.gather(1, labels[chosen][:, None]).squeeze(1)  # [|M|]
    return -log_p_of_label.mean()
