"""The error for a call that needs a device type ember has no backend for (Apple's MPS,
Intel's XPU, Meta's MTIA): those namespaces exist so that device-picking code can ask
whether the device is there, and a call that would need one says so."""

from __future__ import annotations

from typing import NoReturn

_BACKENDS = {"mps": "MPS (Apple GPUs)", "xpu": "XPU (Intel GPUs)", "mtia": "MTIA"}


def missing(call: str, error: type[Exception] = RuntimeError) -> NoReturn:
    """Raises error (torch's type for the same call without the backend) for call, the
    function's path under ember ("mps.synchronize", "backends.mps.is_macos_or_newer")."""
    device_type = call.split(".")[-2]
    raise error(f"ember.{call}(): ember has no {_BACKENDS[device_type]} backend; its tensors "
                "live on the CPU or, through CuPy, on NVIDIA GPUs (device='cuda')")
