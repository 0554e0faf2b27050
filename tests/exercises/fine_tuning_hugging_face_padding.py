"""The Hugging Face wrappers, exercise 3: texts of different lengths in one padded batch."""
from typing import List

import torch


@torch.no_grad()
def padded_logits(model, ids: List[List[int]], padding_id: int) -> List[torch.Tensor]:
    """Each list of token ids's logits, `[len(its ids), num_labels]`, from one batch padded at
    the end to the longest, with an `attention_mask` that hides the padding."""
    longest = max(len(row) for row in ids)
    input_ids = torch.full((len(ids), longest), padding_id)  # [batch_size, longest]
    attention_mask = torch.zeros(len(ids), longest, dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, :len(row)] = torch.tensor(row)
        attention_mask[i, :len(row)] = 1
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits  # [batch_size, longest, num_labels]
    return [logits[i, :len(row)] for i, row in enumerate(ids)]
