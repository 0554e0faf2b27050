r"""
---
title: Rendering sections to HTML
summary: Prose through markdown-it-py with math kept out of the Markdown parser's way, code through Pygments with every identifier marked, and the markup of a side-by-side page.
---

# Rendering

This module turns the sections of a [parsed file](sections.html) into the HTML of a page body.
It still knows nothing about mkdocs: it returns a string, and the [plugin](plugin.html) hands
that string to the theme.

## Math and Markdown

Markdown and TeX fight over the same characters: `_` is emphasis in one and a subscript in the
other, `\\` is an escape in both, and `*` is emphasis or multiplication. The usual trick of
letting Markdown run and hoping the TeX survives garbles formulas like $a_i * b_j$. And a
formula broken over lines is not safe from Markdown's *block* rules either: a line of it that
starts with `+`, `-`, `*` or `1.` starts a list. So the math is found first, in the text as
written, before Markdown sees any structure in it: `$…$` and `\(…\)` inline, `$$…$$` and
`\[…\]` on display, and a LaTeX environment written without dollars:

```tex
\begin{align}
a &= b + c \\
d &= e
\end{align}
```

Each formula becomes a placeholder that Markdown reads as a word, and after parsing, each
placeholder becomes a math token (a paragraph that is only a display formula becomes a
display block). A dollar that is not math is written `\$`; math inside code stays code.

Prose is text. Raw HTML is allowed where it is deliberate (a `<kbd>` or a `<details>` is
sometimes the clearest markup), but `<EOS>`, `<BLANKLINE>` or `f(x=<array>)` are words in
angle brackets, and are shown as written: only the tags of known HTML elements, written in
lower case, pass through.
"""

import functools
import html
import posixpath
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import groupby
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES

from . import SiteError, docstyles

from .katex import MathBatch
from .sections import SourceFile


# ## The Markdown parser
#
# CommonMark plus tables, strikethrough and notes (`!!! note "Title"` with an indented body,
# as Material for MkDocs writes them; `??? note` is one the reader opens, `???+ note` one
# that starts open). Headings get ids, so prose can link to `#a-heading`.
def make_parser() -> MarkdownIt:
    md = MarkdownIt('commonmark', {'html': True, 'highlight': highlight_block})
    md.enable(['table', 'strikethrough'])
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=heading_slug)
    md.use(admon_plugin, render=note_rule)
    md.core.ruler.push('math', math_tokens_rule)
    for name, display in (('math_inline', False), ('math_inline_double', True),
                          ('math_block', True)):
        md.add_render_rule(name, math_rule(display))
    md.add_render_rule('code_inline', code_rule)
    md.add_render_rule('html_inline', html_inline_rule)
    md.add_render_rule('html_block', html_block_rule)
    md.core.ruler.push('source_links', source_links_rule)
    return md


# A note is a `div`; a collapsible one (its marker starts with `?`) is a `details` element,
# its title the `summary` that opens it, so that it opens without a script
def note_rule(self, tokens, idx, options, env):
    token = tokens[idx]
    # (A title's closing token has no marker: its opening one has)
    opening = token if token.type != 'admonition_title_close' else next(
        t for t in reversed(tokens[:idx]) if t.type == 'admonition_title_open')
    if not opening.markup.startswith('?'):
        return self.renderToken(tokens, idx, options, env)
    if token.type == 'admonition_open':
        classes = ' '.join(c for c in token.attrGet('class').split() if not c.startswith(('is-', 'collapsible')))
        return f'<details class="{classes}"{" open" if token.markup.endswith("+") else ""}>\n'
    if token.type == 'admonition_title_open':
        return '<summary class="admonition-title">'
    if token.type == 'admonition_title_close':
        return '</summary>\n'
    return '</details>\n'


