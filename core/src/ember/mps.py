"""ember.mps: torch.mps's namespace on a framework without an MPS backend.

Apple's GPUs are not among ember's devices: ``is_available()`` is False,
``device_count()`` 0 and ``manual_seed`` does nothing, as in a torch built without MPS;
the calls that need the device raise RuntimeError, as torch's do there.

Example:
    >>> device = "mps" if ember.mps.is_available() else "cpu"
    >>> device
    'cpu'
"""

from __future__ import annotations

from ._absent_device import missing

__all__ = ["current_allocated_memory", "device_count", "driver_allocated_memory",
           "empty_cache", "get_rng_state", "is_available", "manual_seed", "seed",
           "set_rng_state", "synchronize"]


def is_available() -> bool:
    """False: ember has no MPS backend.

    Example:
        >>> ember.mps.is_available()
        False
    """
    return False


def device_count() -> int:
    """0: no MPS device is visible to ember."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed: with no MPS device there is no MPS generator (as in torch)."""


def seed() -> None:
    missing("mps.seed")


def get_rng_state(device="mps"):
    missing("mps.get_rng_state")


def set_rng_state(new_state, device="mps") -> None:
    missing("mps.set_rng_state")


def synchronize() -> None:
    missing("mps.synchronize")


def empty_cache() -> None:
    missing("mps.empty_cache")


def current_allocated_memory() -> int:
    missing("mps.current_allocated_memory")


def driver_allocated_memory() -> int:
    missing("mps.driver_allocated_memory")
