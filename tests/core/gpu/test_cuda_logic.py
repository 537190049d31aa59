"""The GPU backend's pure-Python logic, checked without a GPU.

- every op code of the C enums has a generated kernel (or a deliberate NotImplementedError);
- the Philox stream the CUDA kernel computes, replayed in NumPy from the constants and
  layout of its source, equals the CPU's ember.rand/randn for the same seed;
- the half/bfloat16 rounding the kernels do in integer arithmetic, replayed in NumPy,
  equals NumPy's float16 and ember's CPU bfloat16 conversions;
- without cuDNN's library, ember reports it missing and convolutions keep im2col.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.backends.cuda import kernels as K

# the repository copy: an installed wheel does not carry the C sources
HEADER = Path(__file__).resolve().parents[3] / "core" / "csrc" / "include" / "ember.h"


def _enum(name: str) -> list:
    text = HEADER.read_text()
    body = re.search(r"enum " + name + r" \{(.*?)\};", text, re.S).group(1)
    return [w.split("=")[0].strip() for w in body.replace("\n", " ").split(",") if w.strip()]


@pytest.mark.parametrize("enum,table", [("em_unary_op", K.UNARY_OPS),
                                        ("em_pred_op", K.PRED_OPS),
                                        ("em_binary_op", K.BINARY_OPS),
                                        ("em_compare_op", K.COMPARE_OPS)])
def test_op_tables_follow_the_c_enums(enum, table):
    names = [n for n in _enum(enum) if not n.endswith("_COUNT")]
    assert len(names) == len(table)
    for c_name, name in zip(names, table):
        assert c_name.lower() == "em_" + name


def test_every_float_unary_op_has_a_kernel():
    for dtype in K.FLOATS:
        for op, name in enumerate(K.UNARY_OPS):
            if name == "bitwise_not":
                with pytest.raises(NotImplementedError, match="bitwise_not"):
                    K.unary_parts(op, dtype)
                continue
            p = K.unary_parts(op, dtype)
            assert p.name == f"em_unary_{name}_{dtype}"
            assert K.UNARY_FLOAT[name] in p.operation
            if dtype in ("float16", "bfloat16"):  # half types load and store through float
                assert "em_f2" in p.operation and "em_" in p.operation.split("=")[1]


def test_integer_unary_ops_and_errors():
    p = K.unary_parts(K.UNARY_CODE["bitwise_not"], "int32")
    assert "~v" in p.operation and p.in_params.startswith("int32 x")
    assert "!v" in K.unary_parts(K.UNARY_CODE["bitwise_not"], "bool").operation
    with pytest.raises(NotImplementedError, match="exp is not implemented for int64"):
        K.unary_parts(K.UNARY_CODE["exp"], "int64")
    with pytest.raises(NotImplementedError, match="lshift"):
        K.binary_parts(K.BINARY_OPS.index("lshift"), "float32")


def test_dtype_mapping_covers_every_ember_dtype():
    for d in (ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int8,
              ember.int16, ember.int32, ember.int64, ember.uint8, ember.bool):
        assert np.dtype(K.CUPY_NAME[d.name]).itemsize == d.itemsize
        assert K.CTYPE[d.name]
    assert K.store("bfloat16", "v") == "em_f2bf((float)(v))"
    assert K.load("float16", "x") == "em_h2f(x)"
    assert K.copy_parts("float32", "int8").operation == "y = (signed char)(long long)((float)(x));"


def test_all_sources_are_unique_translation_units():
    src = K.all_sources()
    assert len(src) > 800
    assert {"random", "put", "nn", "scan", "optim"} <= set(src)
    for name in K.NN_KERNELS:
        for d in K.FLOATS:
            assert f"em_{name}_##SUFFIX" in K.NN_TEMPLATE and f"{d})" in src["nn"]


# ---- Philox replayed in NumPy from the kernel's constants and layout -------------------

M32 = np.uint64(0xFFFFFFFF)


def _philox(seed: int, counters: np.ndarray) -> list:
    for const in (K.PHILOX_M0, K.PHILOX_M1, K.PHILOX_W0, K.PHILOX_W1):
        assert f"0x{const:X}u" in K.RANDOM_SOURCE  # the reference uses the kernel's numbers
    c = counters.astype(np.uint64)
    c0, c1 = c & M32, c >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)
    for _ in range(10):
        p0 = np.uint64(K.PHILOX_M0) * c0
        p1 = np.uint64(K.PHILOX_M1) * c2
        n0 = (p1 >> np.uint64(32)) ^ c1 ^ k0
        n2 = (p0 >> np.uint64(32)) ^ c3 ^ k1
        c1, c3, c0, c2 = p1 & M32, p0 & M32, n0, n2
        k0 = (k0 + np.uint64(K.PHILOX_W0)) & M32
        k1 = (k1 + np.uint64(K.PHILOX_W1)) & M32
    return [c0, c1, c2, c3]


def _u01f(v):
    return (v >> np.uint64(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def _u01d(hi, lo):
    bits = ((hi << np.uint64(32)) | lo) >> np.uint64(11)
    return bits.astype(np.float64) * (1.0 / 9007199254740992.0)


def _kernel_uniform(seed: int, n: int, dtype) -> np.ndarray:
    """em_random_uniform's outputs (low 0, high 1): per = 4 (float32) or 2 (float64)."""
    if dtype == np.float64:
        b = _philox(seed, np.arange((n + 1) // 2))
        out = np.stack([_u01d(b[0], b[1]), _u01d(b[2], b[3])], 1).reshape(-1)
        return out[:n]
    b = _philox(seed, np.arange((n + 3) // 4))
    # low + (high - low) * u with low = 0, high = 1 is u itself (u < 1 always)
    return np.stack([_u01f(w) for w in b], 1).reshape(-1)[:n]


def _kernel_normal64(seed: int, n: int) -> np.ndarray:
    b = _philox(seed, np.arange((n + 1) // 2))
    r = np.sqrt(-2.0 * np.log(1.0 - _u01d(b[0], b[1])))
    t = 6.283185307179586 * _u01d(b[2], b[3])
    return np.stack([r * np.cos(t), r * np.sin(t)], 1).reshape(-1)[:n]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_philox_uniform_matches_cpu_rand(dtype):
    n = 1003  # not a multiple of the per-block count
    g = ember.Generator().manual_seed(1234)
    cpu = ember.rand(n, generator=g, dtype=dtype).numpy()
    ref = _kernel_uniform(1234, n, dtype.np)
    np.testing.assert_array_equal(cpu, ref)


def test_philox_normal_matches_cpu_randn_float64():
    g = ember.Generator().manual_seed(7)
    cpu = ember.randn(501, generator=g, dtype=ember.float64).numpy()
    np.testing.assert_allclose(cpu, _kernel_normal64(7, 501), rtol=1e-13, atol=1e-13)


def test_philox_large_seed_uses_both_key_words():
    seed = 0x1234_5678_9ABC_DEF0
    g = ember.Generator().manual_seed(seed)
    cpu = ember.rand(8, generator=g).numpy()
    np.testing.assert_array_equal(cpu, _kernel_uniform(seed, 8, np.float32))


# ---- half conversions replayed in NumPy ------------------------------------------------

def _f2h(f: np.ndarray) -> np.ndarray:
    """em_f2h in NumPy integer arithmetic."""
    x = f.astype(np.float32).view(np.uint32).astype(np.uint64)
    s = (x >> 16) & 0x8000
    a = x & 0x7FFFFFFF
    normal = (a + 0xFFF + ((a >> 13) & 1) - (112 << 23)) >> 13
    small = np.nan_to_num(np.minimum(np.abs(f.astype(np.float64)), 1.0))  # used if subnormal
    sub = np.rint(small * 16777216.0).astype(np.uint64)
    out = np.where(a < 0x38800000, sub, normal)
    out = np.where(a >= 0x477FF000, 0x7C00, out)
    out = np.where(a > 0x7F800000, 0x7E00, out)
    return (s | out).astype(np.uint16)


def _f2bf(f: np.ndarray) -> np.ndarray:
    x = f.astype(np.float32).view(np.uint32).astype(np.uint64)
    out = (x + 0x7FFF + ((x >> 16) & 1)) >> 16
    out = np.where((x & 0x7FFFFFFF) > 0x7F800000, (x >> 16) | 0x40, out)
    return out.astype(np.uint16)


def _edge_floats() -> np.ndarray:
    rng = np.random.default_rng(0)
    vals = np.concatenate([
        rng.standard_normal(4000).astype(np.float32) * np.float32(10.0) ** rng.integers(
            -9, 6, 4000).astype(np.float32),
        np.float32([0.0, -0.0, 65504, 65519.99, 65520, 65536, 1e-8, 5.96e-8, 2.98e-8, 2.99e-8,
                    6.1e-5, 6.103515625e-05, np.inf, -np.inf, 1 + 2 ** -11, 1 + 3 * 2 ** -11,
                    3.4e38]),
    ])
    return vals.astype(np.float32)


def test_half_rounding_matches_numpy():
    f = _edge_floats()
    with np.errstate(over="ignore"):
        expected = f.astype(np.float16).view(np.uint16)
    np.testing.assert_array_equal(_f2h(f), expected)
    assert _f2h(np.float32([np.nan]))[0] & 0x7FFF > 0x7C00


def test_bfloat16_rounding_matches_cpu_backend():
    f = _edge_floats()
    cpu_bits = ember.from_numpy(f).to(ember.bfloat16)._np()
    np.testing.assert_array_equal(_f2bf(f), cpu_bits)


def test_cudnn_is_optional(monkeypatch):
    """Where libcudnn.so.9 does not load, cudnn reports no library and no version, and the
    CUDA convolutions keep the im2col path (cudnn_conv.usable is False)."""
    from ember.backends.cuda import cudnn_conv, cudnn_library
    monkeypatch.setattr(cudnn_library, "_state", {})
    monkeypatch.setattr(cudnn_library, "_candidates", lambda: iter(["/nonexistent/libcudnn.so.9"]))
    assert cudnn_library.load()[1] is None
    assert ember.backends.cudnn.version() is None
    assert ember.backends.cudnn.is_available() is False
    assert not cudnn_conv.usable(ember.zeros(1, 1, 4, 4))
