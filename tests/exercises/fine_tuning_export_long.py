"""Using the fine-tuned model, exercise 3: texts longer than the model reads at once."""
import torch

from labml_nn.transformers.mlm.data import CharVocabulary
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier
from labml_nn.transformers.mlm_fine_tuning.export import predict


@torch.no_grad()
def predict_long(model: TokenClassifier, vocabulary: CharVocabulary, text: str, step: int) -> torch.Tensor:
    """`[len(text), n_labels]` probabilities for any length: windows of the model's longest
    sequence, `step` characters apart (`step` at most that length), and for each character the
    answer of the window in which it sits farthest from an edge (the most context on both sides)."""
    width = model.embeddings.max_len
    if len(text) <= width:
        return predict(model, vocabulary, text)
    starts = list(range(0, len(text) - width, step)) + [len(text) - width]
    best = torch.full((len(text),), -1)  # the distance to the nearest edge of the window used so far
    out = torch.zeros(len(text), len(model.head.bias))
    for start in starts:
        probabilities = predict(model, vocabulary, text[start:start + width])  # [width, n_labels]
        offset = torch.arange(width)
        margin = torch.minimum(offset, width - 1 - offset)  # [width]
        where = start + offset
        better = margin > best[where]
        out[where[better]] = probabilities[better]
        best[where[better]] = margin[better]
    return out
