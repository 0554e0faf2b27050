// The reader's choice of colours (the theme toggle keeps it in localStorage), set on <html>
// before the first paint, so that a dark-mode reader never sees a white flash. Loaded
// synchronously in the <head> of every page, the API reference's included.
(function () {
  try {
    var t = localStorage.getItem('theme');
    if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  } catch (e) { /* storage may be off: the system's colours then */ }
})();
