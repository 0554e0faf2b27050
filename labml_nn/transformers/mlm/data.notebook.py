"""
## Try it: from text to windows

A few lines become a vocabulary, ids, a training and a held-out part, and a batch of random
windows, decoded back to text so you can see what the model will read.
"""
import torch

text = ('First Citizen:\nBefore we proceed any further, hear me speak.\n\n'
        'All:\nSpeak, speak.\n\n'
        'First Citizen:\nYou are all resolved rather to die than to famish?\n')
vocabulary = CharVocabulary.from_text(text)
ids = vocabulary.encode(text)  # [len(text)]
specials = [vocabulary.decode_token(i) for i in range(2)]
print(f'{len(vocabulary)} tokens:', specials, 'then', repr(vocabulary.chars))
train_ids, valid_ids = split(ids, 0.1)
print(f'{len(train_ids)} characters to train on, {len(valid_ids)} held out')
windows = random_windows(train_ids, 3, 24, torch.Generator().manual_seed(0))  # [3, 24]
for row in windows.tolist():
    print(repr(''.join(vocabulary.decode_token(t) for t in row)))
