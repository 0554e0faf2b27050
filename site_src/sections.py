r"""
---
title: Cutting a source file into sections
summary: The rules that split a Python module into pairs of prose and code, using the ast and tokenize modules, and keeping every line number of the source.
---

# Sections

A page of this site is a list of *sections*. Each section has prose (Markdown, shown on the
left) and code (shown on the right, beside the prose that explains it). This module decides
where one section ends and the next begins. It knows nothing about HTML.

## The rules

* The module docstring is the first section, and the code that follows it (the imports) is its
  code. A YAML *front matter* block at the top of that docstring, between two `---` lines, is
  not shown: its `title` and `summary` become the page's title and description.
* Every `def` and `class` starts a section. Its docstring is the prose, beside the signature.
  The body after the docstring starts another section, so the docstring sits next to the
  signature it describes rather than next to fifty lines of body.
* One exception, for rows of small undocumented definitions: once an undocumented *decorated*
  definition has started a section (a `@property`, a function that fills in a configuration),
  the undocumented definitions after it join that section, until the next comment or
  docstring. A row of five one-line properties reads as one block, not five sections with no
  prose.
* A run of full-line `#` comments directly above code is prose for that code, and leaves the
  code column. Comments at the end of a line of code stay where they are: they are about that
  line.
* That holds inside brackets too: a comment on its own line between the entries of a dict or
  the arguments of a call annotates the entries below it, each beside its own note, as in an
  experiment's configuration. *Commented-out code* is the exception: a disabled entry
  (`# 'lr': 0.1,`) or the continuation of an expression (`# | charts[1]`) stays in the code,
  where it was written.
* A run of comments followed by a blank line is a note of its own (an introduction, a
  heading, a remark), not the explanation of whatever comes after the blank line: it is a
  section with an empty code column. One exception: a run that ends an indented block (the
  code after the blank line is less indented, as after a commented-out last line of a
  function) belongs to the code above it and stays in the code column, as written.
* Every line of code keeps its line number in the source, for the links to the repository.
* Sections with neither prose nor code are dropped, and a section that has prose but no code
  (comments directly above a `def`) is joined to the section that follows it.

Docstrings are shown as they are *written*, not as the string Python makes of them. In a
docstring that is not a raw string, Python turns `\theta` into a tab and "heta", `\frac` into
a form feed and "rac" and `\\` into one backslash, and a `\n` adds a line. Authors write TeX in
docstrings that are not raw all the time, so the prose is cut from the source text between the
quotes: the formula reaches KaTeX as it was typed, and every line keeps its line number.

A `readme.md` is one section whose code column is empty.

These rules follow the pages of the project this site re-creates wherever we have no reason to
differ: on its 222 sources, our sections start where its published pages start theirs on
214 of 222 (96.4%), and the pages that differ do so for the reasons listed with the
[recording](../bench/results/upstream_structure.md): a docstring that we keep beside its
signature, or commented-out code that we keep in the code.

We find docstrings and definitions with `ast`, which knows exactly where each statement and
each string starts and ends. A line whose first character after its indentation is `#` is a
full-line comment, unless it lies inside a string that spans lines: `ast` tells those apart,
from the same walk of the tree that finds the definitions.
"""

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import SiteError, docstyles


# ## The data
#
# A section's prose is kept as a list of lines, each with the source line it came from, so
# that an error in a formula can name its line in the file even though the prose was stitched
# together from a docstring or from comments.
@dataclass
class Section:
    """One pair of prose and code."""
    # Markdown lines and, for each, its line number in the source file
    docs: list[str] = field(default_factory=list)
    docs_lines: list[int] = field(default_factory=list)
    # Line numbers (1-based) of the source lines shown in the code column
    code_lines: list[int] = field(default_factory=list)
    # A note of its own (comments followed by a blank line): never joined to the code after it
    note: bool = False

    @property
    def markdown(self) -> str:
        return '\n'.join(self.docs)

    def has_docs(self) -> bool:
        return any(line.strip() for line in self.docs)


@dataclass
class SourceFile:
    """A parsed source file: what a page is made of."""
    # Path relative to the repository root, with `/` separators
    path: str
    # The text of the file and its lines (`lines[0]` is line 1)
    text: str
    lines: list[str]
    # `'python'` or `'markdown'`: whether there is code to highlight
    kind: str
    title: str
    summary: str
    sections: list[Section]
    # The HTML of each line, and the names in the code, once the renderer has highlighted it
    highlighted: list[str] | None = None
    names: set[str] = field(default_factory=set)

    def line_range(self, section: Section) -> tuple[int, int]:
        """The first and last source line of a section (prose and code), for its link to the
        repository."""
        numbers = section.code_lines + section.docs_lines
        return min(numbers), max(numbers)


