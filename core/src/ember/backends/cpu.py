"""The bridge to ember._C: storages, pointer and stride marshalling, status codes.

Everything here takes already-validated tensors: ops check shapes, dtypes and
indices in Python, raise torch's exceptions, and only then call in. The C side
checks again where it is cheap (bounds of offsets, dims, dtypes).
"""

from __future__ import annotations

from sys import getrefcount

import math
import mmap
import os
import tempfile
import weakref

import numpy as np

from .._C import ffi, lib
from .._device import CPU
from ..autograd.grad_mode import OPEN_INFERENCE_BLOCKS, making_inference_tensors

_ERRORS = {
    lib.EM_EINVAL: RuntimeError,
    lib.EM_ENOMEM: MemoryError,
    lib.EM_EINDEX: IndexError,
    lib.EM_EDTYPE: TypeError,
    lib.EM_EOP: RuntimeError,
    lib.EM_EZERODIV: ZeroDivisionError,
}
_REASONS = {
    lib.EM_EINVAL: "invalid argument",
    lib.EM_ENOMEM: "out of memory",
    lib.EM_EINDEX: "index out of range",
    lib.EM_EDTYPE: "not implemented for this dtype",
    lib.EM_EOP: "unknown operation",
    lib.EM_EZERODIV: "integer division by zero",
}


def check(status: int, op: str, detail: str = "") -> None:
    """Turns a C status code into the matching Python exception."""
    if status:
        raise _ERRORS.get(status, RuntimeError)(
            f"{op}: {_REASONS.get(status, 'error')}" + (f" ({detail})" if detail else ""))


class Storage:
    """A flat buffer of elements owned by one or more tensors (views share it).

    ``version`` counts in-place writes; autograd compares it to detect saved
    tensors that were modified before backward. Buffers that ember allocated go
    back to a cache when their last tensor dies (see alloc). ``inference`` marks memory
    made under ember.inference_mode: every tensor over it is an inference tensor.
    """

    # __dict__ holds only an inference storage's flag: a normal storage (nearly all) reads
    # the class's False and costs no store when it is made
    __slots__ = ("data", "ptr", "version", "_cached", "__weakref__", "__dict__")
    inference = False

    device = CPU

    def __init__(self, data: np.ndarray):
        self.data = data  # 1-D, contiguous, in the dtype's storage type
        self.ptr = ffi.from_buffer("char[]", data, require_writable=False)
        self.version = 0
        if OPEN_INFERENCE_BLOCKS[0] and making_inference_tensors():
            self.inference = True
        self._cached = None  # the cache key; memory we do not own (from_numpy) has none

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def __del__(self):
        # Only when nothing else sees the buffer: a NumPy view made by .numpy()
        # holds a reference to it and keeps it out of the cache.
        key = self._cached
        if key is not None and getrefcount(self.data) <= _FREE_REFCOUNT:
            lst = _CACHE.pop(key, None)
            if lst is None:
                lst = []
            _CACHE[key] = lst  # the most recently freed size goes last
            if len(lst) < _CACHE_PER_KEY:
                if _cache_bytes[0] + key[0] > _CACHE_LIMIT:
                    _evict_for(key)
                if _cache_bytes[0] + key[0] <= _CACHE_LIMIT:
                    lst.append((self.data, self.ptr))
                    _cache_bytes[0] += key[0]


# ---- the caching allocator -----------------------------------------------------
# Fresh memory from the OS is zero-filled page by page on first touch: writing a
# new 64 MB result costs more than computing it. Like PyTorch's CUDA allocator,
# freed buffers are kept (by exact size and type) and handed to the next request.

_CACHE: dict = {}
_CACHE_LIMIT = 1 << 30  # bytes kept at most
_CACHE_PER_KEY = 8
_cache_bytes = [0]


def _evict_for(key) -> None:
    """Drops the buffers of the sizes freed longest ago until key's buffer fits: a
    workload that changes shapes (another model, another batch size) gets the cache
    instead of page-faulting past a cache full of sizes it no longer uses."""
    for old in list(_CACHE):
        if _cache_bytes[0] + key[0] <= _CACHE_LIMIT or old == key:
            return
        _cache_bytes[0] -= old[0] * len(_CACHE.pop(old))


def empty_cache() -> None:
    """Returns every cached buffer to the system."""
    _CACHE.clear()
    _cache_bytes[0] = 0


_new_storage = object.__new__


def alloc(numel: int, dtype) -> Storage:
    key = (numel * dtype.itemsize, dtype.storage_np)
    lst = _CACHE.get(key)
    if lst:
        s = _new_storage(Storage)
        s.data, s.ptr = lst.pop()
        s.version = 0
        if OPEN_INFERENCE_BLOCKS[0] and making_inference_tensors():
            s.inference = True
        _cache_bytes[0] -= key[0]
    else:
        s = Storage(np.empty(numel, key[1]))
    s._cached = key
    return s


# ---- shared memory (Tensor.share_memory_, ember.multiprocessing) -----------------------
# torch's "file_descriptor" strategy: the memory is an unlinked file in RAM, alive while a
# mapping or a descriptor of it is, so nothing is left behind; other processes get a
# duplicate of the descriptor (ember.multiprocessing sends it), a forked child the mapping.

_SHARED_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
_shared_fds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Storage -> its fd


def share(storage: Storage) -> int:
    """Moves storage's elements into shared memory, in place (every tensor over it keeps
    seeing them); returns the descriptor another process maps them by (from_shared)."""
    fd = _shared_fds.get(storage)
    if fd is None:
        fd, path = tempfile.mkstemp(prefix="ember_shm_", dir=_SHARED_DIR)
        os.unlink(path)
        os.ftruncate(fd, max(storage.data.nbytes, 1))
        data = _map(fd, storage.data.size, storage.data.dtype)
        data[...] = storage.data
        storage.data, storage.ptr = data, ffi.from_buffer("char[]", data)
        storage._cached = None  # never back into the allocator's cache
        _keep_fd(storage, fd)
    return fd


def from_shared(fd: int, numel: int, np_dtype) -> Storage:
    """A storage over the shared memory that descriptor fd (this process's own) holds."""
    storage = Storage(_map(fd, numel, np.dtype(np_dtype)))
    _keep_fd(storage, fd)
    return storage


