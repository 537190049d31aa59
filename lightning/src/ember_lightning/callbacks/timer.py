"""Timer: stops training once a time budget is spent (``Trainer(max_time=...)`` adds one).

Example:
    >>> timer = Timer(duration="00:12:00:00")                  # 12 hours
    >>> trainer = Trainer(callbacks=[timer])                   # doctest: +SKIP
    >>> timer.time_elapsed("train")                            # doctest: +SKIP
    3.2
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from typing import Any

from .callback import Callback
from ..utilities.exceptions import MisconfigurationException

log = logging.getLogger(__name__)

_STAGES = ("train", "sanity_check", "validate", "test", "predict")


def _parse_duration(duration: str | timedelta | dict[str, int] | None) -> float | None:
    """Seconds of a "DD:HH:MM:SS" string, a timedelta, or a dict of timedelta's arguments."""
    if duration is None:
        return None
    if isinstance(duration, str):
        m = re.fullmatch(r"(\d+):(\d\d):(\d\d):(\d\d)", duration.strip())
        if not m:
            raise MisconfigurationException(f"`Timer(duration={duration!r})` is not a valid "
                                            "duration. Expected a string in the format "
                                            "DD:HH:MM:SS.")
        d, h, mi, s = (int(g) for g in m.groups())
        duration = timedelta(days=d, hours=h, minutes=mi, seconds=s)
    elif isinstance(duration, dict):
        duration = timedelta(**duration)
    if not isinstance(duration, timedelta):
        raise TypeError(f"`Timer(duration=...)` takes a str, a dict or a timedelta, got "
                        f"{type(duration).__name__}")
    return duration.total_seconds()


class Timer(Callback):
    """Lightning's Timer: tracks the time spent in each stage and, with a duration, asks the
    Trainer to stop once training has run that long.

    Args:
        duration: "DD:HH:MM:SS", a ``datetime.timedelta``, or a dict of its arguments
            (``{"hours": 1}``); None only measures.
        interval: check after every training batch ("step") or epoch ("epoch").
        verbose: log a message when the limit is reached.

    The time already trained is saved in checkpoints, so a resumed run continues the budget.
    """

    def __init__(self, duration: str | timedelta | dict[str, int] | None = None,
                 interval: str = "step", verbose: bool = True) -> None:
        if interval not in ("step", "epoch"):
            raise MisconfigurationException(f"Unsupported parameter value `Timer(interval="
                                            f"{interval})`. Possible values are: step, epoch.")
        self._duration = _parse_duration(duration)
        self._interval = interval
        self._verbose = verbose
        self._start_time: dict[str, float | None] = dict.fromkeys(_STAGES)
        self._end_time: dict[str, float | None] = dict.fromkeys(_STAGES)
        self._offset = 0.0

    def start_time(self, stage: str = "train") -> float | None:
        """When stage started (``time.monotonic()`` seconds), or None."""
        return self._start_time[stage]

    def end_time(self, stage: str = "train") -> float | None:
        return self._end_time[stage]

    def time_elapsed(self, stage: str = "train") -> float:
        """Seconds spent in stage; for "train" including the time of a resumed checkpoint."""
        start, end = self._start_time[stage], self._end_time[stage]
        offset = self._offset if stage == "train" else 0.0
        if start is None:
            return offset
        return (time.monotonic() if end is None else end) - start + offset

    def time_remaining(self, stage: str = "train") -> float | None:
        return None if self._duration is None else self._duration - self.time_elapsed(stage)

    def _start(self, stage: str) -> None:
        self._start_time[stage] = time.monotonic()
        self._end_time[stage] = None

    def _end(self, stage: str) -> None:
        self._end_time[stage] = time.monotonic()

    def on_train_start(self, trainer, pl_module) -> None:
        self._start("train")

    def on_train_end(self, trainer, pl_module) -> None:
        self._end("train")

    def on_validation_start(self, trainer, pl_module) -> None:
        self._start("sanity_check" if trainer.sanity_checking else "validate")

    def on_validation_end(self, trainer, pl_module) -> None:
        self._end("sanity_check" if trainer.sanity_checking else "validate")

    def on_test_start(self, trainer, pl_module) -> None:
        self._start("test")

    def on_test_end(self, trainer, pl_module) -> None:
        self._end("test")

    def on_predict_start(self, trainer, pl_module) -> None:
        self._start("predict")

    def on_predict_end(self, trainer, pl_module) -> None:
        self._end("predict")

    def on_fit_start(self, trainer, pl_module) -> None:
        # a restored checkpoint may have spent the budget already
        if self._duration is not None:
            self._check_time_remaining(trainer)

    def on_train_batch_end(self, trainer, pl_module, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._interval == "step" and self._duration is not None:
            self._check_time_remaining(trainer)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._interval == "epoch" and self._duration is not None:
            self._check_time_remaining(trainer)

    def _check_time_remaining(self, trainer) -> None:
        should_stop = self.time_elapsed("train") >= self._duration
        if trainer.world_size > 1:  # every rank stops at the same step
            from ..trainer.ddp import reduce_metric
            should_stop = bool(reduce_metric(float(should_stop), "max"))
        trainer.should_stop = trainer.should_stop or should_stop
        if should_stop and self._verbose:
            elapsed = timedelta(seconds=int(self.time_elapsed("train")))
            log.info("Time limit reached. Elapsed time is %s. Signaling Trainer to stop.",
                     elapsed)

    def state_dict(self) -> dict[str, Any]:
        return {"time_elapsed": {s: self.time_elapsed(s) for s in _STAGES}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._offset = state_dict["time_elapsed"].get("train", 0.0)
