r"""
---
title: Docstrings in other styles
summary: NumPy, Google and reStructuredText docstrings turned into the Markdown the rest of the generator reads, line by line, so that every line keeps its number in the source.
---

# Docstrings in other styles

The prose of this site is Markdown, but most Python projects write their docstrings in one of
three other styles, and their readers expect them to look as Sphinx or numpydoc shows them:

* **NumPy**: sections titled `Parameters`, `Returns`, `Notes`… underlined with dashes, each
  parameter a line `name : type` with its description indented below.
* **Google**: sections `Args:`, `Returns:`, `Raises:`… with entries `name (type): description`
  indented below the title.
* **reStructuredText**: fields (`:param x:`, `:returns:`, `:raises ValueError:`), roles
  (`` :func:`name` ``, `` :math:`x^2` ``), directives (`.. math::`, `.. note::`,
  `.. code-block::`), literal blocks after `::`, and titles underlined with `~`, `^` and the like.

Read as Markdown, all of these come out wrong: a section's indented entries become a code
block or a run-on paragraph, the `*` of a literal block turn into italics, and `.. math::`
stays raw. This module rewrites them into Markdown *before* the prose is rendered: entries
become list items, notes become `!!! note` blocks, literal blocks and doctests (`>>>`) become
fenced code, `.. math::` becomes `$$…$$`. It works one line at a time and keeps each line where
it was, so that every line still knows its line number in the source; the few lines it has to
add (a fence where no blank line was free for it, the text of `.. note:: Text` under its box's
title) share the number of the line next to them.

The rules only fire on what Markdown never writes (a `:param` field, a line ending in `::`, a
section title whose entries are indented below it), so Markdown docstrings pass unchanged.
Nothing is dropped but the markup itself: the words of every line are still on the page.
"""

import re

# ## Lines and where they came from
#
# The docstring is a list of lines; `origin[i]` is the index of the input line that output
# line `i` came from. Every rule below replaces lines in place, or inserts a fence line that
# shares its neighbour's origin.


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(' '))


def block_end(lines: list[str], start: int, deeper_than: int) -> int:
    """The end (exclusive) of the block from `start` of lines that are blank or indented more
    than `deeper_than`, without its trailing blank lines."""
    end = start
    for i in range(start, len(lines)):
        if lines[i].strip() and indent_of(lines[i]) <= deeper_than:
            break
        end = i + 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def convert(lines: list[str]) -> tuple[list[str], list[int]]:
    """Markdown for the docstring `lines`, and the input line each output line came from."""
    # Most docstrings are Markdown already, or plain text: nothing to do
    text = '\n'.join(lines)
    if not STYLE_HINT.search(text):
        return lines, list(range(len(lines)))
    out = list(lines)
    origin = list(range(len(lines)))
    for rule in (mistyped_directives, directives, literal_blocks, numpy_sections, google_sections,
                 fields, doctests, preformatted, roles_and_titles):
        out, origin = rule(out, origin)
    return out, origin


# What any of the styles needs to be present: a cheap test that lets Markdown docstrings
# through untouched
STYLE_HINT = re.compile(r'::|^\s*:\w+[^:\n]*:|^\s*>>>|^\s*[-=~^"\'*+#]{3,}\s*$|^\s*[A-Z][A-Za-z ]+:\s*$'
                        r'|:\w+:`|^\s*\.\.\s|^\s*\.\.[A-Za-z]|\]_'
                        # and what a drawing or aligned columns are made of
                        '|[\u2500-\u259f]|\\S {2,}\\S|^\\s*[|+]', re.M)


# A fence: a line of three backticks, which a rule writes around code at the given indent
def fence(indent: int, info: str = '') -> str:
    return ' ' * indent + '```' + info


def fenced_spans(lines: list[str]) -> set[int]:
    """The lines inside Markdown fences (and the fences), which no rule touches."""
    inside, marker = set(), None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if marker is None and (stripped.startswith('```') or stripped.startswith('~~~')):
            marker = stripped[:3]
            inside.add(i)
        elif marker is not None:
            inside.add(i)
            if stripped.startswith(marker) and not stripped.strip(marker[0]):
                marker = None
    return inside


