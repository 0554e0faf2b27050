r"""
---
title: Extras - saying how to install what is missing, the way the package was installed
summary: The pip command that adds one of the project's extras, for a checkout (an editable install of the folder) or for an installed wheel (the distribution's name), and one line instead of an ImportError when an optional package is missing.
---

# Installing an extra

*Part of the [machinery behind the lessons](index.html).*

Some tools need packages that not everyone wants: exporting a model needs `huggingface_hub`
(and `onnx` for a graph), the app needs `labml-app`. They come as *extras* of the project
(`setup.py` names them), and a tool that misses one says, in one line, the command that
installs it. That command depends on how the project was installed:

* **in a checkout**, where `setup.py` sits beside the package, the extra is installed from the
  folder: `pip install -e ".[export]"` (with the checkout's path in place of `.` when the
  working folder is elsewhere);
* **from a wheel**, inside `site-packages`, there is no folder to install from, and the extra
  is the distribution's: `pip install "labml-nn-mlm[export]"`.

The package's own location tells them apart, as the user's Python sees it.
"""

from pathlib import Path
from typing import Iterable, Optional

from labml_nn.helpers.cli import UserError

# The distribution's name on the package index, as `setup.py` gives it (a test checks they agree)
DISTRIBUTION = 'labml-nn-mlm'
# The folder of the package `labml_nn` (this file is `labml_nn/helpers/extras.py`), as imported:
# not resolved, so a package reached through a link is judged where it was found
PACKAGE = Path(__file__).absolute().parent.parent


def checkout(package: Path = PACKAGE) -> Optional[Path]:
    r"""The checkout the package runs from (the folder with `setup.py` beside it), or `None`."""
    root = package.parent
    return root if (root / 'setup.py').is_file() else None


def pip_install(extra: str, package: Path = PACKAGE) -> str:
    r"""The command that installs the project's `extra`, for how the project was installed."""
    root = checkout(package)
    if root is None:
        return f'pip install "{DISTRIBUTION}[{extra}]"'
    where = '.' if root == Path.cwd().absolute() else str(root)
    return f'pip install -e "{where}[{extra}]"'


def require(modules: Iterable[str], what: str, extra: str) -> None:
    r"""One line, not an `ImportError`, when a module that `what` needs is missing."""
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            raise UserError(f"{what} needs the package {module}; {pip_install(extra)}") from None
