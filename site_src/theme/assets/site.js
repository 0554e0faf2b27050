// The behaviour of the annotated site: the colour theme toggle, the highlighting of names in
// the code and the prose, copy buttons, reading values off the charts, and the source view's
// marked lines. No library, no request: this file is the whole of it. Without it every page
// still reads in full; what it adds is for pointing, focusing and copying.
'use strict';

// Say something to screen readers, through the page's polite live region
function announce(text) {
  var region = document.getElementById('highlight-status');
  if (region) region.textContent = text;
}

// ---- Lines of code ----
//
// A long line of code wraps in its column instead of running out of sight; the stylesheet
// hangs the rest of it in from the line's indentation and marks each row it continues on.
// The generator writes every line of the code column as a `.line`; a block of code in the
// prose gets its lines here. Each line is told its indentation (--indent, in characters).
// Nothing is added to the text: copying gives the lines as they were.
(function () {
  function line() {
    var span = document.createElement('span');
    span.className = 'line';
    return span;
  }

  // The children of `code`, regrouped into one span per line; a highlighted token that runs
  // over lines (a long string) is cut into one copy per line
  function splitIntoLines(code) {
    var lines = [line()];
    Array.prototype.slice.call(code.childNodes).forEach(function (node) {
      var text = node.textContent;
      if (text.indexOf('\n') < 0) { lines[lines.length - 1].appendChild(node); return; }
      text.split('\n').forEach(function (piece, i) {
        if (i) lines.push(line());
        if (!piece) return;
        var part = node.nodeType === Node.TEXT_NODE ? document.createTextNode(piece) : node.cloneNode(false);
        if (part.nodeType !== Node.TEXT_NODE) part.textContent = piece;
        lines[lines.length - 1].appendChild(part);
      });
    });
    code.textContent = '';
    lines.forEach(function (span, i) {
      if (i) code.appendChild(document.createTextNode('\n'));
      // (The text's closing line break leaves an empty last line: no span for it)
      if (span.childNodes.length || i < lines.length - 1) code.appendChild(span);
    });
  }

  document.querySelectorAll('main pre').forEach(function (pre) {
    if (pre.querySelector('.line')) return;
    splitIntoLines(pre.querySelector(':scope > code') || pre);
  });
  document.querySelectorAll('main pre .line').forEach(function (el) {
    var lead = /^[ \t]*/.exec(el.textContent)[0], columns = 0;
    for (var i = 0; i < lead.length; i++) columns = lead[i] === '\t' ? columns + 8 - columns % 8 : columns + 1;
    if (columns) el.style.setProperty('--indent', columns + 'ch');
  });
})();

