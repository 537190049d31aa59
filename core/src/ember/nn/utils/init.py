"""skip_init: a module whose parameters and buffers are left uninitialized."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from ..modules.module import Module

__all__ = ["skip_init"]

_M = TypeVar("_M", bound=Module)


def skip_init(module_cls: type[_M], *args: Any, **kwargs: Any) -> _M:
    """Constructs ``module_cls(*args, **kwargs)`` with uninitialized (empty) parameters
    and buffers, on ``kwargs["device"]`` (default CPU), as ``torch.nn.utils.skip_init``.

    The class must accept a ``device`` argument. Ember has no meta device, so the module
    is built (and initialized) on the final device and then emptied; the result is the
    same, without torch's saving of the initialization's work.

    Example:
        >>> lin = nn.utils.skip_init(nn.Linear, 5, 1)
        >>> lin.weight.shape
        ember.Size([1, 5])
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs["device"] = kwargs.pop("device", "cpu")
    return module_cls(*args, **kwargs).to_empty(device=kwargs["device"])
