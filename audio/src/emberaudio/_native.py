"""Access to the compiled ``emberaudio._C`` module: status codes become exceptions."""

from __future__ import annotations

import ember
import numpy as np

from emberaudio._C import ffi, lib

__all__ = ["iir"]


def _check(status: int, what: str) -> None:
    if status != lib.EA_OK:
        raise ValueError(f"{what}: invalid argument (status {status})")


def iir(x: ember.Tensor, a: ember.Tensor) -> ember.Tensor:
    """All-pole recursion of ``csrc/lfilter.c`` on a ``(batch, channel, time)`` tensor.

    ``a`` is ``(channel, order)`` normalised so ``a[:, 0] == 1``; no autograd here.
    """
    if x.dtype not in (ember.float32, ember.float64) or a.dtype != x.dtype:
        raise TypeError(f"iir expects float32 or float64 tensors of one dtype, got {x.dtype} "
                        f"and {a.dtype}")
    if x.ndim != 3 or a.ndim != 2 or a.shape[0] != x.shape[1] or a.shape[1] < 1:
        raise ValueError(f"iir expects x (batch, channel, time) and a (channel, order), got "
                         f"{list(x.shape)} and {list(a.shape)}")
    # numpy here is only the zero-copy bridge that hands C a pointer to ember's storage
    xs = np.ascontiguousarray(x.detach().cpu().numpy())
    as_ = np.ascontiguousarray(a.detach().cpu().numpy())
    ys = np.empty_like(xs)
    ctype, fn = ("float", lib.ea_iir_f32) if xs.dtype == np.float32 else ("double",
                                                                          lib.ea_iir_f64)
    _check(fn(ffi.cast(f"const {ctype} *", ffi.from_buffer(xs)),
              ffi.cast(f"{ctype} *", ffi.from_buffer(ys)),
              ffi.cast(f"const {ctype} *", ffi.from_buffer(as_)),
              xs.shape[0], xs.shape[1], xs.shape[2], as_.shape[1]), "iir")
    return ember.from_numpy(ys).to(x.device)
