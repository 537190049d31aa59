"""Small helpers shared by the functional modules (ember ops only, so gradients flow)."""

from __future__ import annotations

import ember
from ember.nn import functional as NF


def pad_last(x: ember.Tensor, left: int, right: int, mode: str = "constant",
             value: float = 0.0) -> ember.Tensor:
    """``nn.functional.pad(x, (left, right), mode)`` for inputs of any rank (torch's
    non-constant modes take only 2-D or 3-D inputs for a last-dim pad)."""
    if mode == "constant":
        return NF.pad(x, (left, right), value=value)
    rows = x.reshape(-1, x.shape[-1])
    return NF.pad(rows, (left, right), mode).reshape(*x.shape[:-1], -1)


def i0(x: ember.Tensor) -> ember.Tensor:
    """Modified Bessel function of the first kind, order 0 (ember has no ``special.i0``).

    Power series sum_k ((x/2)^k / k!)^2, with terms formed as running products; 80 terms
    reach float64 precision for |x| <= 30, which covers Kaiser betas in practice.
    """
    q = (x * 0.5) ** 2
    term = ember.ones_like(x)
    total = ember.ones_like(x)
    for k in range(1, 80):
        term = term * q / (k * k)
        total = total + term
    return total
