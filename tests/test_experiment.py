"""The experiment: it learns, checkpoints resume exactly, signals save, the summary is complete."""
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import SMALL, FakeClock, run_in_process
from labml_nn.helpers import cli
from labml_nn.transformers.mlm import experiment as exp
from labml_nn.transformers.mlm.data import curriculum_length


def test_short_run_lowers_the_loss(corpus, in_tmp):
    summary = run_in_process([*SMALL, f'--data={corpus}', '--steps', '60', 'valid_every=20',
                              'learning_rate=3e-3', 'warmup_steps=10', '--summary', 'summary.json'])
    curve = summary['curve']
    assert [p['step'] for p in curve] == [20, 40, 60]
    # An untrained model (small weights) predicts uniformly: its loss is ln(vocabulary size)
    untrained = math.log(len(torch.load(summary['checkpoint'], weights_only=True)['vocabulary']) + 2)
    assert curve[-1]['valid_loss'] < untrained - 0.6
    assert curve[-1]['valid_loss'] < curve[0]['valid_loss']
    assert curve[-1]['train_loss'] < curve[0]['train_loss']
    written = json.loads(Path('summary.json').read_text())
    for key in ('steps', 'tokens_seen', 'wall_time_s', 'tokens_per_s', 'final'):
        assert key in written
    assert written['steps'] == 60 and written['tokens_seen'] == 60 * 16 * 32
    assert set(written['final']) >= {'train_loss', 'train_accuracy', 'valid_loss', 'valid_accuracy'}
    assert Path(written['checkpoint']).is_file()
    # labml recorded the configs and the metrics locally
    run_dir = Path(written['run_dir'])
    assert (run_dir / 'configs.yaml').is_file()
    assert 'loss.valid' in (run_dir / 'log.jsonl').read_text()


def test_resume_equals_uninterrupted(corpus, in_tmp):
    argv = [*SMALL, f'--data={corpus}', '--steps', '24', 'valid_every=4', 'model.dropout=0.1',
            'checkpoint_every=1000']
    full = run_in_process(argv)
    first = run_in_process(argv, stop_at=10)
    # Stopped before its planned last step: interrupted, as in fine-tuning
    assert first['steps'] == 10 and first['interrupted'] and not full['interrupted']
    resumed = run_in_process(['--resume', first['run_uuid'], '--device', 'cpu'])
    assert resumed['steps'] == 24
    # Same losses, to the last bit, at every validation point (wall times differ, of course)
    def losses(summary):
        return [(p['step'], p['train_loss'], p['valid_loss'], p['valid_accuracy']) for p in summary['curve']]
    assert losses(resumed) == losses(full)
    assert len(losses(full)) == 6
    a = torch.load(full['checkpoint'], weights_only=True)['model']
    b = torch.load(resumed['checkpoint'], weights_only=True)['model']
    assert all(torch.equal(a[k], b[k]) for k in a)
    # The resumed run is a new run: the first run's checkpoint is kept as it was
    assert resumed['run_uuid'] != first['run_uuid']
    assert torch.load(first['checkpoint'], weights_only=True)['step'] == 10


def test_checkpoint_loads_with_weights_only(corpus, in_tmp):
    summary = run_in_process([*SMALL, f'--data={corpus}', '--steps', '3', 'valid_every=3'])
    state = torch.load(summary['checkpoint'], weights_only=True)
    assert state['format'] == exp.CHECKPOINTS.name and state['step'] == 3
    assert set(state['rng']) == {'torch', 'data', 'mask'}


