"""What ``self.log`` records: step values and per-epoch reductions, and where they go
(``callback_metrics`` for callbacks, ``progress_bar_metrics``, and the loggers).

The Trainer sets :attr:`MetricStore.stage` and :attr:`MetricStore.in_step` around each hook,
which decides ``self.log``'s defaults the way Lightning does: per-step hooks of training log
``on_step`` only; evaluation and epoch-level hooks log ``on_epoch`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import ember

_REDUCE_NAMES = {"mean": "mean", "avg": "mean", "sum": "sum", "max": "max", "min": "min"}


def _reduce_name(fx: Any) -> str | Callable:
    if isinstance(fx, str):
        if fx.lower() not in _REDUCE_NAMES:
            raise ValueError(f"reduce_fx={fx!r} is not supported: use 'mean', 'sum', 'max', "
                             "'min' or a function")
        return _REDUCE_NAMES[fx.lower()]
    for name in ("mean", "sum", "max", "min"):
        if fx is getattr(ember, name, None):
            return name
    if fx in (sum, max, min):
        return fx.__name__
    if callable(fx):
        return fx
    raise ValueError(f"reduce_fx={fx!r} is not supported")


def _to_float(name: str, value: Any) -> float:
    if isinstance(value, ember.Tensor):
        if value.numel() != 1:
            raise ValueError(f"`self.log({name}, {value})` was called, but the tensor must have a "
                             f"single element. You can try doing `self.log({name}, "
                             f"{value}.mean())`")
        return float(value.detach().item())
    if isinstance(value, (int, float, bool)):
        return float(value)
    raise ValueError(f"`self.log({name}, {value!r})` was called, but `{type(value).__name__}` "
                     "values cannot be logged: log a number or a one-element tensor")


@dataclass
class _EpochMetric:
    reduce: str | Callable
    prog_bar: bool
    logger: bool
    forked: bool           # also logged on_step: the epoch value is "<name>_epoch"
    dataloader_idx: int | None
    total: float = 0.0
    weight: float = 0.0
    values: list = field(default_factory=list)

    def update(self, v: float, batch_size: int) -> None:
        r = self.reduce
        if r == "mean":
            self.total += v * batch_size
            self.weight += batch_size
        elif r == "sum":
            self.total += v
            self.weight = 1.0
        elif r == "max":
            self.total = v if self.weight == 0 else max(self.total, v)
            self.weight = 1.0
        elif r == "min":
            self.total = v if self.weight == 0 else min(self.total, v)
            self.weight = 1.0
        else:
            self.values.append(v)

    def compute(self) -> float:
        if callable(self.reduce):
            return float(self.reduce(ember.tensor(self.values)))
        if self.reduce == "mean":
            return self.total / self.weight if self.weight else math.nan
        return self.total


class MetricStore:
    """Collects ``self.log`` calls for one Trainer."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.stage = "train"          # "train", "validate", "test", "sanity_check", "predict"
        self.in_step = False          # inside a per-batch hook
        self.dataloader_idx: int | None = None   # set when several eval loaders are used
        self.batch: Any = None        # current batch, for batch-size inference
        self._batch_size: int | None = None
        self.callback_metrics: dict[str, Any] = {}
        self.progress_bar_metrics: dict[str, float] = {}
        self.logged_metrics: dict[str, float] = {}
        self._step_logger: dict[str, float] = {}
        self._epoch: dict[str, dict[str, _EpochMetric]] = {}

    # -------------------------------------------------------------- recording
    def set_batch(self, batch: Any) -> None:
        self.batch = batch
        self._batch_size = None

    def _infer_batch_size(self) -> int:
        if self._batch_size is None:
            self._batch_size = _first_batch_dim(self.batch)
        return self._batch_size

    def log(self, name: str, value: Any, *, prog_bar: bool, logger: bool, on_step: bool | None,
            on_epoch: bool | None, reduce_fx: Any, batch_size: int | None,
            add_dataloader_idx: bool) -> None:
        if self.stage == "predict":
            raise RuntimeError("You can't `self.log()` inside the predict loop")
        step_default = self.stage == "train" and self.in_step
        on_step = step_default if on_step is None else on_step
        on_epoch = (not step_default) if on_epoch is None else on_epoch
        if not (on_step or on_epoch):
            raise ValueError(f"self.log({name!r}): on_step=False and on_epoch=False logs nothing")
        v = _to_float(name, value)
        key = name
        if self.dataloader_idx is not None and add_dataloader_idx:
            key = f"{name}/dataloader_idx_{self.dataloader_idx}"
        forked = on_step and on_epoch
        if on_step:
            skey = f"{key}_step" if forked else key
            self.callback_metrics[skey] = v
            if forked:
                self.callback_metrics[key] = v
            if prog_bar:
                self.progress_bar_metrics[skey] = v
            if logger and self.stage == "train":
                self._step_logger[skey] = v
        if on_epoch:
            bucket = self._epoch.setdefault(self.stage, {})
            m = bucket.get(key)
            if m is None:
                m = bucket[key] = _EpochMetric(_reduce_name(reduce_fx), prog_bar, logger, forked,
                                               self.dataloader_idx if add_dataloader_idx else None)
            if m.reduce == "mean":
                bs = batch_size if batch_size is not None else (
                    self._infer_batch_size() if self.in_step else 1)
            else:
                bs = 1
            m.update(v, int(bs))

    # -------------------------------------------------------------- flushing
    def pop_step_logger_metrics(self) -> dict[str, float]:
        out, self._step_logger = self._step_logger, {}
        return out

    def reset_stage(self, stage: str) -> None:
        self._epoch.pop(stage, None)

    def epoch_end(self, stage: str) -> tuple[dict[str, float], list[dict[str, float]]]:
        """Reduces the stage's epoch metrics into callback/progress-bar metrics; returns
        (metrics for the loggers, one dict per dataloader for ``validate``/``test``)."""
        bucket = self._epoch.pop(stage, {})
        for_logger: dict[str, float] = {}
        per_loader: dict[int | None, dict[str, float]] = {}
        for key, m in bucket.items():
            v = m.compute()
            ekey = f"{key}_epoch" if m.forked else key
            self.callback_metrics[key] = v
            if m.forked:
                self.callback_metrics[ekey] = v
            if m.prog_bar:
                self.progress_bar_metrics[ekey] = v
            if m.logger:
                for_logger[ekey] = v
            per_loader.setdefault(m.dataloader_idx, {})[ekey] = v
        return for_logger, _split_per_loader(per_loader)

    def as_tensors(self, metrics: dict[str, float]) -> dict[str, Any]:
        return {k: ember.tensor(v) for k, v in metrics.items()}


def _split_per_loader(per_loader: dict[int | None, dict[str, float]]) -> list[dict[str, float]]:
    shared = per_loader.pop(None, {})
    if not per_loader:
        return [shared] if shared else []
    return [{**shared, **per_loader[i]} for i in sorted(per_loader)]


def _first_batch_dim(batch: Any) -> int:
    """The length of the first tensor found in batch (Lightning's batch-size inference)."""
    if isinstance(batch, ember.Tensor):
        return batch.shape[0] if batch.dim() > 0 else 1
    if isinstance(batch, dict):
        batch = list(batch.values())
    if isinstance(batch, (list, tuple)):
        for b in batch:
            n = _first_batch_dim(b)
            if n:
                return n
        return 1 if batch else 0
    return 1 if batch is not None else 0
