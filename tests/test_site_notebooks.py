"""Every page as a notebook (site_src/notebooks.py): each annotated page of the built site has a
valid nbformat 4 notebook beside it and links to it; its cells hold the page's sections, in order,
with their source lines; the masking and experiment pages' notebooks run top to bottom in a fresh
kernel; with a GitHub `repo_url` pages link to Colab, without one they don't; `notebooks: false`
writes none. The chapter notebook's own test is tests/test_chapter_notebook.py."""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

nbformat = pytest.importorskip('nbformat', reason='the notebooks need nbformat (the `site` extra)')

from conftest import corpus_env, set_env  # noqa: E402
from site_src.notebooks import SiteLinks, page_notebook  # noqa: E402
from site_src.sections import parse_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which('node') is None or shutil.which('npm') is None,
                                reason='node and npm are needed to build the site (KaTeX)')


def annotated_pages(site: Path):
    """`(page, its notebook)` for every annotated page: those with the generator's sections."""
    for page in sorted(site.rglob('*.html')):
        rel = page.relative_to(site).as_posix()
        if rel.startswith(('api/', 'source/', 'search/', 'assets/')):
            continue
        text = page.read_text(encoding='utf-8')
        if 'id="annotated"' in text and 'class="annotated"' in text:
            yield page, page.with_suffix('.ipynb'), text


def test_every_page_has_a_valid_notebook_that_holds_its_sections(site_dir):
    pages = list(annotated_pages(site_dir))
    assert len(pages) > 30
    notebooks_in_sources = {p.read_bytes() for p in ROOT.glob('labml_nn/**/*.ipynb')}
    assert notebooks_in_sources
    for page, notebook, text in pages:
        assert notebook.is_file(), f'no notebook beside {page}'
        assert f'href="{notebook.name}" download class="notebook-link">Open as a notebook</a>' in text, page
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
        assert nb.nbformat == 4
        if 'source' not in nb.metadata.get('annotated', {}):
            # A notebook among the sources is its own page's notebook
            assert notebook.read_bytes() in notebooks_in_sources, page
            continue
        source_path = nb.metadata['annotated']['source']
        source = parse_file(ROOT / source_path, source_path)
        # Every section's prose, in order: a Markdown cell of its own (exactly as written), or
        # `#` comments inside the code cell of the statement it explains
        # (The page's own cells: not the setup cell, the exercises or the closing cell; their
        # links are the page's made absolute, or text where the site has no address)
        links = SiteLinks(nb.metadata['annotated']['page'], '')
        cells = [c for c in nb.cells if {'section', 'sections'} & set(c.metadata.get('annotated', {}))]
        markdown = [c for c in cells if c.cell_type == 'markdown']
        shown = [c.metadata['annotated']['section'] for c in markdown]
        assert shown == sorted(shown), page
        for cell in markdown:
            section = source.sections[cell.metadata['annotated']['section']]
            assert cell.source == links.markdown('\n'.join(section.docs)), (page, cell.metadata)
            assert [n for run in cell.metadata['annotated']['source_lines'] for n in range(run[0], run[1] + 1)] \
                == section.docs_lines
        code_cells = [c for c in cells if c.cell_type == 'code']
        in_cells = [n for c in code_cells for run in c.metadata['annotated']['source_lines']
                    for n in range(run[0], run[1] + 1)]
        assert in_cells == sorted(in_cells), page
        for i, section in enumerate(source.sections):
            assert set(section.code_lines) <= set(in_cells), (page, i)
            if i not in shown:
                # (inside a statement: its prose is comments in that statement's cell)
                cell = next(c for c in code_cells if i in c.metadata['annotated']['sections']
                            or set(section.docs_lines) & {n for r in c.metadata['annotated']['source_lines']
                                                          for n in range(r[0], r[1] + 1)})
                if cell.metadata['annotated'].get('as_written'):
                    # (a body that is all docstring: the statement's lines exactly as in the file)
                    assert set(section.docs_lines) <= set(in_cells), (page, i)
                    continue
                for line in links.markdown('\n'.join(section.docs)).split('\n'):
                    if line.strip():
                        assert ('# ' + line).rstrip() in cell.source, (page, i, line)
        # Each code cell is Python on its own, and no relative import is left
        for cell in code_cells:
            compile(cell.source.replace('%pip', '#pip'), str(notebook), 'exec')
            assert not re.search(r'^\s*from\s+\.', cell.source, re.M), (page, cell.source[:200])


