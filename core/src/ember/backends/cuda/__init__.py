"""The CuPy backend (GPU): the same entry points as backends/cpu.py, on CUDA memory.

A CUDA tensor's storage is a 1-D CuPy array of the dtype's storage type (bfloat16 as
its raw uint16 bits). Kernels see operands as CuPy views with the tensor's shape and
strides, so any layout (broadcast, transposed, offset) runs without a copy.
Elementwise ops are ``cupy.ElementwiseKernel``s generated from the expression tables
of ``kernels.py``; fused nn ops, random numbers and index_put_ are raw kernels.
Nothing here falls back to the CPU: an op/dtype pair without a GPU kernel raises
NotImplementedError naming the op.

Example:
    >>> x = ember.randn(4, 4, device="cuda")      # needs CuPy and a GPU
    >>> (x @ x).sum().item()
"""

from __future__ import annotations

import contextlib
import math
import weakref

import numpy as np

from ... import _dtype as D
from ... import cuda as _ember_cuda  # CuPy through ember.cuda (imported on first use)
from ...cuda import sync_debug as _sync_debug
from ..._determinism import alert_not_deterministic
from ..._device import device as _device
from ..._errors import out_of_memory
from ...autograd.grad_mode import OPEN_INFERENCE_BLOCKS, making_inference_tensors
from . import cudnn_conv, stream_uses
from . import kernels as K
from .launch import launch as _raw_launch, launch_values, slot_layout
from .. import cudnn
from .sdp import (cudnn_sdp_enabled, enable_cudnn_sdp, enable_flash_sdp,  # noqa: F401
                  enable_math_sdp, enable_mem_efficient_sdp, flash_sdp_enabled,
                  is_flash_attention_available, math_sdp_enabled, mem_efficient_sdp_enabled,
                  preferred_linalg_library, sdp_kernel)

# ---- CuPy access -----------------------------------------------------------------


def _cp():
    return _ember_cuda.require()


class Storage:
    """CUDA memory of one or more tensors: ``data`` is a 1-D cupy array. Memory that
    ``alloc`` takes raw from CuPy's pool gets its array on first use: most tensors only
    ever need their address, and an array costs ~3 us more than the memory."""

    # __dict__ holds only an inference storage's flag (see cpu.Storage)
    __slots__ = ("_data", "_memory", "_numel", "_np_dtype", "version", "device", "ptr",
                 "__weakref__", "__dict__")
    inference = False

    def __init__(self, data, device: _device):
        self._data = data
        self._memory = None
        self.version = 0
        if OPEN_INFERENCE_BLOCKS[0] and making_inference_tensors():
            self.inference = True
        self.device = device
        self.ptr = data.data.ptr  # the device address, read once: CuPy makes an object per read

    @classmethod
    def raw(cls, memory, numel: int, np_dtype, device: _device) -> Storage:
        """Storage over a CuPy MemoryPointer of numel np_dtype elements."""
        s = cls.__new__(cls)
        s._data, s._memory, s._numel, s._np_dtype = None, memory, numel, np_dtype
        s.version = 0
        if OPEN_INFERENCE_BLOCKS[0] and making_inference_tensors():
            s.inference = True
        s.device = device
        s.ptr = memory.ptr
        return s

    @property
    def data(self):
        d = self._data
        if d is None:
            d = self._data = _cp().ndarray((self._numel,), self._np_dtype, memptr=self._memory)
        return d

    @property
    def nbytes(self) -> int:
        if self._data is None:
            return self._numel * self._np_dtype.itemsize
        return self._data.nbytes


def _index(device) -> int:
    if device is None or device.index is None:
        return _cp().cuda.Device().id
    return device.index


# the device context where there is one GPU: nothing to switch to or back from (entering
# and leaving CuPy's Device costs two CUDA calls per op)
_STAY = contextlib.nullcontext()
_CUDA0 = _device("cuda", 0)


_GPU_COUNT: dict = {}


def _one_gpu(cp) -> bool:
    """Whether CuPy sees one GPU: asked once (the count is fixed for the process's life),
    not at every op and allocation."""
    n = _GPU_COUNT.get(id(cp))
    if n is None:
        n = _GPU_COUNT[id(cp)] = cp.cuda.runtime.getDeviceCount()
    return n == 1


def alloc(numel: int, dtype, device=None) -> Storage:
    """Uninitialised storage of numel elements on device (CuPy's pool allocator); a full
    device raises ember.OutOfMemoryError."""
    cp = _cp()
    np_dtype = dtype.storage_np
    try:
        if _one_gpu(cp) and (device is None or not device.index):  # cuda:1 gets CUDA's error
            return Storage.raw(cp.cuda.alloc(numel * np_dtype.itemsize), numel, np_dtype,
                               _CUDA0)
        idx = _index(device)
        with cp.cuda.Device(idx):
            memory = cp.cuda.alloc(numel * np_dtype.itemsize)
    except Exception as exc:  # noqa: BLE001 - only CuPy's out-of-memory error is translated
        return _alloc_after_failure(exc, numel, np_dtype, device)
    return Storage.raw(memory, numel, np_dtype, _device("cuda", idx))


def _alloc_after_failure(exc: Exception, numel: int, np_dtype, device) -> Storage:
    """alloc's slow path once CuPy refused: memory held back only for streams that have
    since finished (Tensor.record_stream) is released and the allocation tried once more;
    still no room raises ember.OutOfMemoryError, any other error propagates."""
    cp = _cp()
    memory_module = getattr(cp.cuda, "memory", None)
    if not isinstance(exc, getattr(memory_module, "OutOfMemoryError", ())):
        raise exc
    idx = _index(device)
    if stream_uses.release_completed():
        _ember_cuda.memory.count(idx, "num_alloc_retries")
        try:
            with cp.cuda.Device(idx):
                memory = cp.cuda.alloc(numel * np_dtype.itemsize)
            return Storage.raw(memory, numel, np_dtype, _device("cuda", idx))
        except memory_module.OutOfMemoryError as again:
            exc = again
    _ember_cuda.memory.count(idx, "num_ooms")
    raise out_of_memory(numel * np_dtype.itemsize, idx, exc) from exc


def zeros_storage(numel: int, dtype, device=None) -> Storage:
    s = alloc(numel, dtype, device)
    s.data.fill(0)
    return s


def _on(t):
    cp = _cp()
    return _STAY if _one_gpu(cp) else cp.cuda.Device(t._storage.device.index)


# ---- views -------------------------------------------------------------------------

_VIEW_DTYPES = {name: np.dtype(t) for name, t in K.CUPY_NAME.items()}
# complex tensors are viewed as CuPy complex arrays; their kernels run on the parts
_VIEW_DTYPES.update(complex64=np.dtype(np.complex64), complex128=np.dtype(np.complex128))


def view(t, bits: bool = True):
    """A CuPy array aliasing t's elements (half types as uint16 bits when bits=True)."""
    cp = _cp()
    if t._dtype.name not in _VIEW_DTYPES:
        raise NotImplementedError(f"{t._dtype.name} tensors are not supported on CUDA yet")
    dt = _VIEW_DTYPES[t._dtype.name] if bits or t._dtype is D.bfloat16 else t._dtype.storage_np
    if t.numel() == 0:
        return cp.empty(t._shape, dt)
    item = t._dtype.itemsize
    base = t._storage.data
    if (t._offset == 0 and base.dtype == dt and base.size == t.numel() and
            t.is_contiguous()):
        # the whole storage in order (most tensors): no new ndarray from a raw pointer
        return base if len(t._shape) == 1 else base.reshape(t._shape)
    return cp.ndarray(t._shape, dt, memptr=base.data + t._offset * item,
                      strides=tuple(s * item for s in t._stride))


