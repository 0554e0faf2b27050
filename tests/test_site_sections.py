"""Unit tests of the site generator's core: the sectioning rules, Markdown and math.

The fixtures are small files under tests/fixtures/site/, each written to exercise some rules;
the expected line numbers below are the fixture's own (see `cat -n`).
"""
import ast
import re
import shutil
import warnings
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
        # A run of comments followed by a blank line is a note with no code; the comment
        # directly above `CONSTANT` is its prose
        ('A run of comments followed by a blank line', []),
        ('A comment directly above code is prose for that code.', [24]),
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


def test_a_blank_line_ends_a_comment_run(annotated):
    note, explained = annotated.sections[1:3]
    assert note.docs == ['A run of comments followed by a blank line', 'is a note of its own.']
    assert note.docs_lines == [20, 21] and note.note and note.code_lines == []
    assert explained.docs_lines == [23] and explained.code_lines == [24]


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


def test_the_run_chart_closes_the_measured_section(tmp_path):
    from site_src.project import measured_section
    page = tmp_path / 'page.py'
    page.write_text('"""\n# A page\n\nThe lead.\n"""\n\nx = 1\n\n\n# ## Measured\n#\n'
                    '# What the run gave.\ny = 2\n', encoding='utf-8')
    sections = parse_file(page, 'page.py').sections
    assert 'What the run gave.' in sections[measured_section(sections)].markdown
    # A page with no such section gets the chart after its lead
    assert measured_section(parse_file(FIXTURES / 'annotated.py', 'annotated.py').sections) == 0
    # Its anchor is not the page's own "Measured" heading's
    html = run_html(load_run(FIXTURES / 'default_run.json', 'default_run.json'))
    assert 'id="recorded-run"' in html and 'id="measured"' not in html


def test_chart_rejects_a_run_without_a_curve(tmp_path):
    (tmp_path / 'run.json').write_text('{"steps": 1}')
    with pytest.raises(SiteError, match='run.json: a run needs a non-empty `curve`'):
        load_run(tmp_path / 'run.json', 'run.json')


def test_nice_ticks_are_round():
    assert nice_ticks(0, 1000) == [0, 200, 400, 600, 800, 1000]
    assert nice_ticks(1.23, 3.61) == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    assert nice_ticks(0, 0.51) == [0, 0.2, 0.4, 0.6]


# ## Real-world sources
#
# Docstrings that are not raw strings, LaTeX environments without dollars, and comments
# separated from code by blank lines: sources written by others do all three.
CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f]')


def rendered(source):
    """The page body with its math rendered by KaTeX."""
    batch = MathBatch()
    body = page_body(source, batch)
    batch.render()
    return batch, batch.substitute(body)


def test_docstrings_are_taken_as_written_not_as_python_computes_them():
    source = parse('escapes.py')
    prose = source.sections[0].markdown
    # Python's value of this docstring holds a tab, a form feed, a bell, a backspace …
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        computed = ast.get_docstring(ast.parse(source.text), clean=False)
    assert '\t' in computed and '\x0c' in computed and '\\frac' not in computed
    # … the prose holds the TeX that was typed
    assert r'$\theta_t = \theta_{t-1} - \eta \nabla_\theta L$' in prose
    assert r'\frac{1}{n} \sum_i \vec{x}_i \\' in prose
    assert r'\left(\alpha \cdot \beta \ne 0\right) \bigg|_b' in prose
    assert not CONTROL.search(prose) and '\t' not in prose
    # Every prose line keeps its line number: "line 12" is line 12 of the file
    first = source.sections[0]
    assert first.docs_lines[first.docs.index('and line 12 still knows its number: $\\lambda_{12}$.')] == 12
    step = next(s for s in source.sections if s.docs and s.docs[0].startswith('One step'))
    assert step.docs_lines[step.docs.index('Line 22 holds this formula: $\\frac{a}{b}$.')] == 22
    assert step.code_lines == [18]


def test_escaped_formulas_reach_katex_as_typed_with_their_lines():
    source = parse('escapes.py')
    batch = MathBatch()
    page_body(source, batch)
    formulas = dict(zip([tex for tex, _ in batch.formulas], batch.places))
    assert formulas[r'\theta_t = \theta_{t-1} - \eta \nabla_\theta L'] == 'tests/fixtures/site/escapes.py:5'
    assert formulas[r'\lambda_{12}'] == 'tests/fixtures/site/escapes.py:12'
    assert formulas[r'\frac{a}{b}'] == 'tests/fixtures/site/escapes.py:22'
    assert r'\frac{1}{n} \sum_i \vec{x}_i \\' + '\n' + r'\left(\alpha \cdot \beta \ne 0\right) \bigg|_b' in formulas


