"""
Behaviour stays the same: small fixed-seed runs reproduce the losses and accuracies that were
recorded before the experiment was reorganized, and a checkpoint written by the old code still
resumes to the curve it gave then.

The recordings come from another machine, so they are met within the tolerances of
`tolerances.py`, measured by `bench/kernels.py` (why each is safe is written there). One run
here computes with PyTorch's generic kernels, the matrix libraries capped at SSE4 and one
thread, as a CPU unlike the recording's would: a test that demanded the recorded bits would
fail there, so an exact comparison cannot come back unnoticed.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, run_in_process
from tolerances import ACCURACY_ABSOLUTE, LOSS_RELATIVE, PORTABLE_KERNELS, close_relative

FIXTURES = ROOT / 'tests' / 'fixtures'
GOLDEN = json.loads((FIXTURES / 'golden' / 'first_50_steps.json').read_text())
KEYS = ('step', 'train_loss', 'train_accuracy', 'valid_loss', 'valid_accuracy')
IDS = ['default-path', 'dropout-and-curriculum']


def assert_curve_close(measured: list, recorded: list):
    r"""Every validation point of `measured` matches `recorded`: steps exactly, losses and accuracies within tolerance."""
    assert [p['step'] for p in measured] == [p['step'] for p in recorded]
    for m, r in zip(measured, recorded):
        for key in ('train_loss', 'valid_loss'):
            if key in r:
                assert close_relative(m[key], r[key]), (r['step'], key, m[key], r[key], LOSS_RELATIVE)
        for key in ('train_accuracy', 'valid_accuracy'):
            if key in r:
                assert abs(m[key] - r[key]) <= ACCURACY_ABSOLUTE, (r['step'], key, m[key], r[key])


@pytest.mark.parametrize('golden', GOLDEN['runs'], ids=IDS)
def test_first_50_steps_are_unchanged(golden, corpus, in_tmp):
    if corpus.name != 'tiny_shakespeare.txt':
        pytest.skip('the golden runs were recorded on Tiny Shakespeare')
    summary = run_in_process([*golden['argv'], f'--data={corpus}'])
    assert_curve_close([{k: p[k] for k in KEYS} for p in summary['curve']], golden['curve'])


@pytest.mark.parametrize('golden', GOLDEN['runs'], ids=IDS)
def test_golden_runs_hold_on_other_kernels(golden, corpus, tmp_path):
    r"""The same runs in a fresh process computing as a CPU without AVX would (see the module's docstring)."""
    if corpus.name != 'tiny_shakespeare.txt':
        pytest.skip('the golden runs were recorded on Tiny Shakespeare')
    env = {**os.environ, 'PYTHONPATH': str(ROOT), **PORTABLE_KERNELS}
    result = subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', *golden['argv'],
                             f'--data={corpus}', '--summary', str(tmp_path / 'summary.json')],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / 'summary.json').read_text())
    assert_curve_close([{k: p[k] for k in KEYS} for p in summary['curve']], golden['curve'])


def test_checkpoint_from_before_the_redesign_resumes(in_tmp):
    r"""A checkpoint file written by the round-1 code, resumed to the end of its run."""
    old = FIXTURES / 'old_checkpoint'
    checkpoint = in_tmp / 'checkpoint.pt'
    shutil.copy(old / 'checkpoint.pt', checkpoint)
    before = checkpoint.read_bytes()
    summary = run_in_process(['--resume', str(checkpoint), f'--data={old / "text.txt"}'])
    assert summary['steps'] == 6
    # The curve was recorded on another machine: within the golden runs' tolerances
    expected = json.loads((old / 'resumed_curve.json').read_text())
    assert_curve_close([{k: p[k] for k in expected[0]} for p in summary['curve']], expected)
    # The old file is left as it was; the resumed run writes its own
    assert checkpoint.read_bytes() == before
    assert torch.load(summary['checkpoint'], weights_only=True)['step'] == 6
