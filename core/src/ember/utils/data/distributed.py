"""DistributedSampler: each rank of a data-parallel job reads its own share of a dataset."""

from __future__ import annotations

import math
from typing import Iterator

import ember

from .sampler import Sampler


class DistributedSampler(Sampler[int]):
    """Splits a dataset's indices across ``num_replicas`` ranks, as torch does.

    The (optionally shuffled, seeded by ``seed + epoch``) index list is padded by repeating
    its start until it divides evenly (or cut, with ``drop_last``), and rank r takes every
    ``num_replicas``-th index starting at r. Call ``set_epoch`` each epoch to reshuffle.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False)
        >>> list(s)
        [1, 5, 9]
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available (call "
                                   "ember.distributed.init_process_group, or pass "
                                   "num_replicas and rank)")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = ember.Generator().manual_seed(self.seed + self.epoch)
            indices = ember.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which seeds the shuffle: all ranks must use the same value."""
        self.epoch = epoch
