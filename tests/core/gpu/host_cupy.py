"""A host stand-in for the part of CuPy that ember's CUDA backend uses (tests only).

Arrays are NumPy arrays; ElementwiseKernels and RawModules are the backend's own CUDA
source text compiled by the host C++ compiler, with CUDA's intrinsics mapped to C++ and
each launch run block by block (one OS thread per CUDA thread, a real barrier for
``__syncthreads``, where a kernel needs it). This executes ember's GPU glue code and
kernel source end to end without a GPU. It is not a CUDA simulator: warp-level timing,
memory coherence and atomics' concurrency are not modelled, and cuBLAS is NumPy.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import subprocess
import types
from pathlib import Path

import numpy as np

from ember.backends.cuda import kernels as K

PRELUDE = r"""
#include <cmath>
#include <cstring>
#include <thread>
#include <barrier>
#include <vector>
#include <functional>
#include <mutex>
using namespace std;
#define __device__
#define __forceinline__ inline
#define __global__
#define __shared__ static
struct em_dim3 { long long x, y; };
static thread_local em_dim3 threadIdx, blockIdx;
static em_dim3 blockDim, gridDim;
static std::barrier<> *em_bar;
static std::mutex em_atomic_mutex;
static inline void __syncthreads() { em_bar->arrive_and_wait(); }
static inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
static inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
static inline unsigned int __float2uint_rn(float f) { return (unsigned int)nearbyintf(f); }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
template <typename T> static T atomicAdd(T *a, T v) {
    std::lock_guard<std::mutex> g(em_atomic_mutex); T o = *a; *a = o + v; return o; }
static unsigned int atomicCAS(unsigned int *a, unsigned int c, unsigned int v) {
    std::lock_guard<std::mutex> g(em_atomic_mutex); unsigned int o = *a; if (o == c) *a = v;
    return o; }
static int atomicExch(int *a, int v) {
    std::lock_guard<std::mutex> g(em_atomic_mutex); int o = *a; *a = v; return o; }
static void em_launch(long long grid, long long grid_y, long long block, int coop,
                      const std::function<void()> &f) {
    blockDim.x = block;
    gridDim.x = grid;
    gridDim.y = grid_y;
    for (long long b = 0; b < grid * grid_y; ++b) {
        em_dim3 at = {b % grid, b / grid};
        if (!coop) {
            for (long long t = 0; t < block; ++t) { blockIdx = at; threadIdx.x = t; f(); }
            continue;
        }
        std::barrier<> bar((ptrdiff_t)block);
        em_bar = &bar;
        std::vector<std::thread> ts;
        for (long long t = 0; t < block; ++t)
            ts.emplace_back([&, t] { blockIdx = at; threadIdx.x = t; f(); });
        for (auto &th : ts) th.join();
    }
}
"""
C_NAMES = K.C_OF_CUPY
SCALARS = set(K.SCALAR_PARAMS)
_SIG = re.compile(r'extern "C" void (em_\w+)\(([^)]*)\)')


def _compile(source: str, workdir: Path) -> ctypes.CDLL:
    key = hashlib.sha1(source.encode()).hexdigest()[:16]
    so = workdir / f"k{key}.so"
    if not so.exists():
        cpp = workdir / f"k{key}.cpp"
        cpp.write_text(source)
        res = subprocess.run(["g++", "-O1", "-shared", "-fPIC", "-std=c++20", "-pthread",
                              "-ffp-contract=off", "-o", str(so), str(cpp)],
                             capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(res.stderr[-4000:])
    return ctypes.CDLL(str(so))


class _TensorList(ctypes.Structure):
    """kernels.py's EmTensorList, a multi-tensor step's operands passed by value."""
    _fields_ = [(name, ctypes.c_uint64 * K.TENSOR_LIST) for name in "abcde"] + [
        ("n", ctypes.c_int64 * K.TENSOR_LIST)]


def _ctype(decl: str):
    if "*" in decl:
        return ctypes.c_void_p
    words = decl.split()[:-1]
    t = " ".join(w for w in words if w != "const")
    return {"int": ctypes.c_int, "long long": ctypes.c_longlong, "double": ctypes.c_double,
            "unsigned long long": ctypes.c_ulonglong, "float": ctypes.c_float,
            "EmTensorList": _TensorList}[t]


# ---- arrays ---------------------------------------------------------------------------

class MemPtr:
    def __init__(self, arr, off: int = 0):
        self.arr, self.off = arr, off

    def __add__(self, n: int) -> MemPtr:
        return MemPtr(self.arr, self.off + int(n))

    @property
    def ptr(self) -> int:
        return self.arr.ctypes.data + self.off

    def copy_from_device(self, src: MemPtr, nbytes: int) -> None:
        ctypes.memmove(self.ptr, src.ptr, nbytes)


class HostArray(np.ndarray):
    """np.ndarray with CuPy's ``data`` (a pointer object), ``set`` and ``get``."""

    @property
    def data(self) -> MemPtr:
        return MemPtr(self)

    def set(self, host, stream=None) -> None:
        self.reshape(-1)[...] = np.asarray(host).reshape(-1)

    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is None:
            return np.array(self)
        out[...] = self
        return out