# Put `body` (lines `start` to `end` of `lines`) in a fence at `indent`: the blank line before
# it (or the line `opener`, when given) opens the fence, the blank line after closes it, or a
# line is added
def wrap_in_fence(out, origin, start, end, indent, info='', opener=None):
    body = out[start:end]
    cut = min((indent_of(s) for s in body if s.strip()), default=0)
    out[start:end] = [' ' * indent + s[cut:] if s.strip() else '' for s in body]
    if opener is None:
        out[start - 1] = fence(indent, info)
    else:
        out[opener] = fence(indent, info)
    if end < len(out) and not out[end].strip():
        out[end] = fence(indent)
    else:
        out.insert(end, fence(indent))
        origin.insert(end, origin[end - 1])
    return out, origin


# ## reStructuredText directives
#
# `.. math::` is display math, one formula per paragraph of its body; `.. code-block:: lang`
# is fenced code; notes, warnings and their kin are `!!! note` blocks, which the renderer
# draws as boxes (their body indented by four spaces, as that syntax wants).
DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)\s?::\s*(.*)$")
NOTES = {'note': 'note', 'warning': 'warning', 'tip': 'tip', 'hint': 'tip', 'important': 'important',
         'caution': 'caution', 'danger': 'danger', 'error': 'error', 'attention': 'attention',
         'seealso': 'note', 'todo': 'note', 'admonition': 'note',
         'versionadded': 'note', 'versionchanged': 'note', 'deprecated': 'warning'}
NOTE_TITLES = {'seealso': 'See also', 'todo': 'To do', 'versionadded': 'New in version',
               'versionchanged': 'Changed in version', 'deprecated': 'Deprecated since version'}
OPTION = re.compile(r'^\s*:[\w-]+:')


def directives(out, origin):
    fenced = fenced_spans(out)
    i = 0
    while i < len(out):
        m = DIRECTIVE.match(out[i]) if i not in fenced else None
        if not m:
            i += 1
            continue
        ind, name, argument = len(m.group(1)), m.group(2).lower(), m.group(3).strip()
        end = block_end(out, i + 1, ind)
        # Options (`:label: eq1`, `:linenos:`) come first in a body; they are not shown
        body_start = i + 1
        while body_start < end and OPTION.match(out[body_start]):
            out[body_start] = ''
            body_start += 1
        if name == 'math':
            out[i] = f'{" " * ind}$${argument}$$' if argument else ''
            paragraph = []
            for j in range(body_start, end + 1):
                if j < end and out[j].strip():
                    paragraph.append(j)
                    continue
                if paragraph:
                    first, last = paragraph[0], paragraph[-1]
                    cut = min(indent_of(out[k]) for k in paragraph)
                    for k in paragraph:
                        out[k] = ' ' * ind + out[k][cut:]
                    out[first] = ' ' * ind + '$$' + out[first][ind:]
                    out[last] = out[last] + '$$'
                    paragraph = []
            i = end
        elif name in ('code-block', 'code', 'sourcecode'):
            while body_start < end and not out[body_start].strip():
                body_start += 1
            if body_start >= end:
                i += 1
                continue
            opener = body_start - 1 if body_start - 1 > i else i
            if opener != i:
                out[i] = ''
            out, origin = wrap_in_fence(out, origin, body_start, end, ind, argument, opener=opener)
            i = end + 1
        elif name in NOTES:
            title = NOTE_TITLES.get(name, '')
            if name == 'admonition':
                title, argument = argument, ''
            elif name in ('versionadded', 'versionchanged', 'deprecated'):
                title, argument = f'{title} {argument}'.strip(), ''
            header = f'{" " * ind}!!! {NOTES[name]}' + (f' "{title}"' if title else '')
            body = [j for j in range(body_start, end) if out[j].strip()]
            cut = min((indent_of(out[j]) for j in body), default=0)
            for j in range(body_start, end):
                out[j] = ' ' * (ind + 4) + out[j][cut:] if out[j].strip() else ''
            out[i] = header
            if argument:
                # `.. note:: Text` starts the body on the directive's line
                out.insert(i + 1, ' ' * (ind + 4) + argument)
                origin.insert(i + 1, origin[i])
                end += 1
            i = end
        else:
            # A directive this module doesn't know: a note titled with its name, or code
            shown = f'{name}: {argument}' if argument else name
            code = name in CODE_DIRECTIVES and any(out[j].strip() for j in range(body_start, end))
            notice(out, origin, i, f'unknown directive `.. {m.group(2)}::`, shown as '
                                   f'{"code" if code else "a note"}')
            i, body_start, end = i + 1, body_start + 1, end + 1
            if code:
                out[i] = ' ' * ind + f'*{shown}*'
                while not out[body_start].strip():
                    body_start += 1
                out.insert(body_start, '')
                origin.insert(body_start, origin[body_start])
                out, origin = wrap_in_fence(out, origin, body_start + 1, end + 1, ind, 'python',
                                            opener=body_start)
                i = end + 2
            else:
                out[i] = f'{" " * ind}!!! note "{shown.replace(chr(34), chr(39))}"'
                body = [j for j in range(body_start, end) if out[j].strip()]
                cut = min((indent_of(out[j]) for j in body), default=0)
                for j in range(body_start, end):
                    out[j] = ' ' * (ind + 4) + out[j][cut:] if out[j].strip() else ''
                i = end
            # (Lines were added: where the fences are is found again)
            fenced = fenced_spans(out)
    return out, origin


