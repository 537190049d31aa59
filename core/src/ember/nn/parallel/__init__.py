"""ember.nn.parallel: data parallel training across processes (``torch.nn.parallel``).

Example:
    >>> ddp = nn.parallel.DistributedDataParallel(model)
"""

import warnings as _warnings

from .data_parallel import (DataParallel, data_parallel, gather, parallel_apply, replicate,
                            scatter, scatter_kwargs)
from .distributed import DistributedDataParallel


class DistributedDataParallelCPU(DistributedDataParallel):
    """Deprecated alias of DistributedDataParallel (which runs on CPU too).

    Example:
        >>> ddp = nn.parallel.DistributedDataParallelCPU(model)  # warns FutureWarning
    """

    def __init__(self, *args, **kwargs) -> None:
        _warnings.warn("`torch.nn.parallel.DistributedDataParallelCPU` is deprecated, please "
                       "use `torch.nn.parallel.DistributedDataParallel` instead.",
                       FutureWarning, stacklevel=2)
        super().__init__(*args, **kwargs)


__all__ = ["DataParallel", "DistributedDataParallel", "DistributedDataParallelCPU",
           "data_parallel", "gather", "parallel_apply", "replicate", "scatter"]
