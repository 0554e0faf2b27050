"""Unit tests of the site generator's core: the sectioning rules, Markdown and math.

The fixtures are small files under tests/fixtures/site/, each written to exercise some rules;
the expected line numbers below are the fixture's own (see `cat -n`).
"""
import re
import shutil
from pathlib import Path

import pytest

from site_src import SiteError
from site_src.chart import load_run, nice_ticks, run_html
from site_src.katex import MathBatch
from site_src.render import page_body, render_markdown
from site_src.sections import parse_file

FIXTURES = Path(__file__).parent / 'fixtures' / 'site'
# KaTeX is fetched with npm the first time it is needed; without node and npm it can't be
needs_katex = pytest.mark.skipif(shutil.which('node') is None or shutil.which('npm') is None,
                                 reason='node and npm are needed to render math (KaTeX)')


def parse(name):
    return parse_file(FIXTURES / name, f'tests/fixtures/site/{name}')


@pytest.fixture(scope='module')
def annotated():
    return parse('annotated.py')


def summary(source):
    """`(first prose line, code line numbers)` of each section."""
    return [(s.docs[0] if s.docs else '', s.code_lines) for s in source.sections]


def test_front_matter_feeds_title_and_summary_and_is_not_prose(annotated):
    assert annotated.title == 'A fixture page'
    assert annotated.summary == 'Small code that exercises every sectioning rule.'
    prose = annotated.sections[0].markdown
    assert 'title:' not in prose and '---' not in prose
    assert prose.startswith('# Fixture')


def test_module_docstring_is_section_zero_with_the_imports(annotated):
    first = annotated.sections[0]
    # The docstring's lines keep their numbers: "# Fixture" is line 7 of the file
    assert first.docs_lines[0] == 7
    assert first.code_lines == [16, 17]


def test_every_rule_on_the_fixture(annotated):
    assert summary(annotated) == [
        ('# Fixture', [16, 17]),
        # A run of comments, with a blank line inside, is prose for the code below
        ('A run of comments is prose', [24]),
        # A def without a docstring: one section, no prose
        ('', [27, 28]),
        # Decorators belong to the signature; the raw docstring is prose beside it
        ('Docstring beside a decorated signature, with $\\beta$.', [31, 32, 33]),
        # The body after a docstring starts a section of its own
        ('', [35]),
        ('A class docstring.', [38]),
        ('', [41]),
        # A two-line signature stays together beside its docstring
        ('A method docstring, beside a two-line signature.', [43, 44]),
        # A comment right after the docstring starts the body section with prose; the blank
        # line inside the body stays, the end-of-line comment stays in the code
        ('Comment inside the body', [47, 48, 49]),
        ('Outer.', [51]),
        # A nested function starts a section too
        ('Inner.', [53]),
        ('', [55, 56]),
        # A docstring on the signature's line has no line of its own: it stays code
        ('', [59]),
    ]


def test_comment_runs_join_across_blank_lines_as_paragraphs(annotated):
    run = annotated.sections[1]
    assert run.docs == ['A run of comments is prose', 'for the code below it.', '',
                        'A blank line inside the run keeps it together.']
    assert run.docs_lines == [20, 21, 22, 23]


def test_end_of_line_comments_stay_in_the_code(annotated):
    html = page_body(annotated, MathBatch())
    assert 'end-of-line comment stays in the code' in html
    assert 'and one at the end of a line' in html
    # ...while full-line comments left the code column: they appear once, as prose
    assert html.count('Comment inside the body') == 1
    assert '<p>Comment inside the body</p>' in html


def test_no_front_matter_takes_the_first_heading():
    source = parse('no_front_matter.py')
    assert source.title == 'Just a heading'
    assert source.summary == ''
    assert summary(source) == [('# Just a heading', [6])]


def test_tool_comments_stay_code_and_prose_joins_the_function_below():
    source = parse('no_docstring.py')
    # The `#!` line is not prose; the comment above `def f` moves into f's section
    assert summary(source) == [('', [1, 2]), ('Comment above a function without a docstring', [6, 7])]


def test_readme_is_one_section_without_code():
    source = parse('readme.md')
    assert source.kind == 'markdown'
    assert source.title == 'A readme fixture'
    assert len(source.sections) == 1 and source.sections[0].code_lines == []
    assert source.sections[0].docs_lines[0] == 6