# ### Mistyped and unknown directives
#
# `.. math:` with one colon, or `..math::` without the space, is to reStructuredText a
# comment, which Sphinx would hide: here it is taken for the directive it almost is, and
# shown as one. A directive this module doesn't know (`.. plot::`, `.. rubric::`) is shown as
# a note titled with its name, its body as prose (or as code, for the directives whose body
# is code). Either way the writer hears of it: a *notice*, a line of its own that the
# [renderer](render.html) takes out and reports as a warning naming the file and line.
NOTICE = re.compile(r'^\s*<!-- docstyles: (.*) -->$')
LOOSE_DIRECTIVE = re.compile(r'^(\s*)\.\.\s*([A-Za-z][\w-]*)\s*(:+)[ \t]*(.*)$')
KNOWN_DIRECTIVES = {'math', 'code-block', 'code', 'sourcecode', *NOTES}
CODE_DIRECTIVES = {'plot', 'testcode', 'testsetup', 'testcleanup', 'doctest', 'ipython',
                   'jupyter-execute', 'code-cell', 'runblock'}


def notice(out, origin, i, message):
    """Put a notice before line `i`, sharing its origin."""
    out.insert(i, f'<!-- docstyles: {message} -->')
    origin.insert(i, origin[i])


def mistyped_directives(out, origin):
    fenced = fenced_spans(out)
    i = 0
    while i < len(out):
        m = LOOSE_DIRECTIVE.match(out[i]) if i not in fenced and not DIRECTIVE.match(out[i]) else None
        if m and m.group(2).lower() in KNOWN_DIRECTIVES:
            written = re.search(r'\.\.\s*[A-Za-z][\w-]*\s*:+', out[i]).group()
            name, shown = m.group(2).lower(), ''
            # A guess at math that KaTeX could not read would stop the build: a body whose
            # braces don't pair up is shown as the TeX it is
            if name == 'math' and not balanced('\n'.join(out[i:block_end(out, i + 1, indent_of(out[i]))])):
                name, shown = 'code-block', ' but shown as code, since its braces do not pair up'
            out[i] = f'{m.group(1)}.. {name}:: {m.group(4) if not shown else "latex"}'.rstrip()
            meant = f'.. {m.group(2).lower()}::'
            notice(out, origin, i, f'mistyped directive `{written}`, read as `{meant}`{shown}; write `{meant}`')
            i += 1
        i += 1
    return out, origin


def balanced(tex: str) -> bool:
    depth = 0
    for brace in re.findall(r'(?<!\\)[{}]', tex):
        depth += 1 if brace == '{' else -1
        if depth < 0:
            return False
    return depth == 0


