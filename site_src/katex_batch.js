// Render a batch of formulas with KaTeX, for site_src/katex.py.
//
// Input on stdin: a JSON array of {"tex": "...", "display": true|false}.
// Output on stdout: a JSON array, in the same order, of {"html": "..."} or {"error": "..."}.
//
// One process renders every formula of a build: starting node and loading KaTeX costs more
// than rendering a hundred formulas, so the Python side never calls this once per formula.
'use strict';

const katex = require('katex');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const results = JSON.parse(input).map(({ tex, display }) => {
    try {
      return {
        html: katex.renderToString(tex, {
          displayMode: display,
          // HTML for the eye and MathML for screen readers
          output: 'htmlAndMathml',
          // Fail on errors instead of showing red TeX: the build reports them
          throwOnError: true,
          // Unicode letters in math are fine in our prose; do not warn about them
          strict: 'ignore',
          // No \href, \url or \includegraphics: the site makes no outside requests
          trust: false,
        }),
      };
    } catch (e) {
      return { error: String(e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
