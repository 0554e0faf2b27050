// # The fill-mask box
//
// The browser's version of `python -m labml_nn.transformers.mlm_tools.fill`: the reader types a
// text with `[MASK]`s, and for each gap the page shows the model's five likeliest characters
// with their probabilities; beside it, the attention weights of the layer and head the reader
// picks. Everything is computed here, in the reader's browser: the model is the bundled
// model exported to ONNX when the site was built (site_demo/fill_mask_demo.py),
// and ONNX Runtime Web runs it on the CPU through WebAssembly. Both come from this site.
//
// Each step is the one fill.py takes, so that the two give the same answers (a browser test
// compares them): one id per character and one per `[MASK]`, read from the model's own
// vocab.json; the softmax over the characters only, `[PAD]` and `[MASK]` never being an
// answer; the five largest probabilities.
//
// The page gives the box its settings as data attributes of `#mlm-demo` (written by the
// build): the addresses of the model, the vocabulary and the runtime, the model's `seq_len`,
// its numbers of layers and heads, and the heads that were found to have a job.

const MASK = '[MASK]';
const TOP_K = 5;

const box = document.getElementById('mlm-demo');
if (box) {
  start(box);
}

// ## Setting up
//
// The box does nothing until the reader gets to it: the model and the runtime are a download
// of several megabytes, made when the box first comes into view or one of its controls takes
// the focus, whichever is first.
function start(box) {
  const ui = {
    text: document.getElementById('mlm-demo-text'),
    status: document.getElementById('mlm-demo-status'),
    results: document.getElementById('mlm-demo-results'),
    layer: document.getElementById('mlm-demo-layer'),
    head: document.getElementById('mlm-demo-head'),
    map: document.getElementById('mlm-demo-map'),
    summary: document.getElementById('mlm-demo-map-summary'),
  };
  const settings = {
    // Addresses in the data attributes are relative to the page; `import()` would read them
    // relative to this script, so they are made absolute first
    model: new URL(box.dataset.model, document.baseURI).href,
    vocab: new URL(box.dataset.vocab, document.baseURI).href,
    runtime: new URL(box.dataset.runtime, document.baseURI).href,
    maxLen: Number(box.dataset.maxLen),
    layers: Number(box.dataset.layers),
    heads: Number(box.dataset.heads),
    namedHeads: JSON.parse(box.dataset.namedHeads || '{}'),
  };
  const state = {session: null, ort: null, vocab: null, last: null, running: false, again: false};

  nameHeads(ui, settings);
  ui.layer.addEventListener('change', () => { nameHeads(ui, settings); drawMap(ui, settings, state); });
  ui.head.addEventListener('change', () => drawMap(ui, settings, state));

  // Without WebAssembly there is nothing to run the model with: say so, and stop
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    box.dataset.state = 'unsupported';
    setStatus(ui, 'This box needs WebAssembly, which this browser lacks or has turned off, so the model ' +
      'can\'t run in this page. The rest of the page works as usual, and on the command line the same ' +
      'model answers: python -m labml_nn.transformers.mlm_tools.fill "To be, or not to b[MASK]"', true);
    for (const control of [ui.text, ui.layer, ui.head]) {
      control.disabled = true;
    }
    return;
  }

  let loading = null;
  const load = () => {
    loading = loading || loadModel(box, ui, settings, state);
    return loading;
  };
  if ('IntersectionObserver' in window) {
    const observer = new IntersectionObserver(entries => {
      if (entries.some(e => e.isIntersecting)) {
        observer.disconnect();
        load();
      }
    });
    observer.observe(box);
  } else {
    load();
  }
  for (const control of [ui.text, ui.layer, ui.head]) {
    control.addEventListener('focus', load);
  }
  // Every edit asks again (a run takes milliseconds); an edit during a run asks once more after it
  ui.text.addEventListener('input', () => answer(box, ui, settings, state));
}

