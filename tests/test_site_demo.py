"""
The model in the page (site_demo/fill_mask_demo.py): the fill-mask box of the
site runs the bundled model, exported to ONNX when the site is built, with ONNX Runtime Web in
headless chromium, and must give what `python -m labml_nn.transformers.mlm_tools.fill --json` gives
on the same texts (scores within 1e-4, the order the same but for near ties), draw attention
weights equal to PyTorch's, say so when WebAssembly is missing, and fetch nothing from anywhere
but the site itself. The numbers the pages quote about the model and its heads are checked
against the model.

Timings and the bytes the page downloads are written to test-artifacts/ with screenshots.
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import ARTIFACTS, ROOT, load_hook
from tolerances import PROBABILITY_ABSOLUTE
from labml_nn.transformers.mlm_tools import attention_maps, fill
from labml_nn.transformers.mlm_tools.load import BUNDLED_MODEL, load_mlm
from labml_nn.transformers.mlm.data import TINY_SHAKESPEARE_SHA256, CharVocabulary, sample_lines, sha256_of, split

# The site's build hook that puts the model in the page (a file mkdocs loads, not a package module)
browser_demo = load_hook('site_demo/fill_mask_demo.py')
FILL = 'transformers/mlm_tools/fill.html'
# The page that pictures the attention on the experiment's sample lines
EXPERIMENT = 'transformers/mlm_tools/attention_maps.html'
# One gap, two gaps side by side, gaps at both ends, and five in one text
TEXTS = ['Now is the winter of our disc[MASK]ntent',
         'I kn[MASK][MASK] not',
         '[MASK]o be, or not to be, that is the questio[MASK]',
         'W[MASK]at, m[MASK] lord? I h[MASK]ve s[MASK]en the k[MASK]ng.']


def bundled_model():
    loaded = load_mlm()
    return loaded.model, loaded.vocabulary


@pytest.fixture(scope='module')
def bundled():
    return bundled_model()


@pytest.fixture(scope='module')
def expected(tmp_path_factory):
    r"""What the command line prints for `TEXTS`, one result per text, each a list per gap."""
    path = tmp_path_factory.mktemp('texts') / 'texts.txt'
    path.write_text('\n'.join(TEXTS) + '\n', encoding='utf-8')
    result = subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm_tools.fill', '--json', '--file', str(path)],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)},
                            timeout=300)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # The pipeline's shape: a text with one gap is a list of guesses, with several a list of lists
    return [[r] if isinstance(r[0], dict) else r for r in out]


# ## The page in a browser
class Recorder:
    r"""Every request a context makes, and the size of every response."""

    def __init__(self, context):
        self.requests, self.sizes = [], {}
        context.on('request', lambda r: self.requests.append(r.url))
        context.on('response', self.response)

    def response(self, r):
        length = r.headers.get('content-length')
        self.sizes[r.url] = int(length) if length is not None else len(r.body())


def wait_for_answer(page, text, timeout=120_000):
    page.wait_for_function("t => document.getElementById('mlm-demo').dataset.answered === t", arg=text,
                           timeout=timeout)


def shown_guesses(page):
    return page.eval_on_selector_all(
        '#mlm-demo-results .mlm-gap',
        "gaps => gaps.map(g => [...g.querySelectorAll('li')].map(li => ({token: +li.dataset.token, "
        "score: +li.dataset.score, text: li.textContent})))")


def shown_map(page):
    r"""The heatmap's layer, head and weights, `[n, n]`."""
    svg = page.locator('#mlm-demo-map svg')
    cells = page.eval_on_selector_all('#mlm-demo-map .mlm-map-cell',
                                      'cs => cs.map(c => [+c.dataset.i, +c.dataset.j, +c.dataset.w])')
    n = int(len(cells) ** 0.5)
    weights = torch.zeros(n, n, dtype=torch.float64)
    for i, j, w in cells:
        weights[i, j] = w
    return int(svg.get_attribute('data-layer')), int(svg.get_attribute('data-head')), weights


