"""ModelCheckpoint: saves checkpoints by epoch or step, keeps the top-k by a monitored metric,
and optionally ``last.ckpt``.

Example:
    >>> ckpt = ModelCheckpoint(monitor="val_loss", mode="min", save_top_k=2, save_last=True,
    ...                        filename="{epoch}-{val_loss:.2f}")
    >>> trainer = Trainer(callbacks=[ckpt])                    # doctest: +SKIP
    >>> trainer.fit(model); ckpt.best_model_path               # doctest: +SKIP
    '.../checkpoints/epoch=3-val_loss=0.12.ckpt'
"""

from __future__ import annotations

import math
import os
import re
import time
import warnings
from typing import Any

import ember

from .callback import Callback
from ..utilities.exceptions import MisconfigurationException


class ModelCheckpoint(Callback):
    """Lightning's ModelCheckpoint.

    Args:
        dirpath: folder for checkpoints; default ``<logger.log_dir>/checkpoints`` (or
            ``<default_root_dir>/checkpoints`` without a logger).
        filename: a template such as ``"{epoch}-{val_loss:.2f}"``; with
            ``auto_insert_metric_name`` each field becomes ``name=value``. Default
            ``"{epoch}-{step}"``.
        monitor: metric to rank checkpoints by; None keeps the latest ``save_top_k`` (0, 1, -1).
        mode: "min" or "max".
        save_top_k: how many best checkpoints to keep (-1: all, 0: none).
        save_last: also write ``last.ckpt`` whenever a checkpoint is considered.
        every_n_train_steps / every_n_epochs / train_time_interval (a timedelta): when to
            consider saving; at most one of them (default: every epoch).
        save_on_train_epoch_end: save at the end of the training epoch (default: when
            validation runs once per epoch, or there is none) instead of after validation.
    """

    CHECKPOINT_JOIN_CHAR = "-"
    CHECKPOINT_EQUALS_CHAR = "="
    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"
    STARTING_VERSION = 1

    def __init__(self, dirpath: str | os.PathLike | None = None, filename: str | None = None,
                 monitor: str | None = None, verbose: bool = False,
                 save_last: bool | str | None = None,
                 save_top_k: int = 1, save_weights_only: bool = False, mode: str = "min",
                 auto_insert_metric_name: bool = True, every_n_train_steps: int | None = None,
                 train_time_interval: Any = None, every_n_epochs: int | None = None,
                 save_on_train_epoch_end: bool | None = None, enable_version_counter: bool = True):
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` can be 'min' or 'max', got {mode!r}")
        if save_top_k < -1:
            raise ValueError(f"Invalid value for save_top_k={save_top_k}. Must be >= -1")
        if monitor is None and save_top_k not in (-1, 0, 1):
            raise ValueError(f"ModelCheckpoint(save_top_k={save_top_k}, monitor=None) is not a "
                             "valid configuration. No quantity for top_k to track.")
        if every_n_train_steps is None and every_n_epochs is None and train_time_interval is None:
            every_n_epochs = 1  # the default: after every epoch
        every_n_train_steps, every_n_epochs = every_n_train_steps or 0, every_n_epochs or 0
        if every_n_train_steps < 0:
            raise ValueError(f"every_n_train_steps={every_n_train_steps} must be >= 0")
        if (every_n_train_steps > 0) + (every_n_epochs > 0) + (train_time_interval is not None) > 1:
            raise MisconfigurationException(
                f"Combination of parameters every_n_train_steps={every_n_train_steps}, "
                f"every_n_epochs={every_n_epochs} and train_time_interval={train_time_interval} "
                "should be mutually exclusive.")
        self.dirpath = os.path.realpath(os.fspath(dirpath)) if dirpath is not None else None
        self.filename = filename
        self.monitor = monitor
        self.verbose = verbose
        self.save_last = save_last
        self.save_top_k = save_top_k
        self.save_weights_only = save_weights_only
        self.mode = mode
        self.auto_insert_metric_name = auto_insert_metric_name
        self._every_n_train_steps = every_n_train_steps
        self._every_n_epochs = every_n_epochs
        self._train_time_interval = train_time_interval
        self._last_time_checked: float | None = None
        self._save_on_train_epoch_end = save_on_train_epoch_end
        self._enable_version_counter = enable_version_counter
        self.best_k_models: dict[str, float] = {}
        self.kth_best_model_path = ""
        self.kth_value: float = math.inf if mode == "min" else -math.inf
        self.best_model_path = ""
        self._best_model_score: float | None = None
        self.current_score: float | None = None
        self.last_model_path = ""
        self._last_global_step_saved = 0

    # ----------------------------------------------------------------- public state
    @property
    def best_model_score(self):
        s = self._best_model_score
        return None if s is None else ember.tensor(s)

    @property
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor, mode=self.mode,
                                        every_n_train_steps=self._every_n_train_steps,
                                        every_n_epochs=self._every_n_epochs,
                                        train_time_interval=self._train_time_interval)

    def state_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "best_model_score": self._best_model_score,
                "best_model_path": self.best_model_path, "current_score": self.current_score,
                "dirpath": self.dirpath, "best_k_models": dict(self.best_k_models),
                "kth_best_model_path": self.kth_best_model_path, "kth_value": self.kth_value,
                "last_model_path": self.last_model_path,
                "last_global_step_saved": self._last_global_step_saved}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.dirpath is None or state.get("dirpath") == self.dirpath:
            self.dirpath = state.get("dirpath", self.dirpath)
            self.best_k_models = dict(state.get("best_k_models", {}))
            self.kth_best_model_path = state.get("kth_best_model_path", "")
            self.kth_value = state.get("kth_value", self.kth_value)
            self.last_model_path = state.get("last_model_path", "")
            self.current_score = state.get("current_score")
            self._last_global_step_saved = state.get("last_global_step_saved", 0)
        else:
            warnings.warn(f"The dirpath has changed from {state.get('dirpath')!r} to "
                          f"{self.dirpath!r}, therefore `best_model_score`, `kth_best_model_path`"
                          ", `kth_value`, `last_model_path` and `best_k_models` won't be reloaded."
                          " Only `best_model_path` will be reloaded.", stacklevel=2)
        self.best_model_path = state.get("best_model_path", "")
        self._best_model_score = state.get("best_model_score")

    # ----------------------------------------------------------------- hooks
    def setup(self, trainer, pl_module, stage: str) -> None:
        if self.dirpath is None:
            self.dirpath = self._resolve_dirpath(trainer)

    def _resolve_dirpath(self, trainer) -> str:
        lg = trainer.logger
        if lg is not None and lg.log_dir is not None:
            return os.path.realpath(os.path.join(lg.log_dir, "checkpoints"))
        return os.path.realpath(os.path.join(trainer.default_root_dir, "checkpoints"))

    def on_train_start(self, trainer, pl_module) -> None:
        self._last_time_checked = time.monotonic()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._should_skip(trainer):
            return
        skip_batch = (self._every_n_train_steps < 1 or
                      trainer.global_step % self._every_n_train_steps != 0)
        skip_time, now = True, time.monotonic()
        if self._train_time_interval is not None:
            last = self._last_time_checked
            skip_time = last is None or now - last < self._train_time_interval.total_seconds()
            if trainer.world_size > 1:  # the ranks' clocks differ: all save or none
                from ..trainer.ddp import reduce_metric
                skip_time = not reduce_metric(float(not skip_time), "max")
        if skip_batch and skip_time:
            return
        if not skip_time:
            self._last_time_checked = now
        candidates = self._monitor_candidates(trainer)
        self._save_topk_checkpoint(trainer, candidates)
        self._save_last_checkpoint(trainer, candidates)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not self._should_skip(trainer) and self._should_save_on_train_epoch_end(trainer):
            self._save_epoch(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        if not self._should_skip(trainer) and not self._should_save_on_train_epoch_end(trainer):
            self._save_epoch(trainer)

    def _save_epoch(self, trainer) -> None:
        candidates = self._monitor_candidates(trainer)
        if self._every_n_epochs >= 1 and (trainer.current_epoch + 1) % self._every_n_epochs == 0:
            self._save_topk_checkpoint(trainer, candidates)
        self._save_last_checkpoint(trainer, candidates)

    def _should_skip(self, trainer) -> bool:
        return (bool(trainer.fast_dev_run) or trainer.state.fn != "fit"
                or trainer.sanity_checking or self._last_global_step_saved == trainer.global_step)

    def _should_save_on_train_epoch_end(self, trainer) -> bool:
        if self._save_on_train_epoch_end is not None:
            return self._save_on_train_epoch_end
        if trainer.check_val_every_n_epoch != 1:
            return False
        if sum(trainer.num_val_batches) == 0:
            return True
        return trainer.val_check_interval == 1.0

    def _monitor_candidates(self, trainer) -> dict[str, float]:
        c = dict(trainer._metrics.callback_metrics)
        c["epoch"] = trainer.current_epoch
        c["step"] = trainer.global_step
        return c

    # ----------------------------------------------------------------- saving
    def _save_topk_checkpoint(self, trainer, candidates: dict[str, float]) -> None:
        if self.save_top_k == 0:
            return
        if self.monitor is None:
            self._save_none_monitor_checkpoint(trainer, candidates)
            return
        if self.monitor not in candidates:
            msg = (f"`ModelCheckpoint(monitor={self.monitor!r})` could not find the monitored key"
                   f" in the returned metrics: {sorted(candidates)}. HINT: Did you call "
                   f"`log({self.monitor!r}, value)` in the `LightningModule`?")
            if trainer._val_loaders:
                raise MisconfigurationException(msg)
            warnings.warn(msg, stacklevel=2)
            return
        current = float(candidates[self.monitor])
        if math.isnan(current):
            current = math.inf if self.mode == "min" else -math.inf
        if self._check_top_k(current):
            self._update_best_and_save(current, trainer, candidates)
        elif self.verbose:
            print(f"Epoch {trainer.current_epoch:d}, global step {trainer.global_step:d}: "
                  f"{self.monitor!r} was not in top {self.save_top_k}")

    def _check_top_k(self, current: float) -> bool:
        if self.save_top_k == -1 or len(self.best_k_models) < self.save_top_k:
            return True
        return current < self.kth_value if self.mode == "min" else current > self.kth_value

    def _update_best_and_save(self, current: float, trainer, candidates: dict) -> None:
        k = len(self.best_k_models) + 1 if self.save_top_k == -1 else self.save_top_k
        del_path = None
        if len(self.best_k_models) == k and k > 0:
            del_path = self.kth_best_model_path
            self.best_k_models.pop(del_path)
        filepath = self._unique_path(candidates, trainer, del_path)
        self.current_score = current
        self.best_k_models[filepath] = current
        worst = max if self.mode == "min" else min
        best = min if self.mode == "min" else max
        if len(self.best_k_models) == k:
            self.kth_best_model_path = worst(self.best_k_models, key=self.best_k_models.get)
            self.kth_value = self.best_k_models[self.kth_best_model_path]
        self.best_model_path = best(self.best_k_models, key=self.best_k_models.get)
        self._best_model_score = self.best_k_models[self.best_model_path]
        if self.verbose:
            print(f"Epoch {trainer.current_epoch:d}, global step {trainer.global_step:d}: "
                  f"{self.monitor!r} reached {current:.5f} (best {self._best_model_score:.5f}), "
                  f"saving model to {filepath!r} as top {k}")
        self._save(trainer, filepath)
        if del_path and del_path != filepath:
            self._remove(del_path)

    def _save_none_monitor_checkpoint(self, trainer, candidates: dict) -> None:
        filepath = self._unique_path(candidates, trainer, self.best_model_path)
        previous, self.best_model_path = self.best_model_path, filepath
        self._save(trainer, filepath)
        if self.save_top_k == 1 and previous and previous != filepath:
            self._remove(previous)

    def _save_last_checkpoint(self, trainer, candidates: dict) -> None:
        if not self.save_last:
            return
        filepath = self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_LAST)
        if (self._enable_version_counter and os.path.exists(filepath)
                and filepath != self.last_model_path):
            filepath = self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_LAST,
                                                   ver=self.STARTING_VERSION)
        previous, self.last_model_path = self.last_model_path, filepath
        if self.save_last == "link" and self.best_model_path and os.path.exists(
                self.best_model_path):
            if os.path.lexists(filepath):
                os.remove(filepath)
            os.symlink(os.path.relpath(self.best_model_path, os.path.dirname(filepath)), filepath)
            self._last_global_step_saved = trainer.global_step
        else:
            self._save(trainer, filepath)
        if previous and previous != filepath and previous not in self.best_k_models \
                and previous != self.best_model_path:
            self._remove(previous)

    def _unique_path(self, candidates: dict, trainer, del_path: str | None) -> str:
        filepath = self.format_checkpoint_name(candidates)
        if self._enable_version_counter:
            ver = self.STARTING_VERSION
            while os.path.exists(filepath) and filepath != del_path:
                filepath = self.format_checkpoint_name(candidates, ver=ver)
                ver += 1
        return filepath

    def _save(self, trainer, filepath: str) -> None:
        trainer.save_checkpoint(filepath, self.save_weights_only)
        self._last_global_step_saved = trainer.global_step
        for lg in trainer.loggers:
            lg.after_save_checkpoint(self)

    @staticmethod
    def _remove(path: str) -> None:
        if os.path.lexists(path):
            os.remove(path)

    # ----------------------------------------------------------------- names
    def format_checkpoint_name(self, metrics: dict[str, Any], filename: str | None = None,
                               ver: int | None = None) -> str:
        """The checkpoint path for these metric values, e.g. ``epoch=2-val_loss=0.31.ckpt``."""
        name = self._format_template(filename or self.filename or "{epoch}-{step}", metrics)
        if ver is not None:
            name = self.CHECKPOINT_JOIN_CHAR.join((name, f"v{ver}"))
        return os.path.join(self.dirpath or "", name + self.FILE_EXTENSION)

    def _format_template(self, template: str, metrics: dict[str, Any]) -> str:
        values = {k: (float(v) if not isinstance(v, int) else v) for k, v in metrics.items()}
        groups = sorted(re.findall(r"(\{.*?)[:\}]", template), key=len, reverse=True)
        for group in groups:
            name = group[1:]
            if self.auto_insert_metric_name:
                template = template.replace(group, name + self.CHECKPOINT_EQUALS_CHAR + "{" + name)
            template = template.replace(group, f"{{0[{name}]")
            values.setdefault(name, 0)
        return template.format(values)

    def to_yaml(self, filepath: str | None = None) -> None:
        """Writes ``best_k_models`` (path: score) to a YAML file next to the checkpoints."""
        from ..loggers.csv_logs import dump_yaml
        filepath = filepath or os.path.join(self.dirpath, "best_k_models.yaml")
        with open(filepath, "w") as f:
            f.write(dump_yaml(dict(self.best_k_models)) + "\n")
