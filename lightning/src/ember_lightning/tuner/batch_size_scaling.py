"""The search behind ``Tuner.scale_batch_size``: short runs at growing batch sizes until one runs
out of memory, then the largest size that worked ("power") or a binary search between the last
success and the first failure ("binsearch", less a safety margin).

Each trial is a run of ``steps_per_trial`` batches of the chosen Trainer method, with the
dataloaders asked for again from the module or datamodule, whose ``batch_arg_name`` attribute the
search sets. The weights the search started from are put back at the end.

Example:
    >>> Tuner(trainer).scale_batch_size(model, mode="binsearch")   # doctest: +SKIP
    47
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..callbacks.callback import Callback
from ..utilities.memory import garbage_collection_cuda, is_oom_error
from ..utilities.parsing import lightning_getattr, lightning_setattr

log = logging.getLogger(__name__)


class _Snapshot(Callback):
    """Keeps the module's weights as the first trial starts (after setup and configure_model)."""

    def __init__(self) -> None:
        self.state: dict[str, Any] | None = None

    def _take(self, pl_module) -> None:
        if self.state is None:
            self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    def on_fit_start(self, trainer, pl_module) -> None:
        self._take(pl_module)

    def on_validation_start(self, trainer, pl_module) -> None:
        self._take(pl_module)

    def on_test_start(self, trainer, pl_module) -> None:
        self._take(pl_module)

    def on_predict_start(self, trainer, pl_module) -> None:
        self._take(pl_module)


def _dataset_length(loaders: list, combine: Callable[[list[int]], int]) -> int | None:
    """The length of the loaders' datasets (max over them for training, the sum for evaluation),
    or None where none has one."""
    lengths = []
    for dl in loaders:
        try:
            lengths.append(len(dl.dataset))
        except (AttributeError, TypeError):
            continue
    return combine(lengths) if lengths else None


def adjust_batch_size(model: Any, batch_arg_name: str, dataset_length: Callable[[], int | None],
                      factor: float = 1.0, value: int | None = None, desc: str | None = None,
                      max_val: int = 8192) -> tuple[int, bool]:
    """Sets the batch size to value, or to the current one times factor (at most max_val).
    Returns (new size, whether it changed); a size already covering the whole dataset is left
    as it is, as Lightning does."""
    batch_size = lightning_getattr(model, batch_arg_name)
    length = dataset_length()
    if length is not None and batch_size >= length:
        log.info(f"The batch size {batch_size} is greater or equal than the length of your "
                 f"dataset: {length}.")
        return batch_size, False
    new_size = value if value is not None else int(batch_size * factor)
    if new_size > max_val:
        if desc:
            log.info(f"Batch size {new_size} exceeds max_val limit {max_val}, capping at "
                     f"{max_val}")
        new_size = max_val
    if desc:
        log.info(f"Batch size {batch_size} {desc}, trying batch size {new_size}")
    lightning_setattr(model, batch_arg_name, new_size)
    return new_size, new_size != batch_size


def run_power_scaling(run_trial: Callable[[], None], adjust: Callable[..., tuple[int, bool]],
                      new_size: int, max_trials: int, max_val: int) -> int:
    """Doubles the batch size after each successful trial; after an out-of-memory error halves
    it, and stops there if any size had worked."""
    any_success = False
    for i in range(max_trials):
        garbage_collection_cuda()
        if new_size >= max_val:
            log.info(f"Reached the maximum batch size limit of {max_val}. Stopping search.")
            break
        try:
            run_trial()
        except Exception as exc:
            if not is_oom_error(exc):
                raise
            garbage_collection_cuda()
            new_size, _ = adjust(factor=0.5, desc="failed")
            if any_success:
                break
            continue
        if i + 1 >= max_trials:
            break
        new_size, changed = adjust(factor=2.0, desc="succeeded")
        if not changed:
            break
        any_success = True
    return new_size


def run_binsearch_scaling(run_trial: Callable[[], None], adjust: Callable[..., tuple[int, bool]],
                          set_size: Callable[[int], None], new_size: int, max_trials: int,
                          margin: float, max_val: int) -> int:
    """Doubles the batch size until a trial runs out of memory, then bisects between the last
    success and the first failure; the result is reduced by ``margin``."""
    low, high, count = 1, None, 0
    while True:
        garbage_collection_cuda()
        if new_size >= max_val:
            log.info(f"Reached the maximum batch size limit of {max_val}. Stopping search.")
            break
        try:
            run_trial()
        except Exception as exc:
            if not is_oom_error(exc):
                raise
            garbage_collection_cuda()
            high = new_size
            new_size, _ = adjust(value=(high + low) // 2, desc="failed")
            if high - low <= 1:
                break
            continue
        count += 1
        if count >= max_trials:
            break
        low = new_size
        if high:
            if high - low <= 1:
                break
            new_size, changed = adjust(value=(high + low) // 2, desc="succeeded",
                                       max_val=max_val)
        else:
            new_size, changed = adjust(factor=2.0, desc="succeeded", max_val=max_val)
        if not changed:
            break
    if margin > 0:
        reduced = max(1, int(new_size * (1 - margin)))
        if reduced != new_size:
            log.info(f"Applying margin of {margin:.1%}, reducing batch size from {new_size} to "
                     f"{reduced}")
            new_size = reduced
            set_size(new_size)
    return new_size
