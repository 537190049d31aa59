"""GradientAccumulationScheduler: change ``accumulate_grad_batches`` by epoch.

Example:
    >>> # accumulate 1 batch until epoch 4, 4 batches until epoch 9, then 8
    >>> accumulator = GradientAccumulationScheduler(scheduling={4: 4, 10: 8})
    >>> trainer = Trainer(callbacks=[accumulator])             # doctest: +SKIP
"""

from __future__ import annotations

from .callback import Callback
from ..utilities.exceptions import MisconfigurationException


class GradientAccumulationScheduler(Callback):
    """Lightning's GradientAccumulationScheduler.

    Args:
        scheduling: ``{first epoch (0-based): batches to accumulate from then on}``; epochs
            before the smallest key accumulate 1.
    """

    def __init__(self, scheduling: dict[int, int]) -> None:
        if not scheduling:
            raise TypeError("Empty dict cannot be interpreted correct")
        if any(not isinstance(k, int) or k < 0 for k in scheduling):
            raise MisconfigurationException("Epoch should be an int greater than or equal to 0. "
                                            f"Got {list(scheduling.keys())}.")
        if any(not isinstance(v, int) or v < 1 for v in scheduling.values()):
            raise MisconfigurationException("Accumulation factor should be an int greater than "
                                            f"0. Got {list(scheduling.values())}.")
        scheduling = dict(scheduling)
        scheduling.setdefault(0, 1)
        self.scheduling = scheduling
        self.epochs = sorted(scheduling)
        self._applied: int | None = None  # what this callback last set on the Trainer

    def going_to_accumulate_grad_batches(self) -> bool:
        return any(v > 1 for v in self.scheduling.values())

    def get_accumulate_grad_batches(self, epoch: int) -> int:
        """The accumulation factor of epoch: the value of the last key <= epoch."""
        return self.scheduling[max(e for e in self.epochs if e <= epoch)]

    def on_train_start(self, trainer, pl_module) -> None:
        if not pl_module.automatic_optimization:
            raise RuntimeError("Automatic gradient accumulation and the "
                               "`GradientAccumulationScheduler` is not supported for manual "
                               "optimization. Please remove the callback or switch to "
                               "automatic optimization.")
        if trainer.accumulate_grad_batches not in (1, self._applied):
            raise ValueError("You have set `accumulate_grad_batches` and are using the "
                             "`GradientAccumulationScheduler` callback. Either remove "
                             "`accumulate_grad_batches` from the Trainer or remove the "
                             "callback.")

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._applied = self.get_accumulate_grad_batches(trainer.current_epoch)
        trainer.accumulate_grad_batches = self._applied
