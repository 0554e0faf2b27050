r"""
---
title: Using the fine-tuned model - restoring capitals, and an export that transformers' pipeline loads
summary: Capitals put back into any lower-case text by a fine-tuned run, and the run exported as a Hugging Face-style folder that pipeline('token-classification') loads with trust_remote_code and that agrees with our own predictions.
---

# Using the fine-tuned model

```bash
python -m labml_nn.transformers.mlm_fine_tuning.export --checkpoint <run uuid> "o romeo, romeo! wherefore art thou romeo?"
python -m labml_nn.transformers.mlm_fine_tuning.export --checkpoint <run uuid> --out shakespeare-capitals
```

With texts, the command prints each one with the capitals the model puts back. With `--out`
it writes the run as a folder in the layout of a Hugging Face model repository, the way the
masked language model's [exporter](../mlm_tools/export.html) does and with its parts: the
safetensors weights (under `classifier.`), the character tokenizer's files, a `config.json`
whose `auto_map` names our [wrappers](hugging_face_classifier.html) and whose `id2label`
names the labels, a short model card, and our own source as remote code. Then

```python
from transformers import pipeline
capitals = pipeline('token-classification', model='shakespeare-capitals', trust_remote_code=True)
```

gives one entry per letter the model would capitalize; a test checks that these are exactly
the letters `predict` below picks, with the same probabilities.

## What is shared with the masked language model's export

Everything that is not about the head. The tokenizer is the same character tokenizer with the
same `vocab.json` (the classifier reads the vocabulary it was pre-trained with), and the folder
is written by the same `write_export` (all or nothing, a non-empty folder only with `--force`,
never the folder of the run it exports), which copies the source starting from our wrappers
instead of the masked language model's. What differs is named in one `RemoteCode` and in
`config.json`: the `model_type`, an `auto_map` with `AutoModelForTokenClassification`, and the
two labels.

## Reading the pipeline's answer

Hugging Face's token-classification pipeline takes the softmax of the logits at every token,
keeps each token's most likely label, and drops the tokens whose label is in its
`ignore_labels` (by default `["O"]`). Our labels are `O` for "leave it" and `CAPITAL`, so
its answer is exactly the list of positions to upper-case, each with the probability the
model gave it:

```python
[{'entity': 'CAPITAL', 'score': 0.98, 'index': 0, 'word': 'o', 'start': None, 'end': None}, …]
```

`''.join(c.upper() if i in {e['index'] for e in answer} else c for i, c in enumerate(text))`
is then what `restore` returns.

## What the folder does not do

No ONNX graph and no browser box: the capitals task would suit one (type lower-case text, see
it capitalized), but this chapter stops at the pipeline. No `[CLS]`, no fast tokenizer, so
the pipeline's `start` and `end` are `None` and its `aggregation_strategy` has no words to
group; its `index` is the character's position.
"""

import dataclasses
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch

from labml_nn.helpers import checkpoint, cli, extras, tracking
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mlm.data import CharVocabulary
from labml_nn.transformers.mlm_fine_tuning import CAPITAL, LABELS, lower_case
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier
from labml_nn.transformers.mlm_fine_tuning.experiment import CHECKPOINTS, resumed_start
from labml_nn.transformers.mlm_tools import export as mlm_export
from labml_nn.transformers.mlm_tools.load import data_name, run_uuid_of

# What `transformers` runs: our wrappers (the root of the copied source), behind
# `AutoModelForTokenClassification`; the weights are stored under the wrapper's `classifier.`
WRAPPERS = 'labml_nn.transformers.mlm_fine_tuning.hugging_face_classifier'
MODEL_TYPE = 'labml_nn_token_classifier'
CODE = mlm_export.RemoteCode(WRAPPERS, MODEL_TYPE, 'LabmlTokenClassifierConfig', 'LabmlForTokenClassification',
                             'AutoModelForTokenClassification')
PREFIX = 'classifier.'


def load_run(where: str) -> Tuple[TokenClassifier, CharVocabulary, Dict[str, Any], Path]:
    r"""
    A fine-tuning run's model (eval mode), its vocabulary, its checkpoint's contents and path,
    from the run's uuid (looked up under `logs/`), its folder or the file. The checkpoint knows
    the encoder's shape, so neither the pre-trained model nor the experiment's configs are read.
    """
    path = checkpoint.find(where, tracking.logs_folder(), '--checkpoint')
    state = checkpoint.load(path, CHECKPOINTS, '--checkpoint')
    start = resumed_start(state)
    model = TokenClassifier.from_configs(start.model_configs, len(start.vocabulary), start.max_len, len(LABELS))
    model.load_state_dict(state['model'])
    model.eval()
    return model, start.vocabulary, state, path


