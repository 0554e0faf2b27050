"""
## Try it: one line, masked

The masking above, applied to one line. Every character it chooses is listed with what became
of it: hidden behind `[MASK]`, swapped for a random character, or left as it was (and still to
be predicted). Change the seed or the probabilities in `MaskingConfigs` and run it again.
"""
from labml_nn.transformers.mlm.data import CharVocabulary

line = 'Before we proceed any further, hear me speak.'
vocabulary = CharVocabulary.from_text(line)
masking = MLM.from_configs(MaskingConfigs(), vocabulary)
ids = vocabulary.encode(line)[None]  # [1, len(line)]
masked, labels = masking(ids, generator=torch.Generator().manual_seed(14))

print(f"{'position':>8}  {'character':9}  what became of it")
for i, (shown, label) in enumerate(zip(masked[0].tolist(), labels[0].tolist())):
    if label == vocabulary.padding_token:
        continue  # not chosen: the model sees it and is not asked about it
    if shown == vocabulary.mask_token:
        fate = 'hidden behind [MASK]'
    elif shown != label:
        fate = f'replaced by {vocabulary.decode_token(shown)!r}'
    else:
        fate = 'left as it was, still predicted'
    print(f'{i:8d}  {line[i]!r:9}  {fate}')
print('\nthe model sees:', ''.join('_' if t == vocabulary.mask_token else vocabulary.decode_token(t)
                                   for t in masked[0].tolist()))
