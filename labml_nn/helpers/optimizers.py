r"""
---
title: Muon for the hidden matrices, AdamW for the rest
summary: PyTorch's Muon on the weight matrices inside the network and AdamW on everything else, stepped as one optimizer.
---

# Muon with AdamW

Muon (Keller Jordan, 2024; the optimizer of the modded-nanogpt speed records) keeps momentum
like SGD, but before each update it replaces the momentum matrix $M = U S V^\top$ by an
approximation of $U V^\top$, found by a few Newton–Schulz iterations: every direction of the
update gets the same size, so rare directions are not drowned by the common ones. That only
makes sense for a matrix that maps one hidden vector to another. Embedding tables, the output
layer, gains and biases keep AdamW.

PyTorch ships Muon (`torch.optim.Muon`); this module pairs it with AdamW. With
`adjust_lr_fn='match_rms_adamw'` Muon scales each update to the size AdamW's would have, so
one learning rate and one schedule serve both.

PyTorch's Muon runs its iterations in bfloat16. A CPU without bfloat16 instructions (AVX2:
most laptops) has no fast path for them, and there its step on our model's encoder takes many
times as long as the same step in float32 ([measured](../bench/results/muon_cost.html)).
`Float32Muon` is PyTorch's Muon with the iterations in float32; `build` uses it, so a run with
Muon costs about the same on every CPU and learns the same on every machine.
"""

import math
from typing import Any, Dict, Iterable, List, Optional, Tuple

import torch


class Optimizers:
    r"""
    ## Several optimizers stepped as one

    `param_groups` lists every group of every optimizer (the same dictionaries, so a schedule
    that sets `group['lr']` sets it in the optimizer that owns the group); `zero_grad`, `step`,
    `state_dict` and `load_state_dict` go to each in turn.
    """

    def __init__(self, *optimizers: torch.optim.Optimizer):
        self.optimizers = optimizers

    @property
    def param_groups(self) -> List[Dict[str, Any]]:
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for optimizer in self.optimizers:
            optimizer.step()

    def state_dict(self) -> Dict[str, Any]:
        return {'optimizers': [optimizer.state_dict() for optimizer in self.optimizers]}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        for optimizer, own in zip(self.optimizers, state['optimizers'], strict=True):
            optimizer.load_state_dict(own)


class Float32Muon(torch.optim.Muon):
    r"""
    ## Muon in float32
    The same step as `torch.optim.Muon`'s (its options, its state, its learning-rate
    adjustment), with the Newton–Schulz iterations in float32 instead of bfloat16.
    """

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, buffers = [], [], []
            self._init_group(group, params, grads, buffers)  # the momentum buffers, as PyTorch's
            a, b, c = group['ns_coefficients']
            for param, grad, buffer in zip(params, grads, buffers):
                # Momentum, with Nesterov's look-ahead by default
                buffer.lerp_(grad, 1 - group['momentum'])
                update = grad.lerp(buffer, group['momentum']) if group['nesterov'] else buffer
                # The iterations on the wide side, from a spectral norm of at most 1
                x = update.float()
                tall = x.size(0) > x.size(1)
                x = x.T if tall else x
                x = x / x.norm().clamp(min=group['eps'])
                for _ in range(group['ns_steps']):
                    gram = x @ x.T
                    x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
                x = x.T if tall else x
                # Decoupled weight decay, then the update at Muon's adjusted learning rate
                param.mul_(1 - group['lr'] * group['weight_decay'])
                param.add_(x.to(param.dtype), alpha=-group['lr'] * adjusted_lr_ratio(
                    group['adjust_lr_fn'], param.shape))
        return loss


def adjusted_lr_ratio(adjust_lr_fn: Optional[str], shape: torch.Size) -> float:
    r"""Muon's learning-rate factor for a matrix of `shape`, as `torch.optim.Muon` computes it."""
    rows, columns = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == 'original':
        return math.sqrt(max(1, rows / columns))
    if adjust_lr_fn == 'match_rms_adamw':
        return 0.2 * math.sqrt(max(rows, columns))
    return 1.0


def muon_with_adamw(hidden: Iterable[torch.nn.Parameter], adamw_groups: List[Dict[str, Any]],
                    lr: float, weight_decay: float, momentum: float = 0.95, float32: bool = True,
                    **adamw_options) -> Optimizers:
    r"""
    Muon on the `hidden` matrices (each 2-D) with `weight_decay`, AdamW on `adamw_groups`
    (parameter groups, each with its own weight decay) with `adamw_options`; both start at `lr`.
    `float32`: `Float32Muon` (the default); `False`: PyTorch's bfloat16 iterations.
    """
    muon = (Float32Muon if float32 else torch.optim.Muon)(
        list(hidden), lr=lr, weight_decay=weight_decay, momentum=momentum, adjust_lr_fn='match_rms_adamw')
    return Optimizers(muon, torch.optim.AdamW(adamw_groups, lr=lr, **adamw_options))


def decay_groups(named: List[Tuple[str, torch.nn.Parameter]], weight_decay: float) -> List[Dict[str, Any]]:
    r"""Weight decay on the weight matrices; none on embeddings, gains and biases."""
    decays = [p for n, p in named if p.dim() == 2 and 'embeddings' not in n]
    keeps = [p for n, p in named if not (p.dim() == 2 and 'embeddings' not in n)]
    return [g for g in ({'params': decays, 'weight_decay': weight_decay},
                        {'params': keeps, 'weight_decay': 0.0}) if g['params']]


def build(model: torch.nn.Module, kind: str, lr: float, weight_decay: float, hidden: str = 'encoder.',
          fused: Optional[bool] = None, **adamw_options):
    r"""
    `kind='adamw'`: AdamW on every parameter that trains, grouped by `decay_groups`;
    `kind='muon'`: Muon (`Float32Muon`) on the 2-D parameters whose names start with `hidden`,
    AdamW on the rest.
    `fused` picks AdamW's fused kernel in the first case (Muon's AdamW keeps the default).
    """
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if kind == 'adamw':
        return torch.optim.AdamW(decay_groups(named, weight_decay), lr=lr, fused=fused, **adamw_options)
    inside = {n for n, p in named if n.startswith(hidden) and p.dim() == 2}
    return muon_with_adamw([p for n, p in named if n in inside],
                           decay_groups([(n, p) for n, p in named if n not in inside], weight_decay),
                           lr, weight_decay, **adamw_options)
