"""
---
title: A local labml app server in one command
summary: >
  Starts the labml app (PyPI labml-app) on 127.0.0.1 with a crash-safe file store instead of
  MongoDB, its browser libraries served locally, one server per data folder, and one-line errors.
---

# A local labml app server in one command

```bash
python -m labml_nn.app            # or: labml-nn-app
```

starts the [labml app](https://github.com/labmlai/labml/tree/master/app) — the web page where you
watch a training run's charts, configs and console output — at `http://127.0.0.1:5005/`.
Experiments report to `http://127.0.0.1:5005/api/v1/default`.

The stock app needs a MongoDB server. This launcher runs the same app with:

* **A file store** in `--data` (default `~/.labml_nn/app`), through labml-db's file drivers made
  crash-safe in [`store.py`](store.html). `--mongo URI` uses a MongoDB server instead.
* **Local copies** of the page's CDN libraries, installed from npm and served by the launcher
  ([`vendor.py`](vendor.html)), so the page works offline.
* **One server per data folder**, enforced by a lock, because the file store caches its indexes
  in memory.
* **Loopback only** unless `--host` says otherwise: the app has no login, so anyone who can reach
  the port can read and change every run.
* **One-line errors** for the usual start-up problems: port taken, data folder not writable,
  labml-app not installed.

### How the app is started without MongoDB

The app sets up its database while its module `labml_app.flask_app` is being imported: the module
creates the web application and calls `labml_app.db.init_mongo_db()`. Python looks that function up
on the `labml_app.db` module at call time, so if we import `labml_app.db` first and replace the
function with our own, the import of `flask_app` runs *our* set-up. Ours registers a file driver
for each of the app's model and index classes (the app lists them in `labml_app.db.models` and
`labml_app.db.indexes`) and creates the two projects the app expects to exist (the one that
collects runs sent without a token, and the samples project).
"""

import argparse
import errno
import fcntl
import importlib.util
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import List, Optional

# `vendor` needs only the standard library; `store`, `web` and the app are imported once we know
# they are installed.
from labml_nn.app import vendor
from labml_nn.helpers import cli, extras
from labml_nn.helpers.cli import UserError

DEFAULT_HOST = '127.0.0.1'
DEFAULT_PORT = 5005
DEFAULT_DATA = Path('~/.labml_nn/app')
DEFAULT_VENDOR = Path('~/.labml_nn/vendor')

# What a user with no app installed should run. The `app` extra of this project pins the same; its
# command depends on how the project was installed (a checkout or a wheel)
APP_REQUIREMENT = 'labml-app==0.5.14'


def install_hint() -> str:
    return f"pip install '{APP_REQUIREMENT}'  (or: {extras.pip_install('app')})"


PROG = 'labml_nn.app'


def parse_args(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> argparse.Namespace:
    p = cli.ArgumentParser(prog=prog or cli.program_name('labml_nn.app'),
                           description='Run the labml app locally, with a file store.')
    p.add_argument('--host', default=DEFAULT_HOST,
                   help=f'address to listen on (default {DEFAULT_HOST}: this machine only)')
    p.add_argument('--port', type=_port, default=DEFAULT_PORT,
                   help=f'port to listen on (default {DEFAULT_PORT}; 0 picks a free one)')
    p.add_argument('--data', type=Path, default=DEFAULT_DATA,
                   help=f'folder for the runs (default {DEFAULT_DATA})')
    p.add_argument('--mongo', metavar='URI',
                   help='store runs in this MongoDB (mongodb://host:port/db) instead of files')
    p.add_argument('--vendor', type=Path, default=DEFAULT_VENDOR,
                   help=f'cache for the page\'s npm libraries (default {DEFAULT_VENDOR})')
    p.add_argument('--setup', action='store_true',
                   help='install the page\'s libraries with npm, then exit (for offline use)')
    p.add_argument('--pace', type=float, default=1.0, metavar='SECONDS',
                   help='pause before answering a run\'s data post (default 1; the app uses 3): '
                        'how often runs report')
    p.add_argument('--verbose', action='store_true', help='log every request')
    return p.parse_args(argv)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'invalid port {text!r}: not a number')
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f'invalid port {port}: must be 0 to 65535')
    return port


def check_installed():
    """The app and its web server are optional dependencies: say how to get them."""
    for module in ('labml_app', 'labml_db', 'uvicorn', 'fastapi'):
        if importlib.util.find_spec(module) is None:
            raise UserError(f'{module} is not installed: {install_hint()}')


