"""Adafactor: Adam-like steps with a factored second moment (row and column means)."""

from __future__ import annotations

from typing import Callable, Iterable

from .._dtype import finfo
from .._tensor import Tensor
from ..ops.creation import zeros_like
from .optimizer import Optimizer, _grads, _increment, _step_tensor
from .rprop import _check_tensor_lr, _scalar

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Implements Adafactor, as ``torch.optim.Adafactor``.

    A parameter of two or more dimensions keeps its second moment factored over its
    last two dimensions (``state["row_var"]`` and ``state["col_var"]``); one of fewer
    dimensions keeps the full ``state["variance"]``. The step is scaled by the
    parameter's RMS (at least ``eps[1]``) and by ``min(lr, 1 / sqrt(t))``, and the
    update's RMS is clipped at ``d``.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate, the ceiling of the relative step size (default 1e-2).
        beta2_decay: decay of the second moment's averaging weight ``t ** beta2_decay``
            (default -0.8).
        eps: (eps1, eps2): eps1 guards the second moment (None: the dtype's machine
            epsilon), eps2 the parameter's RMS (default (None, 1e-3)).
        d: clipping threshold of the update's RMS (default 1.0).
        weight_decay: decoupled weight decay (default 0.0).
        foreach: accepted for torch compatibility.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> w = ember.ones(2, 3, requires_grad=True)
        >>> opt = ember.optim.Adafactor([w], lr=0.01)
        >>> w.sum().backward(); opt.step()
        >>> sorted(opt.state[w])
        ['col_var', 'row_var', 'step']
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            for p in group["params"]:
                st = self.state.get(p)
                if st and not isinstance(st["step"], Tensor):
                    st["step"] = _step_tensor(float(st["step"]))

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, d, weight_decay = _scalar(group["lr"]), group["d"], group["weight_decay"]
            eps1, eps2 = group["eps"]
            for p, grad in _grads(group, "Adafactor"):
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    if grad.dim() > 1:
                        state["row_var"] = grad.new_zeros([*grad.shape[:-1], 1])
                        state["col_var"] = grad.new_zeros([*grad.shape[:-2], 1, grad.shape[-1]])
                    else:
                        state["variance"] = zeros_like(grad).detach()
                if eps1 is None:  # as torch: the first parameter's dtype sets it for the group
                    eps1 = finfo(p.dtype).eps
                grad = -grad if group["maximize"] else grad
                t = _increment(state["step"])
                beta2_weight = t ** group["beta2_decay"]
                rho = min(lr, 1 / t ** 0.5)
                alpha = max(eps2, p.norm(2).item() / p.numel() ** 0.5) * rho
                if weight_decay != 0:
                    p.mul_(1 - lr * weight_decay)
                if grad.dim() > 1:
                    row_var, col_var = state["row_var"], state["col_var"]
                    # the mean of grad**2 along a dimension, through the norm as torch
                    row_var.lerp_(grad.norm(dim=-1, keepdim=True).square_()
                                  .div_(grad.shape[-1]), beta2_weight)
                    col_var.lerp_(grad.norm(dim=-2, keepdim=True).square_()
                                  .div_(grad.shape[-2]), beta2_weight)
                    estimate = row_var @ col_var
                    estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
                else:
                    variance = state["variance"]
                    variance.lerp_(grad * grad, beta2_weight)
                    estimate = variance.clone()
                update = estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
                denom = max(1.0, update.norm(2).item() / (update.numel() ** 0.5 * d))
                p.add_(update, alpha=-alpha / denom)
        return loss
