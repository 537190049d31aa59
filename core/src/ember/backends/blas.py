"""GEMM for float32 and float64: NumPy's OpenBLAS kernels, threaded by ember's OpenMP.

OpenBLAS keeps its own thread pool, whose idle workers spin for a while after each call.
Next to ember's OpenMP threads on the same cores the two pools took turns starving each
other: a LeNet training step ran 5-10x slower whenever OpenMP waited actively (as it does
when torch's libgomp is the one loaded in the process). So OpenBLAS runs on one thread, and
csrc/gemm.c calls its sgemm/dgemm from OpenMP threads: whole matrices of a batch, or blocks
of one product. Where NumPy's BLAS is not a bundled OpenBLAS (another platform, a NumPy
built on MKL) it keeps its own threading and products go through np.matmul.
"""

from __future__ import annotations

import numpy as np

from .. import _openblas
from .._C import ffi, lib
from . import cpu

_I64 = "int64_t[]"
_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}  # em_dtype of the two floats


def _take_over_openblas() -> bool:
    """Sets NumPy's OpenBLAS to one thread and hands its GEMMs to csrc/gemm.c; False where
    NumPy's BLAS is something else."""
    found = _openblas.find()
    if found is None:
        return False
    set_threads, sgemm, dgemm = found
    set_threads(1)
    cpu.check(lib.em_gemm_use_blas(ffi.cast("em_sgemm_fn", sgemm),
                                   ffi.cast("em_dgemm_fn", dgemm)), "gemm")
    return True


HAVE_GEMM = _take_over_openblas()
# csrc/gemm.c's EM_GEMM_PAR_FLOPS: below it a product runs on one thread anyway, and for
# NumPy arrays np.matmul's call costs less than ours
_ONE_THREAD_FLOPS = 1 << 20


def _row_major(rows: int, cols: int, rs: int, cs: int) -> bool:
    """Whether BLAS reads this matrix in place as row-major: unit stride along the rows and
    a leading dimension at least cols (csrc/gemm.c's rule; a size-1 dim's stride is never
    read)."""
    return (cols == 1 or cs == 1) and (rows == 1 or rs >= cols)


def _blas_ready(rows: int, cols: int, rs: int, cs: int) -> bool:
    """Row-major, or its transpose."""
    return _row_major(rows, cols, rs, cs) or _row_major(cols, rows, cs, rs)


def _batch_strides(shape: tuple, strides: tuple, batch: tuple) -> tuple:
    """Element strides of an operand against the broadcast batch (0 where it has no such
    dim or size 1), then its matrix's row and column strides."""
    pad = len(batch) - (len(shape) - 2)
    if not pad and len(shape) == 2:
        return tuple(strides)
    return (*([0] * pad), *(0 if shape[i] == 1 else strides[i] for i in range(len(shape) - 2)),
            *strides[-2:])


_ARRAYS: dict = {}


def _i64(values: tuple):
    """A C copy of values, cached: a training loop multiplies the same shapes each step."""
    arr = _ARRAYS.get(values)
    if arr is None:
        if len(_ARRAYS) > 4096:
            _ARRAYS.clear()
        arr = _ARRAYS[values] = ffi.new(_I64, values)
    return arr


def _gemm(code: int, batch: tuple, n: int, k: int, m: int, a, b, c) -> None:
    """a, b, c: (owner, address, shape, element strides) of BLAS-ready operands; the owner
    (an array or tensor, perhaps a fresh copy) keeps the memory alive through the call."""
    shape = (*batch, n, k, m)
    args = []
    for _, address, sh, st in (a, b, c):
        args += [address, _i64(_batch_strides(sh, st, batch))]
    cpu.check(lib.em_gemm(code, len(shape), _i64(shape), *args), "matmul")


def _np_operand(x: np.ndarray, item: int):
    if not _blas_ready(x.shape[-2], x.shape[-1], x.strides[-2] // item, x.strides[-1] // item):
        x = np.ascontiguousarray(x)
    return x, ffi.cast("void *", x.ctypes.data), x.shape, tuple(s // item for s in x.strides)


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = a @ b for float arrays with NumPy's broadcasting of batch dims, written in place
    into ``out`` (the result's shape; a strided view works). Returns out.

    Example:
        >>> matmul(np.ones((2, 3)), np.ones((3, 4)), np.empty((2, 4)))[0, 0]
        3.0
    """
    code = _CODES.get(out.dtype) if HAVE_GEMM else None
    item = out.itemsize
    n, m = out.shape[-2:]
    k = a.shape[-1]
    if (code is None or a.dtype != out.dtype or b.dtype != out.dtype
            or 2 * n * k * m * (out.size // max(n * m, 1)) < _ONE_THREAD_FLOPS
            or not _row_major(n, m, out.strides[-2] // item, out.strides[-1] // item)):
        np.matmul(a, b, out=out)  # small, other dtypes, or an output BLAS cannot write
        return out
    _gemm(code, out.shape[:-2], n, k, m, _np_operand(a, item), _np_operand(b, item),
          _np_operand(out, item))
    return out


def _tensor_operand(x):
    shape, st = x._shape, x._stride
    if not _blas_ready(shape[-2], shape[-1], st[-2], st[-1]):
        x = x.contiguous()
    return x, cpu.ptr(x), x._shape, x._stride


def matmul_tensors(a, b, out) -> None:
    """out = a @ b for float32/float64 CPU tensors of one dtype, batch dims broadcast; out
    is contiguous with the result's shape. Skips NumPy's views (a microsecond or two each,
    much of a small product's cost)."""
    n, m = out._shape[-2:]
    k = a._shape[-1]
    code = out._dtype.code
    if not HAVE_GEMM or code not in _CODES.values():
        np.matmul(a._np(), b._np(), out=out._np())
        return
    _gemm(code, out._shape[:-2], n, k, m, _tensor_operand(a), _tensor_operand(b),
          (out, cpu.ptr(out), out._shape, out._stride))
