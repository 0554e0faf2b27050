"""What the generator can't show as written is a warning and a fallback, not a failed build.

An image without a description, a mistyped directive (`.. math:`, `..math::`) and an unknown
one (`.. plot::`) each get a fallback on the page and a warning naming the file (and the line,
or the cell); mkdocs' `strict: true` turns the warnings into a failed build. Also here: `???`
notes that the reader opens, and drawings and aligned columns in docstrings kept as drawn.
The fixture project is tests/fixtures/site/fallbacks.
"""
import json
import re
import shutil
import sys
import textwrap
from html import unescape
from pathlib import Path

import pytest

from site_src.docstyles import convert
from site_src.katex import MathBatch
from site_src.notebooks import parse_notebook
from site_src.render import render_markdown
from test_site_build import mkdocs_build

ROOT = Path(__file__).resolve().parents[1]
FALLBACKS = ROOT / 'tests/fixtures/site/fallbacks'

needs_node = pytest.mark.skipif(shutil.which('node') is None or shutil.which('npm') is None,
                                reason='node and npm are needed to build the site (KaTeX)')


def prose_html(docstring: str, warnings: list | None = None, first_line: int = 1) -> str:
    """The HTML of a docstring's prose, as a page shows it (formulas left as placeholders)."""
    lines, origin = convert(textwrap.dedent(docstring).strip('\n').split('\n'))
    numbers = [first_line + i for i in origin]
    return render_markdown(lines, numbers, 'pkg/mod.py', MathBatch(),
                           warn=None if warnings is None else warnings.append)


# ## Notes that open and close
def test_question_marks_make_a_closed_details_and_a_plus_an_open_one():
    html = prose_html('''
        ??? note "Shapes"
            Hidden until opened.

        ???+ tip
            Open from the start.

        !!! warning "Always shown"
            A box.
        ''')
    closed, opened = re.findall(r'<details[^>]*>.*?</details>', html, re.S)
    assert closed.startswith('<details class="admonition note">')
    assert '<summary class="admonition-title">Shapes</summary>' in closed and 'Hidden until opened.' in closed
    assert opened.startswith('<details class="admonition tip" open>') and '<summary class="admonition-title">Tip</summary>' in opened
    # `!!!` stays a box that is always open
    assert '<div class="admonition warning">\n<p class="admonition-title">Always shown</p>' in html
    assert html.count('<details') == 2 and html.count('</summary>') == 2


# ## Drawings and aligned columns
def pre_blocks(html: str) -> list[str]:
    return [unescape(b) for b in re.findall(r'<pre class="highlight preformatted"[^>]*><code>(.*?)</code></pre>', html, re.S)]


def test_a_box_diagram_and_aligned_columns_keep_their_spaces():
    html = prose_html('''
        The pipeline:
        +-----------+      +---------+
        | tokenizer | ---> | encoder |
        +-----------+      +---------+

        tensor    shape        meaning
        tokens    (B, T)       token ids
        mask      (B, T)       where a token was hidden

        input --> [encoder] --> output
                      |
                      v
                   logits
        ''')
    assert pre_blocks(html) == [
        '+-----------+      +---------+\n| tokenizer | ---> | encoder |\n+-----------+      +---------+\n',
        'tensor    shape        meaning\ntokens    (B, T)       token ids\nmask      (B, T)       where a token was hidden\n',
        'input --> [encoder] --> output\n              |\n              v\n           logits\n']
    # The line that introduces a drawing stays prose
    assert '<p>The pipeline:</p>' in html


def test_box_drawing_characters_are_a_drawing():
    html = prose_html('''
        ┌──────┐
        │ cell │
        └──────┘
        ''')
    assert pre_blocks(html) == ['┌──────┐\n│ cell │\n└──────┘\n']


def test_a_grid_table_is_kept_and_its_rule_of_dashes_makes_no_heading():
    html = prose_html('''
        +-------+-------+
        | name  | value |
        +=======+=======+
        | a     | 1     |
        +-------+-------+
        ''')
    assert '<h2' not in html and '<h1' not in html
    assert pre_blocks(html) == ['+-------+-------+\n| name  | value |\n+=======+=======+\n| a     | 1     |\n+-------+-------+\n']


def test_prose_tables_and_lists_are_not_taken_for_drawings():
    html = prose_html('''
        A sentence.  Two spaces after the stop, as some writers type.
        Another line.  And another, which aligns by chance?  No.

        | name | kind |
        |------|------|
        | a    | b    |

        - first    item
        - second   item

        Args:
            x:      the input
            mask:   where to look
        ''')
    assert pre_blocks(html) == []
    assert '<table>' in html and html.count('<li>') >= 4
    assert '<p>A sentence.  Two spaces' in html