def test_empty_file_has_no_sections(tmp_path):
    (tmp_path / 'empty.py').write_text('\n\n')
    assert parse_file(tmp_path / 'empty.py', 'empty.py').sections == []


def test_invalid_utf8_names_the_file_and_line():
    with pytest.raises(SiteError, match=r'^tests/fixtures/site/latin1.py.txt:1: not valid UTF-8'):
        parse('latin1.py.txt')


def test_invalid_python_names_the_file_and_line():
    with pytest.raises(SiteError, match=r'^tests/fixtures/site/invalid.py.txt:4: not valid Python'):
        parse('invalid.py.txt')


def test_bad_front_matter_names_the_line(tmp_path):
    (tmp_path / 'bad.py').write_text('"""\n---\ntitle: [unclosed\n---\n"""\n')
    with pytest.raises(SiteError, match=r'^bad.py:\d+: front matter is not valid YAML'):
        parse_file(tmp_path / 'bad.py', 'bad.py')


def test_code_is_highlighted_with_line_numbers_and_identifiers(annotated):
    html = page_body(annotated, MathBatch(), 'https://example.org/repo/blob/main/annotated.py')
    assert '<span class="line" data-ln="47">' in html
    assert 'data-id="total"' in html
    assert '<span class="k">return</span>' in html
    # One permalink and one source link per section, to the section's exact lines
    assert len(re.findall(r'class="permalink" href="#section-(\d+)"', html)) == len(annotated.sections)
    assert "href=\"https://example.org/repo/blob/main/annotated.py#L43-L45\"" in html


def test_math_is_kept_away_from_markdown():
    batch = MathBatch()
    html = render_markdown(['Here $a_i * b_j$ and *this* stays emphasis.'], [1], 'f.py', batch)
    assert batch.formulas == [('a_i * b_j', False)]
    assert '<em>this</em>' in html and 'a_i' not in html


def test_display_math_mid_paragraph_and_on_its_own():
    batch = MathBatch()
    render_markdown(['Text $$x^2$$ more text.', '', '$$', 'y', '$$'], [10, 11, 12, 13, 14], 'f.py', batch)
    assert batch.formulas == [('x^2', True), ('y', True)]
    # Each remembers its source line, for error messages
    assert batch.places == ['f.py:10', 'f.py:12']


def test_math_in_code_spans_is_not_math():
    batch = MathBatch()
    render_markdown(['Write `$x$` for math.'], [1], 'f.py', batch)
    assert batch.formulas == []


@needs_katex
def test_katex_renders_html_and_mathml(annotated):
    batch = MathBatch()
    body = page_body(annotated, batch)
    batch.render()
    html = batch.substitute(body)
    assert '<math' in html and 'class="katex"' in html and 'katex-display' in html
    assert '$' not in re.sub(r'<pre.*?</pre>|<annotation.*?</annotation>', '', html, flags=re.S)


@needs_katex
def test_tex_katex_rejects_names_file_and_line():
    source = parse('bad_tex.py')
    batch = MathBatch()
    page_body(source, batch)
    with pytest.raises(SiteError) as error:
        batch.render()
    message = str(error.value)
    # Line 10 of the fixture holds the bad formula; the good one on line 8 is not blamed
    assert message.startswith('tests/fixtures/site/bad_tex.py:10: KaTeX cannot render $\\frac{1}{$')
    assert 'x^2' not in message


def test_chart_is_an_accessible_svg():
    run = load_run(FIXTURES / 'default_run.json', 'default_run.json')
    html = run_html(run)
    assert html.count('<svg') == 2 and html.count('role="img"') == 2
    assert '<title id="run-loss-title">' in html and 'training step' in html
    assert '49.0%' in html  # the final validation accuracy, in the text
    # The point without validation values is skipped, not drawn at zero
    valid_path = re.search(r'<path class="series valid" d="([^"]+)"', html).group(1)
    assert valid_path.count('L') == 3


def test_chart_rejects_a_run_without_a_curve(tmp_path):
    (tmp_path / 'run.json').write_text('{"steps": 1}')
    with pytest.raises(SiteError, match='run.json: a run needs a non-empty `curve`'):
        load_run(tmp_path / 'run.json', 'run.json')


def test_nice_ticks_are_round():
    assert nice_ticks(0, 1000) == [0, 200, 400, 600, 800, 1000]
    assert nice_ticks(1.23, 3.61) == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    assert nice_ticks(0, 0.51) == [0, 0.2, 0.4, 0.6]
