"""torch.set_warn_always: whether a warning meant to be shown once per process (such as
set_default_tensor_type's deprecation) is shown every time instead.

Example:
    >>> ember.set_warn_always(True)
    >>> ember.is_warn_always_enabled()
    True
"""

from __future__ import annotations

_warn_always = [False]


def set_warn_always(b: bool, /) -> None:
    """Shows once-per-process warnings every time when b is True (tests use this to see
    them again)."""
    if b.__class__ is not bool:
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _warn_always[0] = b


def is_warn_always_enabled() -> bool:
    """Whether once-per-process warnings are shown every time (see set_warn_always)."""
    return _warn_always[0]
