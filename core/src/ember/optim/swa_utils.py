"""Weight averaging, as ``torch.optim.swa_utils``: ``AveragedModel`` (SWA or EMA of a model's
weights), ``SWALR`` (anneals the lr to a constant SWA lr) and ``update_bn`` (recomputes batch-norm
statistics for averaged weights).

Example:
    >>> model = ember.nn.Linear(2, 1)
    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
    >>> swa_model, swa_sched = AveragedModel(model), SWALR(opt, swa_lr=0.05)
    >>> for epoch in range(3):
    ...     model(ember.ones(4, 2)).sum().backward(); opt.step(); opt.zero_grad()
    ...     swa_model.update_parameters(model); swa_sched.step()
    >>> int(swa_model.n_averaged)
    3
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy
from typing import Any, Callable, Iterable

from .. import _dtype as D
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from ..ops.creation import tensor
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[list, list, Any], None]:
    """An exponential moving average for ``AveragedModel(multi_avg_fn=...)``: updates the list of
    averaged tensors in place, ``ema = decay * ema + (1 - decay) * current``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] "
                         "range.")

    @no_grad()
    def ema_update(ema_param_list: list, current_param_list: list, _: Any) -> None:
        if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[list, list, Any], None]:
    """The equal-weight running mean for ``AveragedModel(multi_avg_fn=...)``, in place."""

    @no_grad()
    def swa_update(averaged_param_list: list, current_param_list: list, num_averaged: Any) -> None:
        weight = 1 / (float(num_averaged) + 1)
        if averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex():
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                p_avg.lerp_(p_model, weight)
        else:
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                p_avg.copy_(p_avg + (p_model - p_avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Any, Any, Any], Any]:
    """An exponential moving average for ``AveragedModel(avg_fn=...)``: returns
    ``decay * ema + (1 - decay) * current``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] "
                         "range.")

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Any, Any, Any], Any]:
    """The equal-weight running mean for ``AveragedModel(avg_fn=...)``: returns
    ``averaged + (current - averaged) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are a running average of ``model``'s, for Stochastic
    Weight Averaging (equal weights, the default) or an exponential moving average
    (``multi_avg_fn=get_ema_multi_avg_fn(decay)``).

    The first ``update_parameters`` copies the weights; later ones apply the averaging function.
    Buffers are copied from ``model`` unless ``use_buffers=True``, which averages them too.

    Example:
        >>> model = ember.nn.Linear(3, 1)
        >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
        >>> ema.update_parameters(model)
    """

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Callable[[Any, Any, Any], Any] | None = None,
                 multi_avg_fn: Callable[[list, list, Any], None] | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=D.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Folds ``model``'s current parameters (and buffers, with ``use_buffers``) into the
        average."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        averaged = [p.detach() for p in mine]
        current = [p.detach().to(a.device) for p, a in zip(theirs, averaged)]
        n = self.n_averaged
        if int(n) == 0:
            for a, c in zip(averaged, current):
                a.copy_(c)
        else:
            with no_grad():
                self._average(averaged, current)
        if not self.use_buffers:
            # the average of running statistics is not their statistics: copy them instead
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        n.add_(1)

    def _average(self, averaged: list, current: list) -> None:
        n = self.n_averaged
        if self.avg_fn is not None:
            for a, c in zip(averaged, current):
                a.copy_(self.avg_fn(a, c, n.to(a.device)))
            return
        groups: dict[tuple, tuple[list, list]] = {}
        for a, c in zip(averaged, current):
            mine, theirs = groups.setdefault((a.device, a.dtype), ([], []))
            mine.append(a)
            theirs.append(c)
        for (device, _), (mine, theirs) in groups.items():
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, n.to(device))
            elif device.type == "cuda":  # where torch has fused multi-tensor kernels: lerp
                get_swa_multi_avg_fn()(mine, theirs, n.to(device))
            else:
                swa = get_swa_avg_fn()
                for a, c in zip(mine, theirs):
                    a.copy_(swa(a, c, n.to(device)))


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recomputes the running mean and variance of every batch-norm layer of ``model`` with one
    pass over ``loader`` (a batch is a tensor, or a list/tuple whose first item is the input),
    as a plain average over the batches. Does nothing without batch-norm layers.

    Example:
        >>> model = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.BatchNorm1d(2))
        >>> update_bn([ember.randn(8, 2) for _ in range(3)], model)
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average over the pass
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each param group's lr from its current value to ``swa_lr`` over
    ``anneal_epochs`` steps (cosine or linear), then holds it there.

    Example:
        >>> w = ember.zeros(2, requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=1.0)
        >>> sched = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.55]
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.1]
    """

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float],
                 anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """The lr the annealing started from, recovered from the current one."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self) -> list[float]:
        # counted in steps, not epochs: the schedule does not depend on last_epoch
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