def prepare_data(data: Path) -> Path:
    """
    Create the data folder and prove we can write in it *now*, rather than fail on the first run
    that reports. (Permission bits do not stop root, so we really write a file.)
    """
    data = data.expanduser().resolve()
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / f'.write-test-{os.getpid()}'
        probe.write_bytes(b'ok')
        probe.unlink()
    except OSError as e:
        raise UserError(f'data folder {data} is not writable: {e.strerror}')
    return data


def lock_data(data: Path):
    """
    Hold an exclusive lock on `data/.lock` for as long as the server runs.

    `flock` locks belong to the open file, so the operating system releases them when the process
    ends in any way, SIGKILL included: no stale lock file to clean up by hand. We write our process
    id into the file only to name the holder in the error message.
    """
    f = open(data / '.lock', 'a+')
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or 'unknown'
        f.close()
        raise UserError(f'another labml_nn.app server (pid {holder}) is using {data}; '
                           f'stop it, or give this one another --data folder')
    f.seek(0)
    f.truncate()
    f.write(f'{os.getpid()}\n')
    f.flush()
    return f  # keep it open: closing the file would release the lock


def bind(host: str, port: int) -> socket.socket:
    """
    Open the listening socket ourselves, before loading the app, so that a taken port fails fast
    with a clear message. The web server is then handed this socket.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise UserError(f'cannot listen on {host!r}: {e.strerror}')
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # Lets a restarted server take the port at once even while old connections linger.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise UserError(f'port {port} on {host} is already in use; '
                               f'is the app already running? Pick another with --port')
        raise UserError(f'cannot listen on {host}:{port}: {e.strerror}')
    sock.listen(128)
    return sock


def is_loopback_address(address: str) -> bool:
    """`127.0.0.0/8` and `::1` reach only this machine; `0.0.0.0` means every interface."""
    return ipaddress.ip_address(address.split('%')[0]).is_loopback


def url_host(sock: socket.socket) -> str:
    """The host to put in printed URLs: the bound address (IPv6 in brackets)."""
    address = sock.getsockname()[0]
    if address in ('0.0.0.0', '::'):
        return socket.gethostname()
    return f'[{address}]' if ':' in address else address


def serve(args: argparse.Namespace):
    check_installed()

    if args.setup:
        node_modules = _vendor(args.vendor, required=True)
        print(f'{PROG}: page libraries installed in {node_modules}')
        return

    data = prepare_data(args.data)
    lock = lock_data(data)  # noqa: F841 -- held until the process ends
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    if not is_loopback_address(sock.getsockname()[0]):
        print(f'{PROG}: warning: listening on {args.host}, not loopback: anyone who can reach '
              f'port {port} can read and change every run (the app has no login)',
              file=sys.stderr, flush=True)

    node_modules = _vendor(args.vendor, required=False)

    # The app writes `labml_app.log` into the working directory: keep it in the data folder.
    os.chdir(data)
    from labml_nn.app.web import load_app, make_asgi
    app, static_path = load_app(data, args.mongo, args.host, port, args.verbose)
    asgi = make_asgi(app, static_path, node_modules, args.pace)

    base = f'http://{url_host(sock)}:{port}'
    print(f'{PROG}: open {base}/ to watch runs (data: {args.mongo or data})', flush=True)
    print(f'{PROG}: experiments report to {base}/api/v1/default  (Ctrl+C stops the server)',
          flush=True)

    import uvicorn
    config = uvicorn.Config(asgi, log_level='info' if args.verbose else 'warning',
                            access_log=args.verbose, lifespan='off')
    uvicorn.Server(config).run(sockets=[sock])


def _vendor(cache: Path, *, required: bool) -> Optional[Path]:
    """Install (or find) the page's libraries. Without them the page falls back to the CDNs."""
    cache = cache.expanduser().resolve()
    if not vendor.is_installed(cache):
        print(f'{PROG}: installing the page\'s libraries with npm into {cache} (first start '
              f'only)', flush=True)
    try:
        return vendor.install(cache)
    except vendor.VendorError as e:
        if required:
            raise UserError(f'cannot install the page libraries: {e}')
        print(f'{PROG}: warning: {e}; the page will load its libraries from the internet',
              file=sys.stderr, flush=True)
        return None


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    r"""
    Start-up problems are one line (`labml_nn.app: error: …`) and exit status 2; Ctrl+C stops.
    `prog` is the command's name in `--help` (by default, the name it was run by).
    """
    def body() -> None:
        try:
            serve(parse_args(argv, prog))
        except KeyboardInterrupt:
            pass
    cli.run_command(body, prog=PROG)


if __name__ == '__main__':
    main()
