"""The CUDA elementwise kernels' expression text, executed on the host (no GPU needed).

Every elementwise kernel is an expression table entry plus shared device functions.
Here the same text is compiled by the host C++ compiler (CUDA intrinsics mapped to
plain C++), run over test values, and compared with ember's CPU backend, so a wrong
formula, a swapped parameter or a bad half-precision rounding fails without a device.
Skipped when no C++ compiler is installed.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import ember
from ember.backends import cpu as CPU
from ember.backends.cuda import kernels as K

CXX = shutil.which("g++") or shutil.which("c++")
pytestmark = pytest.mark.skipif(CXX is None, reason="no host C++ compiler")

HOST_PRELUDE = r"""
#include <cmath>
#include <cstring>
using namespace std;
#define __device__
#define __forceinline__ inline
static inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
static inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
static inline unsigned int __float2uint_rn(float f) { return (unsigned int)nearbyintf(f); }
"""
C_NAMES = {"float32": "float", "float64": "double", "uint16": "unsigned short",
           "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
           "uint8": "unsigned char", "bool": "bool"}
SCALARS = {"p0", "p1", "p2", "alpha", "fv", "iv"}


def _host_function(p: K.Parts) -> str:
    """A host loop over n elements applying p.operation (scalars by value)."""
    args, binds = [], []
    for spec in (p.in_params + ", " + p.out_params).split(","):
        typ, var = C_NAMES[spec.split()[-2]], spec.split()[-1]
        if var in SCALARS:
            args.append(f"{typ} {var}")
        else:
            args.append(f"{typ} *{var}_p")
            binds.append(f"{typ} &{var} = {var}_p[i];")
    return (f'extern "C" void {p.name}({", ".join(args)}, long long n) {{\n'
            f"  for (long long i = 0; i < n; ++i) {{ {' '.join(binds)} {p.operation} }}\n}}\n")


@pytest.fixture(scope="module")
def host_lib(tmp_path_factory):
    parts = []
    for d in K.DTYPES:
        for op in range(len(K.UNARY_OPS)):
            try:
                parts.append(K.unary_parts(op, d))
            except NotImplementedError:
                pass
        for op in range(len(K.BINARY_OPS)):
            try:
                parts.append(K.binary_parts(op, d))
            except NotImplementedError:
                pass
        parts += [K.compare_parts(op, d) for op in range(len(K.COMPARE_OPS))]
        parts += [K.pred_parts(op, d) for op in range(len(K.PRED_OPS))]
        parts += [K.copy_parts(s, d) for s in K.DTYPES]
        parts.append(K.fill_parts(d))
    src = HOST_PRELUDE + K.PREAMBLE + "\n".join(_host_function(p) for p in parts)
    d = tmp_path_factory.mktemp("hostk")
    (d / "k.cpp").write_text(src)
    res = subprocess.run([CXX, "-O1", "-shared", "-fPIC", "-std=c++17", "-fno-fast-math",
                          "-ffp-contract=off", "-o", str(d / "k.so"), str(d / "k.cpp")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return ctypes.CDLL(str(d / "k.so"))


def _ptr(a: np.ndarray):
    return ctypes.c_void_p(a.ctypes.data)


def _bits(t) -> np.ndarray:
    """A contiguous CPU tensor's storage values as the CUDA kernels see them."""
    return np.ascontiguousarray(t._np()).view(np.dtype(K.CUPY_NAME[t.dtype.name])).reshape(-1)


def _values(t) -> np.ndarray:
    return (t.float() if t.dtype == ember.bfloat16 else t).numpy().astype(np.float64)


TOL = {"float32": 3e-6, "float64": 1e-13, "float16": 1e-3, "bfloat16": 8e-3}
X = np.concatenate([np.linspace(-4, 4, 161), [0.0, -0.0, 0.25, 0.5, 1.0, 7.5, 30.0, -30.0,
                                              np.inf, -np.inf, np.nan]])
