"""The window functions of ``torch.signal.windows``.

Every window samples a function at M evenly spaced points (one ``linspace``, so the
points round as torch's do). A symmetric window (``sym=True``, for filter design) is
evaluated over a span of M - 1 sample intervals; a periodic one (``sym=False``, for
spectral analysis) is the first M points of the symmetric window of M + 1 points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.creation import arange, empty, linspace, ones, tensor
from ...ops.elementwise import i0, minimum

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]

_STRIDED = "strided"
_BLACKMAN = (0.42, 0.5, 0.08)
_NUTTALL = (0.3635819, 0.4891775, 0.1365995, 0.0106411)


def _checked_dtype(name: str, M: int, dtype, layout) -> D.dtype:
    """The window's dtype (the default one when None), after torch's argument checks."""
    dtype = D.get_default_dtype() if dtype is None else dtype
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout != _STRIDED:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (D.float32, D.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _span(M: int, sym: bool) -> int:
    """Sample intervals the window's shape stretches over (see the module's docstring)."""
    return M if not sym and M > 1 else M - 1


def _samples(first: float, step: float, M: int, dtype, device, requires_grad) -> Tensor:
    """M points from ``first`` in steps of ``step``; the window is built on them, so with
    requires_grad it is a function of them, as torch's is."""
    return linspace(first, first + (M - 1) * step, M, dtype=dtype, device=device,
                    requires_grad=requires_grad)