def is_shared(storage) -> bool:
    return storage in _shared_fds


def map_file(filename: str, numel: int, np_dtype, shared: bool) -> Storage:
    """A storage over the first numel elements of a file, memory-mapped: shared, writes
    reach the file (grown to fit where shorter) and other processes mapping it; private,
    writes stay in this process (copy on write) and the file must be long enough."""
    nbytes = numel * np_dtype.itemsize
    flags = os.O_RDWR | os.O_CREAT if shared else os.O_RDONLY
    try:
        fd = os.open(filename, flags, 0o600)
    except OSError as exc:
        mode = "read-write" if shared else "read-only"
        raise RuntimeError(f"unable to open file <{filename}> in {mode} mode: "
                           f"{exc.strerror} ({exc.errno})") from exc
    size = os.fstat(fd).st_size
    if size < nbytes:
        if not shared:
            os.close(fd)
            raise RuntimeError(f"file <{filename}> size <{size}> is smaller than the required "
                               f"mapping size <{nbytes}>")
        os.ftruncate(fd, nbytes)
    if not shared:
        data = np.frombuffer(mmap.mmap(fd, nbytes, access=mmap.ACCESS_COPY), np_dtype, numel)
        os.close(fd)  # a private mapping outlives its descriptor
        return Storage(data)
    storage = Storage(_map(fd, numel, np_dtype))
    _keep_fd(storage, fd)  # is_shared, and other processes receive the file's descriptor
    return storage


def _map(fd: int, numel: int, np_dtype) -> np.ndarray:
    return np.frombuffer(mmap.mmap(fd, max(numel * np_dtype.itemsize, 1)), np_dtype, numel)


def _keep_fd(storage: Storage, fd: int) -> None:
    _shared_fds[storage] = fd
    weakref.finalize(storage, os.close, fd)


def zeros_storage(numel: int, dtype) -> Storage:
    s = alloc(numel, dtype)
    if dtype.is_complex:  # zero the (real, imag) pairs as reals
        dtype, numel = dtype.to_real(), 2 * numel
    if numel:
        check(lib.em_fill(dtype.code, 1, ffi.new(_I64, [numel]), s.ptr, ffi.new(_I64, [1]),
                          0.0, 0), "zeros")
    return s


def _probe_refcount() -> int:
    s = Storage(np.empty(1, np.uint8))
    return getrefcount(s.data)


_FREE_REFCOUNT = _probe_refcount()


# ---- marshalling ------------------------------------------------------------

_LAYOUTS: dict = {}
_I64 = "int64_t[]"


def _layout(shape: tuple, strides: tuple):
    """Coalesces dims for a loop over `shape` with one stride tuple per operand.

    Size-1 dims are dropped and neighbouring dims merge where every operand steps
    through them as one, so a contiguous tensor of any shape runs as one flat loop.
    Returns (ndim, shape array, stride arrays); cached, since shapes repeat.
    """
    key = (shape, strides)
    hit = _LAYOUTS.get(key)
    if hit is not None:
        return hit
    dims = [(n, [s[d] for s in strides]) for d, n in enumerate(shape) if n != 1]
    merged = []
    for n, st in dims:
        if merged:
            pn, pst = merged[-1]
            if all(ps == s * n for ps, s in zip(pst, st)):
                merged[-1] = (pn * n, st)
                continue
        merged.append((n, st))
    if not merged or any(n == 0 for n, _ in merged):
        merged = [(0 if any(n == 0 for n in shape) else 1, [0] * len(strides))]
    ndim = len(merged)
    result = (ndim, ffi.new(_I64, [n for n, _ in merged]),
              tuple(ffi.new(_I64, [st[k] for _, st in merged]) for k in range(len(strides))))
    if len(_LAYOUTS) > 8192:
        _LAYOUTS.clear()
    _LAYOUTS[key] = result
    return result


def ptr(t):
    """The address of t's first element, for the C kernels: CPU tensors only (a device
    address would be read as host memory)."""
    if t._storage.__class__ is not Storage:
        if t.is_sparse:
            from .._sparse_coo_tensor import unsupported
            raise unsupported("This dense tensor operation")
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, cpu and {t.device}!")
    return t._storage.ptr + t._offset * t._dtype.itemsize


_FLAT: dict = {}


def flat_layout(numel: int):
    """(shape, unit strides) arrays for a 1-D loop of numel elements; cached."""
    hit = _FLAT.get(numel)
    if hit is None:
        hit = (ffi.new(_I64, [numel]), ffi.new(_I64, [1]))
        if len(_FLAT) < 4096:
            _FLAT[numel] = hit
    return hit


def _flat_of_shape(shape: tuple):
    """(numel, shape, unit strides) for a 1-D loop over a contiguous tensor; cached by shape."""
    hit = _FLAT_BY_SHAPE.get(shape)
    if hit is None:
        numel = math.prod(shape)
        hit = (numel,) + flat_layout(numel)
        if len(_FLAT_BY_SHAPE) < 4096:
            _FLAT_BY_SHAPE[shape] = hit
    return hit


_FLAT_BY_SHAPE: dict = {}


def binary_contiguous(op: int, a, b, name="binary") -> Storage:
    """The fast path of binary(): a and b contiguous with one shape and dtype; returns the
    result's new storage."""
    numel, shp, unit = _flat_of_shape(a._shape)
    dtype = a._dtype
    out = alloc(numel, dtype)
    pa = a._storage.ptr + a._offset * dtype.itemsize if a._offset else a._storage.ptr
    pb = b._storage.ptr + b._offset * dtype.itemsize if b._offset else b._storage.ptr
    status = lib.em_binary(op, dtype.code, 1, shp, pa, unit, pb, unit, out.ptr, unit, 1.0)
    if status:
        check(status, name, f"dtype {dtype.name}")
    return out


