r"""
---
title: Exercises and quizzes at the end of a page
summary: A Markdown file beside a module, `name.exercises.md`, closes that module's page - exercises with solutions the reader opens on purpose, and quizzes graded in the page with an explanation for every choice.
---

# Exercises and quizzes

A lesson ends with work for the reader. Writing it into the module would make the module
longer without making its code clearer, so it lives in a file of its own beside the module:
`model.exercises.md` closes the page of `model.py` (and `readme.exercises.md` that of
`readme.md`). It is not a page of its own.

It is Markdown like any prose, with two conventions:

* **Solutions** are `<details>` elements: closed until the reader opens one (with the
  mouse, or Tab to its summary and Enter), and opened for print.

  ```html
  <details><summary>Solution</summary>

  The answer, in Markdown.

  </details>
  ```

* **Quizzes** are fenced blocks in the language `quiz`, each one question in YAML: the
  question, and its choices, each with `why` (the explanation the reader gets on picking it)
  and `right: true` on the right one (exactly one).

  ```yaml
  question: What share of the tokens ends up as `[MASK]`?
  choices:
    - text: 12%
      right: true
      why: 15% are chosen and 80% of those become `[MASK]`.
    - text: 15%
      why: That is the share *chosen*; some of those stay or become random tokens.
  ```

  The page grades an answer itself, with a few lines of script (`assets/quiz.js`): no
  request leaves the site. The reader picks a choice and presses "Check"; the explanation of
  that choice appears, with whether it was right, and a status line that a screen reader
  announces says so. Once the right answer is found, every choice's explanation is shown.
  Printed, the page shows no buttons and every explanation, the right one marked.
"""

import re

import yaml

from . import SiteError
from .katex import MathBatch
from .render import render_markdown

# `model.exercises.md` belongs to `model.py` (or `model.md`)
SUFFIX = '.exercises.md'

QUIZ_BLOCK = re.compile(r'^```quiz[ \t]*\n(.*?)^```[ \t]*$', re.MULTILINE | re.DOTALL)


def companion(name: str) -> str | None:
    """`model.exercises.md` → `model`, the stem of the file whose page it closes."""
    return name[:-len(SUFFIX)] if name.endswith(SUFFIX) else None


def appendix_html(text: str, rel: str, batch: MathBatch, names: set[str], prefix: str) -> str:
    """The HTML of an exercises file: its Markdown, with each quiz block made a form."""
    html_parts = []
    position, line = 0, 1
    for number, m in enumerate(QUIZ_BLOCK.finditer(text), 1):
        before = text[position:m.start()]
        html_parts.append(markdown(before, line, rel, batch, names))
        line += before.count('\n')
        html_parts.append(quiz_html(m.group(1), rel, line, batch, names, f'{prefix}-quiz-{number}'))
        line += m.group(0).count('\n')
        position = m.end()
    html_parts.append(markdown(text[position:], line, rel, batch, names))
    return '<div class="exercises">\n' + ''.join(html_parts) + '</div>\n'


def markdown(text: str, first_line: int, rel: str, batch, names) -> str:
    lines = text.split('\n')
    return render_markdown(lines, list(range(first_line, first_line + len(lines))), rel, batch, names)


def inline(text: str, line: int, rel: str, batch, names) -> str:
    """Markdown of one paragraph, without its `<p>`: for a legend or a label."""
    out = markdown(str(text).strip(), line, rel, batch, names).strip()
    m = re.fullmatch(r'<p>(.*)</p>', out, re.DOTALL)
    return m.group(1) if m else out


def quiz_html(spec: str, rel: str, line: int, batch, names, qid: str) -> str:
    where = f'{rel}:{line}'
    try:
        quiz = yaml.safe_load(spec)
    except yaml.YAMLError as e:
        raise SiteError(f'{where}: the quiz is not valid YAML: {getattr(e, "problem", e)}') from None
    if not isinstance(quiz, dict) or not quiz.get('question') or not isinstance(quiz.get('choices'), list):
        raise SiteError(f'{where}: a quiz needs `question` and a list of `choices`')
    choices = quiz['choices']
    if len(choices) < 2 or not all(isinstance(c, dict) and c.get('text') is not None and c.get('why')
                                   for c in choices):
        raise SiteError(f'{where}: a quiz needs at least two choices, each with `text` and `why`')
    if sum(bool(c.get('right')) for c in choices) != 1:
        raise SiteError(f'{where}: exactly one choice of a quiz has `right: true`')
    question = inline(quiz['question'], line, rel, batch, names)
    rows = []
    for i, choice in enumerate(choices, 1):
        right = bool(choice.get('right'))
        cid = f'{qid}-{i}'
        mark = 'Right.' if right else 'Not this one.'
        why = inline(choice['why'], line, rel, batch, names)
        rows.append(
            f'<div class="quiz-choice" data-right="{str(right).lower()}">'
            f'<input type="radio" name="{qid}" id="{cid}" value="{i}">'
            f'<label for="{cid}">{inline(choice["text"], line, rel, batch, names)}</label>'
            f'<p class="quiz-why" id="{cid}-why" hidden><strong class="quiz-mark">{mark}</strong> {why}</p>'
            f'</div>')
    # (No blank line anywhere: it is one HTML block to the Markdown that holds it)
    return (f'<form class="quiz" id="{qid}" data-quiz>'
            f'<fieldset><legend><span class="quiz-label">Quiz.</span> {question}</legend>'
            + ''.join(rows) +
            '</fieldset>'
            '<button type="submit" class="quiz-check">Check</button>'
            '<p class="quiz-status" role="status" aria-live="polite"></p>'
            '</form>\n')

