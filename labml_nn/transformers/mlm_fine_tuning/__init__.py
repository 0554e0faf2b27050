r"""
---
title: The fine-tuning task - restoring the capitals of lower-cased Shakespeare
summary: A token-classification task built from the corpus we have - every letter labelled capital or not, the text lower-cased - with its split taken from the pre-trained run so that no evaluation character was ever seen in pre-training, and the two scores of the task.
---

# The task: put the capitals back

The input is Tiny Shakespeare with every letter lower-cased; the answer, for every letter, is
whether the original had a capital there. It is **token classification**, the kind of task
BERT's paper fine-tuned for named entities and that "truecasing" tools solve: one label per
token, read from an encoder that sees the whole window on both sides.

```text
input   first citizen:↵before we proceed any further, hear me speak.
labels  C     C       ↵C                                           .
output  First Citizen:↵Before we proceed any further, hear me speak.
```

## Why this task and not "who speaks this line"

A sequence-classification task, such as telling which of the most frequent speakers says a
line, is the other kind a BERT user knows. It fits our split badly: the text the pre-trained
model never saw is the last 10% of the corpus, whose boundary falls inside *The Taming of the
Shrew*, and after it comes another play (Prospero's) whose speakers never speak before it. Of
the 998 speeches in the held-out text only 563 are by speakers who speak before it, all from
the one play the boundary cuts ([counted](../../bench/results/fine_tuning.html)): a speaker
classifier could be trained and evaluated on that one play's characters at most. And our
encoder reads at most 64 characters, often a small part of a speech.

Capitals need no such luck. The labels come from the text itself, every play has them, and
the rules that place them are partly local (the first letter of a verse line, of a sentence,
of "I") and partly need knowledge of the language (names, the upper-case speaker headings,
words of address such as "Lord"). That is what pre-training should buy: the masked language
model has read these names and headings for a quarter of an hour; a model trained from
scratch must learn them from the labels alone.

## The scores

Only letters have a label: a space or a comma has no capital to restore, and scoring it would
reward the model for what it can't get wrong. In the held-out text 12.2% of the letters are
capitals ([counted](../../bench/results/fine_tuning.html)), so a model that never capitalizes
is right 87.8% of the time. Accuracy alone flatters that, so we also report the task's usual
second score, the **macro-F1**: the F1 score of each class, averaged with equal weight. The
majority baseline's macro-F1 is below 0.5, since its F1 for capitals is 0.

$$F_1 = \frac{2 \cdot \text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}
\qquad \text{macro-}F_1 = \tfrac12 \big(F_1^{\text{lower}} + F_1^{\text{capital}}\big)$$
"""

from dataclasses import dataclass
from typing import Dict, Tuple

import torch

from labml_nn.transformers.mlm.data import CharVocabulary

# The two labels, in the order of the classifier's outputs. `O` ("outside") is the label that
# Hugging Face's token-classification pipeline leaves out of its answer by default.
LABELS = ('O', 'CAPITAL')
LOWER, CAPITAL = 0, 1
# The label of a position that is not scored (a space, a digit, punctuation): PyTorch's
# `cross_entropy` skips it with `ignore_index`, and so does `transformers`
IGNORE = -100


def labels_of(text: str) -> torch.Tensor:
    r"""
    ## Labels from the text

    One label per character of `text`: `CAPITAL` for an upper-case letter, `LOWER` for a
    lower-case one, `IGNORE` for anything else. Returns `[len(text)]`.
    """
    # Each distinct character is classified once, and the text's code points index the answers
    codes = torch.frombuffer(bytearray(text.encode('utf-32-le')), dtype=torch.int32).long()  # [len(text)]
    distinct, where = torch.unique(codes, return_inverse=True)
    label = [CAPITAL if chr(c).isupper() else LOWER if chr(c).islower() else IGNORE for c in distinct.tolist()]
    return torch.tensor(label, dtype=torch.long)[where]


def lower_case(text: str) -> str:
    r"""
    The model's input. Every character keeps its place: `str.lower` could change the length of
    a few non-ASCII letters (the German ß upper-cases to two), so we lower-case each character
    on its own and keep the original where its lower case is not one character.
    """
    lowered = text.lower()
    # No character grows when lowered (the common case, and all of Tiny Shakespeare): done
    if len(lowered) == len(text):
        return lowered
    return ''.join(low if len(low := ch.lower()) == 1 else ch for ch in text)


