"""StochasticWeightAveraging: averages the weights of the last epochs and ends ``fit`` with the
average (Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization").

Example:
    >>> swa = StochasticWeightAveraging(swa_lrs=1e-2, swa_epoch_start=0.8)
    >>> trainer = Trainer(max_epochs=10, callbacks=[swa])          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import warnings
from copy import deepcopy
from typing import Any, Callable

import ember
from ember import nn
from ember.optim.swa_utils import SWALR

from ..core.optimizer import LRSchedulerConfig
from ..utilities.exceptions import MisconfigurationException
from .callback import Callback

log = logging.getLogger(__name__)

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


class StochasticWeightAveraging(Callback):
    """Lightning's StochasticWeightAveraging callback.

    From epoch ``swa_epoch_start`` on, the learning rate is annealed to ``swa_lrs`` by
    ``ember.optim.swa_utils.SWALR`` (it replaces the module's scheduler), and at the start of each
    epoch up to the last one the current weights are folded into a running average. When training
    ends the model's parameters are replaced by that average. A model with batch-norm layers gets
    one more epoch of forward passes only (no backward, no optimizer step), which recomputes the
    running statistics for the averaged weights as a plain average over the batches.

    Args:
        swa_lrs: the SWA learning rate, for every param group or one per group.
        swa_epoch_start: the epoch (1-based int) from which to average, or a fraction of
            ``max_epochs`` (float in [0, 1]).
        annealing_epochs: epochs over which the lr moves to ``swa_lrs``.
        annealing_strategy: "cos" or "linear".
        avg_fn: ``avg_fn(averaged, current, num_averaged) -> new averaged``; default: the mean.
        device: where the averaged copy of the model lives (None: the model's device).
    """

    def __init__(self, swa_lrs: float | list[float], swa_epoch_start: int | float = 0.8,
                 annealing_epochs: int = 10, annealing_strategy: str = "cos",
                 avg_fn: Callable[[Any, Any, Any], Any] | None = None,
                 device: ember.device | str | None = "cpu") -> None:
        err_msg = "swa_epoch_start should be a >0 integer or a float between 0 and 1."
        if isinstance(swa_epoch_start, int) and swa_epoch_start < 1:
            raise MisconfigurationException(err_msg)
        if isinstance(swa_epoch_start, float) and not 0 <= swa_epoch_start <= 1:
            raise MisconfigurationException(err_msg)
        wrong_type = not isinstance(swa_lrs, (float, list))
        wrong_float = isinstance(swa_lrs, float) and swa_lrs <= 0
        wrong_list = isinstance(swa_lrs, list) and not all(
            isinstance(lr, float) and lr > 0 for lr in swa_lrs)
        if wrong_type or wrong_float or wrong_list:
            raise MisconfigurationException("The `swa_lrs` should a positive float, or a list of "
                                            "positive floats")
        if avg_fn is not None and not callable(avg_fn):
            raise MisconfigurationException("The `avg_fn` should be callable.")
        if device is not None and not isinstance(device, (ember.device, str)):
            raise MisconfigurationException(f"device is expected to be a ember.device or a str. "
                                            f"Found {device}")
        self.n_averaged: Any = None
        self._swa_epoch_start = swa_epoch_start
        self._swa_lrs = swa_lrs
        self._annealing_epochs = annealing_epochs
        self._annealing_strategy = annealing_strategy
        self._avg_fn = avg_fn or self.avg_fn
        self._device = device
        self._model_contains_batch_norm: bool | None = None
        self._average_model: Any = None
        self._initialized = False
        self._swa_scheduler: Any = None
        self._scheduler_state: dict | None = None
        self._init_n_averaged = 0
        self._latest_update_epoch = -1
        self.momenta: dict[Any, float | None] = {}
        self._max_epochs = -1
        self._accumulate_grad_batches = 1

    @property
    def swa_start(self) -> int:
        """The first averaged epoch, 0-based."""
        return max(self._swa_epoch_start - 1, 0)

    @property
    def swa_end(self) -> float:
        """The last averaged epoch, 0-based (inf when training has no epoch limit)."""
        return float("inf") if self._max_epochs == -1 else self._max_epochs - 1

    @staticmethod
    def pl_module_contains_batch_norm(pl_module: Any) -> bool:
        return any(isinstance(m, _BATCH_NORMS) for m in pl_module.modules())

    def setup(self, trainer, pl_module, stage: str) -> None:
        # the copy is taken before the model moves to the training device
        self._average_model = deepcopy(pl_module)

    def on_fit_start(self, trainer, pl_module) -> None:
        if len(trainer.optimizers) != 1:
            raise MisconfigurationException("SWA currently works with 1 `optimizer`.")
        if len(trainer.lr_scheduler_configs) > 1:
            raise MisconfigurationException("SWA currently not supported for more than 1 "
                                            "`lr_scheduler`.")
        if isinstance(self._swa_epoch_start, float):
            if trainer.max_epochs == -1:
                raise MisconfigurationException(
                    "SWA with `swa_epoch_start` as a float is not supported when `max_epochs=-1`."
                    " Please provide `swa_epoch_start` as an integer.")
            self._swa_epoch_start = int(trainer.max_epochs * self._swa_epoch_start)
        self._model_contains_batch_norm = self.pl_module_contains_batch_norm(pl_module)
        self._max_epochs = trainer.max_epochs
        if self._model_contains_batch_norm and trainer.max_epochs != -1:
            trainer.max_epochs += 1  # one more epoch, to recompute the batch-norm statistics
        if self._scheduler_state is not None:
            # resumed inside the SWA phase: the SWALR is rebuilt from its state at epoch start
            trainer.lr_scheduler_configs.clear()

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        epoch = trainer.current_epoch
        if not self._initialized and self.swa_start <= epoch <= self.swa_end:
            self._initialized = True
            self._start_swa(trainer, pl_module)
        if self.swa_start <= epoch <= self.swa_end and epoch > self._latest_update_epoch:
            self.update_parameters(self._average_model, pl_module, self.n_averaged, self._avg_fn)
            self._latest_update_epoch = epoch
        if self._max_epochs != -1 and epoch == self.swa_end + 1:
            # the extra batch-norm epoch: averaged weights in, statistics reset, and the loop set
            # to run forward passes only (no backward; the accumulation window never closes)
            self.transfer_weights(self._average_model, pl_module)
            self.reset_batch_norm_and_save_state(pl_module)
            if trainer.num_training_batches == float("inf"):
                raise MisconfigurationException("SWA's batch-norm update needs a train loader "
                                                "with a length")
            trainer.num_training_batches += 1
            trainer._skip_backward = True
            self._accumulate_grad_batches = trainer.accumulate_grad_batches
            trainer.accumulate_grad_batches = trainer.num_training_batches

    def _start_swa(self, trainer, pl_module) -> None:
        self._average_model = self._average_model.to(self._device or pl_module.device)
        optimizer = trainer.optimizers[0]
        if isinstance(self._swa_lrs, float):
            self._swa_lrs = [self._swa_lrs] * len(optimizer.param_groups)
        for lr, group in zip(self._swa_lrs, optimizer.param_groups):
            group["initial_lr"] = lr
        self._swa_scheduler = SWALR(
            optimizer, swa_lr=self._swa_lrs, anneal_epochs=self._annealing_epochs,
            anneal_strategy=self._annealing_strategy,
            last_epoch=trainer.max_epochs if self._annealing_strategy == "cos" else -1)
        if self._scheduler_state is not None:
            self._swa_scheduler.load_state_dict(self._scheduler_state)
        elif trainer.current_epoch != self.swa_start:
            warnings.warn("SWA is initializing after swa_start without any checkpoint data. "
                          "This may be caused by loading a checkpoint from an older version of "
                          "PyTorch Lightning.", stacklevel=3)
        config = LRSchedulerConfig(self._swa_scheduler)  # every epoch
        if trainer.lr_scheduler_configs:
            old = trainer.lr_scheduler_configs[0]
            if old.interval != "epoch" or old.frequency != 1:
                warnings.warn(f"SWA is currently only supported every epoch. Found {old}",
                              stacklevel=3)
            log.info(f"Swapping scheduler `{type(old.scheduler).__name__}` for "
                     f"`{type(self._swa_scheduler).__name__}`")
            trainer.lr_scheduler_configs[0] = config
        else:
            trainer.lr_scheduler_configs.append(config)
        if self.n_averaged is None:
            self.n_averaged = ember.tensor(self._init_n_averaged, dtype=ember.long,
                                           device=pl_module.device)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        trainer._skip_backward = False

    def on_train_end(self, trainer, pl_module) -> None:
        # current_epoch has already moved past the last epoch here
        if (self._model_contains_batch_norm and self._max_epochs != -1
                and trainer.current_epoch - 1 == self.swa_end + 1):
            # after the batch-norm epoch: put the loop settings back
            trainer.accumulate_grad_batches = self._accumulate_grad_batches
            trainer.num_training_batches -= 1
            trainer.max_epochs -= 1
            self.reset_momenta()
        elif trainer.current_epoch - 1 == self.swa_end or self._max_epochs == -1:
            if self._average_model is not None:
                self.transfer_weights(self._average_model, pl_module)

    @staticmethod
    def transfer_weights(src_pl_module: Any, dst_pl_module: Any) -> None:
        for src, dst in zip(src_pl_module.parameters(), dst_pl_module.parameters()):
            dst.detach().copy_(src.to(dst.device))

    def reset_batch_norm_and_save_state(self, pl_module: Any) -> None:
        """Fresh running statistics and ``momentum=None`` (a cumulative average) for every
        batch-norm layer; the momenta are kept to be put back after the pass."""
        self.momenta = {}
        for module in pl_module.modules():
            if not isinstance(module, _BATCH_NORMS) or module.running_mean is None:
                continue
            module.running_mean = ember.zeros_like(module.running_mean)
            module.running_var = ember.ones_like(module.running_var)
            self.momenta[module] = module.momentum
            module.momentum = None
            module.num_batches_tracked.mul_(0)

    def reset_momenta(self) -> None:
        for module, momentum in self.momenta.items():
            module.momentum = momentum

    @staticmethod
    def update_parameters(average_model: Any, model: Any, n_averaged: Any,
                          avg_fn: Callable[[Any, Any, Any], Any]) -> None:
        """Folds model's parameters into average_model's; counts one more in n_averaged."""
        first = int(n_averaged) == 0
        with ember.no_grad():
            for p_swa, p_model in zip(average_model.parameters(), model.parameters()):
                device = p_swa.device
                p_swa_ = p_swa.detach()
                p_model_ = p_model.detach().to(device)
                p_swa_.copy_(p_model_ if first else avg_fn(p_swa_, p_model_,
                                                           n_averaged.to(device)))
        n_averaged.add_(1)

    @staticmethod
    def avg_fn(averaged_model_parameter: Any, model_parameter: Any, num_averaged: Any) -> Any:
        """The running mean: ``averaged + (current - averaged) / (num_averaged + 1)``."""
        return averaged_model_parameter + (model_parameter - averaged_model_parameter) / (
            num_averaged + 1)

    def state_dict(self) -> dict[str, Any]:
        return {
            "n_averaged": 0 if self.n_averaged is None else int(self.n_averaged),
            "latest_update_epoch": self._latest_update_epoch,
            "scheduler_state": (None if self._swa_scheduler is None
                                else self._swa_scheduler.state_dict()),
            "average_model_state": (None if self._average_model is None
                                    else self._average_model.state_dict()),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._init_n_averaged = state_dict["n_averaged"]
        self._latest_update_epoch = state_dict["latest_update_epoch"]
        self._scheduler_state = state_dict["scheduler_state"]
        if self._average_model is not None and state_dict["average_model_state"] is not None:
            self._average_model.load_state_dict(state_dict["average_model_state"])
