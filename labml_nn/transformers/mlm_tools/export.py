r"""
---
title: Export - a Hugging Face folder with our model's own source and a model card
summary: Turning a trained model (a run, a checkpoint, an export or the bundled model) into a folder that fill-mask, load_mlm and Hugging Face's pipeline all load - safetensors weights, a character tokenizer, the model's source as remote code, a model card with the measured accuracy - written all or nothing by one writer that the fine-tuning chapter's exporter shares.
---

# Exporting a trained model

```bash
python -m labml_nn.transformers.mlm_tools.export --out shakespeare-mlm     # the bundled model
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
| `model.onnx` (with `--onnx`) | [the graph](onnx_graph.html) for onnxruntime: logits *and* every attention weight |

`--checkpoint` takes whatever [the reader](load.html) takes: a run's uuid, its folder, a
`checkpoint.pt`, an export folder, and, when it is left out, the model that ships with the
package. Three readers load the folder:

* `fill --checkpoint DIR` and `load_mlm(DIR)` in this package, with nothing but `safetensors`;
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
shows, and a test checks that their outputs are equal bit for bit. The model's options travel
in `config.json` as its configs (`d_model`, `n_layers`, …): the wrappers call the same
`TransformerMLM.from_configs` as the experiment, so an option added to the model is exported
without a change here.

The modules reached must need nothing but `torch`: that is why the model's
[config types](../../helpers/ranges.html) live in a module of their own, away from the
command line's code.

The source is written when a folder is exported, from the package that exports it. The
model that ships with the package is therefore data only (weights, config, tokenizer files
and card): its configs say what to build, and the package's own modules build it. Exporting
it, with no `--checkpoint`, gives the folder that `transformers` loads.

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

Everything is checked before anything is written: the model, the source to copy, and the
output folder, which must be empty or new unless `--force` is given, and may never hold the
model being exported. The files are written into a temporary folder beside the target, which
then takes the target's place in one rename: a failed export leaves nothing behind, and an
existing folder is replaced only whole. The [fine-tuning chapter's
exporter](../mlm_fine_tuning/export.html) writes its folders with the same `write_export`,
with its own wrappers, labels and card.
"""

import ast
import dataclasses
import functools
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import torch

import labml_nn
from labml_nn.helpers import cli, extras
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mlm.data import MASK, PAD, CharVocabulary
from labml_nn.transformers.mlm_tools.load import (CARD, CONFIG, MODEL_TYPE, PREFIX, SPECIAL_TOKENS, TOKENIZER_CONFIG,
                                                  VOCAB, WEIGHTS, load_mlm)
from labml_nn.transformers.mlm_tools.onnx_graph import ONNX, check_onnx_installed, export_onnx

# Where the remote code starts; the tokenizer's class and the module that defines it
WRAPPERS = 'labml_nn.transformers.mlm_tools.hugging_face'
TOKENIZER_CLASS = 'CharTokenizer'
# Where the model card points readers. The project has no public address yet, so the card names
# the tutorial's place in the package (`mkdocs serve` renders it) instead of a made-up URL
TUTORIAL = '`labml_nn/transformers/mlm/` (its pages: `mkdocs serve` in the labml_nn repository)'
# What a run with the default configs ends at. Not one number: the seed, and the CPU's rounding,
# move the final accuracy, so `bench/default_run_spread.py` ran the default configs over several
# seeds and CPU kernel choices, and the card of a model trained with those configs quotes the
# range (`tests/test_recorded_claims.py` keeps these figures equal to that recording)
DEFAULT_RUN_SPREAD = {'low': 0.711, 'high': 0.723, 'mean': 0.718, 'runs': 4, 'seeds': 3, 'kernels': 1,
                      'machine': 'a 2-core Intel Xeon, with 1 or 2 threads'}
# Configs that change only the bookkeeping of a run, not what it learns
BOOKKEEPING = ('seed', 'valid_every', 'sample_every', 'checkpoint_every')
# Texts for the Hub's widget; the first whose characters the model knows is used
WIDGET_TEXTS = ['To be, or not to b[MASK], that is the question',
                'Now is the winter of our disc[MASK]ntent', 'the [MASK]uick brown fox']


class ExportError(UserError):
    r"""An export folder that can't be written."""


@dataclass(frozen=True)
class RemoteCode:
    r"""
    What `transformers` runs for a folder: the wrappers' module (where the copied source
    starts), the `model_type`, and the classes that `config.json`'s `auto_map` names, the
    model's under `auto_model`.
    """
    wrappers: str
    model_type: str
    config_class: str
    model_class: str
    auto_model: str

    @property
    def module(self) -> str:
        r"""The wrappers' file name in the folder, without `.py`."""
        return _stem(self.wrappers)


