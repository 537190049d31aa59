"""torch.backends.cuda's switches for scaled dot-product attention's kernels, and its
preferred linear-algebra library.

Ember computes ``scaled_dot_product_attention`` one way on every device (matmuls and
the fused softmax: torch's "math" kernel), so these flags are kept and reported for
programs that set and read them, and choose nothing; ember has no flash, memory-efficient
or cuDNN attention kernel (``is_flash_attention_available()`` is False). Likewise its GPU
linear algebra always runs on cuSOLVER through CuPy, whatever library is preferred.

Example:
    >>> ember.backends.cuda.enable_flash_sdp(False)
    >>> ember.backends.cuda.flash_sdp_enabled()
    False
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from collections.abc import Iterator

# the kernels scaled_dot_product_attention may pick, all allowed by default as in torch
# ("overrideable", the slot torch keeps for out-of-tree kernels, only ember.nn.attention's
# sdpa_kernel sets)
_enabled = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
            "overrideable": True}
# the order torch tries them in, as SDPBackend values; sdpa_kernel(set_priority=True)
# rewrites it
_priority = [1, 2, 0, 3, 4]


def enable_flash_sdp(enabled: bool) -> None:
    """Allows or forbids the flash attention kernel."""
    _enabled["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _enabled["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Allows or forbids the memory-efficient attention kernel."""
    _enabled["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _enabled["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    """Allows or forbids the math (matmul and softmax) attention kernel."""
    _enabled["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _enabled["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    """Allows or forbids cuDNN's attention kernel."""
    _enabled["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _enabled["cudnn"]


def is_flash_attention_available() -> bool:
    """False: ember has no flash attention kernel."""
    return False


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True) -> Iterator[None]:
    """Sets the four attention-kernel flags inside the block and restores them after
    (deprecated in torch for ``torch.nn.attention.sdpa_kernel``).

    Example:
        >>> with ember.backends.cuda.sdp_kernel(enable_flash=False):
        ...     ember.backends.cuda.flash_sdp_enabled()
        False
    """
    warnings.warn("`ember.backends.cuda.sdp_kernel()` is deprecated. In the future, this "
                  "context manager will be removed. Please see "
                  "`torch.nn.attention.sdpa_kernel()` for the new context manager, with "
                  "updated signature.", FutureWarning, stacklevel=3)
    saved = dict(_enabled)
    _enabled.update(flash=bool(enable_flash), math=bool(enable_math),
                    mem_efficient=bool(enable_mem_efficient), cudnn=bool(enable_cudnn))
    try:
        yield
    finally:
        _enabled.update(saved)


class _LinalgBackend(enum.Enum):
    """The linear-algebra libraries torch can prefer on CUDA."""

    Default = 0
    Cusolver = 1
    Magma = 2


_preferred = _LinalgBackend.Default
_BY_NAME = {"default": _LinalgBackend.Default, "cusolver": _LinalgBackend.Cusolver,
            "magma": _LinalgBackend.Magma}


def preferred_linalg_library(backend: str | _LinalgBackend | None = None) -> _LinalgBackend:
    """Sets the preferred CUDA linear-algebra library ("default", "cusolver", "magma")
    and returns the one in force; None only reads it. Ember's GPU linear algebra is
    cuSOLVER's either way, and it has no MAGMA: "magma" raises, as in a torch built
    without it.

    Example:
        >>> ember.backends.cuda.preferred_linalg_library("cusolver")
        <_LinalgBackend.Cusolver: 1>
    """
    global _preferred
    if backend is None:
        return _preferred
    if isinstance(backend, str):
        if backend not in _BY_NAME:
            raise RuntimeError("Unknown input value. Choose from: default, cusolver, magma.")
        backend = _BY_NAME[backend]
    elif not isinstance(backend, _LinalgBackend):
        raise RuntimeError("Unknown input value type.")
    if backend is _LinalgBackend.Magma:
        raise RuntimeError("Cannot set preferred backend to MAGMA: ember's GPU linear "
                           "algebra runs on cuSOLVER only.")
    _preferred = backend
    return _preferred
