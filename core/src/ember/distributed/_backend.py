"""``Backend``: the names of communication backends, and which device uses which."""

from __future__ import annotations

from typing import Callable


class Backend(str):
    """Backend names as lower-case strings (``Backend.GLOO == "gloo"``).

    Calling it normalizes a name: ``Backend("NCCL")`` returns the plain string ``"nccl"``;
    an unknown name comes back lower-cased (it may name a backend registered elsewhere).
    ember.distributed runs ``mpi`` (``gloo`` is its alias) and ``nccl``.

    Example:
        >>> dist.Backend("GLOO")
        'gloo'
        >>> dist.Backend.NCCL
        'nccl'
    """

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    FAKE = "fake"

    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI, FAKE]

    # the backend a device type gets when init_process_group names none
    default_device_backend_map: dict[str, str] = {"cpu": GLOO, "cuda": NCCL, "xpu": XCCL,
                                                  "mps": GLOO}

    backend_capability: dict[str, list[str]] = {GLOO: ["cpu", "cuda"], NCCL: ["cuda"],
                                                XCCL: ["xpu"], UCC: ["cpu", "cuda"],
                                                MPI: ["cpu", "cuda"],
                                                FAKE: ["cpu", "cuda", "hpu", "xpu"]}

    def __new__(cls, name: str) -> str:  # type: ignore[misc]
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        known = getattr(Backend, name.upper(), None)
        # a known name maps to its constant; anything else is only lower-cased
        return known if isinstance(known, str) and known != Backend.UNDEFINED else name.lower()


def _availability() -> dict[str, Callable[[], bool]]:
    from .distributed_c10d import is_gloo_available, is_mpi_available, is_nccl_available
    return {Backend.MPI: is_mpi_available, Backend.GLOO: is_gloo_available,
            Backend.NCCL: is_nccl_available}


def is_backend_available(backend: str) -> bool:
    """Whether init_process_group can start ``backend`` here (any case accepted).

    Example:
        >>> dist.is_backend_available("GLOO"), dist.is_backend_available("ucc")
        (True, False)
    """
    check = _availability().get(Backend(backend))
    return check is not None and check()


def get_default_backend_for_device(device) -> str:
    """The backend torch.distributed picks for a device (``"cuda:1"`` -> ``"nccl"``).

    Example:
        >>> dist.get_default_backend_for_device("cpu")
        'gloo'
    """
    # parsed here, not by ember.device, which knows no xpu or mps
    device_type = device.partition(":")[0] if isinstance(device, str) else device.type
    try:
        return Backend.default_device_backend_map[device_type]
    except KeyError:
        raise ValueError(f"Default backend not registered for device : {device_type}") \
            from None