# ## Reading the file
#
# Everything starts from bytes, so that a file that is not UTF-8 gets an error that names it
# rather than a `UnicodeDecodeError` deep inside some other library.
def read_source(path: Path, rel: str) -> str:
    """Read `path` as UTF-8; `rel` is the name used in error messages."""
    data = path.read_bytes()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        # The line of the first bad byte helps find it in an editor
        line = data[:e.start].count(b'\n') + 1
        raise SiteError(f'{rel}:{line}: not valid UTF-8 (byte 0x{data[e.start]:02x}); '
                        f'save the file as UTF-8') from None
    # A byte order mark is allowed by Python but would show up as a stray character. Python
    # ends a line at `\r\n`, `\r` or `\n`; from here on, only `\n` does.
    return text.removeprefix('\ufeff').replace('\r\n', '\n').replace('\r', '\n')


# The lines of a file as Python counts them. (`str.splitlines` would also break at a form
# feed or a vertical tab, which old sources use as page breaks, and every line number after
# one would be off.)
def split_lines(text: str) -> list[str]:
    lines = text.split('\n')
    return lines[:-1] if lines and lines[-1] == '' else lines


def parse_file(path: Path, rel: str) -> SourceFile:
    """Parse a `.py` or `.md` file into sections."""
    text = read_source(path, rel)
    if rel.endswith('.md'):
        return parse_markdown(text, rel)
    return parse_python(text, rel)


# ## Front matter
#
# The front matter is YAML between a `---` line and the next `---` line, at the very top of
# the module docstring or of a Markdown file. We take it out of the prose and keep two keys.
def split_front_matter(docs: list[str], numbers: list[int], rel: str):
    """Return `(meta, docs, numbers)` with the front matter lines removed."""
    # Leading blank lines do not count: the opening quotes are usually followed by a newline
    start = 0
    while start < len(docs) and not docs[start].strip():
        start += 1
    if start == len(docs) or docs[start].strip() != '---':
        return {}, docs, numbers
    for end in range(start + 1, len(docs)):
        if docs[end].strip() == '---':
            break
    else:
        raise SiteError(f'{rel}:{numbers[start]}: front matter has no closing `---` line')
    try:
        meta = yaml.safe_load('\n'.join(docs[start + 1:end])) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        line = numbers[start + 1 + mark.line] if mark else numbers[start]
        raise SiteError(f'{rel}:{line}: front matter is not valid YAML: '
                        f'{getattr(e, "problem", e)}') from None
    if not isinstance(meta, dict):
        raise SiteError(f'{rel}:{numbers[start]}: front matter must be a mapping '
                        f'with `title` and `summary`')
    return meta, docs[end + 1:], numbers[end + 1:]


def page_title(meta: dict, sections: list[Section], rel: str) -> str:
    """The title: from the front matter, else the first `# heading` (or `<h1>`) of the first
    prose, else the file name."""
    if meta.get('title'):
        return str(meta['title']).strip()
    for section in [s for s in sections if s.has_docs()][:1]:
        for line in section.docs:
            m = re.match(r'#\s+(.+?)\s*#*\s*$', line) or re.search(r'<h1[^>]*>\s*(.+?)\s*</h1>', line)
            if m:
                return m.group(1)
    return Path(rel).stem


# ## Markdown files
#
# A `readme.md` has no code: it is a single section, with its front matter (if any) taken out.
def parse_markdown(text: str, rel: str) -> SourceFile:
    lines = split_lines(text)
    meta, docs, numbers = split_front_matter(lines, list(range(1, len(lines) + 1)), rel)
    # (Copies: tidying the prose must not take blank lines off the file's own lines)
    sections = tidy([Section(docs=list(docs), docs_lines=list(numbers))], lines)
    return SourceFile(path=rel, text=text, lines=lines, kind='markdown',
                      title=page_title(meta, sections, rel),
                      summary=str(meta.get('summary', '') or '').strip(), sections=sections)


