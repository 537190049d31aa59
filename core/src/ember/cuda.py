"""ember.cuda: GPU availability and device management through CuPy (optional).

Without CuPy, or without a GPU, ``is_available()`` is False and asking for a CUDA
tensor raises a clear error; importing ember never needs CuPy.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def _cupy():
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        return cupy
    except Exception:  # noqa: BLE001 - any failure means no usable GPU
        return None


def is_available() -> bool:
    """Whether CuPy and at least one CUDA device are present."""
    return _cupy() is not None


def require():
    cp = _cupy()
    if cp is None:
        raise RuntimeError("CUDA is not available: ember's GPU backend needs CuPy (pip install "
                           "'ember[cuda]') and an NVIDIA GPU with a working driver")
    return cp


def device_count() -> int:
    cp = _cupy()
    return cp.cuda.runtime.getDeviceCount() if cp is not None else 0


def current_device() -> int:
    return require().cuda.Device().id


def set_device(device) -> None:
    from ._device import as_device
    d = as_device(device) if not isinstance(device, int) else None
    require().cuda.Device(device if isinstance(device, int) else (d.index or 0)).use()


def get_device_name(device=None) -> str:
    cp = require()
    idx = 0 if device is None else (device if isinstance(device, int) else device.index or 0)
    return cp.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def synchronize(device=None) -> None:
    require().cuda.Device().synchronize()


_seed = [0]


def manual_seed(seed: int) -> None:
    _seed[0] = int(seed)
    from .backends import cuda as backend
    backend.generator().manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)


def memory_allocated(device=None) -> int:
    return require().get_default_memory_pool().used_bytes()


def memory_reserved(device=None) -> int:
    return require().get_default_memory_pool().total_bytes()


_peak = [0]


def max_memory_allocated(device=None) -> int:
    _peak[0] = max(_peak[0], memory_allocated())
    return _peak[0]


def reset_peak_memory_stats(device=None) -> None:
    _peak[0] = memory_allocated()


def empty_cache() -> None:
    require().get_default_memory_pool().free_all_blocks()
