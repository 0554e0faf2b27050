"""
The lesson's code fits its page: no line over the limit that the lesson folder's ruff config
sets (ruff's E501), in the modules and in the chapter notebook's code cells. The check is done
here as ruff does it, so the suite needs no linter installed; `ruff check labml_nn` applies the
same config in an editor or CI.
"""
import json
import tomllib

import pytest

from conftest import ROOT

LESSON = ROOT / 'labml_nn/transformers/mlm'
CONFIG = tomllib.loads((LESSON / 'ruff.toml').read_text(encoding='utf-8'))
LIMIT = CONFIG['line-length']


def test_the_lesson_folder_enforces_its_line_length():
    # The root config still applies (it extends it), and the line length is selected as a rule
    assert (LESSON / CONFIG['extend']).resolve() == ROOT / 'ruff.toml'
    assert LIMIT == 100
    assert 'E501' in CONFIG['lint']['select']


def too_long(lines) -> list:
    r"""`(line number, length)` of each line over the limit, with E501's exemptions: a line that is
    one word (no whitespace, e.g. a URL alone), or whose last word holds a URL (`://`) that
    starts within the limit."""
    found = []
    for n, line in enumerate(lines, 1):
        if len(line) <= LIMIT:
            continue
        words = line.split()
        if len(words) == 1:
            continue
        if '://' in words[-1] and len(line) - len(words[-1]) <= LIMIT:
            continue
        found.append((n, len(line)))
    return found


def test_too_long_follows_ruff():
    url = '[site](https://a.org/' + 'p' * LIMIT + ')'
    assert too_long(['x' * LIMIT, 'y = ' + 'z' * LIMIT, '# see ' + url, '    ' + 'w' * (LIMIT + 1),
                     '# ' + 'v' * LIMIT + ' ' + url]) == [(2, LIMIT + 4), (5, 2 * LIMIT + 25)]


LESSON_FILES = sorted(p.name for p in LESSON.iterdir() if p.suffix in ('.py', '.ipynb'))


@pytest.mark.parametrize('name', LESSON_FILES)
def test_lesson_code_fits(name):
    path = LESSON / name
    if path.suffix == '.ipynb':
        cells = json.loads(path.read_text(encoding='utf-8'))['cells']
        found = [(f'cell {i}', n, length) for i, cell in enumerate(cells) if cell['cell_type'] == 'code'
                 for n, length in too_long(''.join(cell['source']).splitlines())]
    else:
        found = too_long(path.read_text(encoding='utf-8').splitlines())
    assert not found, f'{name}: lines over {LIMIT} characters (line, length): {found}'
