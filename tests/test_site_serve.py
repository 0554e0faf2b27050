r"""`mkdocs serve` recovers when a broken formula is fixed.

Under `mkdocs serve` one plugin object lives through every rebuild, and with it the caches of
the last build: the typeset formulas, the unchanged pages and the API reference, which pdoc
refreshes in the background. A writer who breaks a formula in a docstring and then fixes it
must get the site back at the next save: the build after the fix succeeds, and the page is
served at once (mkdocs holds every page request while the last build has failed, so a stale
broken formula in a cache would make the browser wait until the next save).

Two tests, on a small project of their own with a formula in a docstring (on its annotated
page and in its API reference):

* the real `mkdocs serve`, edited as a writer edits, with every wait bounded;
* the same builds driven in-process as `mkdocs serve` drives them (one `Project` per build,
  one `Caches` for all), waiting for pdoc's background refresh between them, so that the
  order of events is the one that left the broken formula in the cache.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which('node') is None,
                                reason='node is needed to typeset the math (KaTeX)')

GOOD = r'The softmax $\sigma(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}$ of a vector.'
BROKEN = r'The softmax $\sigma(x)_i = \frac{e^{x_i}}{$ of a vector.'
# A fix that is not the text as it was before the break
OTHER_FIX = r'The softmax $\sigma(x)_i = e^{x_i} / \sum_j e^{x_j}$ of a vector.'


def module(sentence: str) -> str:
    return textwrap.dedent('''\
        r"""
        # Softmax

        Turns scores into probabilities.
        """


        def softmax(x):
            r"""%s"""
            return x
        ''') % sentence


def small_project(folder: Path, sentence: str = GOOD) -> Path:
    (folder / 'docs').mkdir(parents=True)
    (folder / 'docs/index.md').write_text('# Home\n')
    (folder / 'mypkg').mkdir()
    (folder / 'mypkg/__init__.py').write_text('')
    (folder / 'mypkg/softmax.py').write_text(module(sentence))
    (folder / 'mkdocs.yml').write_text(textwrap.dedent(f'''\
        site_name: t
        use_directory_urls: false
        theme: {{name: null, custom_dir: {ROOT / 'site_src/theme'}}}
        plugins:
          - annotated: {{packages: {{mypkg: mypkg}}}}
        '''))
    return folder


# ## The real server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    """`mkdocs serve` in a child process; its log is read by a thread as it is written."""

    def __init__(self, project: Path):
        self.port = free_port()
        env = {**os.environ, 'PYTHONPATH': os.pathsep.join(
            [p for p in [os.environ.get('PYTHONPATH'), str(ROOT)] if p]), 'PYTHONDONTWRITEBYTECODE': '1'}
        self.proc = subprocess.Popen([sys.executable, '-m', 'mkdocs', 'serve',
                                      '-a', f'127.0.0.1:{self.port}'], cwd=project, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = []
        self.reader = threading.Thread(target=self.log.extend, args=(self.proc.stdout,), daemon=True)
        self.reader.start()

    def text(self) -> str:
        return ''.join(self.log)

    def wait_for_log(self, pattern: str, after: int, timeout: float) -> bool:
        """Whether `pattern` shows in the log after its first `after` characters, in time."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.text()[after:]):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def get(self, path: str, timeout: float) -> str:
        with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/{path}', timeout=timeout) as r:
            return r.read().decode('utf-8')

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_mkdocs_serve_recovers_after_a_broken_formula_is_fixed(tmp_path):
    project = small_project(tmp_path / 'project')
    source = project / 'mypkg/softmax.py'
    server = Server(project)
    try:
        assert server.wait_for_log(r'Serving on', 0, 120), server.text()[-2000:]
        assert 'katex' in server.get('api/mypkg/softmax.html', timeout=10)
        # Break the formula: the rebuild fails with one line naming the file and the formula,
        # and pdoc's background refresh (which also meets the broken formula) ends
        mark = len(server.text())
        source.write_text(module(BROKEN))
        assert server.wait_for_log(r'mypkg/softmax\.py:\d+: KaTeX cannot render', mark, 60), server.text()[mark:]
        assert server.wait_for_log(r'API reference not updated', mark, 60), server.text()[mark:]
        # Fix it: the next rebuild succeeds, and the pages come back at once
        mark = len(server.text())
        time.sleep(0.2)
        source.write_text(module(GOOD))
        assert server.wait_for_log(r'Reloading browsers|An error happened', mark, 60), server.text()[mark:]
        log = server.text()[mark:]
        assert 'KaTeX cannot render' not in log and 'An error happened' not in log, log
        try:
            page = server.get('mypkg/softmax.html', timeout=10)
            api = server.get('api/mypkg/softmax.html', timeout=10)
        except OSError as e:
            pytest.fail(f'the page was not served within 10 s after the fix ({e}):\n{log}')
        assert 'class="katex"' in page and 'class="katex' in api
    finally:
        server.stop()


