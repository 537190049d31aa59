"""Shared plumbing of the op modules: operand conversion, promotion, broadcasting,
out= handling and in-place application."""

from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as D
from .._device import CPU
from .._sparse_coo_tensor import SparseStorage, unsupported
from .._tensor import Tensor, _empty, contiguous_strides
from ..autograd import function as _function
from ..autograd.grad_mode import STATE
from ..backends import cpu as _cpu
from ..backends import cuda as _cuda

_SCALARS: dict = {}


def scalar_tensor(value, dtype, device=CPU) -> Tensor:
    """A cached read-only 0-d tensor for a Python scalar operand."""
    key = (type(value), value, dtype, device)
    t = _SCALARS.get(key)
    if t is None:
        t = _empty((), dtype, device)
        backend_of(t).fill(t, value)
        if len(_SCALARS) > 4096:
            _SCALARS.clear()
        _SCALARS[key] = t
    return t


def is_scalar(x) -> bool:
    cls = x.__class__
    if cls is float or cls is int or cls is bool:
        return True
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, Tensor)


def result_type(*operands) -> D.dtype:
    """torch.result_type over tensors and Python scalars."""
    dims, zeros, scalars = [], [], []
    for o in operands:
        if isinstance(o, Tensor):
            (dims if o._shape else zeros).append(o._dtype)
        elif is_scalar(o):
            scalars.append(o)
        else:
            raise TypeError(f"expected Tensor or number, got {type(o).__name__}")
    return D.result_type_of(dims, zeros, scalars)


def broadcast_shapes(*shapes) -> tuple:
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s):
            k = ndim - len(s) + i
            if out[k] == 1:
                out[k] = n
            elif n != 1 and n != out[k]:
                raise RuntimeError(
                    f"The size of tensor a ({out[k]}) must match the size of tensor b ({n}) at "
                    f"non-singleton dimension {i}")
    return tuple(out)


def expand_to(t: Tensor, shape: tuple) -> Tensor:
    """A stride-0 broadcast view for kernels (no autograd)."""
    if t._shape == shape:
        return t
    lead = len(shape) - len(t._shape)
    strides = [0] * lead + [0 if n == 1 and m != 1 else s
                            for n, m, s in zip(t._shape, shape[lead:], t._stride)]
    return Tensor._make(t._storage, shape, tuple(strides), t._offset, t._dtype)


def reshaped(t: Tensor, *shape: int) -> Tensor:
    """Contiguous t seen with another shape (one dim may be -1), as a bare view for kernels'
    operands and results inside a Function: reshape would run the view machinery, and
    record a node when t requires grad, for nothing."""
    if -1 in shape:
        known = 1
        for n in shape:
            known *= n if n != -1 else 1
        shape = tuple(t.numel() // (known or 1) if n == -1 else n for n in shape)
    return Tensor._make(t._storage, shape, contiguous_strides(shape), t._offset, t._dtype)


def cast(t: Tensor, dtype) -> Tensor:
    """t in dtype, without autograd (kernels' operand preparation)."""
    if t._dtype is dtype:
        return t
    out = _empty(t._shape, dtype, t.device)
    backend_of(t).copy(t, out)
    return out


def operand(x, dtype, device=CPU) -> Tensor:
    """A tensor operand in dtype on device: scalars become cached 0-d tensors, and a 0-d
    CPU tensor (which torch lets meet tensors of any device) moves to device; any other
    tensor on another device raises torch's error."""
    if isinstance(x, Tensor):
        if x._storage.device != device and (x._shape or x._storage.device.type != "cpu"):
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {device} and {x._storage.device}!")
        x = cast(x, dtype)
        return x if x._storage.device == device else x.to(device)
    return scalar_tensor(x, dtype, device)


def backend_of(t: Tensor):
    if t._storage.__class__ is _cpu.Storage:
        return _cpu
    if t._storage.__class__ is SparseStorage:
        raise unsupported("This dense tensor operation")
    return _cuda


def device_of(*operands):
    """The device an op on these operands runs on; 0-d CPU tensors count as scalars, as
    in torch, and any other mix of devices raises torch's error."""
    dev = scalar_dev = None
    for o in operands:
        if isinstance(o, Tensor):
            d = o._storage.device
            if not o._shape and d.type == "cpu":
                scalar_dev = scalar_dev or d
            elif dev is None:
                dev = d
            elif dev != d:
                raise RuntimeError("Expected all tensors to be on the same device, but found at "
                                   f"least two devices, {dev} and {d}!")
    return dev or scalar_dev or CPU


def check_out(out: Tensor, result: Tensor, name: str) -> Tensor:
    """Writes result into out= (resizing it as torch does) and returns out."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._storage.inference:
        out._check_inference_write()
    if STATE.enabled and (out._requires_grad or result._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not D.can_cast(result._dtype, out._dtype):
        raise RuntimeError(f"result type {_pretty(result._dtype)} can't be cast to the desired "
                           f"output type {_pretty(out._dtype)}")
    if out._shape != result._shape:
        out._resize_(result._shape)
    backend_of(out).copy(result, out)
    out._storage.version += 1
    return out


def _pretty(d) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[d.name]


pretty_dtype = _pretty


def inplace(self: Tensor, result_fn, *args, **kwargs) -> Tensor:
    """Runs an out-of-place op and writes its result into self, as torch's op_ does.

    Without autograd the result is written straight into self's memory; with it,
    self takes the result's place in the graph (and a view's base is rebased).
    """
    self._check_inplace_allowed()
    first_new_node = _function._seq[0] + 1
    hooks = _function.SAVED_HOOKS
    if hooks.stack:
        # pack hooks see the values before this op overwrites them (see _keep_saved_values)
        prev, hooks.inplace_storage = hooks.inplace_storage, self._storage
        try:
            result = result_fn(self, *args, **kwargs)
        finally:
            hooks.inplace_storage = prev
    else:
        result = result_fn(self, *args, **kwargs)
    if not D.can_cast(result._dtype, self._dtype):
        raise RuntimeError(f"result type {_pretty(result._dtype)} can't be cast to the desired "
                           f"output type {_pretty(self._dtype)}")
    if result._shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast "
                           f"shape {list(result._shape)}")
    if result._grad_fn is not None:
        _keep_saved_values(result._grad_fn, first_new_node, self._storage)
    backend_of(self).copy(result, self)
    self._storage.version += 1
    if result._grad_fn is not None:
        from .views import rebase_history
        rebase_history(self, result)
    return self


def _keep_saved_values(node, first_new_node: int, storage) -> None:
    """The nodes made while computing an in-place result may have saved the values about
    to be overwritten: they get private copies (what torch saves as original_self)."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n is None or n._seq < first_new_node or id(n) in seen:
            continue
        seen.add(id(n))
        if n._saved and n._saved is not _function.FREED:
            n._saved = tuple(_private(e) if e.__class__ is tuple and e[0]._storage is storage
                             and not e[2] else e for e in n._saved)
        stack.extend(nxt for nxt, _ in n.next_functions)


