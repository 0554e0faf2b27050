"""The lesson (readme), exercise 3: text from a model that only fills gaps."""
from labml_nn.transformers.mlm_tools.fill import fill_mask


def generate(model, vocabulary, prompt: str, n: int) -> str:
    r"""Appends `n` characters to `prompt`, one at a time: each is the model's top guess for a
    `[MASK]` put at the end (reading at most the model's `max_len` characters)."""
    text = prompt
    max_len = model.embeddings.max_len
    for _ in range(n):
        context = text[-(max_len - 1):]
        best = fill_mask(model, vocabulary, context + '[MASK]', top_k=1)[0][0]
        text += best.token_str
    return text