# ## Math, found before Markdown
#
# One scan of the text finds, left to right, what could open a formula, and skips what
# cannot hold one: fenced code blocks and code spans, and escaped characters (`\$`). Only an
# environment, which says where it ends, may span a blank line. `$…$` follows the rules that
# keep prices and shell prompts out: no space just after the opening dollar (`$ python
# train.py`), no digit just before it or just after the closing one (`$5 and $10`).
#
# The environments of LaTeX's `amsmath` that make display math, and the ones that normally
# sit inside display math but that authors also write on their own. (KaTeX lacks `multline`,
# `flalign` and `eqnarray`; [katex](katex.html) rewrites those to ones it has.)
MATH_ENVIRONMENTS = {
    name + star for star in ('', '*') for name in (
        'equation', 'align', 'alignat', 'gather', 'multline', 'flalign', 'eqnarray')
} | {'aligned', 'alignedat', 'gathered', 'split', 'array', 'matrix', 'pmatrix', 'bmatrix',
     'Bmatrix', 'vmatrix', 'Vmatrix', 'smallmatrix', 'cases', 'CD'}
MATH_START = re.compile(r'^[ \t]*(?P<fence>`{3,}|~{3,})|(?P<ticks>`+)|\$\$|\$|\\\(|\\\['
                        r'|\\begin\{(?P<env>[A-Za-z]+\*?)\}|\\.', re.M | re.S)
BLANK_LINE = re.compile(r'\n[ \t]*\n')
# What closes `\(`, `\[` and a double dollar
CLOSING_PARENTHESIS = re.compile(r'(?<!\\)\\\)')
CLOSING_BRACKET = re.compile(r'(?<!\\)\\\]')
CLOSING_DOUBLE_DOLLAR = re.compile(r'(?<!\\)\${2}')
# A placeholder is a number between two characters of Unicode's private use area (other than
# the two that [katex](katex.html) uses)
MATH_OPEN, MATH_CLOSE_MARK = '\ue002', '\ue003'
MATH_PLACEHOLDER = re.compile(f'{MATH_OPEN}(\\d+){MATH_CLOSE_MARK}')


@dataclass
class Formula:
    tex: str
    display: bool
    # The formula as written, delimiters and all, and the line (0-based) it starts on
    written: str
    line: int


def find_math(text: str) -> tuple[str, list[Formula]]:
    """`text` with each formula replaced by a placeholder, and the formulas."""
    formulas: list[Formula] = []
    out, done, pos = [], 0, 0
    while (m := MATH_START.search(text, pos)) is not None:
        start, token = m.start(), m.group()
        end, tex, display = None, None, True
        if m.group('fence'):
            # A fenced block runs to its closing fence, or to the end of the text
            marker = m.group('fence')
            close = re.compile(rf'^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$', re.M)
            line_end = text.find('\n', m.end())
            closing = close.search(text, line_end + 1) if line_end >= 0 else None
            pos = closing.end() if closing else len(text)
            continue
        if m.group('ticks'):
            run = m.group('ticks')
            closing = re.compile(rf'(?<!`){run}(?!`)').search(text, m.end())
            if closing and not BLANK_LINE.search(text, m.end(), closing.start()):
                pos = closing.end()
            else:
                pos = m.end()
            continue
        if token in ('$$', '\\(', '\\['):
            closing = {'$$': CLOSING_DOUBLE_DOLLAR, '\\(': CLOSING_PARENTHESIS,
                       '\\[': CLOSING_BRACKET}[token].search(text, m.end())
            if closing:
                end, tex, display = closing.end(), text[m.end():closing.start()], token != '\\('
                # Markdown writes `\[1\]` for brackets that are not a link: `\[` is math when it
                # starts a line, or holds something only TeX writes
                if (token == '\\[' and text[text.rfind('\n', 0, start) + 1:start].strip()
                        and not re.search(r'[\\^_{}=]', tex)):
                    end = None
        elif m.group('env'):
            if m.group('env') in MATH_ENVIRONMENTS:
                end = environment_end(text, m.group('env'), m.end())
                tex = text[start:end] if end else None
        elif token == '$':
            end = inline_dollar_end(text, start)
            if end:
                tex, display = text[start + 1:end - 1], False
        else:
            # An escaped character (`\$`, `\\`): never math
            pos = m.end()
            continue
        # (An environment ends where it says; between `$` signs, a blank line ends a paragraph)
        if end is None or not tex.strip() or (not m.group('env') and BLANK_LINE.search(text, start, end)):
            pos = m.end()
            continue
        line = text.count('\n', 0, start)
        out.append(text[done:start])
        out.append(f'{MATH_OPEN}{len(formulas)}{MATH_CLOSE_MARK}')
        formulas.append(Formula(tex, display, text[start:end], line))
        done = pos = end
    if not formulas:
        return text, formulas
    out.append(text[done:])
    return ''.join(out), formulas


