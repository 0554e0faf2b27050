r"""
---
title: What the heads attend to - attention weights of every layer and head, and the jobs some heads take on
summary: The attention weights of a trained model for a text, computed with the written-out formula, and a small analysis that finds the heads that look at the previous character, the next one, themselves, or the same character elsewhere.
---

# What the heads attend to

```bash
python -m labml_nn.transformers.mlm_tools.attention_maps            # the numbers of this page
python -m labml_nn.transformers.mlm_tools.attention_maps "To be, or not to b[MASK], that is the question"
```

Every head of every layer turns its queries and keys into weights $a_{ij}$, how much
position $i$ reads from position $j$ ([the formula](../mha.html)). The model is fused for
speed and never keeps them; here each `MultiHeadAttention` is asked to keep them, which runs
the written-out `attention_weights` in place of the fused kernel (a test checks that the
model's outputs stay the same). For a text of $n$ characters that gives
`[n_layers, heads, n, n]` numbers: one $n \times n$ map per head, each row summing to one.

## Heads with a job

Nobody tells a head what to do, yet in trained models many heads settle into simple,
recognisable patterns. A character model needs to know its neighbours to spell, so we look
for four of them, and measure each as the **average weight** a head puts, per query, on

* the **previous** character, $a_{i,i-1}$;
* the **next** character, $a_{i,i+1}$;
* **itself**, $a_{i,i}$;
* **the same character elsewhere**, $\sum_{j \ne i,\ x_j = x_i} a_{ij}$, over the queries
  whose character occurs again in the text.

A head that spread its weight evenly would score $1/n$ on the first three. `head_roles`
returns every head's score for each pattern and the head that scores highest. On four
64-character windows of the validation text (`SAMPLE` below), the bundled model's best heads
are (a test checks these lines against the model):

```
previous        layer 1, head 6:  85.5% of its weight (uniform attention: 1.6%)
next            layer 1, head 5:  80.1% of its weight (uniform attention: 1.6%)
self            layer 1, head 8:   7.5% of its weight (uniform attention: 1.6%)
same character  layer 1, head 8:  31.3% of its weight (uniform attention: 7.1%)
```

The first layer holds two **neighbour heads**: head 6 puts most of each position's weight
(85.5%) on the character before it, and head 5 most (80.1%) on the character after it, so
from layer 2 on every position carries copies of its neighbours: what spelling needs. No head
looks at *itself* much (the best, 7.5%): the residual connection already carries each
position's own vector past every layer, so a head that copied it would add nothing. Head 8 of
the first layer leans towards other occurrences of the same character (31.3%, against 7.1% for
even weights), a hint of the "look where this character appeared before" heads of larger
models.
"""

import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch

from labml_nn.helpers import cli
from labml_nn.helpers.cli import UserError
from labml_nn.transformers.mha import keeping_attention_weights
from labml_nn.transformers.mlm.data import MASK, CharVocabulary
from labml_nn.transformers.mlm.model import TransformerMLM
from labml_nn.transformers.mlm_tools.load import load_mlm

# The patterns `head_roles` measures, in the order it reports them
ROLES = ('previous', 'next', 'self', 'same character')
# What the numbers above were measured on: four windows of 64 characters of the validation text
# (the last 10% of Tiny Shakespeare, from its characters 1,000, 30,000, 60,000 and 90,000)
SAMPLE = ['rina, this I know,\nShe is not for your turn, the more my grief.\n',
          ':\nGentlemen, forward to the bridal dinner:\nI see a woman may be ',
          'gin, fair and fresh and sweet,\nWhither away, or where is thy abo',
          'he air with sighs\nIn an odd angle of the isle and sitting,\nHis a']
# The three lines the experiment shows its guesses for as it trains (`sample_lines` of
# [the data](../mlm/data.html), on Tiny Shakespeare with the default `seq_len` of 64), as the model sees
# them; the section below draws their attention. A test checks them against `sample_lines`.
SAMPLE_LINES = ['?\n\nGREMIO:\nGood m[MASK]r[MASK]ow, neigh[MASK]our Baptista.\n\nBAPT[MASK][MASK]TA:[MASK]Good mor[MASK]',
                'tch my supper in.[MASK]Where is[MASK]the[MASK]life [MASK][MASK]at late I led[MASK]-\nWhere ar[MASK] ',
                ' sha[MASK]l not.\n\nPET[MASK][MASK]CHIO:[MASK][MASK] sa[MASK] she s[MASK]a[MASK]l: and fir[MASK]t begin with he']


# ### What the model attends to in the experiment's sample lines
#
# While it trains, the experiment shows [its guesses](../mlm/data.html#live-samples) for
# these three lines. Here is where the bundled model looks in them, for the heads that the
# measurement above names:
#
# <!-- demo: sample attention -->


def encode(text: str, vocabulary: CharVocabulary) -> torch.Tensor:
    r"""Token ids for a text, `[seq_len]`; `[MASK]` may appear in it, but need not."""
    pieces = text.split(MASK)
    unknown = vocabulary.unknown_chars(''.join(pieces))
    if unknown:
        raise UserError(f"the model does not know the character(s) {unknown!r}")
    ids: List[int] = []
    for n, piece in enumerate(pieces):
        if n:
            ids.append(vocabulary.mask_token)
        ids.extend(vocabulary.char_to_id[c] for c in piece)
    return torch.tensor(ids, dtype=torch.long)


