"""``Trainer(strategy="ddp", devices=N)``: data parallel training on N processes, each on
the CPU (MPI) or on its own GPU (NCCL, the GPU of its local rank).

The processes are started by ``python -m ember.distributed.run --nproc-per-node N script.py``
(each runs the whole script); the Trainer joins the process group, gives every dataloader a
DistributedSampler, runs ``training_step`` through DistributedDataParallel (so gradients are
averaged during backward), averages ``sync_dist=True`` metrics, and leaves checkpoints, loggers
and the progress bar to rank 0.
"""

from __future__ import annotations

import os
from typing import Any

import ember
import ember.distributed as dist
from ember import nn
from ember.utils.data import DataLoader, DistributedSampler, IterableDataset, RandomSampler


def join_process_group(devices: Any, backend: str) -> tuple[int, int]:
    """(rank, world size) of this process in a job of ``devices`` processes."""
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    n = launched if devices in ("auto", None, -1, "-1") else int(devices)
    if not dist.is_initialized():
        if launched != n:
            raise ValueError(f"strategy='ddp' with devices={n} needs {n} processes: start the "
                             f"script with `python -m ember.distributed.run --nproc-per-node {n} "
                             "script.py`")
        dist.init_process_group(backend)
    if dist.get_world_size() != n:
        raise ValueError(f"devices={n} but the process group has {dist.get_world_size()} ranks")
    return dist.get_rank(), n


class _TrainingStep(nn.Module):
    """Lets DistributedDataParallel call ``training_step`` as its forward."""

    def __init__(self, module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: Any) -> Any:
        return self.module.training_step(*args)


def wrap(model) -> nn.Module:
    return nn.parallel.DistributedDataParallel(_TrainingStep(model))


def shard(loader: Any) -> Any:
    """The loader with a DistributedSampler (shuffling when the loader shuffled)."""
    if not isinstance(loader, DataLoader) or loader.batch_size is None or \
            isinstance(loader.dataset, IterableDataset) or \
            isinstance(loader.sampler, DistributedSampler):
        return loader
    sampler = DistributedSampler(loader.dataset, shuffle=isinstance(loader.sampler, RandomSampler),
                                 seed=int(os.environ.get("PL_GLOBAL_SEED", "0")))
    return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=sampler,
                      num_workers=loader.num_workers, collate_fn=loader.collate_fn,
                      drop_last=loader.drop_last, pin_memory=loader.pin_memory)


def reduce_metric(value: Any, reduce_fx: Any) -> Any:
    """value combined over the ranks: summed, maxed, minned, or else averaged."""
    is_tensor = isinstance(value, ember.Tensor)
    t = value.detach().double() if is_tensor else ember.tensor(float(value), dtype=ember.float64)
    # a copy where the group's collectives run: the current GPU under nccl, else the CPU
    on_gpu = dist.get_backend() == "nccl"
    t = t.to(ember.device("cuda", ember.cuda.current_device()) if on_gpu else "cpu").clone()
    op = {"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}.get(
        reduce_fx if isinstance(reduce_fx, str) else "", dist.ReduceOp.AVG)
    dist.all_reduce(t, op=op)
    return t.to(value.device, value.dtype) if is_tensor else t.item()


def barrier() -> None:
    dist.barrier()
