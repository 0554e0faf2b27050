r"""
---
title: Benchmark - what Muon's step costs on CPUs with and without bfloat16 instructions
summary: Times PyTorch's Muon on the default model's encoder matrices under each choice of CPU kernels, against the same orthogonalization in float32 and against AdamW, and records the milliseconds per step.
---

# Muon's step, CPU by CPU

[Muon](../helpers/optimizers.html) turns each weight matrix's update into a nearly orthogonal
one with five Newton–Schulz iterations, a dozen matrix products per matrix. PyTorch's
`torch.optim.Muon` runs them in **bfloat16**. A CPU with bfloat16 instructions (AVX-512 BF16
or AMX: recent Xeons, AMD's Zen 4 and later) multiplies such matrices as fast as float32 ones;
a CPU without them (AVX2: most laptops) has no fast path for them, and PyTorch falls back to a
slow one. The [recipe study](recipe_study.html) found Muon one of the levers that matter, so
before it can be the default, its cost must be known on the CPUs readers have. What this
measured is why the experiment's `optimizer=muon` builds `Float32Muon`.

For each choice of kernels (`ATEN_CPU_CAPABILITY`, with oneDNN and MKL capped to match, as
[the harness](training.html) sets them; a fresh process each, one thread), this script builds
the default model and gives its encoder's weight matrices, the ones Muon takes, a random
gradient, then times three optimizer steps over those matrices, taking turns (each step moves
the weights a little; the timing does not depend on where they are):

* **muon**: `torch.optim.Muon.step()`, PyTorch's own, orthogonalizing in bfloat16;
* **float32 muon**: [`Float32Muon`](../helpers/optimizers.html), the same step with the
  iterations in float32;
* **adamw**: `torch.optim.AdamW.step()`, the round-3 recipe's optimizer.

```bash
python bench/muon_cost.py --kernels avx512 avx2 default
```

Writes `bench/results/muon_cost.json` and `.md`: the median milliseconds per step of each, per
kernel choice.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from training import ROOT, configs, cpu_model, kernel_env, kernel_in_effect, native_kernel

RESULTS = ROOT / 'bench/results/muon_cost'

def hidden_matrices() -> list:
    r"""The default model's encoder weight matrices, each with a random gradient."""
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm.experiment import Configs
    from labml_nn.transformers.mlm.model import TransformerMLM
    c = cli.build(Configs, configs())
    model = TransformerMLM.from_configs(c.model, 67, c.seq_len)
    matrices = [p for n, p in model.named_parameters() if n.startswith('encoder.') and p.dim() == 2]
    for p in matrices:
        p.grad = torch.randn_like(p)
    return matrices


def measure(rounds: int) -> dict:
    r"""This process's kernels: each step's milliseconds, taking turns, `rounds` times."""
    torch.manual_seed(0)
    matrices = hidden_matrices()
    from labml_nn.helpers.optimizers import Float32Muon
    steps = {'muon': torch.optim.Muon(matrices, lr=1e-3, adjust_lr_fn='match_rms_adamw').step,
             'float32 muon': Float32Muon(matrices, lr=1e-3, adjust_lr_fn='match_rms_adamw').step,
             'adamw': torch.optim.AdamW(matrices, lr=1e-3).step}
    times = {name: [] for name in steps}
    with torch.no_grad():
        for name, step in steps.items():  # warm-up: the first call allocates and picks kernels
            step()
        for _ in range(rounds):
            for name, step in steps.items():
                start = time.perf_counter()
                step()
                times[name].append((time.perf_counter() - start) * 1000)
    return {'capability': native_kernel(), 'threads': torch.get_num_threads(), 'matrices': len(matrices),
            'shapes': sorted({tuple(p.shape) for p in matrices}),
            'ms': {name: statistics.median(t) for name, t in times.items()}}


def write(record: dict) -> None:
    RESULTS.with_suffix('.json').write_text(json.dumps(record, indent=1) + '\n')
    names = list(record['runs'][0]['ms'])
    lines = ["# Muon's step, CPU by CPU", '',
             f"{record['cpu']}, torch {record['torch']}, 1 thread; the machine's own kernels are "
             f"`{record['native_kernel']}` (with bfloat16 instructions: {record['bf16_instructions']}). Each kernel "
             f"choice in a fresh process; the {record['runs'][0]['matrices']} weight matrices of the default model's "
             f"encoder, shapes {', '.join('×'.join(map(str, s)) for s in record['runs'][0]['shapes'])}; median of "
             f"{record['rounds']} steps taking turns. Load average {record['load'][0]:.1f} before, "
             f"{record['load'][1]:.1f} after. Written by [`bench/muon_cost.py`](../muon_cost.html).", '',
             '| kernels | ' + ' | '.join(f'{n} (ms)' for n in names) + ' | muon / float32 muon |',
             '|---|' + '---|' * (len(names) + 1)]
    for run in record['runs']:
        ms = run['ms']
        lines.append(f"| `{run['kernel']}` | " + ' | '.join(f'{ms[n]:.1f}' for n in names)
                     + f" | {ms['muon'] / ms['float32 muon']:.1f} |")
    RESULTS.with_suffix('.md').write_text('\n'.join(lines) + '\n')


def main():
    parser = argparse.ArgumentParser(description="Time PyTorch's Muon step per choice of CPU kernels.")
    parser.add_argument('--kernels', nargs='+', default=[native_kernel(), 'avx2', 'default'])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--one', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.rounds)))
        return
    load = [os.getloadavg()[0]]
    runs = []
    for kernel in args.kernels:
        env = kernel_env(kernel, 1, passive=True)
        if kernel_in_effect(env) != kernel:
            sys.exit(f'--kernels {kernel}: this CPU lacks it; use {native_kernel()} or one below it')
        out = subprocess.run([sys.executable, __file__, '--one', '--rounds', str(args.rounds)],
                             env={**os.environ, **env}, capture_output=True, text=True, check=True)
        runs.append({'kernel': kernel, **json.loads(out.stdout.strip().splitlines()[-1])})
        print(kernel, runs[-1]['ms'], flush=True)
    load.append(os.getloadavg()[0])
    flags = Path('/proc/cpuinfo').read_text().split() if Path('/proc/cpuinfo').exists() else []
    write({'cpu': cpu_model(), 'torch': torch.__version__, 'native_kernel': native_kernel(),
           'bf16_instructions': 'yes' if {'avx512_bf16', 'amx_bf16'} & set(flags) else 'no',
           'rounds': args.rounds, 'load': load, 'runs': runs})


if __name__ == '__main__':
    main()
