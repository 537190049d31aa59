"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from typing import Callable, Iterable

from .._tensor import Tensor
from ..ops.creation import tensor, zeros_like
from .optimizer import Optimizer, _grads, _increment, _step_tensor
from .rprop import _check_tensor_lr, _scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Implements averaged stochastic gradient descent, as ``torch.optim.ASGD``.

    The step size decays as ``lr / (1 + lambd * lr * t) ** alpha``; from step ``t0``
    on, ``state["ax"]`` keeps the running average of the iterates.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the eta update (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        foreach, differentiable, capturable: accepted for torch compatibility.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.ASGD([w], lr=0.1)
        >>> w.sum().backward(); opt.step()
        >>> w
        tensor([0.9000, 0.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("foreach", None), ("maximize", False),
                               ("differentiable", False), ("capturable", False)):
                group.setdefault(key, value)
            for p in group["params"]:
                st = self.state.get(p)
                if st:
                    for key in ("step", "eta", "mu"):
                        if not isinstance(st[key], Tensor):
                            st[key] = _step_tensor(float(st[key])).to(p.device)

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha = _scalar(group["lr"]), group["lambd"], group["alpha"]
            for p, grad in _grads(group, "ASGD"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["eta"] = _step_tensor(lr).to(p.device)
                    state["mu"] = _step_tensor(1.0).to(p.device)
                    state["ax"] = zeros_like(p).detach()
                step = _increment(state["step"])
                grad = -grad if group["maximize"] else grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                eta, mu, ax = state["eta"], state["mu"], state["ax"]
                eta_value = eta.item()
                p.mul_(1 - lambd * eta_value)
                p.add_(grad, alpha=-eta_value)
                if mu.item() != 1:
                    ax.add_(p.sub(ax).mul_(mu))
                else:
                    ax.copy_(p)
                # the new values go through a tensor of the default dtype, as torch's
                # as_tensor does (it matters once eta and mu are loaded as float64)
                eta.copy_(tensor(lr / ((1 + lambd * lr * step) ** alpha)))
                mu.copy_(tensor(1 / max(1, step - group["t0"])))
        return loss
