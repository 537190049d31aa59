"""ember.mtia: torch.mtia's namespace on a framework without an MTIA backend.

``is_available()`` is False, ``device_count()`` 0 and the seeding calls do nothing, as in a
torch built without MTIA; ``init`` raises AssertionError and the calls that need a device
RuntimeError, as torch's do there.

Example:
    >>> ember.mtia.is_available()
    False
"""

from __future__ import annotations

from ._absent_device import missing

__all__ = ["current_device", "device_count", "empty_cache", "init", "is_available",
           "is_initialized", "manual_seed", "manual_seed_all", "set_device", "synchronize"]


def is_available() -> bool:
    """False: ember has no MTIA backend."""
    return False


def device_count() -> int:
    """0: no MTIA device is visible to ember."""
    return 0


def is_initialized() -> bool:
    """False: there is no MTIA state to initialize."""
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed without an MTIA device (as in torch)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed without an MTIA device (as in torch)."""


def init() -> None:
    missing("mtia.init", AssertionError)


def synchronize(device=None) -> None:
    missing("mtia.synchronize")


def current_device() -> int:
    missing("mtia.current_device")


def set_device(device) -> None:
    missing("mtia.set_device")


def empty_cache() -> None:
    missing("mtia.empty_cache")
