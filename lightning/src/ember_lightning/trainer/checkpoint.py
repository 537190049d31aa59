"""Checkpoint files: what a ``.ckpt`` holds, writing it atomically, and reading it back.

A checkpoint is a dict saved with ``ember.save``::

    epoch, global_step, ember_lightning_version   where training was
    state_dict                                    the module's weights
    optimizer_states, lr_schedulers               one state_dict per optimizer / scheduler
    loops                                         position inside the epoch, data-order seed
    callbacks                                     {callback.state_key: callback.state_dict()}
    rng_states                                    Python, NumPy and Ember generator states
    hparams_name, hyper_parameters                from save_hyperparameters
    <DataModuleClass>, datamodule_hyper_parameters

Only plain containers, numbers, strings and tensors go in, so a weights-only loader reads it.
"""

from __future__ import annotations

import os
import random
import tempfile
from typing import Any

import ember


def save_checkpoint_file(checkpoint: dict[str, Any], filepath: str | os.PathLike) -> None:
    """Writes checkpoint to a temporary file in the same folder, flushes it to disk, then
    renames it over filepath: a crash leaves either the old file or the new one, never half."""
    filepath = os.fspath(filepath)
    folder = os.path.dirname(filepath) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".ckpt", dir=folder)
    # ember.save draws its serialization id from Python's global `random`; saving must not
    # change the training run's random stream (resumed runs would diverge), so keep its state.
    py_state = random.getstate()
    try:
        with os.fdopen(fd, "wb") as f:
            ember.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    finally:
        random.setstate(py_state)


def load_checkpoint_file(filepath: str | os.PathLike, map_location: Any = None) -> dict[str, Any]:
    """Reads a checkpoint written by :func:`save_checkpoint_file`."""
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"Checkpoint file not found: {os.fspath(filepath)!r}")
    return ember.load(filepath, map_location=map_location)
