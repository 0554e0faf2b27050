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

PyTorch ships Muon (`torch.optim.Muon`); this module only pairs it with AdamW. With
`adjust_lr_fn='match_rms_adamw'` Muon scales each update to the size AdamW's would have, so
one learning rate and one schedule serve both.
"""

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


def muon_with_adamw(hidden: Iterable[torch.nn.Parameter], adamw_groups: List[Dict[str, Any]],
                    lr: float, weight_decay: float, momentum: float = 0.95,
                    **adamw_options) -> Optimizers:
    r"""
    Muon on the `hidden` matrices (each 2-D) with `weight_decay`, AdamW on `adamw_groups`
    (parameter groups, each with its own weight decay) with `adamw_options`; both start at `lr`.
    """
    muon = torch.optim.Muon(list(hidden), lr=lr, weight_decay=weight_decay, momentum=momentum,
                            adjust_lr_fn='match_rms_adamw')
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
    `kind='muon'`: Muon on the 2-D parameters whose names start with `hidden`, AdamW on the rest.
    `fused` picks AdamW's fused kernel in the first case (Muon's AdamW keeps the default).
    """
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if kind == 'adamw':
        return torch.optim.AdamW(decay_groups(named, weight_decay), lr=lr, fused=fused, **adamw_options)
    inside = {n for n, p in named if n.startswith(hidden) and p.dim() == 2}
    return muon_with_adamw([p for n, p in named if n in inside],
                           decay_groups([(n, p) for n, p in named if n not in inside], weight_decay),
                           lr, weight_decay, **adamw_options)