def take_notices(lines: list[str], numbers: list[int]):
    """`(lines, numbers, [(line number, message)])`: the notices taken out of `lines`."""
    if not any(line.lstrip().startswith('<!-- docstyles:') for line in lines):
        return lines, numbers, []
    kept, kept_numbers, notices = [], [], []
    for line, number in zip(lines, numbers):
        m = NOTICE.match(line)
        if m:
            notices.append((number, m.group(1)))
        else:
            kept.append(line)
            kept_numbers.append(number)
    return kept, kept_numbers, notices


# ## Literal blocks
#
# A paragraph that ends with `::` introduces the indented block after it, shown as code. The
# `::` reads as a colon ("Example::" is "Example:"), or as nothing when it stands alone or
# after a space.
def literal_blocks(out, origin):
    fenced = fenced_spans(out)
    i = 0
    while i < len(out):
        line = out[i]
        if (i in fenced or not line.rstrip().endswith('::') or line.rstrip().endswith(':::')
                or DIRECTIVE.match(line)):
            i += 1
            continue
        ind = indent_of(line)
        j = i + 1
        while j < len(out) and not out[j].strip():
            j += 1
        if j == i + 1 or j >= len(out) or indent_of(out[j]) <= ind:
            i += 1
            continue
        end = block_end(out, j, ind)
        stripped = line.rstrip()[:-2]
        out[i] = stripped.rstrip() if not stripped.strip() or stripped.endswith(' ') else stripped + ':'
        out, origin = wrap_in_fence(out, origin, j, end, ind)
        i = end + 1
    return out, origin


# ## NumPy sections
#
# A known title over a line of dashes. The title is shown in bold (the dashes would make it a
# large heading beside a small function), and in the sections that list things, each entry
# `name : type` at the section's indent is a list item, its description below it.
NUMPY_SECTIONS = {'Parameters', 'Other Parameters', 'Returns', 'Yields', 'Receives', 'Raises',
                  'Warns', 'Attributes', 'Methods', 'Keyword Arguments', 'See Also', 'Notes',
                  'Examples', 'Example', 'References', 'Warnings', 'Warning', 'Summary'}
LIST_SECTIONS = {'Parameters', 'Other Parameters', 'Returns', 'Yields', 'Receives', 'Raises',
                 'Warns', 'Attributes', 'Methods', 'Keyword Arguments', 'See Also',
                 # and Google's
                 'Args', 'Arguments', 'Params', 'Keyword Args', 'Kwargs', 'Other Args',
                 'Exceptions', 'Except'}


def is_numpy_title(lines, i) -> bool:
    return (i + 1 < len(lines) and lines[i].strip() in NUMPY_SECTIONS
            and re.fullmatch(r'\s*-{3,}\s*', lines[i + 1]) is not None)


def numpy_sections(out, origin):
    fenced = fenced_spans(out)
    titles = [i for i in range(len(out)) if i not in fenced and is_numpy_title(out, i)]
    for n, i in enumerate(titles):
        title, ind = out[i].strip(), indent_of(out[i])
        out[i] = f'{" " * ind}**{title}**'
        out[i + 1] = ''
        if title not in LIST_SECTIONS:
            continue
        stop = titles[n + 1] if n + 1 < len(titles) else len(out)
        for j in range(i + 2, stop):
            if out[j].strip() and indent_of(out[j]) == ind and j not in fenced:
                described = any(out[k].strip() and indent_of(out[k]) > ind for k in range(j + 1, min(j + 2, stop)))
                out[j] = ' ' * ind + list_entry(out[j].strip(), described, numpy=True)
            elif out[j].strip() and indent_of(out[j]) < ind:
                break
    return out, origin


# An entry: `name : type` (NumPy) or `name (type): description` (Google) becomes
# "- `name` (*type*): description"
NUMPY_ENTRY = re.compile(r'^(?P<name>[^:]+?)\s+:\s*(?P<type>.*)$')
GOOGLE_ENTRY = re.compile(r'^(?P<name>\*{0,2}[\w.]+)\s*(?:\((?P<type>[^)]*)\))?\s*:(?:\s+(?P<rest>.*))?$')


