"""Tensor creation: from data, filled, ranges, eye, and the ``*_like`` forms."""

from __future__ import annotations

import builtins
import math
import os

import numpy as np

from .. import _dtype as D
from .._device import as_device
from .._tensor import Tensor, _empty, _numel
from ..backends import cpu
from ._util import backend_of


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def _to_device(t: Tensor, device) -> Tensor:
    dev = as_device(device)
    if dev.type == "cpu":
        return t
    return t.to(dev)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, pin_memory=False,
          memory_format=None, out=None) -> Tensor:
    """An uninitialised tensor of the given shape (in page-locked memory with pin_memory)."""
    t = _empty(_shape(size), dtype or D.get_default_dtype(), as_device(device))
    return _finish(t.pin_memory() if pin_memory else t, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
         out=None) -> Tensor:
    """A tensor of `size` filled with `fill_value` (dtype inferred from it when not given)."""
    if dtype is None:
        dtype = fill_value.dtype if isinstance(fill_value, Tensor) else D.scalar_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    t = _empty(_shape((size,)) if not isinstance(size, int) else (size,), dtype, as_device(device))
    backend_of(t).fill(t, fill_value)
    return _finish(t, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """A tensor of zeros.

    Example:
        >>> ember.zeros(2, 3).shape
        ember.Size([2, 3])
    """
    shape = _shape(size)
    dtype = dtype or D.get_default_dtype()
    dev = as_device(device)
    if dev.type == "cpu":
        # calloc'd pages: the OS hands out zeroed memory lazily
        t = Tensor._make(cpu.zeros_storage(_numel(shape), dtype), shape,
                         _contig(shape), 0, dtype)
    else:
        t = _empty(shape, dtype, dev)
        backend_of(t).fill(t, 0)
    return _finish(t, requires_grad)


def _contig(shape):
    from .._tensor import contiguous_strides
    return contiguous_strides(shape)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    return full(_shape(size), 1, dtype=dtype or D.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def _like(x: Tensor, dtype, device):
    return x._shape, dtype or x._dtype, device if device is not None else x.device


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return empty(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    shape, dtype, device = _like(input, dtype, device)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor of input's shape and dtype holding value (a number or a 0-d tensor,
    whose gradient is the sum of the output's)."""
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        return value.to(input.dtype).expand(input.shape).clone()
    return full_like(input, value)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of shape size whose memory runs through its dims in the order
    physical_layout (outermost first): ``empty_permuted((2, 3), (1, 0))`` is column-major."""
    size, order = tuple(size), tuple(physical_layout)
    if len(order) != len(size):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; size={list(size)}, physical_layout={list(order)}")
    if sorted(order) != list(builtins.range(len(size))):
        raise RuntimeError("Duplicate dim not allowed" if len(set(order)) != len(order) else
                           f"Dimension out of range in physical_layout {list(order)}")
    t = empty(tuple(size[d] for d in order), dtype=dtype, device=device, pin_memory=pin_memory)
    inverse = sorted(builtins.range(len(order)), key=order.__getitem__)
    return _finish(t.permute(inverse), requires_grad)


# ---- from data -----------------------------------------------------------------------------

def _infer_dtype(data) -> D.dtype:
    """dtype of nested Python data by torch's rules (bool < int < float)."""
    kind = 0
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Tensor):
            kind = max(kind, 3 if x._dtype.is_complex else 2 if x._dtype.is_floating_point
                       else int(x._dtype is not D.bool_))
        elif isinstance(x, (bool, np.bool_)):
            pass
        elif isinstance(x, (int, np.integer)):
            kind = max(kind, 1)
        elif isinstance(x, (float, np.floating)):
            kind = 2
        elif isinstance(x, (complex, np.complexfloating)):
            kind = 3
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    if kind == 3:
        return D.get_default_dtype().to_complex()
    if kind == 2:
        return D.get_default_dtype()
    if kind == 1:
        return D.int64
    has_any = _first_scalar(data)
    return D.bool_ if has_any is not None else D.get_default_dtype()


def _first_scalar(data):
    while isinstance(data, (list, tuple)):
        if not data:
            return None
        data = data[0]
    return data


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing the NumPy array's memory (no copy).

    Example:
        >>> a = np.zeros(3); t = ember.from_numpy(a); t[0] = 1; a[0]
        1.0
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtype = D.from_numpy_dtype(ndarray.dtype)
    item = ndarray.itemsize
    if any(s % item for s in ndarray.strides) or any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if ndarray.size == 0:
        return _empty(ndarray.shape, dtype)
    # The storage is a flat view spanning the array's memory from its lowest element.
    span = 1 + sum((n - 1) * s // item for n, s in zip(ndarray.shape, ndarray.strides))
    base = np.lib.stride_tricks.as_strided(ndarray, (span,), (item,))
    storage = cpu.Storage(base)
    if not ndarray.flags.writeable:
        import warnings
        warnings.warn("The given NumPy array is not writable, and ember does not support "
                      "non-writable tensors.", UserWarning, stacklevel=2)
    return Tensor._make(storage, tuple(ndarray.shape), tuple(s // item for s in ndarray.strides),
                        0, dtype)


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over the bytes of an object with the buffer protocol, from byte offset,
    without a copy: count elements of dtype, or as many as the rest holds (-1).

    Example:
        >>> ember.frombuffer(bytearray(b"\\x01\\x00\\x02\\x00"), dtype=ember.int16)
        tensor([1, 2], dtype=ember.int16)
    """
    view = memoryview(buffer)
    nbytes, item = view.nbytes, dtype.itemsize
    if nbytes == 0 or count == 0:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if not 0 <= offset < nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({nbytes} bytes) minus 1")
    if count < 0:
        if (nbytes - offset) % item:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({item})")
        count = (nbytes - offset) // item
    elif offset + count * item > nbytes:
        raise ValueError(f"requested buffer length ({count} * {item} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({nbytes} bytes)")
    data = np.frombuffer(view, dtype.storage_np, count, offset)
    if view.readonly:
        import warnings
        warnings.warn("The given buffer is not writable, and ember does not support "
                      "non-writable tensors.", UserWarning, stacklevel=2)
    return _finish(Tensor._make(cpu.Storage(data), (count,), (1,), 0, dtype), requires_grad)


def from_file(filename: str, shared: bool | None = None, size: int = 0, *, dtype=None,
              layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False) -> Tensor:
    """A 1-D CPU tensor of size elements read from a raw binary file by memory-mapping it.
    shared=True maps the file itself: writes reach it, and it is created or grown to fit;
    otherwise (False, None) writes stay private to the tensor and the file must hold
    size * itemsize bytes.

    Example:
        >>> ember.arange(4.0).numpy().tofile("four.bin")
        >>> ember.from_file("four.bin", size=4)
        tensor([0., 1., 2., 3.])
    """
    dtype = dtype or D.get_default_dtype()
    if device is not None and as_device(device).type != "cpu":
        raise RuntimeError("from_file: only CPU tensors can be mapped to files")
    if pin_memory:
        raise RuntimeError("from_file: tensors mapped from a file cannot be pinned")
    if size < 0:
        raise RuntimeError(f"from_file: size must be non-negative, got {size}")
    if size == 0:
        return _finish(_empty((0,), dtype), requires_grad)
    storage = cpu.map_file(os.fspath(filename), size, dtype.storage_np, bool(shared))
    return _finish(Tensor._make(storage, (size,), (1,), 0, dtype), requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of the given size laid out with the given strides.

    Example:
        >>> ember.empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    base = _empty((extent,), dtype or D.get_default_dtype(), as_device(device))
    if pin_memory:  # the flat base, so that the strides stay
        base = base.pin_memory()
    return _finish(Tensor._make(base._storage, size, stride, 0, base._dtype), requires_grad)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor copying `data` (nested lists, numbers, NumPy arrays or tensors).

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).dtype
        ember.int64
    """
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.clone().detach() or sourceTensor.clone().detach()."
                      "requires_grad_(True), rather than ember.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        t = data.detach().clone()
        if dtype is not None:
            t = t.to(dtype)
    elif isinstance(data, np.ndarray):
        t = from_numpy(np.array(data, copy=True, order="C"))
        if dtype is not None:
            t = t.to(dtype)
    else:
        t = _from_python(data, dtype)
    t = _to_device(t, device)
    return _finish(t.pin_memory() if pin_memory else t, requires_grad)


def _from_python(data, dtype) -> Tensor:
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat_scan(data)):
        data = _tensors_to_lists(data)
    target = dtype or _infer_dtype(data)
    if target is D.bfloat16:
        return _from_python(data, D.float32).to(D.bfloat16)
    try:
        arr = np.array(data, dtype=target.np)
    except OverflowError:
        raise RuntimeError(f"value cannot be converted to type {target.name} without "
                           "overflow") from None
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists: {e}") from None
    if arr.dtype == object:
        raise TypeError("ember.tensor(): could not convert data to a tensor")
    return from_numpy(np.require(arr, requirements="C"))  # ascontiguousarray would make 0-d 1-d


def _flat_scan(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            yield x


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any DLPack producer on the CPU (NumPy arrays, torch
    tensors, ...); CUDA producers need ember's GPU backend.

    Example:
        >>> t = ember.from_dlpack(torch.arange(3))   # no copy
    """
    device_type = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor,
                                                                "__dlpack_device__") else 1
    if device_type != 1:
        from ..backends import cuda
        return cuda.from_dlpack(ext_tensor)
    return from_numpy(np.from_dlpack(ext_tensor))


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like tensor(), but shares memory with a tensor or NumPy array when it can."""
    if isinstance(data, Tensor):
        t = data if dtype is None else data.to(dtype)
        return t if device is None else t.to(device)
    if isinstance(data, np.ndarray) and data.dtype != object:
        t = from_numpy(data)
        if dtype is not None:
            t = t.to(dtype)
        return _to_device(t, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full((), s, dtype=dtype or D.get_default_dtype(), device=device,
                requires_grad=requires_grad)


# ---- ranges --------------------------------------------------------------------------------

def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False,
           out=None) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in vals)
        dtype = D.get_default_dtype() if is_float else D.int64
    n = max(math.ceil((end - start) / step), 0)
    if dtype.is_floating_point:
        vals = start + step * np.arange(n, dtype=np.float64)
    else:
        vals = np.arange(start, start + n * step, step, dtype=np.int64)[:n]
    t = _from_numpy_cast(vals, dtype)
    return _finish(_to_device(t, device), requires_grad)


def _from_numpy_cast(vals: np.ndarray, dtype) -> Tensor:
    t = from_numpy(np.require(vals, requirements="C"))
    return t if t._dtype is dtype else t.to(dtype)


def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    import warnings
    warnings.warn("ember.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "ember.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    n = int(builtins.abs((end - start) / step)) + 1
    return arange(start, start + n * step, step, dtype=dtype or D.get_default_dtype(),
                  device=device, requires_grad=requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False,
             out=None) -> Tensor:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or D.get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps == 1:
        vals = np.array([start], dtype=np.float64)
    elif dtype.is_floating_point and not dtype.is_complex:
        vals = _float_linspace(start, end, steps, dtype)
    else:
        step = (end - start) / (steps - 1)
        idx = np.arange(steps, dtype=np.float64)
        half = steps // 2
        # torch fills the second half backwards from `end`, which makes the endpoints exact
        vals = np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    if not dtype.is_floating_point:
        vals = np.trunc(vals)
    return _finish(_to_device(_from_numpy_cast(vals, dtype), device), requires_grad)


def _float_linspace(start: float, end: float, steps: int, dtype) -> np.ndarray:
    """linspace's values as torch's CPU kernel computes them, to the last bit: the first
    half of the points as start + i * step, the rest as end - (steps - 1 - i) * step, one
    fused multiply-add each in float and double; half and bfloat16 round after every
    operation in float, as c10's types do. (NumPy here: a few array ops, where the same in
    tensor ops took 90 times torch's 2 us for 100 points.)"""
    from ._util import fma64
    i = np.arange(steps, dtype=np.float64)
    first = i < steps // 2
    count = np.where(first, i, steps - 1 - i)
    if dtype is D.float64:
        step = (float(end) - float(start)) / (steps - 1)
        return fma64(np.where(first, step, -step), count, np.where(first, start, end))
    if dtype is D.float32:
        lo, hi = np.float32(start), np.float32(end)
        step = (hi - lo) / np.float32(steps - 1)
        # float32 products are exact in float64: the sum is the one rounding before float32's
        return (np.where(first, step, -step).astype(np.float64) * count +
                np.where(first, lo, hi).astype(np.float64)).astype(np.float32)
    rounded = _round_to_half if dtype is D.float16 else _round_to_bfloat16
    lo, hi = rounded(np.float32(start)), rounded(np.float32(end))
    step = rounded(rounded(hi - lo) / rounded(np.float32(steps - 1)))
    along = rounded(step * rounded(count.astype(np.float32)))
    return np.where(first, lo + along, hi - along)


def _round_to_half(x):
    return np.asarray(x, np.float32).astype(np.float16).astype(np.float32)


def _round_to_bfloat16(x):
    """float32 values rounded to bfloat16's 8 significant bits (to nearest, ties to even)."""
    bits = np.asarray(x, np.float32).view(np.uint32)
    bits = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return bits.view(np.float32)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    lin = linspace(start, end, steps, dtype=D.float64)
    out = (base ** lin).to(dtype or D.get_default_dtype())
    return _finish(_to_device(out, device), requires_grad)


def _triangle_indices(row: int, col: int, offset: int, dtype, device, upper: bool) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    r = arange(row, device=device).unsqueeze(1)
    c = arange(col, device=device).unsqueeze(0)
    keep = (c - r >= offset) if upper else (c - r <= offset)
    return keep.nonzero().t().to(dtype or D.int64)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """(2, N) row and column indices of the upper triangle (diagonal ``offset`` and above),
    in row-major order.

    Example:
        >>> ember.triu_indices(3, 3, 1).tolist()
        [[0, 0, 1], [1, 2, 2]]
    """
    return _triangle_indices(row, col, offset, dtype, device, upper=True)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """(2, N) row and column indices of the lower triangle (diagonal ``offset`` and below)."""
    return _triangle_indices(row, col, offset, dtype, device, upper=False)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    m = n if m is None else m
    if n < 0 or m < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    t = zeros(n, m, dtype=dtype or D.get_default_dtype())
    k = min(n, m)
    if k:
        diag = t.diagonal()
        backend_of(t).fill(diag, 1)
    return _finish(_to_device(t, device), requires_grad)
