"""Fused layer norm and batch norm Functions (C kernels forward and backward).

A first-order backward runs the fused backward kernel. When the graph of the
backward itself is wanted (create_graph=True), the gradients come from the same
normalisation written in differentiable ops, so higher orders are exact.
"""

from __future__ import annotations

from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ..autograd.grad_mode import STATE, no_grad
from ._util import backend_of, cast, reshaped
from .conv import compute_dtype, dense


def composite_grads(fn, inputs, needs, g):
    """Gradients of fn(*inputs) against g, as a differentiable graph (double backward)."""
    from ..autograd import grad
    wanted = [t for t, n in zip(inputs, needs) if n]
    out = fn(*inputs)
    got = iter(grad(out, wanted, g, create_graph=True, allow_unused=True))
    return tuple(next(got) if n else None for n in needs)


def layer_norm_composite(x, w, b, n_norm: int, eps: float):
    dims = tuple(range(x.dim() - n_norm, x.dim()))
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dims, keepdim=True)
    y = (x - mean) * (var + eps).rsqrt()
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


class LayerNorm(Function):
    """Normalises over the last n_norm dims; w and b (those dims' shape) may be None."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, w, b, n_norm, eps):
        N = 1
        for s in x._shape[x.dim() - n_norm:]:
            N *= s
        M = x.numel() // N if N else 0
        dt = compute_dtype(x)
        xc = reshaped(dense(x, dt), M, N)
        wc = reshaped(dense(w, dt), N) if w is not None else None
        bc = reshaped(dense(b, dt), N) if b is not None else None
        y = _empty((M, N), dt, x.device)
        mean, rstd = _empty((M,), dt, x.device), _empty((M,), dt, x.device)
        if N:
            backend_of(x).layer_norm(xc, wc, bc, eps, y, mean, rstd)
        ctx.n_norm, ctx.eps, ctx.MN = n_norm, eps, (M, N)
        ctx.save_for_backward(x, w, b)
        ctx.stats = (mean, rstd)
        return reshaped(cast(y, x._dtype), *x._shape)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        if STATE.enabled:
            n, eps = ctx.n_norm, ctx.eps
            return composite_grads(lambda x_, w_, b_: layer_norm_composite(x_, w_, b_, n, eps),
                                   (x, w, b), needs, g) + (None, None)
        M, N = ctx.MN
        dt = compute_dtype(x)
        mean, rstd = ctx.stats
        xc, gc = reshaped(dense(x, dt), M, N), reshaped(dense(g, dt), M, N)
        wc = reshaped(dense(w, dt), N) if w is not None else None
        gx = _empty((M, N), dt, x.device) if needs[0] else None
        gw = _empty((N,), dt, x.device) if needs[1] else None
        gb = _empty((N,), dt, x.device) if needs[2] else None
        backend_of(x).layer_norm_backward(xc, gc, wc, mean, rstd, gx, gw, gb)
        return (reshaped(cast(gx, x._dtype), *x._shape) if gx is not None else None,
                reshaped(cast(gw, w._dtype), *w._shape) if gw is not None else None,
                reshaped(cast(gb, b._dtype), *b._shape) if gb is not None else None, None,
                None)


def batch_norm_composite(x, mean, invstd, w, b, training: bool):
    """(x - mean) * invstd * w + b per channel (dim 1); training recomputes the stats."""
    dims = (0,) + tuple(range(2, x.dim()))
    shape = (1, -1) + (1,) * (x.dim() - 2)
    if training:
        mean = x.mean(dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dims, keepdim=True)
        y = (x - mean) * (var + invstd).rsqrt()  # invstd carries eps here
    else:
        y = (x - mean.reshape(shape)) * invstd.reshape(shape)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def _batch_norm_dtype(x):
    """The dtype the batch-norm kernels read x in: CUDA's read half types as they are
    (statistics, weight and bias in float32, as torch's mixed kernels under autocast), the
    CPU's compute in float32 or float64."""
    return x._dtype if x.device.type == "cuda" else compute_dtype(x)


class BatchNorm(Function):
    """y = (x - mean) invstd w + b per channel of x (N, C, *).

    training: the batch statistics are computed here (returned as extra outputs mean and
    biased var) and the running statistics, where given, move towards them by momentum;
    otherwise mean and var are the given running statistics.
    """

    _builtin = True

    @staticmethod
    def forward(ctx, x, w, b, running_mean, running_var, training, eps, momentum=0.1):
        N, C = x._shape[0], x._shape[1]
        for name, t in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", w), ("bias", b)):
            if t is not None and t.numel() != C:  # the kernels read C values of each
                raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
        L = x.numel() // max(N * C, 1)
        dt = compute_dtype(x)
        xc = reshaped(dense(x, _batch_norm_dtype(x)), N, C, L)
        if training:
            mean, var, invstd = (_empty((C,), dt, x.device) for _ in range(3))
            # the kernels update running statistics kept in place in the compute dtype (any
            # other kind, on another device too, takes the ops below and their errors)
            fused = [r if r is not None and r._dtype is dt and r.is_contiguous() and
                     r._storage.device == x._storage.device else None
                     for r in (running_mean, running_var)]
            backend_of(x).batch_norm_stats(xc, mean, var, invstd, eps, *fused, momentum)
            n = N * L
            for r, f, stat, unbias in ((running_mean, fused[0], mean, 1.0),
                                       (running_var, fused[1], var, n / max(n - 1, 1))):
                if f is not None:
                    r._storage.version += 1
                elif r is not None:
                    with no_grad():
                        r.mul_(1 - momentum).add_(stat, alpha=momentum * unbias)
        else:
            mean, var = dense(running_mean, dt), dense(running_var, dt)
            invstd = (var + eps).rsqrt()
        wc = dense(w, dt) if w is not None else None
        bc = dense(b, dt) if b is not None else None
        y = _empty((N, C, L), xc._dtype, x.device)
        backend_of(x).batch_norm_apply(xc, mean, invstd, wc, bc, y)
        ctx.training, ctx.eps, ctx.NCL = training, eps, (N, C, L)
        ctx.stats = (mean, invstd)
        ctx.save_for_backward(x, w, b)
        y = reshaped(cast(y, x._dtype), *x._shape)
        if training:
            ctx.mark_non_differentiable(mean, var)
            ctx.set_materialize_grads(False)  # no zero gradients made for the statistics
            return y, mean, var
        return y

    @staticmethod
    def backward(ctx, g, *_stat_grads):
        if g is None:
            return (None,) * 7
        x, w, b = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        mean, invstd = ctx.stats
        if STATE.enabled:
            tr, eps = ctx.training, ctx.eps
            if tr:
                fn = lambda x_, w_, b_: batch_norm_composite(x_, None, eps, w_, b_, True)  # noqa
            else:
                fn = lambda x_, w_, b_: batch_norm_composite(x_, mean, invstd, w_, b_, False)  # noqa
            return composite_grads(fn, (x, w, b), needs, g) + (None,) * 4
        N, C, L = ctx.NCL
        dt, xdt = compute_dtype(x), _batch_norm_dtype(x)
        xc, gc = reshaped(dense(x, xdt), N, C, L), reshaped(dense(g, xdt), N, C, L)
        wc = dense(w, dt) if w is not None else None
        gx = _empty((N, C, L), xdt, x.device) if needs[0] else None
        gw = _empty((C,), dt, x.device) if needs[1] else None
        gb = _empty((C,), dt, x.device) if needs[2] else None
        backend_of(x).batch_norm_backward(xc, gc, mean, invstd, wc, ctx.training, gx, gw, gb)
        return (reshaped(cast(gx, x._dtype), *x._shape) if gx is not None else None,
                cast(gw, w._dtype) if gw is not None else None,
                cast(gb, b._dtype) if gb is not None else None, None, None, None, None)


__all__ = ["LayerNorm", "BatchNorm", "Tensor"]