# ## Docstrings
#
# A docstring statement is an expression statement made of a single string, the first
# statement of a module, class or function. We only take it as prose when it stands on lines
# of its own: `def f(): """doc"""` stays code, since there is no line to split it from.
def docstring_node(body: list[ast.stmt], lines: list[str], header_end: int):
    if not body:
        return None
    node = body[0]
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)):
        return None
    if node.lineno <= header_end:
        return None
    # Nothing but a comment may follow the closing quotes on their line
    rest = lines[node.end_lineno - 1][node.end_col_offset:].strip()
    if rest and not rest.startswith('#'):
        return None
    return node


# ### The text as written
#
# `ast` gives the position of the string: from its first quote (or prefix letter) to its last
# quote, in bytes of UTF-8. The text between the quotes is the docstring as written. A
# docstring made of several strings side by side (`("a "` on one line, `"b")` on the next)
# is the text of each, in order, each on the line it was written on; an escaped line break
# that ends one of them (`"a\n"`) is the break to the next line.
STRING_START = re.compile(r'([A-Za-z]*)("""|\'\'\'|"|\')')


def literal_as_written(node: ast.expr, lines: list[str]) -> str | None:
    """The text between the quotes of a string literal, or `None` if it is not one."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        segment = lines[first].encode()[node.col_offset:node.end_col_offset].decode()
    else:
        segment = '\n'.join([lines[first].encode()[node.col_offset:].decode(), *lines[first + 1:last],
                             lines[last].encode()[:node.end_col_offset].decode()])
    if not STRING_START.match(segment):
        return None
    try:
        # (In brackets, so that the lines after the first may be indented)
        strings = [t for t in tokenize.generate_tokens(io.StringIO(f'({segment})').readline)
                   if t.type == tokenize.STRING]
    except (tokenize.TokenError, SyntaxError):
        return None
    if not strings:
        return None
    text, line, raw = '', strings[0].start[0], False
    for token in strings:
        m = STRING_START.match(token.string)
        if token.start[0] > line:
            text = (text if raw else text.removesuffix('\\n')) + '\n' * (token.start[0] - line)
        text += token.string[m.end():len(token.string) - len(m.group(2))]
        line, raw = token.end[0], 'r' in m.group(1).lower()
    return text


# A docstring keeps the indentation of the source. We remove the indentation common to its
# lines (but not the lines themselves, unlike `inspect.cleandoc`), so that line $i$ of the
# prose is still line $\text{start} + i$ of the file.
def docstring_lines(node: ast.Expr, lines: list[str]) -> tuple[list[str], list[int]]:
    written = literal_as_written(node.value, lines)
    text = (node.value.value if written is None else written).expandtabs()
    lines = text.split('\n')
    indents = [len(s) - len(s.lstrip()) for s in lines[1:] if s.strip()]
    cut = min(indents, default=0)
    docs = [lines[0].strip()] + [s[cut:].rstrip() for s in lines[1:]]
    return docs, [node.lineno + i for i in range(len(docs))]


# Docstrings written in the NumPy, Google or reStructuredText style are rewritten into
# Markdown by [docstyles](docstyles.html), line by line, each line keeping its number.
def in_markdown(docs: list[str], numbers: list[int]) -> tuple[list[str], list[int]]:
    docs, origin = docstyles.convert(docs)
    return docs, [numbers[i] for i in origin]


# The lines a docstring takes out of the code column. A closing line that is nothing but the
# quotes and a comment for tools (`"""  # noqa: E501`) stays in the code, with its comment.
def docstring_span(doc: ast.Expr, lines: list[str]) -> range:
    last = lines[doc.end_lineno - 1]
    if (doc.end_lineno > doc.lineno and last[doc.end_col_offset:].strip()
            and not last.encode()[:doc.end_col_offset].decode().strip().strip('\'"')):
        return range(doc.lineno, doc.end_lineno)
    return range(doc.lineno, doc.end_lineno + 1)


# ## Comments
#
# Some comments are instructions to tools, not prose: a `#!` line, an encoding declaration,
# and pragmas for linters and type checkers. They stay in the code.
TOOL_COMMENT = re.compile(r'#\s*(!|-\*-|vim:|noqa|type:|pragma|fmt:|pylint:|isort:|ruff:|mypy:)')


