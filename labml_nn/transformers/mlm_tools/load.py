r"""
---
title: Loading a model - one reader for runs, checkpoints, export folders and the bundled model
summary: load_mlm(where) gives the trained model, its vocabulary and the record of the run that trained it, from a run's uuid, its folder, a checkpoint file, an export folder or the model that ships with the package; every way the argument can be wrong is one line.
---

# Loading a model

```python
from labml_nn.transformers.mlm_tools.load import load_mlm

loaded = load_mlm()                      # the model that ships with the package
loaded = load_mlm('<run uuid>')          # a run of the experiment, found under logs/
loaded = load_mlm('shakespeare-mlm')     # an export folder
logits = loaded.model(loaded.vocabulary.encode('To be, or not to be')[None])
```

Every tool of this chapter starts from a trained model, and a model can live in five places:

| `where` | what is read |
|---|---|
| nothing (`None`) | the bundled model: the recorded default run, package data beside this module |
| a run's uuid | its `checkpoint.pt`, looked up in the folder where runs live |
| a run's folder, or a `checkpoint.pt` | the [checkpoint](../../helpers/checkpoint.html) |
| an export folder | `config.json`, `vocab.json` and `model.safetensors`, as [the exporter](export.html) writes them |

`load_mlm` tells them apart and returns the same thing for each: the model (in eval mode,
computing in float32), its vocabulary, its model configs, and the record of the run that
trained it (its uuid, the name of its text, its step, its last validation and its configs),
which is exactly what an export keeps in `config.json` under `training`. So
[fill-mask](fill.html), the [exporter](export.html), [attention maps](attention_maps.html),
[fine-tuning](../mlm_fine_tuning/experiment.html) and the site's demo all read a model the
same way, and an export of an export keeps its run's record.

## Where runs live

A run's uuid is looked up where the experiment writes its runs: `logs/` of the working folder,
or beside a `.labml.yaml` above it, as [tracking](../../helpers/tracking.html) decides with
`logs_folder()`. Every tool asks that one function.

## Reading without running code

A checkpoint is read with `torch.load(weights_only=True)`, which accepts only tensors, numbers,
strings and containers; an export's weights are safetensors, a header and raw bytes. Neither
can run code. The remote-code files an export carries for `transformers` (`hugging_face.py`,
`model.py`, …) are never read here: the model is built from this package's own source. The
bundled model is therefore data only: weights, config, tokenizer files and its card.

## One line for each mistake

A folder with neither a checkpoint nor a `config.json`, a `config.json` of another model, a
vocabulary that does not match it, truncated weights, weights of another shape, options this
version does not know: each is one line that says what is wrong and what to do.
"""

import dataclasses
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Optional, Union

from labml_nn.helpers import checkpoint, cli, tracking
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mlm.data import (MASK, PAD, STDLIB_DOCSTRINGS, TINY_SHAKESPEARE, TINY_SHAKESPEARE_SHA256,
                                            CharVocabulary, sha256_of)
from labml_nn.transformers.mlm.experiment import CHECKPOINTS
from labml_nn.transformers.mlm.model import ROUND_1, ModelConfigs, TransformerMLM

# The files of an export folder that describe the model
CONFIG, WEIGHTS, CARD = 'config.json', 'model.safetensors', 'README.md'
VOCAB, TOKENIZER_CONFIG, SPECIAL_TOKENS = 'vocab.json', 'tokenizer_config.json', 'special_tokens_map.json'
# Our `model_type` in `config.json`, and the prefix of the weights' names (the wrapper's attribute)
MODEL_TYPE = 'labml_nn_mlm'
PREFIX = 'mlm.'
# The model that ships with the package (package data, wherever pip put it): the default run,
# exported by `bench/default_run.py` without the remote-code files
BUNDLED_MODEL = Path(str(resources.files('labml_nn.transformers.mlm_tools') / 'pretrained' / 'tiny-shakespeare-mlm'))
# A run's folder is its uuid; a distributed run's rank 0 keeps its checkpoint in `<uuid>.0`
RUN_FOLDER = re.compile(r'([0-9a-f]{32})(\.\d+)?')


