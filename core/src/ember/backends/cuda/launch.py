"""Raw kernel launches straight through the CUDA driver's cuLaunchKernel.

CuPy's ``Function.__call__`` spends ~10 us of host time per launch turning each argument
into a C value, about as long as a small kernel runs. ember's raw kernels take only
addresses and numbers (``np.uint64``, ``np.int64``, ``np.int32``, ``np.float64``), so
their values are packed, by one ``struct`` call per launch, into a reused per-thread
buffer of 8-byte slots, and the driver gets pointers to the slots (it copies the values
during the call). A ``bytes`` argument is a struct passed by value (the multi-tensor
steps' lists of pointers): the driver reads it where it lies. Any other argument (a CuPy
array), or a function that is not CuPy's (the host emulator's stand-in), takes CuPy's own
call.

Example:
    >>> launch(cp, fn, (blocks,), (256,), (np.uint64(address), np.int64(n)))
    >>> launch_values(cp, fn, (blocks,), (256,), slot_layout("Qq"), address, n)
"""

from __future__ import annotations

import struct
import threading

import cffi
import numpy as np

_ffi = cffi.FFI()
_MAX_ARGS = 32
_local = threading.local()
# each argument's struct code in its 8-byte slot (an int32 fills the low half: little-endian)
_SLOT_CODES = {np.uint64: "Q", np.int64: "q", np.float64: "d", np.int32: "i4x"}


class _Slots:
    """One thread's parameter buffer: a uint64 slot per argument, the buffer that struct
    packs into, and the array of slot addresses cuLaunchKernel reads."""

    __slots__ = ("u64", "buffer", "slots", "params", "address")

    def __init__(self):
        self.u64 = _ffi.new("uint64_t[]", _MAX_ARGS)  # owns the memory the rest points into
        self.buffer = _ffi.buffer(self.u64)
        self.slots = [_ffi.cast("void *", _ffi.addressof(self.u64, i))
                      for i in range(_MAX_ARGS)]
        self.params = _ffi.new("void *[]", self.slots)
        self.address = int(_ffi.cast("intptr_t", self.params))


def _slots() -> _Slots:
    s = getattr(_local, "slots", None)
    if s is None:
        s = _local.slots = _Slots()
    return s


_LAYOUTS: dict = {}  # struct codes -> their slot layout
_LAYOUTS_OF_TYPES: dict = {}  # argument types -> their slot layout, or None where one has none


def slot_layout(codes: str) -> struct.Struct:
    """The packing of arguments whose struct codes (Q, q, d, i4x) are codes, a slot each."""
    layout = _LAYOUTS.get(codes)
    if layout is None:
        layout = _LAYOUTS[codes] = struct.Struct("<" + codes)
    return layout


def _layout_of(args: tuple) -> struct.Struct | None:
    kinds = tuple(map(type, args))
    layout = _LAYOUTS_OF_TYPES.get(kinds, False)
    if layout is False:
        codes = [_SLOT_CODES.get(k) for k in kinds]
        layout = _LAYOUTS_OF_TYPES[kinds] = (slot_layout("".join(codes))
                                    if None not in codes and len(codes) <= _MAX_ARGS else None)
    return layout


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
    if ptr:
        layout = _layout_of(args)
        if layout is not None:
            _launch_packed(cp, ptr, grid, block, layout, args)
            return
        if (len(args) <= _MAX_ARGS and bytes in map(type, args) and
                all(type(a) is bytes or type(a) in _SLOT_CODES for a in args)):
            _launch_with_structs(cp, ptr, grid, block, args)
            return
    fn(grid, block, args)


def launch_values(cp, fn, grid: tuple, block: tuple, layout: struct.Struct, *values) -> None:
    """launch() of a CuPy raw kernel with plain Python numbers whose C types layout
    (slot_layout) gives: the hot callers skip making a NumPy scalar of each value."""
    _launch_packed(cp, _function(cp, fn), grid, block, layout, values)


def _launch_packed(cp, ptr: int, grid: tuple, block: tuple, layout: struct.Struct,
                   values) -> None:
    s = _slots()
    layout.pack_into(s.buffer, 0, *values)
    _driver_launch(cp, ptr, grid, block, s.address)


def _driver_launch(cp, ptr: int, grid: tuple, block: tuple, params: int) -> None:
    n, m = len(grid), len(block)
    cp.cuda.driver.launchKernel(
        ptr, grid[0], grid[1] if n > 1 else 1, grid[2] if n > 2 else 1,
        block[0], block[1] if m > 1 else 1, block[2] if m > 2 else 1, 0,
        cp.cuda.get_current_stream().ptr, params, 0)


def _launch_with_structs(cp, ptr: int, grid: tuple, block: tuple, args: tuple) -> None:
    """Arguments among which bytes are structs by value: their parameter pointers point at
    the bytes for this launch, the others' at their slots."""
    s = _slots()
    structs = [i for i, a in enumerate(args) if type(a) is bytes]
    for i, a in enumerate(args):
        if type(a) is bytes:
            s.params[i] = _ffi.from_buffer(a)
        else:
            struct.pack_into("<" + _SLOT_CODES[type(a)], s.buffer, 8 * i, a)
    try:
        _driver_launch(cp, ptr, grid, block, s.address)
    finally:
        for j in structs:
            s.params[j] = s.slots[j]
