"""ember.accelerator: device-agnostic access to the current accelerator, as torch.accelerator.

Ember's one accelerator is CUDA through CuPy, so every function here forwards to
``ember.cuda``. Ember has no build without GPU support to tell apart from a machine
without a GPU: ``current_accelerator()`` is ``device('cuda')`` exactly when CuPy sees a
GPU, with or without ``check_available``, and None otherwise. Without one, the functions
that need a device raise torch's RuntimeError, as a CPU-only torch does.

Example:
    >>> if (acc := ember.accelerator.current_accelerator()) is not None:
    ...     x = ember.ones(3, device=acc)
    ...     ember.accelerator.synchronize()
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

from . import cuda
from ._device import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream",
           "device_count", "device_index", "empty_cache", "empty_host_cache",
           "get_device_capability", "get_memory_info", "is_available", "max_memory_allocated",
           "max_memory_reserved", "memory_allocated", "memory_reserved", "memory_stats",
           "reset_accumulated_memory_stats", "reset_peak_memory_stats", "set_device_idx",
           "set_device_index", "set_stream", "synchronize"]


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU through CuPy) can run ember's tensors."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> _device | None:
    """``ember.device('cuda')`` (no index) when a GPU is usable, else None.

    Example:
        >>> model.to(ember.accelerator.current_accelerator() or "cpu")
    """
    return _device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """How many GPUs the accelerator sees (0 without one)."""
    return cuda.device_count()


def _require() -> None:
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def _index(device, optional: bool) -> int:
    """An int, "cuda:1", ember.device or (when optional) None -> a device ordinal."""
    _require()
    if isinstance(device, int):
        return device
    if device is None:
        if optional:
            return cuda.current_device()
        raise ValueError("Expected a torch.device with a specified index or an integer, "
                         f"but got:{device}")
    device = _device(device)
    if device.type != "cuda":
        raise ValueError(f"{device.type} doesn't match the current accelerator "
                         f"{current_accelerator()}.")
    if device.index is None:
        if optional:
            return cuda.current_device()
        raise ValueError("Expected a torch.device with a specified index or an integer, "
                         f"but got:{device}")
    return device.index


def current_device_index() -> int:
    """The index of the current GPU."""
    _require()
    return cuda.current_device()


def set_device_index(device, /) -> None:
    """Makes device (an index, or a cuda device with its index) the current GPU; a negative
    index changes nothing."""
    idx = _index(device, optional=False)
    if idx >= 0:
        cuda.set_device(idx)


def current_device_idx() -> int:
    """Deprecated name of current_device_index (warns, as torch)."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /) -> None:
    """Deprecated name of set_device_index (warns, as torch)."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def get_device_capability(device=None, /) -> dict:
    """What the device (default: the current GPU) supports: ``{"supported_dtypes": set of
    the dtypes its tensors can hold}``.

    Example:
        >>> ember.float32 in ember.accelerator.get_device_capability()["supported_dtypes"]
        True
    """
    _index(device, optional=True)
    from . import _dtype as D
    return {"supported_dtypes": set(D.ALL + D.COMPLEX)}


class device_index:
    """Makes a GPU index current inside the block and restores the previous one after;
    None changes nothing.

    Example:
        >>> with ember.accelerator.device_index(0):
        ...     y = ember.zeros(2, device="cuda")
    """

    def __init__(self, device: int | None, /) -> None:
        self.idx = device
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc_info) -> None:
        if self.idx is not None:
            set_device_index(self.prev_idx)


def current_stream(device=None, /) -> cuda.Stream:
    """The current stream of device (default: the current GPU)."""
    return cuda.current_stream(_index(device, optional=True))


def set_stream(stream: cuda.Stream) -> None:
    """Makes stream current on its device, and its device the current GPU."""
    _require()
    cuda.set_stream(stream)


def synchronize(device=None, /) -> None:
    """Waits until all work queued on device (default: the current GPU) is done."""
    cuda.synchronize(_index(device, optional=True))


# ---- memory: ember.cuda's CuPy pool statistics ------------------------------------------

def empty_cache() -> None:
    """Gives the allocator's cached, unused blocks back to the driver."""
    _require()
    cuda.empty_cache()


def empty_host_cache() -> None:
    """Gives the cached, unused blocks of pinned (page-locked) host memory back.

    Example:
        >>> ember.accelerator.empty_host_cache()
    """
    _require()
    cuda.require().get_default_pinned_memory_pool().free_all_blocks()


def reset_accumulated_memory_stats(device_index=None, /) -> None:
    """Zeroes the device's accumulated allocator counters (num_ooms, num_alloc_retries)."""
    cuda.reset_accumulated_memory_stats(_index(device_index, optional=True))


def memory_stats(device_index=None, /) -> OrderedDict:
    """The allocator's statistics of the device, by name in sorted order."""
    return OrderedDict(sorted(cuda.memory_stats(_index(device_index, optional=True)).items()))


def memory_allocated(device_index=None, /) -> int:
    """Bytes held by live tensors on the device."""
    return memory_stats(device_index).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device_index=None, /) -> int:
    """The most bytes live tensors held since the start or the last peak reset."""
    return memory_stats(device_index).get("allocated_bytes.all.peak", 0)


def memory_reserved(device_index=None, /) -> int:
    """Bytes the allocator holds (live plus cached blocks)."""
    return memory_stats(device_index).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device_index=None, /) -> int:
    """The most bytes the allocator held: CuPy's pool only grows, so what it holds now."""
    return cuda.max_memory_reserved(_index(device_index, optional=True))


def reset_peak_memory_stats(device_index=None, /) -> None:
    """Starts max_memory_allocated over from the current allocation."""
    cuda.reset_peak_memory_stats(_index(device_index, optional=True))


def get_memory_info(device_index=None, /) -> tuple[int, int]:
    """(free, total) bytes of the device."""
    return cuda.mem_get_info(_index(device_index, optional=True))
