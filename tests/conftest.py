"""Shared fixtures: the corpus the tests train on and a small, fast model configuration."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Overrides that make a model small enough to train a few steps in a second or two
SMALL = ['model.d_model=32', 'model.n_layers=2', 'model.n_heads=4', 'model.d_ff=64',
         'seq_len=32', 'batch_size=16', 'valid_sequences=64', 'sample_every=0']


@pytest.fixture(scope='session')
def corpus(tmp_path_factory) -> Path:
    r"""
    Tiny Shakespeare from `../shared/data` (or `$LABML_NN_TINY_SHAKESPEARE`) when present;
    otherwise the offline corpus written to a temporary file, so the suite runs anywhere.
    """
    for candidate in (os.environ.get('LABML_NN_TINY_SHAKESPEARE'),
                      ROOT.parent / 'shared' / 'data' / 'tiny_shakespeare.txt'):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    from labml_nn.transformers.mlm.data import stdlib_docstrings
    path = tmp_path_factory.mktemp('corpus') / 'stdlib.txt'
    path.write_text(stdlib_docstrings(), encoding='utf-8')
    return path


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    r"""Run in an empty working directory, so runs land in its `logs/`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_in_process(argv, stop_at=None):
    r"""The experiment's command line, run in this process; returns the run's summary."""
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm import experiment
    return experiment.train(cli.parse(experiment.Configs, argv), stop_at=stop_at)
