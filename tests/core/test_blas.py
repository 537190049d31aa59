"""backends/blas.py and csrc/gemm.c: GEMMs cut into row, column or batch blocks on several
threads give NumPy's result for every operand layout BLAS reads in place (and for those it
cannot, through a copy), and a forked child (DataLoader workers) computes on one thread
instead of waiting for the parent's OpenMP threads."""

import multiprocessing
import os

import numpy as np
import pytest

import ember
from ember.backends import blas

SHAPES = [
    ((512, 300), (300, 400)),         # rows
    ((40, 300), (300, 4000)),         # columns: out is wider than tall
    ((6, 256, 256), (6, 256, 256)),   # batch blocks
    ((1, 64, 576), (576, 3000)),      # one matrix in a batch: split inside it
    ((2, 1, 300, 200), (3, 200, 300)),  # broadcast batch dims
    ((9, 4), (4, 3)),                 # too small to split
]


@pytest.fixture(params=[1, 2, 3])
def threads(request):
    before = ember.get_num_threads()
    ember.set_num_threads(request.param)
    yield request.param
    ember.set_num_threads(before)


@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_equal_numpy(sa, sb, dtype, threads):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    want = np.matmul(a, b)
    got = blas.matmul(a, b, np.empty(want.shape, dtype))
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-10)


def _layouts(shape, rng, dtype):
    """The same values as a contiguous array, a transposed copy seen back, a strided slice
    of a wider array, and a matrix whose unit dim has a stride BLAS never reads."""
    x = rng.standard_normal(shape).astype(dtype)
    wide = np.zeros(shape[:-1] + (shape[-1] * 2,), dtype)
    wide[..., ::2] = x
    yield x
    yield np.ascontiguousarray(np.swapaxes(x, -1, -2)).swapaxes(-1, -2)
    yield wide[..., ::2]  # column stride 2: copied first
    yield np.lib.stride_tricks.as_strided(x, x.shape, x.strides[:-2] + (x.strides[-2], 0)
                                          ) if shape[-1] == 1 else x[..., :, :]


@pytest.mark.parametrize("sa,sb", [((96, 1), (1, 200)), ((1, 300), (300, 100)),
                                   ((100, 300), (300, 1)), ((3, 100, 64), (64, 80)),
                                   ((100, 0), (0, 50)), ((2, 70, 64), (1, 64, 90))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layout_equals_numpy(sa, sb, dtype, threads):
    rng = np.random.default_rng(1)
    for a in _layouts(sa, rng, dtype):
        for b in _layouts(sb, rng, dtype):
            want = np.matmul(a, b)
            got = blas.matmul(a, b, np.full(want.shape, np.nan, dtype))
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
            # the tensor entry point (ember.matmul) reads the same layouts
            ea, eb = ember.from_numpy(a.copy()), ember.from_numpy(b.copy())
            if a.strides[-1] != a.itemsize:
                ea = ember.from_numpy(np.ascontiguousarray(a.swapaxes(-1, -2))).mT
            np.testing.assert_allclose((ea @ eb).numpy(), want, rtol=1e-5, atol=1e-4)


def test_output_views_are_written_in_place(threads):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((64, 300)).astype(np.float32)
    b = rng.standard_normal((300, 200)).astype(np.float32)
    big = np.zeros((64, 450), np.float32)
    blas.matmul(a, b, big[:, 100:300])  # row stride 450, inside a larger buffer
    np.testing.assert_allclose(big[:, 100:300], a @ b, rtol=1e-5, atol=1e-4)
    assert not big[:, :100].any() and not big[:, 300:].any()
    out_t = np.zeros((200, 64), np.float32).T  # a transposed output: NumPy writes it
    np.testing.assert_allclose(blas.matmul(a, b, out_t), a @ b, rtol=1e-5, atol=1e-4)


def _child(queue):
    a = np.ones((600, 300), np.float32)
    b = ember.ones(300000)
    conv = ember.nn.functional.conv2d(ember.ones(4, 2, 6, 6), ember.ones(3, 2, 3, 3))
    queue.put((ember.get_num_threads(), float((b + b).sum()),
               float(blas.matmul(a, a.T, np.empty((600, 600), np.float32))[0, 0]),
               float(conv.sum())))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork start method only")
def test_forked_child_runs_single_threaded():
    a = np.ones((600, 300), np.float32)
    blas.matmul(a, a.T, np.empty((600, 600), np.float32))  # the parent's threads exist now
    ember.ones(300000).sum()
    ember.nn.functional.conv2d(ember.ones(4, 2, 6, 6), ember.ones(3, 2, 3, 3))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(queue,))
    p.start()
    assert queue.get(timeout=60) == (1, 600000.0, 300.0, 4 * 3 * 16 * 18.0)
    p.join(60)
    assert p.exitcode == 0



def _corename_in_child(coretype: str | None) -> str:
    """OpenBLAS's kernel family after `import ember` in a fresh interpreter, started with
    OPENBLAS_CORETYPE=coretype (or without it)."""
    import subprocess
    import sys
    code = ("import ctypes, ember\n"
            "from ember import _openblas\n"
            "for path in {l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l}:\n"
            "    lib = ctypes.CDLL(path)\n"
            "    for name in ('scipy_openblas_get_corename64_', 'openblas_get_corename64_'):\n"
            "        if hasattr(lib, name):\n"
            "            getattr(lib, name).restype = ctypes.c_char_p\n"
            "            print(getattr(lib, name)().decode())\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return out.stdout.split()[0]


@pytest.mark.skipif(not blas.HAVE_GEMM, reason="NumPy's BLAS is not a bundled OpenBLAS")
def test_kernel_family_choice_on_double_pumped_avx512():
    """On Zen 4 ember moves OpenBLAS from its AVX-512 kernels to its AVX2 ones, elsewhere it
    keeps OpenBLAS's choice; a user's OPENBLAS_CORETYPE is left alone."""
    from ember import _openblas
    chosen = _corename_in_child(None)
    if _openblas._double_pumped_avx512():
        assert chosen == "Haswell"
    else:
        assert chosen.lower() not in ("", "unknown")
    assert _corename_in_child("Sandybridge") == "Sandybridge"
