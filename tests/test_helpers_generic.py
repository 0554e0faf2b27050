"""
`labml_nn.helpers` is generic: a second experiment, which has nothing to do with masked
language models (here, a line fitted to noisy points), gets its command line, its labml run,
checkpoints in its own format and an exact resume from the helpers, without an edit to them.
"""
from dataclasses import dataclass
from typing import Any, Dict

import pytest
import torch

from labml_nn.helpers import checkpoint, cli, distributed, tracking
from labml_nn.helpers.cli import PositiveFloat, PositiveInt


@dataclass
class LineConfigs:
    # Training steps
    steps: PositiveInt = 12
    # Points per step
    batch_size: PositiveInt = 8
    # Learning rate of SGD
    learning_rate: PositiveFloat = 0.05
    # Seed of every random number generator
    seed: int = 0
    # Validate every this many steps
    valid_every: PositiveInt = 4


LINE = checkpoint.Format('tests.line-fit/1', frozenset({'steps', 'valid_every'}),
                         extras=lambda t: {'slope': 3.0})


class LineTrainer:
    r"""The attributes `checkpoint.save` and `restore` expect, for a model of one weight and one bias."""

    def __init__(self, c: LineConfigs, run_dir):
        self.c, self.processes, self.run_dir = c, distributed.Processes(), run_dir
        torch.manual_seed(c.seed)
        self.model = torch.nn.Linear(1, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=c.learning_rate, momentum=0.9)
        self.generators = {'points': torch.Generator().manual_seed(c.seed + 1)}
        self.step, self.elapsed, self.metrics = 0, 0.0, tracking.Metrics()

    def train_step(self) -> float:
        x = torch.rand(self.c.batch_size, 1, generator=self.generators['points'])
        y = 3 * x + 1 + 0.1 * torch.randn(x.shape, generator=self.generators['points'])
        loss = torch.nn.functional.mse_loss(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return loss.item()


def train(command: cli.Command, stop_at=None) -> Dict[str, Any]:
    s = tracking.prepare(command, LineConfigs, LINE)
    with tracking.start_run('line', s, command, 'random points') as run:
        trainer = LineTrainer(s.configs, run.folder)
        checkpoint.restore(trainer, s.resumed)
        first = trainer.step
        for _ in range(first, min(stop_at or s.configs.steps, s.configs.steps)):
            loss = trainer.train_step()
            trainer.metrics.add_step(trainer.step, loss, 0, 1)
            if trainer.step % s.configs.valid_every == 0:
                trainer.metrics.add_validation(trainer.step, 0.0, loss, 0.0)
        summary = tracking.summary(trainer, checkpoint.save(trainer, LINE), first, s.configs.steps, 0.01, None,
                                   s.configs.batch_size)
    return tracking.finish(run, summary, None)


def test_a_second_experiment_resumes_exactly_with_the_helpers_alone(in_tmp):
    whole = train(cli.parse(LineConfigs, ['--device', 'cpu']))
    half = train(cli.parse(LineConfigs, ['--device', 'cpu']), stop_at=6)
    assert half['steps'] == 6 and half['interrupted']
    resumed = train(cli.parse(LineConfigs, ['--device', 'cpu', '--resume', half['run_uuid']]))
    assert resumed['steps'] == 12
    # The curve of the stopped-and-resumed run is the uninterrupted run's, bit for bit
    assert resumed['curve'] == whole['curve']
    state = torch.load(resumed['checkpoint'], weights_only=True)
    assert state['format'] == LINE.name and state['slope'] == 3.0 and set(state['rng']) == {'torch', 'points'}
    # The fitted line is close to y = 3x + 1
    weight = state['model']['weight'].item()
    assert 1.0 < weight < 5.0


def test_the_format_keeps_other_experiments_checkpoints_out(in_tmp):
    run = train(cli.parse(LineConfigs, ['--device', 'cpu']))
    with pytest.raises(checkpoint.CheckpointError, match='not a checkpoint of this experiment'):
        checkpoint.load(run['checkpoint'], checkpoint.Format('another.experiment/1'))
    # …and its resume rules are its own: `learning_rate` may not change, `steps` may
    with pytest.raises(cli.UserError, match='cannot change learning_rate when resuming'):
        train(cli.parse(LineConfigs, ['--resume', run['run_uuid'], 'learning_rate=0.1']))
