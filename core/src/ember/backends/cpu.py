"""The bridge to ember._C: storages, pointer and stride marshalling, status codes.

Everything here takes already-validated tensors: ops check shapes, dtypes and
indices in Python, raise torch's exceptions, and only then call in. The C side
checks again where it is cheap (bounds of offsets, dims, dtypes).
"""

from __future__ import annotations

import numpy as np

from .._C import ffi, lib

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
    tensors that were modified before backward.
    """

    __slots__ = ("data", "ptr", "version", "__weakref__")

    def __init__(self, data: np.ndarray):
        self.data = data  # 1-D, contiguous, in the dtype's storage type
        self.ptr = ffi.from_buffer("char[]", data, require_writable=False)
        self.version = 0

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    @property
    def device(self):
        from .._device import CPU
        return CPU


def alloc(numel: int, dtype) -> Storage:
    return Storage(np.empty(numel, dtype.storage_np))


def zeros_storage(numel: int, dtype) -> Storage:
    return Storage(np.zeros(numel, dtype.storage_np))


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
    return t._storage.ptr + t._offset * t._dtype.itemsize


def i64(values) -> object:
    return ffi.new(_I64, list(values))


# ---- elementwise ------------------------------------------------------------

def copy(src, dst) -> None:
    """dst[...] = src, casting; src has dst's shape (expanded views allowed)."""
    ndim, shp, (ss, ds) = _layout(dst._shape, (src._stride, dst._stride))
    check(lib.em_copy(src._dtype.code, dst._dtype.code, ndim, shp, ptr(src), ss, ptr(dst), ds),
          "copy_")


def fill(dst, value) -> None:
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
    kept = [d for d in range(len(x._shape)) if d not in reduce_dims]
    oshape = tuple(x._shape[d] for d in kept)
    xos = tuple(x._stride[d] for d in kept)
    rshape = tuple(x._shape[d] for d in reduce_dims)
    rst = tuple(x._stride[d] for d in reduce_dims)
    n_out, o_shp, (o_xs, o_ys) = _layout(oshape, (xos, out._stride))
    if not oshape:
        n_out = 0
    n_red, r_shp, (r_xs,) = _layout(rshape, (rst,))
    check(lib.em_reduce(op, x._dtype.code, n_out, o_shp, o_xs, o_ys, n_red, r_shp, r_xs,
                        ptr(x), ptr(out), 0.0), "reduce")


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


# ---- gather / scatter through offsets ----------------------------------------

def take(src, offsets, out) -> None:
    """out.flat[i] = src's storage[offsets[i]]; offsets is contiguous int64."""
    check(lib.em_take(src._dtype.code, src._storage.ptr, src._storage.data.size,
                      ffi.cast("int64_t *", ptr(offsets)), offsets.numel(), ptr(out)),
          "index", "offset outside the tensor's storage")


def put(dst, offsets, values, accumulate: bool) -> None:
    check(lib.em_put(dst._dtype.code, dst._storage.ptr, dst._storage.data.size,
                     ffi.cast("int64_t *", ptr(offsets)), offsets.numel(), ptr(values),
                     int(accumulate)), "index_put_", "offset outside the tensor's storage")


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


def get_num_threads() -> int:
    return lib.em_get_num_threads()


def set_num_threads(n: int) -> None:
    lib.em_set_num_threads(n)