# Ours: the masked language model behind `AutoModelForMaskedLM`
MLM_CODE = RemoteCode(WRAPPERS, MODEL_TYPE, 'LabmlMLMConfig', 'LabmlMLMForMaskedLM', 'AutoModelForMaskedLM')


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
def hf_config(code: RemoteCode, vocabulary: CharVocabulary, max_len: int, model_configs: Dict[str, Any],
              training: Dict[str, Any]) -> Dict[str, Any]:
    r"""`config.json`: what `transformers` needs to find and build the model, and the run it came from."""
    return {
        'model_type': code.model_type,
        'architectures': [code.model_class],
        'auto_map': {'AutoConfig': f'{code.module}.{code.config_class}',
                     code.auto_model: f'{code.module}.{code.model_class}'},
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
    vocab = {vocabulary.decode_token(i): i for i in range(len(vocabulary))}
    return {
        VOCAB: vocab,
        TOKENIZER_CONFIG: {
            'tokenizer_class': TOKENIZER_CLASS,
            'auto_map': {'AutoTokenizer': [f'{_stem(WRAPPERS)}.{TOKENIZER_CLASS}', None]},
            'pad_token': PAD, 'mask_token': MASK,
            'model_max_length': max_len,
            'clean_up_tokenization_spaces': False,
        },
        SPECIAL_TOKENS: {'pad_token': PAD, 'mask_token': MASK},
    }


def weights_of(model: torch.nn.Module, fp16: bool = False, prefix: str = PREFIX) -> Dict[str, torch.Tensor]:
    r"""
    The weights as `model.safetensors` stores them, under `prefix` (the wrapper's attribute that
    holds the model). Every tensor is a copy of its own: safetensors refuses two names for one
    storage, which a model with tied weights would have (loading writes the same values twice).
    """
    tensors = {}
    for name, t in model.state_dict().items():
        t = t.detach().to('cpu')
        tensors[prefix + name] = (t.half() if fp16 and t.is_floating_point() else t).clone().contiguous()
    return tensors


# ## The model card
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
    from labml_nn.transformers.mlm.experiment import CHECKPOINTS, Configs
    defaults = cli.flatten(Configs())
    # A config the run does not name did not exist yet: it had the value that the checkpoints'
    # format gives older runs (the model options of the oldest ones: ROUND_1's)
    named = {**CHECKPOINTS.added_since, **flat_configs}
    return all(named.get(k, v) == v for k, v in defaults.items() if k not in BOOKKEEPING)


def model_card(config: Dict[str, Any], widget: str, fp16: bool, remote_code: bool = True) -> str:
    r"""
    `README.md`: YAML metadata for the Hub (the pipeline, the library, the mask token, a widget
    example and the measured validation accuracy), then the text a person reads. A folder
    written without the remote code (the bundled model's) says how to get a folder with it.
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    training = config['training']
    flat_configs = training['configs']
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
                  f"{100 * s['mean']:.1f}%, {s['runs']} runs over {plural(s['seeds'], 'seed')}"
                  + (f" and {plural(s['kernels'], 'choice')} of CPU kernels" if s['kernels'] > 1 else '')
                  + f" on {s['machine']}). Training repeats bit for bit on the machine and build that ran it; "
                  f"another CPU, or a GPU, rounds differently and ends elsewhere in about that range.")
    if remote_code:
        hub_use = f"""
```python
from transformers import pipeline  # the folder carries the model's source: trust it to run it
fill = pipeline('fill-mask', model='.', trust_remote_code=True)
fill("{widget}")
```

`pipeline` and `fill --json` give the same tokens and scores. `[PAD]` and `[MASK]` are never
proposed: the wrapper sets their logits to minus infinity.
"""
        source_files = (", and the model's own source,\ncopied from labml_nn by its exporter: `hugging_face.py` "
                        "wraps it for `transformers`")
    else:
        hub_use = """
This copy ships inside labml_nn as data: it holds no source, so `transformers` can't load it as it
is. `python -m labml_nn.transformers.mlm_tools.export --out DIR` writes it into a folder with the
model's source, which `pipeline('fill-mask', model=DIR, trust_remote_code=True)` loads.
"""
        source_files = ''
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
from labml_nn.transformers.mlm_tools.load import load_mlm
model = load_mlm('.').model
```
{hub_use}
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
`vocab.json` and `tokenizer_config.json` (the character tokenizer){source_files}.
"""
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n{body}"))


# ## Writing the folder
def check_out(out: Path, force: bool, source: Path) -> None:
    r"""
    The output folder may be new or empty; a non-empty one only with `--force`, and never the
    one that holds the model being exported (`source`, its checkpoint file or folder).
    """
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out}: is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ExportError(f"--out {out}: the folder is not empty; give a new folder or add --force to replace it")
    source = source.resolve()
    if out.resolve() == source or out.resolve() in source.parents:
        what = 'checkpoint' if source.is_file() else 'model'
        raise ExportError(f"--out {out}: holds the {what} being exported; give another folder")