def test_sigterm_saves_a_checkpoint_that_resumes(corpus, tmp_path):
    r"""A real process stopped by SIGTERM saves, exits non-zero with a hint, and can be resumed."""
    env = {**os.environ, 'PYTHONPATH': str(Path(exp.__file__).parents[3])}
    process = subprocess.Popen(
        [sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', *SMALL, f'--data={corpus}',
         '--steps', '100000', 'valid_every=5', '--summary', 'summary.json'],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    # Wait until training has started (labml writes the run's folder) and a few steps ran
    while time.time() < deadline and not list(tmp_path.glob('logs/mlm/*/log.jsonl')):
        time.sleep(0.2)
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 143, output[-2000:]
    assert 'Traceback' not in output
    summary = json.loads((tmp_path / 'summary.json').read_text())
    assert summary['interrupted'] and 0 < summary['steps'] < 100000
    checkpoint = torch.load(summary['checkpoint'], weights_only=True)
    assert checkpoint['step'] == summary['steps']
    resumed = subprocess.run(
        [sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--resume', summary['run_uuid'],
         '--steps', str(summary['steps'] + 2), '--summary', 'resumed.json'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((tmp_path / 'resumed.json').read_text())['steps'] == summary['steps'] + 2


def test_first_run_output_is_the_run_then_its_result(corpus, tmp_path):
    r"""
    A first run (an empty home folder) in a real process: the output starts with the run's
    name, has no labml notice about creating its own settings, and ends with the final
    validation accuracy and the checkpoint's path.
    """
    home = tmp_path / 'home'
    home.mkdir()
    env = {**os.environ, 'HOME': str(home), 'PYTHONPATH': str(Path(exp.__file__).parents[3])}
    result = subprocess.run(
        [sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', *SMALL, f'--data={corpus}',
         '--steps', '2', 'valid_every=1', '--summary', 'summary.json'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / 'summary.json').read_text())
    lines = result.stdout.splitlines()
    assert lines[0] == f"mlm: {summary['run_uuid']}", lines[:3]
    assert 'configs.yaml' not in result.stdout + result.stderr
    # labml still keeps its settings where it always does
    assert (home / '.labml' / 'configs.yaml').is_file()
    accuracy = summary['final']['valid_accuracy']
    assert lines[-1] == f"Finished: validation accuracy {accuracy:.1%} at step 2; checkpoint {summary['checkpoint']}"


def test_a_stopped_run_ends_with_how_to_continue(corpus, in_tmp, capsys):
    summary = run_in_process([*SMALL, f'--data={corpus}', '--steps', '6', 'valid_every=2'], stop_at=4)
    assert summary['interrupted'] and summary['steps'] == 4
    last = capsys.readouterr().out.splitlines()[-1]
    accuracy = summary['final']['valid_accuracy']
    assert last == (f"Stopped at step 4: validation accuracy {accuracy:.1%} at step 4; "
                    f"continue with --resume {summary['run_uuid']}")


def test_help_lists_every_config_with_its_default(capsys):
    exp.main(['--help'])  # returns: exit status 0
    text = capsys.readouterr().out
    table = cli.config_table(exp.Configs)
    assert len(table) == 40
    for key, config in table.items():
        assert f'{key}={config.default}' in text
        assert config.help and config.help in text
    for option in ('--steps', '--minutes', '--data', '--device', '--resume', '--summary'):
        assert option in text


def test_overrides_are_typed():
    overrides = cli.parse(exp.Configs, ['model.dropout=0.25', 'seq_len=128', '--steps', '7']).overrides
    assert overrides == {'model.dropout': 0.25, 'seq_len': 128, 'steps': 7}
    c = cli.build(exp.Configs, overrides)
    # The training code reads typed configs; the flat view is for the edges
    assert (c.model.dropout, c.seq_len, c.steps, c.model.d_model) == (0.25, 128, 7, 128)
    assert cli.flatten(c)['model.dropout'] == 0.25


def test_learning_rate_schedule():
    c = exp.Configs(learning_rate=1.0, warmup_steps=10, steps=110, min_lr_ratio=0.1)
    assert exp.learning_rate(c, 0) == pytest.approx(0.1)
    assert exp.learning_rate(c, 9) == pytest.approx(1.0)
    assert exp.learning_rate(c, 60) == pytest.approx(0.55)
    assert exp.learning_rate(c, 110) == pytest.approx(0.1)


def test_curriculum_doubles_the_length_in_equal_stages():
    c = exp.Configs(seq_len=128, curriculum_steps=300, curriculum_start_len=16)
    lengths = {step: curriculum_length(c, step) for step in (0, 99, 100, 199, 200, 299, 300, 1000)}
    assert lengths == {0: 16, 99: 16, 100: 32, 199: 32, 200: 64, 299: 64, 300: 128, 1000: 128}


def test_curriculum_run_trains_and_validates_at_full_length(corpus, in_tmp):
    summary = run_in_process([*SMALL, f'--data={corpus}', 'seq_len=32', 'curriculum_steps=4',
                              'curriculum_start_len=8', '--steps', '6', 'valid_every=3'])
    assert summary['steps'] == 6 and len(summary['curve']) == 2
    # Every step trains on batch_size × seq_len tokens, whatever the length
    assert summary['tokens_seen'] == 6 * 16 * 32


@pytest.mark.parametrize('items, words', [
    (['seq_len=64', 'curriculum_steps=10', 'curriculum_start_len=24'], 'power of 2'),
    (['curriculum_steps=-1'], 'curriculum_steps'),
])
def test_bad_curriculum(items, words):
    with pytest.raises(cli.UserError, match=words):
        cli.build(exp.Configs, cli.parse(exp.Configs, items).overrides)


# ## Resuming with more steps: the decay is re-planned from where the run stopped
def replan(c, resumed):
    from labml_nn.helpers import run
    return run.replan(c, resumed, exp.decay_progress)


def test_more_steps_on_resume_replan_the_decay():
    planned = exp.Configs(learning_rate=1.0, warmup_steps=10, steps=110, min_lr_ratio=0.1)
    longer = exp.Configs(learning_rate=1.0, warmup_steps=10, steps=210, min_lr_ratio=0.1)
    checkpoint = {'configs': {'steps': 110}, 'step': 60, 'since': None}
    since = replan(longer, checkpoint)
    assert since is not None and since[0] == 60
    # The learning rate goes on from its value where the run stopped ...
    assert exp.learning_rate(longer, 60, since=since) == exp.learning_rate(planned, 60)
    # ... down to the floor at the new last step, falling all the way, without a new warm-up
    assert exp.learning_rate(longer, 210, since=since) == pytest.approx(0.1)
    rates = [exp.learning_rate(longer, t, since=since) for t in range(60, 211)]
    assert all(a > b for a, b in zip(rates, rates[1:]))
    # The rest of the cosine, stretched: halfway through the new remaining steps is where the
    # old plan was halfway through its remaining ones, and the old last step is above the floor
    assert exp.learning_rate(longer, 135, since=since) == pytest.approx(exp.learning_rate(planned, 85))
    assert exp.learning_rate(longer, 110, since=since) > exp.learning_rate(planned, 110) + 0.2
    # A later resume with the same steps keeps the plan; another length re-plans from there
    again = {'configs': {'steps': 210}, 'step': 150, 'since': list(since)}
    assert replan(longer, again) == since
    even_longer = dataclasses_replace(longer, steps=300)
    replanned = replan(even_longer, again)
    assert exp.learning_rate(even_longer, 150, since=replanned) == pytest.approx(
        exp.learning_rate(longer, 150, since=since), rel=1e-12)
    # Stopped during the warm-up, the decay simply spans the new steps: nothing to re-plan
    assert replan(longer, {'configs': {'steps': 110}, 'step': 5, 'since': None}) is None
    # The same steps: the schedule of a run that never stopped
    assert replan(planned, checkpoint) is None


def dataclasses_replace(c, **changes):
    import dataclasses
    return dataclasses.replace(c, **changes)


def test_resume_with_more_steps_keeps_its_plan_across_resumes(corpus, in_tmp):
    r"""
    A run resumed with more steps saves where it re-planned; stopped and resumed again with the
    same steps, it repeats bit for bit the run that went on to the end without stopping.
    """
    argv = [*SMALL, f'--data={corpus}', '--steps', '12', 'valid_every=4', 'warmup_steps=2',
            'checkpoint_every=1000']
    first = run_in_process(argv, stop_at=8)
    more = ['--resume', first['run_uuid'], '--device', 'cpu', '--steps', '20']
    straight = run_in_process(more)
    part = run_in_process(more, stop_at=16)
    state = torch.load(part['checkpoint'], weights_only=True)
    assert state['since'][0] == 8 and 0 < state['since'][1] < 1
    rest = run_in_process(['--resume', part['run_uuid'], '--device', 'cpu'])

    def losses(summary):
        return [(p['step'], p['train_loss'], p['valid_loss']) for p in summary['curve']]
    assert rest['steps'] == straight['steps'] == 20 and losses(rest) == losses(straight)
    # The learning rate of the last step is the re-planned one, near its floor
    c = cli.build(exp.Configs, cli.parse(exp.Configs, [*argv[:-1], '--steps', '20']).overrides)
    saved = torch.load(rest['checkpoint'], weights_only=True)['optimizer']  # Muon's, then AdamW's
    last_lr = saved['optimizers'][0]['param_groups'][0]['lr']
    assert last_lr == exp.learning_rate(c, 19, since=tuple(state['since']))
    assert last_lr < exp.learning_rate(c, 19)


# ## A time budget (the clock is the time-left test's fake one)
STEP_S, VALIDATION_S = 0.1, 0.5


@pytest.fixture
def clock(monkeypatch):
    r"""A clock on which a training step takes `STEP_S` and a validation `VALIDATION_S`."""
    clock = FakeClock()
    for name in ('time', 'monotonic', 'perf_counter'):
        monkeypatch.setattr(time, name, clock)
    train_step, validation = exp.Trainer.train_step, exp.Trainer.validation
    clock.rates = []

    def timed_step(self, stop=False):
        result = train_step(self, stop)
        clock.now += STEP_S
        clock.rates.append(self.optimizer.param_groups[0]['lr'])
        return result

    def timed_validation(self):
        clock.now += VALIDATION_S
        return validation(self)

    monkeypatch.setattr(exp.Trainer, 'train_step', timed_step)
    monkeypatch.setattr(exp.Trainer, 'validation', timed_validation)
    return clock


def test_a_time_budget_ends_on_time_with_the_schedule_annealed(corpus, in_tmp, clock):
    budget = 6.0  # seconds: 0.1 minutes
    began = clock.now
    summary = run_in_process([*SMALL, f'--data={corpus}', '--minutes', '0.1', 'valid_every=20',
                              'warmup_steps=5', 'learning_rate=1e-3', 'min_lr_ratio=0.1'])
    # Within the budget, the final validation and save included, and not far short of it
    assert clock.now - began <= budget
    assert clock.now - began > budget - 2 * STEP_S - VALIDATION_S
    assert not summary['interrupted'] and 0 < summary['steps'] < 5400
    assert summary['curve'][-1]['step'] == summary['steps']
    # The schedule followed the clock: its last step is at the floor, reached from above
    assert len(clock.rates) == summary['steps']
    assert clock.rates[-1] == pytest.approx(1e-4)
    assert clock.rates[len(clock.rates) // 2] == pytest.approx(5.5e-4, rel=0.15)


def test_a_resumed_time_budget_run_continues_its_budget(corpus, in_tmp, clock):
    argv = [*SMALL, f'--data={corpus}', '--minutes', '0.1', 'valid_every=20', 'warmup_steps=5']
    began = clock.now
    first = run_in_process(argv, stop_at=15)
    assert first['interrupted'] and first['steps'] == 15
    resumed = run_in_process(['--resume', first['run_uuid'], '--device', 'cpu'])
    assert not resumed['interrupted'] and resumed['steps'] > 15
    # Training time of both parts together fits the budget (the second adds its first check)
    trained = first['wall_time_s'] + resumed['wall_time_s']
    assert trained <= 6.0 + VALIDATION_S


def test_minutes_on_the_command_line():
    assert cli.parse(exp.Configs, ['--minutes', '2.5']).overrides == {'minutes': 2.5}
    for bad in ('0', '-1', 'soon'):
        with pytest.raises(cli.UserError, match='--minutes'):
            cli.parse(exp.Configs, ['--minutes', bad])
    # Fine-tuning plans by steps only, and says so
    from labml_nn.transformers.mlm_fine_tuning import experiment as fine_tuning
    with pytest.raises(cli.UserError, match='no time budget'):
        cli.parse(fine_tuning.Configs, ['--minutes', '2'])
