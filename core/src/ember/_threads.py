"""One thread count for our OpenMP kernels, GEMMs included (backends/blas.py holds NumPy's
OpenBLAS to one thread and runs its products on ours), and those threads' denormal mode."""

from __future__ import annotations

import os

from .backends import cpu


def get_num_threads() -> int:
    """Threads used by ember's CPU kernels (OpenMP) and GEMMs."""
    return cpu.get_num_threads()


def set_num_threads(n: int) -> None:
    """Sets the thread count of ember's kernels and GEMMs together."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    cpu.set_num_threads(n)


def init_num_threads() -> None:
    """Nothing to do: ember's OpenMP threads take their count when the library loads and
    at every set_num_threads, so a new thread already runs with it (torch uses this to
    set up a thread it did not start)."""


def set_flush_denormal(mode: bool) -> bool:
    """Turns flushing of denormal floats to zero on or off for ember's CPU kernels (the
    calling thread and the kernels' OpenMP threads, where torch sets only the calling one);
    returns whether the CPU supports it (x86-64), as torch.set_flush_denormal.

    Example:
        >>> ember.set_flush_denormal(True)
        True
        >>> ember.tensor([1e-320], dtype=ember.float64) * 1.0
        tensor([0.], dtype=ember.float64)
    """
    return cpu.set_flush_denormal(bool(mode))


_interop_threads = [1]


def get_num_interop_threads() -> int:
    """Threads for running independent ops side by side: 1, as ember runs ops one after
    another and spends its threads inside each."""
    return _interop_threads[0]


def set_num_interop_threads(n: int) -> None:
    """Kept and reported back, as torch does; ember's ops run one after another."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"Expected positive number of threads, got {n}")
    _interop_threads[0] = n


if hasattr(os, "register_at_fork"):
    # libgomp's thread pool does not survive fork: a child entering a parallel region
    # would wait forever for the parent's threads. Children run single-threaded.
    os.register_at_fork(after_in_child=lambda: set_num_threads(1))
