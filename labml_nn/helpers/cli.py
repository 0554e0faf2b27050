r"""
---
title: The command line - configs from classes and their comments, one-line errors
summary: How a dataclass of configs becomes the key=value command line and its --help, how values are typed and range-checked, and the one place where a user's mistake becomes one line on stderr and exit status 2.
---

# The command line

*Part of the [machinery behind the lessons](index.html).*

The [experiment](../transformers/mlm/experiment.html) declares its configs once, as
dataclasses, with a comment above every config:

```python
@dataclass
class Configs:
    model: ModelConfigs = field(default_factory=ModelConfigs)
    # Characters per training sequence
    seq_len: PositiveInt = 64
```

Everything a user sees of them is derived from that declaration:

* **`key=value` overrides**, with dotted keys for the nested groups (`model.d_model=256`);
* **`--help`**, one row per config with its default, where the help text *is the comment* a
  reader of the experiment sees above the config (read from the source with `ast`, because
  comments exist nowhere else);
* **range checks**: the types `PositiveInt`, `Count`, `Fraction`, … carry their allowed range
  ([their module](ranges.html)), so `seq_len=0` is refused before anything runs, and a config
  written as an option (`--seq_len=128`) is refused with the form that works (`seq_len=128`);
* the **flat view** `{'seq_len': 64, 'model.d_model': 128, …}` that checkpoints, the run
  summary and the labml app use. The training code itself only reads typed attributes,
  `c.model.d_model`.

## One kind of user error, one way out

Every mistake a user can make (a missing file, a bad value, a checkpoint from elsewhere)
raises a `UserError` (or a subclass) with a message of one line that says what is wrong and
what to do. `run_command` is the one place that catches them: it prints the message on stderr
and exits with status 2, the shell's convention for "wrong usage", with no traceback. The
experiment, fill-mask and the app server all start through it.
"""

import argparse
import ast
import dataclasses
import inspect
import os
import sys
import textwrap
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Dict, List, Optional, Type

# The types that carry their range live in a module of their own, which needs nothing but the
# standard library: the model's configs use them, and the model's source travels alone into
# [export folders](../transformers/mlm_tools/export.html). Imported here too, for the parser.
from labml_nn.helpers.ranges import (Count, Fraction, OpenFraction, PositiveFloat, PositiveInt,  # noqa: F401
                                     Probability, Range)


class UserError(Exception):
    r"""A mistake of the user's, worded for the user in one line."""


def run_command(body: Callable[[], Optional[int]], prog: Optional[str] = None) -> None:
    r"""
    Runs a command's `body`, and exits with its status when that is not 0 (or `None`). A
    `UserError` becomes one line on stderr and exit status 2. Under `torchrun` every rank
    would print the same mistake, so only rank 0 speaks.
    """
    try:
        status = body()
    except UserError as e:
        if int(os.environ.get('RANK', '0')) == 0:
            print(f"{prog + ': ' if prog else ''}error: {e}", file=sys.stderr, flush=True)
        else:
            # torchrun stops every rank as soon as one exits: the others give rank 0 a moment
            # to say what is wrong first
            time.sleep(2)
        sys.exit(2)
    if status:
        sys.exit(status)


# ## The name of the command
#
# `--help` starts with the command as the user typed it. The same `main` runs under two names:
# a console script that `pip install` made (`labml-nn-mlm`), or `python -m` and the module. A
# console script is a file of its own whose name, without `.py`, is `sys.argv[0]`, and it is run
# as a file, not a module; `python -m` runs a module, and `__main__.__spec__` names it (a
# package's `__main__` stands for the package: `python -m labml_nn.app`).
def program_name(module: str, argv0: Optional[str] = None, main_module: Optional[str] = None) -> str:
    r"""
    The command the user ran: a console script's name, `python -m` and the module run, or
    `python -m module` when neither can be told (`argv0` and `main_module` default to this
    process's `sys.argv[0]` and `__main__` module).
    """
    if argv0 is None:
        argv0 = sys.argv[0] if sys.argv else ''
    if main_module is None:
        spec = getattr(sys.modules.get('__main__'), '__spec__', None)
        main_module = spec.name if spec is not None else ''
    if main_module:
        return f"python -m {main_module.removesuffix('.__main__')}"
    if argv0 and not argv0.endswith('.py') and argv0 not in ('-c', '-'):
        # pip's launchers on Windows are `name.exe`
        return Path(argv0).name.removesuffix('.exe')
    return f"python -m {module}"


