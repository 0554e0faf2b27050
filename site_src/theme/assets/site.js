// The behaviour of the annotated site: the colour theme toggle and the highlighting of
// every use of an identifier. No library, no request: this file is the whole of it.
'use strict';

// ---- Colour theme ----
//
// Three states, in a cycle: follow the system (the default), light, dark. The choice is kept
// in localStorage; the inline script in <head> applies it before the first paint.
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
      ? 'Colour theme: follows the system. Press to change.'
      : 'Colour theme: ' + theme + '. Press to change.');
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

// ---- Identifier highlighting ----
//
// Every name in the code column carries data-id. Pointing at one, or moving the keyboard
// focus to one, marks every use of that name on the page.
//
// Keyboard: each code block is one stop of the Tab key (so Tab still moves through the page
// quickly); inside it the arrow keys Left/Right move from name to name, Enter jumps to the
// next use of the focused name anywhere on the page (Shift+Enter: the previous one), Escape
// leaves the highlighting. A live region tells screen reader users how many uses there are.
(function () {
  var names = Array.prototype.slice.call(document.querySelectorAll('.code [data-id]'));
  if (!names.length) return;
  var status = document.getElementById('highlight-status');
  var marked = [];

  function uses(id) {
    return names.filter(function (el) { return el.dataset.id === id; });
  }

  function mark(id) {
    marked.forEach(function (el) { el.classList.remove('hl'); });
    marked = id ? uses(id) : [];
    marked.forEach(function (el) { el.classList.add('hl'); });
  }

  // Roving tabindex: one name per code block is reachable with Tab, the others with arrows
  var blocks = document.querySelectorAll('.code pre');
  Array.prototype.forEach.call(blocks, function (block) {
    var inBlock = block.querySelectorAll('[data-id]');
    Array.prototype.forEach.call(inBlock, function (el, i) {
      el.tabIndex = i === 0 ? 0 : -1;
    });
  });

  function moveTo(el) {
    var block = el.closest('pre');
    Array.prototype.forEach.call(block.querySelectorAll('[data-id]'), function (other) {
      other.tabIndex = -1;
    });
    el.tabIndex = 0;
    el.focus();
  }

  document.addEventListener('focusin', function (event) {
    var el = event.target;
    if (!el.dataset || !el.dataset.id || !el.closest('.code')) return;
    mark(el.dataset.id);
    var n = marked.length;
    if (status) status.textContent = el.dataset.id + ': ' + n + (n === 1 ? ' use' : ' uses') + ' on this page';
  });

  document.addEventListener('keydown', function (event) {
    var el = document.activeElement;
    if (!el || !el.dataset || !el.dataset.id || !el.closest('.code')) return;
    var inBlock = Array.prototype.slice.call(el.closest('pre').querySelectorAll('[data-id]'));
    var i = inBlock.indexOf(el);
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') {
      if (i + 1 < inBlock.length) moveTo(inBlock[i + 1]);
      event.preventDefault();
    } else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') {
      if (i > 0) moveTo(inBlock[i - 1]);
      event.preventDefault();
    } else if (event.key === 'Enter') {
      var all = uses(el.dataset.id);
      var j = all.indexOf(el) + (event.shiftKey ? -1 : 1);
      moveTo(all[(j + all.length) % all.length]);
      event.preventDefault();
    } else if (event.key === 'Escape') {
      mark(null);
      el.blur();
    }
  });

  document.addEventListener('mouseover', function (event) {
    var el = event.target.closest && event.target.closest('.code [data-id]');
    if (el) mark(el.dataset.id);
  });
  document.addEventListener('mouseout', function (event) {
    var el = event.target.closest && event.target.closest('.code [data-id]');
    if (el && el !== document.activeElement) mark(document.activeElement && document.activeElement.dataset
      && document.activeElement.dataset.id && document.activeElement.closest('.code') ? document.activeElement.dataset.id : null);
  });
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
