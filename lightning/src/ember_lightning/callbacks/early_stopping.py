"""EarlyStopping: stops training when a monitored metric stops improving.

Example:
    >>> stop = EarlyStopping(monitor="val_loss", patience=3, mode="min", min_delta=0.01)
    >>> trainer = Trainer(callbacks=[stop])                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .callback import Callback


class EarlyStopping(Callback):
    """Lightning's EarlyStopping.

    Args:
        monitor: the logged metric to watch.
        min_delta: smallest change that counts as an improvement.
        patience: checks without improvement before stopping.
        mode: "min" or "max".
        strict: raise when the metric is missing (else warn and skip).
        check_finite: stop when the metric becomes NaN or infinite.
        stopping_threshold: stop as soon as the metric is better than this.
        divergence_threshold: stop as soon as the metric is worse than this.
        check_on_train_epoch_end: check at the end of the training epoch instead of after
            validation (default: when validation runs once per epoch).
    """

    def __init__(self, monitor: str, min_delta: float = 0.0, patience: int = 3,
                 verbose: bool = False, mode: str = "min", strict: bool = True,
                 check_finite: bool = True, stopping_threshold: float | None = None,
                 divergence_threshold: float | None = None,
                 check_on_train_epoch_end: bool | None = None, log_rank_zero_only: bool = False):
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` can be min, max, got {mode}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta) * (1 if mode == "max" else -1)
        self.patience = patience
        self.verbose = verbose
        self.strict = strict
        self.check_finite = check_finite
        self.stopping_threshold = stopping_threshold
        self.divergence_threshold = divergence_threshold
        self._check_on_train_epoch_end = check_on_train_epoch_end
        self.wait_count = 0
        self.stopped_epoch = 0
        self.best_score = math.inf if mode == "min" else -math.inf

    @property
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor, mode=self.mode)

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.mode == "min" else a > b

    def setup(self, trainer, pl_module, stage: str) -> None:
        if self._check_on_train_epoch_end is None:
            self._check_on_train_epoch_end = (trainer.val_check_interval == 1.0
                                              and trainer.check_val_every_n_epoch == 1)

    def _skip(self, trainer) -> bool:
        return trainer.state.fn != "fit" or trainer.sanity_checking or bool(trainer.fast_dev_run)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._check_on_train_epoch_end and not self._skip(trainer):
            self._run_early_stopping_check(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        if not self._check_on_train_epoch_end and not self._skip(trainer):
            self._run_early_stopping_check(trainer)

    def _run_early_stopping_check(self, trainer) -> None:
        logs = trainer._metrics.callback_metrics
        if self.monitor not in logs:
            msg = (f"Early stopping conditioned on metric `{self.monitor}` which is not available."
                   " Pass in or modify your `EarlyStopping` callback to use any of the following: "
                   f"`{'`, `'.join(sorted(logs))}`")
            if self.strict:
                raise RuntimeError(msg)
            warnings.warn(msg, stacklevel=2)
            return
        should_stop, reason = self._evaluate_stopping_criteria(float(logs[self.monitor]))
        trainer.should_stop = trainer.should_stop or should_stop
        if should_stop:
            self.stopped_epoch = trainer.current_epoch
        if reason and self.verbose:
            print(reason)

    def _evaluate_stopping_criteria(self, current: float) -> tuple[bool, str | None]:
        if self.check_finite and not math.isfinite(current):
            return True, (f"Monitored metric {self.monitor} = {current} is not finite. Previous "
                          f"best value was {self.best_score:.3f}. Signaling Trainer to stop.")
        if self.stopping_threshold is not None and self._better(current, self.stopping_threshold):
            return True, (f"Stopping threshold reached: {self.monitor} = {current} "
                          f"{'<' if self.mode == 'min' else '>'} {self.stopping_threshold}. "
                          "Signaling Trainer to stop.")
        if self.divergence_threshold is not None and self._better(self.divergence_threshold,
                                                                  current):
            return True, (f"Divergence threshold reached: {self.monitor} = {current} "
                          f"{'>' if self.mode == 'min' else '<'} {self.divergence_threshold}. "
                          "Signaling Trainer to stop.")
        if self._better(current - self.min_delta, self.best_score):
            reason = (f"Metric {self.monitor} improved. New best score: {current:.3f}"
                      if not math.isfinite(self.best_score) else
                      f"Metric {self.monitor} improved by {abs(self.best_score - current):.3f} >="
                      f" min_delta = {abs(self.min_delta)}. New best score: {current:.3f}")
            self.best_score, self.wait_count = current, 0
            return False, reason
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return True, (f"Monitored metric {self.monitor} did not improve in the last "
                          f"{self.wait_count} records. Best score: {self.best_score:.3f}. "
                          "Signaling Trainer to stop.")
        return False, None

    def state_dict(self) -> dict[str, Any]:
        return {"wait_count": self.wait_count, "stopped_epoch": self.stopped_epoch,
                "best_score": self.best_score, "patience": self.patience}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait_count = state["wait_count"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_score = state["best_score"]
        self.patience = state["patience"]