@pytest.mark.parametrize('page', ['transformers/mlm/index.ipynb', 'transformers/mlm/experiment.ipynb'])
def test_page_notebooks_run_top_to_bottom_in_a_fresh_kernel(site_dir, tmp_path, monkeypatch, corpus, page):
    """The masking page (relative imports) and the experiment page (a script: `main()` under
    `if __name__ == '__main__'`) run as notebooks, from a folder that is not the checkout,
    their closing cells included: the masking page's masks a line and says what became of each
    chosen character, the experiment page's trains a few steps."""
    nbclient = pytest.importorskip('nbclient', reason='the `test` extra installs nbclient and ipykernel')
    nb = nbformat.read(site_dir / page, as_version=4)
    # The kernel inherits this environment: this checkout's code, one thread, the local corpus
    monkeypatch.setenv('PYTHONPATH', str(ROOT))
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    set_env(monkeypatch, corpus_env(corpus, tmp_path / 'cache'))
    nbclient.NotebookClient(nb, timeout=180, kernel_name='python3',
                            resources={'metadata': {'path': str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == 'code' and c.source.strip()]
    assert all(c.get('execution_count') for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == 'error']
    last = nb.cells[-1]
    assert 'closing' in last.metadata.get('tags', [])
    printed = ''.join(o.get('text', '') for o in last.outputs)
    if page.endswith('index.ipynb'):
        assert 'what became of it' in printed and 'hidden behind [MASK]' in printed
        assert 'the model sees:' in printed
    else:
        assert printed.count('masked characters right') >= 2
    # Nothing was written into the checkout, and the script did not start
    assert not (tmp_path / 'logs').exists()


# ## A small project of its own: the links to Colab, and the option
def small_project(tmp_path: Path, extra: str = '', plugin: str = '') -> Path:
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs/index.md').write_text('# Home\n')
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg/__init__.py').write_text('"""# The package"""\nfrom .mod import square\n')
    (tmp_path / 'pkg/mod.py').write_text(textwrap.dedent('''\
        r"""
        # Mod

        Squares, $x^2$.
        """
        from . import __name__ as package


        class Shape:
            """A shape."""
            # Its side
            side = 1

            def area(self):
                """The area, $s^2$."""
                # Multiply
                return self.side ** 2


        def square(x):
            return x * x
        '''))
    (tmp_path / 'mkdocs.yml').write_text(textwrap.dedent(f'''\
        site_name: t
        use_directory_urls: false
        {extra}
        theme: {{name: null, custom_dir: {ROOT / 'site_src/theme'}}}
        plugins:
          - annotated: {{packages: {{pkg: ''}}, api: false{plugin}}}
        '''))
    return tmp_path


def build(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(project / 'site')],
                          cwd=project, capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)})


def test_with_a_github_repo_url_pages_open_in_colab(tmp_path):
    project = small_project(tmp_path, 'repo_url: https://github.com/someone/project')
    result = build(project)
    assert result.returncode == 0, result.stderr
    page = (project / 'site/mod.html').read_text(encoding='utf-8')
    assert ('href="https://colab.research.google.com/github/someone/project/blob/gh-pages/mod.ipynb" '
            'class="colab-link">Open in Colab</a>') in page
    nb = json.loads((project / 'site/mod.ipynb').read_text(encoding='utf-8'))
    sources = [''.join(c['source']) for c in nb['cells']]
    # The relative import is absolute; the class is one cell, its methods' prose in comments
    assert any(s.startswith('from pkg import __name__ as package') for s in sources), sources
    shape = next(s for s in sources if s.startswith('class Shape:'))
    assert '    # The area, $s^2$.' in shape and '        return self.side ** 2' in shape
    assert '# Mod\n\nSquares, $x^2$.' in sources


def test_without_a_repo_url_there_is_no_colab_link(tmp_path):
    project = small_project(tmp_path)
    result = build(project)
    assert result.returncode == 0, result.stderr
    page = (project / 'site/mod.html').read_text(encoding='utf-8')
    assert 'Open as a notebook' in page
    assert 'colab' not in page.lower()


