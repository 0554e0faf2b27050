"""
## Try it: a trained model fills the gaps

The model this chapter builds, trained with its default recipe, ships with the package. Hide
characters with `[MASK]` and it guesses each one from both sides of the gap. Change the line,
or move the gaps, and run the cell again.
"""
from labml_nn.transformers.mlm_tools.fill import fill_mask, load_model

model, vocabulary = load_model(None)
line = 'To be, or not to b[MASK], that is the qu[MASK]stion'
print(line)
for gap, guesses in enumerate(fill_mask(model, vocabulary, line, top_k=3), 1):
    print(f'gap {gap}:', '  '.join(f'{g.token_str!r} {g.score:.0%}' for g in guesses))