def unary_contiguous(op: int, x, name="unary", p0: float = 0.0) -> Storage:
    """The fast path of unary(): x contiguous; returns the result's new storage."""
    numel, shp, unit = _flat_of_shape(x._shape)
    dtype = x._dtype
    out = alloc(numel, dtype)
    px = x._storage.ptr + x._offset * dtype.itemsize if x._offset else x._storage.ptr
    status = lib.em_unary(op, dtype.code, 1, shp, px, unit, out.ptr, unit, p0, 0.0, 0.0)
    if status:
        check(status, name, f"dtype {dtype.name}")
    return out


def i64(values) -> object:
    return ffi.new(_I64, list(values))


# ---- elementwise ------------------------------------------------------------

def _pairs(t):
    """A complex tensor's memory as reals with a last dim of 2 (view_as_real, no autograd)."""
    return t._make(t._storage, t._shape + (2,), tuple(2 * s for s in t._stride) + (1,),
                   2 * t._offset, t._dtype.to_real())


def _part(t, k: int):
    """The real (k=0) or imaginary (k=1) parts of a complex tensor, as a strided view."""
    return t._make(t._storage, t._shape, tuple(2 * s for s in t._stride), 2 * t._offset + k,
                   t._dtype.to_real())


def copy(src, dst) -> None:
    """dst[...] = src, casting; src has dst's shape (expanded views allowed).

    Complex values copy as pairs of reals; real -> complex zeroes the imaginary parts
    and complex -> real keeps the real parts (as torch, which warns about it)."""
    if src._dtype.is_complex or dst._dtype.is_complex:
        if src._dtype.is_complex and dst._dtype.is_complex:
            copy(_pairs(src), _pairs(dst))
        elif dst._dtype.is_complex:
            copy(src, _part(dst, 0))
            fill(_part(dst, 1), 0.0)
        else:
            copy(_part(src, 0), dst)
        return
    ndim, shp, (ss, ds) = _layout(dst._shape, (src._stride, dst._stride))
    check(lib.em_copy(src._dtype.code, dst._dtype.code, ndim, shp, ptr(src), ss, ptr(dst), ds),
          "copy_")


def fill(dst, value) -> None:
    if dst._dtype.is_complex:
        value = complex(value)
        fill(_part(dst, 0), value.real)
        fill(_part(dst, 1), value.imag)
        return
    ndim, shp, (ds,) = _layout(dst._shape, (dst._stride,))
    if dst._dtype.is_floating_point:
        status = lib.em_fill(dst._dtype.code, ndim, shp, ptr(dst), ds, float(value), 0)
    else:
        status = lib.em_fill(dst._dtype.code, ndim, shp, ptr(dst), ds, 0.0, int(value))
    check(status, "fill_")


def unary(op: int, x, out, p0: float = 0.0, p1: float = 0.0, p2: float = 0.0, name="unary"):
    ndim, shp, (xs, ys) = _layout(out._shape, (x._stride, out._stride))
    check(lib.em_unary(op, x._dtype.code, ndim, shp, ptr(x), xs, ptr(out), ys, p0, p1, p2),
          name, f"dtype {x._dtype.name}")


def pred(op: int, x, out, name="predicate"):
    ndim, shp, (xs, ys) = _layout(out._shape, (x._stride, out._stride))
    check(lib.em_pred(op, x._dtype.code, ndim, shp, ptr(x), xs, ptr(out), ys), name)


def binary(op: int, a, b, out, alpha: float = 1.0, name="binary"):
    ndim, shp, (as_, bs, ys) = _layout(out._shape, (a._stride, b._stride, out._stride))
    check(lib.em_binary(op, a._dtype.code, ndim, shp, ptr(a), as_, ptr(b), bs, ptr(out), ys,
                        alpha), name, f"dtype {a._dtype.name}")


def compare(op: int, a, b, out, name="compare"):
    ndim, shp, (as_, bs, ys) = _layout(out._shape, (a._stride, b._stride, out._stride))
    check(lib.em_compare(op, a._dtype.code, ndim, shp, ptr(a), as_, ptr(b), bs, ptr(out), ys),
          name)


def where(cond, a, b, out):
    ndim, shp, (cs, as_, bs, ys) = _layout(
        out._shape, (cond._stride, a._stride, b._stride, out._stride))
    check(lib.em_where(out._dtype.code, ndim, shp, ptr(cond), cs, ptr(a), as_, ptr(b), bs,
                       ptr(out), ys), "where")


# ---- reductions, scans, sorting ---------------------------------------------

def reduce(op: int, x, reduce_dims: tuple, out) -> None:
    """out[kept] = op over x[kept, reduced]; out has the kept dims (keepdim squeezed)."""
    key = (x._shape, x._stride, reduce_dims, out._stride)
    args = _REDUCE_LAYOUTS.get(key)
    if args is None:
        args = _reduce_layout(*key)
        if len(_REDUCE_LAYOUTS) > 4096:
            _REDUCE_LAYOUTS.clear()
        _REDUCE_LAYOUTS[key] = args
    check(lib.em_reduce(op, x._dtype.code, *args, ptr(x), ptr(out), 0.0), "reduce")


def _reduce_layout(shape: tuple, strides: tuple, reduce_dims: tuple, out_strides: tuple):
    """em_reduce's layout arguments: the kept dims coalesced with out's strides, then the
    reduced dims coalesced."""
    kept = [d for d in range(len(shape)) if d not in reduce_dims]
    oshape = tuple(shape[d] for d in kept)
    n_out, o_shp, (o_xs, o_ys) = _layout(oshape, (tuple(strides[d] for d in kept), out_strides))
    n_red, r_shp, (r_xs,) = _layout(tuple(shape[d] for d in reduce_dims),
                                    (tuple(strides[d] for d in reduce_dims),))
    return (n_out if oshape else 0, o_shp, o_xs, o_ys, n_red, r_shp, r_xs)


_REDUCE_LAYOUTS: dict = {}  # (shape, strides, reduced dims, out strides) -> em_reduce's layout


def reduce_all_contiguous(op: int, x, name="reduce") -> Storage:
    """The fast path of reduce(): every element of a contiguous x into one value; returns
    the result's new storage."""
    numel, shp, unit = _flat_of_shape(x._shape)
    out = alloc(1, x._dtype)
    check(lib.em_reduce(op, x._dtype.code, 0, shp, unit, unit, 1, shp, unit, ptr(x), out.ptr,
                        0.0), name)
    return out


