r"""
---
title: The machinery behind the lessons
summary: The command line, checkpoints, devices, a run's life, labml tracking, the app client and atomic file writes - what keeps the lesson pages about the model and its training.
---

# The machinery behind the lessons

The lesson pages ([the masking](../transformers/mlm/index.html), [the model](../transformers/mlm/model.html),
[the experiment](../transformers/mlm/experiment.html)) read top to bottom because what is not
about a masked language model lives here, one concern per module. Nothing here imports a
lesson: an experiment describes what is its own (its configs, its checkpoint `Format`, its
training step, validation and samples) and the helpers do the rest, for any experiment (a
test builds a second one on them).

* [`cli`](cli.html): configs declared once as dataclasses become the `key=value` command line,
  its range checks and its `--help` (the comment above a config is its help text); and every
  user error becomes one line on stderr and exit status 2, in one place.
* [`ranges`](ranges.html): the config types that carry their allowed range (`PositiveInt`,
  `Probability`, …), with nothing but the standard library, so the model's source can use them
  and still travel alone into an export folder.
* [`checkpoint`](checkpoint.html): what a checkpoint holds so that a resumed run continues
  exactly, finding one by run uuid, folder or file, loading it without running code, saving it
  atomically, what may change on resume, and Ctrl-C or SIGTERM turned into "save and stop".
* [`distributed`](distributed.html): several processes under `torchrun`, each training on its
  shard of the same global batch, with a result equal to one process's.
* [`device`](device.html): CPU or GPU (the GPU of each `torchrun` process), bfloat16 autocast.
* [`optimizers`](optimizers.html): PyTorch's Muon on a network's hidden matrices and AdamW on
  the rest, stepped as one optimizer (a lever under [study](../bench/recipe_study.html)).
* [`run`](run.html): a run's life for any experiment: what an experiment provides (a
  `Protocol`), the set-up (processes, device, configs, resume, app), the labml run, the loop
  (steps, validation, samples, checkpoints, stopping on a signal), the summary and the last line.
* [`tracking`](tracking.html): where labml keeps runs, readable output in terminals and log
  files, a time left that follows the recent speed, and the metrics with the validation curve.
* [`app_client`](app_client.html): reporting to the [labml app](../app/index.html) with an
  exit that never hangs.
* [`files`](files.html): one `atomic_write` for every file that must survive a crash.
* [`corpus`](corpus.html): the training text: a user's file, Tiny Shakespeare checked against
  its SHA-256 (a named copy, the cache or a download), or an offline corpus; a source the user
  named is never replaced by another.
* [`extras`](extras.html): the pip command that installs a missing extra, for a checkout or a
  wheel, and one line instead of an `ImportError`.

The upstream labml_nn project made the same move when its `labml_nn/helpers` replaced the
labml-helpers package; these modules are our own.
"""
