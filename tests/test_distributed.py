"""torchrun with two CPU processes: identical weights on every rank, the same losses as one process."""
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, SMALL

ARGS = [*SMALL, 'batch_size=16', '--steps', '6', 'valid_every=2', 'model.dropout=0.0', '--device', 'cpu']


def launch(command, cwd, summary):
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    result = subprocess.run([*command, '-m', 'labml_nn.transformers.mlm.experiment', *ARGS,
                             '--summary', str(summary)], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(summary.read_text())


@pytest.mark.skipif(not torch.distributed.is_available(), reason='torch built without distributed')
def test_two_processes_match_one(corpus, tmp_path):
    data = f'--data={corpus}'
    ARGS.append(data)
    try:
        single = launch([sys.executable], tmp_path, tmp_path / 'single.json')
        double = launch([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
                         '--standalone'], tmp_path, tmp_path / 'double.json')
    finally:
        ARGS.remove(data)

    # DDP keeps the ranks' weights bit-identical
    hashes = double['rank_weight_hashes']
    assert len(hashes) == 2 and hashes[0] == hashes[1]
    # The same global batch gives the same losses as one process (up to the order of float sums)
    assert [p['step'] for p in double['curve']] == [p['step'] for p in single['curve']] == [2, 4, 6]
    for a, b in zip(single['curve'], double['curve']):
        assert a['train_loss'] == pytest.approx(b['train_loss'], rel=1e-4)
        assert a['valid_loss'] == pytest.approx(b['valid_loss'], rel=1e-4)
        assert a['valid_accuracy'] == pytest.approx(b['valid_accuracy'], abs=2e-3)
    # ... and the same weights
    w1 = torch.load(single['checkpoint'], weights_only=True)['model']
    w2 = torch.load(double['checkpoint'], weights_only=True)['model']
    assert all(torch.allclose(w1[k], w2[k], atol=1e-4) for k in w1)
    # Only rank 0 wrote a checkpoint, in the run's rank-0 folder
    assert double['checkpoint'].endswith(f"{double['run_uuid']}.0/checkpoint.pt")


def test_a_rank_leaves_with_its_output_written():
    r"""A rank ends with `os._exit` (no interpreter shutdown for Gloo's threads to meet): its status
    is the one asked for, and what it printed, still in a pipe's buffer, is not lost."""
    code = ("import sys; from labml_nn.helpers import distributed; print('the last line'); "
            "print('a warning', file=sys.stderr, end=''); distributed.leave(3)")
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONUNBUFFERED'}  # a pipe buffers
    # The timeout guards against a hang only: on a busy machine importing torch alone took 56 s
    result = subprocess.run([sys.executable, '-c', code], env={**env, 'PYTHONPATH': str(ROOT)},
                            capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stdout, result.stderr) == (3, 'the last line\n', 'a warning')
