r"""
---
title: Choosing the device, and bfloat16 autocast on GPUs
summary: cpu, cuda or auto; the GPU of each torchrun process; wrapping the model for several processes; mixed precision where it pays.
---

# The device

*Part of the [machinery behind the lessons](index.html).*

`--device auto` (the default) trains on a CUDA GPU when PyTorch can use one and on the CPU
otherwise. When `torchrun` starts one process per GPU, each process trains on the GPU of its
*local rank*, its number on this machine.

On a GPU the matrix multiplies run in **bfloat16 autocast**: PyTorch casts the inputs of
matrix multiplies to bfloat16, which modern GPUs multiply several times faster than float32,
and keeps sums, softmaxes and the loss in float32. bfloat16 has float32's exponent range, so
unlike float16 it needs no loss scaling. CPUs gain little from it, so it is off there.
"""

import contextlib

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from labml_nn.helpers.cli import UserError


def choose(name: str, local_rank: int = 0) -> torch.device:
    r"""`cpu`, `cuda` or `auto`; with several GPUs, the one of this process's `local_rank`."""
    if name == 'cuda' and not torch.cuda.is_available():
        raise UserError("--device cuda: this machine has no CUDA GPU that PyTorch can use; "
                        "use --device cpu or --device auto")
    if name == 'auto':
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    if name == 'cuda':
        return torch.device('cuda', local_rank % torch.cuda.device_count())
    return torch.device(name)


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager:
    r"""bfloat16 autocast on CUDA when `bf16` is set; elsewhere a context that does nothing."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                          enabled=bf16 and device.type == 'cuda')


def wrap(model: nn.Module, device: torch.device, distributed: bool, compile: bool) -> nn.Module:
    r"""
    What the training step calls: the model itself, wrapped by `DistributedDataParallel` when
    several processes train (it averages their gradients during the backward pass), and
    compiled by `torch.compile` when asked.
    """
    if distributed:
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == 'cuda' else None)
    if compile:
        model = torch.compile(model)
    return model