def arg_reduce(want_max: bool, x, dim: int, values, indices) -> None:
    """values/indices (contiguous, x's shape without dim) = max/min of x along dim."""
    oshape = x._shape[:dim] + x._shape[dim + 1:]
    ostr = x._stride[:dim] + x._stride[dim + 1:]
    n_out, o_shp, (o_xs,) = _layout(oshape, (ostr,))
    if not oshape:
        n_out = 0
    check(lib.em_arg_reduce(int(want_max), x._dtype.code, n_out, o_shp, o_xs, x._shape[dim],
                            x._stride[dim], ptr(x), ptr(values) if values is not None
                            else ffi.NULL, ffi.cast("int64_t *", ptr(indices))), "argmax")


def scan(op: int, x, out, indices=None) -> None:
    """Scans contiguous rows along the last dim."""
    n = x._shape[-1] if x._shape else 1
    rows = x.numel() // n if n else 0
    idx = ffi.cast("int64_t *", ptr(indices)) if indices is not None else ffi.NULL
    check(lib.em_scan(op, x._dtype.code, rows, n, ptr(x), ptr(out), idx), "scan")


def sort(x, values, indices, descending: bool) -> None:
    """Stable sort of contiguous rows along the last dim."""
    n = x._shape[-1] if x._shape else 1
    rows = x.numel() // n if n else 0
    check(lib.em_sort(x._dtype.code, rows, n, int(descending), ptr(x),
                      ptr(values) if values is not None else ffi.NULL,
                      ffi.cast("int64_t *", ptr(indices))), "sort")


def searchsorted(seq, values, out, right: bool) -> None:
    """out = insertion points of values' rows into seq's sorted rows (contiguous; seq has
    one row per values row, or a single row shared by all)."""
    n = seq._shape[-1]
    m = values._shape[-1] if values._shape else 1
    rows = values.numel() // m if m else 0
    seq_rows = max(1, seq.numel() // n) if n else 1
    check(lib.em_searchsorted(seq._dtype.code, ptr(seq), seq_rows, n, ptr(values), rows, m,
                              int(right), ffi.cast("int64_t *", ptr(out))), "searchsorted")


# ---- gather / scatter through offsets ----------------------------------------

def take(src, offsets, out) -> None:
    """out.flat[i] = src's storage[offsets[i]]; offsets is contiguous int64."""
    check(lib.em_take(src._dtype.code, ptr(src) - src._offset * src._dtype.itemsize,
                      src._storage.data.size, ffi.cast("int64_t *", ptr(offsets)),
                      offsets.numel(), ptr(out)),
          "index", "offset outside the tensor's storage")


def put(dst, offsets, values, accumulate: bool) -> None:
    check(lib.em_put(dst._dtype.code, ptr(dst) - dst._offset * dst._dtype.itemsize,
                     dst._storage.data.size, ffi.cast("int64_t *", ptr(offsets)),
                     offsets.numel(), ptr(values),
                     int(accumulate)), "index_put_", "offset outside the tensor's storage")


def scatter_reduce(dst, offsets, values, op: int) -> None:
    """dst's elements at offsets combined in order with values: op 0 product, 1 max, 2 min."""
    check(lib.em_scatter_reduce(dst._dtype.code, op, ptr(dst) - dst._offset * dst._dtype.itemsize,
                                dst._storage.data.size, ffi.cast("int64_t *", ptr(offsets)),
                                offsets.numel(), ptr(values)),
          "scatter_reduce", "offset outside the tensor's storage")


# ---- random ----------------------------------------------------------------

def random_uniform(out, seed: int, counter: int, low: float, high: float) -> None:
    check(lib.em_random_uniform(out._dtype.code, ptr(out), out.numel(), seed, counter, low,
                                high), "uniform_")


def random_normal(out, seed: int, counter: int, mean: float, std: float) -> None:
    check(lib.em_random_normal(out._dtype.code, ptr(out), out.numel(), seed, counter, mean,
                               std), "normal_")


def random_bits(n: int, seed: int, counter: int) -> np.ndarray:
    bits = np.empty(n, np.uint64)
    check(lib.em_random_bits(ffi.cast("uint64_t *", bits.ctypes.data), n, seed, counter),
          "random_")
    return bits


def random_gamma(param, out, seed: int, counter: int) -> None:
    """Gamma(param, 1) samples into out (both contiguous, float32/float64, one dtype)."""
    check(lib.em_random_gamma(out._dtype.code, ptr(param), ptr(out), out.numel(), seed,
                              counter), "_standard_gamma")


def random_poisson(param, out, seed: int, counter: int) -> None:
    """Poisson(param) counts into out (both contiguous, float32/float64, one dtype)."""
    check(lib.em_random_poisson(out._dtype.code, ptr(param), ptr(out), out.numel(), seed,
                                counter), "poisson")


def random_binomial(count, prob, out, seed: int, counter: int) -> None:
    """Binomial(count, prob) samples into out (all contiguous, out's float dtype)."""
    check(lib.em_random_binomial(out._dtype.code, ptr(count), ptr(prob), ptr(out), out.numel(),
                                 seed, counter), "binomial")


def standard_gamma_grad(alpha, x, out) -> None:
    """d x / d alpha of Gamma(alpha, 1) samples x (all contiguous, one float dtype)."""
    check(lib.em_standard_gamma_grad(out._dtype.code, ptr(alpha), ptr(x), ptr(out),
                                     out.numel()), "_standard_gamma_grad")


def igamma(a, x, out, upper: bool) -> None:
    """out = P(a, x), or Q(a, x) when upper (all contiguous, of out's float dtype)."""
    check(lib.em_igamma(out._dtype.code, int(upper), ptr(a), ptr(x), ptr(out), out.numel()),
          "igammac" if upper else "igamma")


def special(fn: int, operands: tuple, out) -> None:
    """out = torch.special's function fn (an EM_SF_* code of em_special_math.h) of one or two
    contiguous operands of out's float dtype."""
    if len(operands) == 1:
        status = lib.em_special_unary(fn, out._dtype.code, ptr(operands[0]), ptr(out),
                                      out.numel())
    else:
        status = lib.em_special_binary(fn, out._dtype.code, ptr(operands[0]), ptr(operands[1]),
                                       ptr(out), out.numel())
    check(status, "special")


def get_num_threads() -> int:
    return lib.em_get_num_threads()


def set_num_threads(n: int) -> None:
    lib.em_set_num_threads(n)


def set_flush_denormal(on: bool) -> bool:
    return bool(lib.em_set_flush_denormal(int(on)))


# ---- fused optimizer steps (csrc/optim.c) -------------------------------------
# Every tensor here is contiguous and has the param's dtype (float32 or float64);
# ember.optim checks that and falls back to tensor ops otherwise.

def _opt(t):
    return ptr(t) if t is not None else ffi.NULL


def sgd_step(param, grad, buf, lr, weight_decay, momentum, dampening, nesterov, maximize,
             init_buf) -> None:
    check(lib.em_sgd_step(param._dtype.code, param.numel(), ptr(param), ptr(grad), _opt(buf),
                          lr, weight_decay, momentum, dampening, int(nesterov), int(maximize),
                          int(init_buf)), "SGD.step")


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
              weight_decay, decoupled, maximize, step) -> None:
    check(lib.em_adam_step(param._dtype.code, param.numel(), ptr(param), ptr(grad),
                           ptr(exp_avg), ptr(exp_avg_sq), _opt(max_exp_avg_sq), lr, beta1,
                           beta2, eps, weight_decay, int(decoupled), int(maximize), step),
          "Adam.step")


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buf, lr, alpha, eps,
                 weight_decay, momentum, maximize) -> None:
    check(lib.em_rmsprop_step(param._dtype.code, param.numel(), ptr(param), ptr(grad),
                              ptr(square_avg), _opt(grad_avg), _opt(momentum_buf), lr, alpha,
                              eps, weight_decay, momentum, int(maximize)), "RMSprop.step")


