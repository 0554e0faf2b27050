"""
---
title: Serving the app's browser libraries locally
summary: >
  The labml app's page loads d3, Bootstrap and Font Awesome from CDNs. We install pinned copies
  with npm and serve them from the launcher, so the UI works with no internet.
---

# Serving the app's browser libraries locally

The app's `index.html` pulls three libraries from content delivery networks:

| library | CDN address in the page | npm package |
|---|---|---|
| Bootstrap CSS | `cdn.jsdelivr.net/npm/bootstrap@5.0.0-beta2/…/bootstrap.min.css` | `bootstrap@5.0.0-beta2` |
| d3 | `d3js.org/d3.v6.min.js` (6.7.0 is the last 6.x) | `d3@6.7.0` |
| Font Awesome | `cdnjs.cloudflare.com/…/font-awesome/5.9.0/css/all.css` | `@fortawesome/fontawesome-free@5.9.0` |

With no internet (a train, a lab network, a CI machine) the page stays blank: d3 draws every chart.

`package.json` and `package-lock.json` beside this module pin the three packages. `npm ci` installs
exactly what the lock file names and checks each package's hash, so what we serve is what was
pinned. Nothing from npm is committed to the repository.

Where they are installed: `npm ci` needs a folder of its own, and the installed Python package may
be read-only, so we copy the two manifest files into a cache folder (by default
`~/.labml_nn/vendor/`) and install there. The install goes into a temporary folder that is renamed
into place when complete, named after the lock file's hash: a half-finished install is never used,
and a changed lock file installs afresh.

The launcher then rewrites the three addresses in the page to `/_vendor/…` and serves those paths
from the installed packages. The Bootstrap link carries a
[subresource integrity](https://developer.mozilla.org/en-US/docs/Web/Security/Subresource_Integrity)
hash; npm's copy of the file is byte-for-byte the CDN's, so we keep the hash and the browser still
verifies it.
"""

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

# The folder that holds `package.json` and `package-lock.json`.
MANIFEST_DIR = Path(__file__).parent

# URL prefix under which the launcher serves the installed packages.
VENDOR_PREFIX = '/_vendor/'

# Each CDN address in the app's page, and the file inside `node_modules` that replaces it.
CDN_FILES: Dict[str, str] = {
    'https://cdn.jsdelivr.net/npm/bootstrap@5.0.0-beta2/dist/css/bootstrap.min.css':
        'bootstrap/dist/css/bootstrap.min.css',
    'https://d3js.org/d3.v6.min.js':
        'd3/dist/d3.min.js',
    # Font Awesome's CSS loads its fonts from `../webfonts/`, relative to itself, so we serve the
    # whole package folder and keep that layout.
    'https://cdnjs.cloudflare.com/ajax/libs/font-awesome/5.9.0/css/all.css':
        '@fortawesome/fontawesome-free/css/all.css',
}

# Only these package folders are served: nothing else in `node_modules` is reachable.
SERVED_PACKAGES = ('bootstrap', 'd3', '@fortawesome/fontawesome-free')


class VendorError(Exception):
    """The libraries could not be installed; the message says why, in one line."""


def lock_hash() -> str:
    """A short hash of the lock file: the name of the folder that this exact install lives in."""
    return hashlib.sha256((MANIFEST_DIR / 'package-lock.json').read_bytes()).hexdigest()[:16]


def installed_dir(cache: Path) -> Path:
    """Where `node_modules` of the current lock file is (or will be) installed."""
    return cache / lock_hash()


def is_installed(cache: Path) -> bool:
    target = installed_dir(cache) / 'node_modules'
    return all((target / f).is_file() for f in CDN_FILES.values())


def install(cache: Path, *, timeout: float = 300) -> Path:
    """
    Run `npm ci` for the pinned manifest unless this lock file is already installed in `cache`.
    Returns the `node_modules` folder; raises `VendorError` with a one-line reason on failure.
    """
    if is_installed(cache):
        return installed_dir(cache) / 'node_modules'
    npm = shutil.which('npm')
    if npm is None:
        raise VendorError('npm is not installed (Debian: apt-get install npm)')
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise VendorError(f'cannot create {cache}: {e.strerror}')

    # Two launchers starting at once would both install; a lock makes the second wait and then
    # find the first one's install.
    with open(cache / '.install.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_installed(cache):
            return installed_dir(cache) / 'node_modules'

        work = Path(tempfile.mkdtemp(prefix='.installing-', dir=cache))
        try:
            for name in ('package.json', 'package-lock.json'):
                shutil.copy(MANIFEST_DIR / name, work / name)
            # `--ignore-scripts`: these packages need no install scripts, and running none is
            # safer. `--no-audit --no-fund`: no extra network calls or messages.
            result = subprocess.run([npm, 'ci', '--ignore-scripts', '--no-audit', '--no-fund'],
                                    cwd=work, capture_output=True, text=True, timeout=timeout)
            if result.returncode != 0:
                last = (result.stderr.strip().splitlines() or ['(no output)'])[-1]
                raise VendorError(f'npm ci failed: {last}')
            target = installed_dir(cache)
            if target.exists():
                shutil.rmtree(target)
            # The rename publishes the finished install in one step.
            work.rename(target)
        except subprocess.TimeoutExpired:
            raise VendorError(f'npm ci took longer than {timeout:.0f} s')
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return installed_dir(cache) / 'node_modules'


def rewrite_index(html: str) -> Tuple[str, List[str]]:
    """
    Point the page's CDN addresses at our local copies.

    Returns the new page and the list of remote addresses that are still in it, so the launcher
    can warn if a future app version loads something we do not serve.
    """
    for url, path in CDN_FILES.items():
        html = html.replace(url, VENDOR_PREFIX + path)
    remaining = [url for url in _remote_assets(html)]
    return html, remaining


def _remote_assets(html: str) -> List[str]:
    """Addresses of scripts and style sheets that the page still loads from other hosts."""
    import re
    return re.findall(r'(?:src|href)="(https?://[^"]+)"', html)


def resolve(node_modules: Path, url_path: str) -> Optional[Path]:
    """
    Map a request path under `/_vendor/` to a file, or `None` if it is not one we serve.

    The check on the resolved path stops `..` from walking out of the package folders.
    """
    rel = url_path[len(VENDOR_PREFIX):]
    for package in SERVED_PACKAGES:
        root = (node_modules / package).resolve()
        if rel.startswith(package + '/'):
            candidate = (node_modules / rel).resolve()
            if candidate.is_file() and root in candidate.parents:
                return candidate
    return None