def inline_dollar_end(text: str, start: int) -> int | None:
    """The end of `$…$` opening at `start`, or `None` if that dollar opens nothing."""
    after = start + 1
    if after >= len(text) or text[after].isspace() or (start and text[start - 1].isdigit()):
        return None
    close = after
    while True:
        close = text.find('$', close)
        if close < 0:
            return None
        if text[close - 1] != '\\':
            break
        close += 1
    if text[close + 1:close + 2].isdigit():
        return None
    return close + 1


def environment_end(text: str, name: str, pos: int) -> int | None:
    """The end of `\\end{name}` closing an environment opened before `pos`, nested ones of the
    same name counted."""
    opener, closer = f'\\begin{{{name}}}', f'\\end{{{name}}}'
    depth = 1
    while depth:
        close = text.find(closer, pos)
        if close < 0:
            return None
        depth += text.count(opener, pos, close) - 1
        pos = close + len(closer)
    return pos


# After parsing, each placeholder becomes a math token. A paragraph that is nothing but a
# display formula (and perhaps a full stop) is a display block; in code, and in raw HTML, the
# formula goes back to its text as written.
def math_tokens_rule(state):
    formulas = state.env.get('formulas')
    if not formulas:
        return
    tokens, out, i = state.tokens, [], 0
    while i < len(tokens):
        token = tokens[i]
        alone = (token.type == 'paragraph_open' and i + 2 < len(tokens)
                 and re.fullmatch(f'{MATH_OPEN}(\\d+){MATH_CLOSE_MARK}[.,;:]?', tokens[i + 1].content.strip()))
        if alone and formulas[int(alone.group(1))].display:
            formula = formulas[int(alone.group(1))]
            block = Token('math_block', 'math', 0, content=formula.tex, block=True, map=token.map,
                          meta={'line': formula.line})
            out.append(block)
            i += 3
            continue
        if token.type == 'inline' and token.children:
            token.children = [piece for child in token.children for piece in math_children(child, formulas)]
        elif token.type in ('code_block', 'fence', 'html_block'):
            token.content = as_written(token.content, formulas)
        out.append(token)
        i += 1
    state.tokens = out


def as_written(text: str, formulas: list[Formula]) -> str:
    return MATH_PLACEHOLDER.sub(lambda m: formulas[int(m.group(1))].written, text)


def math_children(child, formulas: list[Formula]):
    if child.type != 'text':
        if child.type in ('code_inline', 'html_inline'):
            child.content = as_written(child.content, formulas)
        for name, value in list((child.attrs or {}).items()):
            if isinstance(value, str):
                child.attrSet(name, as_written(value, formulas))
        yield child
        return
    pieces = MATH_PLACEHOLDER.split(child.content)
    if len(pieces) == 1:
        yield child
        return
    for j, piece in enumerate(pieces):
        if j % 2 == 0:
            if piece:
                yield Token('text', '', 0, content=piece, level=child.level)
            continue
        formula = formulas[int(piece)]
        yield Token('math_inline_double' if formula.display else 'math_inline', 'math', 0,
                    content=formula.tex, level=child.level, meta={'line': formula.line})