def _private(entry):
    copy = cast_clone(entry[0])
    return copy, copy._storage.version, entry[2]


def cast_clone(t: Tensor) -> Tensor:
    out = _empty(t._shape, t._dtype, t.device)
    backend_of(t).copy(t, out)
    return out


def new_contiguous(shape: tuple, dtype, device=CPU) -> Tensor:
    return _empty(tuple(shape), dtype, device)


def normalize_dims(dim, ndim: int) -> tuple:
    """dim as int, tuple/list or None -> sorted tuple of wrapped dims (None: all)."""
    if dim.__class__ is int and -ndim <= dim < ndim:  # the common case, without wrap_dim
        return (dim % ndim,)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        w = wrap_dim(d, ndim)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return tuple(sorted(out))


def wrap_dim(dim: int, ndim: int) -> int:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if dim < lo or dim > hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return int(dim) % max(ndim, 1)


__all__ = ["contiguous_strides"]


# ---- one rounding for a * b + c (torch's CPU kernels use fused multiply-adds) -------------
# Veltkamp's splitter for float64: a * (2**27 + 1) cuts a's significand into two halves
# whose pairwise products are exact
_SPLITTER = 134217729.0


def fma(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """a * b + c rounded once, as a fused multiply-add in torch's float and double kernels
    (float32 and float64 tensors of one dtype)."""
    if a._dtype is D.float64:
        return fma64(a, b, c)
    # a product of float32s is exact in float64, so the float64 sum is the only other
    # rounding; it can only mislead the final one at an exact float32 tie
    return (a.double() * b.double() + c.double()).to(a._dtype)


def _split(a):
    c = a * _SPLITTER
    high = c - (c - a)
    return high, a - high


def fma64(a, b, c):
    """a * b + c in float64 rounded once, for float64 tensors or NumPy arrays alike."""
    # Dekker's exact product (p + e == a * b) and Knuth's exact sum (s + t == p + c): s plus
    # the two small remainders rounds as a true fused multiply-add does, but in rare
    # near-ties of the remainders
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    z = s - p
    t = (p - (s - z)) + (c - z)
    # an infinite or NaN operand (or a split past float64's range) leaves no remainder to add
    rest = t + e
    if isinstance(rest, np.ndarray):
        return s + np.nan_to_num(rest, nan=0.0, posinf=0.0, neginf=0.0)
    return s + rest.nan_to_num(0.0, 0.0, 0.0)
