r"""
---
title: Export - a Hugging Face folder with our model's own source, a model card and ONNX
summary: Turning a checkpoint into a folder that fill-mask, export.from_pretrained and Hugging Face's pipeline all load - safetensors weights, a character tokenizer, the model's source as remote code, a model card with the measured accuracy - and an ONNX graph that also returns every attention weight.
---

# Exporting a trained model

```bash
python -m labml_nn.transformers.mlm_tools.export --checkpoint <run uuid> --out shakespeare-mlm
python -m labml_nn.transformers.mlm_tools.fill --checkpoint shakespeare-mlm "To be, or not to b[MASK]"
```

A [checkpoint](../../helpers/checkpoint.html) is made to *continue a run*: optimizer state,
random number generators, configs in our own flat format. Someone who only wants to *use*
the model needs less, in a form their tools read. The export folder is the layout of a
Hugging Face model repository:

| file | what it holds |
|---|---|
| `config.json` | the vocabulary size, `max_position_embeddings`, the model's configs, the training run |
| `model.safetensors` | the weights, as float32 or float16 (`--fp16`) |
| `vocab.json`, `tokenizer_config.json`, `special_tokens_map.json` | the character tokenizer |
| `README.md` | the model card: metadata for the Hub, the measured accuracy, the configs, how to use it |
| `hugging_face.py`, `model.py`, `mha.py`, … | the model's source, for `trust_remote_code=True` |
| `model.onnx` (with `--onnx`) | the graph for onnxruntime: logits *and* every attention weight |

Three readers load it:

* `fill --checkpoint DIR` and `export.from_pretrained(DIR)` in this package, with
  nothing but `safetensors`;
* `transformers`' `AutoModelForMaskedLM`, `AutoTokenizer` and `pipeline('fill-mask')`, with
  `trust_remote_code=True`, through [the wrappers](hugging_face.html);
* onnxruntime, in Python or in a browser.

## Why safetensors

A `.safetensors` file is a JSON header (names, dtypes, shapes, offsets) followed by the raw
bytes of the tensors. Reading it cannot run code, which `torch.load` of an arbitrary pickle
can, and it can be memory-mapped. Our checkpoints get the same safety from
`weights_only=True`; for a file meant to be downloaded by strangers, safetensors is the format
they expect.

## One source of truth for the architecture

`transformers` builds a model it does not know from Python files in the folder. We could
write a second copy of the model for it, and keep the two in step forever. Instead the
exporter **copies our own source**: it starts from [the wrappers](hugging_face.html), follows
every `from labml_nn.… import` (parsed with `ast`), copies each module it reaches into the
folder, and rewrites those imports into relative ones (`from .mha import …`), which
`transformers`' loader follows. The model `transformers` runs is then the model this site
shows, at the version that was trained, and a test checks that their outputs are equal bit
for bit. The model's options travel in `config.json` as its configs (`d_model`, `n_layers`, …):
the wrappers call the same `TransformerMLM.from_configs` as the experiment, so an option added
to the model is exported without a change here.

The modules reached must need nothing but `torch`: that is why the model's
[config types](../../helpers/ranges.html) live in a module of their own, away from the
command line's code.

## Sharing it

The folder is a complete model repository. To publish it on the Hugging Face Hub (after
`hf auth login`):

```bash
hf upload <user>/shakespeare-mlm shakespeare-mlm .
```

or from Python, `huggingface_hub.HfApi().upload_folder(folder_path='shakespeare-mlm',
repo_id='<user>/shakespeare-mlm')`; users then load it with
`pipeline('fill-mask', model='<user>/shakespeare-mlm', trust_remote_code=True)`. (This is not
tested here: the tests run without a network.)

## Never half a folder

Everything is checked before anything is written: the checkpoint, the model its configs
describe, the source to copy, and the output folder, which must be empty or new unless
`--force` is given. The files are written into a temporary folder beside the target, which
then takes the target's place in one rename: a failed export leaves nothing behind, and an
existing folder is replaced only whole.
"""

import ast
import dataclasses
import json
import logging
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch

