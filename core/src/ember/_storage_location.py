"""Where a storage lives, as a checkpoint names it ("cpu", "cuda:1"), and how a storage gets
back there: torch.serialization's registry of (priority, tagger, deserializer) packages,
tried in priority order. Ember registers the CPU and CUDA; ``register_package`` adds more.

Example:
    >>> s = ember.ones(2).untyped_storage()
    >>> ember.serialization.location_tag(s)
    'cpu'
    >>> ember.serialization.default_restore_location(s, "cpu") is s
    True
"""

from __future__ import annotations

import re
from typing import Callable

_packages: list = []  # (priority, tagger, deserializer), sorted


def register_package(priority: int, tagger: Callable, deserializer: Callable) -> None:
    """Adds a tagger ``(storage) -> location or None`` and a deserializer ``(storage,
    location) -> storage or None``; lower priorities are asked first.

    Example:
        >>> ember.serialization.register_package(
        ...     5, lambda s: None, lambda s, loc: s if loc == "disk" else None)
    """
    _packages.append((priority, tagger, deserializer))
    _packages.sort(key=lambda entry: entry[0])


def _type_name(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def location_tag(storage) -> str:
    """The location a checkpoint records for storage ("cpu", "cuda:0").

    Example:
        >>> ember.serialization.location_tag(ember.ones(1).untyped_storage())
        'cpu'
    """
    for _, tagger, _ in _packages:
        location = tagger(storage)
        if location:
            return location
    raise RuntimeError(f"don't know how to determine data location of {_type_name(storage)}")


def default_restore_location(storage, location: str):
    """storage moved to location by the first registered deserializer that accepts it.

    Example:
        >>> s = ember.ones(1).untyped_storage()
        >>> ember.serialization.default_restore_location(s, "cpu") is s
        True
    """
    for _, _, deserializer in _packages:
        result = deserializer(storage, location)
        if result is not None:
            return result
    raise RuntimeError(f"don't know how to restore data location of {_type_name(storage)} "
                       f"(tagged with {location})")


def validate_cuda_device(location) -> int:
    """The device index of a CUDA location ("cuda", "cuda:1", a device or an int), after
    checking that CUDA is available and has that device.

    Example:
        >>> ember.serialization.validate_cuda_device("cuda:0")   # on a machine with a GPU
        0
    """
    from . import cuda
    from ._device import device as _device
    index = location if isinstance(location, int) else (_device(location).index or 0)
    if not cuda.is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "ember.cuda.is_available() is False. If you are running on a "
                           "CPU-only machine, please use ember.load with "
                           "map_location=ember.device('cpu') to map your storages to the CPU.")
    count = cuda.device_count()
    if index >= count:
        raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but "
                           f"ember.cuda.device_count() is {count}. Please use ember.load with "
                           "map_location to map your storages to an existing device.")
    return index


def _moved(storage, device):
    """A copy of an UntypedStorage/TypedStorage on device."""
    from . import _dtype as D
    from ._tensor import Tensor
    from .storage import TypedStorage, UntypedStorage
    typed = isinstance(storage, TypedStorage)
    inner = storage.untyped()._storage
    dtype = storage.dtype if typed else D.uint8
    flat = Tensor._make(inner, (inner.nbytes // dtype.itemsize,), (1,), 0, dtype).to(device)
    return TypedStorage(flat._storage, dtype) if typed else UntypedStorage(flat._storage)


def _cpu_tag(storage) -> str | None:
    return "cpu" if storage.device.type == "cpu" else None


def _cpu_restore(storage, location: str):
    if location != "cpu":
        return None
    return storage if storage.device.type == "cpu" else _moved(storage, "cpu")


def _cuda_tag(storage) -> str | None:
    dev = storage.device
    if dev.type != "cuda":
        return None
    return "cuda" if dev.index is None else f"cuda:{dev.index}"


def _cuda_restore(storage, location: str):
    if location != "cuda" and not re.match(r"cuda(:|[0-9]+)", location):
        return None
    return _moved(storage, f"cuda:{validate_cuda_device(location)}")


register_package(10, _cpu_tag, _cpu_restore)
register_package(20, _cuda_tag, _cuda_restore)


def normalize_storage_type(storage_type: type) -> type:
    """The CPU storage class of the same name (``ember.cuda.FloatStorage`` ->
    ``ember.FloatStorage``).

    Example:
        >>> ember.serialization.normalize_storage_type(ember.cuda.FloatStorage)
        <class 'ember.FloatStorage'>
    """
    import ember
    return getattr(ember, storage_type.__name__)


def storage_to_tensor_type(storage) -> type:
    """The legacy tensor class matching a legacy storage's class (``FloatStorage`` ->
    ``FloatTensor``, in the same module).

    Example:
        >>> ember.serialization.storage_to_tensor_type(ember.FloatStorage(2))
        <class 'ember.FloatTensor'>
    """
    import importlib
    cls = type(storage)
    return getattr(importlib.import_module(cls.__module__),
                   cls.__name__.replace("Storage", "Tensor"))