# ## Raw HTML in prose
#
# The elements that prose may use, in lower case; any other tag is text.
PROSE_ELEMENTS = frozenset(
    'a abbr b bdi bdo blockquote br caption center cite code col colgroup dd del details dfn div '
    'dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p picture pre q rp rt '
    'ruby s samp small span strong sub summary sup table tbody td tfoot th thead tr u ul var wbr'.split())
HTML_TAG = re.compile(r'\s*<(?:!--|/?([a-z][a-z0-9]*)(?=[\s/>]))')


def deliberate_html(markup: str) -> bool:
    m = HTML_TAG.match(markup)
    return bool(m) and (m.group(1) is None or m.group(1) in PROSE_ELEMENTS)


def html_inline_rule(self, tokens, idx, options, env):
    content = tokens[idx].content
    return content if deliberate_html(content) else html.escape(content, quote=False)


# A block that Markdown took for HTML but is not (`<BLANKLINE>` on a line of its own) is a
# paragraph of text, with its Markdown and math read as usual
def html_block_rule(self, tokens, idx, options, env):
    content = tokens[idx].content
    if deliberate_html(content):
        return content
    return f'<p>{MD.renderInline(content.strip(), env)}</p>\n'


# A page is rendered one section at a time, so the ids of its headings are made unique over
# the page here (`page_body` empties the set for each page), and never look like `section-N`.
PAGE_SLUGS: set[str] = set()


def heading_slug(title: str) -> str:
    base = re.sub(r'[^\w\- ]', '', title.strip().lower()).replace(' ', '-') or 'heading'
    if re.fullmatch(r'section-\d+', base):
        base = 'heading-' + base
    slug, n = base, 1
    while slug in PAGE_SLUGS:
        n += 1
        slug = f'{base}-{n}'
    PAGE_SLUGS.add(slug)
    return slug


# The render rule of a math token: a placeholder, and a note of where the formula is in the
# source so that KaTeX's complaints name the line.
def math_rule(display: bool):
    def rule(self, tokens, idx, options, env):
        token = tokens[idx]
        placeholder = env['batch'].add(token.content, display, f"{env['file']}:{token.meta['line']}")
        # A formula with symbols tied to code (below) can take the keyboard focus
        refs = ' '.join(dict.fromkeys(ref_name(m) for m in CODE_MACRO.findall(token.content)))
        focus = f' tabindex="0" data-refs="{html.escape(refs)}"' if refs else ''
        # A display formula on its own is a block; one inside a paragraph stays inline markup
        if token.block:
            return f'<div class="math-block"{focus}>{placeholder}</div>\n'
        return f'<span class="math-ref"{focus}>{placeholder}</span>' if refs else placeholder
    return rule


# ## Prose tied to code
#
# A code span in the prose that names something in the code of the page (`` `batch_size` ``,
# `` `MLM.forward()` `` for `forward`) is marked with that name, and so is a symbol in a
# formula written `\code{d_k}` or `\codeas{batch_size}{B}` (KaTeX puts the name on the
# symbol's markup, see [katex](katex.html)). The page's script then highlights the name in the
# code and in the prose together, when the reader points at either or reaches it with the
# keyboard. Names are compared without braces, backslashes and spaces: `\code{W_{q}}` is `W_q`.
CODE_MACRO = re.compile(r'\\code(?:as)?\s*\{((?:[^{}]|\{[^{}]*\})*)\}')


def ref_name(text: str) -> str:
    return re.sub(r'[{}\\\s]', '', text)


def code_rule(self, tokens, idx, options, env):
    content = tokens[idx].content
    name = content.strip().removesuffix('()').rpartition('.')[2]
    if name in env.get('names', ()):
        return (f'<code class="ref" data-ref="{html.escape(name)}" tabindex="0">'
                f'{html.escape(content, quote=False)}</code>')
    return f'<code>{html.escape(content, quote=False)}</code>'


