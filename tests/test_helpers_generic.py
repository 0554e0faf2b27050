"""
`labml_nn.helpers` is generic: a second experiment, which has nothing to do with masked
language models (here, a line fitted to noisy points), gets its command line, its labml run,
its loop, checkpoints in its own format and an exact resume from the helpers, without an edit
to them. It provides what `run.Experiment` lists, and nothing else.
"""
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

import pytest
import torch

from labml_nn.helpers import checkpoint, cli, run, tracking
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
    # Save a checkpoint every this many steps (and at the end)
    checkpoint_every: PositiveInt = 5


LINE = checkpoint.Format('tests.line-fit/1', frozenset({'steps', 'valid_every'}),
                         extras=lambda t: {'slope': 3.0})


class LineTrainer:
    r"""What `run.Experiment` asks for, for a model of one weight and one bias (no base class)."""

    def __init__(self, c: LineConfigs):
        self.c = c
        torch.manual_seed(c.seed)
        self.model = torch.nn.Linear(1, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=c.learning_rate, momentum=0.9)
        self.generators = {'points': torch.Generator().manual_seed(c.seed + 1)}
        self.step, self.elapsed, self.metrics = 0, 0.0, tracking.Metrics()
        self.tokens_per_step, self.sample_every = c.batch_size, 0

    def points(self) -> Tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(self.c.batch_size, 1, generator=self.generators['points'])
        return x, 3 * x + 1 + 0.1 * torch.randn(x.shape, generator=self.generators['points'])

    def train_step(self, stop: bool = False) -> Tuple[float, int, int, bool]:
        x, y = self.points()
        loss = torch.nn.functional.mse_loss(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return loss.item(), 0, 1, stop

    def validation(self) -> Dict[str, float]:
        # Fresh points from the same generator: validation draws, so the order must hold on resume
        x, y = self.points()
        with torch.no_grad():
            return {'loss': torch.nn.functional.mse_loss(self.model(x), y).item(), 'accuracy': 0.0}

    def show_samples(self) -> None:
        pass


def train(command: cli.Command, stop_at=None) -> Dict[str, Any]:
    s = run.prepare(command, LineConfigs, LINE)
    with run.start('line', s, command, 'random points') as this_run:
        summary = this_run.train(LineTrainer(s.configs), stop_at)
    return run.finish(this_run, summary, None)


def test_a_second_experiment_resumes_exactly_with_the_helpers_alone(in_tmp):
    whole = train(cli.parse(LineConfigs, ['--device', 'cpu']))
    half = train(cli.parse(LineConfigs, ['--device', 'cpu']), stop_at=6)
    assert half['steps'] == 6 and half['interrupted'] and not whole['interrupted']
    resumed = train(cli.parse(LineConfigs, ['--device', 'cpu', '--resume', half['run_uuid']]))
    assert resumed['steps'] == 12
    # The curve of the stopped-and-resumed run is the uninterrupted run's, bit for bit (but the seconds)
    def untimed(summary):
        return [{k: v for k, v in p.items() if k != 'time_s'} for p in summary['curve']]
    assert untimed(resumed) == untimed(whole) and len(untimed(whole)) == 3
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


# ## A nested group whose field gives it other defaults
@dataclass
class Widths:
    # Width of a layer
    width: PositiveInt = 8
    # Whether layers have biases
    bias: bool = True


@dataclass
class Wider:
    # The layers, without biases here
    layers: Widths = field(default_factory=lambda: Widths(bias=False))


def test_a_group_keeps_the_defaults_its_field_gives_it():
    r"""`default_factory=lambda: Group(...)` sets the group's defaults for the command line too:
    in `--help`, in a configs object built from nothing, and under an override."""
    assert cli.build(Wider, {}).layers == Widths(width=8, bias=False)
    assert cli.build(Wider, {'layers.bias': True, 'layers.width': 4}).layers == Widths(width=4, bias=True)
    table = cli.config_table(Wider)
    assert table['layers.bias'].default is False and table['layers.width'].default == 8
    assert 'layers.bias=False' in cli.help_text(Wider, 'prog', 'about', 'data')
    assert cli.flatten(cli.build(Wider, {})) == cli.flatten(Wider())
