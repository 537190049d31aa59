"""Compute backends: cpu (our C library through cffi) and cuda (CuPy)."""

from . import cuda  # noqa: E402,F401  (no CuPy import: ember.backends.cuda.matmul flags)