# ## Links between sources
#
# Prose in a package links to its neighbours as files, the way a repository shows them:
# `[the lens](optics/lens.py)`, `[the guide](readme.md)`. Each page sits where its file does
# (`lens.py` is `lens.html`, a package's `__init__.py` its folder's `index.html`), so such a
# relative link is pointed at the page of that file.
def page_link(href: str) -> str:
    if re.match(r'[a-zA-Z][a-zA-Z0-9+.-]*:|/|#', href):
        return href
    path, rest = re.match(r'([^?#]*)(.*)', href, re.DOTALL).groups()
    if path.endswith('__init__.py'):
        path = path[:-len('__init__.py')] + 'index.html'
    elif path.endswith(('.py', '.md')):
        path = path[:-3] + '.html'
    return path + rest


def source_links_rule(state):
    for token in state.tokens:
        for child in token.children or []:
            if child.type == 'link_open' and child.attrGet('href'):
                child.attrSet('href', page_link(child.attrGet('href')))


# Fenced code blocks in the prose (```` ```python ````) are highlighted like the code column.
# Each can scroll sideways, so each can take the keyboard focus, and has a name.
def highlight_block(code: str, lang: str, attrs) -> str:
    if lang in ('', 'python', 'py', 'pycon'):
        body = ''.join(span(ttype, value) for ttype, value in LEXER.get_tokens(code))
    else:
        body = html.escape(visible(code), quote=False)
    # A drawing or aligned columns ([docstyles](docstyles.html) fences them as `text`) must
    # never wrap: the stylesheet keeps its lines whole
    if lang == 'text':
        return f'<pre class="highlight preformatted" {focusable("Preformatted text")}><code>{body}</code></pre>'
    return f'<pre class="highlight" {focusable("Code")}><code>{body}</code></pre>'


def focusable(label: str) -> str:
    """The attributes of a block that may scroll: a stop of the Tab key, with a name."""
    return f'tabindex="0" role="group" aria-label="{html.escape(label)}"'


MD = None

# Control characters (a form feed between the "pages" of an old file, a stray escape) have no
# place in HTML, and some browsers show nothing for them: each is shown as its picture from
# Unicode's Control Pictures block, ␌ for a form feed. Tabs and line ends are whitespace.
CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f]')


def visible(text: str) -> str:
    return CONTROL.sub(lambda m: '\u2421' if m.group() == '\x7f' else chr(0x2400 + ord(m.group())), text)


# Each prose line maps to a source line through `numbers`, since the prose was cut out of a
# docstring or a run of comments.
def render_markdown(lines: list[str], numbers: list[int], file: str, batch: MathBatch,
                    names: set[str] = frozenset(), warn=None) -> str:
    """HTML of Markdown `lines`; `numbers[i]` is the source line of `lines[i]`, and `names`
    the names in the code beside the prose. What the prose's markup got wrong (a mistyped
    directive in a docstring) is said to `warn`, as `file:line: what`."""
    global MD
    if MD is None:
        MD = make_parser()
    # [docstyles](docstyles.html) left a note on a line of its own where it had to guess
    lines, numbers, notices = docstyles.take_notices(lines, numbers)
    for line, message in notices:
        if warn is not None:
            warn(f'{file}:{line}: {message}')
    text, formulas = find_math(visible('\n'.join(lines)))
    # Each formula's line in the source, for KaTeX's complaints
    for formula in formulas:
        formula.line = numbers[min(formula.line, len(numbers) - 1)] if numbers else 0
    env = {'batch': batch, 'file': file, 'names': names, 'formulas': formulas}
    return MD.render(text, env)


# ## Code
#
# The whole file is lexed at once, so that a string or bracket spanning several lines is
# coloured right wherever a section boundary falls, and then cut into lines. Each token
# becomes a span with Pygments' short class name (`k` for keyword, `n` for name …); the
# theme's stylesheet colours them for light and dark mode.
LEXER = PythonLexer(stripnl=False, ensurenl=True, tabsize=4)

