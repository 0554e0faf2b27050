r"""
---
title: Math at build time with KaTeX
summary: Every formula of a build is collected as a placeholder and rendered to HTML and MathML in a single node process; KaTeX's stylesheet and fonts are copied into the site.
---

# Math at build time

The prose of this project is full of formulas like $\mathrm{softmax}(QK^\top / \sqrt{d_k})V$.
Typesetting them in the reader's browser would need a script from somewhere, and a page that
looks garbled until it arrives (or forever, offline). Instead KaTeX runs once, when the site
is built, and the page holds finished HTML for the eye and MathML for screen readers.

KaTeX is a JavaScript library, so we run it with `node`. Starting node and loading KaTeX takes
longer than rendering a hundred formulas, so the renderer does not call it per formula: it
leaves a *placeholder* in the HTML for each formula and remembers the TeX, and when every
page of the build has been rendered, one process renders every formula at once. Identical
formulas are rendered once.

KaTeX lacks three environments of LaTeX that real sources use: `multline`, `flalign` and
`eqnarray`. A formula that uses them is given to KaTeX with the nearest one it has (`gather`,
`align` and an array of three columns), so it renders instead of failing the build. A few
macros (in `katex_batch.js`) do the same for commands like `\label` and `\mbox`, and define
`\code{name}`, which ties a symbol to a name in the code.

KaTeX comes from npm (`site_src/package.json` pins it and `package-lock.json` pins what it
pulls in). The first build installs it with `npm ci --prefix site_src` when it is missing.
"""

import json
import re
from html import escape
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import SiteError

# The folder of this package: `katex_batch.js` and `node_modules/` live here
HERE = Path(__file__).parent
KATEX_DIST = HERE / 'node_modules' / 'katex' / 'dist'

# A placeholder is a number between two characters of Unicode's private use area. Nobody
# writes those in prose, Markdown leaves them alone, and HTML escaping does not touch them.
OPEN, CLOSE = '\ue000', '\ue001'
PLACEHOLDER = re.compile(f'{OPEN}(\\d+){CLOSE}')


# The environments KaTeX lacks, and what stands in for each
MISSING_ENVIRONMENTS = [
    (re.compile(r'\\begin\{multline(\*?)\}'), r'\\begin{gather\1}'),
    (re.compile(r'\\end\{multline(\*?)\}'), r'\\end{gather\1}'),
    (re.compile(r'\\begin\{flalign(\*?)\}'), r'\\begin{align\1}'),
    (re.compile(r'\\end\{flalign(\*?)\}'), r'\\end{align\1}'),
    (re.compile(r'\\begin\{eqnarray\*?\}'), r'\\begin{array}{rcl}'),
    (re.compile(r'\\end\{eqnarray\*?\}'), r'\\end{array}'),
]


def katex_tex(tex: str) -> str:
    """The TeX as KaTeX is given it."""
    for pattern, replacement in MISSING_ENVIRONMENTS:
        tex = pattern.sub(replacement, tex)
    return tex


# ## Collecting formulas
@dataclass
class MathBatch:
    """The formulas of one build, in the order they were first seen."""
    # `(tex, display)` of each distinct formula
    formulas: list[tuple[str, bool]] = field(default_factory=list)
    # Where each was first seen, as `file:line`, for error messages
    places: list[str] = field(default_factory=list)
    index: dict[tuple[str, bool], int] = field(default_factory=dict)
    # The rendered HTML of each formula, once `render` has run
    html: list[str] = field(default_factory=list)
    # The node process, once a formula has been sent to it, and what was sent, in order
    node: 'KatexProcess | None' = None
    sent: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, tex: str, display: bool, place: str) -> str:
        """Remember a formula and return the placeholder that stands for it."""
        key = (tex.strip(), display)
        if key not in self.index:
            self.index[key] = len(self.formulas)
            self.formulas.append(key)
            self.places.append(place)
        return f'{OPEN}{self.index[key]}{CLOSE}'

    # ## Rendering them all
    #
    # `cache` maps `(tex, display)` to HTML from earlier builds: `mkdocs serve` keeps it, so
    # that after an edit only new formulas go to node and the page is back within a second.
    #
    # A build calls `send` after each page: the page's new formulas go to node at once, and
    # node typesets them on the machine's other core while Python goes on with the next page.
    def send(self, cache: dict | None = None):
        """Send the formulas that are neither sent yet nor in `cache` to node."""
        todo = [key for key in self.formulas[len(self.sent):] if cache is None or key not in cache]
        self.sent += self.formulas[len(self.sent):]
        if todo:
            if self.node is None:
                self.node = KatexProcess()
            self.node.send([{'tex': katex_tex(tex), 'display': display} for tex, display in todo], todo)

    def render(self, cache: dict | None = None):
        """Typeset every formula: send what is left, then collect node's results."""
        cache = {} if cache is None else cache
        self.send(cache)
        if self.node is not None:
            node, self.node = self.node, None
            errors = []
            for key, result in node.results():
                if 'error' in result:
                    place = self.places[self.index[key]]
                    delimiter = '$$' if key[1] else '$'
                    errors.append(f'{place}: KaTeX cannot render {delimiter}{key[0]}{delimiter}: '
                                  f'{result["error"]}')
                else:
                    cache[key] = result['html']
            if errors:
                # Every bad formula at once, so the writer fixes them in one go
                raise SiteError('\n'.join(errors))
        self.html = [cache[key] for key in self.formulas]

    def close(self):
        """Stop node if the build ends without asking for its results (an error elsewhere)."""
        if self.node is not None:
            self.node.proc.kill()
            self.node.proc.wait()
            self.node = None

    def substitute(self, html: str, in_json: bool = False) -> str:
        """Put the rendered formulas in place of the placeholders (`in_json`: inside the
        strings of a JSON text, escaped for them)."""
        if in_json:
            return PLACEHOLDER.sub(lambda m: json.dumps(self.html[int(m.group(1))])[1:-1], html)
        return PLACEHOLDER.sub(lambda m: self.html[int(m.group(1))], html)

    def as_tex(self, html: str) -> str:
        """Put each formula's TeX in place of its placeholder (for a search index)."""
        return PLACEHOLDER.sub(lambda m: escape(self.formulas[int(m.group(1))][0], quote=False), html)