@needs_katex
@pytest.mark.parametrize('name', ['escapes.py', 'environments.py'])
def test_no_control_character_reaches_the_html(name):
    _, html = rendered(parse(name))
    assert not CONTROL.search(html) and '\t' not in html
    assert 'class="katex' in html


def test_control_characters_in_code_are_shown_as_pictures(tmp_path):
    (tmp_path / 'ff.py').write_text('x = 1\n\x0c\ny = "\x07"\n')
    source = parse_file(tmp_path / 'ff.py', 'ff.py')
    html = page_body(source, MathBatch())
    assert not CONTROL.search(html)
    assert '\u240c' in html and '\u2407' in html
    # A form feed is not a line break: y is still on line 3
    assert '<span class="line" data-ln="3"><span class="n" data-id="y">' in html


ENVIRONMENTS = ['align', 'align*', 'equation', 'gather', 'aligned']


def test_environments_without_dollars_are_display_math():
    source = parse('environments.py')
    batch = MathBatch()
    html = page_body(source, batch)
    lines = {tex: int(place.rpartition(':')[2]) for (tex, _), place in zip(batch.formulas, batch.places)}
    assert all(display for _, display in batch.formulas)
    # Each environment as a paragraph of its own, once in the docstring (lines 1-36) and once
    # in the comment block (lines 39-70), each found on the line where it begins
    for env in ENVIRONMENTS:
        found = sorted(line for tex, line in lines.items() if tex.startswith(f'\\begin{{{env}}}\n'))
        assert [line for line in found if line <= 36] and [line for line in found if 39 <= line <= 70], env
        for line in found:
            assert f'\\begin{{{env}}}' in source.lines[line - 1] or source.lines[line - 1] == '$$'
    # Right after a line of text; and LaTeX's \[ … \]
    assert lines['\\begin{multline}\n\\alpha + \\beta \\\\\n= \\gamma\n\\end{multline}'] == 63
    assert lines['\\delta = \\epsilon'] == 70
    # The one already inside $$ keeps its dollars' meaning
    assert '\\begin{aligned}\np &= q\n\\end{aligned}' in lines
    # Nothing of it is left as text: no raw TeX, no <br> in the prose
    text = re.sub(r'<pre.*?</pre>', '', html, flags=re.DOTALL)
    assert '\\begin' not in text and '<br' not in text
    # The rows' `\\` survive, in a docstring that is not raw as well
    assert '\\begin{align}\n\\theta &= \\theta - \\eta \\nabla L \\\\\n\\lambda &= 2\n\\end{align}' in lines


@needs_katex
def test_environments_render_with_katex_including_ones_it_lacks():
    batch, html = rendered(parse('environments.py'))
    assert html.count('class="katex-display"') == len([f for f in batch.formulas if f[1]])
    # align and equation are numbered, as in LaTeX
    assert 'eqn-num' in html


def test_an_environment_needs_its_end_to_be_math():
    batch = MathBatch()
    html = render_markdown(['\\begin{align}', 'a &= b', '', 'text', '\\begin{unknown}', 'x',
                            '\\end{unknown}'], list(range(1, 8)), 'f.py', batch)
    assert batch.formulas == [] and '\\begin{align}' in html and '\\begin{unknown}' in html


def test_blank_lines_end_comment_runs():
    source = parse('blank_lines.py')
    assert summary(source) == [
        ('# Blank lines between comments and code', [5]),
        # A heading comment before a class, then blank lines: a note, not the class's prose
        ('## A heading comment before a class', []),
        ("The class's own docstring.", [12]),
        ('', [15]),
        # The commented-out last line of a method stays code, with the method
        ('Directly above a line: explains that line', [17, 18, 19]),
        ('', [21, 22]),
        ('A note at the top level, then a blank line', []),
        ('', [27]),
        ('Directly above: explains this constant', [29]),
        # A row of undocumented functions that a decorated one starts is one section, as on
        # upstream's pages; the comment above `third` ends the row
        ('', [32, 33, 34, 35, 36, 37, 38, 39]),
        ('Directly above a decorated function: explains it', [43, 44, 45]),
        ('A last note at the end of the file', []),
    ]
    notes = [s.docs[0] for s in source.sections if s.note]
    assert notes == ['## A heading comment before a class', 'A note at the top level, then a blank line',
                     'A last note at the end of the file']


