"""RegNetX and RegNetY (Radosavovic et al., 2020): widths and depths from a quantized linear
rule, ResNeXt-style bottleneck blocks, squeeze-excitation for the Y models."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..transforms.functional import InterpolationMode
from ._api import (WeightsEnum, load_weights, make_divisible, overwrite_named_param,
                   register_model, weights_param)
from ._weights import classification_weights as _w

_SIZES = ["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf"]
__all__ = (["RegNet"] + [f"RegNet_{k}_{s.upper()}_Weights" for k in "YX" for s in _SIZES]
           + ["RegNet_Y_128GF_Weights"] + [f"regnet_{k}_{s}" for k in "yx" for s in _SIZES]
           + ["regnet_y_128gf"])


class SimpleStemIN(Conv2dNormActivation):
    """Stem for ImageNet: 3x3 stride-2 conv, norm, activation."""

    def __init__(self, width_in: int, width_out: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module]) -> None:
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """1x1 (``a``), grouped 3x3 (``b``), optional squeeze-excitation (``se``), 1x1 (``c``)."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int, bottleneck_multiplier: float,
                 se_ratio: float | None) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride,
                                           groups=w_b // group_width, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:
            layers["se"] = SqueezeExcitation(w_b, int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """activation(shortcut(x) + f(x)); the shortcut projects when the shape changes."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int = 1, bottleneck_multiplier: float = 1.0,
                 se_ratio: float | None = None) -> None:
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride,
                                             norm_layer=norm_layer, activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer,
                                     group_width, bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        shortcut = self.proj(x) if self.proj is not None else x
        return self.activation(shortcut + self.f(x))


class AnyStage(nn.Sequential):
    """``depth`` blocks named ``block{stage_index}-{i}``; the first one may downsample."""

    def __init__(self, width_in: int, width_out: int, stride: int, depth: int,
                 block_constructor: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int, bottleneck_multiplier: float, se_ratio: float | None = None,
                 stage_index: int = 0) -> None:
        super().__init__()
        for i in range(depth):
            self.add_module(f"block{stage_index}-{i}", block_constructor(
                width_in if i == 0 else width_out, width_out, stride if i == 0 else 1,
                norm_layer, activation_layer, group_width, bottleneck_multiplier, se_ratio))


class BlockParams:
    """Per-stage depths, widths, group widths, bottleneck multipliers and strides."""

    def __init__(self, depths: list[int], widths: list[int], group_widths: list[int],
                 bottleneck_multipliers: list[float], strides: list[int],
                 se_ratio: float | None = None) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                         bottleneck_multiplier: float = 1.0, se_ratio: float | None = None,
                         **kwargs: Any) -> BlockParams:
        """The stages of the RegNet with initial width ``w_0``, slope ``w_a`` and log-space
        step ``w_m``: block widths ``w_0 * w_m ** round(log((i * w_a + w_0) / w_0) / log(w_m))``
        quantized to multiples of 8; consecutive blocks of one width form a stage.

        Example:
            >>> BlockParams.from_init_params(16, 48, 27.89, 2.09, 8, se_ratio=0.25).widths
            [48, 104, 208, 440]
        """
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        # float32 arithmetic, as torchvision's, so that the roundings agree
        widths_cont = ember.arange(depth, dtype=ember.float32) * w_a + w_0
        capacity = ember.round(ember.log(widths_cont / w_0) / math.log(w_m))
        block_widths = (ember.round(w_0 * ember.pow(w_m, capacity) / 8) * 8).int().tolist()
        starts = [i for i, w in enumerate(block_widths) if i == 0 or w != block_widths[i - 1]]
        stage_widths = [block_widths[i] for i in starts]
        stage_depths = [b - a for a, b in zip(starts, starts[1:] + [depth])]
        n = len(stage_widths)
        multipliers = [bottleneck_multiplier] * n
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, multipliers, [group_width] * n)
        return cls(stage_depths, stage_widths, group_widths, multipliers, [2] * n, se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths,
                   self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths: list[int], bottleneck_ratios: list[float],
                                           group_widths: list[int]
                                           ) -> tuple[list[int], list[int]]:
        """Make each bottleneck width a multiple of its (possibly reduced) group width."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        return [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)], group_widths_min


class RegNet(nn.Module):
    """RegNet from its ``BlockParams``.

    Example:
        >>> params = BlockParams([1, 1], [16, 32], [8, 8], [1.0, 1.0], [2, 2], se_ratio=0.25)
        >>> RegNet(params, num_classes=4, stem_width=8).eval()(ember.rand(1, 3, 32, 32)).shape
        ember.Size([1, 4])
    """

    def __init__(self, block_params: BlockParams, num_classes: int = 1000, stem_width: int = 32,
                 stem_type: Callable[..., nn.Module] | None = None,
                 block_type: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        stem_type = stem_type or SimpleStemIN
        norm_layer = norm_layer or nn.BatchNorm2d
        block_type = block_type or ResBottleneckBlock
        activation = activation or nn.ReLU
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, bottleneck_multiplier) in enumerate(
                block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(
                width, width_out, stride, depth, block_type, norm_layer, activation, group_width,
                bottleneck_multiplier, block_params.se_ratio, stage_index=i + 1)))
            width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