def _constant(M: int, dtype, device, requires_grad) -> Tensor:
    """The windows of length 0 (empty) and, where a window defines it so, 1 (a one)."""
    make = empty if M == 0 else ones
    return make((M,), dtype=dtype, device=device, requires_grad=requires_grad)


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype=None, layout=_STRIDED, device=None, requires_grad: bool = False) -> Tensor:
    """The exponential (Poisson) window ``exp(-|n - center| / tau)``; ``center`` defaults
    to the window's middle and may only be moved in a periodic window.

    Example:
        >>> ember.signal.windows.exponential(3, tau=1.0)
        tensor([0.3679, 1.0000, 0.3679])
    """
    dtype = _checked_dtype("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _constant(M, dtype, device, requires_grad)
    if center is None:
        center = _span(M, sym) / 2.0
    k = _samples(-center / tau, 1 / tau, M, dtype, device, requires_grad)
    return (-k.abs()).exp()


def cosine(M: int, *, sym: bool = True, dtype=None, layout=_STRIDED, device=None,
           requires_grad: bool = False) -> Tensor:
    """The cosine (sine) window: half a sine period sampled at the points' midpoints.

    Example:
        >>> ember.signal.windows.cosine(3)
        tensor([0.5000, 1.0000, 0.5000])
    """
    dtype = _checked_dtype("cosine", M, dtype, layout)
    if M == 0:
        return _constant(M, dtype, device, requires_grad)
    step = math.pi / (_span(M, sym) + 1)
    return _samples(0.5 * step, step, M, dtype, device, requires_grad).sin()


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=_STRIDED,
             device=None, requires_grad: bool = False) -> Tensor:
    """The Gaussian window ``exp(-n**2 / (2 * std**2))``, n measured from the middle.

    Example:
        >>> ember.signal.windows.gaussian(3, std=1.0)
        tensor([0.6065, 1.0000, 0.6065])
    """
    dtype = _checked_dtype("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _constant(M, dtype, device, requires_grad)
    # scaled by 1 / (std * sqrt(2)), exp(-k**2) is the Gaussian
    scale = 1 / (std * math.sqrt(2))
    k = _samples(-_span(M, sym) / 2.0 * scale, scale, M, dtype, device, requires_grad)
    return (-(k * k)).exp()


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=_STRIDED,
           device=None, requires_grad: bool = False) -> Tensor:
    """The Kaiser window ``I0(beta * sqrt(1 - (2n / span - 1)**2)) / I0(beta)``.

    Example:
        >>> ember.signal.windows.kaiser(3, beta=2.0)
        tensor([0.4387, 1.0000, 0.4387])
    """
    dtype = _checked_dtype("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return _constant(M, dtype, device, requires_grad)
    # beta lives in the window's dtype, so the points' end (clipped at beta, where
    # rounding could overshoot it and make the square root below NaN) rounds as torch's
    beta_t = tensor(beta, dtype=dtype, device=device)
    step = 2.0 * beta_t / _span(M, sym)
    end = minimum(beta_t, -beta_t + (M - 1) * step)
    k = linspace(-beta_t.item(), end.item(), M, dtype=dtype, device=device,
                 requires_grad=requires_grad)
    return i0((beta_t * beta_t - k.pow(2)).sqrt()) / i0(beta_t)


def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype=None, layout=_STRIDED,
                   device=None, requires_grad: bool = False) -> Tensor:
    """The sum of cosines ``sum_i (-1)**i * a[i] * cos(2 * pi * i * n / span)``.

    Example:
        >>> ember.signal.windows.general_cosine(3, a=[0.5, 0.5])
        tensor([0., 1., 0.])
    """
    dtype = _checked_dtype("general_cosine", M, dtype, layout)
    if M <= 1:
        return _constant(M, dtype, device, requires_grad)
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    k = _samples(0.0, 2 * math.pi / _span(M, sym), M, dtype, device, requires_grad)
    signed = tensor([(-1) ** i * coef for i, coef in enumerate(a)], dtype=dtype,
                    device=device).unsqueeze(-1)
    order = arange(signed.shape[0], dtype=dtype, device=device).unsqueeze(-1)
    return (signed * (order * k).cos()).sum(0)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None,
                    layout=_STRIDED, device=None, requires_grad: bool = False) -> Tensor:
    """The generalized Hamming window, ``general_cosine`` with ``a=[alpha, 1 - alpha]``.

    Example:
        >>> ember.signal.windows.general_hamming(3, alpha=0.6)
        tensor([0.2000, 1.0000, 0.2000])
    """
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=_STRIDED, device=None,
            requires_grad: bool = False) -> Tensor:
    """The Hamming window, ``general_hamming`` with ``alpha=0.54``.

    Example:
        >>> ember.signal.windows.hamming(3)
        tensor([0.0800, 1.0000, 0.0800])
    """
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=_STRIDED, device=None,
         requires_grad: bool = False) -> Tensor:
    """The Hann window, ``general_hamming`` with ``alpha=0.5``.

    Example:
        >>> ember.signal.windows.hann(3)
        tensor([0., 1., 0.])
    """
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=_STRIDED, device=None,
             requires_grad: bool = False) -> Tensor:
    """The Blackman window, ``general_cosine`` with ``a=[0.42, 0.5, 0.08]``.

    Example:
        >>> ember.signal.windows.blackman(3)
        tensor([-1.4901e-08,  1.0000e+00, -1.4901e-08])
    """
    _checked_dtype("blackman", M, dtype, layout)
    return general_cosine(M, a=_BLACKMAN, sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=_STRIDED, device=None,
             requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular, zero at both ends) window.

    Example:
        >>> ember.signal.windows.bartlett(3)
        tensor([0., 1., 0.])
    """
    dtype = _checked_dtype("bartlett", M, dtype, layout)
    if M <= 1:
        return _constant(M, dtype, device, requires_grad)
    k = _samples(-1.0, 2 / _span(M, sym), M, dtype, device, requires_grad)
    return 1 - k.abs()


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=_STRIDED, device=None,
            requires_grad: bool = False) -> Tensor:
    """Nuttall's minimum 4-term Blackman–Harris window (``general_cosine`` with its four
    coefficients).

    Example:
        >>> ember.signal.windows.nuttall(3)
        tensor([3.6280e-04, 1.0000e+00, 3.6280e-04])
    """
    return general_cosine(M, a=_NUTTALL, sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)
