"""
Behaviour stays bit for bit: small fixed-seed runs reproduce the losses and accuracies that
were recorded before the experiment was reorganized, and a checkpoint written by the old code
still resumes.
"""
import json
import shutil

import pytest
import torch

from conftest import ROOT, run_in_process

FIXTURES = ROOT / 'tests' / 'fixtures'
GOLDEN = json.loads((FIXTURES / 'golden' / 'first_50_steps.json').read_text())
KEYS = ('step', 'train_loss', 'train_accuracy', 'valid_loss', 'valid_accuracy')


@pytest.mark.parametrize('golden', GOLDEN['runs'], ids=['default-path', 'dropout-and-curriculum'])
def test_first_50_steps_are_unchanged(golden, corpus, in_tmp):
    if corpus.name != 'tiny_shakespeare.txt':
        pytest.skip('the golden runs were recorded on Tiny Shakespeare')
    summary = run_in_process([*golden['argv'], f'--data={corpus}'])
    # Exact equality: the same arithmetic in the same order gives the same bits
    assert [{k: p[k] for k in KEYS} for p in summary['curve']] == golden['curve']


def test_checkpoint_from_before_the_redesign_resumes(in_tmp):
    r"""A checkpoint file written by the round-1 code, resumed to the end of its run."""
    old = FIXTURES / 'old_checkpoint'
    checkpoint = in_tmp / 'checkpoint.pt'
    shutil.copy(old / 'checkpoint.pt', checkpoint)
    before = checkpoint.read_bytes()
    summary = run_in_process(['--resume', str(checkpoint), f'--data={old / "text.txt"}'])
    assert summary['steps'] == 6
    expected = json.loads((old / 'resumed_curve.json').read_text())
    assert [{k: p[k] for k in expected[0]} for p in summary['curve']] == expected
    # The old file is left as it was; the resumed run writes its own
    assert checkpoint.read_bytes() == before
    assert torch.load(summary['checkpoint'], weights_only=True)['step'] == 6
