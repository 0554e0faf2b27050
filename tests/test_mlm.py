"""The masking procedure: proportions, invariants and argument checks."""
import pytest
import torch

from labml_nn.transformers.mlm import MLM

PAD, MASK, CLS = 0, 1, 2
N_TOKENS = 50


def make(**kwargs) -> MLM:
    return MLM(padding_token=PAD, mask_token=MASK, no_mask_tokens=[CLS], n_tokens=N_TOKENS, **kwargs)


def real_tokens(shape, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, N_TOKENS, shape, generator=g)


def test_proportions():
    r"""
    On a million real tokens: 15% selected; of those 80% `[MASK]`, 10% a random token, 10%
    unchanged. A random draw equals the original with probability 1/47, which the expected
    "unchanged" rate includes. Tolerances are 5 standard deviations of each proportion.
    """
    x = real_tokens((1000, 1000))
    masked, labels = make()(x, generator=torch.Generator().manual_seed(1))
    selected = labels != PAD
    n = x.numel()
    n_selected = int(selected.sum())
    assert abs(n_selected / n - 0.15) < 5 * (0.15 * 0.85 / n) ** 0.5

    n_real = N_TOKENS - 3
    as_mask = int((masked[selected] == MASK).sum()) / n_selected
    unchanged = int((masked[selected] == x[selected]).sum()) / n_selected
    other = 1 - as_mask - unchanged
    expected = {'mask': 0.8, 'unchanged': 0.1 + 0.1 / n_real, 'other': 0.1 * (1 - 1 / n_real)}
    for name, value in (('mask', as_mask), ('unchanged', unchanged), ('other', other)):
        p = expected[name]
        assert abs(value - p) < 5 * (p * (1 - p) / n_selected) ** 0.5, (name, value, p)


def test_disjoint_outcomes_with_all_random():
    r"""randomize_prob=1: every selected token is replaced by a real token, never `[MASK]`."""
    x = real_tokens((200, 200))
    masked, labels = make(randomize_prob=1.0, no_change_prob=0.0)(x, generator=torch.Generator().manual_seed(2))
    selected = labels != PAD
    assert not (masked == MASK).any()
    assert (masked[selected] >= 3).all()
    # Unchanged only by chance: about 1/47 of the selected ones
    assert int((masked[selected] == x[selected]).sum()) / int(selected.sum()) < 0.04


def test_special_tokens_never_selected_and_never_drawn():
    x = real_tokens((300, 300))
    x[:, ::5] = PAD
    x[:, 1::7] = CLS
    x[:, 2::11] = MASK
    masked, labels = make(masking_prob=0.9, randomize_prob=0.5, no_change_prob=0.0)(
        x, generator=torch.Generator().manual_seed(3))
    protected = (x == PAD) | (x == CLS) | (x == MASK)
    assert (labels[protected] == PAD).all()
    assert (masked[protected] == x[protected]).all()
    replaced = (labels != PAD) & (masked != MASK)
    assert not torch.isin(masked[replaced], torch.tensor([PAD, CLS])).any()


def test_labels_and_input_untouched():
    x = real_tokens((64, 32))
    before = x.clone()
    masked, labels = make()(x, generator=torch.Generator().manual_seed(4))
    assert torch.equal(x, before)
    selected = labels != PAD
    assert torch.equal(labels[selected], x[selected])
    # Positions that were not selected are passed through as they were
    assert torch.equal(masked[~selected], x[~selected])
    assert masked.dtype == labels.dtype == torch.long and masked.shape == labels.shape == x.shape


def test_generator_makes_it_reproducible():
    x = real_tokens((64, 32))
    a = make()(x, generator=torch.Generator().manual_seed(5))
    b = make()(x, generator=torch.Generator().manual_seed(5))
    c = make()(x, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


@pytest.mark.parametrize('kwargs, words', [
    (dict(masking_prob=1.5), 'masking_prob must be between 0 and 1'),
    (dict(masking_prob=-0.1), 'masking_prob must be between 0 and 1'),
    (dict(randomize_prob=2.0), 'randomize_prob must be between 0 and 1'),
    (dict(no_change_prob=-1.0), 'no_change_prob must be between 0 and 1'),
    (dict(randomize_prob=0.6, no_change_prob=0.6), 'must be at most 1'),
])
def test_invalid_probabilities(kwargs, words):
    with pytest.raises(ValueError, match=words):
        make(**kwargs)


def test_independent_draws_skew_the_split():
    r"""
    Backs the masking page's claim about the reference implementation: drawing "unchanged"
    and "random" independently (random wins when both fire) gives about 81% / 10% / 9%
    instead of 80 / 10 / 10. The same million selections, the reference's rule.
    """
    g = torch.Generator().manual_seed(8)
    n = 1_000_000
    unchanged = torch.rand(n, generator=g) < 0.1
    randomized = torch.rand(n, generator=g) < 0.1
    as_mask = ~unchanged & ~randomized
    kept = unchanged & ~randomized
    assert abs(float(as_mask.float().mean()) - 0.81) < 0.002
    assert abs(float(randomized.float().mean()) - 0.10) < 0.002
    assert abs(float(kept.float().mean()) - 0.09) < 0.002