import labml_nn
from labml_nn.helpers import checkpoint, cli
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mha import keeping_attention_weights
from labml_nn.transformers.mlm.data import (MASK, PAD, STDLIB_DOCSTRINGS, TINY_SHAKESPEARE, TINY_SHAKESPEARE_SHA256,
                                            CharVocabulary, sha256_of)
from labml_nn.transformers.mlm.experiment import CHECKPOINTS
from labml_nn.transformers.mlm.model import ROUND_1, ModelConfigs, TransformerMLM

# The files of an export folder
CONFIG, WEIGHTS, CARD, ONNX = 'config.json', 'model.safetensors', 'README.md', 'model.onnx'
VOCAB, TOKENIZER_CONFIG, SPECIAL_TOKENS = 'vocab.json', 'tokenizer_config.json', 'special_tokens_map.json'
# Where the remote code starts, the names of its classes, and our `model_type` in `config.json`
WRAPPERS = 'labml_nn.transformers.mlm_tools.hugging_face'
MODEL_TYPE = 'labml_nn_mlm'
CONFIG_CLASS, MODEL_CLASS, TOKENIZER_CLASS = 'LabmlMLMConfig', 'LabmlMLMForMaskedLM', 'CharTokenizer'
# The weights of the wrapped model are stored under this prefix, as `transformers` names them
PREFIX = 'mlm.'
# Where the model card points readers. The project has no public address yet, so the card names
# the tutorial's place in the package (`mkdocs serve` renders it) instead of a made-up URL
TUTORIAL = '`labml_nn/transformers/mlm/` (its pages: `mkdocs serve` in the labml_nn repository)'
# What a run with the default configs ends at. Not one number: the seed, and the CPU's rounding,
# move the final accuracy, so `bench/default_run_spread.py` ran the default configs over several
# seeds and CPU kernel choices, and the card of a model trained with those configs quotes the
# range (`tests/test_recorded_claims.py` keeps these figures equal to that recording)
DEFAULT_RUN_SPREAD = {'low': 0.643, 'high': 0.66, 'mean': 0.653, 'runs': 6, 'seeds': 3, 'kernels': 2,
                      'machine': 'a 2-core AMD EPYC'}
# Configs that change only the bookkeeping of a run, not what it learns
BOOKKEEPING = ('seed', 'valid_every', 'sample_every', 'checkpoint_every')
# Texts for the Hub's widget; the first whose characters the model knows is used
WIDGET_TEXTS = ['To be, or not to b[MASK], that is the question',
                'Now is the winter of our disc[MASK]ntent', 'the [MASK]uick brown fox']


class ExportError(UserError):
    r"""An export folder that can't be used, or can't be written."""


# ## Copying the model's source
def _module_file(module: str) -> Path:
    r"""The file of a `labml_nn` module: `a/b.py`, or `a/b/__init__.py` for a package."""
    base = Path(labml_nn.__file__).parent.parent / module.replace('.', '/')
    return base / '__init__.py' if base.is_dir() else base.with_suffix('.py')


def _stem(module: str) -> str:
    r"""The file name a module gets in the (flat) export folder: its last name."""
    return module.rsplit('.', 1)[-1]