def _host(a):
    return np.asarray(a).view(HostArray)


# ---- kernels ------------------------------------------------------------------------------

class _Elementwise:
    def __init__(self, lib, in_params, out_params, name):
        self.fn = getattr(lib, name)
        self.ins = [p.split() for p in in_params.split(",")]
        self.outs = [p.split() for p in out_params.split(",")]

    def __call__(self, *args):
        outs = args[len(self.ins):]
        shape = outs[0].shape
        call, tmps = [], []
        for words, a in zip(self.ins, args):
            var = words[-1]
            if var in SCALARS:
                call.append(ctypes.c_double(a) if words[-2] == "float64" else
                            ctypes.c_longlong(int(a)))
            elif words[0] == "raw":
                arr = np.ascontiguousarray(a)
                tmps.append(arr)
                call.append(ctypes.c_void_p(arr.ctypes.data))
            else:
                arr = np.ascontiguousarray(np.broadcast_to(a, shape))
                tmps.append(arr)
                call.append(ctypes.c_void_p(arr.ctypes.data))
        results = []
        for o in outs:
            r = np.empty(shape, o.dtype)
            results.append(r)
            call.append(ctypes.c_void_p(r.ctypes.data))
        self.fn(*call, ctypes.c_longlong(int(np.prod(shape))))
        for o, r in zip(outs, results):
            o[...] = r


_FUNCTIONS: list = []  # the stand-in's "CUfunction" handles: index + 1 into this list


class _RawFunction:
    def __init__(self, fn, argtypes, coop):
        self.fn, self.argtypes, self.coop = fn, argtypes, coop
        _FUNCTIONS.append(self)
        self.ptr = len(_FUNCTIONS)

    def launch(self, grid: tuple, block: tuple, values: list) -> None:
        self.fn(ctypes.c_longlong(grid[0]), ctypes.c_longlong(grid[1]),
                ctypes.c_longlong(block[0]), ctypes.c_int(int(self.coop)),
                *(v if isinstance(v, ctypes.Structure) else t(v)
                  for t, v in zip(self.argtypes, values)))

    def __call__(self, grid, block, args):
        call = []
        for t, a in zip(self.argtypes, args):
            if t is ctypes.c_void_p:
                call.append(ctypes.c_void_p(int(a)) if isinstance(a, np.integer)
                            else ctypes.c_void_p(np.asarray(a).ctypes.data))
            else:
                call.append(t(a.item() if isinstance(a, np.generic) else a))
        assert len(call) == len(self.argtypes), "argument count differs from the kernel's"
        self.fn(ctypes.c_longlong(grid[0]), ctypes.c_longlong(grid[1] if len(grid) > 1 else 1),
                ctypes.c_longlong(block[0]),
                ctypes.c_int(int(self.coop)), *call)


