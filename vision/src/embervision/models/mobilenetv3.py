"""MobileNetV3 large and small (Howard et al., 2019)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import (WeightsEnum, load_weights, make_divisible, overwrite_named_param,
                   register_model, weights_param)
from ._common import imagenet_weights

__all__ = ["MobileNetV3", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
           "mobilenet_v3_large", "mobilenet_v3_small"]


@dataclass
class InvertedResidualConfig:
    """One bottleneck: channels (scaled by ``width_mult``), kernel, SE, activation, stride."""

    input_channels: int
    kernel: int
    expanded_channels: int
    out_channels: int
    use_se: bool
    activation: str  # "RE" (ReLU) or "HS" (hard swish)
    stride: int
    dilation: int
    width_mult: float

    def __post_init__(self) -> None:
        self.input_channels = self.adjust_channels(self.input_channels, self.width_mult)
        self.expanded_channels = self.adjust_channels(self.expanded_channels, self.width_mult)
        self.out_channels = self.adjust_channels(self.out_channels, self.width_mult)
        self.use_hs = self.activation == "HS"

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        return make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """Expand, depthwise conv, optional squeeze-excitation, linear projection."""

    def __init__(self, cnf: InvertedResidualConfig, norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = partial(SqueezeExcitation,
                                                              scale_activation=nn.Hardsigmoid)):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers: list[nn.Module] = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=activation))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels,
                                           kernel_size=cnf.kernel, stride=stride,
                                           dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=activation))
        if cnf.use_se:
            squeeze_channels = make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input: ember.Tensor) -> ember.Tensor:
        result = self.block(input)
        return result + input if self.use_res_connect else result


class MobileNetV3(nn.Module):
    """MobileNetV3 from a list of bottleneck configurations."""

    def __init__(self, inverted_residual_setting: Sequence[InvertedResidualConfig],
                 last_channel: int, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, dropout: float = 0.2,
                 **kwargs: Any) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not all(isinstance(s, InvertedResidualConfig) for s in inverted_residual_setting):
            raise TypeError("The inverted_residual_setting should be List[InvertedResidualConfig]")
        block = block or InvertedResidual
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [Conv2dNormActivation(3, first, kernel_size=3, stride=2,
                                                        norm_layer=norm_layer,
                                                        activation_layer=nn.Hardswish)]
        layers += [block(cnf, norm_layer) for cnf in inverted_residual_setting]
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_out, last_channel), nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def _mobilenet_v3_conf(arch: str, width_mult: float = 1.0, reduced_tail: bool = False,
                       dilated: bool = False) -> tuple[list[InvertedResidualConfig], int]:
    div = 2 if reduced_tail else 1
    dil = 2 if dilated else 1
    c = partial(InvertedResidualConfig, width_mult=width_mult)
    adjust = partial(InvertedResidualConfig.adjust_channels, width_mult=width_mult)
    if arch == "mobilenet_v3_large":
        setting = [
            c(16, 3, 16, 16, False, "RE", 1, 1), c(16, 3, 64, 24, False, "RE", 2, 1),
            c(24, 3, 72, 24, False, "RE", 1, 1), c(24, 5, 72, 40, True, "RE", 2, 1),
            c(40, 5, 120, 40, True, "RE", 1, 1), c(40, 5, 120, 40, True, "RE", 1, 1),
            c(40, 3, 240, 80, False, "HS", 2, 1), c(80, 3, 200, 80, False, "HS", 1, 1),
            c(80, 3, 184, 80, False, "HS", 1, 1), c(80, 3, 184, 80, False, "HS", 1, 1),
            c(80, 3, 480, 112, True, "HS", 1, 1), c(112, 3, 672, 112, True, "HS", 1, 1),
            c(112, 5, 672, 160 // div, True, "HS", 2, dil),
            c(160 // div, 5, 960 // div, 160 // div, True, "HS", 1, dil),
            c(160 // div, 5, 960 // div, 160 // div, True, "HS", 1, dil),
        ]
        return setting, adjust(1280 // div)
    if arch == "mobilenet_v3_small":
        setting = [
            c(16, 3, 16, 16, True, "RE", 2, 1), c(16, 3, 72, 24, False, "RE", 2, 1),
            c(24, 3, 88, 24, False, "RE", 1, 1), c(24, 5, 96, 40, True, "HS", 2, 1),
            c(40, 5, 240, 40, True, "HS", 1, 1), c(40, 5, 240, 40, True, "HS", 1, 1),
            c(40, 5, 120, 48, True, "HS", 1, 1), c(48, 5, 144, 48, True, "HS", 1, 1),
            c(48, 5, 288, 96 // div, True, "HS", 2, dil),
            c(96 // div, 5, 576 // div, 96 // div, True, "HS", 1, dil),
            c(96 // div, 5, 576 // div, 96 // div, True, "HS", 1, dil),
        ]
        return setting, adjust(1024 // div)
    raise ValueError(f"Unsupported model type {arch}")


def _mobilenet_v3(arch: str, weights, progress: bool, **kwargs: Any) -> MobileNetV3:
    setting, last_channel = _mobilenet_v3_conf(
        arch, **{k: kwargs.pop(k) for k in ("width_mult", "reduced_tail", "dilated")
                 if k in kwargs})
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return load_weights(MobileNetV3(setting, last_channel, **kwargs), weights, progress)


_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv3-large--small"


class MobileNet_V3_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("mobilenet_v3_large-8738ca79.pth", 5483032, 74.042, 91.340,
                                     _RECIPE)
    IMAGENET1K_V2 = imagenet_weights(
        "mobilenet_v3_large-5c1a4163.pth", 5483032, 75.274, 92.566,
        "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning", resize=232)
    DEFAULT = IMAGENET1K_V2


class MobileNet_V3_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("mobilenet_v3_small-047dcff4.pth", 2542856, 67.668, 87.402,
                                     _RECIPE)
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(MobileNet_V3_Large_Weights, "IMAGENET1K_V1")
def mobilenet_v3_large(*, weights: MobileNet_V3_Large_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Large."""
    return _mobilenet_v3("mobilenet_v3_large", MobileNet_V3_Large_Weights.verify(weights),
                         progress, **kwargs)


@register_model()
@weights_param(MobileNet_V3_Small_Weights, "IMAGENET1K_V1")
def mobilenet_v3_small(*, weights: MobileNet_V3_Small_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Small."""
    return _mobilenet_v3("mobilenet_v3_small", MobileNet_V3_Small_Weights.verify(weights),
                         progress, **kwargs)