def adagrad_step(param, grad, state_sum, clr, weight_decay, eps, maximize) -> None:
    check(lib.em_adagrad_step(param._dtype.code, param.numel(), ptr(param), ptr(grad),
                              ptr(state_sum), clr, weight_decay, eps, int(maximize)),
          "Adagrad.step")


# ---- nn kernels (float32/float64, contiguous operands) ------------------------

def _p(t):
    return ptr(t) if t is not None else ffi.NULL


def _p64(t):
    return ffi.cast("int64_t *", ptr(t)) if t is not None else ffi.NULL


def im2col(x, kernel, stride, padding, dilation, out_hw, cols) -> None:
    """cols (C*KH*KW, N, OH*OW) = the sliding windows of x (N, C, H, W)."""
    N, C, H, W = x._shape
    check(lib.em_im2col(x._dtype.code, ptr(x), N, C, H, W, *kernel, *stride, *padding,
                        *dilation, *out_hw, ptr(cols)), "im2col")


def conv_per_sample(mode: int, x, w, y, groups, kernel, stride, padding, dilation, scratch,
                    partial=None) -> None:
    """A whole convolution lowering one sample at a time per thread (em_conv2d_per_sample):
    mode 0 fills y from x and w, 1 fills x (the input gradient) from y and w, 2 fills w (the
    weight gradient) from x and y. scratch is (slices, C*KH*KW, OH*OW); partial (mode 2) is
    (slices, C*KH*KW, OC/groups)."""
    N, C, H, W = x._shape
    _, OC, OH, OW = y._shape
    check(lib.em_conv2d_per_sample(mode, x._dtype.code, ptr(x), ptr(w), ptr(y), N, C, H, W, OC,
                                   groups, *kernel, *stride, *padding, *dilation, OH, OW,
                                   ptr(scratch), scratch._shape[0],
                                   ptr(partial) if partial is not None else ffi.NULL),
          "conv2d")


