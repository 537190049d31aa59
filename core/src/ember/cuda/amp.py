"""ember.cuda.amp: torch's older CUDA spellings of ``ember.amp``'s autocast, GradScaler,
custom_fwd and custom_bwd, kept for programs written against them; each warns
FutureWarning as torch's do.

Example:
    >>> with ember.cuda.amp.autocast():          # = ember.autocast("cuda", ember.float16)
    ...     y = model(x)
"""

from __future__ import annotations

import functools
import warnings

from .. import _dtype as D
from .. import amp as _amp

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]


def _warn_renamed(name: str, replacement: str) -> None:
    warnings.warn(f"`ember.cuda.amp.{name}(args...)` is deprecated. Please use "
                  f"`ember.amp.{replacement}` instead.", FutureWarning, stacklevel=3)


class autocast(_amp.autocast):
    """``ember.autocast("cuda", ...)`` under its deprecated name."""

    def __init__(self, enabled: bool = True, dtype=D.float16, cache_enabled: bool = True):
        _warn_renamed("autocast", "autocast('cuda', args...)")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``ember.amp.GradScaler("cuda", ...)`` under its deprecated name."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        _warn_renamed("GradScaler", "GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``ember.amp.custom_fwd(device_type="cuda", ...)`` under its deprecated name."""
    _warn_renamed("custom_fwd", "custom_fwd(args..., device_type='cuda')")
    if fwd is None:
        return functools.partial(_amp.custom_fwd, device_type="cuda", cast_inputs=cast_inputs)
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd=None):
    """``ember.amp.custom_bwd(device_type="cuda")`` under its deprecated name."""
    _warn_renamed("custom_bwd", "custom_bwd(args..., device_type='cuda')")
    if bwd is None:
        return functools.partial(_amp.custom_bwd, device_type="cuda")
    return _amp.custom_bwd(bwd, device_type="cuda")
