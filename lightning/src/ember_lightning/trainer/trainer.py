"""The Trainer: Lightning's ``fit``/``validate``/``test``/``predict`` as one plain loop.

Every hook call is written out below, in the order it happens, so this file *is* the
reference for hook order. In short, for ``fit``::

    configure_callbacks, prepare_data, setup("fit"), configure_model, configure_optimizers
    [restore checkpoint]  on_fit_start
    [sanity check: on_sanity_check_start, <validation loop>, on_sanity_check_end]
    on_train_start
    for each epoch:
        on_train_epoch_start
        for each batch:
            on_train_batch_start
            on_before_batch_transfer, transfer_batch_to_device, on_after_batch_transfer
            optimizer_step(closure):
                training_step, on_before_zero_grad, optimizer_zero_grad,
                on_before_backward, backward, on_after_backward,
                on_before_optimizer_step, configure_gradient_clipping, <optimizer.step>
            <step-interval schedulers; epoch-interval schedulers after the last batch>
            on_train_batch_end
            [validation loop when due:
                on_validation_model_eval, on_validation_start, on_validation_epoch_start,
                per batch: on_validation_batch_start, validation_step, on_validation_batch_end,
                on_validation_epoch_end, on_validation_end, on_validation_model_train]
        on_train_epoch_end (callbacks, then the module, then ModelCheckpoint/EarlyStopping)
    on_train_end, on_fit_end, teardown("fit")

Callbacks run before the module for every hook, except that checkpointing and early-stopping
callbacks run last at the end of an epoch, after the module's ``on_train_epoch_end`` (so they
see what it logged).
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

import ember

from ..callbacks.callback import Callback
from ..callbacks.early_stopping import EarlyStopping
from ..callbacks.model_checkpoint import ModelCheckpoint
from ..callbacks.progress import ProgressBar, TQDMProgressBar
from ..callbacks.timer import Timer
from ..core.datamodule import LightningDataModule
from ..core.module import LightningModule
from ..core.optimizer import LightningOptimizer, LRSchedulerConfig, parse_configure_optimizers
from ..loggers.base import Logger
from ..loggers.csv_logs import CSVLogger
from ..utilities.exceptions import MisconfigurationException
from ..plugins.precision import Precision, _unified_precision, precision_plugin_for
from ..utilities.seed import get_rng_states, set_rng_states
from . import ddp
from .checkpoint import load_checkpoint_file, save_checkpoint_file
from .metrics import MetricStore

__version__ = "0.1.0"

# Lightning 2.x's Trainer arguments: an unknown keyword outside this set raises Python's own
# TypeError, as Lightning's Trainer does (`gpus`, which older tutorials use, is mapped instead).
_LIGHTNING_TRAINER_ARGS = frozenset((
    "accelerator", "strategy", "devices", "num_nodes", "precision", "logger", "callbacks",
    "fast_dev_run", "max_epochs", "min_epochs", "max_steps", "min_steps", "max_time",
    "limit_train_batches", "limit_val_batches", "limit_test_batches", "limit_predict_batches",
    "overfit_batches", "val_check_interval", "check_val_every_n_epoch", "num_sanity_val_steps",
    "log_every_n_steps", "enable_checkpointing", "enable_progress_bar", "enable_model_summary",
    "accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm", "deterministic",
    "benchmark", "inference_mode", "use_distributed_sampler", "profiler", "detect_anomaly",
    "barebones", "plugins", "sync_batchnorm", "reload_dataloaders_every_n_epochs",
    "default_root_dir", "enable_autolog_hparams", "model_registry"))

# ids of the generators the Trainer put on samplers (ember.Generator has __slots__, so it
# cannot be tagged); they are replaced each epoch.
_EPOCH_GENERATORS: set[int] = set()


@dataclass
class TrainerState:
    fn: str | None = None        # "fit", "validate", "test", "predict"
    stage: str | None = None     # "train", "sanity_check", "validate", "test", "predict"
    status: str = "initializing"  # "running", "finished", "interrupted"


def _is_overridden(model: Any, name: str, base: type) -> bool:
    return getattr(type(model), name, None) is not getattr(base, name, None)


def _takes_arg(fn: Any, index: int) -> bool:
    """Whether the bound method fn accepts a positional argument at index (0-based)."""
    params = list(inspect.signature(fn).parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return len([p for p in params if p.kind in positional]) > index


def _as_loader_list(loaders: Any) -> list:
    if loaders is None:
        return []
    if isinstance(loaders, dict):
        return list(loaders.values())
    if isinstance(loaders, (list, tuple)):
        return list(loaders)
    return [loaders]


def _limit(length: float, limit: int | float | None, name: str) -> float:
    """Lightning's ``limit_*_batches``: an int is a count, a float a fraction of the loader."""
    if limit is None:
        return length
    if isinstance(limit, bool) or limit < 0:
        raise MisconfigurationException(f"`{name}` must be a non-negative int or float, "
                                        f"got {limit}")
    if isinstance(limit, int):
        return min(length, limit)
    if limit > 1.0:
        raise MisconfigurationException(f"`{name}` as a float must be in [0.0, 1.0], got {limit}")
    if length == math.inf:
        if limit == 1.0:
            return length
        raise MisconfigurationException(f"`{name}`={limit} needs a loader with a length")
    n = int(length * limit)
    return 1 if n == 0 and limit > 0 and length > 0 else n


