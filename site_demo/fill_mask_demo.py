r"""
---
title: The model in the page - fill-mask and attention maps in the browser
summary: How the site's build puts the bundled model into the fill-mask page - exported to ONNX while the site is built, run by ONNX Runtime Web's WebAssembly build served from the site itself, tokenized and scored as fill does - and draws the attention of the experiment's sample lines.
---

# The model in the page

The [fill-mask page](../transformers/mlm_tools/fill.html#try-it-in-your-browser) has a box where the reader types a text
with `[MASK]`s and sees each gap's five likeliest characters, and beside it the attention
weights of any head for that text. Nothing runs on a server: the page downloads the model and
a WebAssembly build of [ONNX Runtime](https://onnxruntime.ai/) from this site and computes in
the browser. This module is the part of the site's build that makes that possible, an
[mkdocs hook](https://www.mkdocs.org/user-guide/configuration/#hooks) named in `mkdocs.yml`:

```yaml
hooks:
  - site_demo/fill_mask_demo.py
```

The [site generator](../site_src/readme.html) knows nothing about models; everything
specific to this project happens here, in two of mkdocs' events.

**When a page is written** (`on_post_page`), markers in its prose become the demo. A prose
comment of the fill page holds `<!-- demo: fill-mask -->`, where the box goes,
`<!-- demo: attention -->`, whose heatmap is moved into the code column of its section so
that it sits *beside* the box, and `<!-- demo: head roles -->`, a table of what some heads
were found to do. The experiment page holds `<!-- demo: sample attention -->`, a static
picture of the attention on the run's sample lines. Everything they show about the model
(its run, its accuracy, the head numbers, the picture) is computed from the bundled model as
the site is built, so the pages can't fall behind a new model.

**When the site is written** (`on_post_build`), the files the box needs go into
`site/assets/`:

| file | from |
|---|---|
| `mlm-demo/model.onnx` | the bundled model, exported with [`export_onnx`](../transformers/mlm_tools/onnx_graph.html): the logits and every attention weight |
| `mlm-demo/vocab.json` | the bundled model's own vocabulary: `[PAD]` is 0, `[MASK]` 1, then the characters |
| `mlm-demo/fill_mask.js`, `fill_mask.css` | our script and its style, beside this file |
| `onnxruntime-web/ort.wasm.bundle.min.mjs`, `ort-wasm-simd-threaded.wasm` | ONNX Runtime Web, from npm |

None of them is committed. ONNX Runtime Web is pinned by `package.json` and
`package-lock.json` beside this file: the first build installs it with `npm ci` (as the generator installs
KaTeX), and the build copies the two files the page loads, and the script's source map, from
`node_modules`. The page requests nothing from anywhere else, so it works offline.

## The smallest runtime that works

The npm package holds several builds. The page needs the one that runs on the CPU through
WebAssembly only, with no WebGPU or WebGL: `ort.wasm.bundle.min.mjs` (the JavaScript, with
the WebAssembly module's loader inside it) and `ort-wasm-simd-threaded.wasm`. Its threads
need `SharedArrayBuffer`, which browsers give only to pages served with cross-origin isolation
headers, and a static site can't promise those; so the script asks for one thread. A
character model of 1.2M parameters answers in milliseconds on one.

## The same answers as `fill`

The script, `fill_mask.js` beside this file (commented for reading; the site serves it as
[`assets/mlm-demo/fill_mask.js`](../assets/mlm-demo/fill_mask.js)), does what
[fill](../transformers/mlm_tools/fill.html) does:

* it turns the text into ids with `vocab.json`, one id per character and one for each
  `[MASK]`, and refuses, with a message beside the box, a character the model doesn't know, a
  text without `[MASK]` and one longer than the model's `seq_len`;
* it runs the graph on `[1, n]` ids, puts $-\infty$ on the logits of `[PAD]` and `[MASK]` (never
  an answer), takes the softmax at each gap and shows the five largest;
* it draws the weights $a_{ij}$ of the layer and head the reader picks, from the graph's
  `attentions` output, which [the written-out attention](../transformers/mha.html) computed.

A browser test types texts with one and several gaps and compares every token with
`python -m labml_nn.transformers.mlm_tools.fill --json` on the same texts, and every score to
within $10^{-4}$; it checks the heatmap's weights against PyTorch's the same way.

## Exporting once

Exporting to ONNX traces the model with `torch.export`, which takes a while. The graph
depends only on the weights, the model's source and the versions of the exporting packages,
so it is kept in the cache (`~/.cache/labml_nn/site-onnx/`) under a hash of all of them, and a
later build with the same model copies it.
"""