# ## Mistyped and unknown directives
def test_a_mistyped_math_directive_is_math_and_a_warning_naming_its_line():
    warnings = []
    html = prose_html('''
        The energy.

        .. math:
            E = m c^2

        ..math::

            p = m v
        ''', warnings, first_line=10)
    # Both are display math (each formula a placeholder for KaTeX), and nothing of the
    # directives is left as text
    assert html.count('<div class="math-block">') == 2 and '.. math' not in html and '..math' not in html
    assert warnings == ['pkg/mod.py:12: mistyped directive `.. math:`, read as `.. math::`; write `.. math::`',
                        'pkg/mod.py:15: mistyped directive `..math::`, read as `.. math::`; write `.. math::`']


def test_a_mistyped_math_directive_that_katex_could_not_read_is_shown_as_tex():
    warnings = []
    html = prose_html('''
        .. math:
            \\text{where m is the mass)
        ''', warnings)
    assert '<div class="math-block">' not in html and '\\text{where m is the mass)' in unescape(html)
    assert warnings == ['pkg/mod.py:1: mistyped directive `.. math:`, read as `.. math::` but shown as code, '
                        'since its braces do not pair up; write `.. math::`']


def test_an_unknown_directive_is_a_titled_note_or_code_and_a_warning():
    warnings = []
    html = prose_html('''
        .. rubric:: Units

           Joules, for a mass in kilograms.

        .. plot::

           plt.plot(masses)
        ''', warnings)
    assert '<p class="admonition-title">rubric: Units</p>\n<p>Joules, for a mass in kilograms.</p>' in html
    assert '<p><em>plot</em></p>\n<pre class="highlight"' in html and 'data-id="masses"' in html
    assert warnings == ['pkg/mod.py:1: unknown directive `.. rubric::`, shown as a note',
                        'pkg/mod.py:5: unknown directive `.. plot::`, shown as code']


def test_a_directive_in_a_fence_or_a_comment_in_prose_is_left_alone():
    warnings = []
    html = prose_html('''
        ```rst
        .. math:
            x
        ```

        An ellipsis... and a colon: fine.
        ''', warnings)
    assert warnings == [] and '.. math:\n    x' in unescape(html)


# ## Images without a description
def test_an_image_without_alt_gets_a_description_from_its_cell_or_its_place():
    warnings = []
    source, outputs = parse_notebook((FALLBACKS / 'pkg/figures.ipynb').read_text(encoding='utf-8'),
                                     'pkg/figures.ipynb', warnings.append)
    alts = [unescape(a) for html in outputs.values() for a in re.findall(r'alt="([^"]*)"', html)]
    assert alts == ['plot: training loss', 'Accuracy rising from 10% to 60% over 400 steps',
                    'plot of learning rate against step', 'figure 4 of Figures without descriptions']
    assert [w.split(' draws')[0] for w in warnings] == ['pkg/figures.ipynb: cell 2', 'pkg/figures.ipynb: cell 4',
                                                        'pkg/figures.ipynb: cell 5']
    assert all("give the cell an `alt` in its metadata" in w for w in warnings)


# ## The build: warnings, and `strict`
def fallback_project(tmp_path: Path, strict: bool) -> Path:
    project = tmp_path / 'project'
    shutil.copytree(FALLBACKS, project)
    (project / 'docs').mkdir()
    (project / 'mkdocs.yml').write_text(textwrap.dedent(f'''\
        site_name: Fallbacks
        use_directory_urls: false
        theme: {{name: null, custom_dir: {ROOT / 'site_src/theme'}}}
        plugins:
          - annotated: {{packages: {{pkg: ''}}, api: false}}
        ''') + ('strict: true\n' if strict else ''))
    return project


EXPECTED_WARNINGS = [
    'pkg/drawings.py:36: mistyped directive `.. math:`',
    'pkg/drawings.py:41: mistyped directive `..math::`',
    'pkg/drawings.py:45: unknown directive `.. plot::`',
    'pkg/drawings.py:49: unknown directive `.. rubric::`',
    'pkg/drawings.py:53: mistyped directive `.. math:`',
    'pkg/figures.ipynb: cell 2 draws an image without a description',
    'pkg/figures.ipynb: cell 4 draws an image without a description',
    'pkg/figures.ipynb: cell 5 draws an image without a description',
]


