"""Tensor methods about the memory under a tensor: ``set_`` and ``is_set_to``, the older
out-of-place ``resize``/``resize_as``, ``storage_type`` and ``record_stream``.

Example:
    >>> x, y = ember.zeros(3), ember.arange(6.0).reshape(2, 3)
    >>> x.set_(y).shape, x.is_set_to(y)
    (ember.Size([2, 3]), True)
"""

from __future__ import annotations

import warnings

from . import _dtype as D
from ._tensor import Tensor, _empty, contiguous_strides
from .autograd.function import Function
from .autograd.grad_mode import STATE
from .storage import LEGACY_CPU, LEGACY_CUDA, TypedStorage, UntypedStorage


class SetStorage(Function):
    """set_ in a recorded graph: torch defines no derivative for it, so backward raises."""

    @staticmethod
    def forward(ctx, target, *sources):
        return Tensor._make(target._storage, target._shape, target._stride, target._offset,
                            target._dtype)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for set_ is not implemented")


def _set_error(message: str) -> TypeError:
    return TypeError(f"set_() received an invalid combination of arguments - {message}; "
                     "expected one of: (), (Storage source), (Storage source, int "
                     "storage_offset, tuple of ints size, tuple of ints stride = None), "
                     "(Tensor source), (Tensor source, int storage_offset, tuple of ints "
                     "size, tuple of ints stride = None)")


def _source_storage(self: Tensor, source):
    """The backend storage a set_ source names, after torch's dtype and device checks."""
    if isinstance(source, Tensor):
        if source._dtype is not self._dtype:
            raise RuntimeError(f"Could not set tensor of type {source._dtype.name} to a tensor "
                               f"of type {self._dtype.name}")
        storage = source._storage
    elif isinstance(source, TypedStorage):
        if source.dtype is not self._dtype:
            raise RuntimeError(f"Expected a Storage of type {self._dtype.name} or an "
                               f"UntypedStorage, but got type {source.dtype.name} for "
                               "argument 1 'storage'")
        storage = source.untyped()._storage
    elif isinstance(source, UntypedStorage):
        storage = source._storage
    else:
        raise _set_error(f"got ({type(source).__name__})")
    if storage.device != self.device:
        raise RuntimeError(f'Attempted to set the storage of a tensor on device "{self.device}"'
                           f' to a storage on different device "{storage.device}".  This is '
                           "no longer allowed; the devices must match.")
    return storage


def set_(self: Tensor, source=None, storage_offset: int = 0, size=None,
         stride=None) -> Tensor:
    """Points this tensor at source's memory: a tensor's storage, offset, shape and strides,
    or a storage (all of it as 1-D, or storage_offset/size/stride into it); no source
    gives it empty memory. Writes through either are then seen by both. An in-place op:
    a leaf that requires grad refuses it while grad mode is on, and in a recorded graph
    the result has no derivative, as in torch.

    Ember counts versions per memory block, not per tensor: set_ bumps the count of the
    memory this tensor leaves (its views there see the change, as in torch), and this
    tensor then reports its new memory's count.

    Example:
        >>> x = ember.zeros(1)
        >>> x.set_(ember.arange(10.0).untyped_storage(), 2, (2, 3), (1, 2))
        tensor([[2., 4., 6.],
                [3., 5., 7.]])
    """
    self._check_inplace_allowed()
    if source is None:
        fresh = _empty((0,), self._dtype, self.device)
        storage, offset, shape, strides = fresh._storage, 0, (0,), (1,)
    else:
        storage = _source_storage(self, source)
        if size is None:
            if storage_offset:
                raise _set_error(f"got ({type(source).__name__}, int)")
            if isinstance(source, Tensor):
                offset, shape, strides = source._offset, source._shape, source._stride
            else:
                offset, shape = 0, (storage.nbytes // self._dtype.itemsize,)
                strides = (1,)
        else:
            offset, shape = storage_offset, tuple(size)
            strides = contiguous_strides(shape) if stride is None else tuple(stride)
            _check_fits(storage, offset, shape, strides, self._dtype)
    grad_source = isinstance(source, Tensor) and source._requires_grad
    self._storage.version += 1
    self._storage, self._offset, self._shape, self._stride = storage, offset, shape, strides
    if STATE.enabled and (self._requires_grad or grad_source):
        node_out = SetStorage.apply(self, *((source,) if grad_source else ()))
        self._grad_fn, self._output_nr = node_out._grad_fn, 0
        self._requires_grad = True
    return self


def _check_fits(storage, offset: int, shape: tuple, strides: tuple, dtype: D.dtype) -> None:
    if len(shape) != len(strides):
        raise RuntimeError("mismatch in length of strides and shape")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    capacity = storage.nbytes // dtype.itemsize
    if all(shape):
        end = offset + sum((n - 1) * s for n, s in zip(shape, strides)) + 1
        # torch grows the storage to fit; ember's memory blocks have a fixed size
        if end > capacity:
            raise RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)}, "
                               f"storage offset {offset} need {end} elements, but the storage "
                               f"holds {capacity} (ember does not grow storages)")


