# %% [markdown]
# # The Masked Language Model, hands on
#
# This notebook walks through [the lesson](readme.html) with everything running in front of
# you. Each step is small enough to change and run again:
#
# 1. **Masking** a real line of Shakespeare: which characters are chosen, and what becomes of each.
# 2. **A forward pass**, with the shape of every tensor on the way.
# 3. **A short training run**, reported to labml, and its **loss curve**.
# 4. **Fill-mask** with the model that ships with the package.
# 5. **One attention head** of that model, as a heatmap.
#
# It runs on a laptop CPU (two cores) in under three minutes, top to bottom
# ([the recorded time](../../bench/results/notebook.html)). Every function it calls has an annotated page: follow the links.

# %% [markdown]
# ## Setting up
#
# The first cell installs the lesson's package, pinned to its release, when it is not
# importable yet (a fresh Colab or Jupyter). Where it is already installed, as in the
# project's own environment, the cell does nothing. Set `REPOSITORY` to the repository's
# address if the cell asks for it.

# %%
import importlib.util

# The repository's address on GitHub (https://github.com/OWNER/NAME), and the release to pin
REPOSITORY = ''
RELEASE = 'v0.1.0'
if importlib.util.find_spec('labml_nn') is None:
    if not REPOSITORY:
        raise SystemExit("Set REPOSITORY above to the repository's address, "
                         "then run this cell again.")
    %pip install --quiet "labml-nn-mlm[notebook] @ git+{REPOSITORY}@{RELEASE}"

# %% [markdown]
# The imports, and one seed for everything random below, so that the notebook tells the same
# story each time it runs.

# %%
import matplotlib.pyplot as plt
import torch

from labml_nn.helpers import cli
from labml_nn.transformers.mlm import MLM
from labml_nn.transformers.mlm.data import CharVocabulary, load_corpus
from labml_nn.transformers.mlm.experiment import Configs, train
from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM, masked_loss_and_accuracy
from labml_nn.transformers.mlm_tools.attention_maps import attention_maps, encode, head_roles
from labml_nn.transformers.mlm_tools.fill import fill_mask
from labml_nn.transformers.mlm_tools.load import load_mlm

_ = torch.manual_seed(0)

# %% [markdown]
# ## 1. Masking a line of Shakespeare
#
# The corpus is Tiny Shakespeare (downloaded once, or read from `$LABML_NN_TINY_SHAKESPEARE`),
# and the tokens are its characters (offline and without a copy, the Python standard library's
# docstrings stand in). We take one line of it. `load_corpus` answers with the corpus's *name*,
# not a path on this machine, and training below asks for it by that name.

# %%
text, data = load_corpus(None)
vocabulary = CharVocabulary.from_text(text)
line = next(s for s in text.splitlines() if len(s) >= 48)
print(f'{data}: {len(text):,} characters, {len(vocabulary)} tokens (the special ones included)')
print(repr(line))

# %% [markdown]
# [The masking](index.html) chooses each character with probability 0.15. A chosen character
# becomes `[MASK]` (80% of the time), a random character (10%) or stays as it is (10%), and
# the label of every chosen position is its original character. `generator` makes the draw
# repeatable. (`[PAD]` in the labels means "nothing to predict here".)

# %%
masking = MLM(padding_token=vocabulary.padding_token, mask_token=vocabulary.mask_token,
              n_tokens=len(vocabulary))
ids = vocabulary.encode(line)  # [seq_len]
seen, labels = masking(ids, generator=torch.Generator().manual_seed(7))  # both [seq_len]

chosen = (labels != vocabulary.padding_token).nonzero().squeeze(1).tolist()
print(f'{len(chosen)} of {len(ids)} characters chosen ({len(chosen) / len(ids):.0%})\n')
print(f"{'position':>8}  {'original':8}  {'the model sees':14}  what became of it")
for i in chosen:
    original, shown = vocabulary.decode_token(int(ids[i])), vocabulary.decode_token(int(seen[i]))
    fate = ('replaced by [MASK]' if int(seen[i]) == vocabulary.mask_token else
            'left unchanged' if int(seen[i]) == int(ids[i]) else 'replaced by a random character')
    print(f'{i:8d}  {original!r:8}  {shown!r:14}  {fate}')
hidden = vocabulary.mask_token
print('\nthe model sees:',
      ''.join('_' if int(t) == hidden else vocabulary.decode_token(int(t)) for t in seen))

# %% [markdown]
# Run the cell again with another seed, or set `masking_prob=0.5` in `MLM(...)`, and watch
# the choices change. Over a whole batch the shares come close to 12% `[MASK]`, 1.5% random
# and 1.5% unchanged:

# %%
batch = vocabulary.encode(text[:64 * 512]).view(512, 64)  # [batch_size, seq_len]
seen_batch, labels_batch = masking(batch, generator=torch.Generator().manual_seed(0))
is_chosen = labels_batch != vocabulary.padding_token
as_mask = (seen_batch == vocabulary.mask_token) & is_chosen
unchanged = (seen_batch == batch) & is_chosen
as_random = is_chosen & ~as_mask & ~unchanged
print(f'chosen {is_chosen.float().mean():.2%}, [MASK] {as_mask.float().mean():.2%}, '
      f'random {as_random.float().mean():.2%}, unchanged {unchanged.float().mean():.2%}')

