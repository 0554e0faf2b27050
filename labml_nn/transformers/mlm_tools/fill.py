r"""
---
title: Fill-mask - asking a trained model for the hidden characters
summary: Load a checkpoint or an export folder safely and print the most likely characters for every [MASK] in a text, as text or as the JSON of Hugging Face's fill-mask pipeline; fill several masks independently or one after the other.
---

# Fill-mask

```bash
python -m labml_nn.transformers.mlm_tools.fill "To be, or not to b[MASK], that is the qu[MASK]stion"
python -m labml_nn.transformers.mlm_tools.fill --checkpoint <run uuid or export folder> --json "to b[MASK]"
python -m labml_nn.transformers.mlm_tools.fill --file texts.txt --json --top-k 3 --targets e,a,o
```

Each `[MASK]` stands for one hidden character. The model reads the whole text at once,
both sides of every gap, and for each `[MASK]` we show its top-$k$ characters with the
probability the softmax gives them. Without `--checkpoint` it asks the
[model that ships with the repository](../../bench/default_run.html), the recorded default
run (71.9% of the masked validation characters right; default runs end at 71.1–72.3%, mean 71.8%
over 4 runs with other seeds and thread counts, [recorded](../../bench/results/default_run_spread.html),
so a model you train may guess a little differently); `--checkpoint` takes a run's uuid, its
folder, a `checkpoint.pt`, or an [export folder](export.html), all read by
[`load_mlm`](load.html).

The special tokens are never an answer: `[PAD]` and `[MASK]` are never labels in training,
so only the characters compete in the softmax. `--targets e,a,o` narrows the answers to
those characters (each target must be one character the model knows), and their scores
stay the probabilities of the whole softmax, so they no longer sum to one.

## The pipeline's JSON

`--json` prints what Hugging Face's `pipeline("fill-mask")` returns, so that tools written for
it read ours too (a test checks that the pipeline, loading an export folder, gives the same
tokens and scores):

* for a text with one `[MASK]`, a list of `{"score", "token", "token_str", "sequence"}`, most
  likely first: `token` is the id, `token_str` the character, `sequence` the text with it
  in place;
* for a text with several, one such list per `[MASK]`, in the order of the text; in each
  `sequence` the other gaps still read `[MASK]`;
* for several texts (`--file PATH`, or `--file -` and stdin, one text per line), one of
  the above per text, in a list (even for a file of one line; the pipeline itself returns
  a single text's result bare when given a list of one).

## Independent or one after the other

With several gaps, the model's guesses are **independent**: each is made from the text in
which every other gap is still `[MASK]`. Each guess is the best on its own, and together they
may not fit. The model is asked about each gap with the others unknown, so it hedges, and
two gaps may each pick their best letter for a *different* word.

`--iterative` fills them **one after the other**, the way a person does a crossword:
predict every gap, fill the one the model is most sure of with its top character, predict
the rest again with that character in place, and repeat. Later gaps see the earlier
answers; the cost is one run of the model per gap instead of one in all. Asked about
`"your gr[MASK][MASK]e"`, the bundled model's top guesses are

| | gap 1 | gap 2 | the text |
|---|---|---|---|
| independent | `a` 96% | `t` 39% | `your grate` |
| one after the other | `a` 96% (step 1) | `c` 39% (step 2) | `your grace` |

Both ways the first gap gets `a`. On its own, the second gap must fit `gr??e` without
knowing the letter before it, and no letter is sure: `t` comes out on top with 39%. With the
`a` in place, `gra?e` leaves two words nearly tied, `grace` and `grave`, and `c` comes out
just ahead of `v`. Independent filling gives the best character for each gap *on its own*;
filling one after the other gives a text whose gaps fit each other, what a reader would call
the answer. (The numbers are checked against
the bundled model by a test.)

The checkpoint is read with `torch.load(weights_only=True)`, which accepts only tensors,
numbers, strings and containers, and an export folder's weights are safetensors, so neither
can run code. The model's vocabulary tells which characters it knows; any other character
in the text is an error, since the model has no vector for it.
"""

import dataclasses
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

from labml_nn.helpers import cli
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mlm.data import MASK, CharVocabulary
from labml_nn.transformers.mlm.model import TransformerMLM
from labml_nn.transformers.mlm_tools.load import load_mlm