def _flat(t):
    """A raw kernel's pointer argument for t: the address of a contiguous tensor's first
    element as a uint64, which CuPy passes by value (making a CuPy array per operand cost
    microseconds of every launch); otherwise a contiguous CuPy copy, for inputs."""
    if t is None:
        return _NULL
    if t.is_contiguous():
        return np.uint64(t._storage.ptr + t._offset * t._dtype.itemsize)
    return view(t).reshape(-1)


_NULL = np.uint64(0)  # a null pointer argument for optional raw-kernel operands


def _contig(t):
    if t.is_contiguous():
        return t
    from ..._tensor import _empty
    out = _empty(t._shape, t._dtype, t.device)
    copy(t, out)
    return out


def plain(t):
    """t's values as a CuPy array in a dtype CuPy computes with (bfloat16 -> float32)."""
    if t._dtype is D.bfloat16:
        out = _cp().empty(t._shape, np.float32)
        _ew(K.copy_parts("bfloat16", "float32"))(view(t), out)
        return out
    return view(t, bits=False)


_NP_NAME = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64",
            np.dtype(np.float16): "float16", np.dtype(np.int8): "int8",
            np.dtype(np.int16): "int16", np.dtype(np.int32): "int32",
            np.dtype(np.int64): "int64", np.dtype(np.uint8): "uint8",
            np.dtype(np.bool_): "bool"}


def write(arr, out) -> None:
    """out[...] = arr (a CuPy array of out's shape), casting with ember's rules."""
    src = _NP_NAME.get(arr.dtype)
    if src is None:
        raise NotImplementedError(f"no CUDA cast from {arr.dtype}")
    if src == "float16":
        arr = arr.view(np.uint16)
    _ew(K.copy_parts(src, out._dtype.name))(arr, view(out))


# ---- kernel factories (memoized) -------------------------------------------------

_EW: dict = {}
_MODULES: dict = {}


def _ew(parts: K.Parts):
    """The ElementwiseKernel for parts; CuPy compiles it once per device and caches it."""
    k = _EW.get(parts.name)
    if k is None:
        k = _cp().ElementwiseKernel(parts.in_params, parts.out_params, parts.operation,
                                    parts.name, preamble=parts.preamble)
        _EW[parts.name] = k
    return k


_SOURCES = {"random": lambda: K.RANDOM_SOURCE, "put": lambda: K.PUT_SOURCE,
            "nn": K.nn_source, "scan": K.scan_source, "optim": lambda: K.OPTIM_SOURCE}


# the random module keeps the CPU's rounding: no FMA contraction (random.c is built so too)
_OPTIONS = {"random": ("-std=c++17", "--fmad=false")}


def _fn(module: str, name: str):
    """A raw kernel function, memoized per (device, module, name): CuPy's get_function
    asks the driver for the function again on every call."""
    cp = _cp()
    key = (0 if _one_gpu(cp) else cp.cuda.Device().id, module, name)
    fn = _MODULES.get(key)
    if fn is None:
        mod = _MODULES.get(key[:2])
        if mod is None:
            mod = _MODULES[key[:2]] = cp.RawModule(code=_SOURCES[module](),
                                                   options=_OPTIONS.get(module, ("-std=c++17",)))
        fn = _MODULES[key] = mod.get_function(name)
    return fn


_BLOCK = 256


