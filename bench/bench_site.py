"""
---
title: Benchmark - how long the site takes per source file
summary: Builds a generated project of 200 modules and each of our sources the way a user builds a site, with and without the API reference, and sets the time per file beside pycco's on the same files.
---

# How long the site takes per source file, next to pycco on the same files

    python bench/bench_site.py            # writes bench/results/site.md and site.json

Two measurements, in one run on the same machine:

**Scale.** A generated project of 200 modules (about 100 lines each, formulas in nine of ten,
see `generate_project`) is built the way a user builds a site, `mkdocs build` in a fresh
process: every annotated page with its math typeset by KaTeX, the search index and the source
views; and once more with the API reference that pdoc makes by importing every module. pycco
(a benchmark-only dependency) renders the same 200 files in one process of its own, without
math. The totals divided by 200 are the milliseconds per file.

**Our sources.** For each Python file of `labml_nn/`:

* **core**: our parse + Markdown + Pygments render of the file, formulas left as placeholders;
* **core + KaTeX**: the same, plus rendering that file's formulas in its own node process
  (what one file would cost if built alone: it pays node's start-up every time);
* **pycco**: `pycco.main.process` on the file (no math at all);

and one full `mkdocs build` of this site, divided by its number of source pages.

Each timing is the best of `--repeat` runs; the builds being compared take turns, so that a
busy moment of the machine does not fall on one of them only.
"""
import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from site_src.katex import MathBatch
from site_src.render import SourceLinks, page_body
from site_src.sections import parse_file

ROOT = Path(__file__).resolve().parents[1]


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
        'plugins: [search, {annotated: {packages: {genpkg: ""}, api: false}}]\n', encoding='utf-8')
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


def build_command(project: Path, site: Path) -> list[str]:
    return [sys.executable, '-m', 'mkdocs', 'build', '-q', '-f', str(project / 'mkdocs.yml'), '-d', str(site)]


def pycco_command(files: list[Path], out: Path) -> list[str]:
    return [sys.executable, '-c', 'import sys, pycco.main; sys.argv[0] = "pycco"; pycco.main.main()',
            '-p', '-d', str(out), *map(str, files)]


def scale(modules: int, repeat: int) -> dict:
    """Time our build of a generated project (with and without the API reference) and pycco's."""
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = generate_project(tmp / 'project', modules)
        with_api = tmp / 'with-api'
        shutil.copytree(tmp / 'project', with_api)
        config = (with_api / 'mkdocs.yml').read_text(encoding='utf-8')
        (with_api / 'mkdocs.yml').write_text(config.replace('api: false', 'api: true'),
                                             encoding='utf-8')
        commands = {
            'ours': (build_command(tmp / 'project', tmp / 'site'), tmp / 'project', tmp / 'site'),
            'ours_api': (build_command(with_api, tmp / 'site-api'), with_api, tmp / 'site-api'),
            'pycco': (pycco_command([f.relative_to(tmp / 'project') for f in files], tmp / 'pycco'),
                      tmp / 'project', tmp / 'pycco'),
        }
        times = {name: [] for name in commands}
        for _ in range(repeat):
            for name, (command, cwd, out) in commands.items():
                # Every build starts from nothing: deleting the last one's files is not the
                # generator's work (mkdocs would, pycco would write over them)
                shutil.rmtree(out, ignore_errors=True)
                start = time.perf_counter()
                subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
        site = tmp / 'site'
        pages = [p for p in site.rglob('*.html') if 'source' not in p.relative_to(site).parts[:1]]
        formulas = sum(p.read_text(encoding='utf-8').count('class="katex"') for p in pages)
        lines = sum(f.read_text(encoding='utf-8').count('\n') for f in files)
        pycco_pages = len(list((tmp / 'pycco').rglob('*.html')))
    best = {name: min(t) for name, t in times.items()}
    return {'modules': modules, 'lines': lines, 'formulas_typeset': formulas, 'pycco_pages': pycco_pages,
            'seconds': best, 'ms_per_file': {name: t * 1000 / modules for name, t in best.items()},
            'all_seconds': times}