# ## Options are written in full
#
# argparse takes any unambiguous beginning of an option for the option: `--step 100` is
# `--steps 100`. An abbreviation that means one option today may mean another, or nothing,
# once an option is added, and a typo that happens to be a prefix is silently accepted. So
# options must be written in full, and a beginning of one is refused with the full name.
def refuse_abbreviations(args: List[str], options: List[str]) -> None:
    r"""A `UserError` for the first `--flag` of `args` that only begins one or more `options`."""
    for arg in args:
        if arg == '--':
            return
        if not arg.startswith('--'):
            continue
        flag = arg.split('=', 1)[0]
        if flag in options:
            continue
        matches = [o for o in options if o.startswith('--') and o.startswith(flag)]
        if matches:
            raise UserError(f"{flag}: options are written in full; did you mean {' or '.join(matches)}?")


def option_as_config(argv: List[str], option: str, key: str) -> List[str]:
    r"""`argv` with `option VALUE` (or `option=VALUE`) written as the config `key=VALUE`."""
    out, i = [], 0
    while i < len(argv):
        # The option as the last word, without a value, stays as it is: the parser refuses it
        taken = argv[i] == option and i + 1 < len(argv)
        joined = argv[i].startswith(option + '=')
        value = argv[i + 1] if taken else argv[i][len(option) + 1:] if joined else None
        out.append(argv[i] if value is None else f'{key}={value}')
        i += 2 if taken else 1
    return out


def refuse_dashed_configs(args: List[str], table: Dict[str, 'Config'], options: List[str]) -> None:
    r"""A `UserError` for a config written as an option (`--seq_len=128`), with the form that works."""
    for i, arg in enumerate(args):
        if arg == '--':
            return
        key, equals, value = arg[2:].partition('=')
        if not arg.startswith('--') or arg.split('=', 1)[0] in options or key not in table:
            continue
        if not equals and i + 1 < len(args) and not args[i + 1].startswith('-'):
            value = args[i + 1]
        raise UserError(f"{arg}: configs are set without dashes; did you mean {key}={value or '…'}?")


class ArgumentParser(argparse.ArgumentParser):
    r"""
    argparse, but a bad argument is a `UserError` (one line) instead of usage and a line, and
    an abbreviated option is refused with its full name.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        refuse_abbreviations(args, list(self._option_string_actions))
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        raise UserError(f"{message}; run with --help to see the options")


@dataclass(frozen=True)
class Config:
    r"""One row of the config table: its Python type, default, help text and allowed range."""
    kind: type
    default: Any
    help: str
    range: Optional[Range]


def _comments_above_fields(cls: type) -> Dict[str, str]:
    r"""
    The block of `#` comments right above each field of a class, read from its source; a
    field that a subclass declares again without a comment keeps its base class's.
    """
    found: Dict[str, str] = {}
    for klass in reversed([k for k in cls.__mro__ if dataclasses.is_dataclass(k)]):
        lines = textwrap.dedent(inspect.getsource(klass)).splitlines()
        for node in ast.parse('\n'.join(lines)).body[0].body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                comment, i = [], node.lineno - 2
                while i >= 0 and lines[i].strip().startswith('#'):
                    comment.insert(0, lines[i].strip().lstrip('#').strip())
                    i -= 1
                if comment or node.target.id not in found:
                    found[node.target.id] = ' '.join(comment)
    return found


def _group_defaults(f: dataclasses.Field, prefix: str) -> Dict[str, Any]:
    r"""A nested group's defaults where its field sets them (`default_factory=lambda: ...`)."""
    if f.default_factory is dataclasses.MISSING:
        return {}
    return flatten(f.default_factory(), prefix)


