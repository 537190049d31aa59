"""Adamax: Adam with an infinity-norm second moment."""

from __future__ import annotations

from typing import Callable, Iterable

from ..ops.creation import zeros_like
from ..ops.elementwise import maximum
from .adam import _check_adam_args
from .optimizer import Optimizer, _grads, _increment, _step_tensor

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Implements Adamax, as ``torch.optim.Adamax`` (tensor ops under no_grad).

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.Adamax([w], lr=0.1)
        >>> w.sum().backward(); opt.step()
        >>> w
        tensor([0.9000, 0.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, grad in _grads(group, "Adamax"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = zeros_like(p).detach()
                    state["exp_inf"] = zeros_like(p).detach()
                step = _increment(state["step"])
                grad = -grad if group["maximize"] else grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_inf.copy_(maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"])))
                clr = group["lr"] / (1 - beta1 ** step)
                p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss
