"""RMSprop (optionally centered, with momentum)."""

from __future__ import annotations

from typing import Callable, Iterable

from ..backends import cpu
from ..ops.creation import zeros_like
from .optimizer import Optimizer, _grads, _increment, _run_fused, _step_tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Implements RMSprop, as ``torch.optim.RMSprop``; one fused C pass per parameter.

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.RMSprop([w], lr=0.01)
        >>> w.sum().backward(); opt.step()
        >>> w
        tensor([0.9000, 0.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            updates = []
            for p, g in _grads(group, "RMSprop"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = zeros_like(p).detach()
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p).detach()
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p).detach()
                _increment(state["step"])
                updates.append((p, g, [state["square_avg"],
                                       state.get("grad_avg") if group["centered"] else None,
                                       state["momentum_buffer"] if momentum > 0 else None],
                                (group["lr"], group["alpha"], group["eps"],
                                 group["weight_decay"], momentum, group["maximize"])))
            _run_fused(group, cpu.rmsprop_step, updates)
        return loss
