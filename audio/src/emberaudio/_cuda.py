"""emberaudio's CUDA kernels: CuPy RawModules built from the ``.cu`` sources kept beside the
code that uses them (``functional/_lfilter_cuda.cu``), compiled once per device.

The kernels get the tensors' device memory through ``Tensor.data_ptr()`` and their strides,
like the C kernels of ``_native``: strided and broadcast inputs are read in place.
CuPy is only imported (through ``ember.cuda``) when a CUDA tensor arrives.
"""

from __future__ import annotations

from pathlib import Path

import ember
import numpy as np

from emberaudio._native import lfilter_operands

__all__ = ["source", "lfilter"]

_SOURCES = {"lfilter": Path(__file__).parent / "functional" / "_lfilter_cuda.cu"}
_MODULES: dict = {}
_KERNELS = {ember.float32: "em_audio_lfilter_f32", ember.float64: "em_audio_lfilter_f64"}
_BLOCK = 128


def source(name: str) -> str:
    """The CUDA C source of module ``name`` (tests compile it with nvcc)."""
    return _SOURCES[name].read_text(encoding="utf-8")


def _function(name: str, kernel: str, device_index: int):
    key = (device_index, name)
    module = _MODULES.get(key)
    if module is None:
        cp = ember.cuda.require()
        with cp.cuda.Device(device_index):
            module = cp.RawModule(code=source(name), options=("-std=c++17",))
        _MODULES[key] = module
    return module.get_function(kernel)


def _ptr(t: ember.Tensor) -> np.uint64:
    # RawKernel pointer arguments as 64-bit integers (the exact C type, as CuPy wants)
    return np.uint64(t.data_ptr())


def lfilter(x: ember.Tensor, a: ember.Tensor, b: ember.Tensor, clamp: bool,
            out: ember.Tensor | None = None, reverse: bool = False) -> ember.Tensor:
    """``_native.lfilter`` for CUDA tensors: the whole IIR filter on x (batch, channel, time).

    ``a`` and ``b`` are (channel, n) raw coefficients on x's device (the kernel divides by
    ``a[:, 0]``); writes into ``out`` (x itself is allowed) or a new contiguous tensor on
    x's device. ``reverse`` filters each row from its last sample to its first. No autograd.
    """
    out = lfilter_operands(x, a, b, out)
    kernel = _KERNELS[x.dtype]
    a, b = a.contiguous(), b.contiguous()
    n_batch, n_channel, n_time = x.shape
    rows, n = n_batch * n_channel, a.shape[1]
    if rows == 0 or n_time == 0:
        return out
    sx, so = list(x.stride()), list(out.stride())
    px, po = int(x.data_ptr()), int(out.data_ptr())
    if reverse:  # start at the last sample and step backwards
        px += sx[2] * (n_time - 1) * x.element_size()
        po += so[2] * (n_time - 1) * out.element_size()
        sx[2], so[2] = -sx[2], -so[2]
    # each row's n - 1 previous inputs and outputs, in double
    work = ember.empty(max(rows * 2 * (n - 1), 1), dtype=ember.float64, device=x.device)
    cp = ember.cuda.require()
    index = x.device.index if x.device.index is not None else cp.cuda.Device().id
    fn = _function("lfilter", kernel, index)
    i64 = np.int64
    with cp.cuda.Device(index):  # launched on the tensors' GPU
        fn(((rows + _BLOCK - 1) // _BLOCK,), (_BLOCK,),
           (np.uint64(px), i64(sx[0]), i64(sx[1]), i64(sx[2]), np.uint64(po), i64(so[0]),
            i64(so[1]), i64(so[2]), _ptr(a), _ptr(b), i64(n_batch), i64(n_channel),
            i64(n_time), i64(n), np.int32(bool(clamp)), _ptr(work)))
    return out
