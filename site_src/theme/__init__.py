r"""
---
title: The theme
summary: One page template for annotated and hand-written pages, a stylesheet with a light and a dark palette, and a script for the theme toggle, highlighting, copying and charts; nothing loaded from elsewhere.
---

# The theme

This folder is the mkdocs theme of the generator. It is a Python package only so that it can
be installed and named, `theme: {name: annotated}` in `mkdocs.yml`; this file holds no code.

* `main.html` is the one template of every page: the top bar (site name, search and the
  colour theme toggle), then an annotated page's breadcrumbs, links and sections, a source
  view, or a hand-written page's Markdown.
* `assets/site.css` lays out the two columns, colours the code, and holds the palette: every
  colour written once as `light-dark(light, dark)`, each pair checked for contrast. Its print
  rules put the prose beside the code on paper, without the buttons.
* `assets/site.js` is the behaviour, without a library: the colour toggle, the highlighting
  of a name's uses in the code and the prose, the copy buttons, and reading values off the
  charts.
* `404.html` and `sitemap.xml` are rendered on their own; the sitemap needs the site's
  address (`site_url`), and the plugin leaves it out without one.
"""
