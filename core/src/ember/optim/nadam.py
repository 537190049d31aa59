"""NAdam: Adam with Nesterov momentum (and momentum decay)."""

from __future__ import annotations

from typing import Callable, Iterable

from ..ops.creation import zeros_like
from .adam import _check_adam_args
from .optimizer import Optimizer, _grads, _increment, _step_tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Implements NAdam, as ``torch.optim.NAdam`` (tensor ops under no_grad).

    ``mu_product`` is kept as a 0-dim float32 tensor, as torch keeps it, so that its
    rounding (and therefore every step) matches torch's.

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.NAdam([w], lr=0.1)
        >>> w.sum().backward(); opt.step()
    """

    def __init__(self, params: Iterable, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, decay = group["lr"], group["weight_decay"], group["momentum_decay"]
            for p, grad in _grads(group, "NAdam"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = _step_tensor(1.0)
                    state["exp_avg"] = zeros_like(p).detach()
                    state["exp_avg_sq"] = zeros_like(p).detach()
                step = _increment(state["step"])
                grad = -grad if group["maximize"] else grad
                bias_correction2 = 1 - beta2 ** step
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * wd)
                    else:
                        grad = grad.add(p, alpha=wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
                mu_product_t = state["mu_product"]
                mu_product_t.mul_(mu)
                mu_product = mu_product_t.item()
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt().add_(group["eps"])
                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
                p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product * mu_next))
        return loss