// ## Loading the model
//
// Three downloads at once: the runtime's script (which fetches its WebAssembly module next to
// it), the vocabulary and the graph. One thread: more would need `SharedArrayBuffer`, which
// browsers give only to pages served with cross-origin isolation headers.
async function loadModel(box, ui, settings, state) {
  box.dataset.state = 'loading';
  setStatus(ui, `Loading the model and ONNX Runtime Web (${box.dataset.download})…`);
  const started = performance.now();
  try {
    const [ort, vocab, graph] = await Promise.all([
      import(settings.runtime), fetchOk(settings.vocab).then(r => r.json()),
      fetchOk(settings.model).then(r => r.arrayBuffer())]);
    ort.env.wasm.numThreads = 1;
    state.session = await ort.InferenceSession.create(new Uint8Array(graph), {executionProviders: ['wasm']});
    state.ort = ort;
    state.vocab = readVocabulary(vocab);
  } catch (error) {
    box.dataset.state = 'error';
    setStatus(ui, `The model could not be loaded (${error.message || error}). Reload the page to try again.`, true);
    return;
  }
  box.dataset.loadMs = (performance.now() - started).toFixed(0);
  box.dataset.state = 'ready';
  await answer(box, ui, settings, state);
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return response;
}

// `vocab.json` maps each token to its id: `[PAD]` and `[MASK]` first, then the characters.
function readVocabulary(vocab) {
  const ids = new Map(Object.entries(vocab));
  const chars = [];
  for (const [token, id] of ids) {
    chars[id] = token;
  }
  const special = new Set([ids.get('[PAD]'), ids.get(MASK)]);
  return {ids, chars, special, mask: ids.get(MASK), size: chars.length};
}

// ## The text as ids
//
// As `encode_with_masks` in fill.py: the text is cut at each `[MASK]`, every other character
// must be one the model knows, and the gaps are remembered by position. Returns the ids and
// the gaps' positions, or an `error` to show beside the box.
function encode(text, vocab, maxLen) {
  const pieces = text.split(MASK);
  const unknown = [...new Set([...pieces.join('')].filter(c => !vocab.ids.has(c) || vocab.special.has(vocab.ids.get(c))))];
  if (unknown.length) {
    const hint = unknown.some(c => c === '[' || c === ']') ? ` (a gap is written ${MASK}, in capitals)` : '';
    return {error: `The model doesn't know ${unknown.map(c => `“${c}”`).join(', ')}${hint}. It knows only the ` +
      `characters it was trained on: ${describeCharacters(vocab)}.`};
  }
  if (pieces.length === 1) {
    return {error: `The text has no ${MASK}: put one where a character is hidden, e.g. “to b${MASK}”.`};
  }
  const ids = [], masks = [];
  pieces.forEach((piece, n) => {
    if (n > 0) {
      masks.push(ids.length);
      ids.push(vocab.mask);
    }
    for (const c of piece) {
      ids.push(vocab.ids.get(c));
    }
  });
  if (ids.length > maxLen) {
    return {error: `The text is ${ids.length} characters long (each ${MASK} counts as one); this model reads ` +
      `at most ${maxLen}.`};
  }
  return {ids, masks};
}

// The model's characters in a few words: "A–Z, a–z, the space, the line break and !$&',-.:;?3"
function describeCharacters(vocab) {
  let chars = vocab.chars.filter((c, id) => !vocab.special.has(id));
  const words = [];
  for (const [first, last] of [['A', 'Z'], ['a', 'z'], ['0', '9']]) {
    const inRange = c => c >= first && c <= last;
    if (chars.filter(inRange).length === last.charCodeAt(0) - first.charCodeAt(0) + 1) {
      words.push(`${first}–${last}`);
      chars = chars.filter(c => !inRange(c));
    }
  }
  if (chars.includes(' ')) words.push('the space');
  if (chars.includes('\n')) words.push('the line break');
  const rest = chars.filter(c => c !== ' ' && c !== '\n').join('');
  return words.join(', ') + (rest ? ` and ${rest}` : '');
}

// ## Asking the model
//
// The graph takes int64 ids, `[1, n]`, and returns the logits, `[1, n, n_tokens]`, and every
// attention weight, `[1, n_layers, heads, n, n]`.
async function answer(box, ui, settings, state) {
  if (!state.session) {
    return;
  }
  if (state.running) {
    state.again = true;
    return;
  }
  state.running = true;
  try {
    do {
      state.again = false;
      await answerOnce(box, ui, settings, state);
    } while (state.again);
  } finally {
    state.running = false;
  }
}