def _launch_kernel(f, gx, gy, gz, bx, by, bz, shared, stream, params, extra) -> None:
    """cuLaunchKernel on the stand-in: each parameter read, as the driver does, through
    its pointer in params with the kernel's own C type (what ember's launch.py wrote)."""
    fn = _FUNCTIONS[f - 1]
    slots = ctypes.cast(params, ctypes.POINTER(ctypes.c_void_p))
    values = []
    for i, t in enumerate(fn.argtypes):
        read = ctypes.c_uint64 if t is ctypes.c_void_p else t
        arg = ctypes.cast(slots[i], ctypes.POINTER(read)).contents
        values.append(read.from_buffer_copy(arg) if isinstance(arg, ctypes.Structure)
                      else arg.value)
    fn.launch((gx, gy), (bx,), values)


_SYNC_KERNELS = ("em_softmax_", "em_layer_norm_", "em_cross_entropy_f", "em_cross_entropy_b",
                 "em_batch_norm_stats_", "em_batch_norm_grad_sums_", "em_sum_all_",
                 "em_sum_partials_")


def _memcpy(dst: int, src: int, nbytes: int, kind: int = 0, stream: int = 0) -> None:
    if dst != src:
        ctypes.memmove(dst, src, nbytes)


class _HostNccl:
    """CuPy's NCCL bindings for a world of one process: every collective is a copy."""

    available = True
    _ITEMSIZE = {0: 1, 1: 1, 2: 4, 4: 8, 6: 2, 7: 4, 8: 8, 9: 2}  # by ncclDataType_t

    @staticmethod
    def get_unique_id() -> tuple:
        return (0,) * 128

    @staticmethod
    def groupStart() -> None:
        pass

    @staticmethod
    def groupEnd() -> None:
        pass

    class NcclCommunicator:
        def __init__(self, ndev: int, uid: tuple, rank: int):
            assert ndev == 1 and rank == 0 and len(uid) == 128, "the host NCCL has one rank"

        def _move(self, dst, src, count, dtype):
            _memcpy(dst, src, count * _HostNccl._ITEMSIZE[dtype])

        def allReduce(self, send, recv, count, dtype, op, stream):
            self._move(recv, send, count, dtype)

        def reduce(self, send, recv, count, dtype, op, root, stream):
            self._move(recv, send, count, dtype)

        def bcast(self, buf, count, dtype, root, stream):
            pass

        def allGather(self, send, recv, count, dtype, stream):
            self._move(recv, send, count, dtype)

        def reduceScatter(self, send, recv, count, dtype, op, stream):
            self._move(recv, send, count, dtype)

        def destroy(self):
            pass


