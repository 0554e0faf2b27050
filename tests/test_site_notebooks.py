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
        cells = [c for c in nb.cells if not c.metadata.get('annotated', {}).get('generated')]
        markdown = [c for c in cells if c.cell_type == 'markdown']
        shown = [c.metadata['annotated']['section'] for c in markdown]
        assert shown == sorted(shown), page
        for cell in markdown:
            section = source.sections[cell.metadata['annotated']['section']]
            assert cell.source == '\n'.join(section.docs), (page, cell.metadata)
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
                for line in section.docs:
                    if line.strip():
                        assert ('# ' + line).rstrip() in cell.source, (page, i, line)
        # Each code cell is Python on its own, and no relative import is left
        for cell in code_cells:
            compile(cell.source.replace('%pip', '#pip'), str(notebook), 'exec')
            assert not re.search(r'^\s*from\s+\.', cell.source, re.M), (page, cell.source[:200])


@pytest.mark.parametrize('page', ['transformers/mlm/index.ipynb', 'transformers/mlm/experiment.ipynb'])
def test_page_notebooks_run_top_to_bottom_in_a_fresh_kernel(site_dir, tmp_path, monkeypatch, page):
    """The masking page (relative imports) and the experiment page (a script: `main()` under
    `if __name__ == '__main__'`) run as notebooks, from a folder that is not the checkout."""
    nbclient = pytest.importorskip('nbclient', reason='the `test` extra installs nbclient and ipykernel')
    nb = nbformat.read(site_dir / page, as_version=4)
    # The kernel inherits this environment: this checkout's code, one thread
    monkeypatch.setenv('PYTHONPATH', str(ROOT))
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    nbclient.NotebookClient(nb, timeout=120, kernel_name='python3',
                            resources={'metadata': {'path': str(tmp_path)}}).execute()
    assert any(c.cell_type == 'code' and c.get('execution_count') for c in nb.cells)
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
