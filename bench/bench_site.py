"""Benchmark: how long the site takes per source file, next to pycco on the same files.

    python bench/bench_site.py            # writes bench/results/site.md

For each Python file of `labml_nn/` it times, in one run and on the same machine:

* **core**: our parse + Markdown + Pygments render of the file, formulas left as placeholders;
* **core + KaTeX**: the same, plus rendering that file's formulas in its own node process
  (what one file would cost if built alone: it pays node's start-up every time);
* **pycco**: `pycco.main.process` on the file (no math at all; pycco is a benchmark-only
  dependency).

It also times one full `mkdocs build` (every page, the API reference with pdoc, search
index, KaTeX for every formula in one process) and divides it by the number of source pages:
the cost per file of a real build. Each timing is the best of `--repeat` runs.
"""
import argparse
import contextlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from site_src.katex import MathBatch  # noqa: E402
from site_src.render import SourceLinks, page_body  # noqa: E402
from site_src.sections import parse_file  # noqa: E402


# ## A generated project
#
# Our own sources are two dozen files; a project people would use the generator on may have
# hundreds. This writes a package of `n` modules in nested packages, each about a hundred
# lines like an annotated module: a docstring with front matter and a display formula, comment
# runs, classes and methods with docstrings. Nine modules in ten have math, about a dozen
# formulas each, different in every module (identical formulas would be rendered once), and
# half of those docstrings are not raw strings; one module in ten has none.
TOPICS = ['attention', 'optimizer', 'sampler', 'tokenizer', 'scheduler', 'embedding', 'pooling',
          'normalization', 'dropout', 'metric']


