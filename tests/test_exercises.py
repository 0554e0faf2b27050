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
from exercises.experiment_schedule import cosine_decay
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
def test_cosine_decay_shares_the_warm_up_and_ends_at_the_floor():
    c = Configs(steps=1000, warmup_steps=100, min_lr_ratio=0.1)
    assert c.decay == 'linear'  # the lesson's line, which the exercise bends
    for step in range(100):
        assert cosine_decay(c, step) == learning_rate(c, step)
    assert cosine_decay(c, 1000) == pytest.approx(c.learning_rate * c.min_lr_ratio)
    after = [cosine_decay(c, s) for s in range(100, 1001)]
    assert all(a >= b for a, b in zip(after, after[1:]))
    # The lesson's own cosine, and the line's midpoint halfway, but higher at a quarter
    curved = Configs(steps=1000, warmup_steps=100, min_lr_ratio=0.1, decay='cosine')
    assert all(cosine_decay(c, s) == pytest.approx(learning_rate(curved, s)) for s in range(0, 1001, 25))
    assert cosine_decay(c, 550) == pytest.approx(learning_rate(c, 550))
    assert cosine_decay(c, 325) > learning_rate(c, 325) and cosine_decay(c, 775) < learning_rate(c, 775)


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


# # The encoder and fine-tuning chapters
#
# (Kept apart from the lesson's tests above; each import sits with its tests.)
from exercises.embeddings_order import order_gap  # noqa: E402
from exercises.embeddings_sinusoids import sinusoidal_table, with_fixed_positions  # noqa: E402
from exercises.feed_forward_by_hand import feed_forward_by_hand  # noqa: E402
from exercises.feed_forward_gated import GatedFeedForward  # noqa: E402
from exercises.fine_tuning_classifier_copy import classifier_on_a_copy  # noqa: E402
from exercises.fine_tuning_classifier_groups import parameter_groups  # noqa: E402
from exercises.fine_tuning_experiment_freeze import freeze_lower_layers  # noqa: E402
from exercises.fine_tuning_experiment_weights import weighted_loss  # noqa: E402
from exercises.fine_tuning_export_long import predict_long  # noqa: E402
from exercises.fine_tuning_export_threshold import restore_with_threshold  # noqa: E402
from exercises.fine_tuning_hugging_face_padding import padded_logits  # noqa: E402
from exercises.fine_tuning_rules import rule_scores  # noqa: E402
from exercises.fine_tuning_task_f1 import confusion_n, macro_scores  # noqa: E402
from exercises.mha_causal import causal_mask  # noqa: E402
from exercises.mha_heads import heads_one_by_one  # noqa: E402
from exercises.models_selection import select_before_last_attention  # noqa: E402
from exercises.models_shared import SharedEncoder  # noqa: E402
from labml_nn.transformers.embeddings import Embeddings  # noqa: E402
from labml_nn.transformers.feed_forward import FeedForward  # noqa: E402
from labml_nn.transformers.mha import MultiHeadAttention, attention_weights  # noqa: E402
from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM  # noqa: E402
from labml_nn.transformers.mlm_fine_tuning import (  # noqa: E402
    CAPITAL, IGNORE, LOWER, confusion, labels_of, majority_baseline, scores)
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier  # noqa: E402
from labml_nn.transformers.mlm_fine_tuning.export import predict, restore  # noqa: E402
from labml_nn.transformers.models import Encoder, TransformerLayer  # noqa: E402

TINY = ModelConfigs(d_model=32, n_layers=2, n_heads=4, d_ff=64)


@pytest.fixture(scope='module')
def lower_vocabulary():
    # The fine-tuned model reads lower-cased text: its vocabulary has both cases
    return CharVocabulary.from_text(TEXT + TEXT.lower() + 'o romeo! wherefore art thou romeo?')


def tiny_classifier(vocabulary, max_len=32, seed=0):
    torch.manual_seed(seed)
    return TokenClassifier.from_configs(TINY, len(vocabulary), max_len, 2).eval()


def one_step(model, parameters, lr=1e-2):
    """One AdamW step on a made-up loss; returns a copy of every parameter from before it."""
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(parameters, lr=lr)
    x = torch.randint(2, 10, (2, 16))
    model(x).square().mean().backward()
    optimizer.step()
    return before