def list_entry(text: str, described: bool, numpy: bool) -> str:
    colon = ':' if described else ''
    if numpy:
        m = NUMPY_ENTRY.match(text)
        if m:
            kind = f' (*{m.group("type").strip()}*)' if m.group('type').strip() else ''
            return f'- `{m.group("name").strip()}`{kind}{colon}'
        if re.fullmatch(r'[\w.,\[\] *]+', text):
            return f'- `{text}`{colon}'
        return f'- {text}'
    m = GOOGLE_ENTRY.match(text)
    if m:
        kind = f' (*{m.group("type").strip()}*)' if m.group('type') else ''
        rest = f' {m.group("rest")}' if m.group('rest') else ''
        return f'- `{m.group("name")}`{kind}:{rest}'
    return f'- {text}'


# ## Google sections
#
# A known title and a colon, alone on its line, with its entries indented on the lines right
# below it. Notes and warnings become `!!! note` blocks; the others a title in bold, their
# entries list items (arguments, exceptions) or text (examples), moved left so that Markdown
# does not read their indentation as code.
GOOGLE_TITLE = re.compile(
    r'^(\s*)(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Kwargs|Other Args|'
    r'Other Parameters|Returns|Return|Yields|Yield|Raises|Exceptions|Except|Warns|Attributes|'
    r'Methods|Example|Examples|Note|Notes|Warning|Warnings|Todo|See Also|References):\s*$')


def google_sections(out, origin):
    fenced = fenced_spans(out)
    i = 0
    while i < len(out):
        m = GOOGLE_TITLE.match(out[i]) if i not in fenced else None
        if not m:
            i += 1
            continue
        ind, title = len(m.group(1)), m.group(2)
        # The entries follow the title at once: after a blank line, an indented block is
        # Markdown's code block, and is left to be one
        j = i + 1
        if j >= len(out) or not out[j].strip() or indent_of(out[j]) <= ind:
            i += 1
            continue
        end = block_end(out, j, ind)
        base = indent_of(out[j])
        if title in ('Note', 'Notes', 'Warning', 'Warnings', 'Todo'):
            kind = 'warning' if title.startswith('Warning') else 'note'
            out[i] = f'{" " * ind}!!! {kind} "{title}"'
            for k in range(j, end):
                if out[k].strip():
                    out[k] = ' ' * (ind + 4) + out[k][min(base, indent_of(out[k])):]
            i = end
            continue
        out[i] = f'{" " * ind}**{title}:**'
        for k in range(j, end):
            line = out[k]
            if not line.strip():
                continue
            depth = indent_of(line)
            if title in LIST_SECTIONS and depth == base:
                out[k] = ' ' * ind + list_entry(line.strip(), False, numpy=False)
            else:
                # Deeper lines keep their depth relative to the entries
                out[k] = ' ' * (ind + max(0, depth - base)) + line.lstrip(' ')
        i = end
    return out, origin


# ## reStructuredText fields
#
# `:param x: …`, `:type x: …`, `:returns: …`, `:raises E: …`: each a list item, its label in
# words, its name as code.
FIELD = re.compile(r'^(\s*):(?P<field>param|parameter|arg|argument|key|keyword|kwarg|kwparam|type|'
                   r'returns?|rtype|raises?|except|exception|var|ivar|cvar|vartype|yields?|ytype)'
                   r'(?P<name>\s+[^:]+)?:(?P<rest>\s.*|)$')
FIELD_LABELS = {'type': 'type of', 'returns': 'Returns', 'return': 'Returns', 'rtype': 'Return type',
                'raises': 'Raises', 'raise': 'Raises', 'except': 'Raises', 'exception': 'Raises',
                'vartype': 'type of', 'yield': 'Yields', 'yields': 'Yields', 'ytype': 'Yield type'}


def fields(out, origin):
    fenced = fenced_spans(out)
    for i, line in enumerate(out):
        m = FIELD.match(line) if i not in fenced else None
        if not m:
            continue
        words = (m.group('name') or '').split()
        label = FIELD_LABELS.get(m.group('field'), '')
        # `:param float x:` names the type before the name
        kind = f' (*{" ".join(words[:-1])}*)' if len(words) > 1 and not label else ''
        name = f'`{words[-1]}`' if words else ''
        head = ' '.join(p for p in (label, name) if p)
        out[i] = f'{m.group(1)}- {head}{kind}:{m.group("rest")}'
    return out, origin