def main():
    parser = argparse.ArgumentParser(description='How long the site takes per source file, next to pycco on the same files.')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--modules', type=int, default=200)
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'site.md'))
    args = parser.parse_args()

    big = scale(args.modules, args.repeat)
    ms = big['ms_per_file']
    print(f"{args.modules} modules: ours {ms['ours']:.1f} ms/file, with the API reference "
          f"{ms['ours_api']:.1f}, pycco {ms['pycco']:.1f}")

    # Python files only: pycco cannot read a Markdown file
    files = sorted(p for p in (ROOT / 'labml_nn').rglob('*.py')
                   if '__pycache__' not in p.parts and p.read_text(encoding='utf-8').strip())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            rel = path.relative_to(ROOT).as_posix()
            # Warm up imports and caches once, outside the timings
            formulas = len(core(path, rel, math=False).formulas)
            t_core = best_of(args.repeat, lambda: core(path, rel, math=False))  # noqa: B023
            t_math = best_of(args.repeat, lambda: core(path, rel, math=True))  # noqa: B023
            t_pycco = best_of(args.repeat, lambda: pycco_one(path, Path(tmp) / 'pycco'))  # noqa: B023
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
        pages = [p for p in site.rglob('*.html') if p.relative_to(site).parts[0] not in ('api', 'source')]
        # Every page but the hand-written ones (docs/*.md) and 404.html is a source file's
        hand_written = len(list((ROOT / 'docs').glob('*.md'))) + 1
        sources = len(pages) - hand_written

    n = len(rows)
    mean = [sum(r[i] for r in rows) / n for i in (3, 4, 5)]
    seconds = big['seconds']
    load = os.getloadavg()
    lines = [
        '# Site build benchmark',
        '',
        (f'Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; '
         f'best of {args.repeat} runs; load average {load[0]:.2f} at the end; all numbers from one run '
         f'of `python bench/bench_site.py`.'),
        '',
        f'## A project of {big["modules"]} modules',
        '',
        (f'{big["modules"]} generated modules, {big["lines"]:,} lines, {big["formulas_typeset"]:,} '
         f'formulas typeset; each build in a fresh process, as a user runs it.'),
        '',
        '| build | seconds | ms per file |',
        '|---|---:|---:|',
        (f'| **ours**: every annotated page, math typeset by KaTeX, search index, source views '
         f'| {seconds["ours"]:.2f} | **{ms["ours"]:.1f}** |'),
        (f'| ours, with the API reference (pdoc imports and documents every module) '
         f'| {seconds["ours_api"]:.2f} | {ms["ours_api"]:.1f} |'),
        f'| **pycco**: annotated pages, no math | {seconds["pycco"]:.2f} | **{ms["pycco"]:.1f}** |',
        '',
        '## Our sources, file by file',
        '',
        '| file | lines | formulas | core ms | core + KaTeX ms | pycco ms |',
        '|---|---:|---:|---:|---:|---:|',
        *[f'| `{r[0]}` | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} |' for r in rows],
        f'| **mean of {n} files** | | | **{mean[0]:.1f}** | **{mean[1]:.1f}** | **{mean[2]:.1f}** |',
        '',
        (f'Full `mkdocs build` of this site (pdoc API reference, search index, source views, every '
         f'formula in one KaTeX process): **{t_build:.0f} ms**, i.e. **{t_build / sources:.0f} ms per '
         f'source file** ({sources} source files; pdoc importing torch is most of it).'),
        '',
        ('*core*: parse, Markdown and Pygments, formulas as placeholders. *core + KaTeX*: the same '
         'plus a node process for that file\'s formulas alone (node\'s start-up, ~100 ms, is paid per '
         'file here but once per build in a real build). *pycco*: `pycco.main.process` on the file, '
         'without math.'),
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    out.with_suffix('.json').write_text(json.dumps({
        'scale': big, 'own_build_ms': t_build, 'own_sources': sources,
        'files': [dict(zip(('file', 'lines', 'formulas', 'core_ms', 'core_katex_ms', 'pycco_ms'), r)) for r in rows],
        'load_average_end': load[0]}, indent=1) + '\n', encoding='utf-8')
    print(f'\nfull build {t_build:.0f} ms for {sources} source files; written to {out}')


if __name__ == '__main__':
    main()
