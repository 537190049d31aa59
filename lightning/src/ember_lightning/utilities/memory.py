"""Recognising out-of-memory errors (for the batch-size scaler) and releasing cached memory.

Example:
    >>> is_oom_error(MemoryError())
    True
"""

from __future__ import annotations

import gc

import ember


def is_oom_error(exception: BaseException) -> bool:
    """Whether exception says memory ran out: ember's MemoryError (CPU allocations and CuPy's
    OutOfMemoryError derive from it), or the RuntimeError messages torch uses."""
    if isinstance(exception, MemoryError):
        return True
    if not isinstance(exception, RuntimeError) or len(exception.args) != 1:
        return False
    msg = str(exception.args[0])
    return (("CUDA" in msg and "out of memory" in msg)
            or "cuDNN error: CUDNN_STATUS_NOT_SUPPORTED." in msg
            or "DefaultCPUAllocator: can't allocate memory" in msg)


def garbage_collection_cuda() -> None:
    """Collects garbage and hands the GPU's cached blocks back, so a retry starts clean."""
    gc.collect()
    if ember.cuda.is_available():
        ember.cuda.empty_cache()
