"""Small helpers shared by the functional modules (ember ops only, so gradients flow)."""

from __future__ import annotations

import ember


def pad_last(x: ember.Tensor, left: int, right: int, mode: str = "constant",
             value: float = 0.0) -> ember.Tensor:
    """Pads the last dimension like ``torch.nn.functional.pad(x, (left, right), mode)``.

    Built from slices, flips and ``cat`` because ember has no ``nn.functional.pad`` yet.
    """
    if left == 0 and right == 0:
        return x
    n = x.shape[-1]
    if mode == "constant":
        lead = x.shape[:-1]
        parts = [x.new_full((*lead, left), value), x, x.new_full((*lead, right), value)]
    elif mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(f"Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({left}, {right}) at dimension "
                               f"{x.ndim - 1} of input {list(x.shape)}")
        parts = [x[..., 1:left + 1].flip(-1), x, x[..., n - 1 - right:n - 1].flip(-1)]
    elif mode == "replicate":
        if n == 0:
            raise RuntimeError("cannot replicate-pad an empty dimension")
        parts = [x[..., :1].expand(*x.shape[:-1], left), x,
                 x[..., n - 1:].expand(*x.shape[:-1], right)]
    elif mode == "circular":
        if left > n or right > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        parts = [x[..., n - left:], x, x[..., :right]]
    else:
        raise ValueError(f"Unsupported padding mode {mode!r} (expected constant, reflect, "
                         f"replicate or circular).")
    return ember.cat([p for p in parts if p.shape[-1] > 0], dim=-1)


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
