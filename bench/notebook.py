r"""
---
title: The chapter notebook, built and timed
summary: Turns the chapter notebook's readable source (notebooks/mlm_chapter.py, in jupytext's percent format) into the .ipynb, runs it top to bottom in a fresh kernel, saves it with its outputs and records how long it took.
---

# Building the chapter notebook

The [chapter notebook](../transformers/mlm/notebook.html) is written as a Python
file, `notebooks/mlm_chapter.py`, so that a review reads it like code: a line `# %%` starts a
code cell, `# %% [markdown]` a Markdown cell whose lines are comments, and `key="value"` after
the marker goes into the cell's metadata (an image's `alt`). That is jupytext's *percent*
format, read here in a few lines without jupytext itself.

```bash
OMP_NUM_THREADS=1 python -m bench.notebook   # build, run and save; record the time
python -m bench.notebook --check             # fail if the saved notebook's cells differ from the source
```

Running it writes `labml_nn/transformers/mlm/notebook.ipynb` with its outputs (the site shows
it as a page, and Colab opens it from the repository) and the run time to
`bench/results/notebook.md`. `tests/test_chapter_notebook.py` runs the notebook the same way
in every test run.
"""

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / 'notebooks/mlm_chapter.py'
NOTEBOOK = ROOT / 'labml_nn/transformers/mlm/notebook.ipynb'
RESULTS = ROOT / 'bench/results'

# The page's title and summary (the site's page of the notebook, and its notebook metadata)
TITLE = 'The chapter as a notebook - mask, run, train, fill, look'
SUMMARY = ('The Masked Language Model lesson to run cell by cell - masking a line of Shakespeare, one forward '
           'pass with every shape, a short training run reported to labml with its loss curve, fill-mask '
           'with the bundled model, and one attention head as a heatmap.')

MARKER = re.compile(r'^# %%(?: \[(markdown)\])?(.*)$')
META = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def read_cells(text: str) -> list[dict]:
    r"""The cells of a percent-format file: `{'cell_type', 'source', 'metadata'}`, in order."""
    cells = []
    for line in text.split('\n'):
        m = MARKER.match(line)
        if m:
            metadata = {k: json.loads(f'"{v}"') for k, v in META.findall(m.group(2))}
            cells.append({'cell_type': m.group(1) or 'code', 'lines': [], 'metadata': metadata})
        elif cells:
            if cells[-1]['cell_type'] == 'markdown':
                line = line[2:] if line.startswith('# ') else line.lstrip('#')
            cells[-1]['lines'].append(line)
        elif line.strip():
            raise SystemExit(f'{SOURCE}: text before the first `# %%` cell marker')
    for cell in cells:
        cell['source'] = '\n'.join(cell.pop('lines')).strip('\n')
    return [c for c in cells if c['source']]


def notebook(cells: list[dict]):
    import nbformat
    v4 = nbformat.v4
    nb = v4.new_notebook(metadata={
        'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
        'language_info': {'name': 'python'}, 'annotated': {'title': TITLE, 'summary': SUMMARY}})
    for cell in cells:
        make = v4.new_markdown_cell if cell['cell_type'] == 'markdown' else v4.new_code_cell
        nb.cells.append(make(cell['source'], metadata=cell['metadata']))
    # Stable cell ids, so that a rebuild changes only what changed
    for i, cell in enumerate(nb.cells):
        cell['id'] = f'cell-{i + 1}'
    nbformat.validate(nb)
    return nb


def execute(nb, folder: Path, timeout: int = 300) -> float:
    r"""Runs `nb` top to bottom in a fresh kernel started in `folder`; returns the seconds taken.
    The kernel inherits this process's environment (`PYTHONPATH`, `OMP_NUM_THREADS`)."""
    from nbclient import NotebookClient
    start = time.perf_counter()
    # (No timing in the cells' metadata: a rebuild changes only what the cells print)
    NotebookClient(nb, timeout=timeout, kernel_name='python3', record_timing=False,
                   resources={'metadata': {'path': str(folder)}}).execute()
    return time.perf_counter() - start


def same_cells(a, b) -> bool:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in a.cells] == \
        [(c.cell_type, c.source, dict(c.metadata)) for c in b.cells]


def main() -> None:
    import nbformat
    parser = argparse.ArgumentParser(prog='python -m bench.notebook', description=__doc__.split('\n')[3])
    parser.add_argument('--check', action='store_true', help='only compare the saved notebook with its source')
    args = parser.parse_args()
    built = notebook(read_cells(SOURCE.read_text(encoding='utf-8')))
    if args.check:
        saved = nbformat.read(NOTEBOOK, as_version=4)
        if not same_cells(built, saved):
            print(f'{NOTEBOOK.relative_to(ROOT)} differs from {SOURCE.relative_to(ROOT)}; '
                  f'run `python -m bench.notebook`', file=sys.stderr)
            sys.exit(1)
        return
    os.environ['PYTHONPATH'] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])])
    with tempfile.TemporaryDirectory() as folder:
        seconds = execute(built, Path(folder))
    # The outputs say where the run went; a temporary folder's name would change every build
    text = nbformat.writes(built).replace(folder, '.')
    NOTEBOOK.write_text(text + '\n', encoding='utf-8')
    record = {'seconds': round(seconds, 1), 'cells': len(built.cells),
              'code_cells': sum(c.cell_type == 'code' for c in built.cells),
              'omp_num_threads': os.environ.get('OMP_NUM_THREADS', ''), 'cpus': os.cpu_count(),
              'python': platform.python_version(), 'machine': platform.machine(),
              'torch': __import__('torch').__version__}
    (RESULTS / 'notebook.json').write_text(json.dumps(record, indent=2) + '\n', encoding='utf-8')
    (RESULTS / 'notebook.md').write_text(
        '# The chapter notebook, run top to bottom\n\n'
        'The [chapter notebook](../../transformers/mlm/notebook.html), run in a fresh kernel by '
        '`python -m bench.notebook` ([how](../notebook.html)), from its first cell to its last, training '
        'included.\n\n'
        '| run time | cells | code cells | threads (`OMP_NUM_THREADS`) | CPUs | Python | torch |\n'
        '|---|---|---|---|---|---|---|\n'
        f"| {record['seconds']:.1f} s | {record['cells']} | {record['code_cells']} | "
        f"{record['omp_num_threads'] or 'unset'} | {record['cpus']} | {record['python']} | {record['torch']} |\n",
        encoding='utf-8')
    print(f"{seconds:.1f} s; wrote {NOTEBOOK.relative_to(ROOT)} and bench/results/notebook.md")


if __name__ == '__main__':
    main()
