"""Fused cross entropy over class indices: log-softmax, gather, weights, ignore_index
and label smoothing in one C pass forward and one backward.

The Function applies the reduction too, so that a training step's loss is one graph node
(as torch's NllLoss after LogSoftmax) rather than three. With create_graph=True the
backward is the same gradient in differentiable ops.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import _empty
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import backend_of, cast, device_of
from .activation import Softmax
from .conv import compute_dtype, dense


class CrossEntropy(Function):
    """Loss of logits x (B, K) against int64 targets (B,): per row for reduction "none",
    else their sum or (weighted) mean."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, label_smoothing, reduction):
        B, K = x._shape
        device_of(x, target, weight)  # the kernel reads all three: one device, or torch's error
        dt = compute_dtype(x)
        xc = dense(x, dt)
        tc = dense(target, D.int64)
        wc = dense(weight, dt) if weight is not None else None
        loss, lse = _empty((B,), dt, x.device), _empty((B, 2), dt, x.device)
        try:  # both backends check every target before they read x
            backend_of(x).cross_entropy(xc, tc, wc, int(ignore_index), float(label_smoothing),
                                        loss, lse)
        except IndexError:
            t = tc.cpu().numpy()
            bad = t[(t != ignore_index) & ((t < 0) | (t >= K))][0]
            raise IndexError(f"Target {bad} is out of bounds.") from None
        ctx.args = (int(ignore_index), float(label_smoothing), reduction)
        ctx.lse = lse
        ctx.save_for_backward(x, target, weight)
        loss = cast(loss, x._dtype)
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return total
        valid = (tc != ignore_index).to(loss._dtype)
        # torch's mean divides by the summed weights of the counted rows (0/0 = nan for none)
        # (detached: torch's loss is not differentiable in its class weights)
        ctx.denom = (valid * weight.detach()[tc * valid.long()]).sum() if weight is not None \
            else valid.sum()
        return total / ctx.denom

    @staticmethod
    def backward(ctx, g):
        x, target, weight = ctx.saved_tensors
        ignore_index, eps, reduction = ctx.args
        B = x._shape[0]
        if reduction != "none":  # every row's loss enters the total once
            g = (g / ctx.denom if reduction == "mean" else g).expand(B)
        if STATE.enabled:
            gx = _grad_composite(x, target, weight, ignore_index, eps, g)
            return gx, None, None, None, None, None
        dt = compute_dtype(x)
        gx = _empty(x._shape, dt, x.device)
        backend_of(x).cross_entropy_backward(dense(x, dt), ctx.lse, dense(target, D.int64),
                                             dense(weight, dt) if weight is not None else None,
                                             dense(g, dt), ignore_index, eps, gx)
        return cast(gx, x._dtype), None, None, None, None, None


def _grad_composite(x, target, weight, ignore_index, eps, g):
    """d loss_i / d x, times g_i, in differentiable ops (see templates/loss.inc)."""
    import ember
    B, K = x.shape
    valid = (target != ignore_index)
    t = ember.where(valid, target, ember.zeros_like(target))
    onehot = ember.zeros(B, K, dtype=x.dtype, device=x.device).scatter(1, t.reshape(B, 1), 1.0)
    w = weight if weight is not None else ember.ones(K, dtype=x.dtype, device=x.device)
    a = w[t] * (1 - eps) * valid.to(x.dtype)
    b = eps / K
    p = Softmax.apply(x, 1, False)
    coef = (a + b * w.sum() * valid.to(x.dtype)).reshape(B, 1)
    grad = p * coef - a.reshape(B, 1) * onehot - b * w.reshape(1, K) * valid.to(
        x.dtype).reshape(B, 1)
    return grad * g.reshape(B, 1)


__all__ = ["CrossEntropy"]