def model_sources(wrappers: str = WRAPPERS) -> Dict[str, str]:
    r"""
    `{file name: source}` for the wrappers (a module's dotted name: ours by default; the
    [fine-tuning chapter](../mlm_fine_tuning/export.html) passes its own) and every `labml_nn`
    module they reach, each
    import of one of them rewritten as a relative import. The folder is flat, because
    `transformers` follows `from .name import` only within one folder; two modules with the
    same last name would collide, which is an error here rather than a broken folder.
    """
    sources: Dict[str, str] = {}
    modules = {_stem(wrappers): wrappers}
    to_visit = [wrappers]
    while to_visit:
        module = to_visit.pop()
        path = _module_file(module)
        source = path.read_text(encoding='utf-8')
        lines = source.splitlines(keepends=True)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import) and any(a.name.split('.')[0] == 'labml_nn' for a in node.names):
                raise ExportError(f"{path}: 'import labml_nn…' can't be made relative; use 'from … import'")
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.module.split('.')[0] == 'labml_nn'):
                continue
            stem = _stem(node.module)
            if modules.setdefault(stem, node.module) != node.module:
                raise ExportError(f"{modules[stem]} and {node.module} would both be {stem}.py in the export folder")
            if stem + '.py' not in sources and node.module not in to_visit and node.module != module:
                to_visit.append(node.module)
            line = node.lineno - 1
            rewritten = re.sub(rf'\bfrom\s+{re.escape(node.module)}\s+import\b', f'from .{stem} import', lines[line], count=1)
            if rewritten == lines[line]:
                raise ExportError(f"{path}:{node.lineno}: can't rewrite the import of {node.module}")
            lines[line] = rewritten
        relative = path.relative_to(Path(labml_nn.__file__).parent.parent).as_posix()
        sources[_stem(module) + '.py'] = (f"# Copied from {relative} of labml_nn by its exporter; "
                                          f"imports of labml_nn made relative.\n" + ''.join(lines))
    return dict(sorted(sources.items()))


# ## The model's files
def model_configs_of(flat: Dict[str, Any]) -> Dict[str, Any]:
    r"""The model's configs (`d_model`, …) from a run's flat configs (`model.d_model`, …), all of them."""
    return dataclasses.asdict(cli.build(ModelConfigs, flat, 'model.'))


def hf_config(vocabulary: CharVocabulary, max_len: int, model_configs: Dict[str, Any],
              training: Dict[str, Any]) -> Dict[str, Any]:
    r"""`config.json`: what `transformers` needs to find and build the model, and the run it came from."""
    module = _stem(WRAPPERS)
    return {
        'model_type': MODEL_TYPE,
        'architectures': [MODEL_CLASS],
        'auto_map': {'AutoConfig': f'{module}.{CONFIG_CLASS}', 'AutoModelForMaskedLM': f'{module}.{MODEL_CLASS}'},
        'vocab_size': len(vocabulary),
        'max_position_embeddings': max_len,
        'pad_token_id': vocabulary.padding_token,
        'mask_token_id': vocabulary.mask_token,
        'model_configs': model_configs,
        # The model computes in float32 whatever the stored weights are
        'dtype': 'float32',
        'tie_word_embeddings': False,
        'training': training,
    }


def tokenizer_files(vocabulary: CharVocabulary, max_len: int) -> Dict[str, Any]:
    r"""The character tokenizer's three files: its vocabulary, its settings, its special tokens."""
    module = _stem(WRAPPERS)
    vocab = {vocabulary.decode_token(i): i for i in range(len(vocabulary))}
    return {
        VOCAB: vocab,
        TOKENIZER_CONFIG: {
            'tokenizer_class': TOKENIZER_CLASS,
            'auto_map': {'AutoTokenizer': [f'{module}.{TOKENIZER_CLASS}', None]},
            'pad_token': PAD, 'mask_token': MASK,
            'model_max_length': max_len,
            'clean_up_tokenization_spaces': False,
        },
        SPECIAL_TOKENS: {'pad_token': PAD, 'mask_token': MASK},
    }


def weights_of(model: TransformerMLM, fp16: bool) -> Dict[str, torch.Tensor]:
    r"""
    The weights as `model.safetensors` stores them, under `mlm.`. Every tensor is a copy of
    its own: safetensors refuses two names for one storage, which a model with tied
    weights would have (loading writes the same values twice).
    """
    tensors = {}
    for name, t in model.state_dict().items():
        t = t.detach().to('cpu')
        tensors[PREFIX + name] = (t.half() if fp16 and t.is_floating_point() else t).clone().contiguous()
    return tensors


def data_name(data: str) -> str:
    r"""
    How the card names the training text: a built-in corpus by its name, also when the run
    read it from a file (`--data PATH` to a copy of Tiny Shakespeare); another file by its
    name alone, since the folders of the machine that trained it mean nothing elsewhere.
    """
    if data in (TINY_SHAKESPEARE, STDLIB_DOCSTRINGS) or not data:
        return data
    path = Path(data)
    if path.is_file() and sha256_of(path.read_bytes()) == TINY_SHAKESPEARE_SHA256:
        return TINY_SHAKESPEARE
    return path.name