# Names get `data-id`: the script that highlights every use of an identifier finds them by it
NAME_CLASSES = ('n', 'nf', 'nc', 'nn', 'nb', 'bp', 'fm', 'nv', 'na')


@functools.cache
def css_class(ttype) -> str:
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


def span(ttype, value: str, controls: bool = True) -> str:
    text = html.escape(visible(value) if controls else value, quote=False)
    cls = css_class(ttype)
    if not cls or not value.strip():
        return text
    if cls in NAME_CLASSES:
        return f'<span class="{cls}" data-id="{html.escape(value)}">{text}</span>'
    return f'<span class="{cls}">{text}</span>'


def highlight_lines(text: str, names: set[str] | None = None) -> list[str]:
    """The HTML of each line of a Python file; `result[0]` is line 1. The names in the code
    are added to `names`."""
    lines = ['']
    # (Most files have no control character: then no token needs looking at for one)
    controls = bool(CONTROL.search(text))
    for ttype, value in LEXER.get_tokens(text):
        if names is not None and css_class(ttype) in NAME_CLASSES:
            names.add(value)
        # A token may span lines (a docstring, a multi-line string): split it at newlines
        for i, piece in enumerate(value.split('\n')):
            if i:
                lines.append('')
            if piece:
                lines[-1] += span(ttype, piece, controls)
    return lines


# A run of consecutive line numbers becomes one block of lines; a gap (where a comment or
# docstring was taken out into the prose) is shown as a thin rule so the reader sees that
# lines are missing there.
def code_html(numbers: list[int], highlighted: list[str]) -> str:
    out = []
    for _, run in groupby(enumerate(numbers), key=lambda p: p[1] - p[0]):
        run = [n for _, n in run]
        body = '\n'.join(f'<span class="line" data-ln="{n}">{highlighted[n - 1]}</span>'
                         for n in run)
        lines = f'line {run[0]}' if len(run) == 1 else f'lines {run[0]}–{run[-1]}'
        out.append(f'<pre class="highlight" {focusable(f"Code, {lines}")}><code>{body}</code></pre>')
    return '\n'.join(out)


# ## Links to the source
#
# Each section links to its lines of the source file: in the project's repository when it
# has one (`#L10-L20`, as GitHub and GitLab read it), otherwise in the site's own
# [source view](#the-source-view) of the file, where each line is an anchor (`#L10`) and the
# query `?lines=10-20` marks the section's lines.
@dataclass
class SourceLinks:
    # The file: its address in the repository, or its source view relative to the page
    url: str
    in_repository: bool = True

    def href(self, first: int, last: int) -> str:
        if first == last:
            return f'{self.url}#L{first}'
        if self.in_repository:
            return f'{self.url}#L{first}-L{last}'
        return f'{self.url}?lines={first}-{last}#L{first}'

    @property
    def where(self) -> str:
        return 'in the repository' if self.in_repository else 'in the source view'


