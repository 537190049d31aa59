"""ember.nn.attention: choosing among scaled_dot_product_attention's kernels, and the
causal biases of ``ember.nn.attention.bias`` (torch.nn.attention's API).

Ember computes attention with one kernel, torch's "math" one (matmuls and softmax), on
every device. The backend flags that ``sdpa_kernel`` sets are those of
``ember.backends.cuda`` (``enable_flash_sdp`` and its siblings); they decide only whether
a call is allowed to run, as in a CPU build of torch: with MATH turned off, a call runs
only where torch's CPU flash kernel would accept it, and otherwise raises RuntimeError.

Example:
    >>> from ember.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel(SDPBackend.MATH):
    ...     out = ember.nn.functional.scaled_dot_product_attention(q, k, v)
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator

from ...backends.cuda import sdp as _sdp
from . import bias  # noqa: F401  (ember.nn.attention.bias, as after importing torch)
from ._flash_impl_registry import (activate_flash_attention_impl, current_flash_attention_impl,
                                   list_flash_attention_impls, register_flash_attention_impl,
                                   restore_flash_attention_impl)

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS",
           "register_flash_attention_impl", "activate_flash_attention_impl",
           "list_flash_attention_impls", "current_flash_attention_impl",
           "restore_flash_attention_impl"]

# torch warns, when True, each time a causal bias falls back from the fused kernels;
# ember has no fused kernels to fall back from, so the flag is kept for programs that set it
WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(int, enum.Enum):
    """The attention kernels ``sdpa_kernel`` can allow, with torch's numbering.

    Example:
        >>> int(SDPBackend.FLASH_ATTENTION)
        1
    """

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


# the flag of ember.backends.cuda.sdp each backend is switched by
_FLAG_OF = {SDPBackend.CUDNN_ATTENTION: "cudnn", SDPBackend.FLASH_ATTENTION: "flash",
            SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.MATH: "math",
            SDPBackend.OVERRIDEABLE: "overrideable"}


def _allow_only(backends: list[SDPBackend], set_priority: bool) -> None:
    for backend, flag in _FLAG_OF.items():
        _sdp._enabled[flag] = backend in backends
    if set_priority:
        # the named backends go first, in the order given; the rest keep their order after
        order = [int(b) for b in backends]
        order += [b for b in _sdp._priority if b not in order]
        _sdp._priority[:] = order


@contextlib.contextmanager
def sdpa_kernel(backends: list[SDPBackend] | SDPBackend,
                set_priority: bool = False) -> Iterator[dict]:
    """Allows only ``backends`` for scaled_dot_product_attention inside the block (as
    ``with`` or as a decorator), restoring the flags after; with ``set_priority=True``
    their order also becomes the order the kernels are tried in.

    Example:
        >>> with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        ...     ember.backends.cuda.mem_efficient_sdp_enabled()
        False
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             f"SDPBackend instances, got {type(backends).__name__}")
    wanted = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    saved_flags, saved_priority = dict(_sdp._enabled), list(_sdp._priority)
    try:
        _allow_only(wanted, set_priority)
        yield {}
    finally:
        _sdp._enabled.update(saved_flags)
        _sdp._priority[:] = saved_priority