def _launch(fn, n: int, args, block: int = _BLOCK) -> None:
    if n > 0:
        _raw_launch(_cp(), fn, ((n + block - 1) // block,), (block,), args)


def _memo(table: dict, key, make):
    hit = table.get(key)
    if hit is None:
        hit = table[key] = make()
    return hit


_PARTS: dict = {}


def _parts(kind: str, op: int, dtype, maker, opname: str):
    try:
        return _memo(_PARTS, (kind, op, dtype.name), lambda: maker(op, dtype.name))
    except NotImplementedError:
        raise NotImplementedError(f"{opname}: not implemented for '{dtype.name}' on CUDA") from None


# ---- elementwise -------------------------------------------------------------------

def copy(src, dst) -> None:
    """dst[...] = src, casting; src has dst's shape (expanded views allowed)."""
    if src._storage.device != dst._storage.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {src._storage.device} and {dst._storage.device}!")
    if dst.numel() == 0:
        return
    if src._dtype.is_complex or dst._dtype.is_complex:
        _copy_complex(src, dst)
        return
    with _on(dst):
        p = _memo(_PARTS, ("copy", src._dtype.name, dst._dtype.name),
                  lambda: K.copy_parts(src._dtype.name, dst._dtype.name))
        addresses = _dense_addresses(src, dst)
        if addresses:  # a cast or copy of a whole contiguous tensor (autocast's casts)
            _launch_vec(_vec(p), dst.numel(), dst._dtype.itemsize, addresses, ())
        else:
            _ew(p)(view(src), view(dst))


def _part(t, k: int):
    """The real (k=0) or imaginary (k=1) components of a complex tensor, as a real view."""
    from ..._tensor import Tensor
    return Tensor._make(t._storage, t._shape, tuple(2 * s for s in t._stride), 2 * t._offset + k,
                        t._dtype.to_real())


def _copy_complex(src, dst) -> None:
    """Complex copies through the real kernels, component by component: a real source
    gives zero imaginary parts; a real destination keeps the real parts (as torch)."""
    if not dst._dtype.is_complex:
        copy(_part(src, 0), dst)
        return
    copy(_part(src, 0) if src._dtype.is_complex else src, _part(dst, 0))
    if src._dtype.is_complex:
        copy(_part(src, 1), _part(dst, 1))
    else:
        fill(_part(dst, 1), 0)


def fill(dst, value) -> None:
    if dst.numel() == 0:
        return
    if dst._dtype.is_complex:
        value = complex(value)
        fill(_part(dst, 0), value.real)
        fill(_part(dst, 1), value.imag)
        return
    fv = float(value) if dst._dtype.is_floating_point else 0.0
    iv = 0 if dst._dtype.is_floating_point else int(value)
    with _on(dst):
        p = _memo(_PARTS, ("fill", 0, dst._dtype.name), lambda: K.fill_parts(dst._dtype.name))
        _ew(p)(np.float64(fv), np.int64(iv), view(dst))


def _vec(parts: K.Parts):
    """The 16-byte vector kernel of parts (K.contiguous_source), memoized with the others."""
    key = parts.name + "_vec"
    k = _EW.get(key)
    if k is None:
        k = _EW[key] = _cp().RawModule(code=K.contiguous_source(parts),
                                       options=("-std=c++17",)).get_function(key)
    return k


def _dense_addresses(*ts) -> list | None:
    """The operands' addresses (kernel arguments) when they share one shape and are
    contiguous with 16-byte aligned data, the case (most tensors) where the vector
    kernels apply; None otherwise."""
    shape = ts[0]._shape
    addresses = []
    for t in ts:
        address = t._storage.ptr + t._offset * t._dtype.itemsize
        if t._shape != shape or address % 16 or not t.is_contiguous():
            return None
        addresses.append(address)
    return addresses


def _launch_vec(fn, n: int, itemsize: int, addresses: list, scalars) -> None:
    """The vector kernel fn (_vec) over addresses (the inputs', then the output's) and n
    values of itemsize bytes."""
    vectors = max(1, n * itemsize // 16)
    grid = min((vectors + _BLOCK - 1) // _BLOCK, 1 << 16)  # the kernel loops past the grid
    layout = _memo(_VEC_LAYOUTS, (len(addresses), len(scalars)), lambda: slot_layout(
        "Q" * len(addresses) + "d" * len(scalars) + "q"))
    launch_values(_cp(), fn, (grid,), (_BLOCK,), layout, *addresses, *scalars, n)


_VEC_LAYOUTS: dict = {}  # (addresses, scalars) -> a vector kernel's slot layout


def unary(op: int, x, out, p0: float = 0.0, p1: float = 0.0, p2: float = 0.0, name="unary"):
    if out.numel() == 0:
        return
    with _on(out):
        parts = _parts("unary", op, x._dtype, K.unary_parts, name)
        addresses = _dense_addresses(x, out)
        if addresses:
            _launch_vec(_vec(parts), out.numel(), out._dtype.itemsize, addresses, (p0, p1, p2))
        else:
            _ew(parts)(view(x), np.float64(p0), np.float64(p1), np.float64(p2), view(out))


def _contiguous_op(kind: str, op: int, maker, name: str, inputs: tuple, scalars: tuple):
    """The vector kernel of (kind, op) over contiguous inputs of one shape and dtype, into
    new storage, on the one GPU; None where that kernel does not apply (several GPUs, an
    address off 16 bytes) and the general path takes the op."""
    if not _one_gpu(_cp()):
        return None
    dtype = inputs[0]._dtype
    addresses = []
    for t in inputs:
        address = t._storage.ptr + t._offset * dtype.itemsize
        if address % 16:
            return None
        addresses.append(address)
    n = math.prod(inputs[0]._shape)
    out = alloc(n, dtype)
    if n:
        addresses.append(out.ptr)
        fn = _CONTIGUOUS.get((kind, op, dtype))
        if fn is None:
            fn = _CONTIGUOUS[kind, op, dtype] = _vec(_parts(kind, op, dtype, maker, name))
        _launch_vec(fn, n, dtype.itemsize, addresses, scalars)
    return out


_CONTIGUOUS: dict = {}  # (kind, op, dtype) -> its vector kernel


def unary_contiguous(op: int, x, name="unary", p0: float = 0.0) -> Storage | None:
    """The fast path of unary(): x contiguous; the result's new storage, or None where the
    general path must take it (see _contiguous_op)."""
    return _contiguous_op("unary", op, K.unary_parts, name, (x,), (p0, 0.0, 0.0))


def binary_contiguous(op: int, a, b, name="binary") -> Storage | None:
    """The fast path of binary(): a and b contiguous with one shape and dtype; the result's
    new storage, or None where the general path must take it (see _contiguous_op)."""
    return _contiguous_op("binary", op, K.binary_parts, name, (a, b), (1.0,))


def pred(op: int, x, out, name="predicate"):
    if out.numel():
        with _on(out):
            _ew(_parts("pred", op, x._dtype, K.pred_parts, name))(view(x), view(out))


def binary(op: int, a, b, out, alpha: float = 1.0, name="binary"):
    if out.numel():
        with _on(out):
            parts = _parts("binary", op, a._dtype, K.binary_parts, name)
            addresses = _dense_addresses(a, b, out)
            if addresses:
                _launch_vec(_vec(parts), out.numel(), out._dtype.itemsize, addresses, (alpha,))
            else:
                _ew(parts)(view(a), view(b), np.float64(alpha), view(out))


def compare(op: int, a, b, out, name="compare"):
    if out.numel():
        with _on(out):
            _ew(_parts("compare", op, a._dtype, K.compare_parts, name))(view(a), view(b),
                                                                         view(out))


def where(cond, a, b, out):
    if out.numel():
        with _on(out):
            p = _memo(_PARTS, ("where", 0, out._dtype.name), lambda: K.where_parts(out._dtype.name))
            _ew(p)(view(cond), view(a), view(b), view(out))


def igamma(a, x, out, upper: bool) -> None:
    """out = P(a, x), or Q(a, x) when upper (float32/float64, one dtype)."""
    if out.numel():
        with _on(out):
            p = _memo(_PARTS, ("igamma", 0, out._dtype.name),
                      lambda: K.igamma_parts(out._dtype.name))
            _ew(p)(view(a), view(x), np.int64(upper), view(out))


def special(fn: int, operands: tuple, out) -> None:
    """out = torch.special's function fn (an EM_SF_* code of em_special_math.h) of one or two
    operands (float32/float64, out's dtype)."""
    if out.numel():
        with _on(out):
            arity = len(operands)
            p = _memo(_PARTS, ("special", arity, out._dtype.name),
                      lambda: K.special_parts(arity, out._dtype.name))
            _ew(p)(*(view(v) for v in operands), np.int64(fn), view(out))


# ---- reductions, scans, sorting ----------------------------------------------------

_EM_RSUM, _EM_RPROD, _EM_RMAX, _EM_RMIN, _EM_RALL, _EM_RANY, _EM_RNANSUM = range(7)


_SUM_BLOCKS = 1024  # the most partial sums a whole-tensor sum makes (at 8+ elements each)


def _sum_all(x, out) -> None:
    """out (0-d) = the sum of contiguous float x: two launches of our own kernels (each
    block's grid-strided share, then the partials), about a third of cupy.sum's host time
    plus the copy it needed into out."""
    n = x.numel()
    blocks = max(1, min(_SUM_BLOCKS, (n + _BLOCK * 8 - 1) // (_BLOCK * 8)))
    acc = 4 if x._dtype is not D.float64 else 8  # the compute type: float, or double
    partials = _cp().cuda.alloc(blocks * acc)
    _grid(_nn("sum_all", x), blocks, (_flat(x), np.int64(n), np.uint64(partials.ptr)))
    _grid(_nn("sum_partials", x), 1, (np.uint64(partials.ptr), np.int64(blocks), _flat(out)))


def reduce(op: int, x, reduce_dims: tuple, out) -> None:
    """out[kept] = op over x[kept, reduced]; out has the kept dims (keepdim squeezed)."""
    if (op == _EM_RSUM and out._shape == () and x._dtype.is_floating_point
            and x._dtype is out._dtype and x.numel() and x.is_contiguous()):
        with _on(out):
            _sum_all(x, out)
        return
    cp = _cp()
    with _on(out):
        v = plain(x)
        axis = tuple(reduce_dims)
        acc = None
        if op in (_EM_RSUM, _EM_RPROD, _EM_RNANSUM):
            acc = (np.float32 if x._dtype in (D.float16, D.bfloat16) else
                   np.int64 if not x._dtype.is_floating_point else None)
        if op == _EM_RSUM:
            r = cp.sum(v, axis=axis, dtype=acc)
        elif op == _EM_RNANSUM:
            r = cp.nansum(v, axis=axis, dtype=acc)
        elif op == _EM_RPROD:
            r = cp.prod(v, axis=axis, dtype=acc)
        elif op == _EM_RMAX:
            r = cp.max(v, axis=axis)
        elif op == _EM_RMIN:
            r = cp.min(v, axis=axis)
        elif op == _EM_RALL:
            r = cp.all(v, axis=axis)
        elif op == _EM_RANY:
            r = cp.any(v, axis=axis)
        else:
            raise NotImplementedError(f"reduce op {op} is not implemented on CUDA")
        write(cp.asarray(r).reshape(out._shape), out)


def arg_reduce(want_max: bool, x, dim: int, values, indices) -> None:
    """values/indices (contiguous, x's shape without dim) = max/min of x along dim."""
    cp = _cp()
    with _on(indices):
        v = plain(x)
        idx = cp.argmax(v, axis=dim) if want_max else cp.argmin(v, axis=dim)
        view(indices)[...] = idx.reshape(indices._shape)
        if values is not None:
            r = cp.take_along_axis(view(x), cp.expand_dims(idx, dim), axis=dim)
            view(values)[...] = r.reshape(values._shape)


_SCAN_NAMES = ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp")


def searchsorted(seq, values, out, right: bool) -> None:
    """out = insertion points of values' rows into seq's sorted rows (the CPU's contract)."""
    n = seq._shape[-1]
    m = values._shape[-1] if values._shape else 1
    total = values.numel()
    if total == 0:
        return
    seq_rows = max(1, seq.numel() // n) if n else 1
    with _on(out):
        _launch(_fn("scan", f"em_searchsorted_{seq._dtype.name}"), total,
                (_flat(seq), np.int64(seq_rows), np.int64(n), _flat(values), np.int64(total),
                 np.int64(m), np.int32(right), _flat(out)))


def scan(op: int, x, out, indices=None) -> None:
    """Scans contiguous rows along the last dim."""
    cp = _cp()
    n = x._shape[-1] if x._shape else 1
    rows = x.numel() // n if n else 0
    if rows == 0:
        return
    with _on(out):
        if op in (0, 1) and indices is None:
            v = plain(x).reshape(rows, n)
            acc = np.int64 if not x._dtype.is_floating_point else (
                np.float32 if x._dtype in (D.float16, D.bfloat16) else None)
            r = cp.cumsum(v, axis=1, dtype=acc) if op == 0 else cp.cumprod(v, axis=1, dtype=acc)
            write(r.reshape(out._shape), out)
            return
        if op == 4 and not x._dtype.is_floating_point:
            raise NotImplementedError(f"{_SCAN_NAMES[op]}: not implemented for "
                                      f"'{x._dtype.name}' on CUDA")
        fn = _fn("scan", f"em_scan_{x._dtype.name}")
        _launch(fn, rows, (np.int32(op), np.int64(rows), np.int64(n), _flat(x), _flat(out),
                           _flat(indices)))


def sort(x, values, indices, descending: bool) -> None:
    """Stable sort of contiguous rows along the last dim (NaN sorts as the largest)."""
    cp = _cp()
    n = x._shape[-1] if x._shape else 1
    rows = x.numel() // n if n else 0
    if rows == 0:
        return
    with _on(indices):
        v = plain(x).reshape(rows, n)
        if descending:
            # stable descending = reverse of a stable ascending sort of the reversed row
            r = cp.argsort(v[:, ::-1], axis=1)[:, ::-1]
            idx = (n - 1) - r
        else:
            idx = cp.argsort(v, axis=1)
        view(indices).reshape(rows, n)[...] = idx
        if values is not None:
            bits = view(x).reshape(rows, n)
            view(values).reshape(rows, n)[...] = cp.take_along_axis(bits, idx, axis=1)


# ---- gather / scatter through offsets ----------------------------------------------

def _check_offsets(offsets, size: int, op: str) -> None:
    if offsets.numel():
        o = view(offsets)
        if int(o.min()) < 0 or int(o.max()) >= size:
            raise IndexError(f"{op}: index out of range (offset outside the tensor's storage)")


def take(src, offsets, out) -> None:
    """out.flat[i] = src's storage[offsets[i]]; offsets is contiguous int64."""
    if out.numel() == 0:
        return
    with _on(out):
        _check_offsets(offsets, src._storage.data.size, "index")
        p = _memo(_PARTS, ("take", 0, src._dtype.name), lambda: K.take_parts(src._dtype.name))
        raw = src._storage.data
        raw = raw.view(_VIEW_DTYPES[src._dtype.name])
        _ew(p)(raw, view(offsets).reshape(out._shape), view(out))


def put(dst, offsets, values, accumulate: bool) -> None:
    """dst's storage[offsets[i]] = (or +=, with atomics) values.flat[i]."""
    n = offsets.numel()
    if n == 0:
        return
    if accumulate and (dst._dtype.is_floating_point or dst._dtype.is_complex):
        alert_not_deterministic("index_put_/index_add_/put_ with accumulation on CUDA")
    with _on(dst):
        _check_offsets(offsets, dst._storage.data.size, "index_put_")
        vals = _contig(values)
        raw = dst._storage.data.view(_VIEW_DTYPES[dst._dtype.name])
        fn = _fn("put", f"em_put_{dst._dtype.name}")
        _launch(fn, n, (raw, _flat(_contig(offsets)), _flat(vals), np.int64(n),
                        np.int32(bool(accumulate))))


# ---- random ----------------------------------------------------------------------

def _random(kernel: str, out, seed: int, counter: int, a: float, b: float) -> None:
    if out._dtype not in (D.float32, D.float64, D.float16, D.bfloat16):
        raise NotImplementedError(f"{kernel}: not implemented for '{out._dtype.name}' on CUDA")
    n = out.numel()
    if n == 0:
        return
    with _on(out):
        t = _contig(out)
        per = 2 if out._dtype is D.float64 else 4  # outputs per Philox block (one thread)
        _launch(_fn("random", kernel),
                (n + per - 1) // per, (np.int32(out._dtype.code), _flat(t), np.int64(n),
                    np.uint64(seed & 0xFFFFFFFFFFFFFFFF), np.uint64(counter & 0xFFFFFFFFFFFFFFFF),
                    np.float64(a), np.float64(b)))
        if t is not out:
            copy(t, out)


def random_uniform(out, seed: int, counter: int, low: float, high: float) -> None:
    """Philox4x32-10 uniforms laid out as the CPU's: the same numbers for the same seed."""
    _random("em_random_uniform", out, seed, counter, low, high)


def random_normal(out, seed: int, counter: int, mean: float, std: float) -> None:
    _random("em_random_normal", out, seed, counter, mean, std)


def _sampler(kernel: str, ins, out, *scalars) -> None:
    """A one-thread-per-element kernel of the random module over contiguous float32/float64
    operands of out's dtype (gamma, Poisson, binomial, the gamma gradient)."""
    n = out.numel()
    if n == 0:
        return
    with _on(out):
        _launch(_fn("random", kernel), n,
                (np.int32(out._dtype.code), *(_flat(t) for t in ins), _flat(out), np.int64(n),
                 *scalars))


def random_gamma(param, out, seed: int, counter: int) -> None:
    """Gamma(param, 1) samples into out (contiguous, float32/float64): element i draws from
    Philox counter counter + i, as the CPU's em_random_gamma."""
    _sampler("em_random_gamma", (param,), out, np.uint64(seed & 0xFFFFFFFFFFFFFFFF),
             np.uint64(counter & 0xFFFFFFFFFFFFFFFF))


def random_poisson(param, out, seed: int, counter: int) -> None:
    """Poisson(param) counts into out, laid out on the Philox stream as random_gamma."""
    _sampler("em_random_poisson", (param,), out, np.uint64(seed & 0xFFFFFFFFFFFFFFFF),
             np.uint64(counter & 0xFFFFFFFFFFFFFFFF))


def random_binomial(count, prob, out, seed: int, counter: int) -> None:
    """Binomial(count, prob) samples into out, laid out on the Philox stream as random_gamma."""
    _sampler("em_random_binomial", (count, prob), out, np.uint64(seed & 0xFFFFFFFFFFFFFFFF),
             np.uint64(counter & 0xFFFFFFFFFFFFFFFF))


def standard_gamma_grad(alpha, x, out) -> None:
    """d x / d alpha of Gamma(alpha, 1) samples x (all contiguous, out's float dtype)."""
    _sampler("em_standard_gamma_grad", (alpha, x), out)


def generator():
    from ..._generator import Generator
    return Generator("cuda")


# ---- matmul and transfers -------------------------------------------------------------

_tf32_state = [None]


def _apply_tf32(allow: bool) -> None:
    """Sets CuPy's float32 GEMM compute type: TF32 when allowed (matmul.allow_tf32 for
    matmuls, cudnn.allow_tf32 for convolutions, as torch splits them)."""
    want = bool(allow)
    if _tf32_state[0] is not want:
        from cupy._core import _routines_linalg as L
        L.set_compute_type(np.dtype(np.float32),
                           L.COMPUTE_TYPE_TF32 if want else L.COMPUTE_TYPE_FP32)
        _tf32_state[0] = want


# cudaDataType_t of each float dtype, and the cublasComputeType_t it accumulates in
_CUDA_TYPE = {"float32": 0, "float64": 1, "float16": 2, "bfloat16": 14}
_CUBLAS_COMPUTE_32F, _CUBLAS_COMPUTE_64F, _CUBLAS_COMPUTE_32F_FAST_TF32 = 68, 70, 77
_CUBLAS_GEMM_DEFAULT = -1


def _gemm_operand(t, batch: tuple):
    """(pointer, transposed?, ld, batch stride, keepalive) of t expanded to batch + matrix,
    as cuBLAS sees a row-major matrix; copies only layouts cuBLAS cannot address."""
    from ...ops._util import expand_to
    r, c = t._shape[-2:]
    t = expand_to(t, batch + (r, c))
    s0, s1 = t._stride[-2:]
    dims = [(n, st) for n, st in zip(batch, t._stride[:-2]) if n != 1]
    uniform = all(dims[i][1] == dims[i + 1][1] * dims[i + 1][0] for i in range(len(dims) - 1))
    if s1 == 1 and (s0 >= c or r == 1) and uniform:
        trans, ld = False, max(s0 if r > 1 else c, 1)
    elif s0 == 1 and (s1 >= r or c == 1) and uniform and c > 1:
        trans, ld = True, max(s1, r, 1)
    else:
        t = _contig(t)
        s0, dims = c, [(n, st) for n, st in zip(batch, t._stride[:-2]) if n != 1]
        trans, ld = False, max(c, 1)
    bstride = dims[-1][1] if dims else 0
    return t._storage.ptr + t._offset * t._dtype.itemsize, trans, ld, bstride, t


def _cublas():
    """CuPy's cuBLAS bindings (a function, so the host emulator can stand in for them)."""
    from cupy_backends.cuda.libs import cublas
    return cublas


def _gemm_ex(a, b, out) -> None:
    """out = a @ b with cublasGemmStridedBatchedEx: a and b are ember tensors whose batch
    dims broadcast to those of out (row-major matrices, any uniform batch stride); strided
    and transposed operands are read in place. The half types accumulate in float32,
    float32 uses TF32 where _apply_tf32 allowed it (as CuPy's own matmul does), float64
    stays float64.

    Row-major C (M, N) is column-major C^T (N, M), so cuBLAS computes C^T = B^T A^T."""
    cp = _cp()
    cublas = _cublas()
    batch = out._shape[:-2]
    M, N = out._shape[-2:]
    K = a._shape[-1]
    pa, ta, lda, sa, keep_a = _gemm_operand(a, batch)
    pb, tb, ldb, sb, keep_b = _gemm_operand(b, batch)
    pc, tc, ldc, sc, kept = _gemm_operand(out, batch)
    if tc or kept is not out:  # the result goes straight into out's memory
        raise RuntimeError("_gemm_ex writes into row-major matrices with uniform batch strides")
    count = 1
    for n in batch:
        count *= n
    kind = _CUDA_TYPE[out._dtype.name]
    if out._dtype is D.float64:
        compute, scalar = _CUBLAS_COMPUTE_64F, np.float64
    else:
        compute, scalar = _CUBLAS_COMPUTE_32F, np.float32
        if out._dtype is D.float32 and _tf32_state[0]:
            compute = _CUBLAS_COMPUTE_32F_FAST_TF32
    alpha, beta = np.ones(1, scalar), np.zeros(1, scalar)
    handle = cp.cuda.device.get_cublas_handle()
    cublas.setStream(handle, cp.cuda.get_current_stream().ptr)
    cublas.gemmStridedBatchedEx(
        handle, int(tb), int(ta), N, M, K, alpha.ctypes.data, pb, kind, ldb, sb, pa, kind,
        lda, sa, beta.ctypes.data, pc, kind, ldc, sc, count, compute, _CUBLAS_GEMM_DEFAULT)
    del keep_a, keep_b


def _gemm(a, b, out_shape, dtype):
    """cuBLAS GEMM: cupy.matmul (batch dims broadcast), and cublasGemmStridedBatchedEx
    for bfloat16, which CuPy has no dtype for."""
    from ..._tensor import _empty
    cp = _cp()
    if dtype is D.bool_:
        raise NotImplementedError("matmul: not implemented for 'bool' on CUDA")
    out = _empty(out_shape, dtype, a.device)
    if out.numel() == 0:
        return out
    with _on(out):
        _apply_tf32(matmul.allow_tf32)
        if dtype is D.bfloat16:
            if a._shape[-1] == 0:
                out._storage.data.fill(0)
            else:
                _gemm_ex(a, b, out)
        else:
            cp.matmul(view(a, bits=False), view(b, bits=False), out=view(out, bits=False))
    return out


# CPU storages in page-locked host memory (Tensor.pin_memory): the GPU copies from and into
# them asynchronously
_PINNED: weakref.WeakSet = weakref.WeakSet()


def pinned_storage(numel: int, dtype):
    """CPU storage of numel elements in page-locked memory from CuPy's pinned pool."""
    from .. import cpu
    memory = _cp().cuda.alloc_pinned_memory(max(numel * dtype.itemsize, 1))
    storage = cpu.Storage(np.ndarray((numel,), dtype.storage_np, buffer=memory))
    _PINNED.add(storage)
    return storage


def is_pinned(storage) -> bool:
    return storage in _PINNED


def transfer(x, dtype, device, non_blocking: bool = False):
    """x in dtype on device (a CPU <-> GPU or GPU <-> GPU copy); returns a new tensor. With
    non_blocking, a copy from pinned memory, and one to the CPU (into pinned memory), is
    queued on the current stream and returns at once, as in torch: synchronize before
    reading the CPU result."""
    from ..._tensor import Tensor, _empty, contiguous_strides
    from ...ops._util import cast
    from .. import cpu
    cp = _cp()
    if device.type == "cuda":
        idx = _index(device)
        device = _device("cuda", idx)
        out = _empty(x._shape, dtype, device)
        if x.device.type == "cpu":
            host = cast(x, dtype).contiguous()
            stream = cp.cuda.get_current_stream() if (
                non_blocking and is_pinned(host._storage)) else None
            with cp.cuda.Device(idx):
                if host.numel():
                    out._storage.data.set(np.ascontiguousarray(host._np()).reshape(-1),
                                          stream=stream)
            return out
        src = _contig(x)
        with cp.cuda.Device(idx):
            staged = cp.empty(src.numel(), src._dtype.storage_np)
            if src.numel():
                staged.data.copy_from_device(view(src).data, src.numel() * src._dtype.itemsize)
            tmp = Tensor._make(Storage(staged, device), x._shape, src._stride, 0, x._dtype)
            copy(tmp, out)
        return out
    if device.type != "cpu":
        raise NotImplementedError(f"transfer to {device} is not supported")
    if _sync_debug.mode and not non_blocking:
        _sync_debug.synchronizing("a copy from the GPU to the CPU")
    with _on(x):
        src = x
        if x._dtype is not dtype or not x.is_contiguous():
            src = _empty(x._shape, dtype, x.device)
            copy(x, src)
        if non_blocking:
            storage = pinned_storage(src.numel(), dtype)
            stream = cp.cuda.get_current_stream()
        else:
            storage, stream = cpu.alloc(src.numel(), dtype), None
        if src.numel():
            view(src).reshape(-1).get(out=storage.data.view(_VIEW_DTYPES[dtype.name]),
                                      stream=stream, blocking=not non_blocking)
    return Tensor._make(storage, x._shape, contiguous_strides(x._shape), 0, dtype)


def pin(x):
    """A copy of the CPU tensor x in page-locked memory (Tensor.pin_memory)."""
    from ..._tensor import Tensor, contiguous_strides
    from .. import cpu
    storage = pinned_storage(x.numel(), x._dtype)
    out = Tensor._make(storage, x._shape, contiguous_strides(x._shape), 0, x._dtype)
    if x.numel():
        cpu.copy(x, out)
    return out


# ---- fused nn kernels (contiguous operands, float dtypes) ------------------------------

def _nn(name: str, t):
    if not t._dtype.is_floating_point:
        raise NotImplementedError(f"{name}: not implemented for '{t._dtype.name}' on CUDA")
    return _fn("nn", f"em_{name}_{t._dtype.name}")


def _grid(fn, blocks: int, args) -> None:
    if blocks > 0:
        _raw_launch(_cp(), fn, (blocks,), (_BLOCK,), args)


def softmax(is_log: bool, x, outer: int, n: int, inner: int, y) -> None:
    with _on(y):
        _grid(_nn("softmax", x), outer * inner,
              (np.int32(is_log), _flat(x), np.int64(n), np.int64(inner), _flat(y)))


def softmax_backward(is_log: bool, y, gy, outer: int, n: int, inner: int, gx) -> None:
    with _on(gx):
        _grid(_nn("softmax_backward", y), outer * inner,
              (np.int32(is_log), _flat(y), _flat(gy), np.int64(n), np.int64(inner), _flat(gx)))


def cross_entropy(x, target, weight, ignore_index: int, label_smoothing: float, loss,
                  lse) -> None:
    """loss (B,) per row; lse (B, 2) holds (max, log-sum-exp of x - max) for backward."""
    cp = _cp()
    B, Kc = x._shape
    with _on(loss):
        bad = cp.zeros(1, np.int32)
        _grid(_nn("cross_entropy", x), B,
              (_flat(x), _flat(target), _flat(weight), np.int64(Kc), np.int64(ignore_index),
               np.float64(label_smoothing), _flat(loss), _flat(lse), bad))
        if int(bad[0]):
            raise IndexError("cross_entropy: index out of range (target out of bounds)")


def cross_entropy_backward(x, lse, target, weight, grad, ignore_index: int,
                           label_smoothing: float, gx) -> None:
    B, Kc = x._shape
    with _on(gx):
        wsum = float(plain(weight).sum()) if weight is not None and label_smoothing > 0 \
            else float(Kc)
        _grid(_nn("cross_entropy_backward", x), B,
              (_flat(x), _flat(lse), _flat(target), _flat(weight), _flat(grad), np.int64(Kc),
               np.int64(ignore_index), np.float64(label_smoothing), np.float64(wsum), _flat(gx)))


def layer_norm(x, w, b, eps: float, y, mean, rstd) -> None:
    M, N = x._shape
    with _on(y):
        _grid(_nn("layer_norm", x), M, (_flat(x), _flat(w), _flat(b), np.int64(N),
                                        np.float64(eps), _flat(y), _flat(mean), _flat(rstd)))


def layer_norm_backward(x, gy, w, mean, rstd, gx, gw, gb) -> None:
    M, N = x._shape
    with _on(x):
        if gx is not None:
            _grid(_nn("layer_norm_backward", x), M,
                  (_flat(x), _flat(gy), _flat(w), _flat(mean), _flat(rstd), np.int64(N),
                   _flat(gx)))
        if gw is not None or gb is not None:
            g = plain(gy)
            acc = np.float64 if x._dtype is D.float64 else np.float32
            if gw is not None:
                xh = (plain(x).astype(acc) - plain(mean).astype(acc)[:, None]) * \
                    plain(rstd).astype(acc)[:, None]
                write((g.astype(acc) * xh).sum(axis=0), gw)
            if gb is not None:
                write(g.sum(axis=0, dtype=acc), gb)


def _bn_grid(N: int, C: int, L: int) -> tuple:
    """(P, C) blocks for the per-channel reductions: about 1024 blocks in all, each of
    whose 8 warps gets at least one 1024-element segment of a row (kernels.py)."""
    segments = N * -(-L // 1024)
    return (max(1, min(-(-1024 // max(C, 1)), -(-segments // 8))), C)


def batch_norm_stats(x, mean, var, invstd, eps: float, running_mean, running_var,
                     momentum: float) -> None:
    """mean, biased var (Welford-merged in double) and 1 / sqrt(var + eps) per channel of
    x (N, C, L); the running statistics (or None) move towards them by momentum."""
    N, C, L = x._shape
    if C == 0:
        return
    grid = _bn_grid(N, C, L)
    with _on(x):
        cp = _cp()
        scratch = cp.empty(grid[0] * C * 3, np.float64)
        part = np.uint64(scratch.data.ptr)
        _raw_launch(cp, _nn("batch_norm_stats", x), grid, (_BLOCK,),
                    (_flat(x), np.int64(N), np.int64(C), np.int64(L), part))
        _launch(_nn("batch_norm_stats_finish", x), C,
                (part, np.int64(grid[0]), np.int64(C), np.float64(eps),
                 np.float64(momentum), _flat(mean), _flat(var), _flat(invstd),
                 _flat(running_mean), _flat(running_var)))


def batch_norm_apply(x, mean, invstd, w, b, y) -> None:
    N, C, L = x._shape
    with _on(x):
        _launch(_nn("batch_norm_apply", x), x.numel(),
                (_flat(x), _flat(mean), _flat(invstd), _flat(w), _flat(b), np.int64(C),
                 np.int64(L), np.int64(x.numel()), _flat(y)))


def batch_norm_backward(x, gy, mean, invstd, w, training: bool, gx, gw, gb) -> None:
    """gw, gb (the per-channel sums) and gx (which needs them) of x (N, C, L)."""
    N, C, L = x._shape
    if C == 0:
        return
    grid = _bn_grid(N, C, L)
    with _on(x):
        cp = _cp()
        scratch = cp.empty(grid[0] * C * 2 + 2 * C, np.float64)  # partials, then sums
        part = np.uint64(scratch.data.ptr)
        sums = np.uint64(scratch.data.ptr + grid[0] * C * 2 * 8)
        _raw_launch(cp, _nn("batch_norm_grad_sums", x), grid, (_BLOCK,),
                    (_flat(x), _flat(gy), _flat(mean), np.int64(N), np.int64(C),
                     np.int64(L), part))
        _launch(_nn("batch_norm_grad_finish", x), C,
                (part, np.int64(grid[0]), np.int64(C), _flat(invstd), sums, _flat(gw),
                 _flat(gb)))
        if gx is not None:
            grid_x = min(-(-x.numel() // _BLOCK), 1 << 16)  # the kernel loops past the grid
            _grid(_nn("batch_norm_backward", x), grid_x,
                  (_flat(x), _flat(gy), _flat(mean), _flat(invstd), _flat(w), sums,
                   np.int32(training), np.int64(N), np.int64(C), np.int64(L), _flat(gx)))


def _i32(*vals):
    return tuple(np.int32(v) for v in vals)


def _row_block(length: int) -> int:
    """Threads per block for kernels that give each block one row of `length` elements."""
    return max(32, min(_BLOCK, (length + 31) // 32 * 32))


def im2col(x, kernel, stride, padding, dilation, out_hw, cols) -> None:
    """cols (C*KH*KW, N, OH*OW) = the sliding windows of x (N, C, H, W)."""
    N, C, H, W = x._shape
    if cols.numel() == 0:
        return
    rows, block = cols.numel() // (out_hw[0] * out_hw[1]), _row_block(out_hw[0] * out_hw[1])
    with _on(x):
        _launch(_nn("im2col", x), rows * block,
                (_flat(x), np.int64(N), np.int64(C), np.int64(H), np.int64(W),
                 *_i32(*kernel, *stride, *padding, *dilation), np.int64(out_hw[0]),
                 np.int64(out_hw[1]), _flat(cols)), block)


def col2im(cols, x, kernel, stride, padding, dilation, out_hw) -> None:
    """x (N, C, H, W) = the sum of the window columns back at their positions."""
    N, C, H, W = x._shape
    if x.numel() == 0:
        return
    block = _row_block(H * W)
    with _on(x):
        _launch(_nn("col2im", x), N * C * block,
                (_flat(cols), np.int64(N), np.int64(C), np.int64(H), np.int64(W),
                 *_i32(*kernel, *stride, *padding, *dilation), np.int64(out_hw[0]),
                 np.int64(out_hw[1]), _flat(x)), block)


def max_pool2d(x, kernel, stride, padding, dilation, y, idx) -> None:
    """x (planes, H, W) -> y, idx (planes, OH, OW)."""
    P, H, W = x._shape
    with _on(x):
        _launch(_nn("max_pool2d", x), y.numel(),
                (_flat(x), np.int64(P), np.int64(H), np.int64(W),
                 *_i32(*kernel, *stride, *padding, *dilation), np.int64(y._shape[1]),
                 np.int64(y._shape[2]), _flat(y), _flat(idx)))


def max_pool_backward(gy, idx, gx) -> None:
    """gx (planes, in) = gy (planes, out) scattered to idx (atomics in the compute type)."""
    alert_not_deterministic("max_pool2d_backward_cuda")
    cp = _cp()
    P = gx._shape[0]
    with _on(gx):
        half = gx._dtype in (D.float16, D.bfloat16)
        acc = cp.zeros(gx.numel(), np.float32 if half else gx._dtype.storage_np)
        _launch(_nn("max_pool_backward", gy), gy.numel(),
                (_flat(gy), _flat(idx), np.int64(P), np.int64(gx.numel() // max(P, 1)),
                 np.int64(gy.numel() // max(P, 1)), acc))
        write(acc.reshape(gx._shape), gx)


def gather_planes(x, idx, y) -> None:
    """y (planes, out) = x (planes, in) at idx."""
    P = x._shape[0]
    with _on(x):
        _launch(_nn("gather_planes", x), y.numel(),
                (_flat(x), _flat(idx), np.int64(P), np.int64(x.numel() // max(P, 1)),
                 np.int64(y.numel() // max(P, 1)), _flat(y)))


def avg_pool2d(backward: bool, x, y, kernel, stride, padding, count_include_pad: bool,
               divisor_override: int) -> None:
    """forward: y = avg_pool(x); backward: x = its adjoint applied to y. (planes, H, W)."""
    P, H, W = x._shape
    name = "avg_pool2d_backward" if backward else "avg_pool2d"
    with _on(x):
        _launch(_nn(name, x), x.numel() if backward else y.numel(),
                (_flat(x), np.int64(P), np.int64(H), np.int64(W), *_i32(*kernel, *stride,
                                                                        *padding),
                 np.int32(count_include_pad), np.int32(divisor_override or 0),
                 np.int64(y._shape[1]), np.int64(y._shape[2]), _flat(y)))


def adaptive_pool2d(mode: int, x, y, idx=None) -> None:
    """mode 0 avg, 1 max (idx), 2 avg backward (x = adjoint of y). (planes, H, W)."""
    P, H, W = x._shape
    with _on(x):
        _launch(_nn("adaptive_pool2d", x), x.numel() if mode == 2 else y.numel(),
                (np.int32(mode), _flat(x), np.int64(P), np.int64(H), np.int64(W),
                 np.int64(y._shape[1]), np.int64(y._shape[2]), _flat(y), _flat(idx)))


# ---- convolution: cuDNN where it loads, else im2col + cuBLAS batched over groups -------
# The im2col path is the same decomposition as ops/conv.py's CPU path, with cuBLAS GEMMs.

def _cudnn(*operands):
    """cudnn_conv when cuDNN takes these operands, else None (a function, so the host
    emulator can stand it down)."""
    return cudnn_conv if cudnn_conv.usable(*operands) else None


def _conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _matrices(t, shape: tuple, stride: tuple = None):
    """A view of t's elements (from t's offset) as shape, with stride or contiguous."""
    from ..._tensor import Tensor, contiguous_strides
    return Tensor._make(t._storage, shape, stride or contiguous_strides(shape), t._offset,
                        t._dtype)


def _pointwise(kernel, stride, padding) -> bool:
    """A 1x1 kernel at stride 1 without padding: im2col would copy x as it is."""
    return tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and tuple(padding) == (0, 0)


def _conv_gemm(a, b, out) -> None:
    """One conv GEMM (batched over samples or groups) with convolution's TF32 flag."""
    if out.numel() == 0:
        return
    if a._shape[-1] == 0:  # an empty batch's weight gradient: a sum of nothing
        view(out)[...] = 0
        return
    _apply_tf32(cudnn.allow_tf32)
    _gemm_ex(a, b, out)


# The three conv passes share one layout: cols (C*KH*KW, N*OH*OW) holds the windows (rows
# (c, kh, kw), columns (n, oh, ow)), read in place as strided and transposed operands (no
# copies of cols). Without groups, the forward and input-gradient GEMMs batch over samples,
# so they read and write NCHW tensors directly; with groups they batch over the groups, on
# all N*OH*OW columns at once, and the NCHW side is transposed through a copy.

def conv_forward(x, w, stride, padding, dilation, groups):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C/groups, KH, KW)); contiguous x, w."""
    from ..._tensor import _empty
    N, C, H, W = x._shape
    OC, Cg, KH, KW = w._shape
    OH = _conv_out(H, KH, stride[0], padding[0], dilation[0])
    OW = _conv_out(W, KW, stride[1], padding[1], dilation[1])
    G, P, Kg = groups, OH * OW, Cg * KH * KW
    L = N * P
    y = _empty((N, OC, OH, OW), x._dtype, x.device)
    with _on(x):
        dnn = _cudnn(x, w, y)
        if dnn is not None and dnn.forward(_cp(), x, w, y, stride, padding, dilation):
            return y
        if G == 1 and _pointwise((KH, KW), stride, padding):  # x[n] is its own window matrix
            _conv_gemm(_matrices(w, (N, OC, C), (0, C, 1)), _matrices(x, (N, C, P)),
                       _matrices(y, (N, OC, P)))
            return y
        cols = _empty((C * KH * KW, L), x._dtype, x.device)
        im2col(x, (KH, KW), stride, padding, dilation, (OH, OW), cols)
        if G == 1:  # y[n] = w (OC, K) @ sample n's windows (K, P)
            _conv_gemm(_matrices(w, (N, OC, Kg), (0, Kg, 1)),
                       _matrices(cols, (N, Kg, P), (P, L, 1)), _matrices(y, (N, OC, P)))
        else:
            r = _empty((OC, L), x._dtype, x.device)
            _conv_gemm(_matrices(w, (G, OC // G, Kg)), _matrices(cols, (G, Kg, L)),
                       _matrices(r, (G, OC // G, L)))
            copy(_matrices(r, (N, OC, P), (P, L, 1)), _matrices(y, (N, OC, P)))
    return y


def _channels_first(x):
    """x (N, C, ...) as a contiguous (C, N * rest) tensor: the GEMMs' column order."""
    from ..._tensor import _empty
    N, C = x._shape[:2]
    P = x.numel() // max(N * C, 1)
    out = _empty((C, N * P), x._dtype, x.device)
    copy(_matrices(x, (C, N, P), (P, C * P, 1)), _matrices(out, (C, N, P)))
    return out


def conv_transpose_forward(x, w, stride, padding, dilation, groups, out_hw):
    """The adjoint of conv_forward (the input gradient): x (N, C, H, W), w (C, OC/g, KH, KW)."""
    from ..._tensor import _empty
    N, C, H, W = x._shape
    _, OCg, KH, KW = w._shape
    G, Cg, L = groups, C // groups, N * H * W
    OC = OCg * G
    y = _empty((N, OC) + tuple(out_hw), x._dtype, x.device)
    with _on(x):
        dnn = _cudnn(x, w, y)
        if dnn is not None and dnn.backward_data(_cp(), x, w, y, stride, padding, dilation):
            return y
        Kg, P = OCg * KH * KW, H * W
        if G == 1 and _pointwise((KH, KW), stride, padding) and tuple(out_hw) == (H, W):
            # a 1x1 kernel's windows are the pixels: y[n] = w^T (OC, C) @ x[n] (C, P)
            _conv_gemm(_matrices(w, (N, OC, C), (0, 1, OC)), _matrices(x, (N, C, P)),
                       _matrices(y, (N, OC, P)))
            return y
        cols = _empty((OC * KH * KW, L), x._dtype, x.device)
        if G == 1:  # sample n's windows (K, P) = w^T (K, C) @ x[n] (C, P)
            _conv_gemm(_matrices(w, (N, Kg, C), (0, 1, Kg)), _matrices(x, (N, C, P)),
                       _matrices(cols, (N, Kg, P), (P, L, 1)))
        else:
            _conv_gemm(_matrices(w, (G, Kg, Cg), (Cg * Kg, 1, Kg)),  # each group's w^T
                       _matrices(_channels_first(x), (G, Cg, L)), _matrices(cols, (G, Kg, L)))
        col2im(cols, y, (KH, KW), stride, padding, dilation, (H, W))
    return y


def conv_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """gw (OC, C/groups, KH, KW) = d<g, conv(x, w)>/dw."""
    from ..._tensor import _empty
    N, C, H, W = x._shape
    _, OC, OH, OW = g._shape
    KH, KW = kernel
    G, Cg, L = groups, C // groups, N * OH * OW
    Kg = Cg * KH * KW
    gw = _empty((OC, Cg, KH, KW), x._dtype, x.device)
    with _on(x):
        dnn = _cudnn(x, g, gw)
        if dnn is not None and dnn.backward_filter(_cp(), x, g, gw, stride, padding,
                                                   dilation):
            return gw
        cols = _empty((C * KH * KW, L), x._dtype, x.device)
        im2col(x, (KH, KW), stride, padding, dilation, (OH, OW), cols)
        _conv_gemm(_matrices(_channels_first(g), (G, OC // G, L)),
                   _matrices(cols, (G, L, Kg), (Kg * L, 1, L)),  # cols^T per group
                   _matrices(gw, (G, OC // G, Kg)))
    return gw


# ---- fused optimizer steps (contiguous float32/float64) ---------------------------------

def _opt(name: str, param):
    if param._dtype not in (D.float32, D.float64):
        raise NotImplementedError(f"{name}: not implemented for '{param._dtype.name}' on CUDA")
    return _fn("optim", f"em_{name}_{'float' if param._dtype is D.float32 else 'double'}")


_SCALAR_OF_C = {"double": np.float64, "int": np.int32, "long long": np.int64}
# each optimizer step's scalar types, read off its kernel signature
_OPT_SCALAR_TYPES = {step: tuple(_SCALAR_OF_C[" ".join(decl.split()[:-1])]
                                 for decl in signature.split(","))
                     for step, (signature, _) in K.OPTIM_UPDATES.items()}


def _opt_scalars(step: str, values: tuple) -> tuple:
    """An optimizer step's scalar arguments in the C types of its kernel's signature."""
    return tuple(kind(v) for kind, v in zip(_OPT_SCALAR_TYPES[step], values))


def _step(step: str, tensors: tuple, values: tuple) -> None:
    """The per-tensor kernel of a fused optimizer step: tensors are the parameter, its
    gradient and its state buffers (None: unused), contiguous, of one float dtype."""
    param = tensors[0]
    pointers = [_flat(t) for t in tensors] + [_NULL] * (K.TENSOR_LIST_COLUMNS - len(tensors))
    with _on(param):
        _launch(_opt(step, param), param.numel(),
                (np.int64(param.numel()), *pointers, *_opt_scalars(step, values)))


def _step_lists(step: str, columns: tuple, values: tuple) -> None:
    """The multi-tensor kernel of a fused optimizer step over columns (equally long lists:
    parameters, gradients, state buffers; None entries are null pointers) of one float
    dtype on one device, K.TENSOR_LIST tensors a launch, each list passed by value as an
    EmTensorList (pointer columns a..e, then the parameters' sizes): one launch instead
    of one per tensor."""
    cp = _cp()
    params = columns[0]
    fn = _opt(step + "_multi", params[0])
    scalars = _opt_scalars(step, values)
    with _on(params[0]):
        for start in range(0, len(params), K.TENSOR_LIST):
            table = np.zeros((K.TENSOR_LIST_COLUMNS + 1, K.TENSOR_LIST), np.uint64)
            chunk = [column[start:start + K.TENSOR_LIST] for column in columns]
            for row, tensors in enumerate(chunk):
                table[row, :len(tensors)] = [
                    0 if t is None else t._storage.ptr + t._offset * t._dtype.itemsize
                    for t in tensors]
            sizes = [t.numel() for t in chunk[0]]
            table[-1, :len(sizes)] = sizes
            blocks = min(max(-(-max(sizes) // _BLOCK), 1), 1024)  # the kernel loops past it
            _raw_launch(cp, fn, (blocks, len(sizes)), (_BLOCK,), (table.tobytes(), *scalars))


# the CPU backend's fused optimizer steps (backends/cpu.py), and their multi-tensor forms
def sgd_step(param, grad, buf, *scalars) -> None:
    _step("sgd_step", (param, grad, buf), scalars)


def sgd_step_multi(params, grads, bufs, *scalars) -> None:
    _step_lists("sgd_step", (params, grads, bufs), scalars)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *scalars) -> None:
    _step("adam_step", (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq), scalars)


def adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *scalars) -> None:
    _step_lists("adam_step", (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs), scalars)


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buf, *scalars) -> None:
    _step("rmsprop_step", (param, grad, square_avg, grad_avg, momentum_buf), scalars)


def rmsprop_step_multi(params, grads, square_avgs, grad_avgs, momentum_bufs,
                       *scalars) -> None:
    _step_lists("rmsprop_step", (params, grads, square_avgs, grad_avgs, momentum_bufs),
                scalars)


def adagrad_step(param, grad, state_sum, *scalars) -> None:
    _step("adagrad_step", (param, grad, state_sum), scalars)


def adagrad_step_multi(params, grads, state_sums, *scalars) -> None:
    _step_lists("adagrad_step", (params, grads, state_sums), scalars)


class _Matmul:
    """The GEMM entry point, also ``ember.backends.cuda.matmul`` of torch's flags.

    Example:
        >>> ember.backends.cuda.matmul.allow_tf32 = True   # float32 GEMMs in TF32
    """

    allow_tf32 = False  # off by default, as in torch
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    def __call__(self, a, b, out_shape, dtype):
        return _gemm(a, b, out_shape, dtype)


matmul = _Matmul()


def empty_cache() -> None:
    from ...cuda import empty_cache as _empty_cache
    _empty_cache()


def from_dlpack(ext):
    """A CUDA tensor sharing memory with a DLPack producer on a GPU (through CuPy)."""
    from ..._dtype import from_numpy_dtype
    from ..._tensor import Tensor
    cp = _cp()
    arr = cp.from_dlpack(ext)
    dtype = from_numpy_dtype(arr.dtype)
    item = arr.itemsize
    if any(s < 0 or s % item for s in arr.strides):
        raise BufferError("from_dlpack: negative or unaligned strides are not supported")
    span = 1 + sum((n - 1) * s // item for n, s in zip(arr.shape, arr.strides)) if arr.size else 0
    flat = cp.ndarray((span,), arr.dtype, memptr=arr.data, strides=(item,))
    storage = Storage(flat, _device("cuda", arr.device.id))
    return Tensor._make(storage, tuple(arr.shape), tuple(s // item for s in arr.strides), 0,
                        dtype)
