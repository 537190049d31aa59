"""Compute backends: cpu (our C library through cffi) and cuda (CuPy)."""

from . import cuda, cudnn  # noqa: E402,F401  (no CuPy import: the flags of torch.backends)
