"""cdist: the p-norm distance between every pair of rows of two batches of point sets.

Both ways torch computes it, with torch's numbers and gradients: for p = 2 on larger sets,
one matrix product of rows extended by their squared norms, ``[-2 x1, |x1|^2, 1] @ [x2, 1,
|x2|^2]^T``, clamped at 0 before the square root; otherwise the pairwise differences and
their p-norm. Each is a Function whose backward is written in differentiable ops; a zero
distance gets a zero gradient, as in torch.

Example:
    >>> ember.cdist(ember.tensor([[0., 0.], [3., 4.]]), ember.tensor([[0., 0.]]))
    tensor([[0.],
            [5.]])
"""

from __future__ import annotations

import math

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import broadcast_shapes, pretty_dtype
from .creation import ones_like
from .join import cat

_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")
# torch's "if necessary": the product form pays off once either set has more points
_MM_MIN_POINTS = 25


class _EuclideanDistance(Function):
    """sqrt(max(|a|^2 + |b|^2 - 2 a.b, 0)) for every pair of rows, by one matrix product."""

    @staticmethod
    def forward(ctx, x1: Tensor, x2: Tensor) -> Tensor:
        n1 = (x1 * x1).sum(-1, keepdim=True)
        n2 = (x2 * x2).sum(-1, keepdim=True)
        left = cat([x1 * -2, n1, ones_like(n1)], -1)
        right = cat([x2, ones_like(n2), n2], -1)
        out = (left @ right.mT).clamp_min_(0).sqrt_()
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x1, x2, out = ctx.saved_tensors
        ratio = (grad / out).masked_fill(out == 0, 0)
        g1 = g2 = None
        if ctx.needs_input_grad[0]:
            g1 = x1 * ratio.sum(-1, keepdim=True) - ratio @ x2
        if ctx.needs_input_grad[1]:
            g2 = x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT @ x1
        return g1, g2


class _PairwiseDistance(Function):
    """The p-norm of x1[..., i, :] - x2[..., j, :] for every i, j, from the differences."""

    @staticmethod
    def forward(ctx, x1: Tensor, x2: Tensor, p: float) -> Tensor:
        diff = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs_()
        if p == 0:
            out = (diff != 0).to(x1.dtype).sum(-1)
        elif p == 1:
            out = diff.sum(-1)
        elif p == 2:
            out = (diff * diff).sum(-1).sqrt_()
        elif p == math.inf:
            out = diff.amax(-1) if diff.shape[-1] else diff.sum(-1)
        else:
            out = diff.pow_(p).sum(-1).pow_(1 / p)
        ctx.save_for_backward(x1, x2, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x1, x2, out = ctx.saved_tensors
        p = ctx.p
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        dist = out.unsqueeze(-1)
        if p == 0:
            weight = diff * 0
        elif p == 1:
            weight = diff.sign()
        elif p == 2:
            weight = diff / dist
        elif p == math.inf:
            weight = diff.sign() * (diff.abs() == dist)
        else:
            weight = diff.sign() * diff.abs().pow(p - 1) / dist.pow(p - 1)
        zero = dist == 0
        if p < 1:  # |0|^(p-1) is infinite: a zero difference gets no gradient
            zero = zero | (diff == 0)
        weighted = grad.unsqueeze(-1) * weight.masked_fill(zero, 0)
        g1 = weighted.sum(-2) if ctx.needs_input_grad[0] else None
        g2 = -weighted.sum(-3) if ctx.needs_input_grad[1] else None
        return g1, g2, None


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1 (B..., P, M) and each row of x2
    (B..., R, M), as a (B..., P, R) tensor; the batch dims broadcast.

    compute_mode picks how p = 2 is computed: by a matrix product always, never, or
    (the default) when either set has more than 25 points, as torch does.

    Example:
        >>> ember.cdist(ember.zeros(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"cdist(): argument '{name.lower()}' must be Tensor, not "
                            f"{type(x).__name__}")
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.dim()}D")
        if not x.dtype.is_floating_point or x.dtype.is_complex:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{pretty_dtype(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. "
                           f"X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"cdist: expected X1 and X2 to have the same dtype, got "
                           f"{pretty_dtype(x1.dtype)} and {pretty_dtype(x2.dtype)}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    x1 = x1.expand(*batch, *x1.shape[-2:])
    x2 = x2.expand(*batch, *x2.shape[-2:])
    points1, points2 = x1.shape[-2], x2.shape[-2]
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
            compute_mode == _COMPUTE_MODES[0] and
            (points1 > _MM_MIN_POINTS or points2 > _MM_MIN_POINTS))):
        return _EuclideanDistance.apply(x1, x2)
    return _PairwiseDistance.apply(x1, x2, float(p))