class HostCublas:
    """cuBLAS's strided batched GEMM on host memory, with its column-major pointer
    arithmetic (leading dimensions, transposes, batch strides) done as cuBLAS does, so the
    backend's operand layouts are checked here rather than replaced by a matmul."""

    _TYPES = {0: np.float32, 1: np.float64, 2: np.float16, 14: np.uint16}  # cudaDataType_t

    @staticmethod
    def setStream(handle, stream) -> None:
        pass

    @classmethod
    def _matrices(cls, ptr, kind, shape, strides):
        dtype = np.dtype(cls._TYPES[kind])
        span = 1 + sum((n - 1) * st for n, st in zip(shape, strides))
        base = np.frombuffer((ctypes.c_char * (span * dtype.itemsize)).from_address(ptr),
                             dtype, span)
        return np.lib.stride_tricks.as_strided(base, shape,
                                               [st * dtype.itemsize for st in strides])

    @classmethod
    def gemmStridedBatchedEx(cls, handle, transa, transb, m, n, k, alpha, a, a_type, lda,
                             stride_a, b, b_type, ldb, stride_b, beta, c, c_type, ldc, stride_c,
                             count, compute, algo) -> None:
        def operand(ptr, kind, trans, rows, cols, ld, stride):  # op(X), rows x cols
            x = cls._matrices(ptr, kind, (count, rows, cols),
                              (stride, ld, 1) if trans else (stride, 1, ld))
            if kind == 14:  # bfloat16 bits
                return (x.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
            return x.astype(np.float64)

        prod = operand(a, a_type, transa, m, k, lda, stride_a) @ \
            operand(b, b_type, transb, k, n, ldb, stride_b)
        out = cls._matrices(c, c_type, (count, m, n), (stride_c, 1, ldc))
        if c_type == 14:  # round to nearest even
            bits = prod.astype(np.float32).view(np.uint32)
            out[...] = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        else:
            out[...] = prod


# ---- linear algebra: cuSOLVER, cupy.linalg, cupyx.scipy.linalg ---------------------------

def _column_major(ptr: int, dtype, rows: int, cols: int, ld: int) -> np.ndarray:
    """The rows x cols column-major matrix at device address ptr (leading dimension ld), as
    a writable NumPy view: cuSOLVER's view of memory."""
    dtype = np.dtype(dtype)
    if rows == 0 or cols == 0:
        return np.empty((rows, cols), dtype)
    span = (cols - 1) * ld + rows
    base = np.frombuffer((ctypes.c_char * (span * dtype.itemsize)).from_address(ptr), dtype,
                         span)
    return np.lib.stride_tricks.as_strided(base, (rows, cols),
                                           (dtype.itemsize, ld * dtype.itemsize))


def _ints(ptr: int, count: int) -> np.ndarray:
    """count int32 values at device address ptr (pivots, infos)."""
    return np.frombuffer((ctypes.c_char * (4 * count)).from_address(ptr), np.int32, count)


def _trisolve(T: np.ndarray, B: np.ndarray, lower: bool, unit: bool) -> np.ndarray:
    """T^-1 B for the lower or upper triangles of the stacked T (..., n, n) and B (..., n, k)
    by substitution (inf/nan for a zero diagonal, as trsm)."""
    x = np.array(B, dtype=np.result_type(T, B))
    n = T.shape[-1]
    with np.errstate(all="ignore"):
        for i in (range(n) if lower else range(n - 1, -1, -1)):
            lo, hi = (0, i) if lower else (i + 1, n)
            if hi > lo:
                x[..., i, :] -= (T[..., i:i + 1, lo:hi] @ x[..., lo:hi, :])[..., 0, :]
            if not unit:
                x[..., i, :] /= T[..., i, i][..., None]
    return x


class HostCusolver:
    """The cuSOLVER dense routines of CuPy's bindings (cupy.cuda.cusolver) that ember uses,
    on host memory: the same arguments (device addresses, column-major leading
    dimensions, 1-based int32 pivots, devInfo) with LAPACK's unblocked algorithms."""

    @staticmethod
    def _getrf(dtype, handle, m, n, A, lda, work, ipiv, info) -> None:
        a = _column_major(A, dtype, m, n, lda)
        piv, inf = _ints(ipiv, min(m, n)), _ints(info, 1)
        inf[0] = 0
        with np.errstate(all="ignore"):
            for j in range(min(m, n)):  # getf2: the largest pivot, going on past a zero one
                p = j + int(np.abs(a[j:, j]).argmax())
                piv[j] = p + 1
                if a[p, j] == 0:
                    if inf[0] == 0:
                        inf[0] = j + 1
                    continue
                if p != j:
                    a[[j, p]] = a[[p, j]]
                a[j + 1:, j] *= 1 / a[j, j]
                a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])

    @staticmethod
    def _getrs(dtype, handle, trans, n, nrhs, A, lda, ipiv, B, ldb, info) -> None:
        assert trans == 0, "the host getrs solves A X = B only"
        a = _column_major(A, dtype, n, n, lda)
        b = _column_major(B, dtype, n, nrhs, ldb)
        piv = _ints(ipiv, n)
        for j in range(n):
            p = int(piv[j]) - 1
            if p != j:
                b[[j, p]] = b[[p, j]]
        b[...] = _trisolve(np.array(a), _trisolve(np.array(a), np.array(b), True, True),
                           False, False)
        _ints(info, 1)[0] = 0

    @staticmethod
    def _potrf(dtype, handle, uplo, n, A, lda, work, lwork, info) -> None:
        a = _column_major(A, dtype, n, n, lda)
        inf = _ints(info, 1)
        inf[0] = 0
        upper = uplo == 1  # CUBLAS_FILL_MODE_UPPER: A = U^T U from the upper triangle
        L = np.array(a.T if upper else a)  # the lower triangle of the factored matrix
        for j in range(n):
            d = L[j, j] - L[j, :j] @ L[j, :j]
            if not d > 0:
                inf[0] = j + 1
                break
            L[j, j] = np.sqrt(d)
            L[j + 1:, j] = (L[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
        lower = np.tril(np.ones((n, n), bool))
        if upper:
            a[lower.T] = L.T[lower.T]
        else:
            a[lower] = L[lower]

    @staticmethod
    def _buffer_size(*args) -> int:
        return 1


for _p, _t in (("s", np.float32), ("d", np.float64)):
    for _name, _fn in (("getrf", HostCusolver._getrf), ("getrs", HostCusolver._getrs),
                       ("potrf", HostCusolver._potrf)):
        setattr(HostCusolver, _p + _name, staticmethod(
            lambda *args, _fn=_fn, _t=_t: _fn(_t, *args)))
        setattr(HostCusolver, f"{_p}{_name}_bufferSize", staticmethod(HostCusolver._buffer_size))


class HostLinalg:
    """cupy.linalg's svd, eigh, eigvalsh and qr (CuPy 14's signatures) on NumPy: svd, eigh
    and eigvalsh take stacks (..., M, N); qr is held to one matrix, and its 'raw' mode
    gives float64 for float32 input, as CuPy's."""

    @staticmethod
    def svd(a, full_matrices=True, compute_uv=True):
        a = np.asarray(a)
        m, n = a.shape[-2:]
        batch = a.shape[:-2]
        if a.size == 0:  # CuPy's answers for empty inputs
            s = np.empty(batch + (min(m, n),), a.dtype).view(HostArray)
            if not compute_uv:
                return s
            if full_matrices:
                u = np.broadcast_to(np.eye(m, dtype=a.dtype), batch + (m, m)).copy()
                vt = np.broadcast_to(np.eye(n, dtype=a.dtype), batch + (n, n)).copy()
            else:
                u = np.empty(batch + (m, min(m, n)), a.dtype)
                vt = np.empty(batch + (min(m, n), n), a.dtype)
            return u.view(HostArray), s, vt.view(HostArray)
        out = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
        if not compute_uv:
            return _host(out)
        return tuple(_host(x) for x in out)

    @staticmethod
    def eigh(a, UPLO="L"):
        w, v = np.linalg.eigh(np.asarray(a), UPLO=UPLO)
        return _host(w), _host(v)

    @staticmethod
    def eig(a):
        w, v = np.linalg.eig(np.asarray(a))
        return _host(w), _host(v)

    @staticmethod
    def eigvalsh(a, UPLO="L"):
        return _host(np.linalg.eigvalsh(np.asarray(a), UPLO=UPLO))

    @staticmethod
    def qr(a, mode="reduced"):
        a = np.asarray(a)
        assert a.ndim == 2, "the host cupy.linalg.qr takes one matrix"
        out = np.linalg.qr(a, mode=mode)
        if mode == "raw":
            return tuple(_host(x.astype(np.float64)) for x in out)
        if mode == "r":
            return _host(out)
        return tuple(_host(x) for x in out)


class HostScipyLinalg:
    """cupyx.scipy.linalg.solve_triangular (CuPy 14: a (..., M, M) with b (..., M) or
    (..., M, N) of the same batch) on NumPy."""

    @staticmethod
    def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                         check_finite=False):
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 2:
            assert a.shape[0] == a.shape[1] and len(a) == len(b)
        else:
            assert a.ndim > 2 and a.shape[-1] == a.shape[-2]
            assert a.shape[:-2] == b.shape[:a.ndim - 2], "incompatible batch count"
            assert b.ndim >= a.ndim - 1 and a.shape[-2] == b.shape[a.ndim - 2]
        if trans in (1, 2, "T", "C"):
            a, lower = np.swapaxes(a, -1, -2), not lower
        vector = b.ndim == a.ndim - 1
        x = _trisolve(a, b[..., None] if vector else b, lower, unit_diagonal)
        return _host(x[..., 0] if vector else x)


class HostCupy(types.SimpleNamespace):
    """The ``cupy`` module as ember's backend sees it, on the host."""

    def __init__(self, workdir: Path):
        super().__init__()
        self.workdir = workdir
        parts = []
        for d in K.DTYPES:
            for maker, count in ((K.unary_parts, len(K.UNARY_OPS)),
                                 (K.binary_parts, len(K.BINARY_OPS)),
                                 (K.compare_parts, len(K.COMPARE_OPS)),
                                 (K.pred_parts, len(K.PRED_OPS))):
                for op in range(count):
                    try:
                        parts.append(maker(op, d))
                    except NotImplementedError:
                        pass
            parts += [K.copy_parts(s, d) for s in K.DTYPES]
            parts += [K.fill_parts(d), K.where_parts(d), K.take_parts(d)]
        parts += [maker(d) for d in ("float32", "float64")
                  for maker in (K.igamma_parts, lambda d: K.special_parts(1, d),
                                lambda d: K.special_parts(2, d))]
        kernels = "\n".join(_host_elementwise(p) for p in parts)
        self._ew_lib = _compile(PRELUDE + K.PREAMBLE + K.SPECIAL_SOURCE +
                                kernels, workdir)
        self.cublas = HostCublas
        self.linalg = HostLinalg
        self.cupyx_scipy_linalg = HostScipyLinalg
        self.cuda = types.SimpleNamespace(
            Device=_Device, nccl=_HostNccl, cusolver=HostCusolver,
            device=types.SimpleNamespace(get_cublas_handle=lambda: 0,
                                         get_cusolver_handle=lambda: 0),
            runtime=types.SimpleNamespace(getDeviceCount=lambda: 1, getDevice=lambda: 0,
                                          memcpyAsync=_memcpy),
            driver=types.SimpleNamespace(launchKernel=_launch_kernel),
            alloc=lambda nbytes: MemPtr(np.empty(nbytes, np.uint8).view(HostArray)),
            alloc_pinned_memory=lambda nbytes: bytearray(nbytes),
            Stream=_HostStream, ExternalStream=_HostStream.external, Event=_HostEvent,
            get_current_stream=lambda: _HostStream.current[-1])
        self._pool = types.SimpleNamespace(used_bytes=lambda: 0, total_bytes=lambda: 0,
                                           free_all_blocks=lambda: None)

    def __getattr__(self, name):
        return getattr(np, name)

    def get_default_memory_pool(self):
        return self._pool

    def get_default_pinned_memory_pool(self):
        return types.SimpleNamespace(free_all_blocks=lambda: None)

    def empty(self, shape, dtype=np.float32, order="C"):
        return np.empty(shape, dtype, order=order).view(HostArray)

    def zeros(self, shape, dtype=np.float32):
        return np.zeros(shape, dtype).view(HostArray)

    def ndarray(self, shape, dtype, memptr=None, strides=None):
        return np.ndarray.__new__(HostArray, shape, dtype, buffer=memptr.arr,
                                  offset=memptr.off, strides=strides)

    def argsort(self, a, axis=-1):
        return np.argsort(a, axis=axis, kind="stable")

    def ElementwiseKernel(self, in_params, out_params, operation, name, preamble=""):
        return _Elementwise(self._ew_lib, in_params, out_params, name)

    def RawModule(self, code, options=()):
        return _RawModule(code, self.workdir)


def install(workdir: Path) -> HostCupy:
    """Makes ember's CUDA backend run on a new HostCupy in workdir, for the process's life
    (tests that need it undone patch the same five names with monkeypatch). Convolutions
    take the im2col path: cuDNN has no host stand-in."""
    import ember
    from ember.backends import cuda as backend
    from ember.backends.cuda import linalg as backend_linalg
    host = HostCupy(workdir)
    backend_linalg._cupyx_linalg = lambda: host.cupyx_scipy_linalg
    ember.cuda._cupy = lambda: host
    backend._apply_tf32 = lambda allow: None
    backend._cublas = lambda: host.cublas
    backend._cudnn = lambda *operands: None
    return host


def _host_elementwise(p: K.Parts) -> str:
    args, binds = [], []
    for spec in (p.in_params + ", " + p.out_params).split(","):
        words = spec.split()
        typ, var = C_NAMES[words[-2]], words[-1]
        if var in SCALARS:
            args.append(f"{typ} {var}")
        elif words[0] == "raw":
            args.append(f"const {typ} *{var}")
        else:
            args.append(f"{typ} *{var}_p")
            binds.append(f"{typ} &{var} = {var}_p[i];")
    return (f'extern "C" void {p.name}({", ".join(args)}, long long n) {{\n'
            f"  for (long long i = 0; i < n; ++i) {{ {' '.join(binds)} {p.operation} }}\n}}\n")


class _RawModule:
    def __init__(self, code: str, workdir: Path):
        pre = subprocess.run(["g++", "-E", "-P", "-std=c++20", "-x", "c++", "-"],
                             input=code.replace('extern "C" __global__', 'extern "C"'),
                             capture_output=True, text=True, check=True).stdout
        wrappers, self.sigs = [], {}
        for name, params in _SIG.findall(pre):
            decls = [p.strip() for p in params.split(",") if p.strip()]
            names = [d.split()[-1].lstrip("*") for d in decls]
            self.sigs[name] = [_ctype(d) for d in decls]
            wrappers.append(f'extern "C" void host_{name}(long long em_g_, long long em_gy_, '
                            f'long long em_b_, int em_c_, {", ".join(decls)}) {{ '
                            f'em_launch(em_g_, em_gy_, em_b_, em_c_, [&] {{ '
                            f'{name}({", ".join(names)}); }}); }}')
        body = code.replace('extern "C" __global__', 'extern "C"')
        self.lib = _compile(PRELUDE + body + "\n" + "\n".join(wrappers), workdir)

    def get_function(self, name: str) -> _RawFunction:
        coop = name.startswith(_SYNC_KERNELS)
        return _RawFunction(getattr(self.lib, f"host_{name}"), self.sigs[name], coop)


class _HostStream:
    """cupy.cuda.Stream on the host: work runs when it is queued, so a stream is always
    done; entering one (or ``use``) makes it the one get_current_stream returns."""

    def __init__(self, non_blocking=False, priority=0, ptr=None):
        self.ptr = id(self) if ptr is None else ptr
        self.done = True

    @classmethod
    def external(cls, ptr, device_id=-1):
        return cls(ptr=ptr)

    def synchronize(self):
        pass

    def wait_event(self, event):
        pass

    def use(self):
        _HostStream.current[-1] = self
        return self

    def __enter__(self):
        _HostStream.current.append(self)
        return self

    def __exit__(self, *exc):
        _HostStream.current.pop()
        return False


_HostStream.null = _HostStream(ptr=0)
_HostStream.current = [_HostStream.null]


class _HostEvent:
    """cupy.cuda.Event on the host: recorded work has already run, so it is done."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.ptr = id(self)
        self.done = True
        self.stream = None

    def record(self, stream=None):
        self.stream = stream

    def synchronize(self):
        pass


class _Device:
    def __init__(self, idx=0):
        self.id = 0 if idx is None else idx

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def use(self):
        pass

    def synchronize(self):
        pass
