"""Tensors that cross from DataLoader workers to the parent through shared memory.

A worker writes a tensor's bytes once into a file under /dev/shm (RAM-backed) and
sends only a small descriptor (file name, dtype, shape, strides) through the
result queue. The parent maps the file, unlinks it at once (the mapping keeps the
memory alive until the last tensor over it dies) and wraps it as a tensor without
copying. Batches collated inside a worker are allocated in shared memory from
the start, so their bytes are written exactly once in total.

Files are named ``ember_dl_<token>_<pid>_<n>``: ``token`` is chosen by the
iterator that owns the workers, which deletes whatever is left under it when it
shuts down (batches produced but never received, e.g. after an error).
"""

from __future__ import annotations

import itertools
import mmap
import os
import tempfile
import weakref
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, contiguous_strides
from ...backends.cpu import Storage

_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
_PREFIX = "ember_dl_"

_token: str | None = None  # set in worker processes only
_counter = itertools.count()
_names: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Storage -> file name


def in_worker() -> bool:
    return _token is not None


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _map_file(path: str, nbytes: int, create: bool) -> mmap.mmap:
    flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
    fd = os.open(path, flags, 0o600)
    try:
        if create:
            os.ftruncate(fd, max(nbytes, 1))
        return mmap.mmap(fd, max(nbytes, 1))
    finally:
        os.close(fd)


def _shared_storage(numel: int, dtype) -> Storage:
    """A new storage over a fresh shared-memory file (worker side)."""
    name = f"{_PREFIX}{_token}_{os.getpid()}_{next(_counter)}"
    buf = _map_file(os.path.join(_DIR, name), numel * dtype.itemsize, create=True)
    storage = Storage(np.frombuffer(buf, dtype=dtype.storage_np, count=numel))
    _names[storage] = name
    return storage


def empty_shared(shape: tuple, dtype) -> Tensor:
    """An uninitialized contiguous tensor in shared memory (worker side)."""
    storage = _shared_storage(_numel(shape), dtype)
    return Tensor._make(storage, tuple(shape), contiguous_strides(tuple(shape)), 0, dtype)


def _rebuild(name: str, numel: int, dtype_name: str, shape, stride, offset: int,
             requires_grad: bool) -> Tensor:
    """Parent side: map the worker's file, unlink it, wrap it without a copy."""
    dtype = D._dtype_by_name(dtype_name)
    path = os.path.join(_DIR, name)
    buf = _map_file(path, numel * dtype.itemsize, create=False)
    os.unlink(path)
    storage = Storage(np.frombuffer(buf, dtype=dtype.storage_np, count=numel))
    t = Tensor._make(storage, tuple(shape), tuple(stride), offset, dtype)
    t._requires_grad = requires_grad
    return t


def _reduce(t: Tensor):
    """Pickles a tensor as a shared-memory descriptor (installed in workers only)."""
    storage, offset, stride = t._storage, t._offset, t._stride
    name = _names.get(storage)
    if name is None or t.device.type != "cpu":
        # Copy once into a fresh segment: only this view's elements.
        src = t.detach().cpu().contiguous()
        storage = _shared_storage(src.numel(), src.dtype)
        np.copyto(storage.data, src._np().reshape(-1).view(src.dtype.storage_np))
        name, offset, stride = _names[storage], 0, contiguous_strides(tuple(t._shape))
    return (_rebuild, (name, storage.data.size, t._dtype.name, tuple(t._shape), tuple(stride),
                       offset, t.requires_grad))


def install_worker(token: str) -> None:
    """Called at worker start: tensors sent from now on go through shared memory."""
    global _token
    _token = token
    ForkingPickler.register(Tensor, _reduce)


def cleanup(token: str) -> None:
    """Deletes the files of batches that were never received (parent side)."""
    prefix = f"{_PREFIX}{token}_"
    try:
        names = [n for n in os.listdir(_DIR) if n.startswith(prefix)]
    except OSError:
        return
    for n in names:
        try:
            os.unlink(os.path.join(_DIR, n))
        except OSError:
            pass