# ## Prose tied to code
def test_code_spans_naming_code_are_tied_to_it():
    # The names of a page are those of its code, collected while it is highlighted
    source = parse('blank_lines.py')
    page_body(source, MathBatch())
    assert {'forward', 'LIMIT', 'SCALE', 'functools', 'Model', 'self'} <= source.names
    assert 'return' not in source.names and 'def' not in source.names
    batch = MathBatch()
    prose = render_markdown(['Set `batch_size`, call `Model.forward()`, not `unknown` or `x + 1`.'],
                            [1], 'f.py', batch, {'batch_size', 'forward'})
    assert '<code class="ref" data-ref="batch_size" tabindex="0">batch_size</code>' in prose
    assert '<code class="ref" data-ref="forward" tabindex="0">Model.forward()</code>' in prose
    assert '<code>unknown</code>' in prose and '<code>x + 1</code>' in prose


def test_formula_symbols_tied_to_code_make_a_focusable_formula():
    batch = MathBatch()
    html = render_markdown([r'Scale by $\sqrt{\code{d_k}}$ and $\codeas{batch_size}{B}$ and $x$.', '',
                            r'$$\code{W_{q}} x$$'], [1, 2, 3], 'f.py', batch)
    assert '<span class="math-ref" tabindex="0" data-refs="d_k">' in html
    assert '<span class="math-ref" tabindex="0" data-refs="batch_size">' in html
    assert '<div class="math-block" tabindex="0" data-refs="W_q">' in html
    # A formula without tied symbols is plain
    assert html.count('math-ref') == 2


@needs_katex
def test_katex_puts_the_name_on_the_symbol_and_refuses_outside_links():
    batch = MathBatch()
    render_markdown([r'$\code{d_k} + \codeas{batch_size}{B}$ and $a \label{eq:a}$ and $\mbox{ok}$'],
                    [1], 'f.py', batch)
    batch.render()
    html = batch.substitute(''.join(batch.html))
    assert 'data-code="d_k"' in html and 'data-code="batch_size"' in html
    batch = MathBatch()
    render_markdown(['', r'A link: $\href{https://example.org}{x}$'], [1, 2], 'f.py', batch)
    with pytest.raises(SiteError, match=r'^f.py:2: KaTeX cannot render \$\\href.*not allowed'):
        batch.render()


def test_code_blocks_and_source_view_are_focusable_and_named(annotated):
    html = page_body(annotated, MathBatch())
    assert re.search(r'<pre class="highlight" tabindex="0" role="group" aria-label="Code, lines 43–44">', html)
    from site_src.render import source_view
    view = source_view(annotated)
    assert view.startswith('<pre class="highlight source-view" tabindex="0" role="group" '
                           'aria-label="tests/fixtures/site/annotated.py, 59 lines">')
    assert view.count('<span class="line" id="L') == 59 and 'id="L59"' in view
    fenced = render_markdown(['```sh', 'pip install x', '```'], [1, 2, 3], 'f.py', MathBatch())
    assert fenced.startswith('<pre class="highlight" tabindex="0" role="group" aria-label="Code">')


def test_links_to_source_files_point_at_their_pages():
    html = render_markdown(['[lens](optics/lens.py), [pkg](pkg/__init__.py#x), [guide](../readme.md), '
                            '[web](https://x.org/a.md), [page](model.html#top)'], [1], 'f.py', MathBatch())
    for href in ('optics/lens.html', 'pkg/index.html#x', '../readme.html', 'https://x.org/a.md', 'model.html#top'):
        assert f'href="{href}"' in html


def test_line_links_go_to_the_repository_or_the_source_view(annotated):
    from site_src.render import SourceLinks
    in_site = page_body(annotated, MathBatch(), SourceLinks('../source/annotated.py.html', in_repository=False))
    assert 'href="../source/annotated.py.html?lines=43-45#L43"' in in_site
    assert 'annotated.py, lines 43–45, in the source view' in in_site