// ---- Colour theme ----
//
// Three states, in a cycle: follow the system (the default), light, dark. The choice is kept
// in localStorage; theme-choice.js, loaded in <head>, applies it before the first paint.
(function () {
  var button = document.getElementById('theme-toggle');
  if (!button) return;
  var order = ['system', 'light', 'dark'];

  function current() {
    var t = document.documentElement.dataset.theme;
    return t === 'light' || t === 'dark' ? t : 'system';
  }

  function show(theme) {
    button.textContent = 'Theme: ' + theme;
    button.setAttribute('aria-label', theme === 'system'
      ? 'Theme: system. The colours follow the system; press to change.'
      : 'Theme: ' + theme + '. Press to change.');
  }

  button.addEventListener('click', function () {
    var next = order[(order.indexOf(current()) + 1) % order.length];
    try {
      if (next === 'system') localStorage.removeItem('theme');
      else localStorage.setItem('theme', next);
    } catch (e) { /* storage may be off; the choice then lasts for this page only */ }
    if (next === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    show(next);
  });
  show(current());
})();

// ---- Names: in the code, in the prose, in formulas ----
//
// Every name in the code carries data-id. A code span in the prose that names one carries
// data-ref, and a symbol of a formula tied to one (\code{d_k}) carries data-code; a formula
// with such symbols lists their names in data-refs. Pointing at any of these, or moving the
// keyboard focus to one, marks every use of the name on the page, in the code and the prose.
//
// Keyboard: each block of code is one stop of the Tab key. Enter on a block moves into it,
// to its first name; there the arrow keys move from name to name, Enter jumps to the next use
// of the focused name anywhere on the page (Shift+Enter: the previous one), and Escape goes
// back to the block. Code spans in the prose and formulas with tied symbols are Tab stops of
// their own. A live region says how many uses there are.
(function () {
  // Names are compared as the build wrote them, without braces, backslashes or spaces
  function norm(name) { return (name || '').replace(/[{}\\\s]/g, ''); }

  var byName = new Map();
  function add(el, name) {
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(el);
  }
  var codeNames = Array.prototype.slice.call(document.querySelectorAll('pre [data-id]'));
  codeNames.forEach(function (el) { add(el, el.dataset.id); el.tabIndex = -1; });
  document.querySelectorAll('code.ref[data-ref]').forEach(function (el) { add(el, el.dataset.ref); });
  document.querySelectorAll('.katex [data-code]').forEach(function (el) { add(el, norm(el.dataset.code)); });
  if (!byName.size) return;

  var marked = [];
  function mark(names) {
    marked.forEach(function (el) { el.classList.remove('hl'); });
    marked = [];
    (names || []).forEach(function (name) { marked = marked.concat(byName.get(name) || []); });
    marked.forEach(function (el) { el.classList.add('hl'); });
  }

  // The names an element stands for, if it is one of the above
  function namesOf(el) {
    if (!el || !el.dataset) return null;
    if (el.dataset.id && el.closest('pre')) return [el.dataset.id];
    if (el.dataset.ref) return [el.dataset.ref];
    if (el.dataset.code) return [norm(el.dataset.code)];
    if (el.dataset.refs) return el.dataset.refs.split(' ');
    return null;
  }

  function describe(names) {
    return names.map(function (name) {
      var uses = (byName.get(name) || []);
      var inCode = uses.filter(function (el) { return el.dataset.id; }).length;
      return name + ': ' + inCode + (inCode === 1 ? ' use' : ' uses') + ' in the code on this page';
    }).join('; ');
  }

  function usesInCode(name) {
    return (byName.get(name) || []).filter(function (el) { return el.dataset.id; });
  }

  function moveTo(el) {
    var block = el.closest('pre');
    block.querySelectorAll('[data-id]').forEach(function (other) { other.tabIndex = -1; });
    el.tabIndex = 0;
    el.focus();
  }

  document.addEventListener('focusin', function (event) {
    var names = namesOf(event.target);
    mark(names);
    if (names) announce(describe(names));
  });

  document.addEventListener('keydown', function (event) {
    var el = document.activeElement;
    if (!el) return;
    // Enter on a block of code: into its names
    if (el.matches('pre') && event.key === 'Enter') {
      var first = el.querySelector('[data-id]');
      if (first) { moveTo(first); event.preventDefault(); }
      return;
    }
    if (!el.dataset || !el.dataset.id || !el.closest('pre')) return;
    var block = el.closest('pre');
    var inBlock = Array.prototype.slice.call(block.querySelectorAll('[data-id]'));
    var i = inBlock.indexOf(el);
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') {
      if (i + 1 < inBlock.length) moveTo(inBlock[i + 1]);
      event.preventDefault();
    } else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') {
      if (i > 0) moveTo(inBlock[i - 1]);
      event.preventDefault();
    } else if (event.key === 'Enter') {
      var all = usesInCode(el.dataset.id);
      var j = all.indexOf(el) + (event.shiftKey ? -1 : 1);
      moveTo(all[(j + all.length) % all.length]);
      event.preventDefault();
    } else if (event.key === 'Escape') {
      el.tabIndex = -1;
      block.focus();
      mark(null);
      event.preventDefault();
    }
  });

  function sourceOf(target) {
    return target.closest && target.closest('pre [data-id], code.ref[data-ref], .katex [data-code]');
  }
  document.addEventListener('mouseover', function (event) {
    var el = sourceOf(event.target);
    if (el) mark(namesOf(el));
  });
  document.addEventListener('mouseout', function (event) {
    if (sourceOf(event.target)) mark(namesOf(document.activeElement));
  });
})();