# ## Token embeddings and positions
def test_sinusoids_are_the_formula_and_stay_fixed():
    table = sinusoidal_table(50, 16)
    assert table.shape == (50, 16)
    assert torch.allclose(table[0, 0::2], torch.zeros(8)) and torch.allclose(table[0, 1::2], torch.ones(8))
    assert table[7, 2].item() == pytest.approx(math.sin(7 * 10000 ** (-2 / 16)), abs=1e-6)
    # The dot product of two positions depends only on how far apart they are
    gaps = [float(table[p] @ table[p + 5]) for p in range(0, 40, 7)]
    assert max(gaps) - min(gaps) < 1e-4
    # Frozen in the module: an optimizer step moves the tokens' table, not the positions'
    embeddings = with_fixed_positions(Embeddings(20, 16, 50, 0.0))
    optimizer = torch.optim.AdamW([p for p in embeddings.parameters() if p.requires_grad], lr=0.1)
    embeddings(torch.randint(0, 20, (2, 10))).square().sum().backward()
    tokens_before = embeddings.tokens.weight.detach().clone()
    optimizer.step()
    assert torch.equal(embeddings.positions.weight, table)
    assert not torch.equal(embeddings.tokens.weight, tokens_before)


def test_without_positions_the_encoder_sees_a_set():
    torch.manual_seed(0)
    embeddings, encoder = Embeddings(20, 32, 16, 0.0), Encoder(2, 32, 4, 64, 0.0)
    x, order = torch.randint(0, 20, (3, 16)), torch.randperm(16)
    assert order_gap(embeddings, encoder, x, order) > 1e-3
    with torch.no_grad():
        embeddings.positions.weight.zero_()
    assert order_gap(embeddings, encoder, x, order) < 1e-5


# ## Multi-head attention
def test_causal_mask_hides_the_future():
    mask = causal_mask(6)
    q, k = torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 8)
    weights = attention_weights(q, k, mask)
    assert torch.all(weights.triu(1) == 0) and torch.allclose(weights.sum(-1), torch.ones(2, 3, 6))
    # In the module: changing the last token changes no earlier output with the mask, all of them without
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4, 0.0).eval()
    x = torch.randn(1, 6, 16)
    y = x.clone()
    y[0, -1] += 1.0
    with torch.no_grad():
        assert torch.allclose(mha(x, mask)[0, :-1], mha(y, mask)[0, :-1], atol=1e-6)
        assert not torch.allclose(mha(x)[0, :-1], mha(y)[0, :-1], atol=1e-4)


def test_heads_one_by_one_are_the_module():
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4, 0.0).eval()
    x = torch.randn(2, 10, 32)
    with torch.no_grad():
        assert torch.allclose(heads_one_by_one(mha, x), mha(x), atol=1e-5)


# ## The feed-forward network
def test_feed_forward_by_hand_is_the_module_position_by_position():
    torch.manual_seed(0)
    ff = FeedForward(16, 64, 0.0).eval()
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        assert torch.allclose(feed_forward_by_hand(ff, x), ff(x), atol=1e-5)
        # Each position on its own: reordering the positions reorders the outputs, nothing more
        order = torch.randperm(5)
        assert torch.allclose(ff(x[:, order]), ff(x)[:, order], atol=1e-6)


def test_gated_feed_forward_is_position_wise_and_gated():
    torch.manual_seed(0)
    gated = GatedFeedForward(48, 128)
    plain = FeedForward(48, 192, 0.0)
    # Two thirds of the width holds as many weights as the plain network's two matrices
    weights = sum(p.numel() for n, p in plain.named_parameters() if n.endswith('weight'))
    assert sum(p.numel() for p in gated.parameters()) == weights
    x = torch.randn(2, 7, 48)
    with torch.no_grad():
        y = gated(x)
        assert y.shape == x.shape
        order = torch.randperm(7)
        assert torch.allclose(gated(x[:, order]), y[:, order], atol=1e-6)
        # Linear in V: doubling the value projection doubles the output, which no ReLU network does
        gated.value.weight.mul_(2)
        assert torch.allclose(gated(x), 2 * y, atol=1e-5)
        gated.gate.weight.zero_()
        assert torch.allclose(gated(x), torch.zeros_like(y))


