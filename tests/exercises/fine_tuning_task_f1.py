"""The capitals task, exercise 3: the scores for any number of classes."""
from typing import Dict

import torch

from labml_nn.transformers.mlm_fine_tuning import IGNORE


def confusion_n(predictions: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """`[n_classes, n_classes]` counts, `[true label, predicted label]`, over the scored positions."""
    scored = labels != IGNORE
    pairs = labels[scored] * n_classes + predictions[scored]
    return torch.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def macro_scores(counts: torch.Tensor) -> Dict[str, object]:
    """Accuracy, each class's precision, recall and F1, and the macro-F1 (their plain mean)."""
    counts = counts.double()
    hits = counts.diagonal()  # [n_classes]
    precision = hits / counts.sum(0).clamp(min=1)  # of what was predicted as the class
    recall = hits / counts.sum(1).clamp(min=1)  # of what truly is the class
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return {'accuracy': float(hits.sum() / counts.sum().clamp(min=1)), 'precision': precision.tolist(),
            'recall': recall.tolist(), 'f1': f1.tolist(), 'macro_f1': float(f1.mean())}