def conv2d_winograd(x, w, y, padding, adjoint: bool) -> None:
    """A 3x3 stride-1 float32 convolution of x into y by Winograd F(2x2, 3x3)
    (em_conv2d_winograd); with adjoint, w is read as (C, OC, 3, 3) flipped: y is then the
    input gradient of a convolution by w."""
    N, C, H, W = x._shape
    OC, OH, OW = y._shape[1:]
    slices = get_num_threads()
    block = _winograd_block(C, OC, N * ((OH + 1) // 2) * ((OW + 1) // 2), slices)
    slice_len = 16 * (C * block + 16) + 16 * (OC * block + 16) + 8 * ((OW + 1) // 2 + 1)
    scratch = alloc(16 * OC * C + slices * slice_len, x._dtype)
    check(lib.em_conv2d_winograd(ptr(x), ptr(w), ptr(y), N, C, H, W, OC, *padding, OH, OW,
                                 int(adjoint), block, scratch.ptr, scratch.data.size, slices),
          "conv2d")


def conv2d_direct(x, w, y, padding, dilation, adjoint: bool) -> None:
    """A stride-1 convolution of x into y computed directly, without im2col
    (em_conv2d_direct); with adjoint, w is read as (C, OC, KH, KW) flipped: y is then the
    input gradient of a convolution by w."""
    N, C, H, W = x._shape
    OC, OH, OW = y._shape[1:]
    KH, KW = w._shape[2:]
    # below about 30 us of multiply-adds on one core, waking the thread pool costs more
    work = N * OC * C * KH * KW * OH * OW
    slices = min(get_num_threads(), N * ((OC + 3) // 4)) if work > 1 << 18 else 1
    pad_len = C * (H + 2 * padding[0]) * (W + 2 * padding[1]) + 16
    n = slices * pad_len + (OC * C * KH * KW if adjoint else 0)
    scratch = alloc(n, x._dtype)
    check(lib.em_conv2d_direct(x._dtype.code, ptr(x), ptr(w), ptr(y), N, C, H, W, OC, KH, KW,
                               *padding, *dilation, OH, OW, int(adjoint), scratch.ptr, n,
                               slices), "conv2d")


def conv2d_direct_wgrad(x, g, gw, padding, dilation) -> None:
    """gw = the weight gradient of a stride-1 convolution of x with output gradient g,
    computed directly (em_conv2d_direct_wgrad)."""
    N, C, H, W = x._shape
    OC, OH, OW = g._shape[1:]
    KH, KW = gw._shape[2:]
    work = N * OC * C * KH * KW * OH * OW
    slices = min(get_num_threads(), OC * C * KH) if work > 1 << 18 else 1
    n = (N * C * (H + 2 * padding[0]) * (W + 2 * padding[1]) + 16
         + N * OC * OH * -(-OW // 16) * 16)
    scratch = alloc(n, x._dtype)
    check(lib.em_conv2d_direct_wgrad(x._dtype.code, ptr(x), ptr(g), ptr(gw), N, C, H, W, OC,
                                     KH, KW, *padding, *dilation, OH, OW, scratch.ptr, n,
                                     slices), "conv2d weight gradient")


def _winograd_block(C: int, OC: int, tiles: int, slices: int) -> int:
    """Tiles per block: a block's transformed inputs and products (16 x (C + OC) x block
    floats) within about 2 MB, while every thread gets a block."""
    block = 512
    while block > 16 and (16 * (C + OC) * block > 1 << 19 or block * slices > tiles):
        block //= 2
    return block


def lstm_forward(w_hh, h0, c0, xp, acts, cs, tcs, hs, reverse: bool) -> None:
    """An LSTM layer's recurrence (em_lstm_forward): from the input projections xp (T, B, 4H),
    acts (T, B, 4H) gets each step's gate activations, cs, tcs and hs (T, B, H) its c,
    tanh(c) and h. All contiguous, one float dtype."""
    T, B, H = hs._shape
    check(lib.em_lstm_forward(acts._dtype.code, T, B, H, int(reverse), ptr(w_hh), ptr(h0),
                              ptr(c0), ptr(xp), ptr(acts), ptr(cs), ptr(tcs), ptr(hs)), "lstm")


def lstm_backward(w_hh, c0, acts, cs, tcs, d_hs, dh, dc, d_gates, reverse: bool) -> None:
    """The backward of lstm_forward (em_lstm_backward): writes d_gates (T, B, 4H); dh and dc
    (B, H), the gradients of the last state on entry, become those of (h0, c0). d_hs, the
    outputs' gradient, may be None."""
    T, B, H = cs._shape
    check(lib.em_lstm_backward(acts._dtype.code, T, B, H, int(reverse), ptr(w_hh), ptr(c0),
                               ptr(acts), ptr(cs), ptr(tcs),
                               ffi.NULL if d_hs is None else ptr(d_hs), ptr(dh), ptr(dc),
                               ptr(d_gates)), "lstm")


def gru_forward(w_hh, b_hh, h0, xp, acts, ns, hs, reverse: bool) -> None:
    """A GRU layer's recurrence (em_gru_forward): from the input projections xp (T, B, 3H),
    acts (T, B, 3H) gets each step's r, z and h_prev W_hn^T + b_hn, ns and hs (T, B, H) its
    n and h. All contiguous, one float dtype."""
    T, B, H = hs._shape
    check(lib.em_gru_forward(xp._dtype.code, T, B, H, int(reverse), ptr(w_hh), ptr(b_hh),
                             ptr(h0), ptr(xp), ptr(acts), ptr(ns), ptr(hs)), "gru")


def gru_backward(w_hh, h0, acts, ns, hs, d_hs, dh, dhp, dxp, reverse: bool) -> None:
    """The backward of gru_forward (em_gru_backward): writes dhp and dxp (T, B, 3H), the
    gradients of every step's recurrent and input pre-activations; dh (B, H), the last h's
    gradient on entry, becomes h0's. d_hs, the outputs' gradient, may be None."""
    T, B, H = hs._shape
    check(lib.em_gru_backward(acts._dtype.code, T, B, H, int(reverse), ptr(w_hh), ptr(h0),
                              ptr(acts), ptr(ns), ptr(hs), ffi.NULL if d_hs is None else ptr(d_hs),
                              ptr(dh), ptr(dhp), ptr(dxp)), "gru")


def upsample_linear(mode: int, x, y, tables) -> None:
    """(Bi)linear interpolation of x (N, C, H, W) into y (N, C, OH, OW) (mode 0), or its
    adjoint from y into x (mode 1). tables: per-axis (index pairs, weights) NumPy arrays."""
    (hi, hl), (wi, wl) = tables
    N, C, H, W = x._shape
    OH, OW = y._shape[2:]
    check(lib.em_upsample_linear(mode, x._dtype.code, ptr(x), ptr(y), N * C, H, W, OH, OW,
                                 ffi.from_buffer("int64_t[]", hi), ffi.from_buffer(hl),
                                 ffi.from_buffer("int64_t[]", wi), ffi.from_buffer(wl)),
          "interpolate")


def resample_taps(mode: int, x, y, tmp, tables) -> None:
    """A separable filter of consecutive taps from x (N, C, H, W) into y (N, C, OH, OW)
    (mode 0), or its adjoint from y into x (mode 1); tmp is (N*C, H, OW) scratch. tables:
    per axis (start array, tap count, (out, taps) weights), NumPy."""
    (hs, kh, hw), (ws, kw, ww) = tables
    N, C, H, W = x._shape
    OH, OW = y._shape[2:]
    check(lib.em_resample_taps(mode, x._dtype.code, ptr(x), ptr(y), ptr(tmp), N * C, H, W, OH,
                               OW, ffi.from_buffer("int64_t[]", hs), kh, ffi.from_buffer(hw),
                               ffi.from_buffer("int64_t[]", ws), kw, ffi.from_buffer(ww)),
          "interpolate")


def depthwise_conv2d(mode: int, a, b, out, kernel, stride, padding, dilation, in_hw,
                     out_hw) -> None:
    """Depthwise convolution without im2col (see em_depthwise_conv2d for the modes);
    in_hw is the convolution's input size, out_hw its output size."""
    N, C = (a._shape[0], a._shape[1]) if mode != 1 else (out._shape[0], out._shape[1])
    check(lib.em_depthwise_conv2d(mode, a._dtype.code, ptr(a), ptr(b), N, C, *in_hw, *kernel,
                                  *stride, *padding, *dilation, *out_hw, ptr(out)),
          "depthwise conv2d")


def col2im(cols, x, kernel, stride, padding, dilation, out_hw) -> None:
    """x (N, C, H, W) = the sum of the window columns back at their positions."""
    N, C, H, W = x._shape
    check(lib.em_col2im(x._dtype.code, ptr(cols), N, C, H, W, *kernel, *stride, *padding,
                        *dilation, *out_hw, ptr(x)), "col2im")


def max_pool2d(x, kernel, stride, padding, dilation, y, idx) -> None:
    """x (planes, H, W) -> y, idx (planes, OH, OW)."""
    P, H, W = x._shape
    check(lib.em_max_pool2d(x._dtype.code, ptr(x), P, H, W, *kernel, *stride, *padding,
                            *dilation, y._shape[1], y._shape[2], ptr(y), _p64(idx)),
          "max_pool2d")


def max_pool_backward(gy, idx, gx) -> None:
    """gx (planes, in) = gy (planes, out) scattered to idx."""
    P = gx._shape[0]
    check(lib.em_max_pool_backward(gy._dtype.code, ptr(gy), _p64(idx), P, gx.numel() // max(P, 1),
                                   gy.numel() // max(P, 1), ptr(gx)), "max_pool_backward")


def gather_planes(x, idx, y) -> None:
    """y (planes, out) = x (planes, in) at idx."""
    P = x._shape[0]
    check(lib.em_gather_planes(x._dtype.code, ptr(x), _p64(idx), P, x.numel() // max(P, 1),
                               y.numel() // max(P, 1), ptr(y)), "max_pool double backward")


def avg_pool2d(backward: bool, x, y, kernel, stride, padding, count_include_pad: bool,
               divisor_override: int) -> None:
    """forward: y = avg_pool(x); backward: x = its adjoint applied to y. (planes, H, W)."""
    P, H, W = x._shape
    check(lib.em_avg_pool2d(int(backward), x._dtype.code, ptr(x), P, H, W, *kernel, *stride,
                            *padding, int(count_include_pad), int(divisor_override or 0),
                            y._shape[1], y._shape[2], ptr(y)), "avg_pool2d")


def adaptive_pool2d(mode: int, x, y, idx=None) -> None:
    """mode 0 avg, 1 max (idx), 2 avg backward (x = adjoint of y). (planes, H, W)."""
    P, H, W = x._shape
    check(lib.em_adaptive_pool2d(mode, x._dtype.code, ptr(x), P, H, W, y._shape[1], y._shape[2],
                                 ptr(y), _p64(idx)), "adaptive_pool2d")


def softmax(is_log: bool, x, outer: int, n: int, inner: int, y) -> None:
    check(lib.em_softmax(int(is_log), x._dtype.code, ptr(x), outer, n, inner, ptr(y)),
          "log_softmax" if is_log else "softmax")


def softmax_backward(is_log: bool, y, gy, outer: int, n: int, inner: int, gx) -> None:
    check(lib.em_softmax_backward(int(is_log), y._dtype.code, ptr(y), ptr(gy), outer, n, inner,
                                  ptr(gx)), "softmax_backward")


def cross_entropy(x, target, weight, ignore_index: int, label_smoothing: float, loss,
                  lse) -> None:
    B, K = x._shape
    check(lib.em_cross_entropy(x._dtype.code, ptr(x), _p64(target), _p(weight), B, K,
                               ignore_index, label_smoothing, ptr(loss), ptr(lse)),
          "cross_entropy", "target out of bounds")


def cross_entropy_backward(x, lse, target, weight, grad, ignore_index: int,
                           label_smoothing: float, gx) -> None:
    B, K = x._shape
    check(lib.em_cross_entropy_backward(x._dtype.code, ptr(x), ptr(lse), _p64(target),
                                        _p(weight), ptr(grad), B, K, ignore_index,
                                        label_smoothing, ptr(gx)), "cross_entropy_backward")


def layer_norm(x, w, b, eps: float, y, mean, rstd) -> None:
    M, N = x._shape
    check(lib.em_layer_norm(x._dtype.code, ptr(x), _p(w), _p(b), M, N, eps, ptr(y), ptr(mean),
                            ptr(rstd)), "layer_norm")


def layer_norm_backward(x, gy, w, mean, rstd, gx, gw, gb) -> None:
    M, N = x._shape
    check(lib.em_layer_norm_backward(x._dtype.code, ptr(x), ptr(gy), _p(w), ptr(mean), ptr(rstd),
                                     M, N, _p(gx), _p(gw), _p(gb)), "layer_norm_backward")


def batch_norm_stats(x, mean, var, invstd, eps: float, running_mean, running_var,
                     momentum: float) -> None:
    N, C, L = x._shape
    check(lib.em_batch_norm_stats(x._dtype.code, ptr(x), N, C, L, eps, momentum, ptr(mean),
                                  ptr(var), ptr(invstd), _p(running_mean), _p(running_var)),
          "batch_norm")


def batch_norm_apply(x, mean, invstd, w, b, y) -> None:
    N, C, L = x._shape
    check(lib.em_batch_norm_apply(x._dtype.code, ptr(x), ptr(mean), ptr(invstd), _p(w), _p(b),
                                  N, C, L, ptr(y)), "batch_norm")


def batch_norm_backward(x, gy, mean, invstd, w, training: bool, gx, gw, gb) -> None:
    N, C, L = x._shape
    check(lib.em_batch_norm_backward(x._dtype.code, ptr(x), ptr(gy), ptr(mean), ptr(invstd),
                                     _p(w), int(training), N, C, L, _p(gx), _p(gw), _p(gb)),
          "batch_norm_backward")


# ---- spectral ---------------------------------------------------------------

FFT_IN_COMPLEX, FFT_IN_REAL, FFT_IN_HERMITIAN = 0, 1, 2


def fft(x, n: int, in_kind: int, out, out_real: bool, inverse: bool, scale: float) -> None:
    """DFTs of the contiguous last-dim rows of x (length x.shape[-1]) into out's rows.

    x and out are contiguous; complex operands are passed as their float pairs. in_kind
    says how to read a row (complex, real, Hermitian half); rows are padded or trimmed to n.
    """
    comp = x._dtype.to_real()
    rows = out.numel() // out._shape[-1] if out._shape and out._shape[-1] else 0
    check(lib.em_fft(comp.code, rows, n, ptr(x), x._shape[-1] if x._shape else 1, in_kind,
                     ptr(out), out._shape[-1] if out._shape else 1, int(out_real),
                     int(inverse), float(scale)), "fft", f"dtype {x._dtype.name}")


# ---- dense linear algebra (csrc/linalg.c) --------------------------------------
# Operands are fresh contiguous (batch, rows, cols) float32/float64 tensors that the
# kernels may overwrite; pivots, ranks and infos are contiguous int64.

def lu_factor(a, piv, info) -> None:
    """a (batch, m, n) = P L U in place; piv (batch, min(m, n)); info (batch): first zero
    pivot."""
    batch, m, n = a._shape
    check(lib.em_lu_factor_rect(a._dtype.code, batch, m, n, ptr(a), _p64(piv), _p64(info)),
          "lu")


def lu_solve(lu, piv, b) -> None:
    """b (batch, n, k) = A^-1 b from lu_factor's lu and piv."""
    batch, n, k = b._shape
    check(lib.em_lu_solve(lu._dtype.code, batch, n, k, ptr(lu), _p64(piv), ptr(b)), "lu_solve")


def lu_det(lu, piv, det, sign, logabsdet) -> None:
    """det, sign, logabsdet (batch; any may be None) from lu_factor's lu and piv."""
    batch, n = lu._shape[0], lu._shape[-1]
    check(lib.em_lu_det(lu._dtype.code, batch, n, ptr(lu), _p64(piv), _p(det), _p(sign),
                        _p(logabsdet)), "det")


def cholesky(a, info) -> None:
    """a (batch, n, n) -> its lower Cholesky factor in place; info (batch)."""
    batch, n = a._shape[0], a._shape[-1]
    check(lib.em_cholesky(a._dtype.code, batch, n, ptr(a), _p64(info)), "cholesky")


def triangular_solve(a, b, upper: bool, unit: bool) -> None:
    """b (batch, n, k) = T^-1 b for the upper or lower triangle T of a (batch, n, n)."""
    batch, n, k = b._shape
    check(lib.em_triangular_solve(a._dtype.code, batch, n, k, ptr(a), ptr(b), int(upper),
                                  int(unit)), "solve_triangular")


def lstsq(a, b, rcond: float, pivot: bool, rank_in, rank, residuals, info) -> None:
    """Least squares of a (batch, m, n; destroyed) against b (batch, max(m, n), k): the
    solution comes back in b's first n rows (see em_lstsq)."""
    batch, m, n = a._shape
    k = b._shape[-1]
    check(lib.em_lstsq(a._dtype.code, batch, m, n, k, ptr(a), ptr(b), float(rcond), int(pivot),
                       _p64(rank_in), _p64(rank), _p(residuals), _p64(info)), "lstsq")


def svdvals(a, s) -> None:
    """s (batch, p) = the singular values, descending, of a (batch, p, q), p <= q."""
    batch, p, q = a._shape
    check(lib.em_svdvals(a._dtype.code, batch, p, q, ptr(a), ptr(s)), "svdvals")


def svd(a, s, u, vt) -> None:
    """a (batch, p, q; destroyed), p <= q, = u diag(s) vt[:, :p]: s (batch, p) descending,
    u (batch, p, p), vt (batch, r, q) with p <= r <= q orthonormal rows (past p: a completed
    basis)."""
    batch, p, q = a._shape
    check(lib.em_svd(a._dtype.code, batch, p, q, ptr(a), ptr(s), ptr(u), ptr(vt), vt._shape[1]),
          "svd")


def eigh(a, w, v) -> None:
    """w (batch, n) ascending eigenvalues and, unless v is None, v (batch, n, n) eigenvectors
    as columns, of the symmetric matrices in a's lower triangles (batch, n, n; destroyed)."""
    batch, n = a._shape[0], a._shape[-1]
    check(lib.em_eigh(a._dtype.code, batch, n, ptr(a), ptr(w), _p(v)), "eigh")


def qr(a, tau, q) -> None:
    """a (batch, m, n) -> R and reflectors in place (geqrf), tau (batch, min(m, n)); unless q
    is None, q (batch, m, c) the first c columns of Q."""
    batch, m, n = a._shape
    check(lib.em_qr(a._dtype.code, batch, m, n, ptr(a), ptr(tau), _p(q),
                    q._shape[-1] if q is not None else 0), "qr")


def orgqr(a, tau, q) -> None:
    """q (batch, m, n) = the first n columns of H_0 ... H_{k-1} for the reflectors below the
    diagonal of a (batch, m, n) and tau (batch, k)."""
    batch, m, n = a._shape
    check(lib.em_orgqr(a._dtype.code, batch, m, n, tau._shape[-1], ptr(a), ptr(tau), ptr(q)),
          "orgqr")


def ormqr(a, tau, c, left: bool, transpose: bool) -> None:
    """c (batch, cm, cn) <- op(Q) c (left) or c op(Q), Q = H_0 ... H_{k-1} from a (batch,
    rows, acols) and tau (batch, k); op(Q) = Q^T with transpose."""
    batch, rows, acols = a._shape
    cm, cn = c._shape[-2], c._shape[-1]
    check(lib.em_ormqr(a._dtype.code, batch, rows, acols, tau._shape[-1], ptr(a), ptr(tau),
                       ptr(c), cm, cn, int(left), int(transpose)), "ormqr")


def eig_available() -> bool:
    return True


def eig(a, w, v, info) -> None:
    """w (batch, n) eigenvalues and, unless v is None, v (batch, n, n) unit right eigenvectors
    (columns), both complex, of the real matrices a (batch, n, n); info (batch): nonzero
    where the QR iteration did not converge."""
    batch, n = a._shape[0], a._shape[-1]
    check(lib.em_eig(a._dtype.code, batch, n, ptr(a), ptr(w), _p(v), _p64(info)), "eig")
