"""``ember.use_deterministic_algorithms``: refuse (or warn about) kernels whose results can
differ from run to run. Every CPU kernel of ember is deterministic (fixed reduction orders,
random streams split by fixed counter ranges); on CUDA the float scatters that accumulate
with atomics (``index_put_(accumulate=True)``, ``index_add_``, ``put_``, max pooling's
backward) add in an order that varies, and they call :func:`alert_not_deterministic`.
"""

from __future__ import annotations

import warnings

_STATE = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """With ``mode=True``, ops that have no deterministic implementation raise RuntimeError
    (with ``warn_only=True``: warn) instead of running.

    Example:
        >>> ember.use_deterministic_algorithms(True)
        >>> ember.are_deterministic_algorithms_enabled()
        True
    """
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise RuntimeError(f"use_deterministic_algorithms expects a bool for {name}, but "
                               f"got {type(value).__name__}")
    _STATE["enabled"], _STATE["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return _STATE["enabled"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether deterministic mode only warns (``warn_only=True``)."""
    return _STATE["warn_only"]


def alert_not_deterministic(caller: str) -> None:
    """Called by a kernel without a deterministic implementation before it runs."""
    if not _STATE["enabled"]:
        return
    message = (f"{caller} does not have a deterministic implementation, but you set "
               "'ember.use_deterministic_algorithms(True)'. You can turn off determinism just "
               "for this operation, or you can use the 'warn_only=True' option, if that's "
               "acceptable for your application.")
    if _STATE["warn_only"]:
        warnings.warn(message, UserWarning, stacklevel=3)
    else:
        raise RuntimeError(message)


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """The deterministic mode by level: 0 or "default" off, 1 or "warn" warn-only, 2 or
    "error" on (``use_deterministic_algorithms`` by another name)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2) or isinstance(debug_mode, bool):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 when deterministic mode is off, 1 when it only warns, 2 when it raises."""
    return 0 if not _STATE["enabled"] else 1 if _STATE["warn_only"] else 2
