"""TensorBoardLogger: TensorBoard event files and ``hparams.yaml`` under
``save_dir/name/version_N``, written by ``ember.utils.tensorboard.SummaryWriter``.

Example:
    >>> logger = TensorBoardLogger("tb_logs", name="mnist")
    >>> trainer = Trainer(logger=logger)           # doctest: +SKIP
    >>> logger.log_dir                              # doctest: +SKIP
    'tb_logs/mnist/version_0'
"""

from __future__ import annotations

import os
import warnings
from argparse import Namespace
from typing import Any

import numpy as np
from ember.utils.tensorboard import SummaryWriter
from ember.utils.tensorboard import summary as tb_summary

from .base import Logger, next_version, version_dir
from .csv_logs import dump_yaml


def _flatten_dict(params: dict[str, Any], delimiter: str = "/",
                  parent: str = "") -> dict[str, Any]:
    """Nested dicts (and Namespaces) as one level: ``{"a": {"b": 1}} -> {"a/b": 1}``."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        key = f"{parent}{delimiter}{k}" if parent else str(k)
        if isinstance(v, Namespace):
            v = vars(v)
        if isinstance(v, dict) and v:
            out.update(_flatten_dict(v, delimiter, key))
        else:
            out[key] = v
    return out


def _sanitize_params(params: dict[str, Any]) -> dict[str, Any]:
    """Values TensorBoard's hparams plugin takes: numpy scalars become Python numbers, arrays
    and tensors of more than one dimension and any other type become their ``str``."""
    out = {}
    for k, v in params.items():
        if isinstance(v, (np.bool_, np.integer, np.floating)):
            v = v.item()
        elif hasattr(v, "ndim") and v.ndim > 1:
            v = str(v)
        elif not isinstance(v, (bool, int, float, str)) and not hasattr(v, "detach"):
            v = str(v)
        out[k] = v
    return out


class TensorBoardLogger(Logger):
    """Logs metrics and hyperparameters in TensorBoard's format
    (``lightning.pytorch.loggers.TensorBoardLogger``).

    Args:
        save_dir: root folder.
        name: experiment name (a sub folder); ``""`` or None writes into save_dir directly.
        version: an int (``version_<n>``), a string (used as is), or None for the next free
            number.
        log_graph: Lightning traces the model into a graph; Ember cannot yet, so True only
            warns.
        default_hp_metric: with no metrics given to ``log_hyperparams``, log ``hp_metric``
            = -1 so that TensorBoard's HPARAMS tab shows the run.
        prefix: prepended (with ``-``) to every metric name.
        sub_dir: a folder inside the version folder for the event files.
        **kwargs: passed to ``SummaryWriter`` (``max_queue``, ``flush_secs``, ...).
    """

    NAME_HPARAMS_FILE = "hparams.yaml"
    LOGGER_JOIN_CHAR = "-"

    def __init__(self, save_dir: str | os.PathLike, name: str | None = "lightning_logs",
                 version: int | str | None = None, log_graph: bool = False,
                 default_hp_metric: bool = True, prefix: str = "",
                 sub_dir: str | os.PathLike | None = None, **kwargs: Any) -> None:
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version
        self._log_graph = log_graph
        self._default_hp_metric = default_hp_metric
        self._prefix = prefix
        self._sub_dir = None if sub_dir is None else os.fspath(sub_dir)
        self._kwargs = kwargs
        self._experiment: SummaryWriter | None = None
        self.hparams: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def root_dir(self) -> str:
        return os.path.join(self._save_dir, self._name) if self._name else self._save_dir

    @property
    def sub_dir(self) -> str | None:
        return self._sub_dir

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = next_version(self.root_dir)
        return self._version

    @property
    def log_dir(self) -> str:
        path = version_dir(self.root_dir, self.version)
        if self._sub_dir:
            path = os.path.join(path, self._sub_dir)
        return os.path.expandvars(os.path.expanduser(path))

    @property
    def experiment(self) -> SummaryWriter:
        """The SummaryWriter, created on first use: call its ``add_*`` methods directly, e.g.
        ``self.logger.experiment.add_histogram(...)`` in a LightningModule."""
        if self._experiment is None:
            os.makedirs(self.root_dir, exist_ok=True)
            self._experiment = SummaryWriter(log_dir=self.log_dir, **self._kwargs)
        return self._experiment

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        for k, v in metrics.items():
            name = f"{self._prefix}{self.LOGGER_JOIN_CHAR}{k}" if self._prefix else k
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, dict):
                self.experiment.add_scalars(name, v, step)
                continue
            try:
                self.experiment.add_scalar(name, v, step)
            except Exception as ex:
                raise ValueError(f"\n you tried to log {v} which is currently not supported. "
                                 "Try a dict or a scalar/tensor.") from ex

    def log_hyperparams(self, params: dict[str, Any] | Namespace | None = None,
                        metrics: dict[str, Any] | float | None = None) -> None:
        """Keeps params for ``hparams.yaml`` and writes them (flattened with ``/``) with
        metrics for TensorBoard's HPARAMS tab."""
        if params is None:
            params = {}
        elif not isinstance(params, dict):
            params = vars(params)  # argparse.Namespace and similar
        self.hparams.update(params)
        flat = _sanitize_params(_flatten_dict(params))
        if metrics is None:
            metrics = {"hp_metric": -1} if self._default_hp_metric else None
        elif not isinstance(metrics, dict):
            metrics = {"hp_metric": metrics}
        if metrics:
            self.log_metrics(metrics, 0)
            writer = self.experiment.file_writer
            for s in tb_summary.hparams(flat, metrics):
                writer.add_summary(s)

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        if self._log_graph:
            warnings.warn("TensorBoardLogger(log_graph=True): ember_lightning cannot trace a "
                          "model into a graph yet; no graph was logged.", stacklevel=2)

    def save(self) -> None:
        """Flushes the event file, and writes ``hparams.yaml`` once the log folder exists."""
        if self._experiment is not None:
            self._experiment.flush()
        path = os.path.join(self.log_dir, self.NAME_HPARAMS_FILE)
        if os.path.isdir(self.log_dir) and not os.path.isfile(path):
            with open(path, "w") as f:
                f.write(dump_yaml(self.hparams) + "\n" if self.hparams else "{}\n")

    def finalize(self, status: str) -> None:
        if self._experiment is not None:
            self._experiment.flush()
            self._experiment.close()
        if status == "success":
            self.save()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_experiment"] = None  # an open file does not pickle
        return state
