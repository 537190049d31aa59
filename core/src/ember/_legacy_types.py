"""torch's legacy tensor types: ``ember.FloatTensor``, ``ember.cuda.LongTensor`` and kin.

Each is a constructor (``FloatTensor(2, 3)`` is uninitialized, ``FloatTensor([1, 2])``
holds the data) and an isinstance test of dtype and device, and names a target for
``Tensor.type``.

Example:
    >>> x = ember.FloatTensor([1, 2])
    >>> isinstance(x, ember.FloatTensor), isinstance(x, ember.LongTensor)
    (True, False)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _dtype as D
from ._device import as_device
from ._tensor import _TYPE_NAMES, Size, Tensor


class LegacyTensorType(type):
    """The type of the legacy tensor types (torch's ``tensortype``)."""

    dtype: D.dtype
    device_type: str

    def __instancecheck__(cls, obj) -> bool:
        return (isinstance(obj, Tensor) and obj.dtype is cls.dtype
                and obj.device.type == cls.device_type)

    @property
    def is_cuda(cls) -> bool:
        return cls.device_type == "cuda"

    @property
    def is_sparse(cls) -> bool:
        return False

    def __repr__(cls) -> str:
        return f"<class '{cls.type_name}'>"

    @property
    def type_name(cls) -> str:
        return f"ember.{'cuda.' if cls.is_cuda else ''}{cls.__name__}"

    def __call__(cls, *args, device=None):
        from .ops.creation import empty, tensor
        where = as_device(device) if device is not None else as_device(cls.device_type)
        if where.type != cls.device_type:
            raise RuntimeError(f"legacy constructor expects device type: {cls.device_type} "
                               f"but device type: {where.type} was passed")
        if not args:
            return empty(0, dtype=cls.dtype, device=where)
        if len(args) == 1 and isinstance(args[0], Tensor):
            other = args[0]
            if other.dtype is not cls.dtype or other.device.type != cls.device_type:
                raise TypeError(f"expected {cls.type_name} (got {other.type()})")
            return other.detach()
        if len(args) == 1 and isinstance(args[0], Size):
            return empty(*args[0], dtype=cls.dtype, device=where)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype, device=where)
        if len(args) == 1 and isinstance(args[0], (Sequence, np.ndarray)) \
                and not isinstance(args[0], str):
            return tensor(args[0], dtype=cls.dtype, device=where)
        raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")


def _make(device_type: str) -> dict:
    types = {}
    for dtype in D.ALL:
        name = _TYPE_NAMES[dtype.name]
        types[name] = LegacyTensorType(name, (), {"dtype": dtype, "device_type": device_type,
                                                  "__module__": "ember"})
    return types


CPU_TYPES = _make("cpu")
CUDA_TYPES = _make("cuda")


def find(target) -> LegacyTensorType | None:
    """The legacy type a Tensor.type() argument names: the class itself or its name, with
    or without the cuda part ("ember.cuda.FloatTensor"; torch's spelling is read too)."""
    if isinstance(target, LegacyTensorType):
        return target
    if not isinstance(target, str):
        return None
    parts = target.split(".")
    table = CUDA_TYPES if "cuda" in parts[:-1] else CPU_TYPES
    return table.get(parts[-1])


_deprecation_warned: list = []  # non-empty once set_default_tensor_type has warned


def set_default_tensor_type(t, /) -> None:
    """Deprecated, as in torch: makes a floating legacy type (``ember.DoubleTensor``, or
    its name; torch's spelling is read too) the default for new tensors: its dtype
    becomes the default dtype and, for a ``cuda`` type, CUDA the default device. Prefer
    ember.set_default_dtype and ember.set_default_device.

    Example:
        >>> ember.set_default_tensor_type("ember.DoubleTensor")
        >>> ember.tensor([1.5]).dtype
        ember.float64
    """
    import warnings

    from . import _device
    from ._warn_always import is_warn_always_enabled
    # once per process, as torch's TORCH_WARN_ONCE; every time under set_warn_always(True)
    if is_warn_always_enabled() or not _deprecation_warned:
        if not is_warn_always_enabled():
            _deprecation_warned.append(True)
        warnings.warn("ember.set_default_tensor_type() is deprecated, as in torch 2.1: use "
                      "ember.set_default_dtype() and ember.set_default_device() instead.",
                      UserWarning, stacklevel=2)
    if isinstance(t, str):
        legacy = _named_type(t)
    elif isinstance(t, LegacyTensorType):
        legacy = t
    else:
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    if not legacy.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    if legacy.is_cuda:
        from . import cuda
        if not cuda.is_available():
            raise TypeError(f"type {legacy.type_name} not available: CUDA (CuPy and a GPU) is "
                            "not available")
        _device.set_default_device("cuda")
    D.set_default_dtype(legacy.dtype)


def _named_type(name: str) -> LegacyTensorType:
    """The legacy type a dotted name imports as (``ember.cuda.FloatTensor``), with the
    errors its import would raise."""
    parts = name.split(".")
    if len(parts) == 1 or parts[0] not in ("ember", "torch"):
        raise ModuleNotFoundError(f"No module named '{parts[0]}'", name=parts[0])
    legacy = find(name) if parts[1:-1] in ([], ["cuda"]) else None
    if legacy is None:
        raise AttributeError(f"module '{'.'.join(parts[:-1])}' has no attribute '{parts[-1]}'")
    return legacy
