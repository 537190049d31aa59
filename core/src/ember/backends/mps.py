"""``torch.backends.mps`` on a framework without an MPS backend: ember is not built for
Apple's GPUs, so ``is_built()`` and ``is_available()`` are False, and the macOS version
checks, which torch answers only through that backend, raise RuntimeError as torch's do
without it.

Example:
    >>> ember.backends.mps.is_available() and ember.backends.mps.is_built()
    False
"""

from __future__ import annotations

from .._absent_device import missing

__all__ = ["is_available", "is_built", "is_macos13_or_newer", "is_macos_or_newer"]


def is_built() -> bool:
    """False: ember has no MPS backend to build."""
    return False


def is_available() -> bool:
    """False: ember cannot run on an MPS device."""
    return False


def is_macos_or_newer(major: int, minor: int) -> bool:
    missing("backends.mps.is_macos_or_newer")


def is_macos13_or_newer(minor: int = 0) -> bool:
    missing("backends.mps.is_macos13_or_newer")
