"""Pooling Functions over (planes, H, W) inputs; 1-d pooling runs with H == 1.

Max pooling saves flat per-plane indices; its backward scatters through them and
that scatter's own backward gathers, so double backward works. Average pooling's
backward is its adjoint kernel, whose backward is average pooling again.
"""

from __future__ import annotations

from .._tensor import _empty
from .. import _dtype as D
from ..autograd.function import Function
from ._util import backend_of, cast, reshaped
from .conv import compute_dtype, dense


def _planes(x):
    """x (..., H, W) as contiguous float (planes, H, W) in the compute dtype."""
    H, W = x._shape[-2:]
    xc = dense(x, compute_dtype(x))
    return reshaped(xc, -1, H, W)


class MaxPool2d(Function):
    """Returns (values, indices); params = (kernel, stride, padding, dilation, out_hw)."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw):
        xp = _planes(x)
        P = xp._shape[0]
        y = _empty((P,) + tuple(out_hw), xp._dtype, x.device)
        idx = _empty((P,) + tuple(out_hw), D.int64, x.device)
        backend_of(x).max_pool2d(xp, kernel, stride, padding, dilation, y, idx)
        shape = x._shape[:-2] + tuple(out_hw)
        idx = reshaped(idx, *shape)
        ctx.x_shape = x._shape
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return reshaped(cast(y, x._dtype), *shape), idx

    @staticmethod
    def backward(ctx, g, _gidx):
        (idx,) = ctx.saved_tensors
        return MaxPoolBackward.apply(g, idx, ctx.x_shape), None, None, None, None, None


class MaxPoolBackward(Function):
    """gx = g scattered to the argmax positions (also adaptive max pooling's backward)."""

    _builtin = True

    @staticmethod
    def forward(ctx, g, idx, x_shape):
        ctx.save_for_backward(idx)
        H, W = x_shape[-2:]
        gc = dense(g, compute_dtype(g))
        P = idx.numel() // max(idx._shape[-1] * idx._shape[-2], 1) if idx.dim() >= 2 else 1
        gx = _empty((P, H * W), gc._dtype, g.device)
        backend_of(g).max_pool_backward(reshaped(gc, P, -1), reshaped(dense(idx), P, -1), gx)
        return reshaped(cast(gx, g._dtype), *x_shape)

    @staticmethod
    def backward(ctx, gg):
        (idx,) = ctx.saved_tensors
        return GatherPlanes.apply(gg, idx), None, None


class GatherPlanes(Function):
    """y[p, o] = x[p, idx[p, o]] within each (H, W) plane: the adjoint of MaxPoolBackward."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, idx):
        ctx.x_shape = x._shape
        ctx.save_for_backward(idx)
        xc = dense(x, compute_dtype(x))
        H, W = x._shape[-2:]
        P = xc.numel() // max(H * W, 1)
        y = _empty((P, idx.numel() // max(P, 1)), xc._dtype, x.device)
        backend_of(x).gather_planes(reshaped(xc, P, -1), reshaped(dense(idx), P, -1), y)
        return reshaped(cast(y, x._dtype), *idx._shape)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        return MaxPoolBackward.apply(g, idx, ctx.x_shape), None


class AvgPool2d(Function):
    """params = (kernel, stride, padding, count_include_pad, divisor_override, out_hw)."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, *params):
        ctx.params, ctx.x_shape = params, x._shape
        return _avg(x, params, x._shape, False)

    @staticmethod
    def backward(ctx, g):
        return (AvgPool2dBackward.apply(g, ctx.x_shape, *ctx.params),) + (None,) * 6


class AvgPool2dBackward(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, g, x_shape, *params):
        ctx.params = params
        return _avg(g, params, x_shape, True)

    @staticmethod
    def backward(ctx, gg):
        return (AvgPool2d.apply(gg, *ctx.params),) + (None,) * 7


def _avg(t, params, x_shape, backward: bool):
    kernel, stride, padding, count_include_pad, divisor_override, out_hw = params
    H, W = x_shape[-2:]
    dt = compute_dtype(t)
    if backward:
        y = reshaped(dense(t, dt), -1, *out_hw)
        x = _empty((y._shape[0], H, W), dt, t.device)
    else:
        x = _planes(t)
        y = _empty((x._shape[0],) + tuple(out_hw), dt, t.device)
    backend_of(t).avg_pool2d(backward, x, y, kernel, stride, padding, count_include_pad,
                             divisor_override)
    if backward:
        return reshaped(cast(x, t._dtype), *x_shape)
    return reshaped(cast(y, t._dtype), *x_shape[:-2], *out_hw)


class AdaptiveAvgPool2d(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, out_hw):
        ctx.x_shape, ctx.out_hw = x._shape, out_hw
        xp = _planes(x)
        y = _empty((xp._shape[0],) + tuple(out_hw), xp._dtype, x.device)
        backend_of(x).adaptive_pool2d(0, xp, y)
        return reshaped(cast(y, x._dtype), *x._shape[:-2], *out_hw)

    @staticmethod
    def backward(ctx, g):
        return AdaptiveAvgPool2dBackward.apply(g, ctx.x_shape), None


class AdaptiveAvgPool2dBackward(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, g, x_shape):
        ctx.out_hw = g._shape[-2:]
        H, W = x_shape[-2:]
        gc = dense(g, compute_dtype(g))
        y = reshaped(gc, -1, *g._shape[-2:])
        x = _empty((y._shape[0], H, W), gc._dtype, g.device)
        backend_of(g).adaptive_pool2d(2, x, y)
        return reshaped(cast(x, g._dtype), *x_shape)

    @staticmethod
    def backward(ctx, gg):
        return AdaptiveAvgPool2d.apply(gg, ctx.out_hw), None


class AdaptiveMaxPool2d(Function):
    """Returns (values, indices)."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, out_hw):
        xp = _planes(x)
        P = xp._shape[0]
        y = _empty((P,) + tuple(out_hw), xp._dtype, x.device)
        idx = _empty((P,) + tuple(out_hw), D.int64, x.device)
        backend_of(x).adaptive_pool2d(1, xp, y, idx)
        shape = x._shape[:-2] + tuple(out_hw)
        idx = reshaped(idx, *shape)
        ctx.x_shape = x._shape
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return reshaped(cast(y, x._dtype), *shape), idx

    @staticmethod
    def backward(ctx, g, _gidx):
        (idx,) = ctx.saved_tensors
        return MaxPoolBackward.apply(g, idx, ctx.x_shape), None
