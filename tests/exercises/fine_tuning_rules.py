"""Fine-tuning (the chapter), exercise 3: the rules a learned model has to beat."""
import re

import torch

from labml_nn.transformers.mlm_fine_tuning import CAPITAL, LOWER, confusion, labels_of, lower_case, scores


def capitals_by_rule(text: str) -> torch.Tensor:
    """`[len(text)]`: `CAPITAL` at the first letter of a line, the first letter after `.`, `!` or
    `?` and a space, and the word "i" on its own; `LOWER` everywhere else."""
    lowered = lower_case(text)
    predicted = torch.full((len(text),), LOWER, dtype=torch.long)
    for m in re.finditer(r'(?:^|[.!?] +)([a-z])|\b(i)\b', lowered, re.MULTILINE):
        predicted[m.start(1) if m.group(1) else m.start(2)] = CAPITAL
    return predicted


def rule_scores(text: str) -> dict:
    """Accuracy and macro-F1 of the rules on `text`, scored at the letters as the task does."""
    return scores(confusion(capitals_by_rule(text), labels_of(text)))
