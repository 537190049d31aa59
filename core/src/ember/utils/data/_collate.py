"""default_collate / default_convert: merging samples into batches, as torch's.

Inside a DataLoader worker, stacked tensors are written straight into shared
memory (see _shared.py), so the batch crosses to the parent without another copy.
"""

from __future__ import annotations

import collections.abc
import re

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.creation import as_tensor, tensor
from ...ops.join import stack
from . import _shared

__all__ = ["default_collate", "default_convert"]

_NP_STR_OBJ = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def default_convert(data):
    """Converts NumPy arrays (and numbers inside them) to tensors, recursing into dicts,
    namedtuples and sequences; everything else is returned unchanged.

    Example:
        >>> default_convert({"x": np.zeros(2)})
        {'x': tensor([0., 0.], dtype=ember.float64)}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        if isinstance(data, (np.str_, np.bytes_)):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = data.copy()
                clone.update({k: default_convert(v) for k, v in data.items()})
                return clone
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def _stack_tensors(batch: list) -> Tensor:
    elem = batch[0]
    if _shared.in_worker():
        shape = (len(batch),) + tuple(elem.shape)
        out = _shared.empty_shared(shape, elem.dtype)
        return stack(batch, 0, out=out)
    return stack(batch, 0)


def default_collate(batch: list):
    """Merges a list of samples into a batch: tensors, arrays and numbers are stacked
    along a new first dim; dicts, namedtuples and sequences are collated field by field;
    strings stay a list.

    Example:
        >>> default_collate([(0, "a", np.zeros(2)), (1, "b", np.ones(2))])
        [tensor([0, 1]), ['a', 'b'], tensor([[0., 0.],
                [1., 1.]], dtype=ember.float64)]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray) and not isinstance(elem, np.memmap) or \
            isinstance(elem, np.memmap):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return _stack_tensors([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return tensor(batch, dtype=D.bool_)
    if isinstance(elem, float):
        return tensor(batch, dtype=D.float64)
    if isinstance(elem, int):
        return tensor(batch, dtype=D.int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = elem.copy()
                clone.update({k: default_collate([d[k] for d in batch]) for k in elem})
                return clone
            return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem})
        except TypeError:
            return {k: default_collate([d[k] for d in batch]) for k in elem}
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        size = len(next(it))
        if not all(len(e) == size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]  # torch returns a list here
        try:
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_ERR.format(type(elem)))
