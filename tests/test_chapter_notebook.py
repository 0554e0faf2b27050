"""The chapter notebook (labml_nn/transformers/mlm/notebook.ipynb, written as
notebooks/mlm_chapter.py and built by bench/notebook.py): the saved notebook is its source's
cells with their outputs, and it runs top to bottom in a fresh kernel, training included,
failing on any error. Its run time is recorded by `python -m bench.notebook`
(bench/results/notebook.md), not timed here."""
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip('nbformat', reason='the `test` extra installs nbformat, nbclient and ipykernel')
pytest.importorskip('nbclient', reason='the `test` extra installs nbformat, nbclient and ipykernel')
pytest.importorskip('matplotlib', reason='the `notebook` extra installs matplotlib')

from bench.notebook import NOTEBOOK, SOURCE, execute, notebook, read_cells, same_cells  # noqa: E402
from conftest import corpus_env, set_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def built():
    return notebook(read_cells(SOURCE.read_text(encoding='utf-8')))


def test_saved_notebook_is_its_source_with_outputs():
    saved = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(saved)
    assert same_cells(built(), saved), 'run `python -m bench.notebook` after editing notebooks/mlm_chapter.py'
    code = [c for c in saved.cells if c.cell_type == 'code']
    # Run in order, top to bottom, without an error; both pictures are there, each described
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c.outputs if o.output_type == 'error']
    images = [c for c in code for o in c.outputs if 'image/png' in o.get('data', {})]
    assert len(images) == 2 and all(c.metadata.get('alt') for c in images)


# A path of the machine that ran it: a home, a root or work folder, a temporary one, a drive
MACHINE_PATH = re.compile(r'(?<![\w.])(/home/|/root\b|/work/|/tmp/|/var/folders/|[A-Za-z]:\\)')


def test_no_output_shows_a_path_of_the_machine_that_ran_it():
    saved = nbformat.read(NOTEBOOK, as_version=4)
    outputs = [(i, o) for i, c in enumerate(saved.cells) if c.cell_type == 'code' for o in c.outputs]
    assert outputs
    for i, output in outputs:
        text = ''.join(output.get('text', '')) + ''.join(str(v) for k, v in output.get('data', {}).items()
                                                         if k.startswith('text/'))
        assert not MACHINE_PATH.search(text), (i, MACHINE_PATH.search(text).group(0), text[:300])
    # The pattern finds what it is for
    assert all(MACHINE_PATH.search(t) for t in ('/home/ann/x.txt', 'at /root', '/work/data', r'C:\\Users'))
    assert not MACHINE_PATH.search('logs/mlm/abc/checkpoint.pt and 1/tmp')


def test_the_install_cell_comes_first_and_is_skipped_where_the_package_imports():
    first = next(c for c in built().cells if c.cell_type == 'code')
    assert "if importlib.util.find_spec('labml_nn') is None:" in first.source
    assert '%pip install --quiet "labml-nn-mlm[notebook] @ git+{REPOSITORY}@{RELEASE}"' in first.source


def test_read_cells_reads_the_percent_format():
    cells = read_cells('# %% [markdown]\n# # Title\n#\n# Text\n\n# %% alt="a \\"b\\""\nx = 1\n\n# %%\n')
    assert [(c['cell_type'], c['source'], c['metadata']) for c in cells] == [
        ('markdown', '# Title\n\nText', {}), ('code', 'x = 1', {'alt': 'a "b"'})]


def test_chapter_notebook_runs_top_to_bottom_in_a_fresh_kernel(tmp_path, monkeypatch, corpus):
    nb = built()
    # The kernel inherits this environment: this checkout's code, one thread, the local corpus
    # if it is Tiny Shakespeare (a variable naming another text is an error)
    monkeypatch.setenv('PYTHONPATH', str(ROOT))
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    set_env(monkeypatch, corpus_env(corpus, tmp_path / 'cache'))
    # (No labml app is configured: the run reports locally and must not wait for one)
    monkeypatch.delenv('labml_app_url', raising=False)
    execute(nb, tmp_path, timeout=600)
    outputs = {i: ''.join(o.get('text', '') for o in c.outputs) for i, c in enumerate(nb.cells) if c.cell_type == 'code'}
    text = '\n'.join(outputs.values())
    assert 'what became of it' in text and 'logits' in text and 'masked-character accuracy' in text
    # The run was recorded by labml in the kernel's folder, with a checkpoint
    runs = list((tmp_path / 'logs' / 'mlm').glob('*/checkpoint.pt'))
    assert len(runs) == 1
    assert sum('image/png' in o.get('data', {}) for c in nb.cells if c.cell_type == 'code' for o in c.outputs) == 2
    assert os.environ['OMP_NUM_THREADS'] == '1'
