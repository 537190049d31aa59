"""NumPy's bundled OpenBLAS (the ILP64 build NumPy's wheels ship), found among the libraries
this process has loaded. Needs nothing of ember: ember/__init__.py asks before ember's C
library (and its OpenMP runtime) loads, backends/blas.py then takes its GEMMs over."""

from __future__ import annotations

import ctypes
import functools
import os

_SYMBOLS = [("scipy_openblas_set_num_threads64_", "scipy_cblas_sgemm64_",
             "scipy_cblas_dgemm64_", "scipy_openblas_get_corename64_"),
            ("openblas_set_num_threads64_", "cblas_sgemm64_", "cblas_dgemm64_",
             "openblas_get_corename64_")]
_AVX512_CORES = {b"skylakex", b"cooperlake", b"sapphirerapids"}


def _double_pumped_avx512() -> bool:
    """Zen 4 (AMD family 25 with AVX-512) runs each 512-bit op as two 256-bit halves."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:  # the first processor's block is enough
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return False
    return (fields.get("vendor_id") == "AuthenticAMD" and fields.get("cpu family") == "25"
            and " avx512f " in f" {fields.get('flags', '')} ")


def _prefer_avx2_kernels(lib: ctypes.CDLL, corename) -> None:
    """On Zen 4 OpenBLAS picks its AVX-512 (SkylakeX) kernels; its Haswell (AVX2) kernels
    are faster there. Measured on a 2-core EPYC (Zen 4), ember matmul medians, SkylakeX ->
    Haswell: 50 LSTM steps (32x256 @ 256x1024) 8.7-12.5 -> 6.1-8.6 ms, 2048^2 85-92 -> 80-87
    ms, a conv GEMM (64x576 @ 576x25088) 12.2-12.9 -> 10.7-12.4 ms, bmm (32,256,256)
    6.1-7.1 -> 5.9-6.1 ms. OpenBLAS reads OPENBLAS_CORETYPE only when it sets itself up, so
    the kernel table is set up again under it; a user's own OPENBLAS_CORETYPE wins."""
    if "OPENBLAS_CORETYPE" in os.environ or not all(
            hasattr(lib, name) for name in ("gotoblas_dynamic_quit", "gotoblas_dynamic_init")):
        return
    corename.restype = ctypes.c_char_p
    if (corename() or b"").lower() not in _AVX512_CORES or not _double_pumped_avx512():
        return
    os.environ["OPENBLAS_CORETYPE"] = "Haswell"
    try:
        lib.gotoblas_dynamic_quit()
        lib.gotoblas_dynamic_init()
    finally:
        del os.environ["OPENBLAS_CORETYPE"]


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
        for set_threads, sgemm, dgemm, corename in _SYMBOLS:
            if all(hasattr(lib, name) for name in (set_threads, sgemm, dgemm, corename)):
                _prefer_avx2_kernels(lib, getattr(lib, corename))
                return (getattr(lib, set_threads),
                        *(ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
                          for name in (sgemm, dgemm)))
    return None
