"""The classifier, exercise 2: fine-tune a copy and keep the pre-trained model as it was."""
import copy

from labml_nn.transformers.mlm.model import TransformerMLM
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier


def classifier_on_a_copy(body: TransformerMLM, n_labels: int) -> TokenClassifier:
    """A classifier whose embeddings and encoder are copies of `body`'s: training it leaves `body` unchanged."""
    return TokenClassifier(copy.deepcopy(body), n_labels)
