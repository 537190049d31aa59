"""Saving and loading (``ember.save``/``ember.load``): see issue 5. For now, tensors
pickle by value so that they cross process boundaries (DataLoader workers)."""

from __future__ import annotations

import numpy as np


def _rebuild_tensor(raw: np.ndarray, dtype_name: str, requires_grad: bool):
    from . import _dtype as D
    from .ops.creation import from_numpy
    dtype = D._dtype_by_name(dtype_name)
    t = from_numpy(raw) if dtype is not D.bfloat16 else from_numpy(raw.view(np.int16))
    from ._tensor import Tensor
    t = Tensor._make(t._storage, t._shape, t._stride, t._offset, dtype)
    t._requires_grad = requires_grad
    return t


def _reduce_tensor(t):
    raw = t.detach().contiguous()._np().copy()
    return (_rebuild_tensor, (raw, t.dtype.name, t.requires_grad))
