r"""
Every command names itself in `--help` and refuses abbreviated options.

The console scripts of `setup.py` (`labml-nn-mlm`, …) and the `python -m` commands share their
`main` functions; the usage line must name the command as the user ran it. And argparse's
abbreviations are refused: `--step 100` is one line that names `--steps`, exit status 2, no
traceback.

The installed `labml-nn-*` executables may point at another checkout, so they are not run
here: a console script is run as pip writes one, a file named after the script that imports
the entry point's `main` and calls it, with this checkout first on the path.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from labml_nn.app import server
from labml_nn.helpers import cli
from labml_nn.transformers.mlm import experiment
from labml_nn.transformers.mlm_tools import attention_maps, export, fill

ROOT = Path(__file__).resolve().parent.parent

# `name=module:function` of each console script in setup.py
ENTRY_POINTS = dict(re.findall(r"'([a-z-]+)=([\w.]+):main'", (ROOT / 'setup.py').read_text(encoding='utf-8')))

# Each command: its module (as `python -m` runs it), its `main`, an abbreviated option with a
# value, and the option in full
COMMANDS = {
    'labml_nn.transformers.mlm.experiment': (experiment.main, ['--step', '100'], '--steps'),
    'labml_nn.transformers.mlm_tools.fill': (fill.main, ['--top', '3', 'a[MASK]c'], '--top-k'),
    'labml_nn.transformers.mlm_tools.export': (export.main, ['--check', 'x', '--out', 'y'], '--checkpoint'),
    'labml_nn.transformers.mlm_tools.attention_maps': (attention_maps.main, ['--check', 'x'], '--checkpoint'),
    'labml_nn.app': (server.main, ['--po', '5006'], '--port'),
}


def test_every_console_script_is_covered():
    assert set(ENTRY_POINTS) == {'labml-nn-mlm', 'labml-nn-fill', 'labml-nn-export', 'labml-nn-app'}
    for module in ENTRY_POINTS.values():
        assert module in COMMANDS or module.removesuffix('.server') in COMMANDS, module


# ## The name in `--help`
def test_the_name_is_the_console_script_or_the_module_run():
    name = cli.program_name
    # A console script: its file's name (pip's launchers on Windows end in .exe)
    assert name('labml_nn.transformers.mlm.experiment', '/usr/local/bin/labml-nn-mlm', '') == 'labml-nn-mlm'
    assert name('labml_nn.app', 'C:/Python/Scripts/labml-nn-app.exe', '') == 'labml-nn-app'
    # `python -m`: the module run; a package's __main__ is the package
    assert name('labml_nn.transformers.mlm_tools.fill', '/x/fill.py',
                'labml_nn.transformers.mlm_tools.fill') == 'python -m labml_nn.transformers.mlm_tools.fill'
    assert name('labml_nn.app', '/x/labml_nn/app/__main__.py', 'labml_nn.app.__main__') == 'python -m labml_nn.app'
    # Neither can be told (`python -c`): the module
    assert name('labml_nn.transformers.mlm_tools.export', '-c', '') == 'python -m labml_nn.transformers.mlm_tools.export'


def usage_names(out: str, prog: str) -> bool:
    # argparse breaks a long usage line after the name
    return re.match(rf'usage: {re.escape(prog)}\s', out) is not None


def help_output(main, prog, capsys) -> str:
    try:
        main(['--help'], prog=prog)
    except SystemExit as e:
        assert e.code in (0, None)
    return capsys.readouterr().out


@pytest.mark.parametrize('module', COMMANDS)
def test_help_starts_with_the_name_given(module, capsys):
    main = COMMANDS[module][0]
    out = help_output(main, 'labml-nn-something', capsys)
    assert usage_names(out, 'labml-nn-something'), out[:200]


def env() -> dict:
    return {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p]),
            'OMP_NUM_THREADS': '1'}


@pytest.mark.parametrize('module', COMMANDS)
def test_python_m_help_names_the_module(module):
    result = subprocess.run([sys.executable, '-m', module, '--help'], cwd=ROOT, env=env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert usage_names(result.stdout, f'python -m {module}'), result.stdout[:200]


@pytest.mark.parametrize('script', sorted(ENTRY_POINTS))
def test_a_console_script_names_itself(script, tmp_path):
    module = ENTRY_POINTS[script]
    launcher = tmp_path / script
    launcher.write_text(f'import sys\nfrom {module} import main\nsys.exit(main())\n')
    result = subprocess.run([sys.executable, str(launcher), '--help'], cwd=tmp_path, env=env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert usage_names(result.stdout, script), result.stdout[:200]


# ## Abbreviations
@pytest.mark.parametrize('module', COMMANDS)
def test_an_abbreviated_option_is_refused_with_its_full_name(module, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main, argv, full = COMMANDS[module]
    with pytest.raises(SystemExit) as exit_:
        main(argv, prog='cmd')
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and f'{argv[0]}:' in err and f'did you mean {full}?' in err, err


def test_every_beginning_of_an_option_is_refused():
    # One letter short, or the first letters, or with `=value`; two options that begin alike are both named
    for argv, words in ((['--step=7'], 'did you mean --steps?'), (['--d', 'x'], 'did you mean --data or --device?'),
                        (['--resum', 'x'], 'did you mean --resume?')):
        with pytest.raises(cli.UserError, match=re.escape(words)):
            cli.parse(experiment.Configs, argv)
    # Options in full (with a value after `=` too) and key=value items pass
    command = cli.parse(experiment.Configs, ['--steps', '3', 'seq_len=16', '--device=cpu'])
    assert command.overrides == {'steps': 3, 'seq_len': 16} and command.device == 'cpu'


@pytest.mark.parametrize('module', COMMANDS)
def test_python_m_refuses_an_abbreviation_in_one_line(module, tmp_path):
    _, argv, full = COMMANDS[module]
    result = subprocess.run([sys.executable, '-m', module, *argv], cwd=tmp_path, env=env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.count('\n') == 1 and f'did you mean {full}?' in result.stderr, result.stderr
    assert 'Traceback' not in result.stderr
