// Render formulas with KaTeX, for site_src/katex.py.
//
// Input on stdin: lines, each a JSON array of {"tex": "...", "display": true|false}.
// Output on stdout: for each line in, a line out: a JSON array, in the same order, of
// {"html": "..."} or {"error": "..."}.
//
// One process renders every formula of a build: starting node and loading KaTeX costs more
// than rendering a hundred formulas, so the Python side never calls this once per formula.
// It sends each page's formulas as soon as the page is rendered, and this process typesets
// them while Python works on the next page.
'use strict';

const katex = require('katex');

// Macros every formula may use.
const MACROS = {
  // Tie a symbol to a name in the code beside it: $\code{d_k}$ is typeset as d_k and lights
  // up `d_k` in the code; $\codeas{batch_size}{B}$ is typeset as B and lights up `batch_size`
  '\\code': '\\htmlData{code=#1}{#1}',
  '\\codeas': '\\htmlData{code=#1}{#2}',
  // Commands that papers' TeX uses and KaTeX lacks: a label has nothing to show, the rest
  // have a close equivalent
  '\\label': '\\@secondoftwo{#1}{}',
  '\\mbox': '\\text{#1}',
  '\\mathds': '\\mathbb{#1}',
  '\\mathbbm': '\\mathbb{#1}',
  '\\hdots': '\\ldots',
};

// The only command that may add to the HTML is \htmlData with a `code` key (the attribute
// data-code), which the two macros above use: no links, no classes, no styles. (KaTeX shows
// an untrusted command in red rather than failing, so a formula using one is reported below.)
const UNTRUSTED = '#c00001';
function trust(context) {
  return context.command === '\\htmlData' &&
    Object.keys(context.attributes || {}).every((key) => key === 'data-code');
}

function render({ tex, display }) {
  try {
    const html = katex.renderToString(tex, {
      displayMode: display,
      // HTML for the eye and MathML for screen readers
      output: 'htmlAndMathml',
      // Fail on errors instead of showing red TeX: the build reports them
      throwOnError: true,
      // Unicode letters in math are fine in our prose; do not warn about them
      strict: 'ignore',
      // No \href, \url or \includegraphics: the site makes no outside requests
      trust,
      // A copy for each formula: a \gdef in one must not leak into the next
      macros: { ...MACROS },
      // The colour of a command KaTeX would not run, one no author picks, to find it by
      errorColor: UNTRUSTED,
    });
    if (html.includes(`color:${UNTRUSTED}`)) {
      return { error: 'a command that is not allowed here (\\href, \\url, \\html…): the site makes no outside requests' };
    }
    return { html };
  } catch (e) {
    return { error: String(e.message || e) };
  }
}

const lines = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (line.trim()) process.stdout.write(JSON.stringify(JSON.parse(line).map(render)) + '\n');
});
