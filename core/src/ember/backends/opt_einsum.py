"""``torch.backends.opt_einsum``'s flags. ember's einsum contracts its operands left to
right and never asks the opt_einsum package for a cheaper order, so ``is_available()`` is
False, ``enabled`` False and ``strategy`` None, and turning either on through
``set_flags`` or ``flags`` raises ValueError, as torch does where opt_einsum is not
installed (there, as here, assigning the attributes stores a value that changes nothing).

Example:
    >>> ember.backends.opt_einsum.is_available(), ember.backends.opt_einsum.enabled
    (False, False)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["flags", "get_opt_einsum", "is_available", "set_flags"]

enabled = False
strategy = None


def is_available() -> bool:
    """False: ember's einsum does not use opt_einsum's contraction paths.

    Example:
        >>> ember.backends.opt_einsum.is_available()
        False
    """
    return False


def get_opt_einsum() -> Any:
    """None: ember has no opt_einsum module in use."""
    return None


def set_flags(_enabled: bool | None = None, _strategy: str | None = None) -> tuple:
    """Sets the flags given (None leaves one as it is); returns the previous (enabled,
    strategy), strategy as None. Turning either on raises ValueError.

    Example:
        >>> ember.backends.opt_einsum.set_flags(False)
        (False, None)
    """
    global enabled
    previous = (enabled, None)
    if _enabled:
        raise ValueError(f"opt_einsum is not available, so setting `enabled` to {_enabled} "
                         "would change nothing: ember.einsum contracts its operands from "
                         "left to right; write the equation (or split it into pairwise "
                         "einsums) in the order you want the contractions done")
    if _strategy is not None:
        raise ValueError(f"opt_einsum is not available, so setting `strategy` to {_strategy} "
                         "would change nothing: ember.einsum contracts its operands from "
                         "left to right without a path search; leave `strategy` unset")
    if _enabled is not None:
        enabled = False
    return previous


@contextlib.contextmanager
def flags(enabled: bool | None = None, strategy: str | None = None) -> Iterator[None]:
    """Sets the flags given inside the block and restores the previous ones on leaving it.

    Example:
        >>> with ember.backends.opt_einsum.flags(enabled=False):
        ...     ember.backends.opt_einsum.enabled
        False
    """
    previous = set_flags(enabled, strategy)
    try:
        yield
    finally:
        set_flags(*previous)
