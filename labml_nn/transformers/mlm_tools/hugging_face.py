r"""
---
title: Hugging Face wrappers - our model behind AutoModelForMaskedLM, AutoTokenizer and pipeline
summary: A PreTrainedConfig, a PreTrainedModel and a character PreTrainedTokenizer around our own model source, so that an export folder loads with transformers' auto classes and fill-mask pipeline.
---

# Our model, as Hugging Face's `transformers` sees it

```python
from transformers import pipeline

fill = pipeline('fill-mask', model='path/to/export', trust_remote_code=True)
fill('To be, or not to b[MASK], that is the question')
```

`transformers` loads a model it does not know from *remote code*: Python files that sit in
the model's folder (or Hub repository), named by an `auto_map` in `config.json`. With
`trust_remote_code=True` it copies them into its module cache and imports them. Relative
imports between the files of the folder work, so the [exporter](export.html) copies
**our own model source** into the folder, this module included, and rewrites each
`from labml_nn.… import` into a relative import. The folder then holds:

* `model.py`, `embeddings.py`, `mha.py`, `models.py`, `feed_forward.py`, `dropout.py`,
  `ranges.py`: the [model](../mlm/model.html) exactly as this site shows it; the architecture is
  written once, here in the package, and an export carries the version that wrote it;
* `hugging_face.py`, this file: three thin wrappers that adapt it to `transformers`.

## Three classes

* `LabmlMLMConfig` is the `config.json`: the vocabulary size, the longest sequence and
  `model_configs`, the model's [configs](../mlm/model.html) as the experiment recorded
  them (`d_model`, `n_layers`, …). The model is built by the same `TransformerMLM.from_configs`
  that the experiment calls, so a config added to the model travels through `config.json`
  without being named here.
* `LabmlMLMForMaskedLM` holds one `TransformerMLM` as `self.mlm` (its weights are stored
  under `mlm.…` in `model.safetensors`) and returns a `MaskedLMOutput`: the logits, the loss
  when `labels` are given (with `transformers`' convention: $-100$ marks a position
  without a label), and the attention weights of every layer when asked for
  `output_attentions`.
* `CharTokenizer` is a character tokenizer: one token per character, `[PAD]` and `[MASK]`
  as special tokens with ids 0 and 1, and no `[CLS]` or `[SEP]`: our model was trained
  without them.

## Never `[PAD]`, never `[MASK]`

Our [fill-mask](fill.html) never answers `[PAD]` or `[MASK]`: neither is ever a label, so
only the characters compete in the softmax. `transformers`' pipeline takes the softmax over
the whole vocabulary. So that both give the same probabilities, the wrapper hands out
logits of $-\infty$ for the two special tokens; every other logit is our model's own, bit for
bit (a test checks both, and that the pipeline agrees with `fill --json`).

## What works, and what does not

Tested: `AutoConfig`, `AutoModelForMaskedLM`, `AutoTokenizer` and `pipeline('fill-mask')` with
`top_k`, `targets`, lists of texts and padded batches (`batch_size`), offline
(`HF_HUB_OFFLINE=1`) and without this package installed; `output_attentions=True`; and
`save_pretrained`, whose folder (it copies these source files too) our
[`load_mlm`](load.html) reads back. Not there: a *fast* tokenizer (`AutoTokenizer`
gives this Python one), an `[UNK]` token (a character the model never saw is an error),
`[CLS]`/`[SEP]` and `token_type_ids`, texts longer than `max_position_embeddings` (an error;
`tokenizer_kwargs={'truncation': True}` cuts them), `output_hidden_states` (ignored),
`resize_token_embeddings`, gradient checkpointing and `attn_implementation` (our attention
is PyTorch's fused kernel, always).
"""

import json
import os
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizer
from transformers.modeling_outputs import MaskedLMOutput

from labml_nn.transformers.mha import keeping_attention_weights
from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM

# The name `transformers` files our classes under, in `config.json`'s `model_type`
MODEL_TYPE = 'labml_nn_mlm'
# The tokenizer's vocabulary file: `{token: id}`
VOCAB_FILE = 'vocab.json'


class LabmlMLMConfig(PretrainedConfig):
    r"""
    ## `config.json`

    `vocab_size` counts the special tokens too; `max_position_embeddings` is the longest
    sequence (the experiment's `seq_len`); `model_configs` the model's configs by name.
    """
    model_type = MODEL_TYPE

    def __init__(self, vocab_size: int = 2, max_position_embeddings: int = 64,
                 model_configs: Optional[Dict] = None, pad_token_id: int = 0, mask_token_id: int = 1, **kwargs):
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.model_configs = dict(model_configs or {})
        self.pad_token_id = pad_token_id
        self.mask_token_id = mask_token_id
        # Our output layer is our own business: `transformers` must not tie it to anything
        kwargs['tie_word_embeddings'] = False
        super().__init__(**kwargs)