async function answerOnce(box, ui, settings, state) {
  const text = ui.text.value;
  const encoded = encode(text, state.vocab, settings.maxLen);
  if (encoded.error) {
    ui.text.setAttribute('aria-invalid', 'true');
    setStatus(ui, encoded.error, true);
    ui.results.replaceChildren();
    state.last = null;
    drawMap(ui, settings, state);
    box.dataset.answered = text;
    return;
  }
  ui.text.removeAttribute('aria-invalid');
  const {ids, masks} = encoded;
  const started = performance.now();
  const input = new state.ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const output = await state.session.run({input_ids: input});
  const took = performance.now() - started;
  const logits = output.logits.data;  // [1, n, n_tokens], flat
  const gaps = masks.map(position => ({position, guesses: topGuesses(logits, position, state.vocab)}));
  showGuesses(ui, gaps, ids, state.vocab);
  setStatus(ui, gaps.map((g, n) => `${n ? 'gap' : 'Gap'} ${n + 1}: ${spoken(g.guesses[0].char)} ${percent(g.guesses[0].score)}`)
    .join('; ') + `. Answered in ${took.toFixed(0)} ms.`);
  state.last = {ids, masks, n: ids.length, attentions: output.attentions.data};
  drawMap(ui, settings, state);
  box.dataset.answerMs = took.toFixed(1);
  box.dataset.answered = text;
}

// ## The five likeliest characters of a gap
//
// As `probabilities` in fill.py: the softmax of the gap's logits over the characters alone
// (the special tokens count as $-\infty$), computed in double precision after subtracting the
// largest logit, then the `TOP_K` largest.
function topGuesses(logits, position, vocab) {
  const row = logits.subarray(position * vocab.size, (position + 1) * vocab.size);
  let largest = -Infinity;
  for (let id = 0; id < vocab.size; id++) {
    if (!vocab.special.has(id)) largest = Math.max(largest, row[id]);
  }
  const p = new Float64Array(vocab.size);
  let sum = 0;
  for (let id = 0; id < vocab.size; id++) {
    if (!vocab.special.has(id)) {
      p[id] = Math.exp(row[id] - largest);
      sum += p[id];
    }
  }
  const candidates = [];
  for (let id = 0; id < vocab.size; id++) {
    if (!vocab.special.has(id)) candidates.push(id);
  }
  candidates.sort((a, b) => p[b] - p[a]);
  return candidates.slice(0, TOP_K).map(id => ({token: id, char: vocab.chars[id], score: p[id] / sum}));
}

// Each gap: where it is in the text, and its five characters with a bar each
function showGuesses(ui, gaps, ids, vocab) {
  const html = gaps.map((gap, n) => {
    const from = Math.max(0, gap.position - 10), to = Math.min(ids.length, gap.position + 11);
    const context = ids.slice(from, to).map((id, k) => {
      const c = escapeHtml(shown(vocab.chars[id]));
      return from + k === gap.position ? `<mark>${c}</mark>` : c;
    }).join('');
    const rows = gap.guesses.map(g => `<li data-token="${g.token}" data-score="${g.score}">` +
      `<span class="mlm-char">${visibleChar(g.char)}</span>` +
      `<span class="mlm-bar" aria-hidden="true"><span style="width: ${(100 * g.score).toFixed(2)}%"></span></span>` +
      `<span class="mlm-pct">${percent(g.score)}</span></li>`).join('');
    return `<div class="mlm-gap" data-position="${gap.position}">` +
      `<p class="mlm-gap-title">Gap ${n + 1} <span class="mlm-context">${from > 0 ? '…' : ''}${context}` +
      `${to < ids.length ? '…' : ''}</span></p><ol class="mlm-top">${rows}</ol></div>`;
  }).join('');
  ui.results.innerHTML = html;
}

