"""DDP communication hooks (``torch.distributed.algorithms.ddp_comm_hooks``): the built-in
hooks in ``default_hooks`` and ``debugging_hooks``, and ``register_ddp_comm_hook`` to
register one by its ``DDPCommHookType``. PowerSGD and the quantization hooks are not here.

Example:
    >>> from ember.distributed.algorithms.ddp_comm_hooks import (DDPCommHookType,
    ...                                                          register_ddp_comm_hook)
    >>> register_ddp_comm_hook(DDPCommHookType.FP16_COMPRESS, ddp_model)
"""

from __future__ import annotations

import enum
from typing import Any, Callable

from . import debugging_hooks as debugging, default_hooks as default

__all__ = ["DDPCommHookType", "register_ddp_comm_hook"]


class _Registrar:
    """Registers one hook on a DDP model; a plain callable object (not a function), so the
    enum keeps it as a member's value."""

    def __init__(self, hook: Callable) -> None:
        self.hook = hook

    def __call__(self, model, state: Any = None) -> None:
        model.register_comm_hook(state, self.hook)

    def __repr__(self) -> str:
        return f"register({self.hook.__qualname__})"


class DDPCommHookType(enum.Enum):
    """The built-in hooks by name; ``.value(model=ddp, state=group)`` registers one.

    Example:
        >>> DDPCommHookType.ALLREDUCE.value(model=ddp_model, state=None)
    """

    ALLREDUCE = _Registrar(default.allreduce_hook)
    FP16_COMPRESS = _Registrar(default.fp16_compress_hook)
    BF16_COMPRESS = _Registrar(default.bf16_compress_hook)
    NOOP = _Registrar(debugging.noop_hook)


def register_ddp_comm_hook(comm_hook_type: DDPCommHookType, model, state: Any = None) -> None:
    """Registers the hook comm_hook_type names on the DDP model, with state (the process
    group for the built-in hooks; None: the default group).

    Example:
        >>> register_ddp_comm_hook(DDPCommHookType.ALLREDUCE, ddp_model)
    """
    comm_hook_type.value(model=model, state=state)