def full_line_comments(lines: list[str], in_strings: set[int]) -> dict[int, str]:
    """Map the line number of each full-line prose comment to its text without `# `;
    `in_strings` are the lines inside strings that span lines."""
    comments = {}
    for number, line in enumerate(lines, 1):
        text = line.lstrip()
        if text.startswith('#') and number not in in_strings and not TOOL_COMMENT.match(text):
            body = text[1:]
            comments[number] = body[1:] if body.startswith(' ') else body
    return comments


# The line where a statement that spans lines ends, or, for a compound statement (`def`, `if`,
# `with` …), where its header ends: the last line before its body that is neither blank nor a
# full-line comment (comments right above the body explain the body).
def statement_end(node: ast.stmt, lines: list[str], comments: dict[int, str]) -> int:
    body = getattr(node, 'body', None) or getattr(node, 'cases', None)
    if not body or not isinstance(body, list):
        return node.end_lineno
    end = body[0].lineno - 1
    while end > node.lineno and (end in comments or not lines[end - 1].strip()):
        end -= 1
    return end


# ### Annotations and commented-out code
#
# A comment on its own line inside brackets (between the entries of a dict, the arguments of a
# call or the parameters of a signature) is prose like any other comment: it explains the lines
# below it. Experiments written this way annotate each entry of their configuration, and the
# reader should see each note beside its entry. Commented-out code is the exception: an entry
# or a line of an expression disabled with a `#` (`# 'lr': 0.1,` or `# | charts[1]`) belongs to
# the code it was cut from, and stays there as written.
#
# We ask Python which is which. A comment is code when its text parses, as it stands or as the
# inside of a call, a tuple or a dict, and has something only code has: a bracket, a string, a
# number or an operator. (English parses more often than one would think: "Pad and crop" is a
# boolean expression and "Dropout" a name, "(optional)" a name in brackets; none is code.) A
# comment that starts with an operator is code when what follows the operator parses
# (`| charts[1]`, `.to(device)`, `*args,`). A Markdown list mark (`- `, `* `) is no operator: the
# item is code only if it is code on its own. A Markdown link (`[MLM](index.html)`, a list called
# with an argument, to Python) is prose, and so is a comment that opens with Markdown emphasis
# (`**Note**`, which Python reads as a power).
LIST_MARK = re.compile(r'[-*+]\s+')
OPERATOR = re.compile(r'[-+*/%@&|^<>=!~.]+\s*')
LONE_WORD = re.compile(r'\(?\w+\)?[.:]?')
MARKDOWN_LINK = re.compile(r'\[[^\]]*\]\([^)]*\)')
EMPHASIS = re.compile(r'\*\*?\w[^*]*\w\*')
CODE_FORMS = ('{}', 'f(\n{}\n)', '(\n{}\n)', '{{\n{}\n}}')


def commented_out(text: str) -> bool:
    """Whether the text of a comment (several lines joined, without `#`) is code."""
    text = text.strip()
    if EMPHASIS.match(text):
        return False
    if LIST_MARK.match(text):
        return commented_out(text[LIST_MARK.match(text).end():])
    operator = OPERATOR.match(text)
    if operator:
        text = text[operator.end():]
    if not text or LONE_WORD.fullmatch(text) or MARKDOWN_LINK.search(text):
        return False
    # The lines after the first keep their indentation relative to each other
    lines = text.split('\n')
    cut = min((len(s) - len(s.lstrip()) for s in lines[1:] if s.strip()), default=0)
    text = '\n'.join([lines[0]] + [s[cut:] for s in lines[1:]])
    for form in CODE_FORMS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                ast.parse(form.format(text))
        except (SyntaxError, ValueError):
            continue
        return bool(operator) or only_code_has(text)
    return False


def only_code_has(text: str) -> bool:
    """Whether Python `text` has a string, a number or an operator (other than a comma)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    return any(t.type in (tokenize.STRING, tokenize.NUMBER)
               or (t.type == tokenize.OP and t.string != ',') for t in tokens)


# The comments inside the brackets of a statement that spans lines that are commented-out code:
# a run of them is tried whole (code cut over several lines, `# f(a,` then `#   b)`), and
# otherwise line by line, so that a note above a disabled entry is still prose.
def code_in_brackets(statements: list[ast.stmt], lines: list[str],
                     comments: dict[int, str]) -> set[int]:
    inside = sorted({n for node in statements
                     for n in range(node.lineno + 1, statement_end(node, lines, comments))
                     if n in comments})
    code = set()
    for run in consecutive(inside):
        if commented_out('\n'.join(comments[n] for n in run)):
            code.update(run)
        else:
            code.update(n for n in run if commented_out(comments[n]))
    return code


def consecutive(numbers: list[int]) -> list[list[int]]:
    """Sorted line numbers cut into runs of consecutive ones."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


