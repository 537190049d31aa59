"""Converting convolution weights to a memory format.

Ember stores every tensor in the contiguous (row-major) layout: ``ember.channels_last``
and ``ember.channels_last_3d`` name that same layout, so these conversions accept torch's
arguments and return the module with its weights unchanged.
"""

from __future__ import annotations

from typing import TypeVar

from ..modules.module import Module

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]

_M = TypeVar("_M", bound=Module)


def _convert(module: _M, memory_format, kinds: tuple[str, ...]) -> _M:
    if type(module).__name__ in kinds:
        # a contiguous copy in the requested format: the same values and layout in ember
        module.weight.data = module.weight.detach().clone(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, kinds)
    return module


def convert_conv2d_weight_memory_format(module: _M, memory_format) -> _M:
    """Converts the weights of ``module``'s Conv2d/ConvTranspose2d layers (recursively) to
    ``memory_format`` and returns ``module``, as torch's function of that name.

    Ember has no channels-last layout (``ember.channels_last`` is the contiguous format),
    so the weights keep their values and layout.

    Example:
        >>> m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        >>> nn.utils.convert_conv2d_weight_memory_format(m, ember.channels_last) is m
        True
    """
    return _convert(module, memory_format, ("Conv2d", "ConvTranspose2d"))


def convert_conv3d_weight_memory_format(module: _M, memory_format) -> _M:
    """Converts the weights of ``module``'s Conv3d/ConvTranspose3d layers (recursively) to
    ``memory_format`` and returns ``module``, as torch's function of that name.

    Ember has no channels-last layout (``ember.channels_last_3d`` is the contiguous
    format), so the weights keep their values and layout.

    Example:
        >>> m = nn.Conv3d(2, 2, 1)
        >>> nn.utils.convert_conv3d_weight_memory_format(m, ember.channels_last_3d) is m
        True
    """
    return _convert(module, memory_format, ("Conv3d", "ConvTranspose3d"))