@needs_node
def test_the_build_warns_and_shows_fallbacks_and_strict_fails_it(tmp_path):
    project = fallback_project(tmp_path, strict=False)
    result = mkdocs_build(project / 'site', cwd=project, quiet=False)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith('WARNING')]
    assert len(warnings) == len(EXPECTED_WARNINGS), warnings
    for line, expected in zip(warnings, EXPECTED_WARNINGS):
        assert line.startswith(f'WARNING -  {expected}'), (line, expected)
    page = (project / 'site/drawings.html').read_text(encoding='utf-8')
    assert '<details class="admonition note">' in page and '<details class="admonition tip" open>' in page
    assert 'class="katex-display"' in page and '..math' not in page
    assert len(pre_blocks(page)) == 2
    figures = (project / 'site/figures.html').read_text(encoding='utf-8')
    assert 'alt="figure 4 of Figures without descriptions"' in figures

    strict = fallback_project(tmp_path / 'strict', strict=True)
    result = mkdocs_build(strict / 'site', cwd=strict, quiet=False)
    assert result.returncode == 1
    assert f'Aborted with {len(EXPECTED_WARNINGS)} warnings in strict mode' in result.stdout + result.stderr
    assert 'Traceback' not in result.stderr


@needs_node
def test_the_faithfulness_check_finds_no_crash_and_nothing_lost_in_the_fallbacks():
    sys.path.insert(0, str(ROOT / 'bench'))
    try:
        import faithfulness
    finally:
        sys.path.remove(str(ROOT / 'bench'))
    figures, problems = faithfulness.check(FALLBACKS)
    assert not problems, problems
    assert figures['build_crashes'] == 0 and figures['build_warnings'] == len(EXPECTED_WARNINGS)
    assert figures['files'] == 2 and figures['code_lines'] >= 9 and figures['prose_words'] > 100
    for key in ('code_lines_lost', 'code_lines_duplicated', 'code_lines_out_of_order', 'code_lines_altered',
                'prose_words_lost', 'formula_failures', 'raw_tex_left', 'line_links_broken'):
        assert figures[key] == 0, key


# A notebook that breaks nbformat's schema where Jupyter doesn't mind is still a page: cell
# ids in a notebook that says it is 4.4 (as diffrax's examples are), silently; anything else
# with a warning
def test_a_notebook_off_the_schema_is_still_a_page():
    nb = json.loads((FALLBACKS / 'pkg/figures.ipynb').read_text(encoding='utf-8'))
    nb['nbformat_minor'] = 4
    warnings = []
    source, _ = parse_notebook(json.dumps(nb), 'old.ipynb', warnings.append)
    assert not [w for w in warnings if 'not a valid notebook' in w]
    assert source.title == 'Figures without descriptions'
    nb['cells'][0]['colour'] = 'blue'
    warnings = []
    source, _ = parse_notebook(json.dumps(nb), 'odd.ipynb', warnings.append)
    assert len(source.sections) == 4
    assert [w for w in warnings if 'not a valid notebook' in w] == ["odd.ipynb: not a valid notebook (nbformat 4): Additional properties are not allowed "
                        "('colour' was unexpected); it is shown as far as it can be read"]


# `experiment.ipynb` beside `experiment.py` (20 such pairs in labmlai's annotated papers): both
# are pages, and neither the page nor the notebook of one takes the other's place
@needs_node
def test_a_notebook_beside_a_module_of_its_name_gets_a_page_of_its_own(tmp_path):
    project = fallback_project(tmp_path, strict=False)
    (project / 'pkg/figures.py').write_text('"""\n# The figures module\n"""\n\nFIGURES = 4\n', encoding='utf-8')
    result = mkdocs_build(project / 'site', cwd=project, quiet=False)
    assert result.returncode == 0, result.stderr
    site = project / 'site'
    assert 'The figures module' in (site / 'figures.html').read_text(encoding='utf-8')
    assert 'alt="plot: training loss"' in (site / 'figures-notebook.html').read_text(encoding='utf-8')
    # The module's notebook is made from its page; the notebook among the sources is copied as it is
    assert json.loads((site / 'figures.ipynb').read_text(encoding='utf-8'))['metadata']['annotated']['source'] == 'pkg/figures.py'
    assert (site / 'figures-notebook.ipynb').read_bytes() == (FALLBACKS / 'pkg/figures.ipynb').read_bytes()


# `mkdocs serve` keeps the pages that did not change from one build to the next: they still warn
@needs_node
def test_under_serve_an_unchanged_page_still_warns(tmp_path):
    from site_src.project import Caches, Project
    project = fallback_project(tmp_path, strict=False)
    caches = Caches()
    said = []
    for _ in range(2):
        build = Project(project, {'pkg': ''}, api=False, serving=True, caches=caches, notebooks=False)
        build.build(project / 'site')
        said.append([w.split(':')[0] + ':' + w.split(':')[1] for w in build.warnings])
        assert len(caches.pages) == 2
    assert said[0] == said[1] and len(said[0]) == len(EXPECTED_WARNINGS)
