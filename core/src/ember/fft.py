"""Discrete Fourier transforms, as ``torch.fft``.

Every transform is a chain of one-dimensional transforms along single dims. A 1-D
transform moves its dim last and runs the C kernel (core/csrc/fft.c: mixed-radix
Stockham for lengths 2^a 3^b 5^c, Bluestein otherwise) over the contiguous rows.
``norm`` is "backward" (default: no scaling forward, 1/n inverse), "ortho"
(1/sqrt(n) both ways) or "forward" (1/n forward, none inverse).

Example:
    >>> ember.fft.rfft(ember.tensor([1.0, 0.0, 0.0, 0.0]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j])
"""

from __future__ import annotations

import math

from . import _dtype as D
from ._device import as_device
from ._tensor import Tensor, _empty
from .autograd.function import Function
from .backends import cpu as _cpu
from .backends.cuda import fft as _cuda_fft
from .ops import views as _V
from .ops._util import cast, cast_clone, wrap_dim
from .ops.complex import conj
from .ops.creation import arange, tensor

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

_C, _R, _H = _cpu.FFT_IN_COMPLEX, _cpu.FFT_IN_REAL, _cpu.FFT_IN_HERMITIAN


class FFT(Function):
    """A 1-D DFT of length n along the last dim.

    in_kind says how rows are read (complex, real, or the first half of a Hermitian
    spectrum) and padded or trimmed to n; out_len values of the transform are kept
    (complex, or their real parts with out_real). Each pairing's backward is another
    FFT node: the adjoint transform in the other direction with the same scale.
    """

    _builtin = True

    @staticmethod
    def forward(ctx, x, n, in_kind, out_len, out_real, inverse, scale):
        ctx.args = (n, in_kind, x._shape[-1], out_real, inverse, scale)
        src = x if x.is_contiguous() else cast_clone(x)
        comp = x._dtype.to_real()
        out = _empty(x._shape[:-1] + (out_len,), comp if out_real else comp.to_complex(),
                     x.device)
        kernel = _cpu.fft if x.device.type == "cpu" else _cuda_fft.fft
        kernel(src, n, in_kind, out, out_real, inverse, scale)
        return out

    @staticmethod
    def backward(ctx, g):
        n, in_kind, in_len, out_real, inverse, scale = ctx.args
        if in_kind == _H:
            # irfft: bins 1 .. ceil(n/2)-1 stand for two conjugate bins; bins past n/2
            # are never read
            gx = FFT.apply(g, n, _R, in_len, False, not inverse, scale)
            weight = [1.0 if k == 0 or 2 * k == n else 2.0 if 2 * k < n else 0.0
                      for k in range(in_len)]
            w = tensor(weight, dtype=gx._dtype.to_real(), device=gx.device)
            return gx * w, None, None, None, None, None, None
        # complex rows read back complex; real rows keep the real part of the adjoint
        gx = FFT.apply(g, n, _R if out_real else _C, in_len, in_kind == _R, not inverse, scale)
        return gx, None, None, None, None, None, None


def _scale(norm, n: int, inverse: bool) -> float:
    if norm is None or norm == "backward":
        return 1.0 / n if inverse else 1.0
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    if norm == "forward":
        return 1.0 if inverse else 1.0 / n
    raise ValueError(f"Invalid normalization mode: {norm}")


