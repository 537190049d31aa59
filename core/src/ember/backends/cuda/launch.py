"""Raw kernel launches straight through the CUDA driver's cuLaunchKernel.

CuPy's ``Function.__call__`` spends ~10 us of host time per launch turning each argument
into a C value, about as long as a small kernel runs. ember's raw kernels take only
addresses and numbers (``np.uint64``, ``np.int64``, ``np.int32``, ``np.float64``), so
their values are written into a reused per-thread slot buffer and the driver gets
pointers to the slots (it copies the values during the call). A ``bytes`` argument is a
struct passed by value (the multi-tensor steps' lists of pointers): the driver reads it
where it lies. Any other argument (a CuPy array), or a function that is not CuPy's (the
host emulator's stand-in), takes CuPy's own call.

Example:
    >>> launch(cp, fn, (blocks,), (256,), (np.uint64(address), np.int64(n)))
"""

from __future__ import annotations

import threading

import cffi
import numpy as np

_ffi = cffi.FFI()
_MAX_ARGS = 32
_local = threading.local()
_U64, _I64, _I32, _F64 = np.uint64, np.int64, np.int32, np.float64


class _Slots:
    """One thread's parameter buffer: a uint64 slot per argument, seen through the
    types written into it (an int32 fills the low half of its slot: little-endian),
    and the array of slot addresses cuLaunchKernel reads."""

    __slots__ = ("u64", "i64", "i32", "f64", "slots", "params", "address")

    def __init__(self):
        self.u64 = _ffi.new("uint64_t[]", _MAX_ARGS)
        self.i64 = _ffi.cast("int64_t *", self.u64)
        self.i32 = _ffi.cast("int32_t *", self.u64)
        self.f64 = _ffi.cast("double *", self.u64)
        self.slots = [_ffi.cast("void *", _ffi.addressof(self.u64, i)) for i in range(_MAX_ARGS)]
        self.params = _ffi.new("void *[]", self.slots)
        self.address = int(_ffi.cast("intptr_t", self.params))


def _slots() -> _Slots:
    s = getattr(_local, "slots", None)
    if s is None:
        s = _local.slots = _Slots()
    return s


# (id(kernel), device) -> (kernel, its CUfunction or 0): the kernel is kept so its id
# stays its own
_FUNCTIONS: dict = {}


def _function(cp, fn) -> int:
    """fn's CUfunction on the current device: a CuPy RawKernel's ``kernel`` (compiled
    and loaded per device on first use), or the host stand-in's own ``ptr``; 0 when fn
    has neither."""
    key = (id(fn), cp.cuda.runtime.getDevice())
    hit = _FUNCTIONS.get(key)
    if hit is None:
        hit = _FUNCTIONS[key] = (fn, getattr(getattr(fn, "kernel", fn), "ptr", 0))
    return hit[1]


def launch(cp, fn, grid: tuple, block: tuple, args: tuple) -> None:
    """fn<<<grid, block>>>(*args) on CuPy's current stream."""
    ptr = _function(cp, fn)
    if not ptr or len(args) > _MAX_ARGS:
        fn(grid, block, args)
        return
    s = _slots()
    structs = []
    for i, a in enumerate(args):
        kind = type(a)
        if kind is _U64:
            s.u64[i] = int(a)
        elif kind is _I64:
            s.i64[i] = int(a)
        elif kind is _F64:
            s.f64[i] = float(a)
        elif kind is _I32:
            s.i32[2 * i] = int(a)
        elif kind is bytes:
            structs.append(i)
            s.params[i] = _ffi.from_buffer(a)
        else:
            for j in structs:
                s.params[j] = s.slots[j]
            fn(grid, block, args)
            return
    n = len(grid)
    m = len(block)
    try:
        cp.cuda.driver.launchKernel(
            ptr, grid[0], grid[1] if n > 1 else 1, grid[2] if n > 2 else 1,
            block[0], block[1] if m > 1 else 1, block[2] if m > 2 else 1, 0,
            cp.cuda.get_current_stream().ptr, s.address, 0)
    finally:
        for j in structs:
            s.params[j] = s.slots[j]