# ## Doctests
#
# A run of `>>>` lines and the output under them, up to a blank line, is a Python session:
# fenced, so that `>>>` is not read as three quotes in a row.
def doctests(out, origin):
    fenced = fenced_spans(out)
    i = 0
    while i < len(out):
        stripped = out[i].lstrip()
        if i in fenced or not (stripped.startswith('>>> ') or stripped == '>>>'):
            i += 1
            continue
        ind = indent_of(out[i])
        end = i
        while end < len(out) and out[end].strip():
            end += 1
        if i > 0 and not out[i - 1].strip():
            out, origin = wrap_in_fence(out, origin, i, end, ind, 'pycon')
            i = end + 1
        else:
            out.insert(i, fence(ind, 'pycon'))
            origin.insert(i, origin[i])
            out, origin = wrap_in_fence(out, origin, i + 1, end + 1, ind, 'pycon', opener=i)
            i = end + 2
    return out, origin


# ## Diagrams and aligned text
#
# A docstring may draw: a box diagram, a grid table, columns aligned with spaces. Markdown
# would run its lines together into one paragraph and squeeze every run of spaces to one,
# and a row of dashes under a line would make that line a heading. Such lines are shown
# preformatted (fenced, as `text`), exactly as written. A line is drawn when it holds
# box-drawing characters, is a row of a grid (`+----+----+`), is nothing but the strokes of
# a diagram (`|`, `/`, `^`, `<`, `+` … and spaces), or has a gap of two spaces or more inside
# it that ends at the same column as a gap in another line of its paragraph (a column).
# Ordinary prose has none of these; a Markdown table (its `|---|` row), a list, a note, a
# heading, math and code are left as they are.
BOX_DRAWING = re.compile('[\u2500-\u259f]')
GRID_ROW = re.compile(r'\s*[+|][-=+|: ]*[-=]{2,}[-=+|: ]*[+|]\s*')
STROKE = re.compile(r'[|/\\^<>+\-=*_.:~]+|v')
MARKDOWN_TABLE_RULE = re.compile(r'\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*')
# Where Markdown or math is meant, whatever the spacing
NOT_DRAWN = re.compile(r'^\s*([-*+]\s|\d+[.)]\s|#{1,6}\s|!!!|\?\?\?|>|<|```|~~~)|\$|\\begin\{')
# A gap inside a line, not the two spaces some writers put after a full stop
GAP = re.compile(r'(?<=\S)(?<![.?!:;,]) {2,}(?=\S)')


def strokes(line: str) -> bool:
    """A line of nothing but the strokes of a diagram: `|`, `/ \\`, an arrow head `v`…"""
    parts = line.split()
    return bool(parts) and all(STROKE.fullmatch(p) for p in parts) and bool(re.search(r'[|/\\^<>+]|^v$', ' '.join(parts)))


def gap_columns(line: str) -> set[int]:
    return {m.end() for m in GAP.finditer(line)}


def drawn_lines(lines: list[str]) -> list[bool]:
    """For each line of a paragraph: is it part of a drawing or of aligned columns?"""
    gaps = [gap_columns(line) for line in lines]
    drawn = []
    for i, line in enumerate(lines):
        others = set().union(*(g for j, g in enumerate(gaps) if j != i))
        drawn.append(bool(BOX_DRAWING.search(line) or GRID_ROW.fullmatch(line)
                          or (i and strokes(line)) or gaps[i] & others))
    return drawn