// ---- Copy buttons ----
//
// Each section's code gets one button that copies all of it; every other block of code (in
// the prose, on hand-written pages, the source view) gets its own. Line numbers and the marks
// of wrapped lines are drawn by the stylesheet, so the text copied is the code alone.
(function () {
  function copyText(text, button) {
    var done = function () {
      button.firstChild.textContent = 'Copied';
      announce('Copied to the clipboard');
      setTimeout(function () { button.firstChild.textContent = 'Copy'; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { announce('Could not copy'); });
      return;
    }
    // Without the clipboard API (a page opened from a file): the old way, through a selection
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand('copy')) done(); } catch (e) { announce('Could not copy'); }
    area.remove();
  }

  function makeButton(what, text) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy-button';
    // The visible word starts the name screen readers hear: "Copy the code of lines 3–9"
    button.appendChild(document.createTextNode('Copy'));
    var hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ' ' + what;
    button.appendChild(hidden);
    button.addEventListener('click', function () { copyText(text(), button); });
    return button;
  }

  function codeOf(pre) { return pre.textContent.replace(/\n$/, ''); }

  document.querySelectorAll('.annotated .section > .code').forEach(function (column) {
    var blocks = column.querySelectorAll('pre');
    if (!blocks.length) return;
    var lines = column.parentElement.querySelector('.source-link');
    var what = 'the code of this section' + (lines ? ', ' + lines.dataset.label : '');
    column.insertBefore(makeButton(what, function () {
      return Array.prototype.map.call(column.querySelectorAll('pre'), codeOf).join('\n');
    }), column.firstChild);
  });
  document.querySelectorAll('main pre').forEach(function (pre) {
    if (pre.closest('.annotated .section > .code')) return;
    // The generator's blocks can take the focus (to move along their names); Markdown's on
    // hand-written pages get the same here
    if (!pre.hasAttribute('tabindex')) {
      pre.tabIndex = 0;
      pre.setAttribute('role', 'group');
      pre.setAttribute('aria-label', 'Code');
    }
    var wrap = document.createElement('div');
    wrap.className = 'copy-wrap';
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(pre);
    wrap.insertBefore(makeButton(pre.classList.contains('source-view') ? 'the whole file' : 'this code',
      function () { return codeOf(pre); }), pre);
  });
})();