# The front matter in comments: the first comments of the file (after a `#!` line or an
# encoding), from a `---` line to the next, when they hold a YAML mapping. Anything else is
# prose as usual: a row of dashes at the top of a file is not an error.
def comment_front_matter(lines: list[str], comments: dict[int, str]) -> dict:
    first = min(comments, default=None)
    if first is None or comments[first].strip() != '---':
        return {}
    if any(lines[n - 1].strip() and not lines[n - 1].lstrip().startswith('#') for n in range(1, first)):
        return {}
    end = first + 1
    while end in comments and comments[end].strip() != '---':
        end += 1
    if end not in comments:
        return {}
    block = list(range(first, end + 1))
    try:
        meta, rest, _ = split_front_matter([comments[n] for n in block], block, '')
    except SiteError:
        return {}
    if not meta or rest:
        return {}
    return {**meta, 'lines': block}


# A notebook cell marker, as Jupytext, VS Code and Spyder write them; the title is what follows
# the marker, less a `[markdown]` cell type and `key=value` attributes
CELL_MARKER = re.compile(r'\s*%%(?!%)(?:\s*\[\w+\])?((?:\s+(?![\w-]+=)[^\s].*?)?)(?:\s+[\w-]+=.*)?\s*$')


# ## Python files
#
# The parser collects *starts* (the lines where a section begins, with its prose) and *skipped*
# lines (docstrings and comments, which are prose and not code), then walks the file once.
def parse_python(text: str, rel: str) -> SourceFile:
    try:
        # Python warns about escapes like `\s` in strings that are not raw; the prose of such
        # a docstring is taken as written (below), so the warning has nothing to say here
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            tree = ast.parse(text, filename=rel)
    except SyntaxError as e:
        raise SiteError(f'{rel}:{e.lineno}: not valid Python: {e.msg}') from None
    lines = split_lines(text)
    # One walk of the tree: the definitions, and the lines inside strings that span lines
    # (a line there that starts with `#` is part of the string, not a comment)
    definitions, in_strings, statements = [], set(), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions.append(node)
        elif (isinstance(node, (ast.Constant, ast.JoinedStr)) and node.end_lineno > node.lineno
              and not isinstance(getattr(node, 'value', ''), (int, float, complex, type(None)))):
            in_strings.update(range(node.lineno + 1, node.end_lineno + 1))
        if isinstance(node, ast.stmt) and node.end_lineno > node.lineno:
            statements.append(node)
    comments = full_line_comments(lines, in_strings)
    # A comment inside the brackets of a statement that spans lines is an annotation, unless it
    # is commented-out code: that stays in the code, where it was written
    for number in code_in_brackets(statements, lines, comments):
        del comments[number]

    starts: dict[int, Section] = {}
    skipped: set[int] = set()
    # Front matter may also be a block of comments at the top of the file (Jupytext writes its
    # notebook's metadata so): not shown, and its `title` and `summary` count as the page's
    comment_meta = comment_front_matter(lines, comments)
    for number in comment_meta.pop('lines', ()):
        del comments[number]
        skipped.add(number)
    # Notebook cells (`# %%`, `# %% [markdown]`, `# %% A title`) each start a section. The
    # marker is not shown; a title after it is the cell's prose.
    for number in [n for n, text in comments.items() if CELL_MARKER.match(text)]:
        skipped.add(number)
        title = CELL_MARKER.match(comments[number]).group(1).strip()
        starts[number] = Section(docs=[f'**{title}**'] if title else [], docs_lines=[number] if title else [])
        del comments[number]

    # Two starts on one line: the one that has prose wins (a comment run right after a
    # docstring begins the body section with its own prose)
    def start(line: int, section: Section):
        if line not in starts or not starts[line].has_docs():
            starts[line] = section

    # The module docstring is section 0; lines above it (a `#!` line) belong to it too
    meta = {}
    doc = docstring_node(tree.body, lines, 0)
    if doc:
        docs, numbers = docstring_lines(doc, lines)
        meta, docs, numbers = split_front_matter(docs, numbers, rel)
        meta = meta or comment_meta
        docs, numbers = in_markdown(docs, numbers)
        skipped.update(docstring_span(doc, lines))
        start(1, Section(docs=docs, docs_lines=numbers))
    else:
        meta = comment_meta
        start(1, Section())

    # Every definition, nested or not, in methods and in functions. Those without a docstring
    # are `plain`: the line each starts on, and whether it is decorated
    plain: dict[int, bool] = {}
    for node in definitions:
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        # The header ends on the line before the body starts, unless it is a one-liner
        header_end = node.body[0].lineno - 1 if node.body[0].lineno > node.lineno else node.lineno
        doc = docstring_node(node.body, lines, header_end)
        if doc:
            docs, numbers = in_markdown(*docstring_lines(doc, lines))
            start(first, Section(docs=docs, docs_lines=numbers))
            skipped.update(docstring_span(doc, lines))
            # The body after the docstring is a section of its own
            start(doc.end_lineno + 1, Section())
        else:
            start(first, Section())
            plain[first] = bool(node.decorator_list)

    # Runs of comments: consecutive full-line comments. (A `#` line with nothing after it
    # keeps a run going, and is a paragraph break in its prose.)
    runs = consecutive(sorted(comments))

    def indent(line: str) -> int:
        return len(line.expandtabs()) - len(line.expandtabs().lstrip())

    for run in runs:
        after = run[-1] + 1
        followed_by_blank = after > len(lines) or not lines[after - 1].strip()
        if followed_by_blank:
            # The next line of code, past the blank lines
            code = next((n for n in range(after, len(lines) + 1) if lines[n - 1].strip()), None)
            depth = indent(lines[run[0] - 1])
            if depth and (code is None or indent(lines[code - 1]) < depth):
                # The last lines of an indented block (often commented-out code): code as written
                continue
            # A note of its own; what follows the blank line starts afresh
            start(after, Section())
        start(run[0], Section(docs=[comments[n] for n in run], docs_lines=list(run),
                              note=followed_by_blank))
        skipped.update(run)

    # A row of undocumented definitions that a decorated one starts (`@property` after
    # `@property`, or the small functions that fill in a configuration) is one section: each
    # would be a section with no prose, and together they read as one block. The row ends at
    # the next prose, a comment or a docstring.
    row = False
    for number in sorted(starts):
        if number in plain and not starts[number].has_docs():
            if row:
                del starts[number]
            else:
                row = plain[number]
        else:
            row = False

    # The walk: every line that is not prose is code of the current section
    sections: list[Section] = []
    for number in range(1, len(lines) + 1):
        if number in starts:
            sections.append(starts[number])
        if number not in skipped:
            sections[-1].code_lines.append(number)

    sections = tidy(sections, lines)
    return SourceFile(path=rel, text=text, lines=lines, kind='python',
                      title=page_title(meta, sections, rel),
                      summary=str(meta.get('summary', '') or '').strip(), sections=sections)


