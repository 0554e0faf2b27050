"""The experiment, exercise 2: a cosine decay in place of the straight line."""
import math

from labml_nn.transformers.mlm.experiment import Configs


def cosine_decay(c: Configs, step: int) -> float:
    r"""The same warm-up as the lesson's `learning_rate`, then a cosine from the peak down to
    `min_lr_ratio` × peak at the last step."""
    if step < c.warmup_steps:
        return c.learning_rate * (step + 1) / c.warmup_steps
    progress = min(1.0, (step - c.warmup_steps) / max(1, c.steps - c.warmup_steps))
    left = 0.5 * (1 + math.cos(math.pi * progress))
    return c.learning_rate * (c.min_lr_ratio + (1 - c.min_lr_ratio) * left)
