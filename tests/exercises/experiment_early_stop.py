"""The experiment, exercise 3: stop as soon as validation reaches a target accuracy."""
from typing import Optional, Tuple

import torch

from labml_nn.transformers.mlm.experiment import Configs, Trainer


def train_until(c: Configs, text: str, target: float) -> Tuple[Optional[int], float]:
    r"""Trains with the lesson's `Trainer` (on the CPU, saving nothing), validating every
    `valid_every` steps, and stops at the first validation whose accuracy reaches `target`.
    Returns that step (`None` if `c.steps` ran out first) and the last validation accuracy."""
    trainer = Trainer(c, text, torch.device('cpu'))
    accuracy = 0.0
    while trainer.step < c.steps:
        trainer.train_step()
        if trainer.step % c.valid_every == 0 or trainer.step == c.steps:
            _, accuracy = trainer.validate()
            if accuracy >= target:
                return trainer.step, accuracy
    return None, accuracy