# ## Recorded results included in a hand-written page
def test_include_marker_takes_the_file_without_its_title_and_rebases_its_links(tmp_path):
    from site_src.render import include_files
    (tmp_path / 'bench/results').mkdir(parents=True)
    (tmp_path / 'bench/results/r.md').write_text(
        '# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nBy [`bench/r.py`](../r.html), see [top](#x) and '
        '[site](https://example.invalid/).\n')
    urls = {'bench/results/r.md': 'bench/results/r.html', 'bench/r.py': 'bench/r.html'}
    page = 'Intro.\n\n<!-- include bench/results/r.md -->\n\nAfter.\n'
    out = include_files(page, '', tmp_path, urls)
    assert '# Title' not in out and '| 1 | 2 |' in out and out.startswith('Intro.') and out.endswith('After.\n')
    # A link relative to the result's page now works from the including page, written to the
    # page's Markdown source as hand-written pages link generated pages (mkdocs checks those)
    assert '(bench/r.md)' in out
    # Anchors and absolute links are left alone
    assert '(#x)' in out and '(https://example.invalid/)' in out
    # From a page in a sub-folder
    assert '(../bench/r.md)' in include_files(page, 'docs', tmp_path, urls)
    # A link to something that is not a page is only re-based
    (tmp_path / 'bench/results/r.md').write_text('# T\n\n[data](../data.csv)\n')
    assert '(bench/data.csv)' in include_files(page, '', tmp_path, urls)
    # A marker inside a line is prose, not a marker
    assert include_files('see `<!-- include x.md -->` here', '', tmp_path, urls) == 'see `<!-- include x.md -->` here'


def test_include_marker_naming_no_source_is_an_error(tmp_path):
    from site_src.render import include_files
    with pytest.raises(SiteError, match='bench/results/missing.md is not one of the site'):
        include_files('<!-- include bench/results/missing.md -->\n', '', tmp_path, {})


# ## Shapes of real-world sources (the stranger's gallery, tests/fixtures/site/stranger)
GALLERY = FIXTURES / 'stranger'


def gallery(path):
    return parse_file(GALLERY / path, path)


def lines_of(source):
    """`{line number: prose line}` over every section."""
    return {n: d for s in source.sections for d, n in zip(s.docs, s.docs_lines)}


def test_numpy_sections_become_titles_and_list_items_on_their_own_lines():
    prose = lines_of(gallery('src/stargaze/styles/numpy_style.py'))
    assert prose[12] == '**Parameters**' and prose[13] == ''
    assert prose[14] == '- `flux` (*float or array_like*):'
    assert prose[15].strip() == 'The measured flux, in the units of `reference`.'
    assert prose[17] == '- `reference` (*float, optional*):'
    assert prose[24] == '- `float`:' and prose[29] == '- `ValueError`:'
    # The doctest is fenced Python; Notes stay prose
    assert prose[37] == '```pycon' and prose[38] == '>>> apparent_magnitude(100.0)' and prose[40] == '```'
    assert prose[34].startswith('Brighter stars have *smaller* magnitudes')


def test_google_sections_become_titles_and_list_items():
    source = gallery('src/stargaze/styles/google_style.py')
    prose = lines_of(source)
    assert prose[11] == '**Args:**'
    assert prose[12] == '- `parallax` (*float*): Annual parallax in arcseconds, $p > 0$.'
    # The continuation stays with its entry, indented less than a code block
    assert prose[14] == "    distance's error is propagated too."
    assert prose[20] == '- `ZeroDivisionError`: If `parallax` is zero.'
    html = render_markdown(source.sections[1].docs, source.sections[1].docs_lines, 'g.py', MathBatch())
    assert '<li><code>parallax</code> (<em>float</em>): Annual parallax' in html
    assert '<pre' not in html.split('Example')[0]


def test_rest_fields_directives_literal_blocks_and_roles():
    source = gallery('src/stargaze/styles/rest_style.py')
    prose = lines_of(source)
    assert source.sections[0].docs[0] == '# Brightness, documented with reStructuredText'
    assert prose[17] == '$$L = 4 \\pi R^2 \\sigma T^4$$'
    assert prose[19] == 'A log of readings looks like this:'
    assert prose[24] == '!!! note'
    assert prose[25].strip() == 'The radius is in metres; see `apparent_magnitude` for the'
    assert prose[26].strip() == 'magnitude and $\\sigma$ for the constant.'
    assert prose[28] == '- `radius`: Radius of the star, in metres.'
    assert prose[30] == '- `temperature` (*float*): Surface temperature, in kelvin.'
    assert prose[33] == '- Raises `ValueError`: If the temperature is negative.'
    batch = MathBatch()
    html = render_markdown(source.sections[1].docs, source.sections[1].docs_lines, 'r.py', batch)
    # The literal block is code: its stars are not emphasis
    assert '<em>bright</em>' not in html and '<pre class="highlight"' in html
    assert ('L = 4 \\pi R^2 \\sigma T^4', True) in batch.formulas and ('\\sigma', False) in batch.formulas
    assert '<div class="admonition note">' in html