# ## The page body
#
# Each section is `div.section#section-N` holding `div.docs` and `div.code`, the markup the
# theme's stylesheet lays out side by side. The prose column starts with the section's
# permalink and a link to the exact lines of the source.
def page_body(source: SourceFile, batch: MathBatch, links: SourceLinks | str | None = None,
              inserts: dict[int, str] | None = None, search: list[str] | None = None,
              warn=None) -> str:
    """HTML of all sections; `links` says where line numbers point (a string is the file's
    address in a repository); `inserts[i]` is extra prose HTML put after section `i`. The
    page as a search index should see it is added to `search`, when given (see below), and
    what could not be shown faithfully is said to `warn`."""
    if isinstance(links, str):
        links = SourceLinks(links)
    highlighted = source_lines_html(source)
    inserts = inserts or {}
    PAGE_SLUGS.clear()
    parts = []
    number = 0

    def section_html(docs: str, code: str, lines: tuple[int, int] | None) -> str:
        # The labels are drawn by the stylesheet from `data-label`, so they stay out of the
        # text that search indexes; `aria-label` names the links for screen readers
        anchors = [f'<a class="permalink" href="#section-{number}" data-label="#" '
                   f'aria-label="Permalink to section {number}"></a>']
        if links and lines:
            first, last = lines
            label = f'line {first}' if first == last else f'lines {first}–{last}'
            anchors.append(f'<a class="source-link" href="{html.escape(links.href(first, last))}" '
                           f'data-label="{label}" '
                           f'aria-label="{html.escape(source.path)}, {label}, {links.where}"></a>')
        return (f'<div class="section" id="section-{number}">\n'
                f'<div class="docs">\n<div class="section-links">{" ".join(anchors)}</div>\n'
                f'{docs}</div>\n<div class="code">\n{code}</div>\n</div>\n')

    for i, section in enumerate(source.sections):
        docs = render_markdown(section.docs, section.docs_lines, source.path, batch, source.names, warn)
        code = code_html(section.code_lines, highlighted) if section.code_lines else ''
        parts.append(section_html(docs, code, source.line_range(section)))
        if search is not None:
            search.append(docs + search_names(code))
        number += 1
        if i in inserts:
            parts.append(section_html(inserts[i], '', None))
            if search is not None:
                search.append(inserts[i])
            number += 1
    return ''.join(parts)


# What a search index gets of a section: its prose, and of its code the names it uses, once
# each. Reading `mask_token` finds the pages that use it; the rest of the code (operators,
# keywords, numbers) would only make every page match everything, and the index large.
def search_names(code: str) -> str:
    names = dict.fromkeys(re.findall(r'data-id="([^"]*)"', code))
    return f'<p>{" ".join(names)}</p>\n' if names else ''


# The highlighted lines of a file, made once for its page and its source view
def source_lines_html(source: SourceFile) -> list[str]:
    if source.highlighted is None:
        source.names = set()
        source.highlighted = (highlight_lines(source.text, source.names) if source.kind == 'python'
                              else [html.escape(visible(line), quote=False) for line in source.lines])
    return source.highlighted


# ## The source view
#
# Without a repository to link to, the line numbers of a page open the whole file inside
# the site: one listing, highlighted as the code column is, each line with the id `L<n>`.
def source_view(source: SourceFile) -> str:
    # (Highlighting ends the text with a line break, and so one empty line more than the file)
    lines = source_lines_html(source)[:len(source.lines)]
    body = '\n'.join(f'<span class="line" id="L{n}" data-ln="{n}">{line}</span>'
                     for n, line in enumerate(lines, 1))
    return (f'<pre class="highlight source-view" {focusable(f"{source.path}, {len(lines)} lines")}>'
            f'<code>{body}</code></pre>\n')


# ## Including a recorded result in a hand-written page
#
# `<!-- include bench/results/compare.md -->` on a line of its own, in a hand-written page,
# is replaced by that file (a source of the site, named by its path from the project's root)
# without its title, so that a page about results shows the recorded tables and charts
# themselves and can never disagree with them. The included file's relative links were
# written for its own page; they are re-based to the page that includes it.
INCLUDE = re.compile(r'^<!-- include (\S+) -->$', re.M)
RELATIVE_LINK = re.compile(r'\]\((?![a-z]+:|/|#)([^)\s]+)\)')


