"""Compute backends: cpu (our C library through cffi) and cuda (CuPy); and torch's switch
between full float32 and TF32 GEMMs, ``set_float32_matmul_precision``."""

import warnings

from . import cuda, cudnn  # noqa: E402,F401  (no CuPy import: the flags of torch.backends)
from . import mkldnn, mps, opt_einsum  # noqa: E402,F401  (flags and stubs, as torch.backends)

_PRECISIONS = ("highest", "high", "medium")
_precision = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """"highest" (the default) keeps float32 GEMMs in full float32; "high" and "medium" let
    CUDA GEMMs run in TF32 (``backends.cuda.matmul.allow_tf32``). CPU GEMMs stay float32.

    Example:
        >>> ember.set_float32_matmul_precision("high")
    """
    global _precision
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "set_float32_matmul_precision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _precision = precision
    cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """The precision float32 GEMMs run at, as torch reports it: "highest" while
    ``backends.cuda.matmul.allow_tf32`` is off, whoever set it."""
    if not cuda.matmul.allow_tf32:
        return "highest"
    return _precision if _precision != "highest" else "high"