# ## The node process
#
# The formulas go in as lines of JSON on stdin (each a list of formulas) and come back as
# lines on stdout, one for each line sent; see `katex_batch.js`. Two threads read what node
# writes as it writes it, so that it never waits on a full pipe while Python is still sending.
def ensure_katex():
    """Install the pinned KaTeX with `npm ci` the first time it is needed."""
    if (KATEX_DIST / 'katex.min.css').exists():
        return
    npm = shutil.which('npm')
    if npm is None:
        raise SiteError('npm is not installed: the site needs it once, to fetch KaTeX')
    print(f'Installing KaTeX from npm (once): npm ci --prefix {HERE}')
    proc = subprocess.run([npm, 'ci', '--prefix', str(HERE), '--no-audit', '--no-fund'],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not (KATEX_DIST / 'katex.min.css').exists():
        raise SiteError(f'npm ci --prefix {HERE} failed: {proc.stderr.strip()[-300:]}')


class KatexProcess:
    def __init__(self):
        node = shutil.which('node')
        if node is None:
            raise SiteError('node is not installed: KaTeX needs it to render the math')
        ensure_katex()
        self.proc = subprocess.Popen([node, str(HERE / 'katex_batch.js')], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, encoding='utf-8')
        self.keys: list[list] = []
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self.out.extend, args=(self.proc.stdout,), daemon=True),
                        threading.Thread(target=self.err.extend, args=(self.proc.stderr,), daemon=True)]
        for reader in self.readers:
            reader.start()

    def send(self, items: list[dict], keys: list):
        self.keys.append(keys)
        self.proc.stdin.write(json.dumps(items) + '\n')
        self.proc.stdin.flush()

    def results(self):
        """`(key, {"html": …} or {"error": …})` for every formula sent."""
        self.proc.stdin.close()
        for reader in self.readers:
            reader.join()
        if self.proc.wait() != 0 or len(self.out) != len(self.keys):
            raise SiteError(f'KaTeX failed: {"".join(self.err).strip()[-500:]}')
        for keys, line in zip(self.keys, self.out):
            yield from zip(keys, json.loads(line))


# ## Stylesheet and fonts
#
# KaTeX's stylesheet lists each font three times: woff2, woff and ttf. Every browser that can
# show this site reads woff2, so we copy only those (about 300 KB) and drop the other two from
# the stylesheet, which then never points at a file that is not there.
FONT_FALLBACKS = re.compile(r',\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)')


def copy_assets(dest: Path):
    """Copy `katex.min.css` and its woff2 fonts into `dest` (e.g. `site/assets/katex`)."""
    ensure_katex()
    (dest / 'fonts').mkdir(parents=True, exist_ok=True)
    css = (KATEX_DIST / 'katex.min.css').read_text(encoding='utf-8')
    (dest / 'katex.min.css').write_text(FONT_FALLBACKS.sub('', css), encoding='utf-8')
    for font in sorted((KATEX_DIST / 'fonts').glob('*.woff2')):
        shutil.copyfile(font, dest / 'fonts' / font.name)