@torch.no_grad()
def predict(model: TokenClassifier, vocabulary: CharVocabulary, text: str) -> torch.Tensor:
    r"""
    ## Our own predictions

    The probability of each label at each character of `text` (lower-cased first, as in
    training): `[len(text), n_labels]`. Texts longer than the model's longest sequence are
    an error, as they are for the pipeline.

    The whole text is one window, as in the pipeline: the same characters with the same
    positions, so both compute the same logits, and the same softmax gives the same
    probabilities. A text already capitalized is lower-cased here, so the model never sees
    the answer.
    """
    text = lower_case(text)
    # A character outside the pre-training vocabulary has no id and no embedding: an error
    unknown = vocabulary.unknown_chars(text)
    if unknown:
        raise UserError(f"the text has characters the model does not know: {unknown!r}")
    # The position table has `max_len` rows; there is no position to give a longer text
    limit = model.embeddings.max_len
    if len(text) > limit:
        raise UserError(f"the text has {len(text)} characters; the model reads at most {limit}")
    logits = model(vocabulary.encode(text)[None])[0]  # [len(text), n_labels]
    return logits.softmax(-1)


def restore(text: str, probabilities: torch.Tensor) -> str:
    r"""
    The text with a capital wherever `CAPITAL` is the more likely label. Upper-casing a
    character that is not a letter leaves it as it is, so no position needs to be excluded.
    """
    capital = (probabilities.argmax(-1) == CAPITAL).tolist()
    return ''.join(ch.upper() if up else ch for ch, up in zip(lower_case(text), capital))


def export(checkpoint_path: Path, out: Path, force: bool = False) -> Path:
    r"""
    ## From a checkpoint to a folder

    The MLM exporter's writer, with our remote code (model type, wrappers, labels). The weights
    are stored as they trained (float32), under `classifier.`, the attribute that holds our
    model inside the wrapper; the card records which masked language model the encoder started
    from, and the run's last held-out scores.
    """
    extras.require(('safetensors', 'huggingface_hub'), 'exporting', 'export')
    model, vocabulary, state, checkpoint_path = load_run(str(checkpoint_path))
    start = resumed_start(state)
    # Refused before anything is written: a non-empty folder without `--force`, and (even
    # with it) the folder that holds the run's own checkpoint
    mlm_export.check_out(out, force, checkpoint_path)
    last = state['curve'][-1] if state['curve'] else {}
    training = {'run_uuid': run_uuid_of(checkpoint_path), 'data': data_name(state['data']), 'step': state['step'],
                'encoder_from': start.source, 'valid_accuracy': last.get('valid_accuracy'),
                'valid_macro_f1': last.get('valid_macro_f1'), 'configs': state['configs']}
    model_configs = dataclasses.asdict(start.model_configs)
    config = {**mlm_export.hf_config(CODE, vocabulary, start.max_len, model_configs, training),
              'id2label': {str(i): label for i, label in enumerate(LABELS)},
              'label2id': {label: i for i, label in enumerate(LABELS)}}
    card = (f"---\nlibrary_name: transformers\npipeline_tag: token-classification\ntags: [labml_nn, custom_code]\n---\n\n"
            f"# Restoring capitals in lower-cased Shakespeare\n\nA character-level encoder pre-trained as a masked "
            f"language model ({start.source}) and fine-tuned for {state['step']:,} steps to mark the letters that "
            f"should be capitals. Held-out accuracy {last.get('valid_accuracy', float('nan')):.3f}, macro-F1 "
            f"{last.get('valid_macro_f1', float('nan')):.3f}. Load it with `pipeline('token-classification', "
            f"model=<this folder>, trust_remote_code=True)`; it was written by labml_nn's "
            f"`labml_nn/transformers/mlm_fine_tuning/export.py`.\n")
    return mlm_export.write_export(out, CODE, config, vocabulary, mlm_export.weights_of(model, prefix=PREFIX), card,
                                   force=force)


def main(argv: Optional[List[str]] = None) -> None:
    r"""
    The command line: texts to restore, or `--out` to export, or both. Every mistake (no such
    run, a text too long or with characters the model does not know, a folder that is not
    empty) is one line on stderr and exit status 2, and nothing of the user's is overwritten.
    """
    parser = cli.ArgumentParser(prog='python -m labml_nn.transformers.mlm_fine_tuning.export',
                                description='Restore capitals with a fine-tuned run, or export it for transformers.')
    parser.add_argument('--checkpoint', required=True, help='the fine-tuning run: its uuid, folder or checkpoint file')
    parser.add_argument('--out', help='write a Hugging Face-style folder here (new or empty)')
    parser.add_argument('--force', action='store_true', help='replace the --out folder if it is not empty')
    parser.add_argument('texts', nargs='*', help='texts to put the capitals back into')

    def body() -> None:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        if not args.out and not args.texts:
            raise UserError("give texts to restore, or --out FOLDER to export the run")
        model, vocabulary, _, path = load_run(args.checkpoint)
        for text in args.texts:
            print(restore(text, predict(model, vocabulary, text)))
        if args.out:
            out = export(path, Path(args.out).expanduser(), force=args.force)
            print(f"wrote {out}: {', '.join(sorted(f.name for f in out.iterdir()))}")
    cli.run_command(body)


if __name__ == '__main__':
    main()
