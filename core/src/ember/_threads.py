"""One thread count for our OpenMP kernels and NumPy's OpenBLAS, so the two pools never
oversubscribe the cores."""

from __future__ import annotations

import ctypes

from .backends import cpu

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


def get_num_threads() -> int:
    """Threads used by ember's CPU kernels (OpenMP) and GEMM (OpenBLAS)."""
    return cpu.get_num_threads()


def set_num_threads(n: int) -> None:
    """Sets the thread count of ember's kernels and of NumPy's OpenBLAS together."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    cpu.set_num_threads(n)
    if _blas_set is not None:
        _blas_set(n)
