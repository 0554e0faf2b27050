"""
Install hints name what works for how the package was installed: in a checkout, the editable
install of its folder (`pip install -e ".[export]"`); installed as a wheel, the distribution's
extra (`pip install "labml-nn-mlm[export]"`). The exporter and the app both say so.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from labml_nn.helpers import extras

# A missing package, as an exporter or the app sees it, and the one line that follows
EXPORT = ("import sys; sys.modules['huggingface_hub'] = None\n"
          "from labml_nn.transformers.mlm_tools import export; export.main(['--out', 'out'])")
APP = ("import sys; sys.modules['labml_app'] = None\n"
       "from labml_nn.app.server import main; sys.exit(main(['--port', '0', '--data', 'data']))")


def error_line(code: str, cwd: Path, path: Path) -> str:
    r"""The error line of `code`, run with `labml_nn` imported from `path` in the folder `cwd`."""
    env = {**os.environ, 'PYTHONPATH': str(path), 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    lines = r.stderr.strip().splitlines()
    # The app's lines start with its name (`labml_nn.app: error: …`)
    assert r.returncode == 2 and len(lines) == 1 and 'error: ' in lines[0], r.stderr[-2000:]
    return lines[0]


@pytest.fixture(scope='module')
def wheel_like(tmp_path_factory) -> Path:
    r"""
    A `site-packages` of its own holding `labml_nn` (a link to this checkout's package), with no
    `setup.py` beside it: the package as a wheel installs it.
    """
    site = tmp_path_factory.mktemp('site-packages')
    (site / 'labml_nn').symlink_to(ROOT / 'labml_nn', target_is_directory=True)
    return site


def test_the_distribution_is_setup_pys():
    call = next(n for n in ast.walk(ast.parse((ROOT / 'setup.py').read_text())) if isinstance(n, ast.Call)
                and getattr(n.func, 'id', None) == 'setup')
    name = next(k.value.value for k in call.keywords if k.arg == 'name')
    assert extras.DISTRIBUTION == name


def test_in_a_checkout_the_hint_installs_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert extras.pip_install('export') == 'pip install -e ".[export]"'
    # From elsewhere, the checkout by its path
    monkeypatch.chdir(tmp_path)
    assert extras.pip_install('export') == f'pip install -e "{ROOT}[export]"'
    # A package without setup.py beside it is an installed one
    (tmp_path / 'pkg').mkdir()
    assert extras.checkout(tmp_path / 'pkg') is None and extras.checkout(ROOT / 'labml_nn') == ROOT


def test_the_exporter_names_the_extra_for_a_checkout(tmp_path):
    line = error_line(EXPORT, ROOT, ROOT)
    assert line.endswith('exporting needs the package huggingface_hub; pip install -e ".[export]"'), line
    assert not (ROOT / 'out').exists()


@pytest.mark.parametrize('code, extra', [(EXPORT, 'export'), (APP, 'app')], ids=['export', 'app'])
def test_a_wheel_install_names_the_distributions_extra(wheel_like, tmp_path, code, extra):
    line = error_line(code, tmp_path, wheel_like)
    assert f'pip install "labml-nn-mlm[{extra}]"' in line and '-e' not in line, line
    assert not (tmp_path / 'out').exists()


def test_the_app_names_the_extra_for_a_checkout(tmp_path):
    line = error_line(APP, tmp_path, ROOT)
    assert "pip install 'labml-app==0.5.14'" in line and f'pip install -e "{ROOT}[app]"' in line, line
