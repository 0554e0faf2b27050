"""Feed-forward, exercise 2: the network from its weights, one position at a time."""
import torch

from labml_nn.transformers.feed_forward import FeedForward


@torch.no_grad()
def feed_forward_one_position(ff: FeedForward, v: torch.Tensor) -> torch.Tensor:
    """$W_2 \\max(0, W_1 v + b_1) + b_2$ for one vector `v`, `[d_model]` (a ReLU network, no dropout)."""
    hidden = (ff.layer1.weight @ v + ff.layer1.bias).clamp(min=0)  # [d_ff]
    return ff.layer2.weight @ hidden + ff.layer2.bias  # [d_model]


def feed_forward_by_hand(ff: FeedForward, x: torch.Tensor) -> torch.Tensor:
    """The module's output for `x`, `[batch_size, seq_len, d_model]`, built position by position."""
    batch_size, seq_len, _ = x.shape
    return torch.stack([torch.stack([feed_forward_one_position(ff, x[b, i]) for i in range(seq_len)])
                        for b in range(batch_size)])
