"""Datasets, samplers and the DataLoader, as ``torch.utils.data``.

Example:
    >>> from ember.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(ember.randn(8, 3), ember.arange(8))
    >>> x, y = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    >>> x.shape, y.shape
    (ember.Size([4, 3]), ember.Size([4]))
"""

from ._collate import default_collate, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .distributed import DistributedSampler
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "WorkerInfo", "default_collate", "default_convert", "get_worker_info",
           "random_split", "DistributedSampler"]