# ## Layers and the encoder
def test_shared_encoder_has_one_layers_weights_applied_again_and_again():
    torch.manual_seed(0)
    layer = TransformerLayer(32, 4, 64, 0.0)
    shared = SharedEncoder(layer, 6, 32).eval()
    stacked = Encoder(6, 32, 4, 64, 0.0)
    one_layer = sum(p.numel() for p in layer.parameters())
    assert sum(p.numel() for p in shared.parameters()) == one_layer + 2 * 32
    assert sum(p.numel() for p in stacked.parameters()) == 6 * one_layer + 2 * 32
    x = torch.randn(2, 8, 32)
    with torch.no_grad():
        expected = x
        for _ in range(6):
            expected = layer(expected)
        assert torch.allclose(shared(x), shared.norm(expected), atol=1e-6)


def test_dropping_rows_before_the_last_attention_changes_the_answer():
    torch.manual_seed(0)
    encoder = Encoder(2, 32, 4, 64, 0.0).eval()
    x = torch.randn(2, 12, 32)
    positions = torch.rand(2, 12) < 0.3
    positions[:, 0] = True
    with torch.no_grad():
        right = encoder(x, positions=positions)
        assert torch.allclose(right, encoder(x)[positions], atol=1e-5)
        wrong = select_before_last_attention(encoder, x, positions)
    assert wrong.shape == right.shape
    assert not torch.allclose(wrong, right, atol=1e-3)


# ## Fine-tuning: the chapter, the task, the classifier
def test_rules_beat_never_writing_a_capital(corpus):
    text = corpus.read_text(encoding='utf-8')[:100_000]
    ruled, majority = rule_scores(text), majority_baseline(labels_of(text))
    assert ruled['macro_f1'] > majority['macro_f1'] + 0.1
    assert 0 < ruled['capital_f1'] < 1


def test_macro_scores_for_n_classes_match_the_tasks_scores_for_two():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (500,), generator=g)
    labels[torch.rand(500, generator=g) < 0.2] = IGNORE
    predictions = torch.randint(0, 2, (500,), generator=g)
    counts = confusion_n(predictions, labels, 2)
    assert torch.equal(counts, confusion(predictions, labels))
    mine, theirs = macro_scores(counts), scores(confusion(predictions, labels))
    assert mine['macro_f1'] == pytest.approx(theirs['macro_f1'])
    assert mine['accuracy'] == pytest.approx(theirs['accuracy'])
    # Three classes, counted by hand: true 0 0 1 1 2 2, predicted 0 1 1 1 2 0
    three = macro_scores(confusion_n(torch.tensor([0, 1, 1, 1, 2, 0]), torch.tensor([0, 0, 1, 1, 2, 2]), 3))
    assert three['precision'] == pytest.approx([0.5, 2 / 3, 1.0])
    assert three['recall'] == pytest.approx([0.5, 1.0, 0.5])
    assert three['macro_f1'] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_a_classifier_on_a_copy_leaves_the_pretrained_model_alone(lower_vocabulary):
    vocabulary = lower_vocabulary
    torch.manual_seed(0)
    body = TransformerMLM.from_configs(TINY, len(vocabulary), 32)
    pretrained = {n: p.detach().clone() for n, p in body.named_parameters()}
    copied = classifier_on_a_copy(body, 2)
    one_step(copied, copied.parameters())
    assert all(torch.equal(p, pretrained[n]) for n, p in body.named_parameters())
    # The chapter's classifier shares the modules: the same step changes the body
    shared = TokenClassifier(body, 2)
    one_step(shared, shared.parameters())
    assert not torch.equal(body.encoder.layers[0].attention.qkv.weight, pretrained['encoder.layers.0.attention.qkv.weight'])


def test_parameter_groups_cover_everything_once_and_set_each_rate(lower_vocabulary):
    vocabulary = lower_vocabulary
    model = tiny_classifier(vocabulary)
    groups = parameter_groups(model, 1e-3, 10.0)
    ids = [id(p) for g in groups for p in g['params']]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert groups[0]['lr'] == 1e-3 and groups[1]['lr'] == pytest.approx(1e-2)
    # With no learning rate for the body only the head moves
    groups = parameter_groups(model, 1e-2, 1.0)
    groups[0]['lr'] = 0.0
    before = one_step(model, groups)
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert moved == {'head.weight', 'head.bias'}