def test_a_repository_elsewhere_gets_no_colab_link(tmp_path):
    project = small_project(tmp_path, 'repo_url: https://gitlab.com/someone/project')
    assert build(project).returncode == 0
    assert 'colab' not in (project / 'site/mod.html').read_text(encoding='utf-8').lower()


def test_notebooks_false_writes_none_and_links_none(tmp_path):
    project = small_project(tmp_path, 'repo_url: https://github.com/someone/project', ', notebooks: false')
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert list((project / 'site').rglob('*.ipynb')) == []
    page = (project / 'site/mod.html').read_text(encoding='utf-8')
    assert 'Open as a notebook' not in page and 'colab' not in page.lower()


def test_install_cell_installs_only_when_the_package_is_missing(tmp_path):
    project = small_project(tmp_path, '', ', notebook_install: "git+https://github.com/someone/project"')
    assert build(project).returncode == 0
    nb = nbformat.read(project / 'site/mod.ipynb', as_version=4)
    install = next(c for c in nb.cells if c.cell_type == 'code')
    assert "if importlib.util.find_spec('pkg') is None:" in install.source
    assert '%pip install --quiet git+https://github.com/someone/project' in install.source


# ## What a page's notebook adds: setup, exercises, a closing cell, links that work anywhere
LINK = re.compile(r'\]\(([^)\s]+)')
# The lesson's pages and the encoder's each end their notebook by putting the page to work
CLOSED = ['labml_nn/transformers/mlm/readme.md', 'labml_nn/transformers/mlm/__init__.py',
          'labml_nn/transformers/mlm/model.py', 'labml_nn/transformers/mlm/data.py',
          'labml_nn/transformers/mlm/experiment.py', 'labml_nn/transformers/embeddings.py',
          'labml_nn/transformers/mha.py', 'labml_nn/transformers/feed_forward.py',
          'labml_nn/transformers/models.py']


def companion_code(path: Path) -> str:
    """A `.notebook.py` without its docstring: the closing cell's code."""
    import ast
    text = path.read_text(encoding='utf-8')
    tree = ast.parse(text)
    first = tree.body[0]
    skip = first.end_lineno if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) else 0
    return '\n'.join(text.split('\n')[skip:]).strip('\n')


def test_page_notebooks_start_with_setup_carry_exercises_and_end_with_the_closing_cell(site_dir):
    closed = set()
    for page, notebook, _ in annotated_pages(site_dir):
        nb = nbformat.read(notebook, as_version=4)
        if 'source' not in nb.metadata.get('annotated', {}):
            continue
        source = ROOT / nb.metadata['annotated']['source']
        stem = source.name[:-len(source.suffix)]
        # Setup first: it checks that the package imports
        first = nb.cells[0]
        assert first.cell_type == 'code' and first.metadata['tags'] == ['setup'], page
        assert "if importlib.util.find_spec('" in first.source, page
        # The exercises: an empty cell to try each one, then its solution; quizzes as Markdown
        exercises = source.with_name(stem + '.exercises.md')
        cells = [c for c in nb.cells if 'exercises' in c.metadata.get('annotated', {})]
        if exercises.is_file():
            text = exercises.read_text(encoding='utf-8')
            tries = [i for i, c in enumerate(nb.cells) if c.metadata.get('annotated', {}).get('exercises') == 'try']
            assert len(tries) == text.count('<details>') >= 3, page
            for i in tries:
                assert nb.cells[i].cell_type == 'code' and nb.cells[i].source == '', page
                assert nb.cells[i + 1].source.startswith('<details><summary>Solution'), page
            markdown = '\n'.join(c.source for c in cells if c.cell_type == 'markdown')
            assert markdown.count('**Quiz.**') == text.count('```quiz') >= 2, page
            assert '```quiz' not in markdown and markdown.count('<summary>Answer</summary>') == text.count('```quiz')
        else:
            assert cells == [], page
        # The closing cell, last
        companion = source.with_name(stem + '.notebook.py')
        if companion.is_file():
            closed.add(nb.metadata['annotated']['source'])
            assert nb.cells[-1].metadata['tags'] == ['closing'], page
            assert nb.cells[-1].source == companion_code(companion), page
        else:
            assert not any('closing' in c.metadata.get('tags', []) for c in nb.cells), page
        # No link to a page of the site is left relative: this site has no `site_url`, so each
        # is its text and the page's path
        for cell in nb.cells:
            if cell.cell_type == 'markdown':
                for target in LINK.findall(SiteLinks.CODE.sub('', cell.source)):
                    assert re.match(r'[a-z]+:', target), (page, target)
    assert set(CLOSED) <= closed, set(CLOSED) - closed