# ## Try it in your browser
#
# This box runs the bundled model in the page. Type a text with a `[MASK]` for each hidden
# character: each gap's five likeliest characters appear as you type, with the probabilities
# this command prints (a test checks that they are the same). The site's build exported the
# model to ONNX, and ONNX Runtime Web runs it here, in WebAssembly, from this site
# ([how](../../site_demo/fill_mask_demo.html)).
#
# <!-- demo: fill-mask -->
#
# ### What it attends to
#
# Beside the box (below it on a phone) is the attention of one head for the text you typed.
# Row $i$ is character $i$ asking, and the square in column $j$ is the weight it gives
# character $j$,
#
# $$a_{ij} = \frac{\exp(q_i \cdot k_j / \sqrt{d_k})}{\sum_{j'} \exp(q_i \cdot k_{j'} / \sqrt{d_k})},$$
#
# computed by [the written-out attention](../mha.html) inside the exported graph: every row
# sums to 100%. A head that looks one character back draws a line just left of the diagonal,
# one that looks ahead a line just right of it; a head that spreads its weight evenly is a
# pale wash. The gaps' rows show what the model reads to fill them.
#
# Some heads take on a job. Measured on four 64-character windows of the validation text
# ([what the heads attend to](attention_maps.html)), the heads that put the most weight on
# each kind of neighbour are:
#
# <!-- demo: head roles -->
#
# <!-- demo: attention -->


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


def target_ids(targets: Sequence[str], vocabulary: CharVocabulary) -> List[int]:
    r"""The ids of the `--targets` characters, each once; anything else is an error."""
    ids = []
    for t in targets:
        if len(t) != 1:
            raise UserError(f"--targets: {t!r} is not one character; give characters separated by commas, "
                            f"e.g. --targets e,a,o")
        if t not in vocabulary.char_to_id:
            raise UserError(f"--targets: the model does not know the character {t!r}; "
                            f"it was trained on: {vocabulary.chars!r}")
        ids.append(vocabulary.char_to_id[t])
    return list(dict.fromkeys(ids))


@dataclass
class Guess:
    r"""
    One candidate for one `[MASK]`: its token id, character, probability, and the text with it
    in place; when gaps are filled one after the other, also the step that filled its gap (from 1).
    """
    token: int
    token_str: str
    score: float
    sequence: str
    step: Optional[int] = None

    def as_pipeline(self) -> Dict[str, Any]:
        return {'score': self.score, 'token': self.token, 'token_str': self.token_str, 'sequence': self.sequence}


def decode(ids: torch.Tensor, vocabulary: CharVocabulary) -> str:
    return ''.join(vocabulary.decode_token(t) for t in ids.tolist())


@torch.no_grad()
def probabilities(model: TransformerMLM, vocabulary: CharVocabulary, ids: torch.Tensor) -> torch.Tensor:
    r"""
    The model's probabilities at every position, `[seq_len, n_tokens]`, with the special
    tokens out of the competition.
    """
    logits = model(ids[None])[0]  # [seq_len, n_tokens]
    # The special tokens are never an answer: only real characters compete
    logits[:, [vocabulary.padding_token, vocabulary.mask_token]] = float('-inf')
    return logits.softmax(dim=-1)  # [seq_len, n_tokens]


def top_guesses(p: torch.Tensor, ids: torch.Tensor, position: int, vocabulary: CharVocabulary, top_k: int,
                targets: Optional[List[int]]) -> List[Guess]:
    r"""The `top_k` guesses at `position` from its probabilities `p`, `[n_tokens]`, among `targets` if given."""
    candidates = torch.tensor(targets) if targets else torch.arange(2, len(vocabulary))
    scores, chosen = p[candidates].topk(min(top_k, len(candidates)))
    guesses = []
    for score, token in zip(scores.tolist(), candidates[chosen].tolist()):
        filled = ids.clone()
        filled[position] = token
        guesses.append(Guess(token, vocabulary.decode_token(token), score, decode(filled, vocabulary)))
    return guesses


def fill_mask(model: TransformerMLM, vocabulary: CharVocabulary, text: str, top_k: int = 5,
              targets: Optional[List[int]] = None, iterative: bool = False) -> List[List[Guess]]:
    r"""
    ## Filling the gaps

    For each `[MASK]` of `text`, in the order of the text, its `top_k` guesses (among the
    token ids `targets` when given). `iterative` fills the gaps one after the other, most
    confident first; a gap's guesses are then those made when it was filled, and its
    `sequence`s show the gaps filled before it.
    """
    ids = encode_with_masks(text, vocabulary)  # [seq_len]
    max_len = model.embeddings.max_len
    if len(ids) > max_len:
        raise UserError(f"the text is {len(ids)} characters long; this model reads at most "
                        f"{max_len} (its seq_len)")
    masks = (ids == vocabulary.mask_token).nonzero().squeeze(1).tolist()
    if not iterative:
        # One run of the model; every gap sees all the others as [MASK]
        p = probabilities(model, vocabulary, ids)  # [seq_len, n_tokens]
        return [top_guesses(p[i], ids, i, vocabulary, top_k, targets) for i in masks]
    found: Dict[int, List[Guess]] = {}
    while len(found) < len(masks):
        p = probabilities(model, vocabulary, ids)  # [seq_len, n_tokens]
        # Every open gap's guesses; the gap whose best guess is the most probable is filled
        open_gaps = {i: top_guesses(p[i], ids, i, vocabulary, top_k, targets) for i in masks if i not in found}
        best = max(open_gaps, key=lambda i: open_gaps[i][0].score)
        found[best] = [dataclasses.replace(g, step=len(found) + 1) for g in open_gaps[best]]
        ids = ids.clone()
        ids[best] = found[best][0].token
    return [found[i] for i in masks]


