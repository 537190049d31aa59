"""The Logger interface the Trainer talks to.

Example:
    >>> class PrintLogger(Logger):
    ...     name, version = "print", 0
    ...     def log_metrics(self, metrics, step=None):
    ...         print(step, metrics)
    ...     def log_hyperparams(self, params):
    ...         pass
"""

from __future__ import annotations

import os
from typing import Any


class Logger:
    """Base class of experiment loggers (``lightning.pytorch.loggers.Logger``).

    Subclasses implement :meth:`log_metrics` and :meth:`log_hyperparams`; ``name``, ``version``,
    ``save_dir`` and ``log_dir`` tell the Trainer where checkpoints go.
    """

    @property
    def name(self) -> str | None:
        return None

    @property
    def version(self) -> int | str | None:
        return None

    @property
    def save_dir(self) -> str | None:
        return None

    @property
    def root_dir(self) -> str | None:
        return None

    @property
    def log_dir(self) -> str | None:
        return None

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        raise NotImplementedError

    def log_hyperparams(self, params: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        pass

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        pass

    def save(self) -> None:
        pass

    def finalize(self, status: str) -> None:
        self.save()


def next_version(root_dir: str) -> int:
    """The number after the highest ``version_N`` folder in root_dir (0 when there is none),
    as Lightning's CSV and TensorBoard loggers number their runs."""
    try:
        names = os.listdir(root_dir)
    except FileNotFoundError:
        return 0
    found = [int(n[8:]) for n in names
             if n.startswith("version_") and n[8:].isdigit()
             and os.path.isdir(os.path.join(root_dir, n))]
    return max(found) + 1 if found else 0


def version_dir(root_dir: str, version: int | str) -> str:
    """A run's folder: ``version_N`` for a number, the string itself otherwise."""
    return os.path.join(root_dir, version if isinstance(version, str) else f"version_{version}")