def test_with_a_site_url_links_are_absolute():
    rel = 'labml_nn/transformers/mlm/model.py'
    source = parse_file(ROOT / rel, rel)
    nb = page_notebook(source, '.', '', 'transformers/mlm/model.html', site_url='https://site.test/docs/')
    targets = [t for c in nb.cells if c.cell_type == 'markdown' for t in LINK.findall(c.source)]
    assert len(targets) > 3 and all(t.startswith(('https://', 'http://')) for t in targets), targets
    # Resolved from the page's folder, `../` included, and a source file's link goes to its page
    text = '\n'.join(c.source for c in nb.cells)
    assert '(https://site.test/docs/transformers/embeddings.html)' in text
    assert 'https://site.test/docs/transformers/mlm/model.html' in nb.cells[0].source
    links = SiteLinks('transformers/mlm/model.html', 'https://site.test')
    assert links.markdown('[the data](data.py#windows), `[x](y.html)`, [paper](https://arxiv.org/x)') == \
        '[the data](https://site.test/transformers/mlm/data.html#windows), `[x](y.html)`, [paper](https://arxiv.org/x)'
    assert links.markdown('[`model.py`](model.py) and\n```\n[a](b.html)\n```') == \
        '[`model.py`](https://site.test/transformers/mlm/model.html) and\n```\n[a](b.html)\n```'
    assert links.markdown('[how far the\ntests allow](../../bench/x.html)') == \
        '[how far the\ntests allow](https://site.test/bench/x.html)'
    assert SiteLinks('transformers/mlm/model.html', '').markdown('see [the layers](../models.html)') == \
        'see the layers (`transformers/models.html` in the site)'


def test_a_small_project_gets_exercises_a_closing_cell_and_absolute_links(tmp_path):
    project = small_project(tmp_path, 'site_url: https://site.test/')
    mod = project / 'pkg/mod.py'
    mod.write_text(mod.read_text().replace('Squares, $x^2$.', 'Squares, $x^2$, [the package](__init__.py).'))
    (project / 'pkg/mod.exercises.md').write_text(textwrap.dedent('''\
        ## Exercises

        **1. Cubes.** Write `cube(x)`.

        <details><summary>Solution</summary>

        `x * x * x`

        </details>

        ```quiz
        question: What is the square of 3?
        choices:
          - text: "9"
            right: true
            why: 3 times 3.
          - text: "6"
            why: That is 3 plus 3.
        ```
        '''))
    (project / 'pkg/mod.notebook.py').write_text('"""## Try it"""\nprint(square(7), Shape().area())\n')
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert not (project / 'site/mod.notebook.html').exists()
    nb = nbformat.read(project / 'site/mod.ipynb', as_version=4)
    sources = [c.source for c in nb.cells]
    assert nb.cells[0].metadata['tags'] == ['setup'] and 'https://site.test/mod.html' in sources[0]
    assert any('[the package](https://site.test/index.html)' in s for s in sources), sources
    i = sources.index('')
    assert sources[i - 1].endswith('**1. Cubes.** Write `cube(x)`.') and sources[i + 1].startswith('<details>')
    assert any(s.startswith('**Quiz.** What is the square of 3?') and '- (a) **Right.** 3 times 3.' in s
               for s in sources), sources
    assert sources[-2:] == ['## Try it', 'print(square(7), Shape().area())']
    # It runs: the closing cell uses what the page defined
    nbclient = pytest.importorskip('nbclient', reason='the `test` extra installs nbclient and ipykernel')
    env = {'PYTHONPATH': str(project)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name='python3',
                                resources={'metadata': {'path': str(tmp_path)}}).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert ''.join(o.get('text', '') for o in nb.cells[-1].outputs) == '49 1\n'