def read_texts(args) -> List[str]:
    r"""
    The texts to fill: the argument, or one per line of `--file` (`-` or no argument at all
    with texts piped in: stdin).
    """
    if args.text is not None and args.file is not None:
        raise UserError("give either a text or --file, not both")
    if args.text is not None:
        return [args.text]
    name = args.file or '-'
    if name == '-':
        if args.file is None and sys.stdin.isatty():
            raise UserError(f"give a text with {MASK} in it, --file PATH, or texts on stdin (one per line)")
        content, name = sys.stdin.read(), 'stdin'
    else:
        path = Path(name).expanduser()
        if not path.is_file():
            raise UserError(f"--file {name}: no such file; give a UTF-8 text file with one text per line")
        try:
            content = path.read_bytes().decode('utf-8')
        except UnicodeDecodeError:
            raise UserError(f"--file {name}: not valid UTF-8; give a UTF-8 text file") from None
    # One text per line; the newline at the end of the last line ends it, it starts no new text
    lines = [line.rstrip('\r') for line in content.split('\n')]
    if lines and lines[-1] == '':
        lines.pop()
    if not lines:
        raise UserError(f"--file {name}: the file is empty; give one text with {MASK} per line")
    for n, line in enumerate(lines, 1):
        if not line:
            raise UserError(f"--file {name}: line {n} is empty; give one text with {MASK} per line")
    return lines


def pipeline_json(guesses: List[List[Guess]]) -> Any:
    r"""One text's result in the pipeline's shape: a list for one `[MASK]`, a list of lists for several."""
    rows = [[g.as_pipeline() for g in row] for row in guesses]
    return rows[0] if len(rows) == 1 else rows


def encode_filled(text: str, guesses: List[List[Guess]], vocabulary: CharVocabulary) -> torch.Tensor:
    r"""The text's ids with every `[MASK]` replaced by its top guess."""
    ids = encode_with_masks(text, vocabulary)
    ids[ids == vocabulary.mask_token] = torch.tensor([g[0].token for g in guesses])
    return ids


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    r"""
    The command line; each expected failure is one line on stderr and exit status 2. `prog`
    names the command in `--help` (by default, the name it was run by).
    """
    parser = cli.ArgumentParser(prog=prog or cli.program_name('labml_nn.transformers.mlm_tools.fill'),
                                description='Print the most likely characters for each [MASK] in a text.')
    parser.add_argument('--checkpoint', help='checkpoint file, run folder, run uuid or export folder '
                                             '(default: the model bundled with the repository)')
    parser.add_argument('--top-k', type=int, default=5, help='characters to show per [MASK] (default 5)')
    parser.add_argument('--targets', action='append',
                        help='only these characters, separated by commas (a single , means the comma); may repeat')
    parser.add_argument('--iterative', action='store_true',
                        help='fill the most confident [MASK] first and predict the others again with it in place')
    parser.add_argument('--json', action='store_true', help="print the JSON of Hugging Face's fill-mask pipeline")
    parser.add_argument('--file', help='one text per line ("-": stdin)')
    parser.add_argument('text', nargs='?', help='the text; each [MASK] hides one character')

    def body() -> None:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        if args.top_k < 1:
            raise UserError(f"--top-k {args.top_k}: must be at least 1")
        texts = read_texts(args)
        loaded = load_mlm(args.checkpoint)
        model, vocabulary = loaded.model, loaded.vocabulary
        # A value of one character is that character (so `--targets ,` asks for the comma)
        targets = None
        if args.targets:
            targets = target_ids([t for value in args.targets for t in (value.split(',') if len(value) > 1 else [value])],
                                 vocabulary)
        # Every text is checked before anything is printed
        for n, text in enumerate(texts, 1):
            try:
                encode_with_masks(text, vocabulary)
            except UserError as e:
                raise UserError(f"{'line ' + str(n) + ': ' if len(texts) > 1 or args.file else ''}{e}") from None
        results = [fill_mask(model, vocabulary, text, args.top_k, targets, args.iterative) for text in texts]
        if args.json:
            out = [pipeline_json(r) for r in results]
            print(json.dumps(out if args.text is None else out[0], ensure_ascii=False, indent=1))
            return
        for text, guesses in zip(texts, results):
            if args.text is None:
                print(text)
            # One block per [MASK]: where it is, then its candidates, most likely first
            for n, candidates in enumerate(guesses, 1):
                print(f"[MASK] {n}:" if candidates[0].step is None else f"[MASK] {n} (filled in step {candidates[0].step}):")
                for g in candidates:
                    print(f"  {g.token_str!r:8} {g.score:7.2%}")
            if args.iterative:
                print(f"filled: {decode(encode_filled(text, guesses, vocabulary), vocabulary)}")
    cli.run_command(body)


if __name__ == '__main__':
    main()
