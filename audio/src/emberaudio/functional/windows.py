"""Window functions with torch's defaults (``periodic=True``, float32).

They are computed in float64 and cast, so float32 results are the correctly rounded values
(torch evaluates in the requested dtype; the two differ by at most one float32 ulp).
The core should own these as ``ember.hann_window`` & co.; they live here until it does.
"""

from __future__ import annotations

import math

import ember

from ._util import i0

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


def _grid(window_length: int, periodic: bool, name: str):
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    denom = window_length if periodic else window_length - 1
    return ember.arange(window_length, dtype=ember.float64), denom


def _finish(w: ember.Tensor, dtype, device, requires_grad: bool) -> ember.Tensor:
    w = w.to(dtype=dtype or ember.get_default_dtype())
    if device is not None:
        w = w.to(device)
    return w.requires_grad_(requires_grad)


def _cosine_sum(window_length, periodic, coeffs, name, dtype, device, requires_grad):
    n, denom = _grid(window_length, periodic, name)
    if window_length <= 1:
        return _finish(ember.ones(window_length, dtype=ember.float64), dtype, device,
                       requires_grad)
    w = ember.zeros(window_length, dtype=ember.float64)
    for k, c in enumerate(coeffs):
        w = w + c * ember.cos(n * (2 * math.pi * k / denom)) * (-1) ** k
    return _finish(w, dtype, device, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                requires_grad: bool = False) -> ember.Tensor:
    """Hann window ``0.5 - 0.5 cos(2 pi n / N)`` (N = length if periodic else length - 1).

    Example:
        >>> hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _cosine_sum(window_length, periodic, (0.5, 0.5), "hann_window", dtype, device,
                       requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, device=None,
                   requires_grad: bool = False) -> ember.Tensor:
    """Hamming window ``alpha - beta cos(2 pi n / N)``.

    Example:
        >>> hamming_window(2)
        tensor([0.0800, 1.0000])
    """
    return _cosine_sum(window_length, periodic, (alpha, beta), "hamming_window", dtype, device,
                       requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                    requires_grad: bool = False) -> ember.Tensor:
    """Blackman window ``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``.

    Example:
        >>> bool(ember.allclose(blackman_window(4), ember.tensor([0.0, 0.34, 1.0, 0.34]),
        ...                     atol=1e-6))
        True
    """
    return _cosine_sum(window_length, periodic, (0.42, 0.5, 0.08), "blackman_window", dtype,
                       device, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                    requires_grad: bool = False) -> ember.Tensor:
    """Triangular window ``1 - |2n / N - 1|``.

    Example:
        >>> bartlett_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    n, denom = _grid(window_length, periodic, "bartlett_window")
    if window_length <= 1:
        return _finish(ember.ones(window_length, dtype=ember.float64), dtype, device,
                       requires_grad)
    w = 1.0 - ember.abs(n * (2.0 / denom) - 1.0)
    return _finish(w, dtype, device, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype=None, device=None, requires_grad: bool = False) -> ember.Tensor:
    """Kaiser window ``I0(beta sqrt(1 - (2n/N - 1)^2)) / I0(beta)``.

    Example:
        >>> kaiser_window(3, beta=0.0)
        tensor([1., 1., 1.])
    """
    n, denom = _grid(window_length, periodic, "kaiser_window")
    if window_length <= 1:
        return _finish(ember.ones(window_length, dtype=ember.float64), dtype, device,
                       requires_grad)
    r = n * (2.0 / denom) - 1.0
    arg = ember.sqrt(ember.clamp(1.0 - r * r, min=0.0)) * beta
    w = i0(arg) / i0(ember.tensor(float(beta), dtype=ember.float64))
    return _finish(w, dtype, device, requires_grad)