def test_markdown_docstrings_pass_unchanged():
    from site_src.docstyles import convert
    from site_src.sections import docstring_lines, docstring_node, split_lines
    root = Path(__file__).resolve().parents[1]
    checked = 0
    for path in [*sorted((root / 'labml_nn').rglob('*.py')), *sorted((root / 'site_src').glob('*.py'))]:
        text = path.read_text(encoding='utf-8')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            tree = ast.parse(text)
        lines = split_lines(text)
        for node in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))]:
            doc = docstring_node(node.body, lines, 0 if node is tree else node.body[0].lineno - 1)
            if doc:
                docs, _ = docstring_lines(doc, lines)
                assert convert(docs)[0] == docs, (path, getattr(node, 'name', 'module'))
                checked += 1
    assert checked > 100


def test_angle_brackets_in_prose_are_text_and_known_elements_pass():
    html = render_markdown(['No explicit <EOS> token, <BLANKLINE>, SaveAt(ts=<array>), List<int>,',
                            'press <kbd>Ctrl</kbd>, <T> and <Path to file>.', '', '<BLANKLINE>', '',
                            '<details><summary>More</summary>', '', 'Hidden.', '', '</details>'],
                           list(range(1, 11)), 'f.py', MathBatch())
    for word in ('&lt;EOS&gt;', '&lt;BLANKLINE&gt;', 'SaveAt(ts=&lt;array&gt;)', 'List&lt;int&gt;', '&lt;T&gt;'):
        assert word in html, word
    assert '<kbd>Ctrl</kbd>' in html and '<details><summary>More</summary>' in html
    assert '<p>&lt;BLANKLINE&gt;</p>' in html


def test_math_is_found_before_lists_and_in_every_delimiter():
    source = gallery('src/stargaze/styles/quirks.py')
    batch = MathBatch()
    html = render_markdown(source.sections[0].docs, source.sections[0].docs_lines, 'q.py', batch)
    found = {tex: (display, int(place.rpartition(':')[2])) for (tex, display), place in zip(batch.formulas, batch.places)}
    assert found['a^2 + b^2 = c^2'] == (False, 8)
    assert found['e^{i\\pi} + 1 = 0'] == (True, 10)
    # Lines starting with +, -, * and 1. inside a formula are the formula's
    assert found['y_{n+1} = y_n + h \\sum_j b_j f_j\n+ W_n \\sum_j c_j g_j\n- V_n\n* U_n'] == (False, 16)
    assert found['k = 1 + 2 +\n1. + 3'] == (False, 21)
    assert '<ol' not in html and html.count('<ul>') == 1
    # An environment inside a list item, and math inside notes
    assert found['\\begin{align}\n  a &= b\n  \\end{align}'] == (True, 25)
    assert found['E = \\frac{1}{2} m v^2'] == (False, 30) and found['E_{n+1} = E_n'] == (True, 32)
    assert '<div class="admonition note">\n<p class="admonition-title">Energy is kept</p>' in html
    assert '<div class="admonition warning">' in html
    text = re.sub(r'<pre.*?</pre>|<code>.*?</code>', '', html, flags=re.S)
    assert '$' not in text and '\\' not in text


def test_math_in_code_stays_as_written():
    batch = MathBatch()
    html = render_markdown(['Prices: `$5 and $6`, $5 and $10.', '', '    indented $x$ code', '',
                            '```text', '$y$ \\begin{align}', '```'], list(range(1, 8)), 'f.py', batch)
    assert batch.formulas == []
    assert '<code>$5 and $6</code>' in html and 'indented $x$ code' in html and '$y$ \\begin{align}' in html