# ## Fine-tuning: the experiment
def test_weighted_loss_counts_capitals_more():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 16, 2, generator=g)
    labels = torch.randint(0, 2, (4, 16), generator=g)
    labels[torch.rand(4, 16, generator=g) < 0.3] = IGNORE
    plain = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
    assert torch.allclose(weighted_loss(logits, labels, 1.0), plain)
    # A weighted mean over the letters: each capital's loss counted w times, divided by the weights' sum
    scored = labels != IGNORE
    nll = F.cross_entropy(logits[scored], labels[scored], reduction='none')
    w = torch.where(labels[scored] == CAPITAL, 5.0, 1.0)
    assert torch.allclose(weighted_loss(logits, labels, 5.0), (w * nll).sum() / w.sum(), atol=1e-6)
    assert LOWER == 0


def test_freezing_lower_layers_trains_only_the_rest(lower_vocabulary):
    vocabulary = lower_vocabulary
    model = tiny_classifier(vocabulary)
    trainable = freeze_lower_layers(model, 1)
    assert len(trainable) < len(list(model.parameters()))
    before = one_step(model, trainable)
    for name, p in model.named_parameters():
        frozen = name.startswith(('embeddings.', 'encoder.layers.0.'))
        assert torch.equal(p, before[name]) == frozen, name


# ## Fine-tuning: using the model
def test_threshold_half_is_restore_and_a_higher_one_never_adds_capitals():
    g = torch.Generator().manual_seed(0)
    text = 'o romeo, romeo! wherefore art thou romeo?'
    probabilities = torch.rand(len(text), 2, generator=g).softmax(-1)
    assert restore_with_threshold(text, probabilities, 0.5) == restore(text, probabilities)
    strict = restore_with_threshold(text, probabilities, 0.9)
    loose = restore_with_threshold(text, probabilities, 0.5)
    assert all(s == s.lower() or s == l for s, l in zip(strict, loose))
    assert sum(c.isupper() for c in strict) < sum(c.isupper() for c in loose)


def test_predict_long_reads_any_length(lower_vocabulary):
    vocabulary = lower_vocabulary
    model = tiny_classifier(vocabulary, max_len=32)
    short = 'before we proceed'
    assert torch.equal(predict_long(model, vocabulary, short, 16), predict(model, vocabulary, short))
    text = TEXT.lower()[:200]
    with torch.no_grad():
        out = predict_long(model, vocabulary, text, 16)
        assert out.shape == (200, 2) and torch.allclose(out.sum(-1), torch.ones(200))
        # Windows start at 0, 16, 32, ...: character 40 is 8 from the edges of the one at 32
        # and 7 from those of the one at 16, so its answer is the window at 32's
        assert torch.allclose(out[40], predict(model, vocabulary, text[32:64])[8], atol=1e-6)
        assert not torch.allclose(out[40], predict(model, vocabulary, text[16:48])[24], atol=1e-6)


def test_padded_batch_gives_each_text_its_own_logits(lower_vocabulary):
    vocabulary = lower_vocabulary
    pytest.importorskip('transformers')
    from labml_nn.transformers.mlm_fine_tuning.hugging_face_classifier import (
        LabmlForTokenClassification, LabmlTokenClassifierConfig)
    torch.manual_seed(0)
    config = LabmlTokenClassifierConfig(vocab_size=len(vocabulary), max_position_embeddings=32,
                                        model_configs=vars(TINY), num_labels=2)
    model = LabmlForTokenClassification(config).eval()
    texts = ['o romeo', 'wherefore art thou', 'romeo?']
    ids = [vocabulary.encode(t).tolist() for t in texts]
    batch = padded_logits(model, ids, vocabulary.padding_token)
    for row, logits in zip(ids, batch):
        with torch.no_grad():
            alone = model(input_ids=torch.tensor([row])).logits[0]
        assert torch.allclose(logits, alone, atol=1e-5)
