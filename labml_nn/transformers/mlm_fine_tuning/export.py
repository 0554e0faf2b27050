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
"""

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch

from labml_nn.helpers import checkpoint, cli, tracking
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mlm.data import CharVocabulary
from labml_nn.transformers.mlm_fine_tuning import CAPITAL, LABELS, lower_case
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier
from labml_nn.transformers.mlm_fine_tuning.experiment import CHECKPOINTS, resumed_start
from labml_nn.transformers.mlm_tools import export as mlm_export

# The wrappers' module, the root of the copied source
WRAPPERS = 'labml_nn.transformers.mlm_fine_tuning.hugging_face_classifier'
MODEL_TYPE = 'labml_nn_token_classifier'
PREFIX = 'classifier.'


def load_run(where: str) -> Tuple[TokenClassifier, CharVocabulary, Dict[str, Any], Path]:
    r"""A fine-tuning run's model (eval mode), vocabulary and checkpoint, from its uuid, folder or file."""
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
    """
    text = lower_case(text)
    unknown = vocabulary.unknown_chars(text)
    if unknown:
        raise UserError(f"the text has characters the model does not know: {unknown!r}")
    limit = model.embeddings.max_len
    if len(text) > limit:
        raise UserError(f"the text has {len(text)} characters; the model reads at most {limit}")
    logits = model(vocabulary.encode(text)[None])[0]  # [len(text), n_labels]
    return logits.softmax(-1)


def restore(text: str, probabilities: torch.Tensor) -> str:
    r"""The text with a capital wherever `CAPITAL` is the more likely label (non-letters stay as they are)."""
    capital = (probabilities.argmax(-1) == CAPITAL).tolist()
    return ''.join(ch.upper() if up else ch for ch, up in zip(lower_case(text), capital))


def export(checkpoint_path: Path, out: Path, force: bool = False) -> Path:
    r"""
    ## From a checkpoint to a folder

    The MLM exporter's config, tokenizer files and source copying, with our model type, labels
    and wrappers.
    """
    mlm_export.require(('safetensors', 'huggingface_hub'), 'exporting')
    state = checkpoint.load(checkpoint_path, CHECKPOINTS, '--checkpoint')
    start = resumed_start(state)
    model, vocabulary, _, _ = load_run(str(checkpoint_path))
    mlm_export.check_out(out, force)
    if out.resolve() in checkpoint_path.resolve().parents:
        raise UserError(f"--out {out}: holds the checkpoint being exported; give another folder")
    last = state['curve'][-1] if state['curve'] else {}
    run_uuid = checkpoint_path.parent.name if re.fullmatch(r'[0-9a-f]{32}', checkpoint_path.parent.name) else None
    training = {'run_uuid': run_uuid, 'data': mlm_export.data_name(state['data']), 'step': state['step'],
                'encoder_from': start.source, 'valid_accuracy': last.get('valid_accuracy'),
                'valid_macro_f1': last.get('valid_macro_f1'), 'configs': state['configs']}
    config = mlm_export.hf_config(vocabulary, start.max_len, dataclasses.asdict(start.model_configs),
                                  training)
    module = WRAPPERS.rsplit('.', 1)[-1]
    config.update(model_type=MODEL_TYPE, architectures=['LabmlForTokenClassification'],
                  auto_map={'AutoConfig': f'{module}.LabmlTokenClassifierConfig',
                            'AutoModelForTokenClassification': f'{module}.LabmlForTokenClassification'},
                  id2label={str(i): label for i, label in enumerate(LABELS)},
                  label2id={label: i for i, label in enumerate(LABELS)})
    from safetensors.torch import save
    weights = {PREFIX + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    card = (f"---\nlibrary_name: transformers\npipeline_tag: token-classification\ntags: [labml_nn, custom_code]\n---\n\n"
            f"# Restoring capitals in lower-cased Shakespeare\n\nA character-level encoder pre-trained as a masked "
            f"language model ({start.source}) and fine-tuned for {state['step']:,} steps to mark the letters that "
            f"should be capitals. Held-out accuracy {last.get('valid_accuracy', float('nan')):.3f}, macro-F1 "
            f"{last.get('valid_macro_f1', float('nan')):.3f}. Load it with `pipeline('token-classification', "
            f"model=<this folder>, trust_remote_code=True)`; it was written by labml_nn's "
            f"`labml_nn/transformers/mlm_fine_tuning/export.py`.\n")
    files: Dict[str, Any] = {mlm_export.CONFIG: config, **mlm_export.tokenizer_files(vocabulary, start.max_len),
                             mlm_export.WEIGHTS: save(weights, metadata={'format': 'pt'}), mlm_export.CARD: card,
                             **mlm_export.model_sources(WRAPPERS)}
    mlm_export.write_folder(out, files, force)
    return out


def main(argv: Optional[List[str]] = None) -> None:
    r"""The command line: texts to restore, or `--out` to export; mistakes are one line and exit 2."""
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
