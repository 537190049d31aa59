"""The device errors torch names at its top level and in torch.cuda.

Example:
    >>> try:
    ...     x = ember.empty(2 ** 40, device="cuda")
    ... except ember.OutOfMemoryError:      # also an ordinary RuntimeError
    ...     x = None
"""

from __future__ import annotations


class OutOfMemoryError(RuntimeError):
    """A GPU allocation failed: the device (or the share set by
    ``ember.cuda.set_per_process_memory_fraction``) has no room left."""


class AcceleratorError(RuntimeError):
    """The CUDA runtime reported an error; ``error_code`` is its cudaError_t number."""

    def __init__(self, message: str, error_code: int = 0) -> None:
        super().__init__(message)
        self.error_code = error_code


# torch's names: ember.OutOfMemoryError, the same class as ember.cuda.OutOfMemoryError
OutOfMemoryError.__module__ = AcceleratorError.__module__ = "ember"


def _format_bytes(nbytes: int) -> str:
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.2f} {unit}"
    return f"{nbytes} bytes"


def out_of_memory(nbytes: int, device_index: int, cause: BaseException) -> OutOfMemoryError:
    """The error for a failed allocation of nbytes on GPU device_index (cause: CuPy's)."""
    return OutOfMemoryError(f"CUDA out of memory. Tried to allocate {_format_bytes(nbytes)} "
                            f"(GPU {device_index}). {cause}")