class Trainer:
    """Runs a LightningModule's training, evaluation and prediction.

    Example:
        >>> trainer = Trainer(max_epochs=3, accelerator="cpu")          # doctest: +SKIP
        >>> trainer.fit(model, train_loader, val_loader)                # doctest: +SKIP
        >>> trainer.test(model, test_loader)                            # doctest: +SKIP
        [{'test_acc': 0.98}]
    """

    def __init__(self, *, accelerator: str = "auto", strategy: str = "auto",
                 devices: int | str | list = "auto", num_nodes: int = 1,
                 precision: int | str | None = None,
                 logger: Logger | list | bool | None = None,
                 callbacks: list[Callback] | Callback | None = None,
                 fast_dev_run: int | bool = False, max_epochs: int | None = None,
                 min_epochs: int | None = None, max_steps: int = -1, min_steps: int | None = None,
                 max_time: str | timedelta | dict[str, int] | None = None,
                 limit_train_batches: int | float | None = None,
                 limit_val_batches: int | float | None = None,
                 limit_test_batches: int | float | None = None,
                 limit_predict_batches: int | float | None = None,
                 val_check_interval: int | float | None = None,
                 check_val_every_n_epoch: int | None = 1,
                 num_sanity_val_steps: int | None = None, log_every_n_steps: int | None = None,
                 enable_checkpointing: bool | None = None,
                 enable_progress_bar: bool | None = None,
                 enable_model_summary: bool | None = None, accumulate_grad_batches: int = 1,
                 gradient_clip_val: int | float | None = None,
                 gradient_clip_algorithm: str | None = None,
                 deterministic: bool | str | None = None, benchmark: bool | None = None,
                 inference_mode: bool = True,
                 plugins: Precision | list | None = None,
                 default_root_dir: str | os.PathLike | None = None,
                 gpus: int | str | list | None = None, **unsupported: Any) -> None:
        for name in unsupported:
            if name not in _LIGHTNING_TRAINER_ARGS:
                raise TypeError(f"Trainer.__init__() got an unexpected keyword argument {name!r}")
        if unsupported:
            raise TypeError(f"Trainer got unsupported arguments: {sorted(unsupported)}")
        if gpus is not None:  # Lightning 1.x's argument, still in many tutorials
            warnings.warn(f"Trainer(gpus={gpus!r}) is deprecated (removed in Lightning 2.0); "
                          f"use Trainer(accelerator='gpu', devices={gpus!r}) instead",
                          DeprecationWarning, stacklevel=2)
            if gpus not in (0, "0", [], ()):
                accelerator, devices = "gpu", gpus
        precision_flag = _unified_precision(precision)
        self.device = self._choose_device(accelerator, 1 if strategy == "ddp" else devices)
        if strategy not in ("auto", "single_device", "ddp") or num_nodes != 1:
            raise MisconfigurationException("ember_lightning trains on one device or with "
                                            "strategy='ddp' on one node; num_nodes=1")
        self._ddp: Any = None
        if strategy == "ddp":  # one process per device, started by ember.distributed.run
            if self.device.type == "cuda":  # each process drives the GPU of its local rank
                local = int(os.environ.get("LOCAL_RANK", "0"))
                ember.cuda.set_device(local)
                self.device = ember.device("cuda", local)
            try:
                self.global_rank, self.world_size = ddp.join_process_group(
                    devices, "nccl" if self.device.type == "cuda" else "mpi")
            except ValueError as e:
                raise MisconfigurationException(str(e)) from None
            self.local_rank, self.num_devices = self.global_rank, self.world_size
            self.is_global_zero = self.global_rank == 0
        self.precision_plugin: Precision = self._choose_precision_plugin(precision_flag, plugins)
        if gradient_clip_algorithm not in (None, "norm", "value"):
            raise MisconfigurationException(f"`gradient_clip_algorithm` {gradient_clip_algorithm}"
                                            " is invalid. Allowed algorithms: ['value', 'norm'].")
        if not isinstance(accumulate_grad_batches, int) or accumulate_grad_batches < 1:
            raise MisconfigurationException("`accumulate_grad_batches` must be an int >= 1, got "
                                            f"{accumulate_grad_batches!r}")
        self.default_root_dir = os.fspath(default_root_dir) if default_root_dir else os.getcwd()
        self.fast_dev_run = int(fast_dev_run) if fast_dev_run else 0
        if self.fast_dev_run:
            n = self.fast_dev_run
            limit_train_batches = limit_val_batches = limit_test_batches = n
            limit_predict_batches = n
            max_epochs, max_steps, num_sanity_val_steps = 1, n, 0
            val_check_interval, check_val_every_n_epoch = 1.0, 1
            logger = False
        if max_epochs is None:
            max_epochs = 1000 if max_steps == -1 and max_time is None else -1
        self.max_epochs, self.min_epochs = max_epochs, min_epochs
        self.max_steps, self.min_steps = max_steps, min_steps
        self.limit_train_batches, self.limit_val_batches = limit_train_batches, limit_val_batches
        self.limit_test_batches = limit_test_batches
        self.limit_predict_batches = limit_predict_batches
        self.val_check_interval = 1.0 if val_check_interval is None else val_check_interval
        self.check_val_every_n_epoch = check_val_every_n_epoch
        self.num_sanity_val_steps = 2 if num_sanity_val_steps is None else num_sanity_val_steps
        self.log_every_n_steps = 50 if log_every_n_steps is None else log_every_n_steps
        self.accumulate_grad_batches = accumulate_grad_batches
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        self.deterministic = deterministic
        if deterministic is not None:  # as Lightning: "warn" only warns about such kernels
            ember.use_deterministic_algorithms(bool(deterministic),
                                               warn_only=deterministic == "warn")
        self._inference_mode = inference_mode

        self.loggers: list[Logger] = self._make_loggers(logger)
        self.callbacks: list[Callback] = self._make_callbacks(
            callbacks, enable_checkpointing, enable_progress_bar, enable_model_summary)
        if max_time is not None and not any(isinstance(c, Timer) for c in self.callbacks):
            # as Lightning: a Timer already in callbacks wins over max_time
            self.callbacks = self._order_callbacks(
                self.callbacks + [Timer(duration=max_time, interval="step")])
        if not self.is_global_zero:  # logs and the progress bar come from rank 0 only
            self.loggers = []
            for cb in self.callbacks:
                if isinstance(cb, ProgressBar):
                    cb.disable()

        self.state = TrainerState()
        self.should_stop = False
        self.sanity_checking = False
        self.current_epoch = 0
        self.global_step = 0
        self.optimizers: list = []
        self.lr_scheduler_configs: list[LRSchedulerConfig] = []
        self._lightning_optimizers: list[LightningOptimizer] = []
        self.lightning_module: LightningModule | None = None
        self.datamodule: LightningDataModule | None = None
        self.num_training_batches: float = 0
        self.num_val_batches: list[float] = []
        self.num_sanity_val_batches: list[float] = []
        self.num_test_batches: list[float] = []
        self.num_predict_batches: list[float] = []
        self._metrics = MetricStore(self)
        self._batches_that_stepped = 0
        self._total_batch_idx = 0
        self._batch_idx = 0
        self._epoch_batches_done = 0
        self._epoch_finished = False
        self._data_seed: int | None = None
        self._epoch_start_rng: dict | None = None
        self._resume: dict | None = None
        self._train_loader: Any = None
        self._val_loaders: list = []
        self._ckpt_path: str | None = None
        self._step_takes_batch_idx = True   # whether training_step has a batch_idx parameter
        # forward passes only (StochasticWeightAveraging's batch-norm epoch sets it, as Lightning)
        self._skip_backward = False
        self._tuning = False  # set while a Tuner search runs its short fits

    # =============================================================== public entry points
    def fit(self, model: LightningModule, train_dataloaders: Any = None,
            val_dataloaders: Any = None, datamodule: LightningDataModule | None = None,
            ckpt_path: str | os.PathLike | None = None) -> None:
        """Trains model; ``ckpt_path`` (a file, ``"last"`` or ``"best"``) resumes training
        exactly where that checkpoint was written, down to the batch inside the epoch."""
        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        if datamodule is not None and (train_dataloaders, val_dataloaders) != (None, None):
            raise MisconfigurationException("You cannot pass `train_dataloader` or "
                                            "`val_dataloaders` to `trainer.fit(datamodule=...)`")
        self._run("fit", model, datamodule, lambda: self._fit(
            model, train_dataloaders, val_dataloaders, datamodule, ckpt_path))

    def validate(self, model: LightningModule | None = None, dataloaders: Any = None,
                 ckpt_path: str | os.PathLike | None = None, verbose: bool = True,
                 datamodule: LightningDataModule | None = None) -> list[dict[str, float]]:
        """Runs the validation loop once; returns one dict of epoch metrics per dataloader."""
        return self._run_eval_entry("validate", model, dataloaders, ckpt_path, verbose, datamodule)

    def test(self, model: LightningModule | None = None, dataloaders: Any = None,
             ckpt_path: str | os.PathLike | None = None, verbose: bool = True,
             datamodule: LightningDataModule | None = None) -> list[dict[str, float]]:
        """Runs the test loop once; returns one dict of epoch metrics per dataloader."""
        return self._run_eval_entry("test", model, dataloaders, ckpt_path, verbose, datamodule)

    def predict(self, model: LightningModule | None = None, dataloaders: Any = None,
                datamodule: LightningDataModule | None = None,
                return_predictions: bool | None = None,
                ckpt_path: str | os.PathLike | None = None) -> list | None:
        """Runs ``predict_step`` on every batch; returns the list of its outputs (a list of
        such lists when there are several dataloaders)."""
        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        model = self._model_or_attached(model, "predict")
        out: list = []
        self._run("predict", model, datamodule, lambda: out.append(
            self._predict(model, dataloaders, datamodule, ckpt_path, return_predictions)))
        return out[0] if out else None

    def save_checkpoint(self, filepath: str | os.PathLike, weights_only: bool = False) -> None:
        """Writes the current state (see ``trainer/checkpoint.py``) to filepath, atomically."""
        if self.lightning_module is None:
            raise RuntimeError("Saving a checkpoint is only possible if a model is attached to "
                               "the Trainer. Did you call `Trainer.save_checkpoint()` before "
                               "calling `Trainer.{fit,validate,test,predict}`?")
        state = self._dump_checkpoint(weights_only)
        if self.is_global_zero:
            save_checkpoint_file(state, filepath)
        if self.world_size > 1:  # no rank reads the file before it is complete
            ddp.barrier()

    # =============================================================== properties
    @property
    def model(self) -> LightningModule | None:
        return self.lightning_module

    @property
    def precision(self) -> str:
        """The unified precision flag in use ("32-true", "16-mixed", "bf16-mixed", ...)."""
        return self.precision_plugin.precision

    @property
    def logger(self) -> Logger | None:
        return self.loggers[0] if self.loggers else None

    @logger.setter
    def logger(self, logger: Logger | None) -> None:
        self.loggers = [] if logger is None else [logger]

    @property
    def log_dir(self) -> str:
        if self.logger is not None and self.logger.log_dir is not None:
            return self.logger.log_dir
        return self.default_root_dir

    @property
    def callback_metrics(self) -> dict[str, Any]:
        return self._metrics.as_tensors(self._metrics.callback_metrics)

    @property
    def logged_metrics(self) -> dict[str, Any]:
        return self._metrics.as_tensors(self._metrics.logged_metrics)

    @property
    def progress_bar_metrics(self) -> dict[str, float]:
        return dict(self._metrics.progress_bar_metrics)

    @property
    def checkpoint_callbacks(self) -> list[ModelCheckpoint]:
        return [c for c in self.callbacks if isinstance(c, ModelCheckpoint)]

    @property
    def checkpoint_callback(self) -> ModelCheckpoint | None:
        cbs = self.checkpoint_callbacks
        return cbs[0] if cbs else None

    @property
    def early_stopping_callback(self) -> EarlyStopping | None:
        cbs = [c for c in self.callbacks if isinstance(c, EarlyStopping)]
        return cbs[0] if cbs else None

    @property
    def progress_bar_callback(self) -> ProgressBar | None:
        cbs = [c for c in self.callbacks if isinstance(c, ProgressBar)]
        return cbs[0] if cbs else None

    @property
    def training(self) -> bool:
        return self.state.stage == "train"

    @property
    def validating(self) -> bool:
        return self.state.stage == "validate"

    @property
    def testing(self) -> bool:
        return self.state.stage == "test"

    @property
    def predicting(self) -> bool:
        return self.state.stage == "predict"

    @property
    def interrupted(self) -> bool:
        return self.state.status == "interrupted"

    @property
    def train_dataloader(self) -> Any:
        return self._train_loader

    @property
    def val_dataloaders(self) -> Any:
        vl = self._val_loaders
        return vl[0] if len(vl) == 1 else (vl or None)

    @property
    def ckpt_path(self) -> str | None:
        return self._ckpt_path

    @property
    def estimated_stepping_batches(self) -> float:
        """Optimizer steps the whole fit will take (for schedulers like OneCycleLR)."""
        per_epoch = math.ceil(self.num_training_batches / self.accumulate_grad_batches)
        total = per_epoch * self.max_epochs if self.max_epochs != -1 else math.inf
        return min(total, self.max_steps) if self.max_steps != -1 else total

    is_global_zero = True
    global_rank = local_rank = node_rank = 0
    world_size = num_nodes = num_devices = 1

    # =============================================================== setup helpers
    @staticmethod
    def _choose_device(accelerator: str, devices: Any):
        if devices not in ("auto", 1, "1", -1, "-1", [0], (0,), None):
            raise MisconfigurationException(f"devices={devices!r}: ember_lightning trains on one "
                                            "device (devices=1 or 'auto')")
        if accelerator in ("gpu", "cuda"):
            if not ember.cuda.is_available():
                raise MisconfigurationException(f"accelerator={accelerator!r} was requested, but "
                                                "no CUDA device is available to Ember")
            return ember.device("cuda", 0)
        if accelerator == "auto":
            return ember.device("cuda", 0) if ember.cuda.is_available() else ember.device("cpu")
        if accelerator == "cpu":
            return ember.device("cpu")
        raise MisconfigurationException(f"accelerator={accelerator!r} is not supported: use "
                                        "'cpu', 'gpu', 'cuda' or 'auto'")

    def _choose_precision_plugin(self, flag: str | None, plugins: Any) -> Precision:
        """The plugin given in ``plugins``, else the one for the precision flag."""
        plugins = plugins if isinstance(plugins, (list, tuple)) else (
            [] if plugins is None else [plugins])
        for plugin in plugins:
            if not isinstance(plugin, Precision):
                raise MisconfigurationException(f"Found invalid type for plugin {plugin}. "
                                                "Expected one of: Precision, CheckpointIO, "
                                                "ClusterEnvironment, or LayerSync.")
        if len(plugins) > 1:
            raise MisconfigurationException("Received multiple values for Precision flags in "
                                            "`plugins`. Expected one value for each type at "
                                            "most.")
        if plugins and flag is not None:
            raise ValueError(f"Received both `precision={flag}` and `plugins={plugins[0]}`. "
                             "Choose one.")
        if plugins:
            return plugins[0]
        return precision_plugin_for(flag or "32-true", self.device.type)

    def _make_loggers(self, logger: Any) -> list[Logger]:
        if logger is None or logger is True:
            return [CSVLogger(self.default_root_dir)]
        if logger is False:
            return []
        return list(logger) if isinstance(logger, (list, tuple)) else [logger]

    def _make_callbacks(self, callbacks: Any, enable_checkpointing: bool | None,
                        enable_progress_bar: bool | None, enable_model_summary: bool | None
                        ) -> list[Callback]:
        cbs = [callbacks] if isinstance(callbacks, Callback) else list(callbacks or [])
        if enable_checkpointing is False and any(isinstance(c, ModelCheckpoint) for c in cbs):
            raise MisconfigurationException("Trainer was configured with "
                                            "`enable_checkpointing=False` but found "
                                            "`ModelCheckpoint` in callbacks list.")
        if enable_progress_bar is False and any(isinstance(c, ProgressBar) for c in cbs):
            raise MisconfigurationException("Trainer was configured with "
                                            "`enable_progress_bar=False` but found a progress "
                                            "bar in callbacks list.")
        if enable_checkpointing is not False and not self.fast_dev_run and not any(
                isinstance(c, ModelCheckpoint) for c in cbs):
            cbs.append(ModelCheckpoint())
        if enable_progress_bar is not False and not any(isinstance(c, ProgressBar) for c in cbs):
            cbs.append(TQDMProgressBar())
        if enable_model_summary is not False:
            from ..callbacks.model_summary import ModelSummary
            if not any(isinstance(c, ModelSummary) for c in cbs):
                cbs.append(ModelSummary())
        return self._order_callbacks(cbs)

    @staticmethod
    def _order_callbacks(cbs: list[Callback]) -> list[Callback]:
        """Checkpointing callbacks go last so that they see everything the others logged."""
        return ([c for c in cbs if not isinstance(c, ModelCheckpoint)]
                + [c for c in cbs if isinstance(c, ModelCheckpoint)])

    def _merge_model_callbacks(self, model: LightningModule) -> None:
        """``configure_callbacks``: the module's callbacks replace the Trainer's of their type."""
        if self._tuning:  # a Tuner search runs with its own callbacks only, as Lightning's
            return
        extra = model.configure_callbacks()
        extra = [extra] if isinstance(extra, Callback) else list(extra or [])
        if not extra:
            return
        types = {type(c) for c in extra}
        self.callbacks = self._order_callbacks(
            [c for c in self.callbacks if type(c) not in types] + extra)

    @property
    def _monitoring_callbacks(self) -> list[Callback]:
        return [c for c in self.callbacks if isinstance(c, (ModelCheckpoint, EarlyStopping))]

    @property
    def _other_callbacks(self) -> list[Callback]:
        return [c for c in self.callbacks if not isinstance(c, (ModelCheckpoint, EarlyStopping))]

    def _model_or_attached(self, model: LightningModule | None, fn: str) -> LightningModule:
        if model is None:
            model = self.lightning_module
        if model is None:
            raise MisconfigurationException(f"`model` must be provided to `trainer.{fn}()` when "
                                            "it hasn't been passed in a previous run")
        if not isinstance(model, LightningModule):
            raise TypeError(f"`Trainer.{fn}()` requires a `LightningModule`, got: "
                            f"{type(model).__qualname__}")
        return model

    def _run(self, fn: str, model: LightningModule, datamodule: Any, body) -> None:
        """Attach, run body, and on any exception tell callbacks and loggers."""
        if not isinstance(model, LightningModule):
            raise TypeError(f"`Trainer.{fn}()` requires a `LightningModule`, got: "
                            f"{type(model).__qualname__}")
        self.state = TrainerState(fn=fn, status="running")
        self.lightning_module = model
        model.trainer = self
        self.datamodule = datamodule
        if datamodule is not None:
            datamodule.trainer = self
        self.should_stop = False
        try:
            body()
            self.state.status = "finished"
        except BaseException as exc:
            self.state.status = "interrupted"
            for cb in self.callbacks:
                cb.on_exception(self, model, exc)
            for lg in self.loggers:
                lg.finalize("failed")
            raise
        finally:
            self.state.stage = None

    def _setup(self, model: LightningModule, datamodule: Any, stage: str) -> None:
        self._merge_model_callbacks(model)
        (datamodule or model).prepare_data()
        if datamodule is not None:
            datamodule.setup(stage)
        for cb in self.callbacks:
            cb.setup(self, model, stage)
        model.setup(stage)
        with self.precision_plugin.module_init_context():
            model.configure_model()
        self.precision_plugin.convert_module(model)
        model.to(self.device)

    def _teardown(self, model: LightningModule, datamodule: Any, stage: str) -> None:
        if datamodule is not None:
            datamodule.teardown(stage)
        for cb in self.callbacks:
            cb.teardown(self, model, stage)
        model.teardown(stage)

    @staticmethod
    def _loaders(given: Any, datamodule: Any, model: LightningModule, kind: str) -> list:
        """Dataloaders from the call, else from the datamodule, else from the module."""
        if given is not None:
            return _as_loader_list(given)
        name = f"{kind}_dataloader"
        if datamodule is not None and (name in vars(datamodule) or _is_overridden(
                datamodule, name, LightningDataModule)):
            return _as_loader_list(getattr(datamodule, name)())
        if callable(getattr(type(model), name, None)):
            return _as_loader_list(getattr(model, name)())
        return []

    # =============================================================== fit
    def _fit(self, model: LightningModule, train_dataloaders: Any, val_dataloaders: Any,
             datamodule: Any, ckpt_path: Any) -> None:
        self._setup(model, datamodule, "fit")
        ckpt = self._read_checkpoint(ckpt_path)
        if ckpt is not None:
            self._restore_model_and_callbacks(model, datamodule, ckpt)
        self.optimizers, self.lr_scheduler_configs = parse_configure_optimizers(
            model.configure_optimizers())
        self._lightning_optimizers = [LightningOptimizer(o, self) for o in self.optimizers]
        if model.automatic_optimization and len(self.optimizers) > 1:
            raise MisconfigurationException("Training with multiple optimizers is only supported "
                                            "with manual optimization. Set "
                                            "`self.automatic_optimization = False`, then access "
                                            "your optimizers in `training_step` with "
                                            "`opt1, opt2, ... = self.optimizers()`.")
        if not model.automatic_optimization and self.gradient_clip_val:
            raise MisconfigurationException("Automatic gradient clipping is not supported for "
                                            "manual optimization. Remove `Trainer("
                                            "gradient_clip_val=...)` or switch to automatic "
                                            "optimization.")
        if not model.automatic_optimization and self.accumulate_grad_batches != 1:
            raise MisconfigurationException("Automatic gradient accumulation is not supported for"
                                            " manual optimization. Remove `Trainer("
                                            "accumulate_grad_batches=...)` or switch to automatic "
                                            "optimization.")
        self.current_epoch = self.global_step = self._batches_that_stepped = 0
        self._total_batch_idx = 0
        self._resume = None
        if ckpt is not None:
            self._restore_training_state(ckpt)
        if self._data_seed is None or ckpt is None:
            env = os.environ.get("PL_GLOBAL_SEED")
            self._data_seed = int(env) if env is not None else int(
                ember.randint(0, 2**31 - 1, ()).item())
        self._log_hyperparams(model, datamodule)

        train_loaders = self._loaders(train_dataloaders, datamodule, model, "train")
        if len(train_loaders) != 1:
            raise MisconfigurationException("`trainer.fit` needs exactly one train dataloader "
                                            f"(got {len(train_loaders)})")
        self._train_loader = train_loaders[0]
        if self.world_size > 1:
            self._train_loader = ddp.shard(self._train_loader)
            self._ddp = ddp.wrap(model)
        self.num_training_batches = _limit(self._len(self._train_loader),
                                           self.limit_train_batches, "limit_train_batches")
        has_val_step = _is_overridden(model, "validation_step", LightningModule)
        self._val_loaders = (self._loaders(val_dataloaders, datamodule, model, "val")
                             if has_val_step else [])
        if self.world_size > 1:
            self._val_loaders = [ddp.shard(dl) for dl in self._val_loaders]
        self.num_val_batches = [_limit(self._len(dl), self.limit_val_batches, "limit_val_batches")
                                for dl in self._val_loaders]
        self._val_check_batch = self._compute_val_check_batch()

        for cb in self.callbacks:
            cb.on_fit_start(self, model)
        model.on_fit_start()

        if self.num_sanity_val_steps != 0 and self._val_loaders:
            self._sanity_check(model)

        self.state.stage = "train"
        model.train()
        for cb in self.callbacks:
            cb.on_train_start(self, model)
        model.on_train_start()

        while not self._fit_done():
            self._train_epoch(model)

        for cb in self.callbacks:
            cb.on_train_end(self, model)
        model.on_train_end()
        for cb in self.callbacks:
            cb.on_fit_end(self, model)
        model.on_fit_end()
        for lg in self.loggers:
            lg.finalize("success")
        self._teardown(model, datamodule, "fit")

    def _fit_done(self) -> bool:
        if self.max_steps != -1 and self.global_step >= self.max_steps:
            return True
        if self.max_epochs != -1 and self.current_epoch >= self.max_epochs:
            return True
        if self.num_training_batches == 0:
            return True
        return self.should_stop and self._can_stop_early()

    def _can_stop_early(self) -> bool:
        """``min_epochs``/``min_steps`` hold a stop request back until they are reached."""
        if self.min_epochs is not None and self.current_epoch < self.min_epochs:
            return False
        return self.min_steps is None or self.global_step >= self.min_steps

    def _compute_val_check_batch(self) -> float:
        v = self.val_check_interval
        if isinstance(v, int) and not isinstance(v, bool):
            if self.check_val_every_n_epoch is not None and v > self.num_training_batches:
                raise ValueError(f"`val_check_interval` ({v}) must be less than or equal to the "
                                 f"number of the training batches ({self.num_training_batches}).")
            return v
        if not 0.0 < v <= 1.0:
            raise MisconfigurationException(f"`val_check_interval` must be in (0.0, 1.0] as a "
                                            f"float, got {v}")
        if self.num_training_batches == math.inf:
            return math.inf if v == 1.0 else self._bad_val_interval()
        return max(1, int(self.num_training_batches * v))

    def _bad_val_interval(self):
        raise MisconfigurationException("A float `val_check_interval` needs a train loader with a "
                                        "length; pass an int number of batches instead")

    def _sanity_check(self, model: LightningModule) -> None:
        """A few validation batches before training, to catch bugs early. It leaves the random
        generators as it found them, so it does not change what training does."""
        self.sanity_checking = True
        self.state.stage = "sanity_check"
        rng = get_rng_states()
        n = self.num_sanity_val_steps
        self.num_sanity_val_batches = [b if n == -1 else min(n, b) for b in self.num_val_batches]
        for cb in self.callbacks:
            cb.on_sanity_check_start(self, model)
        self._evaluation_loop(model, "validate", self._val_loaders, self.num_sanity_val_batches)
        for cb in self.callbacks:
            cb.on_sanity_check_end(self, model)
        set_rng_states(rng)
        self.sanity_checking = False

    # --------------------------------------------------------------- one training epoch
    def _train_epoch(self, model: LightningModule) -> None:
        self.state.stage = "train"
        self._metrics.stage = "train"
        resume = self._resume
        self._resume = None
        self._epoch_finished = False
        sched_stepped = False
        for cb in self.callbacks:
            cb.on_train_epoch_start(self, model)
        model.on_train_epoch_start()
        # inspect.signature costs more than the rest of the step's bookkeeping: once an epoch
        self._step_takes_batch_idx = _takes_arg(model.training_step, 1)

        for batch_idx, batch in self._epoch_batches(resume):
            self._batch_idx = batch_idx
            is_last = batch_idx + 1 == self.num_training_batches
            batch = self._transfer(model, batch, 0)
            self._metrics.set_batch(batch)
            self._metrics.in_step = True
            skip = None
            for cb in self.callbacks:
                cb.on_train_batch_start(self, model, batch, batch_idx)
            skip = model.on_train_batch_start(batch, batch_idx)
            if skip == -1:
                self._metrics.in_step = False
                break
            if model.automatic_optimization:
                outputs, stepped = self._automatic_step(model, batch, batch_idx, is_last)
            else:
                outputs, stepped = self._manual_step(model, batch, batch_idx), True
            if stepped:
                self._batches_that_stepped += 1
                self._step_schedulers("step", batch_idx, plateau=False)
            if is_last:  # as Lightning: epoch schedulers step before the last on_train_batch_end
                self._step_schedulers("epoch", batch_idx, plateau=False)
                sched_stepped = True
            self._epoch_batches_done = batch_idx + 1
            self._total_batch_idx += 1
            self._epoch_finished = is_last
            for cb in self.callbacks:
                cb.on_train_batch_end(self, model, outputs, batch, batch_idx)
            model.on_train_batch_end(outputs, batch, batch_idx)
            self._metrics.in_step = False
            self._log_step_metrics(stepped)

            if self._should_validate(batch_idx, is_last):
                self._validate_during_fit(model)
            if (self.max_steps != -1 and self.global_step >= self.max_steps) or (
                    self.should_stop and self._can_stop_early()):
                break
        self._epoch_finished = True

        # on_train_epoch_end: callbacks, then the module, then (after the epoch's metrics are
        # reduced and plateau schedulers have seen them) checkpointing and early stopping.
        for cb in self._other_callbacks:
            cb.on_train_epoch_end(self, model)
        model.on_train_epoch_end()
        self._log_epoch_metrics("train")
        if not sched_stepped:  # the epoch ended before its last batch, or had no length
            self._step_schedulers("epoch", self._batch_idx, plateau=False)
        self._step_schedulers("epoch", self._batch_idx, plateau=True)
        for cb in self._monitoring_callbacks:
            cb.on_train_epoch_end(self, model)
        self.current_epoch += 1
        self._epoch_batches_done = 0
        self._epoch_finished = False

    def _epoch_batches(self, resume: dict | None) -> Iterator[tuple[int, Any]]:
        """The epoch's batches, in an order that depends only on the data seed and the epoch,
        skipping the ones a resumed checkpoint had already trained on."""
        loader, epoch = self._train_loader, self.current_epoch
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        if hasattr(sampler, "generator") and (sampler.generator is None
                                              or id(sampler.generator) in _EPOCH_GENERATORS):
            # A shuffling sampler without a generator of its own gets one seeded from
            # (data seed, epoch): the order of an epoch no longer depends on what ran before.
            g = ember.Generator()
            g.manual_seed(self._data_seed * 100003 + epoch)
            _EPOCH_GENERATORS.discard(id(sampler.generator))
            _EPOCH_GENERATORS.add(id(g))
            sampler.generator = g
        skip = 0
        if resume is not None and resume["batches_done"]:
            skip = resume["batches_done"]
            set_rng_states(resume["epoch_start_rng"])
        self._epoch_start_rng = get_rng_states()
        it = iter(loader)
        batch_idx = 0
        limit = self.num_training_batches
        while batch_idx < limit:
            try:
                batch = next(it)
            except StopIteration:
                break
            if batch_idx < skip:
                batch_idx += 1
                if batch_idx == skip:
                    set_rng_states(resume["rng_states"])
                continue
            yield batch_idx, batch
            batch_idx += 1

    def _transfer(self, model: LightningModule, batch: Any, dataloader_idx: int) -> Any:
        batch = self.precision_plugin.convert_input(batch)
        dm = self.datamodule
        if dm is not None:
            batch = dm.on_before_batch_transfer(batch, dataloader_idx)
        batch = model.on_before_batch_transfer(batch, dataloader_idx)
        if self.device.type != "cpu" or _is_overridden(model, "transfer_batch_to_device",
                                                      LightningModule):
            batch = model.transfer_batch_to_device(batch, self.device, dataloader_idx)
        if dm is not None:
            batch = dm.on_after_batch_transfer(batch, dataloader_idx)
        return model.on_after_batch_transfer(batch, dataloader_idx)

    # --------------------------------------------------------------- one optimisation step
    def _automatic_step(self, model: LightningModule, batch: Any, batch_idx: int,
                        is_last: bool) -> tuple[Any, bool]:
        """training_step + backward, and an optimizer step at the end of each accumulation
        window (or the epoch). Returns (outputs for on_train_batch_end, whether it stepped)."""
        acc = self.accumulate_grad_batches
        optimizer = self._lightning_optimizers[0]
        first_of_window = batch_idx % acc == 0
        result: dict[str, Any] = {}

        def closure():
            with ember.enable_grad():
                out = self._call_training_step(model, batch, batch_idx)
                loss = _loss_of(out)
                if first_of_window:
                    for cb in self.callbacks:
                        cb.on_before_zero_grad(self, model, optimizer.optimizer)
                    model.on_before_zero_grad(optimizer.optimizer)
                    model.optimizer_zero_grad(self.current_epoch, batch_idx, optimizer.optimizer)
                if loss is not None and not self._skip_backward:
                    self._backward(model, loss / acc if acc > 1 else loss)
            result["out"] = out
            return loss

        should_step = (batch_idx + 1) % acc == 0 or is_last
        if not should_step:
            closure()
            return _batch_outputs(result.get("out")), False

        # the precision plugin runs the on_before_optimizer_step hooks and clipping after it
        model.optimizer_step(self.current_epoch, batch_idx, optimizer, closure)
        return _batch_outputs(result.get("out")), True

    def _manual_step(self, model: LightningModule, batch: Any, batch_idx: int) -> Any:
        with ember.enable_grad():
            return self._call_training_step(model, batch, batch_idx)

    def _call_training_step(self, model: LightningModule, batch: Any, batch_idx: int) -> Any:
        args = (batch, batch_idx) if self._step_takes_batch_idx else (batch,)
        with self.precision_plugin.forward_context():
            if self._ddp is not None:  # through DDP, whose forward arms the gradient all-reduce
                return self._ddp(*args)
            return model.training_step(*args)

    def _backward(self, model: LightningModule, loss, *args: Any, **kwargs: Any) -> None:
        loss = self.precision_plugin.pre_backward(loss)  # scaled by 16-mixed's GradScaler
        for cb in self.callbacks:
            cb.on_before_backward(self, model, loss)
        model.on_before_backward(loss)
        model.backward(loss, *args, **kwargs)
        for cb in self.callbacks:
            cb.on_after_backward(self, model)
        model.on_after_backward()

    def _optimizer_step(self, optimizer: Any, closure: Any = None, **kwargs: Any) -> Any:
        """What LightningOptimizer.step does: the precision plugin runs the closure, then the
        ``on_before_optimizer_step`` hooks and (in automatic optimisation) gradient clipping,
        then steps; always counts a global step."""
        model = self.lightning_module

        def after_closure():
            for cb in self.callbacks:
                cb.on_before_optimizer_step(self, model, optimizer)
            model.on_before_optimizer_step(optimizer)
            if model.automatic_optimization:
                model.configure_gradient_clipping(optimizer, self.gradient_clip_val,
                                                  self.gradient_clip_algorithm)

        out = self.precision_plugin.optimizer_step(
            optimizer, model, closure if closure is not None else _no_closure, after_closure,
            **kwargs)
        self.global_step += 1
        return out

    def _step_schedulers(self, interval: str, batch_idx: int, plateau: bool) -> None:
        """Steps the (plateau or other) schedulers of this interval whose frequency divides the
        batch or epoch count. In manual optimisation the user steps them instead.

        Plateau schedulers step at the end of the epoch, before checkpointing callbacks run, so
        that a checkpoint holds their updated state (Lightning steps them after)."""
        if not self.lr_scheduler_configs or not self.lightning_module.automatic_optimization:
            return
        for cfg in self.lr_scheduler_configs:
            if cfg.interval != interval or cfg.reduce_on_plateau != plateau:
                continue
            # frequency counts optimizer steps over the whole fit, or epochs
            idx = self._batches_that_stepped if interval == "step" else self.current_epoch + 1
            if idx % cfg.frequency != 0:
                continue
            if cfg.reduce_on_plateau:
                value = self._metrics.callback_metrics.get(cfg.monitor)
                if value is None:
                    if cfg.strict:
                        avail = sorted(self._metrics.callback_metrics)
                        raise MisconfigurationException(
                            f"ReduceLROnPlateau conditioned on metric {cfg.monitor} which is not "
                            f"available. Available metrics are: {avail}. Condition can be set "
                            "using `monitor` key in lr scheduler dict")
                    continue
                cfg.scheduler.step(value)
            else:
                cfg.scheduler.step()

    # --------------------------------------------------------------- validation during fit
    def _should_validate(self, batch_idx: int, is_last: bool) -> bool:
        if not self._val_loaders or not any(self.num_val_batches):
            return False
        every = self.check_val_every_n_epoch
        if every is not None and (self.current_epoch + 1) % every != 0:
            return False
        if self._val_check_batch == math.inf:
            return is_last
        count = self._total_batch_idx if every is None else batch_idx + 1
        return count % self._val_check_batch == 0

    def _validate_during_fit(self, model: LightningModule) -> None:
        self.state.stage = "validate"
        self._evaluation_loop(model, "validate", self._val_loaders, self.num_val_batches)
        self.state.stage = "train"
        self._metrics.stage = "train"

    # --------------------------------------------------------------- evaluation loop
    def _evaluation_loop(self, model: LightningModule, stage: str, loaders: list,
                         limits: list[float]) -> list[dict[str, float]]:
        """validation_step or test_step over every loader; returns per-loader epoch metrics."""
        val = stage == "validate"
        self._metrics.stage = "sanity_check" if self.sanity_checking else stage
        step_fn = model.validation_step if val else model.test_step
        multi = len(loaders) > 1
        hooks = _EvalHooks(self.callbacks, model, val)
        model.on_validation_model_eval() if val else model.on_test_model_eval()
        grad_ctx = ember.inference_mode if self._inference_mode else ember.no_grad
        with grad_ctx():
            hooks.start(self)
            hooks.epoch_start(self)
            for dl_idx, loader in enumerate(loaders):
                self._metrics.dataloader_idx = dl_idx if multi else None
                extra = (dl_idx,) if multi else ()
                for batch_idx, batch in enumerate(loader):
                    if batch_idx >= limits[dl_idx]:
                        break
                    batch = self._transfer(model, batch, dl_idx)
                    self._metrics.set_batch(batch)
                    self._metrics.in_step = True
                    hooks.batch_start(self, batch, batch_idx, *extra)
                    with self.precision_plugin.forward_context():
                        out = step_fn(batch, batch_idx, *extra)
                    hooks.batch_end(self, out, batch, batch_idx, *extra)
                    self._metrics.in_step = False
            self._metrics.dataloader_idx = None
            hooks.epoch_end(self)
            results = self._log_epoch_metrics(self._metrics.stage)
            hooks.end(self)
        if self.state.fn == "fit":
            model.on_validation_model_train()
        return results

    def _run_eval_entry(self, stage: str, model: LightningModule | None, dataloaders: Any,
                        ckpt_path: Any, verbose: bool, datamodule: Any) -> list[dict[str, float]]:
        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        model = self._model_or_attached(model, stage)
        out: list = []

        def body():
            self._setup(model, datamodule, stage)
            ckpt = self._read_checkpoint(ckpt_path)
            if ckpt is not None:
                self._restore_model_and_callbacks(model, datamodule, ckpt)
            kind = "val" if stage == "validate" else "test"
            loaders = self._loaders(dataloaders, datamodule, model, kind)
            limit = self.limit_val_batches if stage == "validate" else self.limit_test_batches
            limits = [_limit(self._len(dl), limit, f"limit_{kind}_batches") for dl in loaders]
            if stage == "validate":
                self.num_val_batches = limits
            else:
                self.num_test_batches = limits
            self.state.stage = stage
            results = self._evaluation_loop(model, stage, loaders, limits)
            results = results or [{} for _ in loaders]
            if verbose:
                _print_results(stage, results)
            for lg in self.loggers:
                lg.finalize("success")
            self._teardown(model, datamodule, stage)
            out.append(results)

        self._run(stage, model, datamodule, body)
        return out[0]

    # --------------------------------------------------------------- prediction
    def _predict(self, model: LightningModule, dataloaders: Any, datamodule: Any, ckpt_path: Any,
                 return_predictions: bool | None) -> list | None:
        self._setup(model, datamodule, "predict")
        ckpt = self._read_checkpoint(ckpt_path)
        if ckpt is not None:
            self._restore_model_and_callbacks(model, datamodule, ckpt)
        loaders = self._loaders(dataloaders, datamodule, model, "predict")
        limits = [_limit(self._len(dl), self.limit_predict_batches, "limit_predict_batches")
                  for dl in loaders]
        self.num_predict_batches = limits
        self.state.stage = "predict"
        self._metrics.stage = "predict"
        keep = True if return_predictions is None else return_predictions
        multi = len(loaders) > 1
        all_preds: list[list] = []
        model.on_predict_model_eval()
        grad_ctx = ember.inference_mode if self._inference_mode else ember.no_grad
        with grad_ctx():
            for cb in self.callbacks:
                cb.on_predict_start(self, model)
            model.on_predict_start()
            for cb in self.callbacks:
                cb.on_predict_epoch_start(self, model)
            model.on_predict_epoch_start()
            for dl_idx, loader in enumerate(loaders):
                preds: list = []
                extra = (dl_idx,) if multi else ()
                for batch_idx, batch in enumerate(loader):
                    if batch_idx >= limits[dl_idx]:
                        break
                    batch = self._transfer(model, batch, dl_idx)
                    for cb in self.callbacks:
                        cb.on_predict_batch_start(self, model, batch, batch_idx, *extra)
                    model.on_predict_batch_start(batch, batch_idx, *extra)
                    with self.precision_plugin.forward_context():
                        out = model.predict_step(batch, batch_idx, *extra)
                    for cb in self.callbacks:
                        cb.on_predict_batch_end(self, model, out, batch, batch_idx, *extra)
                    model.on_predict_batch_end(out, batch, batch_idx, *extra)
                    if keep:
                        preds.append(out)
                all_preds.append(preds)
            for cb in self.callbacks:
                cb.on_predict_epoch_end(self, model)
            model.on_predict_epoch_end()
            for cb in self.callbacks:
                cb.on_predict_end(self, model)
            model.on_predict_end()
        self._teardown(model, datamodule, "predict")
        if not keep:
            return None
        return all_preds if multi else (all_preds[0] if all_preds else [])

    # --------------------------------------------------------------- logging
    def _log_step_metrics(self, stepped: bool) -> None:
        metrics = self._metrics.pop_step_logger_metrics()
        if not metrics or not self.loggers or not stepped:
            return
        if self._batches_that_stepped % self.log_every_n_steps != 0 and not self.should_stop:
            return
        metrics = {"epoch": self.current_epoch, **metrics}
        self._metrics.logged_metrics.update(metrics)
        for lg in self.loggers:
            lg.log_metrics(metrics, step=max(self._batches_that_stepped - 1, 0))

    def _log_epoch_metrics(self, stage: str) -> list[dict[str, float]]:
        if stage == "sanity_check":
            self._metrics.reset_stage(stage)
            return []
        for_logger, per_loader = self._metrics.epoch_end(stage)
        if for_logger and self.loggers:
            metrics = {"epoch": self.current_epoch, **for_logger}
            self._metrics.logged_metrics.update(metrics)
            for lg in self.loggers:
                lg.log_metrics(metrics, step=max(self._batches_that_stepped - 1, 0))
        return per_loader

    def _log_hyperparams(self, model: LightningModule, datamodule: Any) -> None:
        if not self.loggers:
            return
        params: dict[str, Any] = {}
        if datamodule is not None and datamodule.__dict__.get("_log_hyperparams", False):
            params.update(datamodule.hparams_initial)
        if model.__dict__.get("_log_hyperparams", False):
            params.update(model.hparams_initial)
        for lg in self.loggers:
            if params:
                lg.log_hyperparams(params)
            lg.log_graph(model)
            lg.save()

    @staticmethod
    def _len(loader: Any) -> float:
        try:
            return len(loader)
        except TypeError:
            return math.inf

    # --------------------------------------------------------------- checkpoints
    def _read_checkpoint(self, ckpt_path: Any) -> dict | None:
        if ckpt_path is None:
            self._ckpt_path = None
            return None
        path = os.fspath(ckpt_path)
        if path in ("last", "best"):
            found = self._find_checkpoint(path)
            if found is None:
                import warnings
                warnings.warn(f'.fit(ckpt_path="{path}") is set, but there is no {path} '
                              "checkpoint available. No checkpoint will be loaded.", stacklevel=3)
                self._ckpt_path = None
                return None
            path = found
        self._ckpt_path = path
        return load_checkpoint_file(path, map_location=self.device)

    def _find_checkpoint(self, which: str) -> str | None:
        if which == "best":
            cb = self.checkpoint_callback
            return cb.best_model_path or None if cb is not None else None
        candidates = []
        for cb in self.checkpoint_callbacks:
            if cb.last_model_path and os.path.isfile(cb.last_model_path):
                candidates.append(cb.last_model_path)
            folder = cb.dirpath or cb._resolve_dirpath(self)
            if folder and os.path.isdir(folder):
                candidates += [os.path.join(folder, f) for f in os.listdir(folder)
                               if f.startswith(cb.CHECKPOINT_NAME_LAST)
                               and f.endswith(cb.FILE_EXTENSION)]
        return max(candidates, key=os.path.getmtime) if candidates else None

    def _dump_checkpoint(self, weights_only: bool = False) -> dict[str, Any]:
        model = self.lightning_module
        ckpt: dict[str, Any] = {
            "epoch": self.current_epoch,
            "global_step": self.global_step,
            "ember_lightning_version": __version__,
            "state_dict": model.state_dict(),
            "loops": {"fit_loop": {
                "epoch": self.current_epoch,
                "batches_done": self._epoch_batches_done,
                "epoch_finished": self._epoch_finished,
                "batches_that_stepped": self._batches_that_stepped,
                "total_batch_idx": self._total_batch_idx,
                "data_seed": self._data_seed,
                "epoch_start_rng": self._epoch_start_rng,
            }},
        }
        if not weights_only:
            ckpt["callbacks"] = {cb.state_key: cb.state_dict() for cb in self.callbacks
                                 if cb.state_dict()}
            ckpt["optimizer_states"] = [o.state_dict() for o in self.optimizers]
            ckpt["lr_schedulers"] = [c.scheduler.state_dict() for c in self.lr_scheduler_configs]
            ckpt["rng_states"] = get_rng_states()
            precision_state = self.precision_plugin.state_dict()
            if precision_state:  # Lightning's key: the plugin's class name
                ckpt[type(self.precision_plugin).__qualname__] = precision_state
            self.precision_plugin.on_save_checkpoint(ckpt)
        if model.hparams:
            ckpt["hparams_name"] = "kwargs"
            ckpt["hyper_parameters"] = dict(model.hparams)
        dm = self.datamodule
        if dm is not None:
            state = dm.state_dict()
            if state:
                ckpt[type(dm).__qualname__] = state
            if dm.hparams:
                ckpt["datamodule_hyper_parameters"] = dict(dm.hparams)
        if not weights_only:
            for cb in self.callbacks:
                cb.on_save_checkpoint(self, model, ckpt)
        model.on_save_checkpoint(ckpt)
        return ckpt

    def _restore_model_and_callbacks(self, model: LightningModule, datamodule: Any,
                                     ckpt: dict) -> None:
        if datamodule is not None and type(datamodule).__qualname__ in ckpt:
            datamodule.load_state_dict(ckpt[type(datamodule).__qualname__])
        model.on_load_checkpoint(ckpt)
        model.load_state_dict(ckpt["state_dict"])
        states = ckpt.get("callbacks", {})
        for cb in self.callbacks:
            cb.on_load_checkpoint(self, model, ckpt)
            if cb.state_key in states:
                cb.load_state_dict(states[cb.state_key])

    def _restore_training_state(self, ckpt: dict) -> None:
        if "optimizer_states" not in ckpt:
            raise KeyError("Trying to restore optimizer state but checkpoint contains only the "
                           "model. This is probably due to `ModelCheckpoint.save_weights_only` "
                           "being set to `True`.")
        plugin = self.precision_plugin
        plugin.on_load_checkpoint(ckpt)
        if type(plugin).__qualname__ in ckpt:
            plugin.load_state_dict(ckpt[type(plugin).__qualname__])
        elif "native_amp_scaling_state" in ckpt:  # Lightning 1.x checkpoints
            plugin.load_state_dict(ckpt["native_amp_scaling_state"])
        for opt, state in zip(self.optimizers, ckpt["optimizer_states"]):
            opt.load_state_dict(state)
        for cfg, state in zip(self.lr_scheduler_configs, ckpt.get("lr_schedulers", [])):
            cfg.scheduler.load_state_dict(state)
        loop = ckpt["loops"]["fit_loop"]
        self.global_step = ckpt["global_step"]
        self._batches_that_stepped = loop["batches_that_stepped"]
        self._total_batch_idx = loop["total_batch_idx"]
        self._data_seed = loop["data_seed"]
        finished = loop["epoch_finished"] or loop["batches_done"] == 0
        self.current_epoch = loop["epoch"] + (1 if loop["epoch_finished"] else 0)
        if finished:
            set_rng_states(ckpt["rng_states"])
            self._resume = None
        else:
            self._resume = {"batches_done": loop["batches_done"],
                            "epoch_start_rng": loop["epoch_start_rng"],
                            "rng_states": ckpt["rng_states"]}