def config_table(cls: type, prefix: str = '', defaults: Optional[Dict[str, Any]] = None
                 ) -> Dict[str, Config]:
    r"""
    Every settable config of a dataclass, nested groups included, as
    `{dotted name: Config}` in declaration order, with the defaults the outer class gives them.
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    comments = _comments_above_fields(cls)
    table, groups, defaults = {}, {}, defaults or {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            # A nested group: its members get the group's name in front, and come last
            group = f'{prefix}{f.name}.'
            groups.update(config_table(hint, group, {**_group_defaults(f, group), **defaults}))
            continue
        kind, ranges = hint, None
        if typing.get_origin(hint) is Annotated:
            kind, *extras = typing.get_args(hint)
            ranges = next((e for e in extras if isinstance(e, Range)), None)
        table[prefix + f.name] = Config(kind, defaults.get(prefix + f.name, f.default),
                                        comments.get(f.name, ''), ranges)
    return {**table, **groups}


def flatten(configs: Any, prefix: str = '') -> Dict[str, Any]:
    r"""A configs object as `{dotted name: value}`: the view used at the edges."""
    flat = {}
    for f in dataclasses.fields(configs):
        value = getattr(configs, f.name)
        if dataclasses.is_dataclass(value):
            flat.update(flatten(value, f'{prefix}{f.name}.'))
        else:
            flat[prefix + f.name] = value
    return flat


def build(cls: Type, flat: Dict[str, Any], prefix: str = '') -> Any:
    r"""
    The configs object for a flat dict; configs it doesn't mention keep their defaults. A
    class may check how its values fit together in `__post_init__`: a `ValueError` there
    is the user's mistake, and becomes a `UserError`.
    """
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            group = f'{prefix}{f.name}.'
            values[f.name] = build(hints[f.name], {**_group_defaults(f, group), **flat}, group)
        elif prefix + f.name in flat:
            values[f.name] = flat[prefix + f.name]
    try:
        return cls(**values)
    except ValueError as e:
        raise UserError(str(e)) from None


def parse_value(key: str, text: str, kind: type) -> Any:
    r"""The value of `key=text` in the config's type, or a `UserError` that says what is wrong."""
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ('true', 'yes', '1', 'on'):
                return True
            if lowered in ('false', 'no', '0', 'off'):
                return False
            raise ValueError
        if kind is int:
            return int(text.replace('_', ''))
        return kind(text)
    except ValueError:
        name = {int: 'an integer', float: 'a number', bool: 'true or false', str: 'text'}[kind]
        raise UserError(f"{key}={text}: expected {name}") from None


def check_ranges(table: Dict[str, Config], flat: Dict[str, Any]) -> None:
    r"""Every value against the range its type declares."""
    for key, value in flat.items():
        if key in table and table[key].range is not None:
            try:
                table[key].range.check(key, value)
            except ValueError as e:
                raise UserError(str(e)) from None


