r"""
---
title: Training on several processes with torchrun
summary: Data parallelism with DistributedDataParallel - every rank draws the same global batch and trains on its own shard, with the loss scaled so that the result equals one process training on the whole batch.
---

# Several processes, one model

```bash
torchrun --nproc_per_node=2 -m labml_nn.transformers.mlm.experiment
```

`torchrun` starts one process (a *rank*) per GPU, or per group of CPU cores, and tells each
its `RANK`, `LOCAL_RANK` and `WORLD_SIZE` through environment variables. Each rank holds a
full copy of the model. PyTorch's `DistributedDataParallel` (DDP) averages the gradients
of all ranks during the backward pass, so after every optimizer step the copies are still
identical, and $N$ ranks process $N$ times the data per step.

## The same batch as one process

We want `torchrun` with $N$ ranks to train *the same model* as one process with the same
global batch: same data, same masks, same loss. Two details make that exact:

1. **Every rank draws the whole global batch** with the same seeded generators and keeps
   only its shard (rows $r \cdot b/N \dots (r+1) \cdot b/N$ for rank $r$). Drawing a few
   thousand random offsets costs nothing next to a training step, and there is no data
   loader state to keep in step between ranks.
2. **The loss is scaled by the global count of masked tokens.** A rank's shard may hold
   more or fewer masked positions than another. One process averages over all $M$ masked
   positions of the batch: $\mathcal{L} = \frac{1}{M}\sum_{i} \ell_i$. Rank $r$ holding the
   positions $M_r$ therefore back-propagates $\frac{N}{M}\sum_{i \in M_r} \ell_i$;
   DDP divides the sum of the ranks' gradients by $N$, which leaves exactly the gradient of
   $\mathcal{L}$. Every rank knows $M$ because every rank masked the whole batch.

A test runs two CPU processes and checks that their weights stay bit-identical and that
their losses match a single process (`tests/test_distributed.py`).

Only rank 0 prints samples and writes checkpoints. All ranks report to labml under one run
uuid, which rank 0 chooses and sends to the others, so the labml app shows them as one
distributed run. On CPUs the ranks talk through the *gloo* backend, on GPUs through *nccl*.
"""

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterator, List, NoReturn

import torch
import torch.distributed as dist

from labml_nn.helpers.cli import UserError


@dataclass(frozen=True)
class Processes:
    r"""
    ## Where this process stands

    `rank` numbers the processes $0 \dots$ `world_size` $- 1$; `local_rank` numbers them on
    this machine (it picks the GPU).
    """
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def from_environment() -> Processes:
    r"""The ranks that `torchrun` set in the environment, or a single process."""
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    if world_size <= 1:
        return Processes()
    return Processes(rank=int(os.environ['RANK']), world_size=world_size,
                     local_rank=int(os.environ.get('LOCAL_RANK', '0')))


def start(processes: Processes, device: torch.device) -> None:
    r"""Joins the process group: nccl between GPUs, gloo between CPU processes."""
    if processes.is_distributed and not dist.is_initialized():
        dist.init_process_group(backend='nccl' if device.type == 'cuda' else 'gloo')


def finish(processes: Processes) -> None:
    if processes.is_distributed and dist.is_initialized():
        dist.destroy_process_group()


def leave(status: int) -> NoReturn:
    r"""
    Ends a rank's process with `status`, once everything it writes is written, without the
    interpreter's shutdown. Gloo's worker threads outlive `destroy_process_group` (DDP keeps
    the group alive), and one may still be letting go of the last collective's tensors; if it
    does so while the interpreter shuts down, it needs the lock that Python is tearing down,
    and the process aborts ("terminate called without an active exception": 2 of 47 runs of
    the two-process test on a busy 2-core machine). Exiting at once leaves no shutdown to meet.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@contextlib.contextmanager
def group(processes: Processes, device: torch.device) -> Iterator[None]:
    r"""The process group for a `with` block: joined at its start, left at its end."""
    start(processes, device)
    try:
        yield
    finally:
        finish(processes)


def shard(processes: Processes, batch: torch.Tensor) -> torch.Tensor:
    r"""This rank's rows of a global batch: rows $r \cdot b/N \dots (r+1) \cdot b/N$ for rank $r$."""
    rows = batch.shape[0] // processes.world_size
    return batch[processes.rank * rows:(processes.rank + 1) * rows]


def global_mean(processes: Processes, loss: torch.Tensor, count, global_count: int) -> torch.Tensor:
    r"""
    This rank's mean `loss` over its `count` positions, scaled to back-propagate as the mean
    over the global batch's `global_count` (point 2 above); with one process the factor is 1.
    """
    return loss * int(count) * processes.world_size / max(global_count, 1)


def check_batch(processes: Processes, batch_size: int) -> None:
    r"""A global batch must split evenly over the ranks, or some rows would be trained twice or never."""
    if batch_size % processes.world_size != 0:
        raise UserError(f"batch_size={batch_size} can't be split evenly over {processes.world_size} processes; "
                        f"make it a multiple of {processes.world_size}")


def seed_dropout(processes: Processes, seed: int) -> None:
    r"""
    Every rank draws the same initial weights, then a dropout sequence of its own, so that the
    ranks drop different units (rank 0 keeps the single-process sequence).
    """
    if processes.rank > 0:
        torch.manual_seed(seed + 7919 * processes.rank)


def sum_across(processes: Processes, values: List[float]) -> List[float]:
    r"""Adds a few numbers over all ranks (losses, counts, a stop flag) in one message."""
    if not processes.is_distributed:
        return values
    t = torch.tensor(values, dtype=torch.float64)
    # nccl only reduces GPU tensors; gloo reduces CPU ones
    if dist.get_backend() == 'nccl':
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.cpu().tolist()


def gather(processes: Processes, value: Any) -> List[Any]:
    r"""Every rank's `value`, in rank order (on every rank)."""
    if not processes.is_distributed:
        return [value]
    out: List[Any] = [None] * processes.world_size
    dist.all_gather_object(out, value)
    return out


def broadcast(processes: Processes, value: Any) -> Any:
    r"""Rank 0's `value` on every rank."""
    if not processes.is_distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]
