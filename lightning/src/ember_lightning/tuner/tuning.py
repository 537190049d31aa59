"""Tuner: Lightning's learning-rate finder and batch-size scaler for a Trainer.

Both run short fits (or evaluations) on the Trainer with its callbacks and loggers set aside,
then put back the Trainer's settings and the module's weights, so that a ``trainer.fit`` after
them starts from where it would have started.

Example:
    >>> tuner = Tuner(trainer)                                          # doctest: +SKIP
    >>> lr_finder = tuner.lr_find(model)                                # doctest: +SKIP
    >>> model.hparams.lr = lr_finder.suggestion()                       # doctest: +SKIP
    >>> tuner.scale_batch_size(model, mode="power")                     # doctest: +SKIP
    >>> trainer.fit(model)                                              # doctest: +SKIP
"""

from __future__ import annotations

import functools
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

from ..core.datamodule import LightningDataModule
from ..utilities.exceptions import MisconfigurationException
from ..utilities.parsing import lightning_hasattr, lightning_setattr
from .batch_size_scaling import (_dataset_length, _Snapshot, adjust_batch_size,
                                 run_binsearch_scaling, run_power_scaling)
from .lr_finder import _determine_lr_attr_name, _LRCallback, _LRFinder

_METHODS = ("fit", "validate", "test", "predict")
_LIMITS = {"validate": "limit_val_batches", "test": "limit_test_batches",
           "predict": "limit_predict_batches"}


