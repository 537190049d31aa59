"""Compute backends: cpu (our C library through cffi) and cuda (CuPy)."""