def test_notebook_cells_comments_in_calls_and_adjacent_string_docstrings():
    orbit = gallery('examples/orbits/orbit.py')
    assert summary(orbit) == [('# A circular orbit, cell by cell', []), ('', [7]),
                              ('**Set up the orbit**', [10, 11]),
                              ('The energy per unit mass is $E = \\frac{v^2}{2} - \\frac{1}{r}$.', []),
                              ('', [18, 19, 20, 21, 22, 23])]
    assert orbit.title == 'A circular orbit, cell by cell'
    quirks = gallery('src/stargaze/styles/quirks.py')
    integrate = next(s for s in quirks.sections if s.code_lines == [41])
    assert integrate.docs == ["Integrate $y' = f(y)$ from `y0` with Euler steps of size $h$.",
                              'Each step adds $h f(y_n)$.'] and integrate.docs_lines == [42, 43]
    # The comment inside the call and the one inside the signature annotate the lines below them
    assert [44, 45, 46] in [s.code_lines for s in quirks.sections]
    assert ('the slope at the current point', [48, 49, 50]) in summary(quirks)
    assert ('One step: $y + h$.', [53, 54]) in summary(quirks)
    assert ('a comment inside a signature annotates the parameter below it', [56, 57]) in summary(quirks)


def test_a_markdown_file_starting_with_a_blank_line_keeps_it():
    source = gallery('src/stargaze/styles/blank_start.md')
    assert source.lines[0] == '' and len(source.lines) == 5
    assert source.sections[0].docs_lines[0] == 2 and source.line_range(source.sections[0]) == (2, 5)


def test_escaped_brackets_are_text_unless_they_hold_tex_or_start_a_line():
    batch = MathBatch()
    html = render_markdown(['See \\[1\\] and \\[optional\\], but \\[x^2\\] and', '\\[', 'y', '\\]'],
                           [1, 2, 3, 4], 'f.py', batch)
    assert batch.formulas == [('x^2', True), ('y', True)]
    assert html.startswith('<p>See [1] and [optional], but ')


def test_front_matter_in_comments_is_hidden_and_a_html_heading_is_a_title():
    source = gallery('examples/orbits/header.py')
    assert source.title == 'Energy, checked'
    assert summary(source) == [('<h1>Energy, checked</h1>', []), ('', [15])]
    assert not any('jupytext' in line for s in source.sections for line in s.docs)
    # A row of dashes at the top that holds no YAML mapping is prose as usual
    assert comment_front_matter(['# ---', '# just a rule', '# ---'], {1: '---', 2: 'just a rule', 3: '---'}) == {}


def comment_front_matter(lines, comments):
    from site_src.sections import comment_front_matter as under_test
    return under_test(lines, comments)


def test_a_markdown_code_block_under_a_section_like_title_stays_code():
    from site_src.docstyles import convert
    markdown = ['Example:', '', '    x = 1', '    y = 2']
    assert convert(markdown) == (markdown, [0, 1, 2, 3])
    assert convert(['Args:', '    x (int): the x.'])[0] == ['**Args:**', '- `x` (*int*): the x.']


def test_a_space_before_the_closing_dollar_and_blank_lines_in_an_environment():
    batch = MathBatch()
    render_markdown(['If gated, $f(x W_1) \\otimes (x V) $', '', '$ python train.py and $ ls', '',
                     '\\begin{align}', '', 'a &= b \\\\', '', 'c &= d', '\\end{align}'],
                    list(range(1, 11)), 'f.py', batch)
    assert batch.formulas == [('f(x W_1) \\otimes (x V)', False),
                              ('\\begin{align}\n\na &= b \\\\\n\nc &= d\n\\end{align}', True)]


# ## Comments inside brackets, and rows of definitions
def test_a_comment_inside_brackets_annotates_the_lines_below_it():
    source = parse('annotations.py')
    assert summary(source) == [
        ('# Comments inside brackets', []),
        ('', [6, 7]),
        # Each entry of the dict beside its own note, as upstream's experiments read
        ('Batch size', [9]),
        # A note over two lines; the entry commented out below the next one stays code
        ('A sequence length of $32$, short to train fast;', [12, 13]),
        # English that Python parses ("Pad and crop" is a boolean expression) is still prose;
        # `# | charts[1]` starts with an operator and continues the expression: code
        ('Pad and crop', [15, 16, 17, 18, 19, 20]),
        # A call cut over two commented-out lines inside the brackets stays code, whole
        ('Merged, with a call cut over two lines commented out', [22, 23, 24, 25]),
        # Markdown list marks are not operators
        ('- Dropout, one of the list', [28]),
        # In a signature too
        ('', [31, 32]),
        ('the charts to merge into `a`', [34, 35, 36, 37]),
    ]
    assert source.sections[3].docs_lines == [10, 11]