# arch: (depth, w_0, w_a, w_m, group_width, se_ratio)
_ARCHS: dict[str, tuple[int, int, float, float, int, float | None]] = {
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8, 0.25),
    "regnet_y_800mf": (14, 56, 38.84, 2.4, 16, 0.25),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24, 0.25),
    "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24, 0.25),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56, 0.25),
    "regnet_y_16gf": (18, 200, 106.23, 2.48, 112, 0.25),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232, 0.25),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264, 0.25),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16, None),
    "regnet_x_800mf": (16, 56, 35.73, 2.28, 16, None),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24, None),
    "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48, None),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120, None),
    "regnet_x_16gf": (22, 216, 55.59, 2.1, 128, None),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168, None),
}


def _regnet(arch: str, weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> RegNet:
    depth, w_0, w_a, w_m, group_width, se_ratio = _ARCHS[arch]
    params = BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m,
                                          group_width=group_width, se_ratio=se_ratio, **kwargs)
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    # **kwargs go to both, as in torchvision; BlockParams takes bottleneck_multiplier
    kwargs.pop("bottleneck_multiplier", None)
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    return load_weights(RegNet(params, norm_layer=norm_layer, **kwargs), weights, progress)


_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_BICUBIC = InterpolationMode.BICUBIC
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#small-models"
_RECIPE1 = "https://github.com/pytorch/vision/issues/3995#new-recipe"
_RECIPE2 = "https://github.com/pytorch/vision/tree/main/references/classification#medium-models"
_RECIPE3 = "https://github.com/pytorch/vision/tree/main/references/classification#large-models"
_RECIPE4 = "https://github.com/facebookresearch/SWAG"
_RECIPE5 = "https://github.com/pytorch/vision/pull/5793"
_RECIPE6 = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres"


