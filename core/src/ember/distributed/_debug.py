"""The debug level of ember.distributed (torch's ``TORCH_DISTRIBUTED_DEBUG`` switch, read
here from ``EMBER_DISTRIBUTED_DEBUG`` as ember names its environment variables)."""

from __future__ import annotations

import enum
import os

_ENV = "EMBER_DISTRIBUTED_DEBUG"


class DebugLevel(enum.Enum):
    """How much ember.distributed checks and reports: OFF, INFO or DETAIL."""

    OFF = 0
    INFO = 1
    DETAIL = 2


# the level the process starts with; an unknown value only raises in
# set_debug_level_from_env, not at import
_level = DebugLevel.__members__.get(os.environ.get(_ENV, "OFF").upper(), DebugLevel.OFF)


def get_debug_level() -> DebugLevel:
    """The current debug level (OFF unless set).

    Example:
        >>> dist.get_debug_level()
        <DebugLevel.OFF: 0>
    """
    return _level


def set_debug_level(level: DebugLevel) -> None:
    """Sets the debug level.

    Example:
        >>> dist.set_debug_level(dist.DebugLevel.DETAIL)
    """
    global _level
    if not isinstance(level, DebugLevel):
        raise TypeError(f"set_debug_level() expects a DebugLevel, got {type(level).__name__}")
    _level = level


def set_debug_level_from_env() -> None:
    """Sets the debug level from EMBER_DISTRIBUTED_DEBUG (OFF, INFO or DETAIL, any case;
    unset means OFF).

    Example:
        >>> os.environ["EMBER_DISTRIBUTED_DEBUG"] = "info"
        >>> dist.set_debug_level_from_env()
    """
    value = os.environ.get(_ENV)
    if value is None:
        set_debug_level(DebugLevel.OFF)
        return
    level = DebugLevel.__members__.get(value.upper())
    if level is None:
        raise ValueError(f"The value of {_ENV} must be OFF, INFO, or DETAIL; got {value!r}")
    set_debug_level(level)