def check_output_path(path: Optional[str], flag: str) -> None:
    r"""
    Checks that a file can be written at `path` *before* the work that would produce it, so
    a typo in a folder name doesn't cost a finished run.
    """
    if path is None:
        return
    target = Path(path).expanduser()
    folder = target.parent if str(target.parent) else Path('.')
    if target.is_dir():
        raise UserError(f"{flag} {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise UserError(f"{flag} {path}: the folder {folder} does not exist; create it or give another path")
    if not os.access(folder, os.W_OK):
        raise UserError(f"{flag} {path}: the folder {folder} is not writable; give another path")


# ## The training command line
@dataclass
class Command:
    r"""What the user asked for: the `key=value` overrides (flat, typed) and the options."""
    overrides: Dict[str, Any]
    data: Optional[str] = None
    device: str = 'auto'
    resume: Optional[str] = None
    summary: Optional[str] = None
    # `None`: the flag is absent; `''`: a bare `--app` (the local server); else the URL given
    app: Optional[str] = None
    help: bool = False


OPTIONS = [
    ('--steps N', 'stop after N training steps (the same as steps=N)'),
    ('--minutes N', 'a time budget: plan the schedule by the clock and end after N minutes '
                    '(the same as minutes=N; such a run does not repeat bit for bit)'),
    ('--data PATH', None),  # the experiment says where its data comes from
    ('--device DEVICE', 'cpu, cuda or auto (default: auto, CUDA when present)'),
    ('--resume RUN', 'continue the run with this uuid, run folder or checkpoint file'),
    ('--summary PATH', 'write a JSON summary of the run to PATH'),
    ('--app [URL]', 'report the run to the labml app at URL; without URL to the local app of '
                    'python -m labml_nn.app, http://127.0.0.1:5005/ (also: app_url in .labml.yaml)'),
    ('-h, --help', 'show this help and exit'),
]


def help_text(cls: type, prog: str, description: str, data_help: str) -> str:
    r"""`--help`: the options, then every config with its default, type and comment."""
    rows = [f"usage: {prog} [key=value ...] [options]", '', description, '', 'options:']
    for flag, text in OPTIONS:
        if flag.startswith('--minutes') and 'minutes' not in config_table(cls):
            continue  # an experiment without a time budget
        for i, line in enumerate(textwrap.wrap(text or data_help, 72)):
            rows.append(f"  {flag if i == 0 else '':22s}{line}")
    rows += ['', 'configs (override as key=value; dotted keys for nested groups):']
    for key, config in config_table(cls).items():
        rows.append(f"  {key + '=' + str(config.default):28s}{config.kind.__name__:6s}{config.help}")
    return '\n'.join(rows)


def parse(cls: type, argv: List[str]) -> Command:
    r"""
    Parses a training command line against the configs class `cls`: typed, range-checked
    overrides and the options. Options and `key=value` items may come in any order.
    """
    parser = ArgumentParser(add_help=False)
    parser.add_argument('-h', '--help', action='store_true')
    parser.add_argument('--steps')
    parser.add_argument('--minutes')
    parser.add_argument('--data')
    parser.add_argument('--device', choices=['cpu', 'cuda', 'auto'], default='auto')
    parser.add_argument('--resume')
    parser.add_argument('--summary')
    parser.add_argument('--app', nargs='?', const='', default=None)
    parser.add_argument('overrides', nargs='*')
    table = config_table(cls)
    refuse_dashed_configs(argv, table, list(parser._option_string_actions))
    args = parser.parse_intermixed_args(argv)
    if args.help:
        return Command({}, help=True)
    # `--app seq_len=128`: the optional URL swallowed a config; give it back
    if args.app and '=' in args.app and '://' not in args.app:
        args.overrides.append(args.app)
        args.app = ''

    overrides: Dict[str, Any] = {}
    for item in args.overrides:
        if '=' not in item:
            raise UserError(f"unexpected argument '{item}'; configs are set as key=value, "
                            f"e.g. seq_len=128 (see --help)")
        key, text = item.split('=', 1)
        if key not in table:
            raise UserError(f"unknown config '{key}'; run with --help to list the configs")
        overrides[key] = parse_value(key, text, table[key].kind)
    if args.steps is not None:
        overrides['steps'] = parse_value('--steps', args.steps, int)
        if overrides['steps'] <= 0:
            raise UserError(f"--steps {overrides['steps']}: must be a positive number of steps")
    if args.minutes is not None:
        if 'minutes' not in table:
            raise UserError("--minutes: this experiment has no time budget; give --steps N")
        overrides['minutes'] = parse_value('--minutes', args.minutes, float)
        if overrides['minutes'] <= 0:
            raise UserError(f"--minutes {args.minutes}: must be a positive number of minutes")
    check_ranges(table, overrides)
    check_output_path(args.summary, '--summary')
    return Command(overrides, data=args.data, device=args.device, resume=args.resume,
                   summary=args.summary, app=args.app)


def main(cls: type, train: Callable[[Command], Dict[str, Any]], argv: Optional[List[str]], *,
         prog: str, about: str, data_help: str) -> None:
    r"""
    A training command's entry point: `--help`, or `train(command)`. A run stopped by a
    signal exits with the shell's convention for it, 128 + the signal (130 for Ctrl-C, 143
    for SIGTERM).
    """
    def body() -> int:
        command = parse(cls, sys.argv[1:] if argv is None else argv)
        if command.help:
            print(help_text(cls, prog, about, data_help))
            return 0
        return exit_status(train(command))
    run_command(body)


def exit_status(summary: Dict[str, Any]) -> int:
    r"""A training run's exit status: 0, or 128 + the signal that stopped it."""
    return 128 + summary['stop_signal'] if summary['interrupted'] else 0
