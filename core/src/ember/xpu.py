"""ember.xpu: torch.xpu's namespace on a framework without an XPU backend.

Intel's GPUs are not among ember's devices: ``is_available()`` is False, ``device_count()``
0, the seeding calls and ``empty_cache`` do nothing, as in a torch built without XPU; the
calls that need a device raise AssertionError, as torch's do there.

Example:
    >>> ember.xpu.is_available(), ember.xpu.device_count()
    (False, 0)
"""

from __future__ import annotations

from ._absent_device import missing

__all__ = ["current_device", "device_count", "empty_cache", "get_arch_list",
           "get_device_capability", "get_device_name", "get_device_properties", "init",
           "initial_seed", "is_available", "is_bf16_supported", "is_initialized",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "set_device", "synchronize"]


def is_available() -> bool:
    """False: ember has no XPU backend.

    Example:
        >>> ember.xpu.is_available()
        False
    """
    return False


def device_count() -> int:
    """0: no XPU device is visible to ember."""
    return 0


def is_initialized() -> bool:
    """False: there is no XPU state to initialize."""
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no XPU device to run bfloat16 on."""
    return False


def get_arch_list() -> list[str]:
    """[]: ember builds no XPU kernels."""
    return []


def manual_seed(seed: int) -> None:
    """Nothing to seed without an XPU device (as in torch)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed without an XPU device (as in torch)."""


def seed() -> None:
    """Nothing to seed without an XPU device (as in torch)."""


def seed_all() -> None:
    """Nothing to seed without an XPU device (as in torch)."""


def empty_cache() -> None:
    """Nothing cached without an XPU device (as in torch)."""


def init() -> None:
    missing("xpu.init", AssertionError)


def synchronize(device=None) -> None:
    missing("xpu.synchronize", AssertionError)


def current_device() -> int:
    missing("xpu.current_device", AssertionError)


def set_device(device) -> None:
    missing("xpu.set_device", AssertionError)


def get_device_name(device=None) -> str:
    missing("xpu.get_device_name", AssertionError)


def get_device_properties(device=None):
    missing("xpu.get_device_properties", AssertionError)


def get_device_capability(device=None) -> dict:
    missing("xpu.get_device_capability", AssertionError)


def initial_seed() -> int:
    missing("xpu.initial_seed", AssertionError)
