"""``torch.backends.mkldnn``'s flags. ember's CPU kernels are its own C (and OpenBLAS), not
oneDNN: ``is_available()`` is False and the flags, kept so that code which sets or scopes
them runs, change nothing.

Example:
    >>> with ember.backends.mkldnn.flags(enabled=False):
    ...     ember.backends.mkldnn.enabled
    False
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

enabled = True
deterministic = False
allow_tf32 = False
fp32_precision = "none"


def is_available() -> bool:
    """False: ember does not use oneDNN (MKL-DNN).

    Example:
        >>> ember.backends.mkldnn.is_available()
        False
    """
    return False


def is_acl_available() -> bool:
    """False: no oneDNN, so no oneDNN over Arm's Compute Library either."""
    return False


def set_flags(_enabled: bool | None = None, _deterministic: bool | None = None,
              _allow_tf32: bool | None = None,
              _fp32_precision: str | None = "none") -> tuple:
    """Sets the flags given (None leaves one as it is); returns the previous four, in order.

    Example:
        >>> previous = ember.backends.mkldnn.set_flags(False)
        >>> ember.backends.mkldnn.set_flags(*previous)[0]
        False
    """
    global enabled, deterministic, allow_tf32, fp32_precision
    previous = (enabled, deterministic, allow_tf32, fp32_precision)
    if _enabled is not None:
        enabled = _enabled
    if _deterministic is not None:
        deterministic = _deterministic
    if _allow_tf32 is not None:
        allow_tf32 = _allow_tf32
    if _fp32_precision is not None:
        fp32_precision = _fp32_precision
    return previous


@contextlib.contextmanager
def flags(enabled: bool = False, deterministic: bool = False, allow_tf32: bool = True,
          fp32_precision: str = "none") -> Iterator[None]:
    """Sets all four flags inside the block (torch's defaults for the ones not given) and
    restores the previous ones on leaving it.

    Example:
        >>> with ember.backends.mkldnn.flags(enabled=True, deterministic=True):
        ...     ember.backends.mkldnn.deterministic
        True
    """
    previous = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        set_flags(*previous)
