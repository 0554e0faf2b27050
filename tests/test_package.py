"""
The package as a user gets it from `pip install .` (not editable): the bundled model travels
inside it as package data (weights, config, tokenizer files and card, no source), so fill-mask
works from any folder without a checkout.
"""
import json
import os
import shutil
import site
import subprocess
import sys
import venv

import pytest

from conftest import ROOT


def running_site_packages():
    r"""
    Where the interpreter running the tests finds its packages: its site-packages (a venv's own,
    a conda environment's or the system's, as the case may be) and the user's, if it reads them.
    """
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [f for f in dict.fromkeys(folders) if os.path.isdir(f)]


def see_running_packages(env_dir):
    r"""
    Lets the environment at `env_dir` import what the running interpreter imports (torch, labml,
    …), wherever the project was installed: a `.pth` file in its site-packages lists the running
    interpreter's folders. A venv's `system_site_packages` would not do: from inside a venv it
    shows the *system's* packages, not the venv's. Folders listed this way come after the
    environment's own site-packages, and their `.pth` files are not run, so the project that the
    environment imports is its own installed wheel, never the running interpreter's (editable)
    copy.
    """
    ask = 'import sysconfig; print(sysconfig.get_path("purelib"))'
    purelib = subprocess.run([str(env_dir / 'bin' / 'python'), '-c', ask], capture_output=True, text=True,
                             check=True).stdout.strip()
    with open(os.path.join(purelib, 'running_interpreter.pth'), 'w', encoding='utf-8') as f:
        f.write(''.join(folder + '\n' for folder in running_site_packages()))


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    r"""
    A virtual environment with the project installed from a built wheel, not editable. It sees
    the running interpreter's packages (torch, labml, …) so that nothing is downloaded; the
    project itself comes only from the wheel.
    """
    work = tmp_path_factory.mktemp('install')
    env_dir = work / 'env'
    venv.create(env_dir, with_pip=False)
    see_running_packages(env_dir)
    python = env_dir / 'bin' / 'python'
    # Built from a copy of the checkout's files, so that setuptools' `build/` stays out of it
    source = work / 'source'
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        '.git', 'node_modules', 'site', 'logs', 'build', 'dist', '*.egg-info', 'test-artifacts', '__pycache__', 'tmp'))
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-w', str(work),
                        str(source)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    wheel = next(work.glob('labml_nn_mlm-*.whl'))
    r = subprocess.run([sys.executable, '-m', 'pip', '--python', str(python), 'install', '--no-deps', '--no-index',
                        str(wheel)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return python, work


def test_fill_works_from_a_wheel_outside_the_repository(installed):
    python, work = installed
    elsewhere = work / 'elsewhere'
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    # The package imported is the installed one, not this checkout
    where = subprocess.run([str(python), '-c', 'import labml_nn; print(labml_nn.__file__)'], cwd=elsewhere,
                           env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(work / 'env')), where.stdout
    r = subprocess.run([str(python), '-m', 'labml_nn.transformers.mlm_tools.fill', '--json',
                        'To be, or not to b[MASK], that is the question'],
                       cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    answers = json.loads(r.stdout)
    # One gap, five answers, each a character with a probability, the text filled in
    assert len(answers) == 5 and all(len(a['token_str']) == 1 for a in answers)
    assert answers[0]['sequence'] == f"To be, or not to b{answers[0]['token_str']}, that is the question"
    assert 0 < sum(a['score'] for a in answers) <= 1.0 + 1e-6
