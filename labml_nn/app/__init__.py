"""
---
title: Watching runs in the labml app
summary: >
  A local labml app server with a crash-safe file store (`python -m labml_nn.app`): its start-up
  checks, its lock, its store and its page's libraries served locally.
---

# Watching runs in the labml app

The [labml app](https://github.com/labmlai/labml/tree/master/app) shows a training run's loss and
accuracy charts, its configs and its console output, live, on a laptop or a phone. This package is
the server, started with `python -m labml_nn.app`:

* [`server.py`](server.html): the command line and the start-up checks (port, data folder, lock,
  loopback), then the web server;
* [`web.py`](web.html): the app itself with our database set-up swapped in, and what we change
  around it (pacing of the client's posts, the page's libraries served locally);
* [`store.py`](store.html): a crash-safe file store instead of MongoDB;
* [`vendor.py`](vendor.html): the page's browser libraries, installed from npm;
* [`client.py`](client.html): a script's side: start a server of one's own, wait for it, and
  read runs and metrics through its HTTP API (the tests and the app benchmark use it).

An experiment reports to it through the labml client; how it does so without ever hanging is in
[`labml_nn/helpers/app_client.py`](../helpers/app_client.html).
"""
