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
