"""DataLoader(pin_memory=True): each batch's tensors copied into page-locked memory, from
which ``.to('cuda', non_blocking=True)`` copies without waiting."""

from __future__ import annotations

from collections.abc import Mapping

from ..._tensor import Tensor


def pin_batch(data):
    """data with every tensor inside it (in lists, tuples, named tuples and mappings)
    pinned; anything else as it is."""
    if isinstance(data, Tensor):
        return data.pin_memory()
    if isinstance(data, Mapping):
        return type(data)({key: pin_batch(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(pin_batch(value) for value in data))
    if isinstance(data, (list, tuple)):
        return type(data)(pin_batch(value) for value in data)
    return data