class _EvalHooks:
    """The validation or test flavour of the evaluation hooks, callbacks first."""

    def __init__(self, callbacks: list[Callback], model: LightningModule, val: bool) -> None:
        self.cbs, self.model, self.p = callbacks, model, "validation" if val else "test"

    def _call(self, trainer: Trainer, name: str, *args: Any) -> None:
        for cb in self.cbs:
            getattr(cb, f"on_{self.p}_{name}")(trainer, self.model, *args)
        getattr(self.model, f"on_{self.p}_{name}")(*args)

    def start(self, t: Trainer) -> None:
        self._call(t, "start")

    def epoch_start(self, t: Trainer) -> None:
        self._call(t, "epoch_start")

    def batch_start(self, t: Trainer, *args: Any) -> None:
        self._call(t, "batch_start", *args)

    def batch_end(self, t: Trainer, *args: Any) -> None:
        self._call(t, "batch_end", *args)

    def epoch_end(self, t: Trainer) -> None:
        self._call(t, "epoch_end")

    def end(self, t: Trainer) -> None:
        self._call(t, "end")


def _no_closure() -> None:
    """The closure of a manual ``optimizer.step()`` called without one."""
    return None


def _loss_of(out: Any):
    if out is None or isinstance(out, ember.Tensor):
        return out
    if isinstance(out, dict):
        if "loss" not in out:
            raise MisconfigurationException("In automatic optimization, `training_step` must "
                                            "return a Tensor, a dict, or None (where the step "
                                            "will be skipped). A dict must have a 'loss' key.")
        return out["loss"]
    raise MisconfigurationException("In automatic optimization, `training_step` must return a "
                                    f"Tensor, a dict, or None; got {type(out).__name__}")


def _batch_outputs(out: Any) -> Any:
    """What on_train_batch_end receives: a dict with the (detached) loss."""
    if isinstance(out, ember.Tensor):
        return {"loss": out.detach()}
    if isinstance(out, dict):
        return {k: (v.detach() if isinstance(v, ember.Tensor) else v) for k, v in out.items()}
    return out


def _print_results(stage: str, results: list[dict[str, float]]) -> None:
    rows = [(k, v) for r in results for k, v in r.items()]
    if not rows:
        return
    width = max(len(k) for k, _ in rows) + 2
    title = f"{'Validate' if stage == 'validate' else 'Test'} metric"
    line = "─" * (width + 24)
    print(line, f"{title:<{width}}      DataLoader 0", line, sep="\n", file=sys.stdout)
    for k, v in rows:
        print(f"{k:<{width}}{v:>22.6g}", file=sys.stdout)
    print(line, file=sys.stdout)