@dataclass
class TaskSplit:
    r"""
    ## The split, and why nothing leaks

    `train_ids`/`train_labels` and `valid_ids`/`valid_labels` are `[n]` tensors of the
    lower-cased text's ids and their labels; `boundary` is the first character of the held-out
    part. The boundary is **the pre-trained run's own**: the masked language model's
    experiment trained on the first $1 - $ `valid_fraction` of the corpus's characters and
    validated on the rest ([its split](../mlm/data.html)); we read `valid_fraction` from the
    checkpoint or export we start from, and cut at the same character. Fine-tuning trains on
    text the encoder has read (as BERT fine-tunes on text its pre-training may have seen), and
    every window we evaluate lies entirely after the boundary, in text neither the encoder nor
    the classifier ever trained on. The tests check both halves of that claim.
    """
    train_ids: torch.Tensor
    train_labels: torch.Tensor
    valid_ids: torch.Tensor
    valid_labels: torch.Tensor
    boundary: int


def split_task(text: str, vocabulary: CharVocabulary, valid_fraction: float) -> TaskSplit:
    r"""The task's tensors for a corpus, cut where the pre-trained run cut it."""
    # The same arithmetic as the lesson's `split`, on characters (one id per character)
    boundary = int(len(text) * (1 - valid_fraction))
    ids = vocabulary.encode(lower_case(text))  # [len(text)]
    labels = labels_of(text)  # [len(text)]
    return TaskSplit(ids[:boundary], labels[:boundary], ids[boundary:], labels[boundary:], boundary)


def random_windows(ids: torch.Tensor, labels: torch.Tensor, batch_size: int, seq_len: int,
                   generator: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""
    ## Training batches

    `batch_size` windows of `seq_len` characters at random offsets, and their labels, as in
    the [lesson](../mlm/data.html): the generator's state is the data loader's whole state,
    which makes resuming exact. Returns two `[batch_size, seq_len]` tensors.
    """
    starts = torch.randint(0, len(ids) - seq_len + 1, (batch_size,), generator=generator)
    index = starts[:, None] + torch.arange(seq_len)  # [batch_size, seq_len]
    return ids[index], labels[index]


def evaluation_windows(ids: torch.Tensor, labels: torch.Tensor, count: int,
                       seq_len: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""
    ## The evaluation set

    `count` windows that do not overlap, spread evenly over the held-out text (all of them when
    it has fewer), the same in every run and for every setting: no generator is involved.
    Returns the ids and labels, `[count, seq_len]`, and each window's start in the held-out
    text, `[count]`.
    """
    tiles = len(ids) // seq_len
    starts = torch.linspace(0, tiles - 1, min(count, tiles)).round().long().unique() * seq_len  # [count]
    index = starts[:, None] + torch.arange(seq_len)  # [count, seq_len]
    return ids[index], labels[index], starts


def confusion(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    r"""
    The $2 \times 2$ counts `[true label, predicted label]` over the scored positions; any
    shape, the same for both. Counts add up across batches, and the scores come from them.
    """
    scored = labels != IGNORE
    return torch.bincount(labels[scored] * 2 + predictions[scored], minlength=4).reshape(2, 2)


def scores(counts: torch.Tensor) -> Dict[str, float]:
    r"""
    ## Accuracy and macro-F1 from the counts

    Per class, $F_1 = 2\,\text{tp} / (2\,\text{tp} + \text{fp} + \text{fn})$, which is the
    formula above written in counts (0 for a class that is never predicted and never true).
    """
    counts = counts.double()
    true_positives = counts.diagonal()  # [2]
    predicted, actual = counts.sum(0), counts.sum(1)  # [2], [2]
    f1 = 2 * true_positives / (predicted + actual).clamp(min=1)
    return {'accuracy': float(true_positives.sum() / counts.sum().clamp(min=1)),
            'macro_f1': float(f1.mean()), 'capital_f1': float(f1[CAPITAL])}


def majority_baseline(labels: torch.Tensor) -> Dict[str, float]:
    r"""The scores of a model that always answers the commoner class (here: never a capital)."""
    scored = labels[labels != IGNORE]
    common = int(torch.bincount(scored, minlength=2).argmax())
    return scores(confusion(torch.full_like(labels, common), labels))
