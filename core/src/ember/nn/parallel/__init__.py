"""ember.nn.parallel: data parallel training across processes (``torch.nn.parallel``).

Example:
    >>> ddp = nn.parallel.DistributedDataParallel(model)
"""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