# %% [markdown]
# ## 2. One forward pass, every shape
#
# A small [model](model.html): two layers, four heads, 64-wide vectors. Hooks print the shape
# of what each part hands to the next.

# %%
model = TransformerMLM.from_configs(ModelConfigs(d_model=64, n_layers=2, n_heads=4, d_ff=128),
                                    n_tokens=len(vocabulary), max_len=64)
x, y = seen_batch[:8], labels_batch[:8]  # [batch_size, seq_len]
print('input ids      ', tuple(x.shape), '[batch_size, seq_len]')


def show(name):
    def hook(module, inputs, output):
        print(f'{name:15}', tuple(output.shape))
    return hook


hooks = [model.embeddings.register_forward_hook(show('embeddings')),
         *[layer.register_forward_hook(show(f'layer {n + 1}'))
           for n, layer in enumerate(model.encoder.layers)],
         model.encoder.norm.register_forward_hook(show('final norm')),
         model.output.register_forward_hook(show('logits'))]
logits = model(x)  # [batch_size, seq_len, n_tokens]
for hook in hooks:
    hook.remove()
loss, correct, total = masked_loss_and_accuracy(logits, y, vocabulary.padding_token)
uniform = torch.log(torch.tensor(len(vocabulary) * 1.0))
print(f'\nloss {loss.item():.3f} over {int(total)} chosen positions '
      f'(an untrained model: about ln {len(vocabulary)} = {uniform:.3f})')

# %% [markdown]
# ## 3. A short training run, reported to labml
#
# [The experiment](experiment.html) is a command line; here we give it the same arguments as a
# list. The run is small (two layers, 64-wide, 400 steps of 32 sequences of 64 characters),
# most of the notebook's run time. labml records it under `logs/mlm/<uuid>/`: its
# configs, its metrics and a checkpoint. To watch it in the labml app as well, add
# `'--app'` (a local server, `python -m labml_nn.app`) or `'--app', URL`; without either, the run
# reports locally only and never waits for a server.

# %%
overrides = ['steps=400', 'model.d_model=64', 'model.n_layers=2', 'model.n_heads=4',
             'model.d_ff=128', 'seq_len=64', 'batch_size=32', 'warmup_steps=40', 'valid_every=25',
             'valid_sequences=128', 'sample_every=0', 'checkpoint_every=400']
summary = train(cli.parse(Configs, ['--data', data, *overrides]))
final = summary['final']
print(f"\n{summary['steps']} steps in {summary['wall_time_s']:.0f} s; masked-character accuracy "
      f"{final['valid_accuracy']:.1%} on validation, loss {final['valid_loss']:.3f}")

# %% [markdown]
# ## The loss curve
#
# Training loss (the mean since the last validation) and validation loss, every 25 steps. The
# first training point is high because it averages the very first steps, when the model knew
# nothing; both then fall as it learns how common each character is, and then to use context.

# %% alt="Line chart of the short run's loss against training steps: training and validation cross-entropy both fall as the steps go by, the two curves close together."
curve = summary['curve']
steps = [p['step'] for p in curve]
fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.plot(steps, [p['train_loss'] for p in curve], label='training loss')
ax.plot(steps, [p['valid_loss'] for p in curve], label='validation loss', linestyle='--')
ax.set_xlabel('training step')
ax.set_ylabel('cross-entropy (nats)')
ax.legend()
ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Fill-mask with the bundled model
#
# A model trained with [the default recipe](experiment.html) ships with the package
# ([its run](../../bench/results/default_run.html)). [Fill-mask](../mlm_tools/fill.html) asks it for each hidden character, reading
# both sides of every gap.

# %%
shipped = load_mlm()
bundled, bundled_vocabulary = shipped.model, shipped.vocabulary
question = 'To be, or not to b[MASK], that is the qu[MASK]stion'
for guesses in fill_mask(bundled, bundled_vocabulary, question, top_k=3):
    print('  '.join(f'{g.token_str!r} {g.score:.0%}' for g in guesses))

# %% [markdown]
# ## 5. One attention head as a heatmap
#
# [The attention maps](../mlm_tools/attention_maps.html) of the bundled model for one line.
# We pick the head that most looks at the *previous* character: its weights sit on the
# diagonal just below the main one. Row $i$ is the query at character $i$, each column a key.

# %% alt="Heatmap of one attention head of the bundled model over a line of Shakespeare: almost all of each row's weight sits one step left of the diagonal, on the previous character."
sample = line[:40]
sample_ids = encode(sample, bundled_vocabulary)  # [seq_len]
weights = attention_maps(bundled, sample_ids)  # [n_layers, heads, seq_len, seq_len]
layer, head, score = head_roles(weights, sample_ids).best['previous']
print(f'layer {layer + 1}, head {head + 1}: {score:.0%} of its weight on the previous character')
fig, ax = plt.subplots(figsize=(6.4, 6.0))
ax.imshow(weights[layer, head].numpy(), cmap='viridis')
ax.set_xticks(range(len(sample)), list(sample), fontsize=7)
ax.set_yticks(range(len(sample)), list(sample), fontsize=7)
ax.set_xlabel('key (attended to)')
ax.set_ylabel('query')
ax.set_title(f'layer {layer + 1}, head {head + 1}')
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Where next
#
# Each lesson page ends with exercises and a short quiz: [the lesson](readme.html),
# [masking](index.html), [the model](model.html) and [the experiment](experiment.html). Try
# changing a cell above first: a different line, `masking_prob`, more layers, more steps.