import functools
import hashlib
import html
import json
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

# This folder: our script and style beside this file, and the npm manifest of ONNX Runtime Web
WEB = Path(__file__).resolve().parent
RUNTIME_DIST = WEB / 'node_modules' / 'onnxruntime-web' / 'dist'
# What the page loads of ONNX Runtime Web (and the script's source map, for a reader's tools)
RUNTIME_FILES = ('ort.wasm.bundle.min.mjs', 'ort.wasm.bundle.min.mjs.map', 'ort-wasm-simd-threaded.wasm')
# Where the files go in the site
ASSETS, RUNTIME = 'assets/mlm-demo', 'assets/onnxruntime-web'
SCRIPT, STYLE = 'fill_mask.js', 'fill_mask.css'
# The markers a page's prose may hold
MARKER = re.compile(r'<!-- demo: ([a-z -]+) -->\n?')
# The text the box starts with
FIRST_TEXT = 'To be, or not to b[MASK], that is the qu[MASK]stion'
# What each pattern of `head_roles` means, in words; a head is named for a pattern in the
# layer and head selects only when it puts at least this much of its weight there
ROLE_WORDS = {'previous': 'the previous character', 'next': 'the next character', 'self': 'itself',
              'same character': 'the same character elsewhere'}
ROLE_SHORT = {'previous': 'looks one character back', 'next': 'looks one character ahead',
              'self': 'looks at itself', 'same character': 'looks at the same character elsewhere'}
CLEAR_ROLE = 0.25
# The heatmaps of the sample lines: squares under this weight are left blank
PICTURE_FLOOR = 0.05


class DemoError(Exception):
    r"""A marker in the wrong place, or a file the demo needs that can't be had."""


# ## The bundled model, once per build
def _weights_stamp() -> Tuple[float, int]:
    from labml_nn.transformers.mlm_tools.load import BUNDLED_MODEL
    weights = BUNDLED_MODEL / 'model.safetensors'
    return weights.stat().st_mtime, weights.stat().st_size


@functools.lru_cache(maxsize=1)
def _shipped(stamp: Tuple[float, int]):
    from labml_nn.transformers.mlm_tools.load import load_mlm
    return load_mlm()


def shipped():
    r"""
    The bundled model, as [`load_mlm`](../transformers/mlm_tools/load.html) reads it (its model,
    vocabulary, model configs, run record and folder), loaded again only when its weights change
    (under `mkdocs serve`).
    """
    return _shipped(_weights_stamp())


def roles_on(texts: List[str]):
    r"""`head_roles` of the bundled model on `texts` (of one length), its weights and the ids."""
    return _roles_on(_weights_stamp(), tuple(texts))


@functools.lru_cache(maxsize=4)
def _roles_on(stamp: Tuple[float, int], texts: Tuple[str, ...]):
    import torch

    from labml_nn.transformers.mlm_tools import attention_maps
    s = shipped()
    ids = torch.stack([attention_maps.encode(t, s.vocabulary) for t in texts])
    weights = attention_maps.attention_maps(s.model, ids)  # [texts, n_layers, heads, seq_len, seq_len]
    return attention_maps.head_roles(weights, ids), weights, ids


# ## The ONNX graph, exported once per model
def onnx_key(s) -> str:
    r"""A hash of everything the graph depends on: the weights, the config, the model's source, the exporter."""
    import onnx
    import onnxscript
    import torch

    from labml_nn.transformers.mlm_tools import export, onnx_graph
    digest = hashlib.sha256()
    for name in ('model.safetensors', 'config.json'):
        digest.update((s.path / name).read_bytes())
    for name, source in export.model_sources().items():
        digest.update(name.encode() + source.encode())
    digest.update(Path(onnx_graph.__file__).read_bytes())
    digest.update(f'{torch.__version__} {onnx.__version__} {onnxscript.__version__}'.encode())
    return digest.hexdigest()[:20]


