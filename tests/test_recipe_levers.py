"""
The levers of the recipe study (issue 28) do what they say, and are off by default: QK-norm and
zero-initialised output projections, a model without biases, Muon on the hidden matrices with
AdamW on the rest, linear decay and a masking-rate schedule: all configs of the experiment. The
default model is left as it was (tests/test_golden.py holds the run to its recording).
"""
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from labml_nn.helpers.optimizers import Float32Muon, Optimizers, muon_with_adamw
from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM

N_TOKENS, SEQ_LEN = 20, 12
SMALL = dict(d_model=32, n_layers=2, n_heads=4, d_ff=64)


def model(**options) -> TransformerMLM:
    torch.manual_seed(0)
    return TransformerMLM.from_configs(ModelConfigs(**SMALL, **options), N_TOKENS, SEQ_LEN)


def batch():
    g = torch.Generator().manual_seed(1)
    x = torch.randint(2, N_TOKENS, (8, SEQ_LEN), generator=g)
    return x, x.roll(1, dims=1)  # something learnable: each label is the previous character


def train(m: torch.nn.Module, optimizer, steps: int) -> list:
    x, y = batch()
    losses = []
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(m(x).reshape(-1, N_TOKENS), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_the_levers_are_off_by_default():
    c = ModelConfigs()
    assert (c.qk_norm, c.zero_init, c.bias) == (False, False, True)
    # Naming the defaults builds the same parameters with the same values
    plain, named = model().state_dict(), model(qk_norm=False, zero_init=False, bias=True).state_dict()
    assert list(plain) == list(named)
    assert all(torch.equal(plain[k], named[k]) for k in plain)
    assert not any('q_norm' in k for k in plain)


def test_qk_norm_and_zero_init_start_at_zero_and_train():
    m = model(qk_norm=True, zero_init=True)
    d_k = SMALL['d_model'] // SMALL['n_heads']
    for layer in m.encoder.layers:
        for projection in (layer.attention.output, layer.feed_forward.layer2):
            assert torch.count_nonzero(projection.weight) == 0
            assert torch.count_nonzero(projection.bias) == 0
        assert layer.attention.q_norm.weight.shape == layer.attention.k_norm.weight.shape == (d_k,)
    # Only those projections are zero: the other weights are drawn as before
    default = model()
    assert torch.equal(m.encoder.layers[0].attention.qkv.weight, default.encoder.layers[0].attention.qkv.weight)
    # With zero branches the encoder starts as the identity before its final norm
    x, _ = batch()
    with torch.no_grad():
        h = m.embeddings(x)
        assert torch.allclose(m.encoder(h), m.encoder.norm(h))
    losses = train(m, torch.optim.AdamW(m.parameters(), lr=3e-3), 30)
    assert losses[-1] < losses[0] - 0.1
    assert all(torch.count_nonzero(layer.attention.output.weight) > 0 for layer in m.encoder.layers)


def test_qk_norm_bounds_what_each_head_sees():
    m = model(qk_norm=True).encoder.layers[0].attention
    seen = []
    m.q_norm.register_forward_hook(lambda module, args, out: seen.append(out))
    x = torch.randn(2, SEQ_LEN, SMALL['d_model']) * 50  # large inputs: unnormalized scores would be huge
    m(x)
    rms = seen[0].pow(2).mean(-1).sqrt()  # [batch_size, heads, seq_len]
    assert torch.allclose(rms, torch.ones_like(rms), atol=1e-3)


def test_no_bias_has_no_bias_parameters():
    for options in ({}, {'head_transform': True, 'embedding_norm': True}, {'init': 'normal'}):
        m = model(bias=False, **options)
        assert not [n for n, _ in m.named_parameters() if n.endswith('bias')]
        assert any(n.endswith('bias') for n, _ in model(**options).named_parameters())
        x, _ = batch()
        assert m(x).shape == (8, SEQ_LEN, N_TOKENS)


def test_muon_updates_the_hidden_matrices_and_adamw_the_rest():
    m = model()
    hidden = [p for n, p in m.named_parameters() if n.startswith('encoder.') and p.dim() == 2]
    rest = [p for n, p in m.named_parameters() if not (n.startswith('encoder.') and p.dim() == 2)]
    optimizer = muon_with_adamw(hidden, [{'params': rest, 'weight_decay': 0.0}], lr=1e-2,
                                weight_decay=0.0)
    muon, adamw = optimizer.optimizers
    assert isinstance(muon, torch.optim.Muon) and isinstance(adamw, torch.optim.AdamW)
    before = {id(p): p.detach().clone() for p in m.parameters()}
    losses = train(m, optimizer, 20)
    assert losses[-1] < losses[0]
    # Each optimizer holds state for its own parameters only, and every parameter moved
    assert {id(p) for p in muon.state} == {id(p) for p in hidden}
    assert {id(p) for p in adamw.state} == {id(p) for p in rest}
    assert 'exp_avg_sq' in adamw.state[rest[0]] and 'momentum_buffer' in muon.state[hidden[0]]
    assert all(not torch.equal(before[id(p)], p) for p in m.parameters())
    # One schedule sets both: the groups are the optimizers' own dictionaries
    for group in optimizer.param_groups:
        group['lr'] = 5e-3
    assert muon.param_groups[0]['lr'] == adamw.param_groups[0]['lr'] == 5e-3
    # The state round-trips (a checkpoint could keep it)
    again = muon_with_adamw(hidden, [{'params': rest, 'weight_decay': 0.0}], lr=1e-2, weight_decay=0.0)
    again.load_state_dict(optimizer.state_dict())
    assert torch.equal(again.optimizers[0].state[hidden[0]]['momentum_buffer'],
                       muon.state[hidden[0]]['momentum_buffer'])


def test_muon_rejects_a_non_matrix():
    with pytest.raises(ValueError):
        muon_with_adamw([torch.nn.Parameter(torch.zeros(3))], [], lr=1e-3, weight_decay=0.0)
    assert Optimizers().param_groups == []


@pytest.fixture(scope='module')
def smoke(tmp_path_factory, corpus):
    r"""The study script's smoke mode: every variant, one seed, a tiny model, four steps."""
    out = tmp_path_factory.mktemp('recipe_study')
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    result = subprocess.run([sys.executable, 'bench/recipe_study.py', 'run', '--smoke', '--seeds', '0',
                             '--data', str(corpus),
                             '--cache', str(out / 'cache'), '--out', str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / 'recipe_study.json').read_text()), (out / 'recipe_study.md').read_text()


def test_the_study_smoke_mode_runs_every_variant(smoke):
    result, page = smoke
    levers = ['qk_norm_zero_init', 'no_bias', 'muon', 'linear_decay', 'masking_schedule']
    names = {'baseline', *levers, 'all', *(f'all_but_{lever}' for lever in levers)}
    [one] = result['passes']
    assert {row['name'] for row in one['summary']} == names
    for run in one['runs']:
        assert run['complete'] and [p['step'] for p in run['curve']] == [0, 2, 4]
        for p in run['curve']:
            assert 0.0 <= p['valid_accuracy'] <= 1.0 and 0.0 <= p['train_accuracy'] <= 1.0
    # The model levers reached the model: fewer parameters without biases, more with QK-norm
    size = {run['name']: run['parameters'] for run in one['runs']}
    assert size['no_bias'] < size['baseline'] < size['qk_norm_zero_init']
    assert size['all_but_no_bias'] > size['all'] and size['all_but_qk_norm_zero_init'] < size['all']
    for name in names:
        assert f'| {name} |' in page
    assert 'busy' in page or 'quiet machine' in page


def test_the_experiment_levers_set_the_optimizer_the_rate_and_the_masking(corpus):
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm.data import load_corpus
    from labml_nn.transformers.mlm import masking_rate
    from labml_nn.transformers.mlm.experiment import Configs, Trainer, learning_rate
    small = {'seq_len': 16, 'batch_size': 4, 'model.d_model': 32, 'model.n_layers': 2,
             'model.n_heads': 2, 'model.d_ff': 64, 'valid_sequences': 8, 'warmup_steps': 2,
             'steps': 8}
    text, _ = load_corpus(str(corpus))
    levers = {'optimizer': 'muon', 'decay': 'linear', 'min_lr_ratio': 0.0, 'masking_start': 0.3}
    c = cli.build(Configs, {**small, **levers})
    trainer = Trainer(c, text[:200_000], torch.device('cpu'))
    muon, adamw = trainer.optimizer.optimizers
    # Muon's iterations in float32, so that a run costs about the same on every CPU
    assert isinstance(muon, Float32Muon)
    hidden = {n for n, p in trainer.model.named_parameters() if n.startswith('encoder.') and p.dim() == 2}
    assert {id(p) for g in muon.param_groups for p in g['params']} == \
        {id(p) for n, p in trainer.model.named_parameters() if n in hidden}
    assert masking_rate(0.3, 0.15, 0.0) == pytest.approx(0.3) and masking_rate(0.3, 0.15, 1.0) == pytest.approx(0.15)
    rates, masked = [], []
    for _ in range(8):
        loss, correct, count, _ = trainer.train_step()
        rates.append(trainer.optimizer.param_groups[0]['lr'])
        masked.append(count)
    # The levers are the defaults now
    assert cli.build(Configs, small) == c
    # The warm-up, then a straight line that reaches zero at the end (where a cosine, as
    # fine-tuning has it, stops at 10% of the peak)
    cosine = cli.build(Configs, {**small, 'decay': 'cosine', 'min_lr_ratio': 0.1, 'masking_start': 0.0})
    assert rates[:2] == pytest.approx([learning_rate(cosine, s) for s in range(2)])
    steps = [rates[s] - rates[s + 1] for s in range(2, 7)]
    assert steps == pytest.approx([steps[0]] * 5) and steps[0] > 0
    assert learning_rate(c, 8) == 0.0 < learning_rate(cosine, 8)
    # More positions are masked early on than at the end (30% against 15%); validation stays at 15%
    assert sum(masked[:2]) > sum(masked[-2:])
    assert trainer.masking.masking_prob == 0.15
    # Without a schedule the rate is the masking config's throughout
    assert masking_rate(cosine.masking_start, 0.15, 0.0) == masking_rate(0.0, 0.15, 1.0) == 0.15


@pytest.mark.parametrize('setting, message', [('decay=cosin', 'decay=cosin: must be cosine or linear'),
                                              ('optimizer=sgd', 'optimizer=sgd: must be adamw or muon'),
                                              ('masking_start=1.5', 'masking_start')])
def test_a_mistyped_lever_is_one_line(setting, message):
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm.experiment import Configs
    key, value = setting.split('=')
    with pytest.raises(cli.UserError, match=message):
        table = cli.config_table(Configs)
        flat = {key: cli.parse_value(key, value, table[key].kind)}
        cli.check_ranges(table, flat)
        cli.build(Configs, flat)


def test_the_report_sets_the_proxy_beside_the_full_run(tmp_path):
    r"""Two lengths in one report, and the ranking of each: a proxy that ranks the levers
    otherwise than the full run shows it."""
    sys.path.insert(0, str(ROOT / 'bench'))
    try:
        import recipe_study as study
    finally:
        sys.path.remove(str(ROOT / 'bench'))
    lr = study.configs()['learning_rate']
    size = {'seq_len': 64, 'batch_size': 32, 'model.d_model': 128, 'model.n_layers': 6, 'model.d_ff': 512}
    finals = {4: {'baseline': 0.30, 'muon': 0.35, 'all': 0.40}, 8: {'baseline': 0.60, 'muon': 0.55, 'all': 0.70}}
    for steps, by_name in finals.items():
        for name, accuracy in by_name.items():
            for seed in (0, 1):
                curve = [{'step': s, 'valid_accuracy': accuracy * s / steps + 0.01 * seed, 'valid_loss': 1.0,
                          'train_accuracy': accuracy * s / steps + 0.02} for s in range(0, steps + 1, 2)]
                record = {'name': name, 'seed': seed, 'lr': lr, 'steps': steps, 'complete': True, 'curve': curve,
                          'parameters': 1, 'size': size, 'threads': 1, 'ms_per_step_median': 100.0,
                          'steps_per_second': 10.0, 'load_averages': [0.5], 'busy': False}
                (tmp_path / f'{name}.seed{seed}.lr{lr:g}.steps{steps}.json').write_text(json.dumps(record))
    result = study.report([8, 4], 'a test', tmp_path, tmp_path / 'out')
    assert [p['steps'] for p in result['passes']] == [4, 8]
    rows = {row['name']: row for row in result['agreement']}
    assert rows['muon']['proxy'] == pytest.approx(0.355) and rows['muon']['full'] == pytest.approx(0.555)
    assert [rows[n]['proxy_rank'] for n in ('all', 'muon', 'baseline')] == [1, 2, 3]
    assert [rows[n]['full_rank'] for n in ('all', 'baseline', 'muon')] == [1, 2, 3]
    page = (tmp_path / 'out' / 'recipe_study.md').read_text()
    assert '## 4 steps' in page and '## 8 steps' in page and 'Does 4 steps rank the levers as 8 do?' in page
    assert '| muon | 0, 1 | 35.50% | 2 | 55.50% | 3 |' in page


def test_the_race_gives_bert_its_own_recipe():
    r"""In the race against Hugging Face's BERT each side trains with its own recipe: ours as the
    experiment's configs say (or as `--ours` sets them), BERT with the standard one at the swept rate."""
    import argparse
    sys.path.insert(0, str(ROOT / 'bench'))
    try:
        import time_to_accuracy as race
    finally:
        sys.path.remove(str(ROOT / 'bench'))
    args = argparse.Namespace(ours=race.parse_overrides(['optimizer=muon', 'model.qk_norm=true']), hf_lr=1e-3)
    assert race.recipe_of('ours', args) == {'optimizer': 'muon', 'model__qk_norm': True}
    bert = race.recipe_of('hf-bert', args)
    assert bert == {'model__dropout': 0.1, 'optimizer': 'adamw', 'decay': 'linear', 'min_lr_ratio': 0.0,
                    'masking_start': 0.0, 'learning_rate': 1e-3}
    # Every key is one of the experiment's configs
    race.configs(**bert)
    with pytest.raises(SystemExit, match="no config 'optimiser'"):
        race.parse_overrides(['optimiser=muon'])


def test_float32_muon_is_pytorchs_muon_in_float32():
    r"""`Float32Muon` takes PyTorch's Muon step with the Newton-Schulz iterations in float32: the
    same state, an update within bfloat16's rounding of PyTorch's, and within float32's of the
    step computed independently in float64."""
    import math
    from labml_nn.helpers.optimizers import Float32Muon
    torch.manual_seed(0)
    start = [torch.randn(384, 128), torch.randn(128, 512)]
    options = dict(lr=1e-2, weight_decay=0.01, adjust_lr_fn='match_rms_adamw')
    ours, theirs = [torch.nn.Parameter(w.clone()) for w in start], [torch.nn.Parameter(w.clone()) for w in start]
    mine, pytorch = Float32Muon(ours, **options), torch.optim.Muon(theirs, **options)
    reference = [w.double() for w in start]
    buffers = [torch.zeros_like(w) for w in reference]
    a, b, c = pytorch.defaults['ns_coefficients']
    for _ in range(3):
        grads = [torch.randn_like(w) for w in start]
        for group in (ours, theirs):
            for p, g in zip(group, grads):
                p.grad = g.clone()
        mine.step()
        pytorch.step()
        # The step in float64, from the algorithm's description
        for i, (w, g) in enumerate(zip(reference, grads)):
            g = g.double()
            buffers[i] = 0.95 * buffers[i] + 0.05 * g
            x = 0.05 * g + 0.95 * buffers[i]  # Nesterov: the gradient blended towards the momentum
            x = x.T if x.shape[0] > x.shape[1] else x
            x = x / x.norm()
            for _ in range(5):
                gram = x @ x.T
                x = a * x + (b * gram + c * gram @ gram) @ x
            x = x.T if w.shape[0] > w.shape[1] else x
            reference[i] = w * (1 - 1e-2 * 0.01) - 1e-2 * 0.2 * math.sqrt(max(w.shape)) * x
    for p, q, r in zip(ours, theirs, reference):
        assert (p.detach().double() - r).abs().max() < 1e-5
        assert 1e-5 < (p.detach() - q.detach()).abs().max() < 1e-3  # bfloat16's rounding, not a bug
    # The same state as PyTorch's: either can take the other's
    assert mine.state_dict()['state'][0].keys() == pytorch.state_dict()['state'][0].keys()
    pytorch.load_state_dict(mine.state_dict())
