"""What ``Tensor.untyped_storage()`` and ``Tensor.storage()`` return: the memory under one
or more tensors, as bytes (torch.UntypedStorage) or as elements of the tensor's dtype
(torch.TypedStorage). Both are views of the backend's storage, so views of one tensor
report the same ``data_ptr()``: how a program tells that two tensors share memory.

Example:
    >>> x = ember.arange(6.0)
    >>> x[2:].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    True
    >>> x[2:].storage().size(), x.untyped_storage().nbytes()
    (6, 24)
"""

from __future__ import annotations

from . import _dtype as D
from ._device import device as _device


def _address(storage) -> int:
    from .backends import cpu
    if storage.__class__ is cpu.Storage:
        return int(cpu.ffi.cast("uintptr_t", storage.ptr))
    return int(storage.ptr)


class StorageBase:
    """The base class of UntypedStorage (torch.StorageBase); not constructed itself."""

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        if cls is StorageBase:
            raise RuntimeError("Cannot directly construct StorageBase; subclass it and then "
                               "construct that")
        return super().__new__(cls)


class UntypedStorage(StorageBase):
    """The bytes of a storage (torch.UntypedStorage)."""

    __slots__ = ("_storage",)

    def __init__(self, storage) -> None:
        self._storage = storage

    @property
    def device(self) -> _device:
        return self._storage.device

    def data_ptr(self) -> int:
        """The address of the first byte."""
        return _address(self._storage)

    def nbytes(self) -> int:
        return self._storage.nbytes

    def size(self) -> int:
        return self._storage.nbytes

    __len__ = size

    def element_size(self) -> int:
        return 1

    def is_shared(self) -> bool:
        from .backends import cpu
        return self.device.type != "cpu" or cpu.is_shared(self._storage)

    def is_pinned(self, device=None) -> bool:
        from .backends import cuda
        return self.device.type == "cpu" and cuda.is_pinned(self._storage)

    def _elements(self, dtype: D.dtype):
        from ._tensor import Tensor
        n = self._storage.nbytes // dtype.itemsize
        return Tensor._make(self._storage, (n,), (1,), 0, dtype)

    def tolist(self) -> list:
        return self._elements(D.uint8).tolist()

    def __getitem__(self, index: int) -> int:
        return self._elements(D.uint8)[index].item()

    def untyped(self) -> UntypedStorage:
        return self

    def __repr__(self) -> str:
        return f"ember.UntypedStorage(nbytes={self.nbytes()}, device={self.device})"


class TypedStorage:
    """The elements of a storage in one dtype (torch.TypedStorage, what the older
    ``Tensor.storage()`` returns)."""

    __slots__ = ("_untyped", "dtype")

    def __init__(self, storage, dtype: D.dtype) -> None:
        self._untyped = UntypedStorage(storage)
        self.dtype = dtype

    @property
    def device(self) -> _device:
        return self._untyped.device

    def data_ptr(self) -> int:
        return self._untyped.data_ptr()

    def nbytes(self) -> int:
        return self._untyped.nbytes()

    def size(self) -> int:
        return self.nbytes() // self.dtype.itemsize

    __len__ = size

    def element_size(self) -> int:
        return self.dtype.itemsize

    def tolist(self) -> list:
        return self._untyped._elements(self.dtype).tolist()

    def __getitem__(self, index: int):
        return self._untyped._elements(self.dtype)[index].item()

    def untyped(self) -> UntypedStorage:
        return self._untyped

    def __repr__(self) -> str:
        return (f"ember.TypedStorage(dtype={self.dtype}, size={self.size()}, "
                f"device={self.device})")


class _LegacyStorageType(type):
    """The type of ``ember.FloatStorage`` and kin (torch's legacy storage classes, what
    ``Tensor.storage_type()`` returns): isinstance tests a storage's dtype and device."""

    def __instancecheck__(cls, obj) -> bool:
        return (isinstance(obj, TypedStorage) and obj.dtype is cls._legacy_dtype
                and obj.device.type == cls._device_type)

    def __repr__(cls) -> str:
        where = "cuda." if cls._device_type == "cuda" else ""
        return f"<class 'ember.{where}{cls.__name__}'>"


class _LegacyStorage(TypedStorage, metaclass=_LegacyStorageType):
    """``ember.FloatStorage(n)``: n uninitialized elements; ``FloatStorage(sequence)``: those
    values."""

    __slots__ = ()
    _legacy_dtype: D.dtype
    _device_type: str

    def __init__(self, size_or_sequence=0) -> None:
        from .ops.creation import empty, tensor
        make = empty if isinstance(size_or_sequence, int) else tensor
        values = make(size_or_sequence, dtype=self._legacy_dtype, device=self._device_type)
        super().__init__(values._storage, self._legacy_dtype)


def _legacy_classes(device_type: str) -> dict:
    from .serialization import _STORAGE_NAMES
    return {name: _LegacyStorageType(name, (_LegacyStorage,), {
        "__slots__": (), "_legacy_dtype": dtype, "_device_type": device_type,
        "__module__": "ember.cuda" if device_type == "cuda" else "ember"})
        for dtype, name in _STORAGE_NAMES.items()}


LEGACY_CPU = _legacy_classes("cpu")
LEGACY_CUDA = _legacy_classes("cuda")


def default_storage_class() -> _LegacyStorageType:
    """``ember.Storage``: the legacy CPU storage class of the default dtype, as torch's
    follows ``set_default_dtype``."""
    from .serialization import _STORAGE_NAMES
    return LEGACY_CPU[_STORAGE_NAMES[D.get_default_dtype()]]


def is_storage(obj) -> bool:
    """Whether obj is a storage (``Tensor.untyped_storage()``, ``Tensor.storage()``).

    Example:
        >>> x = ember.ones(2)
        >>> ember.is_storage(x.untyped_storage()), ember.is_storage(x)
        (True, False)
    """
    return isinstance(obj, (UntypedStorage, TypedStorage))