class LoadError(UserError):
    r"""A model that can't be read."""


@dataclass
class Loaded:
    r"""
    A trained model, its vocabulary and model configs, and `training`, the record of its run:
    `run_uuid`, `data` (the text's name), `step`, `valid_loss`, `valid_accuracy` (the last
    validation; `None` when there was none) and `configs` (the run's configs, flat). `path` is
    the checkpoint file or the folder it came from.
    """
    model: TransformerMLM
    vocabulary: CharVocabulary
    model_configs: ModelConfigs
    training: Dict[str, Any]
    path: Path

    @property
    def max_len(self) -> int:
        r"""The longest text the model reads: its position table's length."""
        return self.model.embeddings.max_len


def data_name(data: str) -> str:
    r"""
    How a run's training text is named once it leaves the machine: a built-in corpus by its
    name, also when the run read it from a file (`--data PATH` to a copy of Tiny Shakespeare);
    another file by its name alone, since the folders of the machine that trained it mean
    nothing elsewhere.
    """
    if data in (TINY_SHAKESPEARE, STDLIB_DOCSTRINGS) or not data:
        return data
    path = Path(data)
    if path.is_file() and sha256_of(path.read_bytes()) == TINY_SHAKESPEARE_SHA256:
        return TINY_SHAKESPEARE
    return path.name


def run_uuid_of(path: Path) -> Optional[str]:
    r"""The uuid of the run whose folder holds the checkpoint `path`; `None` for a file elsewhere."""
    match = RUN_FOLDER.fullmatch(Path(path).parent.name)
    return match.group(1) if match else None


def load_mlm(where: Union[str, Path, None] = None, flag: str = '--checkpoint') -> Loaded:
    r"""
    ## Any model, one way

    `where` is a run's uuid, its folder, a checkpoint file, an export folder, or `None` for
    the bundled model; `flag` is what the user typed it after, for the error lines.
    """
    if where is None:
        if not (BUNDLED_MODEL / CONFIG).is_file():
            raise LoadError(f"no {flag} given, and the bundled model ({BUNDLED_MODEL}) is missing; "
                            f"give a run uuid, run folder, checkpoint file or export folder")
        return read_export(BUNDLED_MODEL, flag)
    if not str(where).strip():
        raise LoadError(f"{flag} is empty; give a run uuid, run folder, checkpoint file or export folder")
    path = Path(where).expanduser()
    if path.is_dir() and ((path / CONFIG).exists() or (path / WEIGHTS).exists()):
        return read_export(path, flag)
    if path.is_dir() and not (path / checkpoint.NAME).is_file():
        raise LoadError(f"{flag} {where}: the folder has neither a {checkpoint.NAME} nor an export's {CONFIG}; "
                        f"give a run folder or a folder written by the exporter")
    # Only a uuid needs the runs' folder; a file or folder is read where it is
    if path.exists():
        return read_checkpoint(path / checkpoint.NAME if path.is_dir() else path, flag)
    return read_checkpoint(checkpoint.find(str(where), tracking.logs_folder(), flag), flag)


# ## A checkpoint
def read_checkpoint(path: Path, flag: str = '--checkpoint') -> Loaded:
    r"""
    The model of a checkpoint of the [experiment](../mlm/experiment.html), rebuilt from the
    configs it recorded (configs added since it was written take the values older runs had).
    """
    state = checkpoint.load(path, CHECKPOINTS, flag)
    flat = checkpoint.configs_of(state, CHECKPOINTS)
    vocabulary = CharVocabulary(state['vocabulary'])
    model_configs = cli.build(ModelConfigs, flat, 'model.')
    model = TransformerMLM.from_configs(model_configs, len(vocabulary), flat['seq_len'])
    model.load_state_dict(state['model'])
    model.eval()
    # The run's record, as an export keeps it: its last validation is its measured accuracy
    last = state['curve'][-1] if state['curve'] else {}
    training = {'run_uuid': run_uuid_of(path), 'data': data_name(state['data']), 'step': state['step'],
                'valid_loss': last.get('valid_loss'), 'valid_accuracy': last.get('valid_accuracy'),
                'configs': flat}
    return Loaded(model, vocabulary, model_configs, training, Path(path))


