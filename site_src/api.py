r"""
---
title: The API reference with pdoc
summary: pdoc documents every module, class and function; this driver gives it our Markdown parser and hands its formulas to the same KaTeX batch as the annotated pages.
---

# The API reference

The annotated pages are for reading a module from top to bottom. The API reference (under
`api/`) answers the other question, "what does this take and return?", for every public name.
[pdoc](https://pdoc.dev) writes it by importing the modules, which is why it runs in a child
process: the import of `torch` and of our own modules stays out of the mkdocs process, and a
rebuild under `mkdocs serve` sees the edited modules instead of the ones imported last time.

Two things of pdoc's are replaced:

* its Markdown converter, by [ours](render.html), so that the docstrings read the same in both
  places and YAML front matter is not shown as text;
* its math, which would load MathJax from a CDN when the page opens. Each formula is left as
  an empty `span.pending-math` carrying its TeX; the [plugin](plugin.html) renders them in the
  same KaTeX batch as the rest of the build.

Run it alone with `python -m site_src.api OUTPUT_DIR MODULE...`.
"""

import base64
import html
import re
import sys
import warnings
from pathlib import Path

from .sections import split_front_matter


# ## Math in the reference
#
# The TeX is base64 in an attribute, where neither pdoc's `linkify` (which turns names in the
# text into links) nor any escaping can change it.
class PendingMath:
    def add(self, tex: str, display: bool, place: str) -> str:
        data = base64.b64encode(tex.strip().encode('utf-8')).decode('ascii')
        return f'<span class="pending-math" data-display="{int(display)}" data-tex="{data}"></span>'


# pdoc's templates read `.toc_html` from what the converter returns
class Html(str):
    toc_html = ''


def docstring_html(docstring: str) -> Html:
    from .render import render_markdown
    lines = docstring.split('\n')
    numbers = list(range(1, len(lines) + 1))
    _, lines, numbers = split_front_matter(lines, numbers, 'docstring')
    html_text = render_markdown(lines, numbers, 'api', PendingMath())
    return Html(RELATIVE_LINK.sub(r'href="annotated-rel:\1"', html_text))


# Relative links in docstrings are written for the annotated pages, whose folders differ from
# pdoc's: they are marked here and resolved by the plugin, which knows both layouts
RELATIVE_LINK = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/)([^"]*)"')


# The plugin finds the formulas pdoc left in a page with this pattern
PENDING = re.compile(r'<span class="pending-math" data-display="([01])" data-tex="([^"]*)"></span>')


def pending_math(page: str):
    """Yield `(markup, tex, display)` for each formula pdoc left in a page."""
    for m in PENDING.finditer(page):
        tex = base64.b64decode(html.unescape(m.group(2))).decode('utf-8')
        yield m.group(0), tex, m.group(1) == '1'


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print('usage: python -m site_src.api OUTPUT_DIR MODULE...', file=sys.stderr)
        return 2
    import pdoc
    import pdoc.render
    # pdoc warns about the name-mangled attributes of labml's `BaseConfigs`; nothing to act on
    warnings.filterwarnings('ignore', category=UserWarning, module='pdoc')
    # Source listings would repeat the annotated pages (and their raw TeX); search stays, it
    # is a local index
    pdoc.render.configure(docformat='markdown', show_source=False, math=False, search=True,
                          footer_text='labml_nn: the annotated MLM')
    pdoc.render.env.filters['to_html'] = docstring_html
    pdoc.pdoc(*argv[1:], output_directory=Path(argv[0]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

