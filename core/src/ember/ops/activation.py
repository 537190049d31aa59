"""Fused softmax and log_softmax along one dim (C kernels, numerically stable).

The backward of each is its own fused node; that node's backward is written with
differentiable ops, so double backward works.
"""

from __future__ import annotations

from .._tensor import Tensor, _empty
from ..amp.autocast_mode import cast_fp32
from ..autograd.function import Function
from ._util import backend_of, cast, wrap_dim
from .conv import compute_dtype, dense


def _split(shape: tuple, dim: int) -> tuple[int, int, int]:
    outer = 1
    for s in shape[:dim]:
        outer *= s
    inner = 1
    for s in shape[dim + 1:]:
        inner *= s
    return outer, (shape[dim] if shape else 1), inner


class Softmax(Function):
    """softmax (is_log False) or log_softmax (True) of x along dim."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, dim, is_log):
        dim = wrap_dim(dim, x.dim())
        xc = dense(x, compute_dtype(x))
        y = _empty(x._shape, xc._dtype, x.device)
        backend_of(x).softmax(is_log, xc, *_split(x._shape, dim), y)
        y = cast(y, x._dtype)
        ctx.dim, ctx.is_log = dim, is_log
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxBackward.apply(y, g, ctx.dim, ctx.is_log), None, None


class SoftmaxBackward(Function):
    """gx from (y, g): softmax y * (g - sum(g y)); log_softmax g - exp(y) sum(g)."""

    _builtin = True

    @staticmethod
    def forward(ctx, y, g, dim, is_log):
        dt = compute_dtype(y)
        yc, gc = dense(y, dt), dense(g, dt)
        gx = _empty(y._shape, dt, y.device)
        backend_of(y).softmax_backward(is_log, yc, gc, *_split(y._shape, dim), gx)
        ctx.dim, ctx.is_log = dim, is_log
        ctx.save_for_backward(y, g)
        return cast(gx, y._dtype)

    @staticmethod
    def backward(ctx, gg):
        y, g = ctx.saved_tensors
        dim = ctx.dim
        if ctx.is_log:
            p = y.exp()
            sg = g.sum(dim, keepdim=True)
            gpg = (gg * p).sum(dim, keepdim=True)
            return -gg * p * sg, gg - gpg, None, None
        s = (g * y).sum(dim, keepdim=True)
        ggy = (gg * y).sum(dim, keepdim=True)
        return gg * (g - s) - g * ggy, y * (gg - ggy), None, None


def softmax(input: Tensor, dim: int | None = None, dtype=None, *, is_log: bool = False) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, fused and numerically stable (``ember.softmax``,
    ``Tensor.softmax`` and ``F.softmax``); is_log=True gives log_softmax.

    Example:
        >>> ember.softmax(ember.zeros(4), 0).tolist()
        [0.25, 0.25, 0.25, 0.25]
    """
    if dtype is not None:
        input = input.to(dtype)
    else:
        (input,) = cast_fp32(input)  # autocast: softmax runs in float32
    if not input._dtype.is_floating_point:
        raise RuntimeError(f"\"{'log_softmax' if is_log else 'softmax'}_lastdim_kernel_impl\" "
                           f"not implemented for '{input._dtype}'")
    if dim is None:
        dim = 0 if input.dim() in (0, 1, 3) else 1
    if input.dim() == 0:
        return Softmax.apply(input.reshape(1), 0, is_log).reshape(())
    return Softmax.apply(input, dim, is_log)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim, fused (``ember.log_softmax``)."""
    return softmax(input, dim, dtype, is_log=True)


__all__ = ["Softmax", "SoftmaxBackward", "softmax", "log_softmax"]
