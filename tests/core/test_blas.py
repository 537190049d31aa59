"""backends/blas.py: GEMMs cut into row, column or batch blocks on several threads give
NumPy's result, and a forked child (DataLoader workers) computes on one thread instead of
waiting for the parent's OpenMP threads."""

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


def _child(queue):
    a = np.ones((600, 300), np.float32)
    b = ember.ones(300000)
    queue.put((ember.get_num_threads(), float((b + b).sum()),
               float(blas.matmul(a, a.T, np.empty((600, 600), np.float32))[0, 0])))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork start method only")
def test_forked_child_runs_single_threaded():
    a = np.ones((600, 300), np.float32)
    blas.matmul(a, a.T, np.empty((600, 600), np.float32))  # the parent's threads exist now
    ember.ones(300000).sum()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(queue,))
    p.start()
    assert queue.get(timeout=60) == (1, 600000.0, 300.0)
    p.join(60)
    assert p.exitcode == 0