class LabmlMLMForMaskedLM(PreTrainedModel):
    r"""
    ## The model

    Built from the configs by `TransformerMLM.from_configs`, like a run of the experiment.
    """
    config_class = LabmlMLMConfig
    base_model_prefix = 'mlm'
    main_input_name = 'input_ids'

    def __init__(self, config: LabmlMLMConfig):
        super().__init__(config)
        self.mlm = TransformerMLM.from_configs(ModelConfigs(**config.model_configs), config.vocab_size,
                                               config.max_position_embeddings)
        self.post_init()

    def get_input_embeddings(self) -> torch.nn.Module:
        r"""The token embedding table, `[vocab_size, d_model]`."""
        return self.mlm.embeddings.tokens

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None, output_attentions: Optional[bool] = None,
                return_dict: Optional[bool] = None, **kwargs) -> MaskedLMOutput:
        r"""
        `input_ids` and `attention_mask` are `[batch_size, seq_len]` (the mask: 1 for a real
        token, 0 for padding); `labels` too, with $-100$ where there is nothing to predict.
        """
        # Padding is hidden as a *key*: no position attends to it. A mask that hides nothing
        # is left out, so the model runs exactly as it does in our code.
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :]  # [batch_size, 1, 1, seq_len]
        if output_attentions is None:
            output_attentions = self.config.output_attentions
        if output_attentions:
            with keeping_attention_weights(self.mlm) as kept:
                logits = self.mlm(input_ids, mask=mask)  # [batch_size, seq_len, vocab_size]
            attentions = tuple(kept)  # each [batch_size, heads, seq_len, seq_len]
        else:
            logits, attentions = self.mlm(input_ids, mask=mask), None
        # [PAD] and [MASK] are never an answer (see above)
        logits = logits.index_fill(-1, torch.tensor([self.config.pad_token_id, self.config.mask_token_id],
                                                    device=logits.device), float('-inf'))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.flatten(0, -2), labels.flatten(), ignore_index=-100)
        if return_dict is False:
            return tuple(t for t in (loss, logits, attentions) if t is not None)
        return MaskedLMOutput(loss=loss, logits=logits, attentions=attentions)


class CharTokenizer(PreTrainedTokenizer):
    r"""
    ## One token per character

    `vocab_file` is `vocab.json`, `{token: id}` with the special tokens first. A character
    the model was not trained on has no id: there is no `[UNK]`, so tokenizing it is an error
    that names the character.
    """
    vocab_files_names = {'vocab_file': VOCAB_FILE}
    model_input_names = ['input_ids', 'attention_mask']

    def __init__(self, vocab_file: str, pad_token: str = '[PAD]', mask_token: str = '[MASK]', **kwargs):
        with open(vocab_file, encoding='utf-8') as f:
            self.vocab: Dict[str, int] = json.load(f)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        # No [CLS]/[SEP] around a text, and decoding gives the characters back as they were
        kwargs.setdefault('special_tokens_pattern', 'none')
        kwargs.setdefault('clean_up_tokenization_spaces', False)
        super().__init__(pad_token=pad_token, mask_token=mask_token, **kwargs)

    @property
    def vocab_size(self) -> int:
        r"""The number of tokens, `[PAD]` and `[MASK]` included."""
        return len(self.vocab)

    def get_vocab(self) -> Dict[str, int]:
        r"""`{token: id}`, a copy."""
        return dict(self.vocab)

    def _tokenize(self, text: str, **kwargs) -> List[str]:
        # `transformers` has already cut out the special tokens, `[MASK]` among them
        unknown = ''.join(dict.fromkeys(c for c in text if c not in self.vocab))
        if unknown:
            raise ValueError(f"the model does not know the character(s) {unknown!r}")
        return list(text)

    def _convert_token_to_id(self, token: str) -> int:
        return self.vocab[token]

    def _convert_id_to_token(self, index: int) -> str:
        return self.ids_to_tokens[index]

    def convert_tokens_to_string(self, tokens: List[str]) -> str:
        r"""The characters joined as they are: a space is a token like any other."""
        return ''.join(tokens)

    def build_inputs_with_special_tokens(self, token_ids_0: List[int],
                                         token_ids_1: Optional[List[int]] = None) -> List[int]:
        r"""The ids as they are: our model was trained without `[CLS]` or `[SEP]`."""
        return token_ids_0 + (token_ids_1 or [])

    def save_vocabulary(self, save_directory: str, filename_prefix: Optional[str] = None) -> Tuple[str]:
        r"""Writes `vocab.json` into `save_directory`; returns its path."""
        path = os.path.join(save_directory, (filename_prefix + '-' if filename_prefix else '') + VOCAB_FILE)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(self.vocab, f, ensure_ascii=False, indent=1)
        return (path,)