@pytest.mark.parametrize('text, code', [
    ("'seq_len': 128,", True), ('| charts[1]', True), ('.to(device)', True), ('*args,', True),
    ('merge(a,\n      b)', True), ('lr=1e-4,', True), ('+ x * 2', True),
    ('Batch size', False), ('Pad and crop', False), ('Dropout', False), ('(optional)', False),
    ('Use [Noam](../noam.html)', False), ('[MLM](index.html)', False), ('- Dropout', False),
    ('**Note** this', False), ('Train for $32$ epochs', False), ('Pad, crop and flip', False),
    ('', False),
])
def test_commented_out_code_is_told_from_prose(text, code):
    from site_src.sections import commented_out
    assert commented_out(text) is code


def test_a_row_of_undocumented_definitions_started_by_a_decorated_one_is_one_section():
    source = parse('rows.py')
    assert summary(source) == [
        ('# Rows of definitions', [4]),
        # Undocumented definitions that no decorated one started: a section each
        ('', [7]),
        ('', [8, 9]),
        ('', [11, 12]),
        # `@property` starts a row: the next property and the method after it join it
        ('', [14, 15, 16, 17, 18, 19, 20, 21, 22, 23]),
        # A documented definition keeps its docstring beside its signature, and ends the row
        ('The one documented property, beside its signature.', [25, 26]),
        ('', [28]),
        ('', [30, 31]),
        # So does a comment
        ('A comment ends a row', [34, 35]),
        ('', [37, 38]),
        # A decorated function at the top level starts a row too
        ('', [41, 42, 43, 44, 45, 46, 47]),
    ]


def test_the_upstream_check_compares_section_starts_and_explains_differences(tmp_path, monkeypatch):
    """bench/upstream_structure.py on a tiny repository laid out as upstream's: a source and
    the page it publishes for it, in upstream's markup."""
    import subprocess
    import sys
    sys.path.insert(0, str(Path(__file__).parents[1] / 'bench'))
    try:
        import upstream_structure
    finally:
        sys.path.pop(0)
    repo = tmp_path / 'upstream'
    (repo / 'labml_nn').mkdir(parents=True)
    (repo / 'docs').mkdir()
    (repo / 'labml_nn' / '__init__.py').write_text('"""\n# Tiny\n"""\nimport os\n\n\n# Explains f\n'
                                                   'def f():\n    return 1\n')
    (repo / 'labml_nn' / 'conf.py').write_text("conf = {\n    # Batch size\n    'batch': 1,\n"
                                               "    # 'batch': 2,\n    'epochs': 3,\n}\n")

    def page(*sections):
        return ''.join(f"<div class='section' id='section-{i}'><div class='docs'></div><div class='code'>"
                       + '\n'.join(f'<span class="lineno">{n}</span><span>{text}</span>' for n, text in code)
                       + '</div></div>' for i, code in enumerate(sections))
    (repo / 'docs' / 'index.html').write_text(page([(4, 'import os')], [(8, 'def f():'), (9, '    return 1')]))
    # Upstream makes the commented-out entry prose, which starts a section at `'epochs'`
    (repo / 'docs' / 'conf.html').write_text(page([(1, 'conf = {')], [(3, "    'batch': 1,")],
                                                  [(5, "    'epochs': 3,"), (6, '}')]))
    for args in (['init', '-q'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x']):
        subprocess.run(['git', '-C', str(repo), *args], check=True)
    commit = subprocess.run(['git', '-C', str(repo), 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout
    monkeypatch.setattr(upstream_structure, 'COMMIT', commit.strip())
    result = upstream_structure.measure(repo)
    figures = result['figures']
    assert (figures['pages'], figures['same_structure'], figures['crashes'], figures['unexplained']) == (2, 1, 0, 0)
    [differs] = result['pages']
    assert differs['source'] == 'labml_nn/conf.py'
    assert differs['differences'] == [{'line': 5, 'starts_on': 'upstream', 'reason': 'commented_out'}]
    assert upstream_structure.missed(figures) == ['1 of 2 pages with the same structure, under 95%']
