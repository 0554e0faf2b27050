"""Masking, exercise 2: never choose a space or a line break."""
from labml_nn.transformers.mlm import MLM, MaskingConfigs


def masking_without_spaces(vocabulary, c: MaskingConfigs = MaskingConfigs()) -> MLM:
    r"""The masking of `c` for `vocabulary`, with `' '` and `'\n'` protected (when the
    vocabulary has them), so that the model is only ever asked for letters and punctuation."""
    spaces = [vocabulary.char_to_id[ch] for ch in (' ', '\n') if ch in vocabulary.char_to_id]
    return MLM(padding_token=vocabulary.padding_token, mask_token=vocabulary.mask_token,
               no_mask_tokens=spaces, n_tokens=len(vocabulary), **vars(c))
