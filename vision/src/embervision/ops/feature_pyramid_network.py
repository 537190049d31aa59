"""Feature Pyramid Network (Lin et al., 2017) with torchvision's module names, so a
torchvision state_dict (``inner_blocks.0.0.weight``, ``layer_blocks.0.0.weight``,
``extra_blocks.p6.weight``, ...) loads unchanged.

Example:
    >>> from collections import OrderedDict
    >>> import ember
    >>> fpn = FeaturePyramidNetwork([4, 8], 6, extra_blocks=LastLevelMaxPool())
    >>> out = fpn(OrderedDict(a=ember.rand(1, 4, 8, 8), b=ember.rand(1, 8, 4, 4)))
    >>> [(name, tuple(t.shape)) for name, t in out.items()]
    [('a', (1, 6, 8, 8)), ('b', (1, 6, 4, 4)), ('pool', (1, 6, 2, 2))]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import ember
import ember.nn.functional as F
from ember import nn

from .misc import Conv2dNormActivation


class ExtraFPNBlock(nn.Module):
    """Base of the blocks that add levels on top of the FPN outputs.

    ``forward(results, x, names)`` gets the FPN outputs, the original features and the
    level names, and returns the extended ``(results, names)``.
    """

    def forward(self, results: list[ember.Tensor], x: list[ember.Tensor],
                names: list[str]) -> tuple[list[ember.Tensor], list[str]]:
        raise NotImplementedError


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds a ``pool`` level: the last output subsampled by 2 (max_pool2d, kernel 1)."""

    def forward(self, x: list[ember.Tensor], y: list[ember.Tensor],
                names: list[str]) -> tuple[list[ember.Tensor], list[str]]:
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """RetinaNet's extra levels ``p6`` and ``p7`` (3x3 stride-2 convolutions); ``p6`` reads
    P5 when ``in_channels == out_channels``, else C5."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p: list[ember.Tensor], c: list[ember.Tensor],
                names: list[str]) -> tuple[list[ember.Tensor], list[str]]:
        x = p[-1] if self.use_P5 else c[-1]
        p6 = self.p6(x)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names


class FeaturePyramidNetwork(nn.Module):
    """Top-down pathway with lateral 1x1 connections over an ordered dict of feature maps
    (highest resolution first); every output has ``out_channels`` channels.

    Args:
        in_channels_list: channels of each input level.
        out_channels: channels of every output level.
        extra_blocks: an ``ExtraFPNBlock`` adding levels (e.g. ``LastLevelMaxPool()``).
        norm_layer: optional norm after each convolution.
    """

    def __init__(self, in_channels_list: list[int], out_channels: int,
                 extra_blocks: ExtraFPNBlock | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(
                in_channels, out_channels, kernel_size=1, padding=0, norm_layer=norm_layer,
                activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(
                out_channels, out_channels, kernel_size=3, norm_layer=norm_layer,
                activation_layer=None))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"extra_blocks should be of type ExtraFPNBlock not "
                            f"{type(extra_blocks)}")
        self.extra_blocks = extra_blocks

    def get_result_from_inner_blocks(self, x: ember.Tensor, idx: int) -> ember.Tensor:
        """``self.inner_blocks[idx](x)``."""
        return self.inner_blocks[idx](x)

    def get_result_from_layer_blocks(self, x: ember.Tensor, idx: int) -> ember.Tensor:
        """``self.layer_blocks[idx](x)``."""
        return self.layer_blocks[idx](x)

    def forward(self, x: dict[str, ember.Tensor]) -> dict[str, ember.Tensor]:
        names = list(x.keys())
        feats = list(x.values())
        last_inner = self.get_result_from_inner_blocks(feats[-1], -1)
        results = [self.get_result_from_layer_blocks(last_inner, -1)]
        for idx in range(len(feats) - 2, -1, -1):
            lateral = self.get_result_from_inner_blocks(feats[idx], idx)
            top_down = F.interpolate(last_inner, size=tuple(lateral.shape[-2:]), mode="nearest")
            last_inner = lateral + top_down
            results.insert(0, self.get_result_from_layer_blocks(last_inner, idx))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, feats, names)
        return OrderedDict(zip(names, results))
