"""The learning-rate range test behind ``Tuner.lr_find``: a short fit whose lr grows each step
from ``min_lr`` to ``max_lr``, recording the smoothed loss, then the weights put back.

Example:
    >>> finder = Tuner(trainer).lr_find(model)                    # doctest: +SKIP
    >>> finder.suggestion(), finder.results["lr"][:2]             # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from typing import Any

import ember
from ember.optim.lr_scheduler import LRScheduler

from ..callbacks.callback import Callback
from ..core.optimizer import LRSchedulerConfig
from ..utilities.exceptions import MisconfigurationException
from ..utilities.parsing import lightning_hasattr

log = logging.getLogger(__name__)


def _determine_lr_attr_name(model: Any, attr_name: str = "") -> str:
    """attr_name if the model (or its hparams, or the datamodule) has it, else "lr" or
    "learning_rate", whichever it has."""
    if attr_name:
        if not lightning_hasattr(model, attr_name):
            raise AttributeError(f"The attribute name for the learning rate was set to "
                                 f"{attr_name}, but could not find this as a field in `model` or "
                                 "`model.hparams`.")
        return attr_name
    for attr in ("lr", "learning_rate"):
        if lightning_hasattr(model, attr):
            return attr
    raise AttributeError("When using the learning rate finder, either `model` or `model.hparams`"
                         " should have one of these fields: ('lr', 'learning_rate'). If your "
                         "model has a different name for the learning rate, set it with "
                         "`.lr_find(attr_name=...)`.")


class _LRFinder:
    """What ``lr_find`` returns: ``results`` (``{"lr": [...], "loss": [...]}``, one entry per
    optimizer step, the loss smoothed) and ``suggestion()``."""

    def __init__(self, mode: str, lr_min: float, lr_max: float, num_training: int) -> None:
        if mode not in ("linear", "exponential"):
            raise MisconfigurationException("mode should be either `linear` or `exponential`, "
                                            f"got {mode!r}")
        self.mode = mode
        self.lr_min = lr_min
        self.lr_max = lr_max
        self.num_training = num_training
        self.results: dict[str, Any] = {}
        self._optimal_idx: int | None = None

    def suggestion(self, skip_begin: int = 10, skip_end: int = 1) -> float | None:
        """The lr where the loss falls fastest: the most negative gradient of the loss with
        respect to the lr (second-order differences on the uneven lr grid), ignoring the first
        ``skip_begin`` and the last ``skip_end`` points and non-finite losses. None (and an
        error logged) with fewer than two points left."""
        lrs = self.results["lr"][skip_begin:-skip_end]
        losses = self.results["loss"][skip_begin:-skip_end]
        kept = [i for i, v in enumerate(losses) if math.isfinite(v)]
        if len(kept) < 2:
            log.error("Failed to compute suggestion for learning rate because there are not "
                      "enough points. Increase the loop iteration limits or the size of your "
                      "dataset/dataloader.")
            self._optimal_idx = None
            return None
        # float32, like the tensors Lightning computes this on, so near-ties break the same way
        x = ember.tensor([lrs[i] for i in kept])
        f = ember.tensor([losses[i] for i in kept])
        best = int(_gradient(f, x).argmin().item())
        self._optimal_idx = skip_begin + kept[best]
        return self.results["lr"][self._optimal_idx]

    def plot(self, suggest: bool = False, show: bool = False, ax: Any = None) -> Any:
        """Loss against lr (log scale in exponential mode) with matplotlib; ``suggest`` marks
        the suggestion in red."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise MisconfigurationException("To use the `plot` method, you must have Matplotlib "
                                            "installed. Install it by running `pip install -U "
                                            "matplotlib`.") from None
        lrs, losses = self.results["lr"], self.results["loss"]
        if ax is None:
            fig, ax = plt.subplots()
        else:
            fig = ax.figure
        ax.plot(lrs, losses)
        if self.mode == "exponential":
            ax.set_xscale("log")
        ax.set_xlabel("Learning rate")
        ax.set_ylabel("Loss")
        if suggest:
            self.suggestion()
            if self._optimal_idx:
                ax.plot(lrs[self._optimal_idx], losses[self._optimal_idx], markersize=10,
                        marker="o", color="red")
        if show:
            plt.show()
        return fig