# ## An export folder
def _read_json(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text(encoding='utf-8'))
    except FileNotFoundError:
        raise LoadError(f"{flag} {path.parent}: the folder has no {path.name}; give a folder written by "
                        f"labml_nn.transformers.mlm_tools.export") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise LoadError(f"{flag} {path.parent}: {path.name} is not readable JSON (truncated or corrupt?); "
                        f"export the model again") from None


def read_export(folder: Path, flag: str = '--checkpoint') -> Loaded:
    r"""
    The model of an export folder (or of one that `transformers`' `save_pretrained` wrote from
    it), float32 whatever the stored weights are.
    """
    folder = Path(folder)
    config = _read_json(folder / CONFIG, flag)
    if not isinstance(config, dict) or config.get('model_type') != MODEL_TYPE:
        kind = config.get('model_type') if isinstance(config, dict) else None
        raise LoadError(f"{flag} {folder}: not an export of this model (its model_type is {kind!r}, "
                        f"not {MODEL_TYPE!r})")
    vocab = _read_json(folder / VOCAB, flag)
    # The vocabulary: ids 0 and 1 are [PAD] and [MASK], then one character per id
    by_id = sorted((i, t) for t, i in vocab.items()) if isinstance(vocab, dict) else []
    if ([t for i, t in by_id[:2]] != [PAD, MASK] or [i for i, _ in by_id] != list(range(len(by_id)))
            or any(len(t) != 1 for _, t in by_id[2:]) or len(by_id) != config.get('vocab_size')):
        raise LoadError(f"{flag} {folder}: {VOCAB} is not the character vocabulary its {CONFIG} describes")
    vocabulary = CharVocabulary(''.join(t for _, t in by_id[2:]))

    # Configs added to the model since the export keep the values older models had; a config
    # this version does not know would be silently ignored, so it is an error
    stored = config.get('model_configs', {})
    unknown = sorted(set(stored) - {f.name for f in dataclasses.fields(ModelConfigs)})
    if unknown:
        raise LoadError(f"{flag} {folder}: the model has options this version of labml_nn does not know "
                        f"({', '.join(unknown)}); update labml_nn, or load it with transformers")
    model_configs = cli.build(ModelConfigs, {f'model.{k}': v for k, v in {**ROUND_1, **stored}.items()}, 'model.')
    model = TransformerMLM.from_configs(model_configs, len(vocabulary), config['max_position_embeddings'])
    weights_path = folder / WEIGHTS
    if not weights_path.is_file():
        raise LoadError(f"{flag} {folder}: the folder has no {WEIGHTS}; export the model again")
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        tensors = load_file(weights_path)
    except (SafetensorError, OSError, ValueError):
        raise LoadError(f"{flag} {folder}: {WEIGHTS} is not readable (truncated or corrupt); "
                        f"export the model again") from None
    try:
        model.load_state_dict({k[len(PREFIX):]: v for k, v in tensors.items() if k.startswith(PREFIX)})
    except RuntimeError:
        raise LoadError(f"{flag} {folder}: the weights in {WEIGHTS} don't fit the model its {CONFIG} "
                        f"describes; export the model again") from None
    model.eval()
    # A folder `transformers` re-saved may have lost parts of the record: they are unknown
    training = {'run_uuid': None, 'data': '', 'step': None, 'valid_loss': None, 'valid_accuracy': None,
                'configs': {}, **config.get('training', {})}
    return Loaded(model, vocabulary, model_configs, training, folder)
