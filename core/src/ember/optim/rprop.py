"""Rprop: resilient backpropagation (per-element step sizes driven by gradient signs)."""

from __future__ import annotations

from typing import Callable, Iterable

from .._tensor import Tensor
from ..ops.creation import full_like, ones_like, zeros_like
from .optimizer import Optimizer, _grads, _increment, _step_tensor

__all__ = ["Rprop"]


def _scalar(value) -> float:
    """A Python number from a float or a one-element tensor learning rate."""
    return value.item() if isinstance(value, Tensor) else value


def _check_tensor_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


class Rprop(Optimizer):
    """Implements the resilient backpropagation algorithm, as ``torch.optim.Rprop``.

    Each element keeps its own step size: it grows by ``etas[1]`` while the gradient
    keeps its sign, shrinks by ``etas[0]`` when the sign flips (and that element then
    skips its update), and stays within ``step_sizes``. Parameters move by the step
    size times the sign of the gradient.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: the initial step size of every element (default 1e-2).
        etas: (etaminus, etaplus), the shrink and growth factors (default (0.5, 1.2)).
        step_sizes: (minimal, maximal) step size (default (1e-6, 50)).
        capturable, foreach, differentiable: accepted for torch compatibility; the
            update is the same either way.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.Rprop([w], lr=0.1)
        >>> w.sum().backward(); opt.step()
        >>> w
        tensor([0.9000, 0.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *,
                 capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
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
                if st and not isinstance(st["step"], Tensor):
                    st["step"] = _step_tensor(float(st["step"]))

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            size_min, size_max = group["step_sizes"]
            for p, grad in _grads(group, "Rprop"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["prev"] = zeros_like(p).detach()
                    state["step_size"] = full_like(grad, _scalar(group["lr"])).detach()
                _increment(state["step"])
                grad = -grad if group["maximize"] else grad
                prev, step_size = state["prev"], state["step_size"]
                agreement = grad.mul(prev)
                flipped = agreement < 0
                factor = ones_like(step_size)
                factor.masked_fill_(agreement > 0, etaplus)
                factor.masked_fill_(flipped, etaminus)
                step_size.mul_(factor).clamp_(size_min, size_max)
                grad = grad.masked_fill(flipped, 0)
                p.addcmul_(grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