PARAMS = {"logit": (0.1,), "softplus": (2.0, 20.0), "elu": (1.5, 1.2, 0.8),
          "leaky_relu": (0.01,), "clamp": (-0.5, 0.75), "hardtanh": (-0.5, 0.75),
          "threshold": (0.2, -1.0), "nan_to_num": (0.0, 9.0, -9.0),
          "round_decimals": (2, 100.0), "celu": (1.3,), "pow_scalar": (3.0,),
          "rpow_scalar": (2.0,)}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_unary_expressions_match_cpu(host_lib, dtype):
    x = ember.tensor(X).to(getattr(ember, dtype))
    for op, name in enumerate(K.UNARY_OPS):
        if name == "bitwise_not":
            continue
        p = (PARAMS.get(name, ()) + (0.0, 0.0, 0.0))[:3]
        ref = ember.empty(x.shape, dtype=x.dtype)
        CPU.unary(op, x, ref, *p)
        xb = _bits(x)
        yb = np.empty_like(xb)
        getattr(host_lib, f"em_unary_{name}_{dtype}")(
            _ptr(xb), ctypes.c_double(p[0]), ctypes.c_double(p[1]), ctypes.c_double(p[2]),
            _ptr(yb), ctypes.c_longlong(xb.size))
        got = ember.empty(x.shape, dtype=x.dtype)
        got._np().reshape(-1).view(yb.dtype)[...] = yb
        np.testing.assert_allclose(_values(got), _values(ref), rtol=TOL[dtype], atol=TOL[dtype],
                                   equal_nan=True, err_msg=f"{name} {dtype}")


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_integer_unary_expressions_match_cpu(host_lib, dtype):
    x = ember.tensor(np.arange(-60, 60) if dtype != "uint8" else np.arange(0, 250)).to(
        getattr(ember, dtype))
    for name in K.UNARY_INT:
        op = K.UNARY_CODE[name]
        p = (PARAMS.get(name, ()) + (0.0, 0.0, 0.0))[:3]
        p = tuple(float(int(v)) for v in p)
        ref = ember.empty(x.shape, dtype=x.dtype)
        CPU.unary(op, x, ref, *p)
        xb = _bits(x)
        yb = np.empty_like(xb)
        getattr(host_lib, f"em_unary_{name}_{dtype}")(
            _ptr(xb), ctypes.c_double(p[0]), ctypes.c_double(p[1]), ctypes.c_double(p[2]),
            _ptr(yb), ctypes.c_longlong(xb.size))
        np.testing.assert_array_equal(yb, _bits(ref), err_msg=f"{name} {dtype}")


def _binary_inputs(dtype):
    if dtype in K.FLOATS:
        a = np.concatenate([np.linspace(-5, 5, 41), [0.0, -0.0, 3.0, np.inf, np.nan, 2.5]])
        b = np.concatenate([np.linspace(3, -3, 41), [2.0, 2.0, 0.0, 1.0, 1.0, -np.inf]])
    else:
        lo = 0 if dtype in ("uint8", "bool") else -9
        a = np.arange(lo, lo + 47) % (2 if dtype == "bool" else 1000)
        b = (np.arange(47) * 7 % 13) - (0 if lo == 0 else 4)
        if dtype == "bool":
            b = b % 2
    t = getattr(ember, "bool" if dtype == "bool" else dtype)
    return ember.tensor(a).to(t), ember.tensor(b).to(t)