class RegNet_Y_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_400mf-c65dace8.pth", 4344144, 74.046, 91.716, _RECIPE,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_400mf-e6988f5f.pth", 4344144, 75.804, 92.742, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_800mf-1b27b58c.pth", 6432512, 76.42, 93.136, _RECIPE,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_800mf-58fc7688.pth", 6432512, 78.828, 94.502, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_1_6gf-b11a554e.pth", 11202430, 77.95, 93.966, _RECIPE,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_1_6gf-0d7bc02a.pth", 11202430, 80.876, 95.444, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_3_2gf-b5a9779c.pth", 19436338, 78.948, 94.576, _RECIPE2,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_3_2gf-9180c971.pth", 19436338, 81.982, 95.972, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_8gf-d0d0e4a8.pth", 39381472, 80.032, 95.048, _RECIPE2,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_8gf-dc2b1b54.pth", 39381472, 82.828, 96.33, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_16gf-9e6ed7dd.pth", 83590140, 80.424, 95.24, _RECIPE3,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_16gf-3e4a00f9.pth", 83590140, 82.886, 96.328, _RECIPE1,
        crop_size=224, resize=232)
    IMAGENET1K_SWAG_E2E_V1 = _w("regnet_y_16gf_swag-43afe44d.pth", 83590140, 86.012, 98.054,
        _RECIPE4, crop_size=384, resize=384, interpolation=_BICUBIC,
        license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("regnet_y_16gf_lc_swag-f3ec0043.pth", 83590140, 83.976, 97.244,
        _RECIPE5, crop_size=224, resize=224, interpolation=_BICUBIC,
        license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_y_32gf-4dee3f7a.pth", 145046770, 80.878, 95.34, _RECIPE3,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_y_32gf-8db6d4b5.pth", 145046770, 83.368, 96.498, _RECIPE1,
        crop_size=224, resize=232)
    IMAGENET1K_SWAG_E2E_V1 = _w("regnet_y_32gf_swag-04fdfa75.pth", 145046770, 86.838, 98.362,
        _RECIPE4, crop_size=384, resize=384, interpolation=_BICUBIC,
        license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("regnet_y_32gf_lc_swag-e1583746.pth", 145046770, 84.622, 97.48,
        _RECIPE5, crop_size=224, resize=224, interpolation=_BICUBIC,
        license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_128GF_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _w("regnet_y_128gf_swag-c8ce3e52.pth", 644812894, 88.228, 98.682,
        _RECIPE4, crop_size=384, resize=384, interpolation=_BICUBIC,
        license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("regnet_y_128gf_lc_swag-cbe8ce12.pth", 644812894, 86.068,
        97.844, _RECIPE5, crop_size=224, resize=224, interpolation=_BICUBIC,
        license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class RegNet_X_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_400mf-adf1edd5.pth", 5495976, 72.834, 90.95, _RECIPE,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_400mf-62229a5f.pth", 5495976, 74.864, 92.322, _RECIPE6,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_800mf-ad17e45c.pth", 7259656, 75.212, 92.348, _RECIPE,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_800mf-94a99ebd.pth", 7259656, 77.522, 93.826, _RECIPE6,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_1_6gf-e3633e7f.pth", 9190136, 77.04, 93.44, _RECIPE,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_1_6gf-a12f2b72.pth", 9190136, 79.668, 94.922, _RECIPE6,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_3_2gf-f342aeae.pth", 15296552, 78.364, 93.992, _RECIPE2,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_3_2gf-7071aa85.pth", 15296552, 81.196, 95.43, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_8gf-03ceed89.pth", 39572648, 79.344, 94.686, _RECIPE2,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_8gf-2b70d774.pth", 39572648, 81.682, 95.678, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_16gf-2007eb11.pth", 54278536, 80.058, 94.944, _RECIPE2,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_16gf-ba3796d7.pth", 54278536, 82.716, 96.196, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("regnet_x_32gf-9d47f8d0.pth", 107811560, 80.622, 95.248, _RECIPE3,
        crop_size=224)
    IMAGENET1K_V2 = _w("regnet_x_32gf-6eb8fdc6.pth", 107811560, 83.014, 96.288, _RECIPE1,
        crop_size=224, resize=232)
    DEFAULT = IMAGENET1K_V2


@register_model()
@weights_param(RegNet_Y_400MF_Weights, "IMAGENET1K_V1")
def regnet_y_400mf(*, weights: RegNet_Y_400MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY_400MF."""
    return _regnet("regnet_y_400mf", RegNet_Y_400MF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_800MF_Weights, "IMAGENET1K_V1")
def regnet_y_800mf(*, weights: RegNet_Y_800MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY_800MF."""
    return _regnet("regnet_y_800mf", RegNet_Y_800MF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_1_6GF_Weights, "IMAGENET1K_V1")
def regnet_y_1_6gf(*, weights: RegNet_Y_1_6GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY_1.6GF."""
    return _regnet("regnet_y_1_6gf", RegNet_Y_1_6GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_3_2GF_Weights, "IMAGENET1K_V1")
def regnet_y_3_2gf(*, weights: RegNet_Y_3_2GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY_3.2GF."""
    return _regnet("regnet_y_3_2gf", RegNet_Y_3_2GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_8GF_Weights, "IMAGENET1K_V1")
def regnet_y_8gf(*, weights: RegNet_Y_8GF_Weights | None = None, progress: bool = True,
                 **kwargs: Any) -> RegNet:
    """RegNetY_8GF."""
    return _regnet("regnet_y_8gf", RegNet_Y_8GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_16GF_Weights, "IMAGENET1K_V1")
def regnet_y_16gf(*, weights: RegNet_Y_16GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetY_16GF."""
    return _regnet("regnet_y_16gf", RegNet_Y_16GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_32GF_Weights, "IMAGENET1K_V1")
def regnet_y_32gf(*, weights: RegNet_Y_32GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetY_32GF."""
    return _regnet("regnet_y_32gf", RegNet_Y_32GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_Y_128GF_Weights, None)
def regnet_y_128gf(*, weights: RegNet_Y_128GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetY_128GF."""
    return _regnet("regnet_y_128gf", RegNet_Y_128GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_400MF_Weights, "IMAGENET1K_V1")
def regnet_x_400mf(*, weights: RegNet_X_400MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX_400MF."""
    return _regnet("regnet_x_400mf", RegNet_X_400MF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_800MF_Weights, "IMAGENET1K_V1")
def regnet_x_800mf(*, weights: RegNet_X_800MF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX_800MF."""
    return _regnet("regnet_x_800mf", RegNet_X_800MF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_1_6GF_Weights, "IMAGENET1K_V1")
def regnet_x_1_6gf(*, weights: RegNet_X_1_6GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX_1.6GF."""
    return _regnet("regnet_x_1_6gf", RegNet_X_1_6GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_3_2GF_Weights, "IMAGENET1K_V1")
def regnet_x_3_2gf(*, weights: RegNet_X_3_2GF_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> RegNet:
    """RegNetX_3.2GF."""
    return _regnet("regnet_x_3_2gf", RegNet_X_3_2GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_8GF_Weights, "IMAGENET1K_V1")
def regnet_x_8gf(*, weights: RegNet_X_8GF_Weights | None = None, progress: bool = True,
                 **kwargs: Any) -> RegNet:
    """RegNetX_8GF."""
    return _regnet("regnet_x_8gf", RegNet_X_8GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_16GF_Weights, "IMAGENET1K_V1")
def regnet_x_16gf(*, weights: RegNet_X_16GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetX_16GF."""
    return _regnet("regnet_x_16gf", RegNet_X_16GF_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(RegNet_X_32GF_Weights, "IMAGENET1K_V1")
def regnet_x_32gf(*, weights: RegNet_X_32GF_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> RegNet:
    """RegNetX_32GF."""
    return _regnet("regnet_x_32gf", RegNet_X_32GF_Weights.verify(weights), progress, **kwargs)