class Tuner:
    """Tunes a LightningModule's learning rate or batch size with ``trainer``."""

    def __init__(self, trainer: Any) -> None:
        self._trainer = trainer

    # ------------------------------------------------------------------ batch size
    def scale_batch_size(self, model: Any, train_dataloaders: Any = None,
                         val_dataloaders: Any = None, dataloaders: Any = None,
                         datamodule: LightningDataModule | None = None, method: str = "fit",
                         mode: str = "power", steps_per_trial: int = 3, init_val: int = 2,
                         max_trials: int = 25, batch_arg_name: str = "batch_size",
                         margin: float = 0.05, max_val: int = 8192) -> int | None:
        """The largest batch size (found by doubling, and bisecting in "binsearch" mode) whose
        ``steps_per_trial`` batches of ``method`` run without running out of memory. The module
        or datamodule must build its dataloaders from the attribute ``batch_arg_name`` (on
        itself or in its ``hparams``), which is left set to the result."""
        trainer = self._trainer
        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        _check_tuner_configuration(train_dataloaders, val_dataloaders, dataloaders, method)
        mode = mode.lower()
        if mode not in ("power", "binsearch"):
            raise ValueError("`mode` should be either of ('power', 'binsearch')")
        if not 0.0 <= margin < 1.0:
            raise ValueError(f"`margin` should be between 0 and 1. Found margin={margin}")
        if trainer.world_size > 1:
            raise ValueError("Tuning the batch size is currently not supported with distributed "
                             "strategies.")
        if method == "fit" and train_dataloaders is not None:
            raise MisconfigurationException(
                "The Batch size finder cannot be used with dataloaders passed directly to "
                "`.fit()`. Please disable the feature or incorporate the dataloader into your "
                "LightningModule or LightningDataModule.")
        model.trainer, trainer.datamodule = trainer, datamodule  # for the attribute lookup
        if not lightning_hasattr(model, batch_arg_name):
            raise MisconfigurationException(f"Field {batch_arg_name} not found in `model`, "
                                            "`datamodule`, nor their `hparams` attributes.")
        if hasattr(model, batch_arg_name) and batch_arg_name in model.hparams:
            warnings.warn(f"Field `model.{batch_arg_name}` and `model.hparams.{batch_arg_name}` "
                          f"are mutually exclusive! `model.{batch_arg_name}` will be used as the "
                          "initial batch size for scaling. If this is not the intended behavior,"
                          " please remove either one.", stacklevel=2)
        if trainer.fast_dev_run:
            warnings.warn("Skipping batch size scaler since `fast_dev_run` is enabled.",
                          stacklevel=2)
            return None

        kind = "train" if method == "fit" else {"validate": "val"}.get(method, method)
        combine = max if method == "fit" else sum

        def length() -> int | None:
            given = dataloaders if method != "fit" else None
            try:
                loaders = trainer._loaders(given, datamodule, model, kind)
            except Exception:  # e.g. a datamodule whose datasets only exist after setup()
                return None
            return _dataset_length(loaders, combine)

        adjust = functools.partial(adjust_batch_size, model, batch_arg_name, length)
        snapshot = _Snapshot()

        def run_trial() -> None:
            trainer.should_stop = False
            if method == "fit":
                trainer.fit(model, val_dataloaders=val_dataloaders, datamodule=datamodule)
            elif method == "predict":
                trainer.predict(model, dataloaders, datamodule=datamodule,
                                return_predictions=False)
            else:
                getattr(trainer, method)(model, dataloaders, verbose=False,
                                         datamodule=datamodule)

        if method == "fit":
            settings = dict(limit_train_batches=1.0, limit_val_batches=steps_per_trial,
                            max_steps=steps_per_trial)
        else:
            settings = {_LIMITS[method]: steps_per_trial}
        with _search_settings(trainer, callbacks=[snapshot], **settings):
            try:
                new_size, _ = adjust(value=init_val)
                if mode == "power":
                    new_size = run_power_scaling(run_trial, adjust, new_size, max_trials,
                                                 max_val)
                else:
                    new_size = run_binsearch_scaling(
                        run_trial, adjust, lambda n: lightning_setattr(model, batch_arg_name, n),
                        new_size, max_trials, margin, max_val)
            finally:
                if snapshot.state is not None:
                    model.load_state_dict(snapshot.state)
        return new_size

    # ------------------------------------------------------------------ learning rate
    def lr_find(self, model: Any, train_dataloaders: Any = None, val_dataloaders: Any = None,
                dataloaders: Any = None, datamodule: LightningDataModule | None = None,
                method: str = "fit", min_lr: float = 1e-8, max_lr: float = 1,
                num_training: int = 100, mode: str = "exponential",
                early_stop_threshold: float | None = 4.0, update_attr: bool = True,
                attr_name: str = "") -> _LRFinder | None:
        """The learning-rate range test: ``num_training`` optimizer steps with the lr rising
        from ``min_lr`` to ``max_lr`` ("exponential" or "linear"), stopped early when the
        smoothed loss exceeds ``early_stop_threshold`` times its best. Returns the finder, whose
        ``results`` hold the lrs and losses and whose ``suggestion()`` picks an lr; with
        ``update_attr`` the module's ``lr``/``learning_rate`` (or ``attr_name``) is set to it."""
        if method != "fit":
            raise MisconfigurationException("method='fit' is the only valid configuration to run"
                                            " lr finder.")
        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        _check_tuner_configuration(train_dataloaders, val_dataloaders, dataloaders, method)
        trainer = self._trainer
        if trainer.fast_dev_run:
            warnings.warn("Skipping learning rate finder since `fast_dev_run` is enabled.",
                          stacklevel=2)
            return None
        if update_attr:
            model.trainer, trainer.datamodule = trainer, datamodule  # for the attribute lookup
            attr_name = _determine_lr_attr_name(model, attr_name)
        finder = _LRFinder(mode, min_lr, max_lr, num_training)
        cb = _LRCallback(finder, early_stop_threshold)
        with _search_settings(trainer, callbacks=[cb], max_steps=num_training,
                              limit_val_batches=num_training):
            try:
                trainer.fit(model, train_dataloaders, val_dataloaders, datamodule)
            finally:
                if cb.initial_state is not None:
                    model.load_state_dict(cb.initial_state)
        finder.results = {"lr": cb.lrs, "loss": cb.losses}
        if update_attr:
            lr = finder.suggestion()
            if lr is not None:
                lightning_setattr(model, attr_name, lr)
        return finder


@contextmanager
def _search_settings(trainer: Any, callbacks: list, **settings: Any) -> Iterator[None]:
    """The Trainer as a search runs it: only the search's callbacks (not even the module's
    ``configure_callbacks``), no loggers, no sanity check, the given limits; everything put
    back afterwards."""
    settings = dict(settings, callbacks=callbacks, loggers=[], num_sanity_val_steps=0,
                    _tuning=True)
    saved = {k: getattr(trainer, k) for k in settings}
    for k, v in settings.items():
        setattr(trainer, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(trainer, k, v)
        trainer.should_stop = False


def _check_tuner_configuration(train_dataloaders: Any, val_dataloaders: Any, dataloaders: Any,
                               method: str) -> None:
    if method not in _METHODS:
        raise ValueError(f"method {method!r} is invalid. Should be one of {_METHODS}.")
    if method == "fit":
        if dataloaders is not None:
            raise MisconfigurationException(
                f"In tuner with method={method!r}, `dataloaders` argument should be None, please "
                "consider setting `train_dataloaders` and `val_dataloaders` instead.")
    elif train_dataloaders is not None or val_dataloaders is not None:
        raise MisconfigurationException(
            f"In tuner with `method`={method!r}, `train_dataloaders` and `val_dataloaders` "
            "arguments should be None, please consider setting `dataloaders` instead.")
