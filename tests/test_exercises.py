"""The reference solutions of the lesson pages' exercises (tests/exercises/, one module per
exercise that asks for code) do what the exercises ask, and where it makes sense, the lesson's
unchanged code does not: each exercise asks for something new."""
import inspect
import math

import pytest
import torch
import torch.nn.functional as F

from conftest import ROOT, SMALL
from exercises.experiment_early_stop import train_until
from exercises.experiment_schedule import linear_decay
from exercises.masking_spaces import masking_without_spaces
from exercises.masking_spans import span_masking
from exercises.model_smoothing import masked_loss_with_smoothing
from exercises.model_topk import top_k_accuracy
from exercises.readme_generate import generate
from exercises.readme_loss import masked_cross_entropy
from labml_nn.helpers import cli
from labml_nn.transformers.mlm import MLM, MaskingConfigs
from labml_nn.transformers.mlm.data import CharVocabulary
from labml_nn.transformers.mlm.experiment import Configs, learning_rate
from labml_nn.transformers.mlm.model import masked_loss_and_accuracy

TEXT = ('First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n' * 40)


@pytest.fixture(scope='module')
def vocabulary():
    return CharVocabulary.from_text(TEXT)


def logits_and_labels(n_tokens=20, padding=0, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(4, 16, n_tokens, generator=g)
    labels = torch.randint(2, n_tokens, (4, 16), generator=g)
    labels[torch.rand(4, 16, generator=g) > 0.3] = padding
    return logits, labels


# ## The lesson (readme)
def test_readme_loss_is_the_formula_and_the_lessons_loss():
    logits, labels = logits_and_labels()
    mine = masked_cross_entropy(logits, labels, 0)
    lessons, _, _ = masked_loss_and_accuracy(logits, labels, 0)
    assert torch.allclose(mine, lessons, atol=1e-6)
    # Counting the unmasked positions too would be another number
    assert not torch.allclose(mine, F.cross_entropy(logits.reshape(-1, 20), labels.reshape(-1)), atol=1e-3)


def test_readme_generate_appends_the_models_guesses():
    from labml_nn.transformers.mlm_tools.load import load_mlm
    bundled = load_mlm()
    model, vocabulary = bundled.model, bundled.vocabulary
    text = generate(model, vocabulary, 'To be, or not to b', 5)
    assert text.startswith('To be, or not to b') and len(text) == len('To be, or not to b') + 5
    assert all(ch in vocabulary.char_to_id for ch in text)
    # The same prompt gives the same text (top guesses, no sampling)
    assert generate(model, vocabulary, 'To be, or not to b', 5) == text


# ## Masking
def test_masking_without_spaces_never_chooses_a_space(vocabulary):
    x = vocabulary.encode(TEXT)[None]  # [1, seq_len]
    spaces = torch.isin(x, torch.tensor([vocabulary.char_to_id[' '], vocabulary.char_to_id['\n']]))
    _, labels = masking_without_spaces(vocabulary)(x, generator=torch.Generator().manual_seed(0))
    assert not (labels != vocabulary.padding_token)[spaces].any()
    assert (labels != vocabulary.padding_token).float().mean() > 0.1
    # The lesson's masking does choose them: the exercise changes something
    _, lessons = MLM.from_configs(MaskingConfigs(), vocabulary)(x, generator=torch.Generator().manual_seed(0))
    assert (lessons != vocabulary.padding_token)[spaces].any()


def test_span_masking_chooses_runs_at_the_same_rate(vocabulary):
    mlm = MLM.from_configs(MaskingConfigs(), vocabulary)
    x = vocabulary.encode(TEXT)[:64 * 40].view(40, 64)
    masked, labels = span_masking(mlm, x, span=3, generator=torch.Generator().manual_seed(1))
    chosen = labels != vocabulary.padding_token
    # Labels are the original tokens; what is shown is the token, [MASK] or a real token
    assert torch.equal(labels[chosen], x[chosen])
    assert abs(chosen.float().mean().item() - 0.15) < 0.03
    # Runs: most chosen positions have a chosen neighbour, far more than independent choices give
    def neighbours(c):
        return ((c[:, 1:] & c[:, :-1]).sum() / c.sum()).item()
    _, lessons = mlm(x, generator=torch.Generator().manual_seed(1))
    assert neighbours(chosen) > 0.5 > 0.3 > neighbours(lessons != vocabulary.padding_token)
    assert not torch.equal(masked, x)


# ## The model
def test_top_k_accuracy():
    logits, labels = logits_and_labels()
    _, correct, total = masked_loss_and_accuracy(logits, labels, 0)
    assert top_k_accuracy(logits, labels, 0, 1) == pytest.approx(int(correct) / int(total))
    assert top_k_accuracy(logits, labels, 0, 20) == 1.0
    assert top_k_accuracy(logits, labels, 0, 1) <= top_k_accuracy(logits, labels, 0, 5) <= 1.0


def test_label_smoothing_matches_pytorch_and_is_new():
    logits, labels = logits_and_labels()
    for eps in (0.0, 0.1, 0.3):
        loss, _, _ = masked_loss_with_smoothing(logits, labels, 0, eps)
        chosen = labels != 0
        expected = F.cross_entropy(logits[chosen], labels[chosen], label_smoothing=eps)
        assert torch.allclose(loss, expected, atol=1e-6), eps
    # The lesson's loss has no smoothing to ask for
    assert 'smoothing' not in inspect.signature(masked_loss_and_accuracy).parameters


# ## The experiment
def test_linear_decay_shares_the_warm_up_and_ends_at_the_floor():
    c = Configs(steps=1000, warmup_steps=100)
    for step in range(100):
        assert linear_decay(c, step) == learning_rate(c, step)
    assert linear_decay(c, 1000) == pytest.approx(c.learning_rate * c.min_lr_ratio)
    after = [linear_decay(c, s) for s in range(100, 1001)]
    assert all(a >= b for a, b in zip(after, after[1:]))
    # A straight line: halfway down at the middle, where the cosine is too, but not at a quarter
    assert linear_decay(c, 550) == pytest.approx(learning_rate(c, 550))
    assert not math.isclose(linear_decay(c, 325), learning_rate(c, 325))


def test_train_until_stops_at_the_first_validation_that_reaches_the_target(corpus):
    text = corpus.read_text(encoding='utf-8')[:200_000]
    c = cli.build(Configs, cli.parse(Configs, [*SMALL, 'steps=30', 'valid_every=5']).overrides)
    # Any accuracy reaches 0: the first validation stops it
    assert train_until(c, text, target=0.0)[0] == 5
    step, accuracy = train_until(c, text, target=0.05)
    assert step is not None and step % 5 == 0 and accuracy >= 0.05
    step, accuracy = train_until(c, text, target=1.01)
    assert step is None and 0 <= accuracy < 1.01
    assert ROOT.exists()