# ## Tidying up
#
# Blank lines at either end of a code column only push the code away from its prose, and
# blank lines at either end of the prose are noise. Empty sections go.
#
# Prose with no code of its own (comments directly above a `def`) joins the next section: it
# is about that code, and its reader should see it beside that signature. When the next
# section has prose too (the docstring), the two are joined with a blank line, which Markdown
# reads as a paragraph break. The module docstring and notes are left alone: the one
# introduces the whole page, the others are about no code in particular.
def tidy(sections: list[Section], lines: list[str]) -> list[Section]:
    for s in sections:
        while s.code_lines and not lines[s.code_lines[0] - 1].strip():
            s.code_lines.pop(0)
        while s.code_lines and not lines[s.code_lines[-1] - 1].strip():
            s.code_lines.pop()
        while s.docs and not s.docs[-1].strip():
            s.docs.pop()
            s.docs_lines.pop()
        while s.docs and not s.docs[0].strip():
            s.docs.pop(0)
            s.docs_lines.pop(0)
    first = sections[0] if sections else None
    sections = [s for s in sections if s.has_docs() or s.code_lines]
    merged: list[Section] = []
    for s in sections:
        previous = merged[-1] if merged else None
        if (previous is not None and previous is not first and previous.has_docs()
                and not previous.code_lines and not previous.note and s.code_lines):
            if s.has_docs():
                previous.docs += [''] + s.docs
                previous.docs_lines += [s.docs_lines[0]] + s.docs_lines
            previous.code_lines = s.code_lines
        else:
            merged.append(s)
    return merged
