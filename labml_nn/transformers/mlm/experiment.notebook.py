"""
## Try it: a few training steps

A tiny model trained for a few steps by the `Trainer` above, on the lesson's corpus, without
starting a run (nothing is written to disk). The loss falls from about the logarithm of the
vocabulary's size; the full experiment takes thousands of steps from here.
"""
from labml_nn.transformers.mlm.data import load_corpus

corpus, name = load_corpus(None)
tiny = Configs(model=ModelConfigs(d_model=32, n_layers=1, n_heads=4, d_ff=64), seq_len=32,
               batch_size=16, steps=20, warmup_steps=5, valid_sequences=16, bf16=False)
trainer = Trainer(tiny, corpus[:200_000], torch.device('cpu'))
for step in range(tiny.steps):
    loss, correct, total, _ = trainer.train_step()
    if step % 5 == 4:
        print(f'step {step + 1:3d}: loss {loss:.3f}, {correct} of {total} masked characters right')
