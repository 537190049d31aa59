"""Access to the compiled ``emberaudio._C`` module: status codes become exceptions.

The kernels get the tensors' own memory: ``Tensor.data_ptr()`` and ``Tensor.stride()`` go
straight to C, so strided and broadcast (stride 0) inputs are read in place, not copied.
"""

from __future__ import annotations

import ember

from emberaudio._C import ffi, lib

__all__ = ["lfilter"]

# dtype -> (C element type, kernel)
_KERNELS = {ember.float32: ("float *", lib.ea_lfilter_f32),
            ember.float64: ("double *", lib.ea_lfilter_f64)}


def _check(status: int, what: str) -> None:
    if status == lib.EA_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if status != lib.EA_OK:
        raise ValueError(f"{what}: invalid argument (status {status})")


def lfilter(x: ember.Tensor, a: ember.Tensor, b: ember.Tensor, clamp: bool,
            out: ember.Tensor | None = None, reverse: bool = False) -> ember.Tensor:
    """The whole IIR filter of ``csrc/lfilter.c`` on CPU ``x`` of shape (batch, channel, time).

    ``a`` and ``b`` are (channel, n) raw coefficients (the kernel divides by ``a[:, 0]``),
    any strides in ``x``. Writes into ``out`` (same shape; ``x`` itself is allowed) or a
    new contiguous tensor. ``reverse`` filters each row from its last sample to its first.
    No autograd here.
    """
    entry = _KERNELS.get(x.dtype)
    if entry is None or a.dtype != x.dtype or b.dtype != x.dtype:
        raise TypeError(f"lfilter kernel expects float32 or float64 tensors of one dtype, got "
                        f"{x.dtype}, {a.dtype} and {b.dtype}")
    if (x.ndim != 3 or a.ndim != 2 or a.shape != b.shape or a.shape[0] != x.shape[1]
            or a.shape[1] < 1):
        raise ValueError(f"lfilter kernel expects x (batch, channel, time) and a, b "
                         f"(channel, n >= 1), got {list(x.shape)}, {list(a.shape)} and "
                         f"{list(b.shape)}")
    if out is None:
        out = ember.empty(x.shape, dtype=x.dtype)
    elif out.shape != x.shape or out.dtype != x.dtype:
        raise ValueError(f"lfilter kernel: out must be {x.dtype} of shape {list(x.shape)}, got "
                         f"{out.dtype} {list(out.shape)}")
    for t in (x, a, b, out):
        if t.device.type != "cpu":
            raise RuntimeError(f"lfilter kernel runs on the CPU, got a tensor on {t.device}")
    if not (a.is_contiguous() and b.is_contiguous()):
        a, b = a.contiguous(), b.contiguous()
    n_batch, n_channel, n_time = x.shape
    ctype, fn = entry
    sx, so = x.stride(), out.stride()
    px, po = x.data_ptr(), out.data_ptr()
    if reverse and n_time > 0:  # start at the last sample and step backwards
        px += sx[2] * (n_time - 1) * x.element_size()
        po += so[2] * (n_time - 1) * out.element_size()
        sx, so = (sx[0], sx[1], -sx[2]), (so[0], so[1], -so[2])
    _check(fn(ffi.cast(ctype, px), sx[0], sx[1], sx[2], ffi.cast(ctype, po), so[0], so[1],
              so[2], ffi.cast(ctype, a.data_ptr()), ffi.cast(ctype, b.data_ptr()), n_batch,
              n_channel, n_time, a.shape[1], int(bool(clamp))), "lfilter")
    return out

