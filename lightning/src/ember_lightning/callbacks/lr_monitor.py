"""LearningRateMonitor: logs each optimizer's learning rate (and optionally momentum).

Example:
    >>> lr_monitor = LearningRateMonitor(logging_interval="step")
    >>> trainer = Trainer(callbacks=[lr_monitor])      # doctest: +SKIP
    >>> lr_monitor.lrs                                 # doctest: +SKIP
    {'lr-SGD': [0.1, 0.1, 0.01]}
"""

from __future__ import annotations

from typing import Any

from .callback import Callback
from ..utilities.exceptions import MisconfigurationException


class LearningRateMonitor(Callback):
    """Logs ``lr-<OptimizerClass>`` (``/pg<i>`` per parameter group when there are several;
    the scheduler dict's ``name`` when given) to the Trainer's loggers.

    Args:
        logging_interval: "step", "epoch", or None (each scheduler at its own interval).
        log_momentum: also log ``momentum`` (or Adam's ``beta1``).
        log_weight_decay: also log ``weight_decay``.
    """

    def __init__(self, logging_interval: str | None = None, log_momentum: bool = False,
                 log_weight_decay: bool = False):
        if logging_interval not in (None, "step", "epoch"):
            raise ValueError("logging_interval should be `step` or `epoch` or `None`.")
        self.logging_interval = logging_interval
        self.log_momentum = log_momentum
        self.log_weight_decay = log_weight_decay
        self.lrs: dict[str, list[float]] = {}

    def on_train_start(self, trainer, pl_module) -> None:
        if not trainer.loggers:
            raise MisconfigurationException("Cannot use `LearningRateMonitor` callback with "
                                            "`Trainer` that has no logger.")
        self._names = self._find_names(trainer)
        self.lrs = {name: [] for names in self._names.values() for name in names}

    def _find_names(self, trainer) -> dict[int, list[str]]:
        """{optimizer index: one name per param group}."""
        named = {}
        for cfg in trainer.lr_scheduler_configs:
            opt = cfg.scheduler.optimizer
            for i, o in enumerate(trainer.optimizers):
                if o is opt and cfg.name:
                    named[i] = cfg.name
        seen: dict[str, int] = {}
        out = {}
        for i, opt in enumerate(trainer.optimizers):
            base = named.get(i) or f"lr-{type(opt).__name__}"
            count = seen.get(base, 0)
            seen[base] = count + 1
            if count:
                base = f"{base}-{count}"
            groups = opt.param_groups
            out[i] = ([base] if len(groups) == 1
                      else [f"{base}/pg{j + 1}" for j in range(len(groups))])
        return out

    def _interval_of(self, trainer, i: int) -> str:
        for cfg in trainer.lr_scheduler_configs:
            if cfg.scheduler.optimizer is trainer.optimizers[i]:
                return cfg.interval
        return "any"

    def _stats(self, trainer, interval: str) -> dict[str, float]:
        stats: dict[str, float] = {}
        for i, opt in enumerate(trainer.optimizers):
            own = self._interval_of(trainer, i)
            if self.logging_interval is None and own not in (interval, "any"):
                continue
            for name, group in zip(self._names[i], opt.param_groups):
                lr = float(group["lr"])
                stats[name] = lr
                self.lrs.setdefault(name, []).append(lr)
                if self.log_momentum:
                    m = group.get("momentum", group.get("betas", (0.0,))[0] if "betas" in group
                                  else 0.0)
                    stats[name.replace("lr-", "lr-", 1) + "-momentum"] = float(m)
                if self.log_weight_decay:
                    stats[name + "-weight_decay"] = float(group.get("weight_decay", 0.0))
        return stats

    def _log(self, trainer, stats: dict[str, Any]) -> None:
        if stats:
            for lg in trainer.loggers:
                lg.log_metrics(stats, step=trainer._batches_that_stepped)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.logging_interval == "epoch":
            return
        if (trainer._batches_that_stepped + 1) % trainer.log_every_n_steps == 0:
            self._log(trainer, self._stats(trainer, "step"))

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if self.logging_interval != "step":
            self._log(trainer, self._stats(trainer, "epoch"))
