r"""
The remaining time on the experiment's progress line follows the recent speed.

A run whose first minutes are slow (a busy machine: 782 ms a step, then 95 ms) used to show
`0:00m` left for the rest of the run. Here the experiment runs its own loop, as the command
line runs it, with the training step replaced by one that only lets time pass: a clock that the
test moves on by the step's simulated duration, so a run of "minutes" takes seconds. The lines
the run prints (one at each validation) must show, once the new speed has held for a minute,
a remaining time within a factor of two of the time that actually remained.
"""
import re
import time

import pytest
from conftest import SMALL, FakeClock

from labml_nn.helpers import cli
from labml_nn.transformers.mlm import experiment as mlm
from labml_nn.transformers.mlm_fine_tuning import experiment as fine_tuning

STEPS = 5400
# The first steps of the run are slow, the rest fast (the speeds of the report)
SLOW_STEPS, SLOW_S, FAST_S = 600, 0.782, 0.095


def step_seconds(step: int) -> float:
    r"""How long step `step` (1-based) takes."""
    return SLOW_S if step <= SLOW_STEPS else FAST_S


def actual_remaining(step: int) -> float:
    r"""Seconds the run still takes after `step`."""
    return sum(step_seconds(s) for s in range(step + 1, STEPS + 1))


# Each experiment's command line, small, with no checkpoint before the end
EXPERIMENTS = {
    'mlm': (mlm, [*SMALL, 'checkpoint_every=5400']),
    'fine_tuning': (fine_tuning, ['seq_len=16', 'batch_size=4', 'valid_sequences=8', 'checkpoint_every=5400']),
}


@pytest.fixture(params=list(EXPERIMENTS))
def experiment(request, corpus):
    if request.param == 'fine_tuning' and 'shakespeare' not in corpus.name:
        pytest.skip('fine-tuning needs Tiny Shakespeare (the bundled model was pre-trained on it)')
    return EXPERIMENTS[request.param]


@pytest.fixture
def slow_start(monkeypatch, experiment):
    clock = FakeClock()
    for name in ('time', 'monotonic', 'perf_counter'):
        monkeypatch.setattr(time, name, clock)

    def train_step(self, stop=False):
        # The step's time passes, no model is trained
        self.step += 1
        clock.now += step_seconds(self.step)
        return 1.0, 0, 1, False

    monkeypatch.setattr(experiment[0].Trainer, 'train_step', train_step)
    return clock


LINE = re.compile(r'^\s*([\d,]+):.*?(\d+):(\d\d)m/\s*(\d+):(\d\d)m\s*$')


def progress(text: str) -> list[tuple[int, float, float]]:
    r"""`(step, minutes spent, minutes left)` of each progress line printed."""
    found = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            found.append((int(m.group(1).replace(',', '')), int(m.group(2)) * 60 + int(m.group(3)),
                          int(m.group(4)) * 60 + int(m.group(5))))
    return found


def test_remaining_time_follows_the_speed_after_a_slow_start(corpus, in_tmp, experiment, slow_start, capsys):
    module, argv = experiment
    module.train(cli.parse(module.Configs, [f'--data={corpus}', *argv, f'steps={STEPS}', 'valid_every=250']))
    lines = progress(capsys.readouterr().out)
    # A line at each validation, and at the last step
    assert [step for step, _, _ in lines] == [*range(250, STEPS, 250), STEPS], lines
    settled = SLOW_STEPS + 60 / FAST_S
    checked = 0
    for step, spent, left in lines:
        # Spent time is right all along (the shown minutes are whole, rounded down)
        elapsed = (sum(step_seconds(s) for s in range(1, step + 1))) / 60
        assert spent <= elapsed < spent + 1, (step, spent, elapsed)
        if step < settled:
            continue
        actual = actual_remaining(step) / 60
        # Within a factor of two of what remained, up to the minute the line rounds down to
        assert left <= 2 * actual and actual <= 2 * (left + 1), (step, left, actual)
        checked += 1
    assert checked >= 15
    # At step 1,000 of the report seven minutes remained; the line must not say none
    at_1000 = next(left for step, _, left in lines if step == 1000)
    assert at_1000 >= 5, lines
