"""One thread count for our OpenMP kernels and our GEMM blocks. NumPy's OpenBLAS runs on
one thread (see backends/blas.py): its spinning pool and ours starved each other."""

from __future__ import annotations

import ctypes
import os

from .backends import blas, cpu

_BLAS_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                 "openblas_set_num_threads64_", "openblas_set_num_threads")


def _openblas():
    """NumPy's bundled OpenBLAS, found among the libraries this process has loaded."""
    import numpy  # noqa: F401  (loads its BLAS)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _BLAS_SETTERS:
            fn = getattr(lib, name, None)
            if fn is not None:
                return fn
    return None


_blas_set = _openblas()
if _blas_set is not None:
    _blas_set(1)
    blas.set_threads(cpu.get_num_threads())
# else an unknown BLAS keeps its own threading, and ember does not split GEMMs on top of it


def get_num_threads() -> int:
    """Threads used by ember's CPU kernels (OpenMP) and GEMMs."""
    return cpu.get_num_threads()


def set_num_threads(n: int) -> None:
    """Sets the thread count of ember's kernels and GEMMs together."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    cpu.set_num_threads(n)
    if _blas_set is not None:
        blas.set_threads(n)


if hasattr(os, "register_at_fork"):
    # libgomp's thread pool does not survive fork: a child entering a parallel region
    # would wait forever for the parent's threads. Children run single-threaded.
    os.register_at_fork(after_in_child=lambda: set_num_threads(1))
