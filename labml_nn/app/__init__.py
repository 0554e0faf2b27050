"""
---
title: Watching runs in the labml app
summary: >
  A local labml app server with a crash-safe file store (`python -m labml_nn.app`), and the
  helpers an experiment uses to report to it without ever hanging at exit.
---

# Watching runs in the labml app

The [labml app](https://github.com/labmlai/labml/tree/master/app) shows a training run's loss and
accuracy charts, its configs and its console output, live, on a laptop or a phone. This package
has two halves:

* [`server.py`](server.html): `python -m labml_nn.app` starts the app on `127.0.0.1:5005` with a
  file store instead of MongoDB ([`store.py`](store.html)) and its browser libraries served locally
  ([`vendor.py`](vendor.html)).
* [`report.py`](report.html): what an experiment calls to report to the app — find the URL,
  check the app answers, configure the labml client, list the run, and finish within a deadline.
"""