# A file of the folder: bytes, text, a function that writes it, or a value to write as JSON
Content = Union[bytes, str, Callable[[Path], None], Any]


def write_folder(out: Path, files: Dict[str, Content], force: bool) -> None:
    r"""
    Writes `files` into `out`, all or nothing: into a temporary folder beside it first, which
    then takes its place. Each file is bytes, text, a function that writes the file at the path
    it is given (the ONNX graph), or a value to write as JSON.
    """
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
            elif callable(content):
                content(staging / name)
            else:
                (staging / name).write_text(json.dumps(content, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
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


def write_export(out: Path, code: RemoteCode, config: Dict[str, Any], vocabulary: CharVocabulary,
                 weights: Dict[str, torch.Tensor], card: str, *, force: bool, remote_code: bool = True,
                 more: Optional[Dict[str, Content]] = None) -> Path:
    r"""
    ## One writer for every export

    A Hugging Face-style folder: `config.json`, the tokenizer's files, the weights as
    safetensors, the card, the source of `code`'s wrappers (unless `remote_code` is `False`)
    and `more` files. This exporter and the [fine-tuning chapter's](../mlm_fine_tuning/export.html)
    both write with it, after `check_out`. Returns `out`.
    """
    from safetensors.torch import save

    files: Dict[str, Content] = {CONFIG: config, **tokenizer_files(vocabulary, config['max_position_embeddings']),
                                 WEIGHTS: save(weights, metadata={'format': 'pt'}), CARD: card,
                                 **(model_sources(code.wrappers) if remote_code else {}), **(more or {})}
    write_folder(out, files, force)
    return out


def export(where: Union[str, Path, None], out: Path, *, fp16: bool = False, force: bool = False,
           onnx: bool = False, remote_code: bool = True) -> Path:
    r"""
    ## A model to a folder

    Reads the model `where` names (as [`load_mlm`](load.html) does: `None` is the bundled
    model), and writes its folder. `remote_code=False` leaves the source out: that is how the
    bundled model itself is written. Returns `out`.
    """
    extras.require(('safetensors', 'huggingface_hub'), 'exporting', 'export')
    loaded = load_mlm(where)
    if onnx:
        check_onnx_installed()
    check_out(out, force, loaded.path)
    config = hf_config(MLM_CODE, loaded.vocabulary, loaded.max_len, dataclasses.asdict(loaded.model_configs),
                       loaded.training)
    weights = weights_of(loaded.model, fp16)
    more = {}
    if onnx:
        # The graph gets the weights the folder stores
        loaded.model.load_state_dict({k[len(PREFIX):]: v for k, v in weights.items()})
        more[ONNX] = functools.partial(export_onnx, loaded.model)
    card = model_card(config, widget_text(loaded.vocabulary, loaded.max_len), fp16, remote_code)
    return write_export(out, MLM_CODE, config, loaded.vocabulary, weights, card, force=force,
                        remote_code=remote_code, more=more)


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    r"""
    The command line; each expected failure is one line on stderr and exit status 2. `prog`
    names the command in `--help` (by default, the name it was run by).
    """
    parser = cli.ArgumentParser(prog=prog or cli.program_name('labml_nn.transformers.mlm_tools.export'),
                                description='Export a trained model as a Hugging Face-style folder.')
    parser.add_argument('--checkpoint', help='run uuid, run folder, checkpoint file or export folder '
                                             '(default: the model bundled with the package)')
    parser.add_argument('--out', required=True, help='the folder to write (new or empty)')
    parser.add_argument('--fp16', action='store_true', help='store the weights as float16 (half the size)')
    parser.add_argument('--onnx', action='store_true', help=f'also write {ONNX} (logits and attention weights)')
    parser.add_argument('--force', action='store_true', help='replace the folder if it is not empty')

    def body() -> None:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        out = export(args.checkpoint, Path(args.out).expanduser(), fp16=args.fp16, force=args.force, onnx=args.onnx)
        size = sum(f.stat().st_size for f in out.iterdir())
        print(f"wrote {out} ({size / 1e6:.1f} MB): {', '.join(sorted(f.name for f in out.iterdir()))}")
    cli.run_command(body)


if __name__ == '__main__':
    main()