@functools.lru_cache(maxsize=2)
def onnx_file(stamp: Tuple[float, int]) -> Path:
    r"""The bundled model's ONNX graph, exported when the cache doesn't have it yet."""
    from labml_nn.transformers.mlm_tools import onnx_graph
    from labml_nn.transformers.mlm.data import cache_dir
    s = shipped()
    onnx_graph.check_onnx_installed()
    target = cache_dir() / 'site-onnx' / onnx_key(s) / 'model.onnx'
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside its final name and renamed: a build stopped half way leaves no broken graph
    partial = target.with_suffix('.partial')
    onnx_graph.export_onnx(s.model, partial)
    partial.replace(target)
    return target


# ## ONNX Runtime Web, from npm
def runtime_dist() -> Path:
    r"""The installed `dist/` of ONNX Runtime Web: `npm ci` the first time."""
    if all((RUNTIME_DIST / f).is_file() for f in RUNTIME_FILES):
        return RUNTIME_DIST
    npm = shutil.which('npm')
    if npm is None:
        raise DemoError('npm is not installed: the site needs it once, to fetch onnxruntime-web')
    print(f'Installing onnxruntime-web from npm (once): npm ci --prefix {WEB}')
    # Its dependencies' install scripts are not needed for the files we copy
    proc = subprocess.run([npm, 'ci', '--prefix', str(WEB), '--ignore-scripts', '--no-audit', '--no-fund'],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not all((RUNTIME_DIST / f).is_file() for f in RUNTIME_FILES):
        raise DemoError(f'npm ci --prefix {WEB} failed: {proc.stderr.strip()[-300:]}')
    return RUNTIME_DIST


def download_sizes() -> Dict[str, int]:
    r"""The bytes of what the page downloads for the box (the source map is not downloaded)."""
    dist = runtime_dist()
    sizes = {f'{RUNTIME}/{f}': (dist / f).stat().st_size for f in RUNTIME_FILES if not f.endswith('.map')}
    sizes[f'{ASSETS}/model.onnx'] = onnx_file(_weights_stamp()).stat().st_size
    sizes[f'{ASSETS}/vocab.json'] = (shipped().path / 'vocab.json').stat().st_size
    for name in (SCRIPT, STYLE):
        sizes[f'{ASSETS}/{name}'] = (WEB / name).stat().st_size
    return sizes


# ## What the markers become
def relative(page_url: str, path: str) -> str:
    r"""`path` (from the site's root) as a link from the page at `page_url`."""
    return posixpath.relpath(path, posixpath.dirname(page_url) or '.')


def percent(x: float) -> str:
    return f'{x:.1%}'


def megabytes(n: int) -> str:
    return f'{n / 1e6:.1f} MB'


def shown_char(c: str) -> str:
    r"""A character as the pictures show it: a line break as ↵, a `[MASK]` as □."""
    return {'\n': '↵', '[MASK]': '□'}.get(c, c)


def demo_box(page_url: str) -> str:
    r"""
    The box: which model it is, the text field, the message line and the results. The
    script finds it by its id and reads its settings from the `data-` attributes.
    """
    s = shipped()
    training, layers, heads = s.training, s.model_configs.n_layers, s.model_configs.n_heads
    roles = roles_on(_sample())[0]
    total = sum(download_sizes().values())
    # The heads with a clear job are named in the head select
    named = {f'{la} {he}': f'{ROLE_SHORT[r]} ({sc:.0%})' for r, (la, he, sc) in roles.best.items() if sc >= CLEAR_ROLE}
    run = training.get('run_uuid') or 'unknown'
    accuracy = training.get('valid_accuracy')
    measured = (f'which gets <strong>{percent(accuracy)}</strong> of the masked characters of the validation '
                f'text right' if accuracy is not None else 'whose accuracy was not measured')
    data = {
        'model': relative(page_url, f'{ASSETS}/model.onnx'), 'vocab': relative(page_url, f'{ASSETS}/vocab.json'),
        'runtime': relative(page_url, f'{RUNTIME}/{RUNTIME_FILES[0]}'),
        'max-len': s.max_len, 'layers': layers, 'heads': heads, 'named-heads': json.dumps(named),
        'download': megabytes(total),
    }
    attributes = ' '.join(f'data-{k}="{html.escape(str(v))}"' for k, v in data.items())
    return f'''<div class="mlm-demo" id="mlm-demo" data-state="idle" {attributes}>
<p class="mlm-demo-model">The model: the <a href="{relative(page_url, 'bench/default_run.html')}">recorded default
run</a> (run <code>{html.escape(run[:8])}</code>, {training['step']:,} steps), {measured}: {layers} layers of
{heads} heads, exported to ONNX. It and ONNX Runtime Web ({megabytes(total)} in all) come from this site
when the box first comes into view; what you type never leaves the page.</p>
<label class="mlm-demo-label" for="mlm-demo-text">Text, with <code>[MASK]</code> for each hidden character
(at most {s.max_len} characters)</label>
<input class="mlm-demo-text" id="mlm-demo-text" type="text" value="{html.escape(FIRST_TEXT)}" spellcheck="false"
autocomplete="off" autocapitalize="off" aria-describedby="mlm-demo-status">
<p class="mlm-demo-status" id="mlm-demo-status" role="status">The model loads when this box comes into view.
<noscript>This box needs JavaScript.</noscript></p>
<div class="mlm-demo-results" id="mlm-demo-results"></div>
</div>
'''


def attention_box(page_url: str) -> str:
    r"""The heatmap's side: the layer and head selects, the map, and what it shows in words."""
    s = shipped()
    layer, head, _ = roles_on(_sample())[0].best['previous']
    layers = ''.join(f'<option value="{n}"{" selected" if n == layer else ""}>{n + 1}</option>'
                     for n in range(s.model_configs.n_layers))
    heads = ''.join(f'<option value="{n}"{" selected" if n == head else ""}>{n + 1}</option>'
                    for n in range(s.model_configs.n_heads))
    return f'''<div class="mlm-attention" id="mlm-attention">
<p class="mlm-attention-title" id="mlm-attention-title"><strong>What it attends to</strong></p>
<div class="mlm-attention-controls">
<label for="mlm-demo-layer">Layer</label> <select id="mlm-demo-layer">{layers}</select>
<label for="mlm-demo-head">Head</label> <select id="mlm-demo-head">{heads}</select>
</div>
<div class="mlm-map" id="mlm-demo-map"></div>
<p class="mlm-map-legend" aria-hidden="true"><span class="mlm-map-scale"></span> 0% to 100% of a row's weight</p>
<p class="mlm-map-summary" id="mlm-demo-map-summary" aria-live="polite">The map appears when the model has
answered.</p>
</div>
'''


def _sample() -> List[str]:
    from labml_nn.transformers.mlm_tools import attention_maps
    return attention_maps.SAMPLE


def roles_table() -> str:
    r"""What the heads were found to do on the attention page's sample, as a table, and in words."""
    roles = roles_on(_sample())[0]
    rows = []
    for role, (layer, head, score) in roles.best.items():
        rows.append(f'<tr data-role="{role}" data-layer="{layer + 1}" data-head="{head + 1}" data-score="{score!r}">'
                    f'<td>{ROLE_WORDS[role]}</td><td>layer {layer + 1}, head {head + 1}</td>'
                    f'<td>{percent(score)}</td><td>{percent(roles.uniform[role])}</td></tr>')
    clear = [(r, b) for r, b in roles.best.items() if b[2] >= CLEAR_ROLE]
    words = '; '.join(f'layer {la + 1}, head {he + 1} puts {sc:.0%} of each character\'s weight on '
                      f'{ROLE_WORDS[r]}' for r, (la, he, sc) in clear)
    summary = (f'<p class="mlm-roles-words">So {words}: pick {"it" if len(clear) == 1 else "them"} to see '
               f'{"a line" if len(clear) == 1 else "lines"} beside the diagonal.</p>' if clear else '')
    return (f'<table class="mlm-roles"><thead><tr><th scope="col">the weight on</th>'
            f'<th scope="col">the head that puts most there</th><th scope="col">its share</th>'
            f'<th scope="col">an even spread</th></tr></thead><tbody>{"".join(rows)}</tbody></table>\n{summary}\n')


# ## The picture of the sample lines
def cells_svg(w, x0: float, y0: float, cell: float) -> str:
    r"""
    The squares of one map, `w` being `[n, n]`: each weight rounded to a tenth, one `path` per
    tenth (an SVG with a `rect` per square would be ten times larger), squares under
    `PICTURE_FLOOR` left out.
    """
    paths = []
    level = (w * 10).round().clamp(max=10)
    level[w < PICTURE_FLOOR] = 0
    for n in range(1, 11):
        squares = (level == n).nonzero().tolist()
        if squares:
            d = ''.join(f'M{x0 + j * cell:g} {y0 + i * cell:g}h{cell:g}v{cell:g}h-{cell:g}z' for i, j in squares)
            paths.append(f'<path class="mlm-cells" fill-opacity="{n / 10:g}" d="{d}"/>')
    return ''.join(paths)


def sample_picture(page_url: str) -> str:
    r"""
    The experiment's three sample lines, as the model saw them (`[MASK]` drawn as □), and the
    attention of the heads that look most at the previous character, the next one and the same
    character elsewhere on them: one map per line and head, explained and with the numbers in
    words under it.
    """
    from labml_nn.transformers.mlm_tools import attention_maps
    lines = attention_maps.SAMPLE_LINES
    roles, weights, ids = roles_on(lines)
    s = shipped()
    shown = ('previous', 'next', 'same character')
    heads = list(dict.fromkeys(roles.best[r][:2] for r in shown))
    n = ids.shape[1]
    cell, gap, top, line_h, row_gap = 4, 24, 40, 24, 22
    side = n * cell
    width = len(heads) * side + (len(heads) - 1) * gap
    height = top + len(lines) * (line_h + side + row_gap)
    out = [f'<svg class="mlm-picture" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="mlm-picture-title mlm-picture-desc" xmlns="http://www.w3.org/2000/svg">']
    words = []
    for r in shown:
        layer, head, score = roles.best[r]
        words.append(f'layer {layer + 1}, head {head + 1} puts {percent(score)} of each character\'s weight on '
                     f'{ROLE_WORDS[r]} (an even spread would put {percent(roles.uniform[r])})')
    out.append('<title id="mlm-picture-title">Attention of three heads on the three sample lines</title>')
    out.append(f'<desc id="mlm-picture-desc">On the three lines, {"; ".join(words)}.</desc>')
    for k, (layer, head) in enumerate(heads):
        x = k * (side + gap)
        jobs = [ROLE_WORDS[r] for r in shown if roles.best[r][:2] == (layer, head)]
        out.append(f'<text class="mlm-picture-head" x="{x}" y="14">layer {layer + 1}, head {head + 1}</text>'
                   f'<text class="mlm-picture-job" x="{x}" y="30">{html.escape(", ".join(jobs))}</text>')
    for row in range(len(lines)):
        y = top + row * (line_h + side + row_gap)
        # The line across the maps, a character per column of the first
        label = ''.join(shown_char(s.vocabulary.decode_token(t)) for t in ids[row].tolist())
        out.append(f'<text class="mlm-picture-line" x="0" y="{y + 15}" textLength="{width}" '
                   f'lengthAdjust="spacingAndGlyphs" xml:space="preserve">{html.escape(label)}</text>')
        for k, (layer, head) in enumerate(heads):
            x = k * (side + gap)
            out.append(f'<rect class="mlm-frame" x="{x}" y="{y + line_h}" width="{side}" height="{side}"/>')
            out.append(cells_svg(weights[row, layer, head], x, y + line_h, cell))
    out.append('</svg>')
    best = {r: [la + 1, he + 1, sc] for r, (la, he, sc) in roles.best.items()}
    link = functools.partial(relative, page_url)
    caption = (f'The bundled model, which is the default run exported, reading the three sample lines as '
               f'<code>show_samples</code> gives them to it (□ is a <code>[MASK]</code>). Each map is one head\'s '
               f'attention on one line: row <var>i</var> is character <var>i</var> asking, and the square in column '
               f'<var>j</var> is the weight it gives character <var>j</var> (squares under {PICTURE_FLOOR:.0%} are '
               f'left blank). A gap is read like any other position: its row shows where the model looked to fill '
               f'it. The heads are those that put the most weight on the previous character, the next one and the '
               f'same character elsewhere (<a href="{link("transformers/mlm_tools/attention_maps.html")}">what the heads '
               f'attend to</a>; the <a href="{link("transformers/mlm_tools/fill.html")}#try-it-in-your-browser">fill-mask '
               f'page</a> draws any head for a text you type). Over the three lines, {"; ".join(words)}.')
    return (f'<figure class="mlm-picture-figure" data-roles="{html.escape(json.dumps(best))}">{"".join(out)}'
            f'<figcaption>{caption}</figcaption></figure>\n')


# ## Putting them in the page
def beside(output: str, at: int, content: str) -> str:
    r"""
    Puts `content` into the code column of the section whose prose holds position `at`. The
    generator writes each section as `div.section > div.docs + div.code`; a marker that wants
    the column must be in a note of its own, whose code column is empty.
    """
    start = output.find('<div class="code">', at)
    if start < 0 or '<div class="section"' in output[at:start]:
        raise DemoError('a marker to be shown beside the prose must be in the prose of an annotated page')
    empty = '<div class="code">\n</div>'
    if not output.startswith(empty, start):
        raise DemoError('a marker to be shown beside the prose must be in a note of its own (comments '
                        'followed by a blank line), whose code column is empty')
    return output[:start] + f'<div class="code mlm-beside">\n{content}</div>' + output[start + len(empty):]


def place_demos(output: str, page_url: str) -> str:
    r"""The page with every marker replaced, and the demo's style and script linked when it has one."""
    found = [m.group(1) for m in MARKER.finditer(output)]
    unknown = set(found) - {'fill-mask', 'attention', 'head roles', 'sample attention'}
    if unknown:
        raise DemoError(f'unknown demo marker(s): {", ".join(sorted(unknown))}')
    for name in ('attention', 'sample attention'):
        m = re.search(f'<!-- demo: {name} -->\n?', output)
        if m:
            content = attention_box(page_url) if name == 'attention' else sample_picture(page_url)
            output = beside(output[:m.start()] + output[m.end():], m.start(), content)
    output = output.replace('<!-- demo: head roles -->', roles_table())
    output = re.sub(r'<!-- demo: fill-mask -->\n?', lambda m: demo_box(page_url), output)
    head = f'<link rel="stylesheet" href="{relative(page_url, f"{ASSETS}/{STYLE}")}">\n'
    if 'fill-mask' in found:
        head += f'<script type="module" src="{relative(page_url, f"{ASSETS}/{SCRIPT}")}"></script>\n'
    return output.replace('</head>', head + '</head>', 1)


# ## The mkdocs events
def on_post_page(output: str, *, page, config) -> str:
    r"""Replaces the demo markers of a page that has any."""
    if '<!-- demo: ' not in output:
        return output
    try:
        return place_demos(output, page.url)
    except DemoError as e:
        from mkdocs.exceptions import PluginError
        raise PluginError(f'{page.file.src_uri}: {e}') from None


def on_post_build(*, config) -> None:
    r"""Writes the model, its vocabulary, our script and ONNX Runtime Web into the site."""
    site = Path(config.site_dir)
    try:
        dist = runtime_dist()
        assets, runtime = site / ASSETS, site / RUNTIME
        assets.mkdir(parents=True, exist_ok=True)
        runtime.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(onnx_file(_weights_stamp()), assets / 'model.onnx')
        shutil.copyfile(shipped().path / 'vocab.json', assets / 'vocab.json')
        for name in (SCRIPT, STYLE):
            shutil.copyfile(WEB / name, assets / name)
        for name in RUNTIME_FILES:
            shutil.copyfile(dist / name, runtime / name)
    except DemoError as e:
        from mkdocs.exceptions import PluginError
        raise PluginError(str(e)) from None
