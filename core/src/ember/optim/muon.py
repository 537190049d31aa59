"""Muon: momentum whose update is orthogonalised by a Newton–Schulz iteration."""

from __future__ import annotations

import math
from typing import Callable, Iterable

from .. import _dtype as D
from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.linalg import addmm
from .optimizer import Optimizer

__all__ = ["Muon"]

# The quintic's coefficients and iteration count of Keller Jordan's Muon, torch's defaults.
_NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
_NS_STEPS = 5
_EPS = 1e-7
_LR_ADJUSTMENTS = ("original", "match_rms_adamw")


def _orthogonalize(update: Tensor, coefficients: tuple[float, float, float], steps: int,
                   eps: float) -> Tensor:
    """Newton–Schulz iterations pushing the singular values of ``update`` towards 1,
    in bfloat16 like torch (so both sides round at the same points)."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if update.dim() != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    # The iteration multiplies by X @ X.T: the smaller side keeps that Gram matrix small.
    tall = update.shape[0] > update.shape[1]
    x = update.to(D.bfloat16)
    if tall:
        x = x.T
    # Dividing by the Frobenius norm bounds the spectral norm by 1, where the quintic converges.
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        poly = addmm(gram, gram, gram, beta=b, alpha=c)
        x = addmm(x, poly, x, beta=a)
    return x.T if tall else x


def _adjusted_lr(lr: float, adjust_lr_fn: str | None, shape) -> float:
    """Scales lr so orthogonalised updates of any matrix shape have a comparable RMS."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


def _params_with_grads(group: dict) -> list[tuple[Tensor, Tensor]]:
    """The group's (param, grad) pairs, every one checked before any is updated."""
    pairs = []
    for p in group["params"]:
        grad = p.grad
        if grad is None:
            continue
        if p.is_complex():
            raise RuntimeError("Muon does not support complex parameters")
        if getattr(grad, "is_sparse", False):
            raise RuntimeError("Muon does not support sparse gradients")
        pairs.append((p, grad))
    return pairs


class Muon(Optimizer):
    """Implements Muon, as ``torch.optim.Muon``, for 2D parameters (hidden layers' weight
    matrices; biases and embeddings belong to another optimizer such as AdamW).

    Each step: ``buf = momentum * buf + (1 - momentum) * g`` (a lerp), the update is
    ``lerp(g, buf, momentum)`` with ``nesterov`` or ``buf`` without; it is orthogonalised
    by ``ns_steps`` Newton–Schulz iterations with ``ns_coefficients`` in bfloat16; the
    parameter decays by ``1 - lr * weight_decay`` and moves by the update times lr,
    scaled by shape (``adjust_lr_fn``: ``"original"`` or None: ``sqrt(max(1, rows /
    cols))``; ``"match_rms_adamw"``: ``0.2 * sqrt(max(rows, cols))``).

    Example:
        >>> w = ember.randn(4, 3, requires_grad=True)
        >>> opt = ember.optim.Muon([w], lr=0.02)
        >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = _NS_COEFFICIENTS,
                 eps: float = _EPS, ns_steps: int = _NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in _LR_ADJUSTMENTS:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = group["lr"]
            lr = lr.item() if isinstance(lr, Tensor) else lr
            momentum = group["momentum"]
            for p, grad in _params_with_grads(group):
                if grad.dim() != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = zeros_like(grad).detach()
                buf = state["momentum_buffer"]
                buf.lerp_(grad, 1 - momentum)
                update = grad.lerp(buf, momentum) if group["nesterov"] else buf
                update = _orthogonalize(update, group["ns_coefficients"], group["ns_steps"],
                                        group["eps"])
                p.mul_(1 - lr * group["weight_decay"])
                p.add_(update.to(p.dtype),
                       alpha=-_adjusted_lr(lr, group["adjust_lr_fn"], p.shape))
        return loss
