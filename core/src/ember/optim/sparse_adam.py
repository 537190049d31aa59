"""SparseAdam: Adam for sparse gradients (which ember does not have)."""

from __future__ import annotations

from typing import Callable, Iterable

from .._tensor import Tensor
from .optimizer import Optimizer
from .rprop import _check_tensor_lr

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """``torch.optim.SparseAdam``'s constructor, checks and errors.

    Ember's parameters get dense gradients (nn.Embedding's sparse=True is not yet honoured),
    so :meth:`step` raises torch's ``RuntimeError`` for dense gradients ("SparseAdam does not
    support dense gradients, please consider Adam instead"), and NotImplementedError for a
    sparse COO gradient, whose update ember does not have yet. The class exists so that
    code which constructs a SparseAdam (with torch's argument checks) runs and gets torch's
    error where torch would give one; use :class:`ember.optim.Adam` to train.

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.SparseAdam([w], lr=0.1)
        >>> w.sum().backward()
        >>> opt.step()
        Traceback (most recent call last):
        RuntimeError: SparseAdam does not support dense gradients, please consider Adam instead
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        _check_tensor_lr(lr)
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does "
                             "not support complex parameters")

    def step(self, closure: Callable | None = None):
        """Raises torch's error for dense gradients; sparse ones are not supported yet (an
        update that silently did nothing would be a wrong answer)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and not getattr(p.grad, "is_sparse", False):
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
                if p.grad is not None:
                    raise NotImplementedError("SparseAdam's update for sparse COO gradients is "
                                              "not implemented in ember yet")
        return loss
