"""CSVLogger: ``metrics.csv`` and ``hparams.yaml`` under ``save_dir/name/version_N``.

Example:
    >>> logger = CSVLogger("logs", name="mnist")
    >>> trainer = Trainer(logger=logger)          # doctest: +SKIP
    >>> logger.log_dir                             # doctest: +SKIP
    'logs/mnist/version_0'
"""

from __future__ import annotations

import csv
import os
from typing import Any

from .base import Logger, next_version, version_dir


def _yaml_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    plain = s and s.strip() == s and not any(c in s for c in ":#{}[],&*!|>'\"%@`\n")
    return s if plain and s.lower() not in ("null", "true", "false", "yes", "no") else repr(s)


def dump_yaml(data: Any, indent: int = 0) -> str:
    """A small YAML writer for hyperparameters (mappings, sequences, scalars), so that the
    logger needs no PyYAML; anything else is written as its ``str``."""
    pad = " " * indent
    lines = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, (dict, list, tuple)) and v:
                lines.append(f"{pad}{_yaml_scalar(k)}:")
                lines.append(dump_yaml(v, indent + 2))
            else:
                lines.append(f"{pad}{_yaml_scalar(k)}: {_yaml_flow(v)}")
    elif isinstance(data, (list, tuple)):
        for v in data:
            if isinstance(v, (dict, list, tuple)) and v:
                lines.append(f"{pad}-")
                lines.append(dump_yaml(v, indent + 2))
            else:
                lines.append(f"{pad}- {_yaml_flow(v)}")
    else:
        lines.append(pad + _yaml_scalar(data))
    return "\n".join(lines)


def _yaml_flow(v: Any) -> str:
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, (list, tuple)):
        return "[]"
    return _yaml_scalar(v)


class CSVLogger(Logger):
    """Logs metrics to ``metrics.csv`` (one row per step, one column per metric) and
    hyperparameters to ``hparams.yaml``.

    Args:
        save_dir: root folder.
        name: experiment name (a sub folder); ``""`` or None writes into save_dir directly.
        version: an int (``version_<n>``), a string (used as is), or None for the next free number.
        prefix: prepended (with ``-``) to every metric name.
        flush_logs_every_n_steps: how many ``log_metrics`` calls are buffered before writing.
    """

    NAME_HPARAMS_FILE = "hparams.yaml"
    NAME_METRICS_FILE = "metrics.csv"

    def __init__(self, save_dir: str | os.PathLike, name: str | None = "lightning_logs",
                 version: int | str | None = None, prefix: str = "",
                 flush_logs_every_n_steps: int = 100):
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version
        self._prefix = prefix
        self._flush_every = flush_logs_every_n_steps
        self._rows: list[dict[str, Any]] = []
        self._keys: list[str] = []
        self._written_keys: list[str] | None = None
        self.hparams: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def root_dir(self) -> str:
        return os.path.join(self._save_dir, self._name)

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = next_version(self.root_dir)
        return self._version

    @property
    def log_dir(self) -> str:
        return version_dir(self.root_dir, self.version)

    def log_hyperparams(self, params: Any = None, *args: Any, **kwargs: Any) -> None:
        if params is None:
            return
        if not isinstance(params, dict):
            params = vars(params)  # argparse.Namespace and similar
        self.hparams.update(params)
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w") as f:
            f.write(dump_yaml(self.hparams) + "\n" if self.hparams else "{}\n")

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        row = {}
        for k, v in metrics.items():
            name = f"{self._prefix}-{k}" if self._prefix else k
            row[name] = float(v) if hasattr(v, "item") else v
        if step is not None:
            row["step"] = step
        for k in row:
            if k not in self._keys:
                self._keys.append(k)
        self._rows.append(row)
        if len(self._rows) >= self._flush_every:
            self.save()

    def save(self) -> None:
        if not self._rows:
            return
        os.makedirs(self.log_dir, exist_ok=True)
        path = os.path.join(self.log_dir, self.NAME_METRICS_FILE)
        keys = sorted(self._keys, key=lambda k: (k != "epoch", k == "step", k))
        if self._written_keys is not None and self._written_keys == keys:
            with open(path, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=keys).writerows(self._rows)
        else:
            # New columns: rewrite the file with the widened header, keeping earlier rows.
            old = []
            if self._written_keys is not None and os.path.exists(path):
                with open(path, newline="") as f:
                    old = list(csv.DictReader(f))
            with open(path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=keys)
                w.writeheader()
                w.writerows(old)
                w.writerows(self._rows)
            self._written_keys = keys
        self._rows = []

    def finalize(self, status: str) -> None:
        self.save()


def load_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """Reads an hparams.yaml: PyYAML when installed, else the flat ``key: scalar`` form that
    :func:`dump_yaml` writes for scalar values."""
    try:
        import yaml
    except ImportError:
        yaml = None
    with open(path) as f:
        text = f.read()
    if yaml is not None:
        return yaml.safe_load(text) or {}
    import ast
    out: dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith((" ", "#", "-")) or ":" not in line:
            continue
        k, v = (s.strip() for s in line.split(":", 1))
        lit = {"null": None, "true": True, "false": False}
        if v in lit:
            out[k] = lit[v]
        else:
            try:
                out[k] = ast.literal_eval(v)
            except (ValueError, SyntaxError):
                out[k] = v
    return out
