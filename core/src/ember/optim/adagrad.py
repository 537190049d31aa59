"""Adagrad."""

from __future__ import annotations

from typing import Callable, Iterable

from ..backends import cpu
from ..ops.creation import full_like
from . import _sparse_updates as sparse_updates
from .optimizer import Optimizer, _grads, _increment, _run_fused, _step_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Implements Adagrad, as ``torch.optim.Adagrad``; one fused C pass per parameter.

    State is created in the constructor (like torch), so a fresh optimizer's
    ``state_dict`` already holds ``step`` and ``sum`` for every parameter. A sparse COO
    gradient updates only its rows (weight_decay is refused with it, as in torch).

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.Adagrad([w], lr=0.5)
        >>> w.sum().backward(); opt.step()
        >>> w
        tensor([0.5000, 0.5000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = full_like(p, initial_accumulator_value).detach()

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            updates = []
            for p, g in _grads(group, "Adagrad", sparse_ok=True):
                state = self.state[p]
                step = _increment(state["step"])
                clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                if g.is_sparse:
                    sparse_updates.adagrad_step(p, g, state["sum"], clr, group)
                    continue
                updates.append((p, g, [state["sum"]], (clr, group["weight_decay"], group["eps"],
                                                       group["maximize"])))
            _run_fused(group, cpu.adagrad_step, updates)
        return loss