// ## The attention map
//
// Row $i$ is character $i$ asking, column $j$ the character it reads: the square is the
// weight $a_{ij}$ of the chosen head, darker for more, and each row sums to one. The weights
// come straight from the graph's `attentions` output, `[1, n_layers, heads, n, n]`: head `h`
// of layer `l` starts at `((l * heads) + h) * n * n`.
function drawMap(ui, settings, state) {
  const last = state.last;
  if (!last) {
    ui.map.replaceChildren();
    ui.summary.textContent = '';
    return;
  }
  const layer = Number(ui.layer.value), head = Number(ui.head.value), n = last.n;
  const start = (layer * settings.heads + head) * n * n;
  const a = last.attentions.subarray(start, start + n * n);
  const chars = last.ids.map(id => shown(state.vocab.chars[id]));
  const cell = 12, margin = 14, size = margin + n * cell;
  const isMask = new Set(last.masks);
  const parts = [`<rect class="mlm-map-frame" x="${margin}" y="${margin}" width="${n * cell}" height="${n * cell}"/>`];
  chars.forEach((c, k) => {
    const cls = isMask.has(k) ? ' class="mask"' : '';
    const middle = margin + k * cell + cell / 2;
    parts.push(`<text${cls} x="${middle}" y="${margin - 4}" text-anchor="middle">${escapeHtml(c)}</text>`);
    parts.push(`<text${cls} x="${margin - 3}" y="${middle + 3.5}" text-anchor="end">${escapeHtml(c)}</text>`);
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = a[i * n + j];
      parts.push(`<rect class="mlm-map-cell" x="${margin + j * cell}" y="${margin + i * cell}" width="${cell}" ` +
        `height="${cell}" fill-opacity="${w.toFixed(3)}" data-i="${i}" data-j="${j}" data-w="${w}"/>`);
    }
  }
  const label = `Attention of layer ${layer + 1}, head ${head + 1} over the ${n} characters of the text`;
  ui.map.innerHTML = `<svg class="mlm-map-svg" viewBox="0 0 ${size} ${size}" role="img" ` +
    `aria-label="${escapeHtml(label)}" data-layer="${layer}" data-head="${head}" ` +
    `style="max-width: ${Math.max(16 * n + margin, 240)}px">${parts.join('')}</svg>` +
    `<p class="mlm-map-point" aria-hidden="true"></p>`;
  const point = ui.map.querySelector('.mlm-map-point');
  ui.map.querySelector('svg').addEventListener('pointermove', event => {
    const square = event.target.closest('.mlm-map-cell');
    point.textContent = square ? `“${chars[square.dataset.i]}” (${Number(square.dataset.i) + 1}) reads ` +
      `“${chars[square.dataset.j]}” (${Number(square.dataset.j) + 1}): ${percent(Number(square.dataset.w))}` : '';
  });
  ui.summary.textContent = describeHead(a, n, last, chars, layer, head);
}

// The map in words, for every reader: the head's average weight on the previous character,
// the next one and itself (as `head_roles` in attention_maps.py measures them), and where
// each gap looks most
function describeHead(a, n, last, chars, layer, head) {
  const mean = offset => {
    let sum = 0, count = 0;
    for (let i = Math.max(0, -offset); i < n && i + offset < n; i++) {
      sum += a[i * n + i + offset];
      count++;
    }
    return count ? sum / count : 0;
  };
  const gaps = last.masks.map((i, k) => {
    let best = 0;
    for (let j = 1; j < n; j++) {
      if (a[i * n + j] > a[i * n + best]) best = j;
    }
    return `gap ${k + 1} looks most at “${spoken(chars[best])}” (character ${best + 1}, ${percent(a[i * n + best])})`;
  });
  return `Layer ${layer + 1}, head ${head + 1}, on this text: on average ${percent(mean(-1))} of each character's ` +
    `weight is on the character before it, ${percent(mean(1))} on the one after it and ${percent(mean(0))} on ` +
    `itself; ${gaps.join('; ')}.`;
}

// The head select names the heads with a job in the chosen layer, e.g. "8: looks one character back (60%)"
function nameHeads(ui, settings) {
  const layer = ui.layer.value;
  for (const option of ui.head.options) {
    const job = settings.namedHeads[`${layer} ${option.value}`];
    option.textContent = `${Number(option.value) + 1}${job ? `: ${job}` : ''}`;
  }
}

// ## Small helpers
function setStatus(ui, message, error = false) {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', error);
}

function percent(x) {
  return `${(100 * x).toFixed(1)}%`;
}

// A character as the map and the gaps' context show it
function shown(c) {
  return c === '\n' ? '↵' : c === MASK ? '□' : c;
}

// A guessed character: what the eye sees, and a name for the invisible ones
function visibleChar(c) {
  if (c === ' ') return '<span aria-hidden="true">␣</span><span class="visually-hidden">space</span>';
  if (c === '\n') return '<span aria-hidden="true">↵</span><span class="visually-hidden">line break</span>';
  return escapeHtml(c);
}

function spoken(c) {
  return c === ' ' ? 'space' : c === '\n' || c === '↵' ? 'line break' : c;
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
}
