r"""
---
title: The site generator, annotated
summary: How each Python module of a package becomes a page with prose beside its code, with math rendered at build time and no request leaving the site.
---

# The site generator

This package turns annotated Python packages (here `labml_nn`, and these sources: you are
reading one of their pages) into side-by-side pages: the explanation on the left, the code it
explains on the right. It works on any package; [Use the generator on your
project](readme.html) says how.

It is split so that the part that knows about Python and Markdown knows nothing about the
tool that publishes the pages:

1. [Sections](sections.html) reads a `.py` or `.md` file and cuts it into *sections*, pairs of
   prose and code, keeping the line numbers of the source.
2. [Rendering](render.html) turns the prose of a section into HTML with a Markdown parser,
   the code with Pygments, and leaves every formula as a placeholder.
3. [KaTeX](katex.html) renders all the formulas of a build in one `node` process, so a page's
   math is plain HTML and MathML by the time it reaches a reader: nothing is typeset in the
   browser and nothing is fetched from elsewhere.
4. [The chart](chart.html) draws a recorded training run as an SVG, with no plotting
   library.
5. [The API reference](api.html) runs pdoc with our Markdown and math in place of its own.
6. [The project](project.html) finds the files of the packages, decides where each page
   goes, and builds them all, with one KaTeX process for every formula.
7. [The mkdocs plugin](plugin.html) is the thin adapter that hands the pages to mkdocs, which
   adds the hand-written pages, the search index and [the theme](theme/index.html).

For learners, two more: [pages as notebooks](notebooks.html) writes every page as a Jupyter
notebook beside it (and shows a notebook among the sources as a page), and
[exercises and quizzes](exercises.html) closes a page with the exercises and quizzes of a
`name.exercises.md` file beside its module.

Errors that a writer can fix (a file that is not UTF-8, Python that does not parse, TeX that
KaTeX rejects) are raised as `SiteError`, whose message names the file and line; the plugin
turns it into one line on the terminal and a failed build, without a traceback.
"""


class SiteError(Exception):
    """A problem in the sources that the writer must fix; the message starts with `file:line`."""