// ---- Charts ----
//
// A chart carries its numbers in data-chart. Pointing at it marks the points of the nearest
// step and shows their values; the slider under it does the same from the keyboard (arrow
// keys), and tells a screen reader the values through aria-valuetext.
(function () {
  document.querySelectorAll('.chart-box[data-chart]').forEach(function (box) {
    var data = JSON.parse(box.dataset.chart);
    var svg = box.querySelector('svg');
    var tip = box.querySelector('.chart-tip');
    var label = box.querySelector('.chart-step');
    var input = label.querySelector('input');
    var width = svg.viewBox.baseVal.width;
    // The x of each step, from its dots
    var xs = data.steps.map(function (_, i) {
      var dot = svg.querySelector('circle[data-step="' + i + '"]');
      return dot ? parseFloat(dot.getAttribute('cx')) : null;
    });

    function value(v) { return data.percent ? (v * 100).toFixed(1) + '%' : v.toFixed(3); }

    function text(i) {
      var parts = data.series.filter(function (s) { return i in s.values; })
        .map(function (s) { return s.name + ' ' + value(s.values[i]); });
      return 'step ' + data.steps[i] + ': ' + parts.join(', ');
    }

    function show(i) {
      svg.querySelectorAll('circle.active').forEach(function (c) { c.classList.remove('active'); });
      var dots = svg.querySelectorAll('circle[data-step="' + i + '"]');
      dots.forEach(function (c) { c.classList.add('active'); });
      tip.textContent = text(i);
      tip.hidden = false;
      var scale = svg.getBoundingClientRect().width / width;
      var x = xs[i] * scale;
      var top = Math.min.apply(null, Array.prototype.map.call(dots, function (c) {
        return parseFloat(c.getAttribute('cy'));
      })) * scale;
      tip.style.left = Math.max(0, Math.min(x - tip.offsetWidth / 2, box.clientWidth - tip.offsetWidth)) + 'px';
      tip.style.top = Math.max(0, top - tip.offsetHeight - 10) + 'px';
      input.value = i;
      input.setAttribute('aria-valuetext', text(i));
    }

    function hide() {
      tip.hidden = true;
      svg.querySelectorAll('circle.active').forEach(function (c) { c.classList.remove('active'); });
    }

    label.hidden = false;
    svg.addEventListener('mousemove', function (event) {
      var rect = svg.getBoundingClientRect();
      var x = (event.clientX - rect.left) / rect.width * width;
      var best = 0;
      xs.forEach(function (sx, i) { if (sx !== null && Math.abs(sx - x) < Math.abs(xs[best] - x)) best = i; });
      show(best);
    });
    svg.addEventListener('mouseleave', function () { if (document.activeElement !== input) hide(); });
    input.addEventListener('input', function () { show(+input.value); });
    input.addEventListener('focus', function () { show(+input.value); });
    input.addEventListener('blur', hide);
  });
})();

// ---- Scrolling blocks ----
//
// A wide formula or table scrolls sideways; one that does must be reachable from the keyboard
// to be scrolled, so it becomes a Tab stop with a name, while it is wider than its room.
(function () {
  function check() {
    document.querySelectorAll('.math-block, .katex-display, .docs table, .prose table').forEach(function (el) {
      // A display formula scrolls in its block; a formula tied to code is a Tab stop already
      if (el.matches('.math-block .katex-display') ||
          (el.hasAttribute('tabindex') && el.dataset.scrollStop === undefined)) return;
      var scrolls = el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute('tabindex')) {
        el.tabIndex = 0;
        el.setAttribute('role', 'group');
        el.setAttribute('aria-label', el.matches('table') ? 'Table, scrolls sideways' : 'Formula, scrolls sideways');
        el.dataset.scrollStop = '';
      } else if (!scrolls && el.dataset.scrollStop !== undefined) {
        el.removeAttribute('tabindex');
        el.removeAttribute('role');
        el.removeAttribute('aria-label');
        delete el.dataset.scrollStop;
      }
    });
  }
  var timer = null;
  window.addEventListener('resize', function () { clearTimeout(timer); timer = setTimeout(check, 150); });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(check); else check();
})();

// ---- The source view ----
//
// A section's line numbers link here as file.py.html?lines=10-20#L10: the browser scrolls to
// line 10, and the section's lines are marked.
(function () {
  var view = document.querySelector('pre.source-view');
  var lines = new URLSearchParams(location.search).get('lines');
  if (!view || !lines) return;
  var m = /^(\d+)-(\d+)$/.exec(lines);
  if (!m) return;
  for (var n = +m[1]; n <= +m[2]; n++) {
    var line = document.getElementById('L' + n);
    if (line) line.classList.add('marked');
  }
})();

// ---- Search ----
//
// mkdocs' search plugin fills #mkdocs-search-results as the reader types; Escape clears it.
(function () {
  var input = document.getElementById('mkdocs-search-query');
  var results = document.getElementById('mkdocs-search-results');
  if (!input || !results) return;
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      input.value = '';
      results.innerHTML = '';
    }
  });
  input.addEventListener('input', function () {
    if (!input.value) results.innerHTML = '';
  });
})();