def preformatted(out, origin):
    fenced = fenced_spans(out)
    i = 0
    while i < len(out):
        if i in fenced or not out[i].strip():
            i += 1
            continue
        end = i
        while end < len(out) and out[end].strip() and end not in fenced:
            end += 1
        paragraph = out[i:end]
        indent = indent_of(paragraph[0])
        # (An indented paragraph after a blank line is Markdown's code block already)
        if (indent >= 4 or any(NOT_DRAWN.search(line) or MARKDOWN_TABLE_RULE.fullmatch(line)
                                or NOTICE.match(line) for line in paragraph)):
            i = end
            continue
        drawn = drawn_lines(paragraph)
        if sum(drawn) >= 2 or any(BOX_DRAWING.search(line) for line in paragraph):
            # The drawing runs to the paragraph's end, and back to the line that introduces it
            # (`The layout:`), if there is one
            first = i + drawn.index(True)
            while first > i and not out[first - 1].rstrip().endswith(':'):
                first -= 1
            last = end
            body = [' ' * indent + line[min(indent, indent_of(line)):] for line in out[first:last]]
            out[first:last] = [fence(indent, 'text'), *body, fence(indent)]
            origin[first:last] = [origin[first], *origin[first:last], origin[last - 1]]
            end += 2
            fenced = fenced_spans(out)
        i = end
    return out, origin


# ## Roles, links and titles
#
# `` :math:`x^2` `` is math, `` :func:`~pkg.mod.name` `` the code `name` (Sphinx shows the last
# part after a `~`), `` `text <url>`_ `` a link, `.. [WRW] Wheeler` a citation shown as
# `[WRW] Wheeler`, and `[WRW]_` a reference to it. A title underlined (or over- and underlined)
# with a row of `=`, `-`, `~`, `^`… is a heading: `=` and `-` keep the levels Markdown gives
# them, the others come after, in the order the docstring uses them.
MATH_ROLE = re.compile(r'(?<![`\w]):math:`([^`]+)`')
ROLE = re.compile(r'(?<![`\w])(?::\w+)?:\w+:`(~?)([^`<]*?)(?:\s*<([^`>]*)>)?`')
REST_LINK = re.compile(r'(?<![`\w])`([^`<]+?)\s*<([^`>]+)>`__?')
# Code spans of two or more backticks may show roles as they are written
LONG_CODE_SPAN = re.compile(r'(``+)(?!`).+?(?<!`)\1(?!`)')
UNDERLINE = re.compile(r'\s*([=\-~^"\'*+#:._])\1{2,}\s*')
# A citation, `.. [WRW] Wheeler, …`, and a reference to it, `[WRW]_`
CITATION = re.compile(r'^(\s*)\.\.\s+(\[[^\]]+\])(?=\s)')
CITATION_REFERENCE = re.compile(r'(\[[\w.-]+\])_(?!\w)')


def role_text(m) -> str:
    text, target = m.group(2).strip(), m.group(3)
    if not text and target:
        text = target
    if m.group(1):
        text = text.rpartition('.')[2]
    return f'`{text}`'


def rest_inline(text: str) -> str:
    text = MATH_ROLE.sub(lambda m: f'${m.group(1)}$', text)
    text = REST_LINK.sub(lambda m: f'[{m.group(1)}]({m.group(2)})', text)
    return ROLE.sub(role_text, text)


def roles_and_titles(out, origin):
    fenced = fenced_spans(out)
    levels: list[str] = []
    for i, line in enumerate(out):
        if i in fenced:
            continue
        if '[' in line:
            out[i] = line = CITATION_REFERENCE.sub(r'\1', CITATION.sub(r'\1\2', line))
        if '`' in line:
            done, at = [], 0
            for span in (LONG_CODE_SPAN.finditer(line) if '``' in line else ()):
                done += [rest_inline(line[at:span.start()]), span.group()]
                at = span.end()
            out[i] = ''.join(done + [rest_inline(line[at:])])
    for i in range(1, len(out)):
        m = UNDERLINE.fullmatch(out[i]) if i not in fenced else None
        title = out[i - 1]
        if (not m or not title.strip() or UNDERLINE.fullmatch(title) or i - 1 in fenced
                or len(out[i].strip()) < len(title.strip()) or title.lstrip().startswith(('- ', '* ', '#'))):
            continue
        char = m.group(1)
        style = char + ('o' if i >= 2 and out[i - 2].strip() == out[i].strip() else '')
        if char == '=':
            level = 1
        elif char == '-':
            level = 2
        else:
            if style not in levels:
                levels.append(style)
            level = min(6, 3 + levels.index(style))
        out[i - 1] = f'{"#" * level} {title.strip()}'
        out[i] = ''
        if style.endswith('o'):
            out[i - 2] = ''
    return out, origin