def include_files(markdown: str, here: str, root: Path, page_urls: dict[str, str]) -> str:
    """Replaces each include marker of `markdown` (a page in the folder `here`); `page_urls`
    maps a source's path to its page's URL."""
    pages = {url for url in page_urls.values() if url.endswith('.html')}

    def include(marker):
        path = marker.group(1)
        if path not in page_urls:
            raise SiteError(f"{marker.group(0)}: {path} is not one of the site's sources")
        text = (root / path).read_text(encoding='utf-8')
        text = re.sub(r'\A# [^\n]*\n', '', text)
        base = posixpath.dirname(page_urls[path])

        def rebase(link):
            target = posixpath.normpath(posixpath.join(base, link.group(1)))
            # A link to another generated page is written to its Markdown source, as
            # hand-written pages link pages, so that mkdocs checks it and rewrites it
            page, _, anchor = target.partition('#')
            if page in pages:
                target = page[:-len('.html')] + '.md' + (f'#{anchor}' if anchor else '')
            return f']({posixpath.relpath(target, here or ".")})'
        return RELATIVE_LINK.sub(rebase, text)
    return INCLUDE.sub(include, markdown)


# ## The map of the pages
#
# A hand-written page (the home page) may ask for a list of every annotated page with the
# marker `<!-- map of pages -->`, so that a new module shows up there without an edit. The
# map follows the [reading order](project.html#the-reading-order): one group per chapter, in
# order, each page with its title and summary, and then the folders of the pages the reading
# order leaves out. Each chapter is a `<details>` that the reader opens, the first one open,
# so that the map shows the way in rather than every page at once. It is HTML, not Markdown
# (Markdown is not read inside a `<details>`), with links relative to the page holding it.
MAP_MARKER = '<!-- map of pages -->'


def title_html(title: str) -> str:
    """A page's title as HTML: escaped, its `code spans` set as code."""
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(title, quote=False))


def page_map(chapters, pages: dict, here: str) -> str:
    """HTML for `chapters` (of the project) whose pages are `pages` (`{url: page}`), linked
    from the folder `here`."""
    by_path = {page.source.path: page for page in pages.values()}
    out = ['<div class="page-map">']
    for i, chapter in enumerate(chapters):
        entries = []
        for path in chapter.pages:
            page = by_path[path]
            href = posixpath.relpath(page.url, here or '.')
            summary = f': {html.escape(page.source.summary)}' if page.source.summary else ''
            entries.append(f'<li><a href="{html.escape(href)}">{title_html(page.source.title)}</a>{summary}</li>')
        title = (html.escape(chapter.title) if chapter.listed
                 else f'Other pages in <code>{html.escape(chapter.title)}</code>')
        count = f'{len(chapter.pages)} page{"s" if len(chapter.pages) != 1 else ""}'
        about = f'<p class="chapter-summary">{html.escape(chapter.summary)}</p>' if chapter.summary else ''
        out.append(f'<details class="map-chapter"{" open" if i == 0 else ""}>'
                   f'<summary><span class="map-title">{title}</span> <span class="map-count">{count}</span></summary>'
                   f'{about}<ol>{"".join(entries)}</ol></details>')
    out.append('</div>')
    return '\n'.join(out) + '\n'


# ## A page's own contents
#
# The short contents list at the top of a page: its `##` and `###` headings (the `#` one is
# the page's title), with the ids the Markdown parser gave them. The text is what a reader
# sees of the heading: tags dropped, and of a formula only its typeset letters.
class HeadingParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings, self.current, self.skip = [], None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ('h2', 'h3') and attrs.get('id'):
            self.current = {'level': int(tag[1]), 'id': attrs['id'], 'text': ''}
        elif self.current is not None and (self.skip or 'katex-mathml' in (attrs.get('class') or '').split()):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.current is not None and self.skip and tag != self.current_tag():
            self.skip -= 1
        elif self.current is not None and tag == self.current_tag():
            self.current['text'] = ' '.join(self.current['text'].split())
            if self.current['text']:
                self.headings.append(self.current)
            self.current = None

    def current_tag(self) -> str:
        return f'h{self.current["level"]}'

    def handle_data(self, data):
        if self.current is not None and not self.skip:
            self.current['text'] += data


def page_headings(body: str) -> list[dict]:
    """`[{level, id, text}]` of the `h2` and `h3` headings of a page body, in order."""
    parser = HeadingParser()
    parser.feed(body)
    parser.close()
    return parser.headings