def widget_text(vocabulary: CharVocabulary, max_len: int) -> str:
    r"""An example for the Hub's widget that the model can read."""
    for text in WIDGET_TEXTS:
        if not vocabulary.unknown_chars(text.replace(MASK, '')) and len(text) - len(MASK) + 1 <= max_len:
            return text
    chars = vocabulary.chars[:max(1, min(len(vocabulary.chars), max_len - 1))]
    return chars[:len(chars) // 2] + MASK + chars[len(chars) // 2 + 1:]


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def trained_with_default_configs(flat_configs: Dict[str, Any]) -> bool:
    r"""Whether a run's configs are the experiment's defaults, but for the seed and the bookkeeping."""
    from labml_nn.transformers.mlm.experiment import Configs
    defaults = cli.flatten(Configs())
    return all(flat_configs.get(k) == v for k, v in defaults.items() if k not in BOOKKEEPING)


def model_card(config: Dict[str, Any], flat_configs: Dict[str, Any], widget: str, fp16: bool) -> str:
    r"""
    `README.md`: YAML metadata for the Hub (the pipeline, the library, the mask token, a widget
    example and the measured validation accuracy), then the text a person reads.
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    training = config['training']
    accuracy = training.get('valid_accuracy')
    eval_results = None
    if accuracy is not None:
        eval_results = [EvalResult(task_type='fill-mask', task_name='Masked character prediction',
                                   dataset_type=training['data'], dataset_name=training['data'],
                                   dataset_split='validation (last 10%)' if flat_configs.get('valid_fraction') == 0.1
                                   else f"validation (last {flat_configs.get('valid_fraction')})",
                                   metric_type='accuracy', metric_name='masked-character accuracy',
                                   metric_value=round(accuracy, 4))]
    data = ModelCardData(library_name='transformers', pipeline_tag='fill-mask', language='en',
                         tags=['labml_nn', 'masked-language-modeling', 'character-level', 'custom_code'],
                         model_name='labml_nn character MLM', eval_results=eval_results,
                         mask_token=MASK, widget=[{'text': widget}])
    model = config['model_configs']
    measured = (f"**{accuracy:.1%}** of the masked characters of the validation text right "
                f"(loss {training['valid_loss']:.3f}) after {training['step']:,} steps" if accuracy is not None
                else f"no validation measured (the run stopped after {training['step']:,} steps, before its first)")
    rows = '\n'.join(f"| `{k}` | `{v}` |" for k, v in flat_configs.items())
    spread = ''
    if trained_with_default_configs(flat_configs):
        s = DEFAULT_RUN_SPREAD
        spread = (f"\nWith these configs, runs end at {100 * s['low']:.1f}–{100 * s['high']:.1f}% (mean "
                  f"{100 * s['mean']:.1f}%, {s['runs']} runs over {plural(s['seeds'], 'seed')} and "
                  f"{plural(s['kernels'], 'choice')} of CPU kernels "
                  f"on {s['machine']}). Training repeats bit for bit on the machine and build that ran it; "
                  f"another CPU, or a GPU, rounds differently and ends elsewhere in about that range.")
    body = f"""
# A character-level masked language model

A BERT-style masked language model over characters: {model['n_layers']} pre-norm transformer layers of
width {model['d_model']} with {model['n_heads']} heads, trained with labml_nn's
annotated tutorial *Masked Language Model*, {TUTORIAL}, where every line of its code is explained.
Each `[MASK]` hides **one character**; the model reads at most {config['max_position_embeddings']} characters.

Trained on `{training['data']}` (run `{training['run_uuid'] or 'unknown'}`), it gets {measured}.{spread}
The weights are stored as {'float16 and computed in float32' if fp16 else 'float32'}.

## Use it

```bash
python -m labml_nn.transformers.mlm_tools.fill --checkpoint . "{widget}"
python -m labml_nn.transformers.mlm_tools.fill --checkpoint . --json "{widget}"
```

```python
from labml_nn.transformers.mlm_tools.export import from_pretrained
model = from_pretrained('.')

from transformers import pipeline  # the folder carries the model's source: trust it to run it
fill = pipeline('fill-mask', model='.', trust_remote_code=True)
fill("{widget}")
```

`pipeline` and `fill --json` give the same tokens and scores. `[PAD]` and `[MASK]` are never
proposed: the wrapper sets their logits to minus infinity.

## Limits

* It knows only the {config['vocab_size'] - 2} characters it was trained on; any other character is an error.
* Texts longer than {config['max_position_embeddings']} characters are refused: it has no position beyond that.
* It is a tutorial's model, trained for minutes on a CPU: a spelling and word model, not a language model to build on.

## Training configs

| config | value |
|---|---|
{rows}

## Files

`model.safetensors` (weights under `mlm.`), `config.json` (`model_configs` are the model's options),
`vocab.json` and `tokenizer_config.json` (the character tokenizer), and the model's own source,
copied from labml_nn by its exporter: `hugging_face.py` wraps it for `transformers`.
"""
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n{body}"))


# ## Writing the folder
def check_out(out: Path, force: bool) -> None:
    r"""The output folder may be new or empty; a non-empty one only with `--force`."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out}: is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ExportError(f"--out {out}: the folder is not empty; give a new folder or add --force to replace it")


def write_folder(out: Path, files: Dict[str, Any], force: bool, onnx_model: Optional[TransformerMLM] = None) -> None:
    r"""
    Writes `files` (`{name: bytes, str, or JSON-able value}`) into `out`, all or nothing:
    into a temporary folder beside it first, which then takes its place.
    """
    check_out(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', dir=out.parent))
    try:
        # `mkdtemp` makes a private folder; an export is as readable as any other folder
        staging.chmod(0o755)
        for name, content in files.items():
            if isinstance(content, bytes):
                (staging / name).write_bytes(content)
            elif isinstance(content, str):
                (staging / name).write_text(content, encoding='utf-8')
            else:
                (staging / name).write_text(json.dumps(content, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
        if onnx_model is not None:
            export_onnx(onnx_model, staging / ONNX)
        # The old folder moves aside, the new one takes its name, the old one goes
        old = None
        if out.exists():
            old = out.parent / f'{staging.name}.old'
            out.rename(old)
        staging.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def export(checkpoint_path: Path, out: Path, *, fp16: bool = False, force: bool = False, onnx: bool = False) -> Path:
    r"""
    ## From a checkpoint to a folder

    Loads the checkpoint, rebuilds its model, and writes the folder. Returns `out`.
    """
    require(('safetensors', 'huggingface_hub'), 'exporting')
    state = checkpoint.load(checkpoint_path, CHECKPOINTS, '--checkpoint')
    flat = checkpoint.configs_of(state, CHECKPOINTS)
    vocabulary = CharVocabulary(state['vocabulary'])
    model_configs = model_configs_of(flat)
    model = TransformerMLM.from_configs(ModelConfigs(**model_configs), len(vocabulary), flat['seq_len'])
    model.load_state_dict(state['model'])
    model.eval()
    if onnx:
        check_onnx_installed()
    check_out(out, force)
    # `--force` replaces the folder whole: never the one that holds the run being exported
    if out.resolve() in checkpoint_path.resolve().parents:
        raise ExportError(f"--out {out}: holds the checkpoint being exported; give another folder")

    # The run: its uuid is its folder's name; its last validation is its measured accuracy
    last = state['curve'][-1] if state['curve'] else {}
    run_uuid = checkpoint_path.parent.name if re.fullmatch(r'[0-9a-f]{32}(\.\d+)?', checkpoint_path.parent.name) else None
    training = {'run_uuid': run_uuid, 'data': data_name(state['data']), 'step': state['step'],
                'valid_loss': last.get('valid_loss'), 'valid_accuracy': last.get('valid_accuracy'),
                'configs': flat}
    config = hf_config(vocabulary, flat['seq_len'], model_configs, training)

    from safetensors.torch import save

    files: Dict[str, Any] = {CONFIG: config, **tokenizer_files(vocabulary, flat['seq_len']),
                             WEIGHTS: save(weights_of(model, fp16), metadata={'format': 'pt'}),
                             CARD: model_card(config, flat, widget_text(vocabulary, flat['seq_len']), fp16),
                             **model_sources()}
    if fp16:
        # The ONNX graph gets the weights the folder stores
        model.load_state_dict({k[len(PREFIX):]: v for k, v in weights_of(model, True).items()})
    write_folder(out, files, force, model if onnx else None)
    return out


# ## Reading a folder back
def is_export(path: Path) -> bool:
    r"""A folder that looks like an export (it has a `config.json`)."""
    return path.is_dir() and (path / CONFIG).is_file()


def _read_json(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text(encoding='utf-8'))
    except FileNotFoundError:
        raise ExportError(f"{flag} {path.parent}: the folder has no {path.name}; give a folder written by "
                          f"labml_nn.transformers.mlm_tools.export") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise ExportError(f"{flag} {path.parent}: {path.name} is not readable JSON (truncated or corrupt?); "
                          f"export the model again") from None


def load_export(folder: Path, flag: str = '--checkpoint') -> Tuple[TransformerMLM, CharVocabulary, Dict[str, Any]]:
    r"""
    The model (float32, eval mode), its vocabulary and its `config.json`, from an export
    folder. Every way a folder can be unusable gets a message of its own.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportError(f"{flag} {folder}: no such folder")
    config = _read_json(folder / CONFIG, flag)
    if not isinstance(config, dict) or config.get('model_type') != MODEL_TYPE:
        kind = config.get('model_type') if isinstance(config, dict) else None
        raise ExportError(f"{flag} {folder}: not an export of this model (its model_type is {kind!r}, "
                          f"not {MODEL_TYPE!r})")
    vocab = _read_json(folder / VOCAB, flag)
    # The vocabulary: ids 0 and 1 are [PAD] and [MASK], then one character per id
    by_id = sorted((i, t) for t, i in vocab.items()) if isinstance(vocab, dict) else []
    if ([t for i, t in by_id[:2]] != [PAD, MASK] or [i for i, _ in by_id] != list(range(len(by_id)))
            or any(len(t) != 1 for _, t in by_id[2:]) or len(by_id) != config.get('vocab_size')):
        raise ExportError(f"{flag} {folder}: {VOCAB} is not the character vocabulary its {CONFIG} describes")
    vocabulary = CharVocabulary(''.join(t for _, t in by_id[2:]))

    # Configs added to the model since the export keep the values older models had; a config
    # this version does not know would be silently ignored, so it is an error
    model_configs = config.get('model_configs', {})
    unknown = sorted(set(model_configs) - {f.name for f in dataclasses.fields(ModelConfigs)})
    if unknown:
        raise ExportError(f"{flag} {folder}: the model has options this version of labml_nn does not know "
                          f"({', '.join(unknown)}); update labml_nn, or load it with transformers")
    flat = {f'model.{k}': v for k, v in {**ROUND_1, **model_configs}.items()}
    model = TransformerMLM.from_configs(cli.build(ModelConfigs, flat, 'model.'), len(vocabulary),
                                        config['max_position_embeddings'])
    weights_path = folder / WEIGHTS
    if not weights_path.is_file():
        raise ExportError(f"{flag} {folder}: the folder has no {WEIGHTS}; export the model again")
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        tensors = load_file(weights_path)
    except (SafetensorError, OSError, ValueError):
        raise ExportError(f"{flag} {folder}: {WEIGHTS} is not readable (truncated or corrupt); "
                          f"export the model again") from None
    try:
        model.load_state_dict({k[len(PREFIX):]: v for k, v in tensors.items() if k.startswith(PREFIX)})
    except RuntimeError:
        raise ExportError(f"{flag} {folder}: the weights in {WEIGHTS} don't fit the model its {CONFIG} "
                          f"describes; export the model again") from None
    model.eval()
    return model, vocabulary, config


def from_pretrained(folder) -> TransformerMLM:
    r"""
    The model of an export folder, in eval mode, with the outputs it had when it was exported
    (its vocabulary too: `load_export`). The model module itself knows nothing of folders: it
    imports only torch and the encoder's modules.
    """
    return load_export(Path(folder), 'from_pretrained')[0]


# ## ONNX: logits and every attention weight
class LogitsAndAttention(torch.nn.Module):
    r"""
    What the ONNX graph computes: token ids `[batch_size, seq_len]` in; the logits,
    `[batch_size, seq_len, n_tokens]`, and the attention weights of every layer and head,
    `[batch_size, n_layers, heads, seq_len, seq_len]`, out. The weights come from the
    [written-out formula](../mha.html), which a page can show at work.
    """

    def __init__(self, model: TransformerMLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        with keeping_attention_weights(self.model) as kept:
            logits = self.model(input_ids)  # [batch_size, seq_len, n_tokens]
        return logits, torch.stack(kept, dim=1)  # [batch_size, n_layers, heads, seq_len, seq_len]


def require(packages: Tuple[str, ...], what: str) -> None:
    r"""A clear line, not an `ImportError`, when a package of the `export` extra is missing."""
    for package in packages:
        try:
            __import__(package)
        except ImportError:
            raise ExportError(f"{what} needs the package {package}; pip install -e \".[export]\"") from None


def check_onnx_installed() -> None:
    r"""ONNX export needs `onnx` and `onnxscript`."""
    require(('onnx', 'onnxscript'), '--onnx')


def export_onnx(model: TransformerMLM, path: Path) -> None:
    r"""
    Writes `model` as an ONNX graph, for any batch size and any length up to the model's
    `max_len`. Inputs: `input_ids` (int64); outputs: `logits` and `attentions`.
    """
    check_onnx_installed()
    max_len = model.embeddings.max_len
    batch, seq_len = torch.export.Dim('batch', max=1024), torch.export.Dim('seq_len', max=max_len)
    example = torch.full((2, min(8, max_len)), 2, dtype=torch.long)
    # `torch.onnx.export` with `dynamo=True` traces the model with `torch.export`. Its progress
    # messages would go to stdout, which the caller may be using, and its warnings (about
    # torchvision's operators, for one) concern nothing here
    stdout, sys.stdout = sys.stdout, sys.stderr
    level = logging.getLogger('torch.onnx').level
    logging.getLogger('torch.onnx').setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            program = torch.onnx.export(LogitsAndAttention(model).eval(), (example,), dynamo=True,
                                        input_names=['input_ids'], output_names=['logits', 'attentions'],
                                        dynamic_shapes={'input_ids': {0: batch, 1: seq_len}}, verbose=False)
    finally:
        sys.stdout = stdout
        logging.getLogger('torch.onnx').setLevel(level)
    program.save(str(path))


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    r"""
    The command line; each expected failure is one line on stderr and exit status 2. `prog`
    names the command in `--help` (by default, the name it was run by).
    """
    parser = cli.ArgumentParser(prog=prog or cli.program_name('labml_nn.transformers.mlm_tools.export'),
                                description='Export a trained model as a Hugging Face-style folder.')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file, run folder or run uuid')
    parser.add_argument('--out', required=True, help='the folder to write (new or empty)')
    parser.add_argument('--fp16', action='store_true', help='store the weights as float16 (half the size)')
    parser.add_argument('--onnx', action='store_true', help=f'also write {ONNX} (logits and attention weights)')
    parser.add_argument('--force', action='store_true', help='replace the folder if it is not empty')

    def body() -> None:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        path = checkpoint.find(args.checkpoint, Path.cwd() / 'logs', '--checkpoint')
        out = export(path, Path(args.out).expanduser(), fp16=args.fp16, force=args.force, onnx=args.onnx)
        size = sum(f.stat().st_size for f in out.iterdir())
        print(f"wrote {out} ({size / 1e6:.1f} MB): {', '.join(sorted(f.name for f in out.iterdir()))}")
    cli.run_command(body)


if __name__ == '__main__':
    main()