def module_text(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    has_math = i % 10 != 0
    quote = 'r"""' if i % 2 else '"""'

    def m(tex: str) -> str:
        return f'${tex}$' if has_math else '`x`'

    lines = [quote, '---', f'title: Generated module {i}, the {topic}',
             f'summary: A generated module about the {topic}, for the benchmark.', '---', '',
             f'# The {topic}, number {i}', '',
             'This module computes %s for the %s, and' % (m('y_{%d} = W_{%d} x + b_{%d}' % (i, i, i)), topic),
             'then normalizes it by %s.' % m(r'\sqrt{d_{%d}}' % (i % 7 + 1)), '']
    if has_math:
        lines += ['$$', r'\mathrm{%s}(x) = \sum_{j=1}^{%d} \frac{w_j x_j}{\sqrt{%d}}' % (topic, i + 2, i + 1),
                  '$$', '']
    lines += ['"""', '', 'import math', '', '', '# ## Constants', '#',
              '# The scale of the %s, %s; the offset is %s.' % (
                  topic, m('s_{%d} = %d' % (i, i % 5 + 1)), m('o = 10^{-%d}' % (i % 4 + 1))),
              f'SCALE = {i % 5 + 1}', f'OFFSET = 1e-{i % 4 + 1}', '', '']
    for k in range(3):
        lines += [f'class {topic.title()}{k}:', f'    {quote}',
                  f'    The part {k} of the {topic}: it keeps `scale` and `offset`, and its step is',
                  '    %s.' % m(r'\theta_{%d} = \theta_{%d} - \eta \nabla_{\theta} L_{%d}' % (k, k - 1, i)),
                  '    """', '',
                  '    def __init__(self, scale: float = SCALE, offset: float = OFFSET):',
                  '        # Keep the scale %s and the offset' % m('s_{%d}' % k),
                  '        self.scale = scale', '        self.offset = offset', '',
                  '    def forward(self, x: float) -> float:',
                  '        %sThe forward pass: %s."""' % (quote, m('f_{%d,%d}(x) = s x^{%d} + o' % (i, k, k + 2))),
                  '        # Raise it to the power %s' % m('%d' % (k + 2)),
                  f'        y = x ** {k + 2}',
                  '        # Then scale and shift it',
                  '        y = y * self.scale + self.offset',
                  '        for step in range(3):',
                  '            # A small correction at each step',
                  '            y = y - math.sin(step) * self.offset',
                  '        return y', '', '']
    lines += ['def total(values: list[float]) -> float:',
              '    # The sum %s' % m(r'\sum_i v_i^{(%d)}' % i),
              '    return sum(values)', '']
    return '\n'.join(lines)


def generate_project(root: Path, n: int) -> list[Path]:
    """Write the package `genpkg` of `n` modules under `root`, in folders of 20, and an
    mkdocs.yml that builds it with this checkout's generator; return the module files."""
    files = []
    for i in range(n):
        folder = root / 'genpkg' / f'part{i // 20:02d}' / ('inner' if i % 20 >= 10 else '')
        folder.mkdir(parents=True, exist_ok=True)
        for package in {folder, folder.parent, root / 'genpkg'}:
            (package / '__init__.py').touch()
        path = folder / f'module{i:03d}.py'
        path.write_text(module_text(i), encoding='utf-8')
        files.append(path)
    (root / 'docs').mkdir(exist_ok=True)
    (root / 'mkdocs.yml').write_text(
        'site_name: Generated\n'
        f'theme: {{name: null, custom_dir: {ROOT / "site_src/theme"}, static_templates: [404.html]}}\n'
        'plugins: [search, {labml_nn_site: {packages: {genpkg: ""}}}]\n', encoding='utf-8')
    return files


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def core(path, rel, math):
    batch = MathBatch()
    page_body(parse_file(path, rel), batch, SourceLinks('source/' + rel + '.html', in_repository=False))
    if math and batch.formulas:
        batch.render()
    return batch


def pycco_one(path, out):
    import pycco.main
    # pycco prints a line per file; keep the report clean
    with contextlib.redirect_stdout(io.StringIO()):
        pycco.main.process([str(path)], outdir=str(out), preserve_paths=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'site.md'))
    args = parser.parse_args()

    # Python files only: pycco cannot read a Markdown file
    files = sorted(p for p in (ROOT / 'labml_nn').rglob('*.py')
                   if '__pycache__' not in p.parts and p.read_text(encoding='utf-8').strip())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            rel = path.relative_to(ROOT).as_posix()
            # Warm up imports and caches once, outside the timings
            formulas = len(core(path, rel, math=False).formulas)
            t_core = best_of(args.repeat, lambda: core(path, rel, math=False))
            t_math = best_of(args.repeat, lambda: core(path, rel, math=True))
            t_pycco = best_of(args.repeat, lambda: pycco_one(path, Path(tmp) / 'pycco'))
            rows.append((rel, path.read_text(encoding='utf-8').count('\n'), formulas,
                         t_core, t_math, t_pycco))
            print(f'{rel:55s} core {t_core:6.1f} ms  +KaTeX {t_math:6.1f} ms  pycco {t_pycco:6.1f} ms')

        site = Path(tmp) / 'site'
        env = {**os.environ, 'PYTHONPATH': str(ROOT)}

        def build():
            shutil.rmtree(site, ignore_errors=True)
            subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(site)],
                           cwd=ROOT, check=True, env=env, capture_output=True)

        t_build = best_of(args.repeat, build)
        pages = len(list(site.rglob('*.html'))) - len(list((site / 'api').rglob('*.html')))
        # Every page but the hand-written ones (docs/*.md) and 404.html is a source file's
        hand_written = len(list((ROOT / 'docs').glob('*.md'))) + 1
        sources = pages - hand_written

    n = len(rows)
    mean = [sum(r[i] for r in rows) / n for i in (3, 4, 5)]
    lines = [
        '# Site build benchmark',
        '',
        f'Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; '
        f'best of {args.repeat} runs; all numbers from one run of `python bench/bench_site.py`.',
        '',
        '| file | lines | formulas | core ms | core + KaTeX ms | pycco ms |',
        '|---|---:|---:|---:|---:|---:|',
        *[f'| `{r[0]}` | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} |' for r in rows],
        f'| **mean of {n} files** | | | **{mean[0]:.1f}** | **{mean[1]:.1f}** | **{mean[2]:.1f}** |',
        '',
        f'Full `mkdocs build` (all {pages} pages of the site, pdoc API reference, search index, '
        f'every formula in one KaTeX process): **{t_build:.0f} ms**, '
        f'i.e. **{t_build / sources:.0f} ms per source file** ({sources} source files).',
        '',
        '*core*: parse, Markdown and Pygments, formulas as placeholders. *core + KaTeX*: the same '
        'plus a node process for that file\'s formulas alone (node\'s start-up, ~100 ms, is paid per '
        'file here but once per build in a real build). *pycco*: `pycco.main.process` on the file, '
        'without math.',
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text('\n'.join(lines) + '\n', encoding='utf-8')
    print(f'\nfull build {t_build:.0f} ms for {sources} source files; written to {args.out}')


if __name__ == '__main__':
    main()
