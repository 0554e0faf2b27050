"""
## Try it: an untrained model scores a masked batch

A small model built from the classes above reads a masked batch, scores only the chosen
positions, and gives its loss. Untrained, it knows nothing: its loss is close to the logarithm
of the vocabulary's size, the loss of guessing every character with equal probability.
"""
import math

from labml_nn.transformers.mlm import MLM, MaskingConfigs
from labml_nn.transformers.mlm.data import CharVocabulary

text = 'First Citizen:\nBefore we proceed any further, hear me speak.\n' * 4
vocabulary = CharVocabulary.from_text(text)
torch.manual_seed(0)
small = ModelConfigs(d_model=32, n_layers=2, n_heads=4, d_ff=64)
model = TransformerMLM.from_configs(small, len(vocabulary), max_len=32)
windows = vocabulary.encode(text)[:128].view(4, 32)  # [batch_size, seq_len]
masking = MLM.from_configs(MaskingConfigs(), vocabulary)
masked, labels = masking(windows, generator=torch.Generator().manual_seed(0))
chosen = labels != vocabulary.padding_token  # [batch_size, seq_len]
logits = model(masked, positions=chosen)  # [chosen positions, n_tokens]
loss, correct, total = masked_loss_and_accuracy(logits, labels[chosen], vocabulary.padding_token)
print('input', tuple(masked.shape), '-> logits', tuple(logits.shape), f'({int(total)} chosen)')
uniform = math.log(len(vocabulary))
print(f'loss {loss.item():.3f}; guessing uniformly: ln {len(vocabulary)} = {uniform:.3f}')
