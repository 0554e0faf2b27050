r"""
---
title: Fill-mask - asking a trained model for the hidden characters
summary: Load a checkpoint safely and print the most likely characters, with their probabilities, for every [MASK] in a text.
---

# Fill-mask

```bash
python -m labml_nn.transformers.mlm.fill --checkpoint logs/mlm/<run uuid>/checkpoint.pt \
    "To be, or not to b[MASK], that is the qu[MASK]stion"
```

Each `[MASK]` stands for one hidden character. The model reads the whole text at once,
both sides of every gap, and for each `[MASK]` we print its top-$k$ characters with the
probability the softmax gives them, much like the fill-mask pipeline of Hugging Face's
`transformers`. Gaps are filled *independently*: each guess sees the other gaps as
`[MASK]`, not as the other guesses.

The checkpoint is read with `torch.load(weights_only=True)`, which accepts only tensors,
numbers, strings and containers, so a checkpoint from somewhere else cannot run code.
Its vocabulary tells which characters the model knows; any other character in the text is
an error, since the model has no vector for it.
"""

import re
import sys
from pathlib import Path
from typing import List, Optional, Tuple

import torch

from labml_nn.helpers import checkpoint, cli
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mlm.data import MASK, CharVocabulary
from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM


def encode_with_masks(text: str, vocabulary: CharVocabulary) -> torch.Tensor:
    r"""
    Token ids for `text` where every `[MASK]` becomes the mask token, `[seq_len]`.
    """
    if MASK not in text:
        raise UserError(f"the text has no {MASK}; put {MASK} where a character is hidden, "
                         f"e.g. \"to b{MASK} or not\"")
    # `re.split` with a group keeps the separators: ['to b', '[MASK]', ' or not']
    pieces = re.split(f'({re.escape(MASK)})', text)
    unknown = vocabulary.unknown_chars(''.join(p for p in pieces if p != MASK))
    if unknown:
        raise UserError(f"the model does not know the character(s) {unknown!r}; "
                         f"it was trained on: {vocabulary.chars!r}")
    ids = []
    for piece in pieces:
        if piece == MASK:
            ids.append(vocabulary.mask_token)
        else:
            ids.extend(vocabulary.char_to_id[c] for c in piece)
    return torch.tensor(ids, dtype=torch.long)


def load_model(checkpoint_path: Path) -> Tuple[TransformerMLM, CharVocabulary]:
    r"""Rebuilds the model from a checkpoint's configs and loads its weights."""
    state = checkpoint.load(checkpoint_path, '--checkpoint')
    configs = checkpoint.configs_of(state)
    vocabulary = CharVocabulary(state['vocabulary'])
    model = TransformerMLM.from_configs(cli.build(ModelConfigs, configs, 'model.'), len(vocabulary), configs['seq_len'])
    model.load_state_dict(state['model'])
    model.eval()
    return model, vocabulary


@torch.no_grad()
def fill_mask(model: TransformerMLM, vocabulary: CharVocabulary, text: str,
              top_k: int = 5) -> List[List[Tuple[str, float]]]:
    r"""
    For each `[MASK]` in `text`, in order, the `top_k` most likely characters and their
    probabilities.
    """
    ids = encode_with_masks(text, vocabulary)
    max_len = model.embeddings.max_len
    if len(ids) > max_len:
        raise UserError(f"the text is {len(ids)} characters long; this model reads at most "
                         f"{max_len} (its seq_len)")
    logits = model(ids[None])[0]  # [seq_len, n_tokens]
    # The special tokens are never an answer: only real characters compete
    logits[:, [vocabulary.padding_token, vocabulary.mask_token]] = float('-inf')
    probabilities = logits.softmax(dim=-1)  # [seq_len, n_tokens]
    results = []
    for position in (ids == vocabulary.mask_token).nonzero().squeeze(1).tolist():
        p, tokens = probabilities[position].topk(min(top_k, len(vocabulary.chars)))
        results.append([(vocabulary.decode_token(t), float(q)) for q, t in zip(p.tolist(), tokens.tolist())])
    return results


def main(argv: Optional[List[str]] = None) -> None:
    r"""The command line; each expected failure is one line on stderr and exit status 2."""
    parser = cli.ArgumentParser(prog='python -m labml_nn.transformers.mlm.fill',
                                description='Print the most likely characters for each [MASK] in a text.')
    parser.add_argument('--checkpoint', required=True,
                        help='checkpoint file, run folder or run uuid of a trained model')
    parser.add_argument('--top-k', type=int, default=5, help='characters to show per [MASK] (default 5)')
    parser.add_argument('text', help='the text; each [MASK] hides one character')

    def body() -> None:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        if args.top_k < 1:
            raise UserError(f"--top-k {args.top_k}: must be at least 1")
        model, vocabulary = load_model(checkpoint.find(args.checkpoint, Path.cwd() / 'logs', '--checkpoint'))
        # One block per [MASK]: where it is, then its candidates, most likely first
        for n, candidates in enumerate(fill_mask(model, vocabulary, args.text, args.top_k), 1):
            print(f"[MASK] {n}:")
            for char, p in candidates:
                print(f"  {char!r:8} {p:7.2%}")
    cli.run_command(body)


if __name__ == '__main__':
    main()