def _gradient(f, x):
    """df/dx at each point of a 1-D grid x (at least two points): one-sided differences at the
    ends, and inside the second-order formula for uneven spacing (as numpy and torch.gradient
    with coordinates)."""
    if len(f) == 2:
        g = (f[1] - f[0]) / (x[1] - x[0])
        return ember.stack([g, g])
    dx = x[1:] - x[:-1]
    d1, d2 = dx[:-1], dx[1:]
    inner = (-d2 / (d1 * (d1 + d2)) * f[:-2] + (d2 - d1) / (d1 * d2) * f[1:-1]
             + d1 / (d2 * (d1 + d2)) * f[2:])
    first = ((f[1] - f[0]) / dx[0]).reshape(1)
    last = ((f[-1] - f[-2]) / dx[-1]).reshape(1)
    return ember.cat([first, inner, last])


class _SweepLR(LRScheduler):
    """lr from its start value to end_lr in num_iter steps, along the subclass's curve."""

    def __init__(self, optimizer: Any, end_lr: float, num_iter: int, last_epoch: int = -1):
        self.end_lr = end_lr
        self.num_iter = num_iter
        super().__init__(optimizer, last_epoch)

    def _at(self, base: float, r: float) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        r = (self.last_epoch + 1) / self.num_iter
        if self.last_epoch > 0:
            val = [self._at(base, r) for base in self.base_lrs]
        else:
            val = list(self.base_lrs)
        self._lr = val
        return val

    @property
    def lr(self) -> list[float]:
        return self._lr


class _LinearLR(_SweepLR):
    def _at(self, base: float, r: float) -> float:
        return base + r * (self.end_lr - base)


class _ExponentialLR(_SweepLR):
    def _at(self, base: float, r: float) -> float:
        return base * (self.end_lr / base) ** r


class _LRCallback(Callback):
    """Runs the range test inside the search's ``fit``: swaps in the lr schedule when training
    starts, records the lr before and the smoothed loss after each optimizer step, and stops
    the fit when the loss diverges (above ``early_stop_threshold`` times the best so far)."""

    def __init__(self, finder: _LRFinder, early_stop_threshold: float | None = 4.0,
                 beta: float = 0.98) -> None:
        self.finder = finder
        self.early_stop_threshold = early_stop_threshold
        self.beta = beta
        self.losses: list[float] = []
        self.lrs: list[float] = []
        self.avg_loss = 0.0
        self.best_loss = 0.0
        self.initial_state: dict[str, Any] | None = None

    def on_fit_start(self, trainer, pl_module) -> None:
        # the weights the search starts from (after setup and configure_model), put back after
        self.initial_state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}
        if len(trainer.optimizers) != 1:
            raise MisconfigurationException(f"`model.configure_optimizers()` returned "
                                            f"{len(trainer.optimizers)}, but learning rate finder"
                                            " only works with single optimizer")
        optimizer = trainer.optimizers[0]
        f = self.finder
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] = f.lr_min
        cls = _LinearLR if f.mode == "linear" else _ExponentialLR
        scheduler = cls(optimizer, f.lr_max, f.num_training)
        trainer.lr_scheduler_configs[:] = [LRSchedulerConfig(scheduler, interval="step")]

    def _window_ends(self, trainer, batch_idx: int) -> bool:
        return (batch_idx + 1) % trainer.accumulate_grad_batches == 0

    def on_train_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int) -> None:
        if self._window_ends(trainer, batch_idx):
            self.lrs.append(trainer.lr_scheduler_configs[0].scheduler.lr[0])

    def on_train_batch_end(self, trainer, pl_module, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if not self._window_ends(trainer, batch_idx):
            return
        if not outputs:  # training_step returned None: no loss for the lr just recorded
            self.losses.append(float("nan"))
            return
        loss = outputs if isinstance(outputs, ember.Tensor) else outputs["loss"]
        step = trainer.global_step
        self.avg_loss = self.beta * self.avg_loss + (1 - self.beta) * loss.item()
        smoothed = self.avg_loss / (1 - self.beta ** (step + 1))  # bias-corrected
        if (self.early_stop_threshold is not None and step > 1
                and smoothed > self.early_stop_threshold * self.best_loss):
            trainer.should_stop = True
        if smoothed < self.best_loss or step == 1:
            self.best_loss = smoothed
        self.losses.append(smoothed)