# ## The same builds, in-process
#
# As `mkdocs serve` makes them: a new `Project` for every build (the plugin makes one in
# `on_config`), one `Caches` for all of them, `serving` on.
def serve_build(project: Path, caches, site: Path):
    from site_src.project import Project
    built = Project(project, {'mypkg': 'mypkg'}, site_name='t', serving=True, caches=caches)
    built.build(site)
    return built


def wait_for_refresh(caches, timeout: float = 60):
    """Let pdoc's background refresh of the API reference end (it must, within `timeout`)."""
    thread = caches.api.thread
    if thread is not None:
        thread.join(timeout)
        assert not thread.is_alive(), f'the API reference was not refreshed within {timeout} s'


def api_tex(built, path: str = 'mypkg/softmax.html') -> list[str]:
    """The TeX of the formulas typeset on an API page (from KaTeX's annotations)."""
    return re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>', built.api_pages[path], re.DOTALL)


@pytest.mark.parametrize('fix', [GOOD, OTHER_FIX], ids=['as-before', 'another-fix'])
def test_a_fixed_formula_builds_after_a_broken_one(tmp_path, fix):
    from site_src import SiteError
    from site_src.project import Caches
    project = small_project(tmp_path / 'project')
    source, site, caches = project / 'mypkg/softmax.py', tmp_path / 'site', Caches()
    serve_build(project, caches, site)
    source.write_text(module(BROKEN))
    with pytest.raises(SiteError, match=r'mypkg/softmax\.py:\d+: KaTeX cannot render'):
        serve_build(project, caches, site)
    wait_for_refresh(caches)
    source.write_text(module(fix))
    built = serve_build(project, caches, site)
    assert 'class="katex"' in built.pages['mypkg/softmax.html'].html
    assert all(r'\frac{e^{x_i}}{$' not in tex for tex in api_tex(built))
    # When pdoc's refresh has come, the site's API page shows the formula as fixed
    wait_for_refresh(caches)
    written = (site / 'api/mypkg/softmax.html').read_text(encoding='utf-8') \
        if (site / 'api/mypkg/softmax.html').exists() else built.api_pages['mypkg/softmax.html']
    shown = 'e^{x_i} / \\sum_j' if fix == OTHER_FIX else '\\frac{e^{x_i}}{\\sum_j e^{x_j}}'
    assert shown in written
    # And the build after that (nothing changed) is well too
    again = serve_build(project, caches, site)
    assert shown in ''.join(api_tex(again))


def test_a_serve_that_starts_broken_recovers(tmp_path):
    from site_src import SiteError
    from site_src.project import Caches
    project = small_project(tmp_path / 'project', BROKEN)
    source, site, caches = project / 'mypkg/softmax.py', tmp_path / 'site', Caches()
    with pytest.raises(SiteError, match='KaTeX cannot render'):
        serve_build(project, caches, site)
    wait_for_refresh(caches)
    source.write_text(module(GOOD))
    built = serve_build(project, caches, site)
    assert any('\\frac{e^{x_i}}{\\sum_j e^{x_j}}' in tex for tex in api_tex(built))
