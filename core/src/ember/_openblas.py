"""NumPy's bundled OpenBLAS (the ILP64 build NumPy's wheels ship), found among the libraries
this process has loaded. Needs nothing of ember: ember/__init__.py asks before ember's C
library (and its OpenMP runtime) loads, backends/blas.py then takes its GEMMs over."""

from __future__ import annotations

import ctypes
import functools

_SYMBOLS = [("scipy_openblas_set_num_threads64_", "scipy_cblas_sgemm64_",
             "scipy_cblas_dgemm64_"),
            ("openblas_set_num_threads64_", "cblas_sgemm64_", "cblas_dgemm64_")]


@functools.cache
def find() -> tuple | None:
    """(set_num_threads, sgemm address, dgemm address) of NumPy's OpenBLAS, or None where
    NumPy's BLAS is something else (another platform, a NumPy built on MKL)."""
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
        for set_threads, sgemm, dgemm in _SYMBOLS:
            if all(hasattr(lib, name) for name in (set_threads, sgemm, dgemm)):
                return (getattr(lib, set_threads),
                        *(ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
                          for name in (sgemm, dgemm)))
    return None