@pytest.fixture(scope='module')
def demo(browser, origin):
    r"""The fill page, opened once, its box scrolled into view and the model loaded."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    recorder = Recorder(context)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f'{origin}/{FILL}')
    page.locator('#mlm-demo').scroll_into_view_if_needed()
    page.wait_for_function("document.getElementById('mlm-demo').dataset.answered !== undefined", timeout=120_000)
    ready_s = time.perf_counter() - started
    yield page, recorder, ready_s
    context.close()


def assert_same_ranking(ours, theirs, where):
    r"""
    Two top-5 lists, the page's and the command line's, agree: position by position and token
    by token, the probabilities are within `PROBABILITY_ABSOLUTE` (ONNX Runtime's WebAssembly
    kernels and PyTorch's sum in different orders). So the order may differ only between
    neighbours within that tolerance of each other, a near tie that two engines, or two CPUs,
    may break either way: the quoted texts have neighbours 2.2e-5 apart in their top 5
    (bench/results/kernels.md), though none near the top guess. A character on one list only
    must be a near tie with the other's last.
    """
    assert len(ours) == len(theirs), where
    mine, other = {g['token']: g['score'] for g in ours}, {g['token']: g['score'] for g in theirs}
    for g, h in zip(ours, theirs):
        assert abs(g['score'] - h['score']) <= PROBABILITY_ABSOLUTE, (where, g, h)
    for token in mine.keys() & other.keys():
        assert abs(mine[token] - other[token]) <= PROBABILITY_ABSOLUTE, (where, token)
    for one, two in ((mine, other), (other, mine)):
        for token in one.keys() - two.keys():
            assert one[token] <= min(two.values()) + PROBABILITY_ABSOLUTE, (where, token)


def test_the_box_gives_fills_answers(demo, expected):
    page, _, _ = demo
    assert page.locator('#mlm-demo').get_attribute('data-state') == 'ready'
    for text, want in zip(TEXTS, expected):
        page.fill('#mlm-demo-text', text)
        wait_for_answer(page, text)
        got = shown_guesses(page)
        assert len(got) == len(want) == text.count('[MASK]'), text
        for gap, (ours, theirs) in enumerate(zip(got, want)):
            assert_same_ranking(ours, theirs, (text, gap))
            for g in ours:
                # The row shows the character and its percentage
                assert f"{100 * g['score']:.1f}%" in g['text']
    # The status line says it in words, for screen readers
    assert re.match(r'Gap 1: .+ \d+\.\d%; gap 2: .+ \d+\.\d%.+Answered in \d+ ms\.', page.text_content('#mlm-demo-status'))
    page.screenshot(path=str(ARTIFACTS / 'demo-fill.png'))
    page.locator('#mlm-demo').screenshot(path=str(ARTIFACTS / 'demo-box.png'))


def test_the_heatmap_is_the_models_attention(demo, bundled):
    page, _, _ = demo
    model, vocabulary = bundled
    text = TEXTS[3]
    page.fill('#mlm-demo-text', text)
    wait_for_answer(page, text)
    ids = attention_maps.encode(text, vocabulary)
    expected = attention_maps.attention_maps(model, ids)  # [n_layers, heads, n, n]
    # The head the page starts on, then others picked from the keyboard and with the mouse
    layer, head, weights = shown_map(page)
    assert (layer, head) == browser_demo.roles_on(attention_maps.SAMPLE)[0].best['previous'][:2]
    assert torch.allclose(weights, expected[layer, head].double(), atol=1e-4)
    page.focus('#mlm-demo-layer')
    down = layer < expected.shape[0] - 1
    page.keyboard.press('ArrowDown' if down else 'ArrowUp')
    page.wait_for_function(f"document.querySelector('#mlm-demo-map svg').dataset.layer === '{layer + (1 if down else -1)}'")
    page.select_option('#mlm-demo-head', index=2)  # (a string would match the label "2" too)
    page.wait_for_function("document.querySelector('#mlm-demo-map svg').dataset.head === '2'")
    layer, head, weights = shown_map(page)
    assert (layer, head) != browser_demo.roles_on(attention_maps.SAMPLE)[0].best['previous'][:2]
    assert weights.shape == (len(ids), len(ids))
    assert torch.allclose(weights, expected[layer, head].double(), atol=1e-4)
    assert torch.allclose(weights.sum(-1), torch.ones(len(ids), dtype=torch.float64), atol=1e-4)
    # The same head in words
    summary = page.text_content('#mlm-demo-map-summary')
    before = expected[layer, head].double().diagonal(-1).mean()
    assert summary.startswith(f'Layer {layer + 1}, head {head + 1}, on this text: on average {before:.1%}')
    page.locator('#mlm-attention').screenshot(path=str(ARTIFACTS / 'demo-attention.png'))


def test_unknown_characters_and_long_texts_are_refused(demo):
    page, _, _ = demo
    for text, words in [('Café au l[MASK]it', "doesn't know “é”"),
                        ('no gap at all', 'has no [MASK]'),
                        ('to b[mask]', '(a gap is written [MASK], in capitals)'),
                        ('a' * 70 + '[MASK]', 'this model reads at most 64')]:
        page.fill('#mlm-demo-text', text)
        wait_for_answer(page, text)
        assert words in page.text_content('#mlm-demo-status'), text
        assert page.get_attribute('#mlm-demo-text', 'aria-invalid') == 'true'
        assert page.locator('#mlm-demo-results .mlm-gap').count() == 0
        if text.startswith('Café'):
            page.locator('#mlm-demo').screenshot(path=str(ARTIFACTS / 'demo-unknown-character.png'))
    page.fill('#mlm-demo-text', TEXTS[0])
    wait_for_answer(page, TEXTS[0])
    assert page.get_attribute('#mlm-demo-text', 'aria-invalid') is None


def test_nothing_comes_from_elsewhere_and_what_the_page_downloads(demo, origin):
    r"""Every request stays on the site; the bytes by file and the timings go to test-artifacts/."""
    page, recorder, ready_s = demo
    outside = [u for u in recorder.requests if not u.startswith(origin + '/')]
    assert outside == []
    files = {u[len(origin) + 1:]: n for u, n in recorder.sizes.items()}
    for needed in ('assets/mlm-demo/model.onnx', 'assets/onnxruntime-web/ort-wasm-simd-threaded.wasm',
                   'assets/onnxruntime-web/ort.wasm.bundle.min.mjs', 'assets/mlm-demo/vocab.json'):
        assert needed in files, needed
    box = page.locator('#mlm-demo')
    timing = {'page_to_first_answer_s': round(ready_s, 3), 'model_load_ms': float(box.get_attribute('data-load-ms')),
              'last_answer_ms': float(box.get_attribute('data-answer-ms')), 'load_average': os.getloadavg()}
    (ARTIFACTS / 'demo-downloads.json').write_text(json.dumps(
        {'total_bytes': sum(files.values()), 'files': dict(sorted(files.items(), key=lambda f: -f[1])),
         **timing}, indent=1))
    print(f"\nfill page: {sum(files.values()):,} bytes in {len(files)} files; {timing}")


def test_without_webassembly_the_box_says_so(browser, origin):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    context.add_init_script('delete window.WebAssembly')
    requests = []
    context.on('request', lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(f'{origin}/{FILL}')
    page.locator('#mlm-demo').scroll_into_view_if_needed()
    page.wait_for_function("document.getElementById('mlm-demo').dataset.state === 'unsupported'")
    status = page.text_content('#mlm-demo-status')
    assert 'needs WebAssembly' in status and 'python -m labml_nn.transformers.mlm_tools.fill' in status
    assert page.locator('#mlm-demo-text').is_disabled()
    # Nothing is downloaded for a box that can't run
    assert not [u for u in requests if 'model.onnx' in u or '.wasm' in u]
    page.locator('#mlm-demo').screenshot(path=str(ARTIFACTS / 'demo-no-webassembly.png'))
    context.close()


@pytest.mark.parametrize('scheme', ['light', 'dark'])
@pytest.mark.parametrize('width', [1280, 390])
def test_the_demo_at_two_widths_in_both_modes(browser, origin, scheme, width):
    context = browser.new_context(viewport={'width': width, 'height': 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f'{origin}/{FILL}')
    page.locator('#mlm-demo').scroll_into_view_if_needed()
    wait_for_answer(page, browser_demo.FIRST_TEXT)
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    page.locator('#mlm-demo').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f'demo-{width}-{scheme}.png'))
    page.goto(f'{origin}/{EXPERIMENT}')
    figure = page.locator('.mlm-picture-figure')
    figure.scroll_into_view_if_needed()
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    figure.screenshot(path=str(ARTIFACTS / f'demo-sample-attention-{width}-{scheme}.png'))
    context.close()


# ## What the pages say about the model
def test_the_page_names_the_model_and_its_heads(site_dir):
    page = (site_dir / FILL).read_text(encoding='utf-8')
    config = json.loads((BUNDLED_MODEL / 'config.json').read_text())
    training = config['training']
    assert f"{training['valid_accuracy']:.1%}" in page and training['run_uuid'][:8] in page
    assert f"{training['step']:,} steps" in page
    # The table of head roles is what head_roles measures on the attention page's sample
    model, vocabulary = bundled_model()
    batch = torch.stack([attention_maps.encode(t, vocabulary) for t in attention_maps.SAMPLE])
    roles = attention_maps.head_roles(attention_maps.attention_maps(model, batch), batch)
    rows = re.findall(r'<tr data-role="([^"]+)" data-layer="(\d+)" data-head="(\d+)" data-score="([^"]+)">'
                      r'<td>[^<]+</td><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td></tr>', page)
    assert [r[0] for r in rows] == list(attention_maps.ROLES)
    for role, layer, head, score, shown, uniform in rows:
        best = roles.best[role]
        assert (int(layer) - 1, int(head) - 1) == best[:2]
        assert float(score) == pytest.approx(best[2], abs=1e-6)
        assert shown == f'{best[2]:.1%}' and uniform == f'{roles.uniform[role]:.1%}'
    # The same numbers as the attention page's, which its own test checks against its prose
    for line in attention_maps.describe(roles):
        role = line[:15].strip()
        assert f'{roles.best[role][2]:.1%}' in page


def test_the_experiment_page_pictures_the_sample_lines(site_dir):
    page = (site_dir / EXPERIMENT).read_text(encoding='utf-8')
    figure = re.search(r'<figure class="mlm-picture-figure" data-roles="([^"]+)">(.*?)</figure>', page, re.S)
    assert figure, 'no picture of the sample lines'
    best = json.loads(figure.group(1).replace('&quot;', '"'))
    model, vocabulary = bundled_model()
    batch = torch.stack([attention_maps.encode(t, vocabulary) for t in attention_maps.SAMPLE_LINES])
    roles = attention_maps.head_roles(attention_maps.attention_maps(model, batch), batch)
    for role, (layer, head, score) in roles.best.items():
        assert best[role][:2] == [layer + 1, head + 1] and best[role][2] == pytest.approx(score, abs=1e-6)
    # A text alternative with the numbers, in the picture and under it
    svg = figure.group(2)
    assert re.search(r'<svg class="mlm-picture"[^>]* role="img" aria-labelledby="mlm-picture-title mlm-picture-desc"', svg)
    for role in ('previous', 'next', 'same character'):
        layer, head, score = roles.best[role]
        words = f"layer {layer + 1}, head {head + 1} puts {score:.1%} of each character's weight on"
        assert svg.count(words.replace("'", '&#x27;')) + svg.count(words) >= 2, words
    # The picture sits beside the prose, and is small enough to inline
    assert '<div class="code mlm-beside">' in page and len(svg) < 300_000


def test_sample_lines_are_the_experiments(corpus):
    r"""`SAMPLE_LINES` are what `sample_lines` gives the default run on Tiny Shakespeare."""
    text = corpus.read_text(encoding='utf-8')
    if sha256_of(corpus.read_bytes()) != TINY_SHAKESPEARE_SHA256:
        pytest.skip('the sample lines are those of Tiny Shakespeare, which this machine lacks')
    vocabulary = CharVocabulary.from_text(text)
    valid = split(vocabulary.encode(text), 0.1)[1]
    lines = [''.join('[MASK]' if t == vocabulary.mask_token else vocabulary.decode_token(t) for t in masked.tolist())
             for masked, _ in sample_lines(text, vocabulary, len(valid), 64)]
    assert lines == attention_maps.SAMPLE_LINES


def test_the_site_holds_the_runtime_and_the_model(site_dir):
    r"""Built, never committed: the graph, the vocabulary, the script and ONNX Runtime Web."""
    for name in ('assets/mlm-demo/model.onnx', 'assets/mlm-demo/vocab.json', 'assets/mlm-demo/fill_mask.js',
                 'assets/mlm-demo/fill_mask.css', 'assets/onnxruntime-web/ort.wasm.bundle.min.mjs',
                 'assets/onnxruntime-web/ort-wasm-simd-threaded.wasm'):
        assert (site_dir / name).is_file(), name
    assert (site_dir / 'assets/mlm-demo/vocab.json').read_bytes() == (BUNDLED_MODEL / 'vocab.json').read_bytes()
    tracked = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [f for f in tracked if f.endswith(('.onnx', '.wasm')) or 'node_modules/' in f]
    # The runtime is pinned by a lock file, and the graph runs in Python's onnxruntime too
    lock = json.loads((browser_demo.WEB / 'package-lock.json').read_text())
    assert lock['packages']['node_modules/onnxruntime-web']['version'] == '1.30.0'
    import onnxruntime
    session = onnxruntime.InferenceSession(str(site_dir / 'assets/mlm-demo/model.onnx'),
                                           providers=['CPUExecutionProvider'])
    model, vocabulary = bundled_model()
    ids = attention_maps.encode(TEXTS[1], vocabulary)[None]
    logits, weights = session.run(None, {'input_ids': ids.numpy()})
    with torch.no_grad():
        assert torch.allclose(torch.from_numpy(logits), model(ids), atol=1e-4)
    assert Path(site_dir / FILL).read_text().count('<!-- demo:') == 0
