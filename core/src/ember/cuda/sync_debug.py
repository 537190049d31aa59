"""``ember.cuda.set_sync_debug_mode``: flags operations that make the CPU wait for the GPU.

Ember checks the blocking copies from the GPU to the CPU (``.cpu()``, ``.item()``,
``.tolist()``, printing, and the ops that read a result back, such as ``nonzero``); in
mode "warn" each one warns, in mode "error" each one raises RuntimeError.

Example:
    >>> ember.cuda.set_sync_debug_mode("warn")
    >>> ember.ones(1, device="cuda").item()   # UserWarning: called a synchronizing ...
    1.0
    >>> ember.cuda.set_sync_debug_mode(0)
"""

from __future__ import annotations

import warnings

_MODES = {"default": 0, "warn": 1, "error": 2}
mode = 0  # read by the GPU-to-CPU copy before it blocks: 0 off, 1 warn, 2 raise


def set_sync_debug_mode(debug_mode: int | str) -> None:
    """0 or "default": no checks; 1 or "warn": warn at each synchronizing operation;
    2 or "error": raise RuntimeError there."""
    global mode
    if isinstance(debug_mode, str):
        if debug_mode not in _MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               "`warn`, `error`")
        debug_mode = _MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode {debug_mode}, expected 0, 1 or 2")
    mode = int(debug_mode)


def get_sync_debug_mode() -> int:
    """The mode set by set_sync_debug_mode: 0 (off), 1 (warn) or 2 (error)."""
    return mode


def synchronizing(what: str) -> None:
    """Called before a blocking operation while a mode is set: warns or raises."""
    message = f"called a synchronizing CUDA operation ({what})"
    if mode == 2:
        raise RuntimeError(message)
    warnings.warn(message, UserWarning, stacklevel=3)