def is_set_to(self: Tensor, tensor: Tensor) -> bool:
    """Whether both tensors view the same memory with the same offset, shape and strides.

    Example:
        >>> x = ember.ones(4)
        >>> x.is_set_to(x.view(4)), x.is_set_to(x[1:])
        (True, False)
    """
    return (self._storage is tensor._storage and self._offset == tensor._offset
            and self._shape == tensor._shape and self._stride == tensor._stride)


def resize(self: Tensor, *sizes) -> Tensor:
    """Deprecated out-of-place resize: this tensor in another shape of as many elements
    (a view where it is contiguous, else a copy), differentiable.

    Example:
        >>> ember.arange(6.0).resize(2, 3).shape   # UserWarning: deprecated
        ember.Size([2, 3])
    """
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return _reshaped(self, sizes)


def resize_as(self: Tensor, tensor: Tensor) -> Tensor:
    """Deprecated out-of-place resize to tensor's shape (see Tensor.resize)."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _reshaped(self, tuple(tensor._shape))


def _reshaped(self: Tensor, sizes: tuple) -> Tensor:
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    numel = 1
    for n in sizes:
        numel *= n
    if numel != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, sizes))} ({numel} elements "
                           f"in total), but the given tensor has a size of "
                           f"{'x'.join(map(str, self._shape))} ({self.numel()} elements). "
                           "autograd's resize can only change the shape of a given tensor, "
                           "while preserving the number of elements. ")
    return self.contiguous().view(sizes)


def storage_type(self: Tensor) -> type:
    """The legacy storage class of this tensor's dtype and device (``ember.FloatStorage``).

    Example:
        >>> ember.ones(2).storage_type()
        <class 'ember.FloatStorage'>
    """
    from .serialization import _STORAGE_NAMES
    table = LEGACY_CUDA if self.device.type == "cuda" else LEGACY_CPU
    return table[_STORAGE_NAMES[self._dtype]]


def record_stream(self: Tensor, stream) -> None:
    """Marks this CUDA tensor's memory as used by work queued on stream (an
    ember.cuda.Stream other than the one it was made on): once the tensor is freed, its
    memory is not handed to another tensor until the work queued on stream by then has
    completed. (A finalizer records an event on stream when the memory is freed and holds
    the block until the event completes; see ember/backends/cuda/stream_uses.py.)

    Example:
        >>> side = ember.cuda.Stream()
        >>> with ember.cuda.stream(side):
        ...     y = x * 2          # x, made on the default stream, is read on side
        >>> x.record_stream(side)
        >>> del x                  # x's memory waits for side's queued work
    """
    from .cuda import Stream
    if not isinstance(stream, Stream):
        raise RuntimeError(f"record_stream(): expected an ember.cuda.Stream, got "
                           f"{type(stream).__name__}")
    if self.device.type != "cuda":
        raise RuntimeError("Could not run 'aten::record_stream' with arguments from the "
                           f"'{self.device.type.upper()}' backend: record_stream takes CUDA "
                           "tensors")
    from .backends.cuda import stream_uses
    stream_uses.record_stream(self._storage, stream)


METHODS = {"set_": set_, "is_set_to": is_set_to, "resize": resize, "resize_as": resize_as,
           "storage_type": storage_type, "record_stream": record_stream}
