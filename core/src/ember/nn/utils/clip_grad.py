"""Gradient clipping: clip_grad_norm_, clip_grad_value_, get_total_norm.

Example:
    >>> lin = nn.Linear(2, 1)
    >>> lin(ember.ones(1, 2)).sum().backward()
    >>> float(nn.utils.clip_grad_norm_(lin.parameters(), 1.0)) > 0
    True
"""

from __future__ import annotations

import math
from typing import Iterable

import ember

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad


def _tensors(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The norm of the norms of tensors (their concatenation's norm)."""
    tensors = _tensors(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return ember.tensor(0.0)
    if any(t.is_sparse for t in tensors):
        # as torch, whose vector norm has no sparse kernel
        raise NotImplementedError("get_total_norm / clip_grad_norm_ do not take sparse COO "
                                  "gradients (torch's do not either); densify them with "
                                  ".to_dense() first")
    with no_grad():
        norms = [t.detach().abs().max() if norm_type == math.inf else
                 t.detach().norm(norm_type) for t in tensors]
        stacked = ember.stack([n.to(norms[0].dtype) for n in norms])
        total = stacked.max() if norm_type == math.inf else stacked.norm(norm_type)
    if error_if_nonfinite and bool(total.isnan() | total.isinf()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scales gradients in place by max_norm / (total_norm + 1e-6), clamped at 1."""
    grads = [p.grad for p in _tensors(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Rescales the gradients so that their total norm is at most max_norm; returns the
    total norm before clipping."""
    params = _tensors(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamps every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _tensors(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)