def _check_input(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x._dtype in (D.float16, D.bfloat16):
        raise RuntimeError(f"{name}: Unsupported dtype {x._dtype.name.capitalize()}")
    if not (x._dtype.is_floating_point or x._dtype.is_complex):
        x = x.to(D.get_default_dtype())  # integers and bools promote, as torch
    return x


def _check_n(n, name: str) -> None:
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _along(x: Tensor, dim: int, fn) -> Tensor:
    """fn applied with dim moved last, then moved back."""
    d = wrap_dim(dim, max(x.dim(), 1))
    last = x.dim() - 1
    if x.dim() == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if d == last:
        return fn(x)
    return _V.movedim(fn(_V.movedim(x, d, last)), last, d)


def _c2c(x: Tensor, n, dim: int, norm, inverse: bool) -> Tensor:
    def run(t):
        m = t._shape[-1] if n is None else n
        _check_n(m, "fft")
        kind = _C if t._dtype.is_complex else _R
        return FFT.apply(t, m, kind, m, False, inverse, _scale(norm, m, inverse))
    return _along(x, dim, run)


def _r2c(x: Tensor, n, dim: int, norm, inverse: bool, name: str) -> Tensor:
    if x._dtype.is_complex:
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{_pretty(x._dtype)}")

    def run(t):
        m = t._shape[-1] if n is None else n
        _check_n(m, name)
        return FFT.apply(t, m, _R, m // 2 + 1, False, inverse, _scale(norm, m, inverse))
    return _along(x, dim, run)


def _c2r(x: Tensor, n, dim: int, norm, inverse: bool, name: str) -> Tensor:
    if not x._dtype.is_complex:
        x = x.to(x._dtype.to_complex())

    def run(t):
        m = 2 * (t._shape[-1] - 1) if n is None else n
        _check_n(m, name)
        return FFT.apply(t, m, _H, m, True, inverse, _scale(norm, m, inverse))
    return _along(x, dim, run)


def _pretty(d) -> str:
    return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(d.name, d.name)


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The 1-D DFT along dim (zero-padded or trimmed to n), complex output.

    Example:
        >>> ember.fft.fft(ember.tensor([1.0, 2.0, 3.0]))
        tensor([ 6.0000+0.0000j, -1.5000+0.8660j, -1.5000-0.8660j])
    """
    return _c2c(_check_input(input, "fft"), n, dim, norm, False)


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of fft (1/n scaling with the default norm)."""
    return _c2c(_check_input(input, "ifft"), n, dim, norm, True)


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The DFT of a real signal: the n // 2 + 1 non-negative frequencies."""
    return _r2c(_check_input(input, "rfft"), n, dim, norm, False, "rfft")


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The real signal of length n (default 2 (m - 1)) whose rfft is input's m bins."""
    return _c2r(_check_input(input, "irfft"), n, dim, norm, True, "irfft")


def _dims_and_sizes(x: Tensor, s, dim, default_dim):
    if dim is None and s is None:
        dim = default_dim if default_dim is not None else tuple(range(x.dim()))
    elif dim is None:
        dim = tuple(range(x.dim() - len(s), x.dim()))
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(wrap_dim(d, x.dim()) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = tuple(s)
        if len(s) != len(dims):
            raise RuntimeError(f"When given, dim and shape arguments must have the same length, "
                               f"got {len(dims)} and {len(s)}")
    else:
        s = (None,) * len(dims)
    return dims, s


def _cnd(x, s, dim, norm, inverse, default_dim=None) -> Tensor:
    dims, sizes = _dims_and_sizes(x, s, dim, default_dim)
    for d, n in zip(dims, sizes):
        x = _c2c(x, None if n == -1 else n, d, norm, inverse)
    return x


def fftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The N-D DFT over dim (all dims by default; the last len(s) when only s is given)."""
    x = _check_input(input, "fftn")
    if not x._dtype.is_complex:
        x = x.to(x._dtype.to_complex())
    return _cnd(x, s, dim, norm, False)


def ifftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The inverse of fftn."""
    x = _check_input(input, "ifftn")
    if not x._dtype.is_complex:
        x = x.to(x._dtype.to_complex())
    return _cnd(x, s, dim, norm, True)


def fft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """The 2-D DFT over the last two dims."""
    return fftn(input, s, dim, norm)


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """The inverse of fft2."""
    return ifftn(input, s, dim, norm)


def rfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The N-D DFT of a real signal: rfft over the last of dim, fft over the others.

    Example:
        >>> ember.fft.rfftn(ember.ones(2, 4)).shape
        ember.Size([2, 3])
    """
    x = _check_input(input, "rfftn")
    dims, sizes = _dims_and_sizes(x, s, dim, None)
    x = _r2c(x, sizes[-1], dims[-1], norm, False, "rfftn")
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _c2c(x, n, d, norm, False)
    return x


def irfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The inverse of rfftn: ifft over all of dim but the last, then irfft over it."""
    x = _check_input(input, "irfftn")
    if not x._dtype.is_complex:
        x = x.to(x._dtype.to_complex())
    dims, sizes = _dims_and_sizes(x, s, dim, None)
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _c2c(x, n, d, norm, True)
    return _c2r(x, sizes[-1], dims[-1], norm, True, "irfftn")


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """rfftn over the last two dims."""
    return rfftn(input, s, dim, norm)


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """irfftn over the last two dims."""
    return irfftn(input, s, dim, norm)


# A Hermitian signal's transforms are the real ones run the other way: hfft is irfft of
# the conjugate, ihfft the conjugate of rfft, with "forward" and "backward" trading places
# (hfft is a forward transform: unscaled under "backward", as irfft is under "forward").
_SWAPPED_NORM = {None: "forward", "backward": "forward", "forward": "backward",
                 "ortho": "ortho"}


def _swapped(norm):
    if norm not in _SWAPPED_NORM:
        raise ValueError(f"Invalid normalization mode: {norm}")
    return _SWAPPED_NORM[norm]


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The DFT of a signal with Hermitian symmetry, given its first half: a real result of
    length n (default 2 * (input.size(dim) - 1)).

    Example:
        >>> ember.fft.hfft(ember.tensor([1.0 + 0j, 0.0, 0.0])).shape
        ember.Size([4])
    """
    x = _check_input(input, "hfft")
    return irfft(_conj(x), n, dim, _swapped(norm))


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of hfft: the first half (n // 2 + 1 values) of a real signal's inverse
    DFT.

    Example:
        >>> ember.fft.ihfft(ember.tensor([1.0, 1.0, 1.0, 1.0]))
        tensor([1.+0.j, 0.+0.j, 0.+0.j])
    """
    x = _real_input(input, "ihfft")
    return _conj(rfft(x, n, dim, _swapped(norm)))


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """hfft over several dims: the real N-D transform of a Hermitian half-spectrum."""
    x = _check_input(input, "hfftn")
    return irfftn(_conj(x), s, dim, _swapped(norm))


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The inverse of hfftn, from a real signal: the half-spectrum of its inverse DFT."""
    x = _real_input(input, "ihfftn")
    return _conj(rfftn(x, s, dim, _swapped(norm)))


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """hfftn over the last two dims."""
    return hfftn(input, s, dim, norm)


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """ihfftn over the last two dims."""
    return ihfftn(input, s, dim, norm)


def _real_input(input, name: str) -> Tensor:
    x = _check_input(input, name)
    if x._dtype.is_complex:
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_pretty(x._dtype)}")
    return x


def _conj(x: Tensor) -> Tensor:
    return conj(x) if x._dtype.is_complex else x


def _freq(values: int, n: int, d: float, dtype, device, requires_grad: bool,
          negative: bool) -> Tensor:
    dtype = dtype or D.get_default_dtype()
    k = arange(values, dtype=D.int64, device=device)
    if negative:  # fftfreq's second half counts up from -(n // 2)
        k = k - (k >= (n + 1) // 2).to(D.int64) * n
    out = cast(k, dtype) * (1.0 / (n * d))
    return out.requires_grad_(requires_grad) if requires_grad else out


def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of fft(n): [0, 1, ..., -(n // 2), ..., -1] / (d n).

    Example:
        >>> ember.fft.fftfreq(4)
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    return _freq(n, n, d, dtype, as_device(device), requires_grad, True)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The sample frequencies of rfft(n): [0, 1, ..., n // 2] / (d n)."""
    return _freq(n // 2 + 1, n, d, dtype, as_device(device), requires_grad, False)


def _shift(x: Tensor, dim, inverse: bool) -> Tensor:
    from .ops.join import roll
    dims = tuple(range(x.dim())) if dim is None else (dim,) if isinstance(dim, int) else dim
    dims = tuple(wrap_dim(d, x.dim()) for d in dims)
    shifts = tuple((x._shape[d] + 1) // 2 if inverse else x._shape[d] // 2 for d in dims)
    return roll(x, shifts, dims) if dims else x


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Moves the zero frequency to the centre (a roll by n // 2 along each dim)."""
    return _shift(input, dim, False)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of fftshift (a roll by (n + 1) // 2 back)."""
    return _shift(input, dim, True)
