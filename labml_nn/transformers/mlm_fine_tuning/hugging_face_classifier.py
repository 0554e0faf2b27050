r"""
---
title: Hugging Face wrappers for the token classifier - AutoModelForTokenClassification and the pipeline
summary: A config and a PreTrainedModel around our token classifier, so that an export folder loads with transformers' token-classification pipeline; the tokenizer is the masked language model's.
---

# The classifier, as `transformers` sees it

```python
from transformers import pipeline
capitals = pipeline('token-classification', model='path/to/export', trust_remote_code=True)
capitals('o romeo, romeo! wherefore art thou romeo?')
```

The same arrangement as the masked language model's [wrappers](../mlm_tools/hugging_face.html):
the [exporter](export.html) copies this file into the folder with every module it imports,
the [classifier](classifier.html), the lesson's [model](../mlm/model.html) and the encoder's
modules, and makes their imports relative. The tokenizer is the masked language model's
`CharTokenizer`: one token per character, no `[CLS]` or `[SEP]`.

The pipeline answers one entry per character whose most likely label is not `O`: here, each
letter that should be a capital, with its index in the text and the probability. Its
`start` and `end` are `None`, because a Python tokenizer reports no character offsets; with
one token per character, `index` is the offset.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from labml_nn.transformers.mlm.model import ModelConfigs
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier

# Imported so that the exporter copies the tokenizer's module into the folder too
from labml_nn.transformers.mlm_tools.hugging_face import CharTokenizer, LabmlMLMConfig  # noqa: F401

# The name `transformers` files our classes under, in `config.json`'s `model_type`
MODEL_TYPE = 'labml_nn_token_classifier'


class LabmlTokenClassifierConfig(LabmlMLMConfig):
    r"""
    ## `config.json`

    The masked language model's (its vocabulary size, longest sequence and model configs), plus
    the labels: the id-to-label and label-to-id maps, which `PretrainedConfig` keeps itself and
    from which it counts the labels. Only the `model_type` differs.
    """
    model_type = MODEL_TYPE


class LabmlForTokenClassification(PreTrainedModel):
    r"""
    ## The model

    One `TokenClassifier` as `self.classifier` (its weights are stored under `classifier.…`),
    returning a `TokenClassifierOutput`. It is built from the configs by the same
    `TokenClassifier.from_configs` as in our code, so the exported model is ours, bit for bit.
    """
    config_class = LabmlTokenClassifierConfig
    base_model_prefix = 'classifier'
    main_input_name = 'input_ids'

    def __init__(self, config: LabmlTokenClassifierConfig):
        super().__init__(config)
        self.classifier = TokenClassifier.from_configs(ModelConfigs(**config.model_configs), config.vocab_size,
                                                       config.max_position_embeddings, config.num_labels)
        self.post_init()

    def get_input_embeddings(self) -> torch.nn.Module:
        r"""The token embedding table, `[vocab_size, d_model]`, which `transformers` asks for by this name."""
        return self.classifier.embeddings.tokens

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None, return_dict: Optional[bool] = None,
                **kwargs) -> TokenClassifierOutput:
        r"""
        `input_ids` and `attention_mask` are `[batch_size, seq_len]`; `labels` too, with $-100$
        where nothing is scored. Padding is hidden as a key, as in the masked language model's
        wrapper, and a mask that hides nothing is left out.
        """
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :]  # [batch_size, 1, 1, seq_len]
        logits = self.classifier(input_ids, mask)  # [batch_size, seq_len, num_labels]
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.flatten(0, -2), labels.flatten(), ignore_index=-100)
        if return_dict is False:
            return tuple(t for t in (loss, logits) if t is not None)
        return TokenClassifierOutput(loss=loss, logits=logits)
