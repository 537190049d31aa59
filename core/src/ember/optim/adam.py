"""Adam (and, through ``decoupled_weight_decay``, AdamW)."""

from __future__ import annotations

from typing import Callable, Iterable

from ..backends import cpu
from ..ops.creation import zeros_like
from .optimizer import Optimizer, _grads, _increment, _run_fused, _step_tensor

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Implements Adam, as ``torch.optim.Adam`` (amsgrad, maximize, weight decay, and
    AdamW's decoupled weight decay).

    The whole update of a parameter (moments, bias correction, denominator, step)
    is one fused C pass in torch's operation order.

    Example:
        >>> w = ember.zeros(2, requires_grad=True)
        >>> opt = ember.optim.Adam([w], lr=0.1)
        >>> (w - ember.tensor([1.0, -1.0])).pow(2).sum().backward(); opt.step()
        >>> w
        tensor([ 0.1000, -0.1000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("amsgrad", False), ("maximize", False), ("foreach", None),
                               ("capturable", False), ("differentiable", False),
                               ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(key, value)
            for p in group["params"]:
                st = self.state.get(p)
                if st and not hasattr(st["step"], "item"):
                    st["step"] = _step_tensor(float(st["step"]))

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            updates = []
            for p, g in _grads(group, "Adam"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = zeros_like(p).detach()
                    state["exp_avg_sq"] = zeros_like(p).detach()
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p).detach()
                step = _increment(state["step"])
                updates.append((p, g, [state["exp_avg"], state["exp_avg_sq"],
                                       state["max_exp_avg_sq"] if group["amsgrad"] else None],
                                (group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                                 group["decoupled_weight_decay"], group["maximize"], step)))
            _run_fused(group, cpu.adam_step, updates)
        return loss
