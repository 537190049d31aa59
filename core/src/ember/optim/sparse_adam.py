"""SparseAdam: Adam for the sparse COO gradients of nn.Embedding(sparse=True)."""

from __future__ import annotations

from typing import Callable, Iterable

from .._tensor import Tensor
from ..ops.creation import zeros_like
from ._sparse_updates import sparse_adam_step
from .optimizer import Optimizer
from .rprop import _check_tensor_lr

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Implements SparseAdam, as ``torch.optim.SparseAdam``: Adam whose moments and
    parameters change only at the rows a sparse gradient holds (its duplicates summed).
    Dense gradients raise torch's RuntimeError.

    Example:
        >>> emb = ember.nn.Embedding(10, 3, sparse=True)
        >>> opt = ember.optim.SparseAdam(emb.parameters(), lr=0.1)
        >>> emb(ember.tensor([1, 4, 1])).sum().backward()
        >>> opt.step()  # rows 1 and 4 move, the others keep their values
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
        """Performs a single optimization step; ``closure`` re-evaluates the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not p.grad.is_sparse:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = zeros_like(p).detach()
                    state["exp_avg_sq"] = zeros_like(p).detach()
                state["step"] += 1
                sparse_adam_step(p, p.grad, state, group)
        return loss