@torch.no_grad()
def attention_maps(model: TransformerMLM, ids: torch.Tensor) -> torch.Tensor:
    r"""
    ## Every weight

    `ids` is `[seq_len]` or `[batch_size, seq_len]`; returns the weights of every layer and
    head, `[n_layers, heads, seq_len, seq_len]` (with a batch axis in front when `ids` had one).
    """
    batched = ids.dim() == 2
    model.eval()
    with keeping_attention_weights(model) as kept:
        model(ids if batched else ids[None])
    weights = torch.stack(kept, dim=1)  # [batch_size, n_layers, heads, seq_len, seq_len]
    return weights if batched else weights[0]


@dataclass
class HeadRoles:
    r"""
    For each pattern: every head's score, `[n_layers, heads]`; the best head, as
    `(layer, head, score)` counted from 0; and what uniform attention would score.
    """
    scores: Dict[str, torch.Tensor]
    best: Dict[str, Tuple[int, int, float]]
    uniform: Dict[str, float]


def head_roles(weights: torch.Tensor, ids: torch.Tensor) -> HeadRoles:
    r"""
    ## Finding what the heads do

    `weights` is `[n_layers, heads, seq_len, seq_len]` or `[batch_size, n_layers, heads,
    seq_len, seq_len]`, `ids` the matching `[seq_len]` or `[batch_size, seq_len]`. Each
    score is a mean over all the queries (of every text in the batch) it applies to.
    """
    if weights.dim() == 4:
        weights, ids = weights[None], ids[None]
    batch_size, n_layers, heads, seq_len, _ = weights.shape
    # Move the batch next to the queries: `[n_layers, heads, batch_size, seq_len, seq_len]`
    a = weights.permute(1, 2, 0, 3, 4)
    scores = {
        # $a_{i,i-1}$ for $i \ge 1$ and $a_{i,i+1}$ for $i < n - 1$: the two off-diagonals
        'previous': a.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(-2, -1)),
        'next': a.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(-2, -1)),
        'self': a.diagonal(dim1=-2, dim2=-1).mean(dim=(-2, -1)),
    }
    # Pairs $(i, j)$, $j \ne i$, of the same character: `[batch_size, seq_len, seq_len]`
    same = (ids[:, :, None] == ids[:, None, :]) & ~torch.eye(seq_len, dtype=torch.bool)
    has_twin = same.any(dim=-1)  # [batch_size, seq_len]
    mass = (a * same).sum(dim=-1)  # [n_layers, heads, batch_size, seq_len]
    scores['same character'] = (mass * has_twin).sum(dim=(-2, -1)) / has_twin.sum().clamp(min=1)
    best = {}
    for role, s in scores.items():
        layer, head = divmod(int(s.argmax()), heads)
        best[role] = (layer, head, float(s[layer, head]))
    # Uniform attention puts $1/n$ on every key; on average $(m-1)/n$ on a character's $m - 1$ twins
    twins = (same.sum(dim=-1) * has_twin).sum() / has_twin.sum().clamp(min=1)
    uniform = {'previous': 1 / seq_len, 'next': 1 / seq_len, 'self': 1 / seq_len,
               'same character': float(twins) / seq_len}
    return HeadRoles(scores, best, uniform)


def describe(roles: HeadRoles) -> List[str]:
    r"""One line per pattern: the best head and its score, against uniform attention's."""
    return [f"{role:15s} layer {layer + 1}, head {head + 1}: {score:6.1%} of its weight "
            f"(uniform attention: {roles.uniform[role]:.1%})"
            for role, (layer, head, score) in roles.best.items()]


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    r"""
    Prints which heads look at the previous, next, same or same-character positions of the
    texts given, or of `SAMPLE` (the numbers of this page). `prog` names the command in
    `--help` (by default, the name it was run by).
    """
    parser = cli.ArgumentParser(prog=prog or cli.program_name('labml_nn.transformers.mlm_tools.attention_maps'),
                                description='Which attention heads look at which neighbours, for some texts.')
    parser.add_argument('--checkpoint', help='run uuid, run folder, checkpoint file or export folder '
                                             '(default: the bundled model)')
    parser.add_argument('texts', nargs='*', help="texts of equal length, at most the model's seq_len "
                                                 "characters ([MASK] allowed; default: this page's sample)")

    def body() -> None:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        loaded = load_mlm(args.checkpoint)
        model, vocabulary = loaded.model, loaded.vocabulary
        ids = [encode(text, vocabulary) for text in args.texts or SAMPLE]
        if len({len(i) for i in ids}) != 1 or not 2 <= len(ids[0]) <= model.embeddings.max_len:
            raise UserError(f"give texts of one length, 2 to {model.embeddings.max_len} characters")
        batch = torch.stack(ids)  # [texts, seq_len]
        for line in describe(head_roles(attention_maps(model, batch), batch)):
            print(line)
    cli.run_command(body)


if __name__ == '__main__':
    main()
