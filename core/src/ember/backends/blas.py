"""GEMM through NumPy's OpenBLAS, run single-threaded and split across ember's threads.

OpenBLAS keeps its own thread pool, whose idle workers spin for a while after each call.
Next to ember's OpenMP threads on the same cores the two pools took turns starving each
other: a LeNet training step ran 5-10x slower whenever OpenMP waited actively (as it does
when torch's libgomp is the one loaded in the process). So OpenBLAS runs on one thread and
a large product is cut into blocks of rows (or of batch entries) computed at once on a few
Python threads: NumPy releases the GIL inside BLAS, and an idle Python thread sleeps.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Below this many flops (a 256^3 product) a second thread measured no faster.
_SPLIT_FLOPS = 1 << 26
_state = {"threads": 1, "pool": None, "workers": 0}


def set_threads(n: int) -> None:
    """How many blocks a large GEMM is cut into (ember.set_num_threads)."""
    _state["threads"] = n


def _pool(workers: int) -> ThreadPoolExecutor:
    pool = _state["pool"]
    if pool is None or _state["workers"] != workers:
        if pool is not None:
            pool.shutdown(wait=False)
        pool = _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="ember-gemm")
        _state["workers"] = workers
    return pool


def _forget_pool() -> None:  # a forked child has none of the parent's threads
    _state["pool"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _run_blocks(run, count: int, parts: int) -> None:
    """run(lo, hi) over [0, count) in `parts` blocks, the first on the calling thread."""
    bounds = [count * i // parts for i in range(parts + 1)]
    pool = _pool(parts - 1)
    futures = [pool.submit(run, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        run(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = a @ b for float arrays with NumPy's broadcasting of batch dims, written in place
    into ``out`` (the result's shape; a strided view works). Returns out.

    Example:
        >>> matmul(np.ones((2, 3)), np.ones((3, 4)), np.empty((2, 4)))[0, 0]
        3.0
    """
    batch = out.shape[:-2]
    n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
    count = math.prod(batch)
    parts = _state["threads"]
    if 2 * n * k * m * count < _SPLIT_FLOPS or parts < 2 or out.size == 0:
        parts = 1
    if batch:
        if n * k * m < 32768:  # tiny matrices: NumPy's stacked loop
            np.matmul(a, b, out=out)
            return out
        # Views per batch index, never a reshape: merging the batch dims of a broadcast or
        # transposed operand (a conv's columns seen per sample) would copy it.
        a = np.broadcast_to(a, batch + (n, k))
        b = np.broadcast_to(b, batch + (k, m))
        index = list(np.ndindex(*batch))
        if count >= parts:  # one GEMM per matrix (NumPy's stacked matmul does not batch
            # its BLAS calls: measured 4.6x slower for (32, 256, 256)), batch split in blocks
            def run(lo, hi):
                for i in index[lo:hi]:
                    np.matmul(a[i], b[i], out=out[i])
            if parts > 1:
                _run_blocks(run, count, parts)
            else:
                run(0, count)
        else:
            for i in index:
                _matmul2d(a[i], b[i], out[i], parts)
        return out
    _matmul2d(a, b, out, parts)
    return out


def _matmul2d(a: np.ndarray, b: np.ndarray, out: np.ndarray, parts: int) -> None:
    # Each block reads all of one operand: split the longer side of out, so that the
    # shared operand is the smaller one (a conv's (64, 576) @ (576, 25088): columns).
    n, m = out.shape
    if parts < 2 or max(n, m) < 8 * parts:
        np.matmul(a, b, out=out)
    elif m > n:
        _run_blocks(lambda lo, hi: np.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), m, parts)
    else:
        _run_blocks(lambda lo, hi: np.matmul(a[lo:hi], b, out=out[lo:hi]), n, parts)
