"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Callable, Iterable

from ..backends import cpu
from . import _sparse_updates as sparse_updates
from .optimizer import Optimizer, _grads, _run_fused

__all__ = ["SGD"]


class SGD(Optimizer):
    """Implements stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Each parameter's update is one fused C pass (csrc/optim.c) that follows torch's
    formula: ``g += wd * p; buf = momentum * buf + (1 - dampening) * g;
    g = g + momentum * buf if nesterov else buf; p -= lr * g``. On CUDA one launch updates
    up to 64 parameters (``foreach``, torch's default there; ``foreach=False`` launches
    one per parameter, with the same numbers). A sparse COO gradient (from
    ``nn.Embedding(sparse=True)``) updates only its rows, with a sparse momentum buffer.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            updates = []
            for p, g in _grads(group, "SGD", sparse_ok=True):
                state = self.state[p]
                if g.is_sparse:
                    sparse_updates.sgd_step(p, g, state, group)
                    continue
                buf = state.get("momentum_buffer") if momentum != 0 else None
                init = momentum != 0 and buf is None
                if init:
                    buf = p.detach().new_empty(p.shape)
                    state["momentum_buffer"] = buf
                updates.append((p, g, [buf], (group["lr"], group["weight_decay"], momentum,
                                              group["dampening"], group["nesterov"],
                                              group["maximize"], init)))
            _run_fused(group, cpu.sgd_step, updates)
        return loss