@pytest.mark.parametrize("dtype", list(K.DTYPES))
def test_binary_and_compare_expressions_match_cpu(host_lib, dtype):
    a, b = _binary_inputs(dtype)
    ab, bb = _bits(a), _bits(b)
    for op, name in enumerate(K.BINARY_OPS):
        fn = getattr(host_lib, f"em_binary_{name}_{dtype}", None) if (
            name in (K.BINARY_FLOAT if dtype in K.FLOATS else K.BINARY_INT)) else None
        if fn is None or (dtype == "bool" and name in ("lshift", "rshift")):
            continue
        if name == "pow" and dtype not in K.FLOATS:
            continue  # the CPU rejects negative integer powers before the kernel
        ref = ember.empty(a.shape, dtype=a.dtype)
        try:
            CPU.binary(op, a, b, ref, 2.0)
        except (TypeError, RuntimeError, ZeroDivisionError):
            continue  # not defined for this dtype on the CPU either
        yb = np.empty_like(ab)
        fn(_ptr(ab), _ptr(bb), ctypes.c_double(2.0), _ptr(yb), ctypes.c_longlong(ab.size))
        if dtype in K.FLOATS:
            got = ember.empty(a.shape, dtype=a.dtype)
            got._np().reshape(-1).view(yb.dtype)[...] = yb
            np.testing.assert_allclose(_values(got), _values(ref), rtol=TOL[dtype],
                                       atol=TOL[dtype], equal_nan=True,
                                       err_msg=f"{name} {dtype}")
        else:
            np.testing.assert_array_equal(yb, _bits(ref), err_msg=f"{name} {dtype}")
    for op, name in enumerate(K.COMPARE_OPS):
        ref = ember.empty(a.shape, dtype=ember.bool)
        CPU.compare(op, a, b, ref)
        yb = np.empty(ab.size, np.bool_)
        getattr(host_lib, f"em_compare_{name}_{dtype}")(_ptr(ab), _ptr(bb), _ptr(yb),
                                                        ctypes.c_longlong(ab.size))
        np.testing.assert_array_equal(yb, ref.numpy(), err_msg=f"{name} {dtype}")
    for op, name in enumerate(K.PRED_OPS):
        ref = ember.empty(a.shape, dtype=ember.bool)
        CPU.pred(op, a, ref)
        yb = np.empty(ab.size, np.bool_)
        getattr(host_lib, f"em_pred_{name}_{dtype}")(_ptr(ab), _ptr(yb),
                                                     ctypes.c_longlong(ab.size))
        np.testing.assert_array_equal(yb, ref.numpy(), err_msg=f"{name} {dtype}")


@pytest.mark.parametrize("src", list(K.DTYPES))
def test_copy_casts_match_cpu(host_lib, src):
    vals = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 100.7, -100.7, 127.0, 255.0, 65504.0,
                     1e-3, 3.3e-8])
    x = ember.tensor(vals).to(getattr(ember, src))
    xb = _bits(x)
    for dst in K.DTYPES:
        ref = ember.empty(x.shape, dtype=getattr(ember, dst))
        CPU.copy(x, ref)
        yb = np.empty(xb.size, np.dtype(K.CUPY_NAME[dst]))
        getattr(host_lib, f"em_copy_{src}_{dst}")(_ptr(xb), _ptr(yb), ctypes.c_longlong(xb.size))
        if src in K.FLOATS and dst not in K.FLOATS and dst != "bool":
            keep = np.abs(_values(x)) < 127  # out-of-range float -> int is undefined in C
            np.testing.assert_array_equal(yb[keep], _bits(ref)[keep], err_msg=f"{src}->{dst}")
        else:
            np.testing.assert_array_equal(yb, _bits(ref), err_msg=f"{src}->{dst}")


@pytest.mark.parametrize("dtype", list(K.DTYPES))
def test_fill_matches_cpu(host_lib, dtype):
    t = getattr(ember, dtype)
    for v in ((1.0, -2.5, 1e-8, 70000.0) if dtype in K.FLOATS else (0, 1, 7)):
        ref = ember.empty(3, dtype=t)
        CPU.fill(ref, v)
        yb = np.empty(3, np.dtype(K.CUPY_NAME[dtype]))
        fv, iv = (float(v), 0) if dtype in K.FLOATS else (0.0, int(v))
        getattr(host_lib, f"em_fill_{dtype}")(ctypes.c_double(fv), ctypes.c_longlong(iv),
                                               _ptr(yb), ctypes.c_longlong(3))
        np.testing.assert_array_equal(yb, _bits(ref), err_msg=f"fill {dtype} {v}")
