"""EfficientNet B0-B7 (Tan & Le, 2019) and EfficientNetV2 S/M/L (Tan & Le, 2021)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation, StochasticDepth
from ..transforms.functional import InterpolationMode
from ._api import (WeightsEnum, load_weights, make_divisible, overwrite_named_param,
                   register_model, weights_param)
from ._weights import classification_weights as _w

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
           "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
           "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights", "EfficientNet_V2_L_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of MBConv blocks; channels scale by ``width_mult``, depth by ``depth_mult``."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride,
                         self.adjust_channels(input_channels, width_mult),
                         self.adjust_channels(out_channels, width_mult),
                         self.adjust_depth(num_layers, depth_mult), block or MBConv)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A stage of FusedMBConv blocks (EfficientNetV2's early stages)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block or FusedMBConv)


class _ResidualBlock(nn.Module):
    """``block`` plus, when shapes allow, a stochastic-depth identity shortcut."""

    def __init__(self, cnf: _MBConvConfig, stochastic_depth_prob: float,
                 layers: list[nn.Module]) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: ember.Tensor) -> ember.Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class MBConv(_ResidualBlock):
    """Expand (1x1), depthwise conv, squeeze-excitation, linear projection (1x1); SiLU."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4),
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        super().__init__(cnf, stochastic_depth_prob, layers)


class FusedMBConv(_ResidualBlock):
    """A full (not depthwise) k x k expansion conv, then a 1x1 projection; SiLU."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
            layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=None))
        else:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        super().__init__(cnf, stochastic_depth_prob, layers)


class EfficientNet(nn.Module):
    """EfficientNet V1 and V2 from a list of stage configurations.

    Example:
        >>> model = efficientnet_b0(num_classes=5).eval()
        >>> model(ember.rand(1, 3, 32, 32)).shape
        ember.Size([1, 5])
    """

    def __init__(self, inverted_residual_setting: Sequence[MBConvConfig | FusedMBConvConfig],
                 dropout: float, stochastic_depth_prob: float = 0.2, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence)
                and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
            norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # later blocks of a stage keep the width and the resolution
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                # the drop probability grows linearly with depth
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def _efficientnet_conf(arch: str, width_mult: float = 1.0, depth_mult: float = 1.0
                       ) -> tuple[list[MBConvConfig | FusedMBConvConfig], int | None]:
    if arch.startswith("efficientnet_b"):
        c = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
        return [c(1, 3, 1, 32, 16, 1), c(6, 3, 2, 16, 24, 2), c(6, 5, 2, 24, 40, 2),
                c(6, 3, 2, 40, 80, 3), c(6, 5, 1, 80, 112, 3), c(6, 5, 2, 112, 192, 4),
                c(6, 3, 1, 192, 320, 1)], None
    f, m = FusedMBConvConfig, MBConvConfig
    if arch.startswith("efficientnet_v2_s"):
        return [f(1, 3, 1, 24, 24, 2), f(4, 3, 2, 24, 48, 4), f(4, 3, 2, 48, 64, 4),
                m(4, 3, 2, 64, 128, 6), m(6, 3, 1, 128, 160, 9), m(6, 3, 2, 160, 256, 15)], 1280
    if arch.startswith("efficientnet_v2_m"):
        return [f(1, 3, 1, 24, 24, 3), f(4, 3, 2, 24, 48, 5), f(4, 3, 2, 48, 80, 5),
                m(4, 3, 2, 80, 160, 7), m(6, 3, 1, 160, 176, 14), m(6, 3, 2, 176, 304, 18),
                m(6, 3, 1, 304, 512, 5)], 1280
    if arch.startswith("efficientnet_v2_l"):
        return [f(1, 3, 1, 32, 32, 4), f(4, 3, 2, 32, 64, 7), f(4, 3, 2, 64, 96, 7),
                m(4, 3, 2, 96, 192, 10), m(6, 3, 1, 192, 224, 19), m(6, 3, 2, 224, 384, 25),
                m(6, 3, 1, 384, 640, 7)], 1280
    raise ValueError(f"Unsupported model type {arch}")


# Ported TensorFlow checkpoints (b5-b7) keep TF's BatchNorm epsilon and momentum.
_BN_TF = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_BN_V2 = partial(nn.BatchNorm2d, eps=1e-03)
# arch: (width_mult, depth_mult, default dropout, norm_layer)
_ARCHS: dict[str, tuple[float, float, float, Callable[..., nn.Module] | None]] = {
    "efficientnet_b0": (1.0, 1.0, 0.2, None), "efficientnet_b1": (1.0, 1.1, 0.2, None),
    "efficientnet_b2": (1.1, 1.2, 0.3, None), "efficientnet_b3": (1.2, 1.4, 0.3, None),
    "efficientnet_b4": (1.4, 1.8, 0.4, None), "efficientnet_b5": (1.6, 2.2, 0.4, _BN_TF),
    "efficientnet_b6": (1.8, 2.6, 0.5, _BN_TF), "efficientnet_b7": (2.0, 3.1, 0.5, _BN_TF),
    "efficientnet_v2_s": (1.0, 1.0, 0.2, _BN_V2), "efficientnet_v2_m": (1.0, 1.0, 0.3, _BN_V2),
    "efficientnet_v2_l": (1.0, 1.0, 0.4, _BN_V2),
}


def _efficientnet(arch: str, weights: WeightsEnum | None, progress: bool,
                  **kwargs: Any) -> EfficientNet:
    width_mult, depth_mult, dropout, norm_layer = _ARCHS[arch]
    setting, last_channel = _efficientnet_conf(arch, width_mult, depth_mult)
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    # torchvision ignores **kwargs (num_classes, ...) from b3 on; we honour them everywhere.
    kwargs.setdefault("norm_layer", norm_layer)
    model = EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=last_channel,
                         **kwargs)
    return load_weights(model, weights, progress)


_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1"
_RECIPE1 = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning"
_RECIPE2 = "https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2"
_BICUBIC = InterpolationMode.BICUBIC


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b0_rwightman-7f5810bc.pth", 5288548, 77.692, 93.532, _RECIPE,
        crop_size=224, resize=256, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b1_rwightman-bac287d4.pth", 7794184, 78.642, 94.186, _RECIPE,
        crop_size=240, resize=256, interpolation=_BICUBIC)
    IMAGENET1K_V2 = _w("efficientnet_b1-c27df63c.pth", 7794184, 79.838, 94.934, _RECIPE1,
        crop_size=240, resize=255)
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b2_rwightman-c35c1473.pth", 9109994, 80.608, 95.31, _RECIPE,
        crop_size=288, resize=288, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b3_rwightman-b3899882.pth", 12233232, 82.008, 96.054, _RECIPE,
        crop_size=300, resize=320, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b4_rwightman-23ab8bcd.pth", 19341616, 83.384, 96.594, _RECIPE,
        crop_size=380, resize=384, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b5_lukemelas-1a07897c.pth", 30389784, 83.444, 96.628, _RECIPE,
        crop_size=456, resize=456, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b6_lukemelas-24a108a5.pth", 43040704, 84.008, 96.916, _RECIPE,
        crop_size=528, resize=528, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_b7_lukemelas-c5b4e57e.pth", 66347960, 84.122, 96.908, _RECIPE,
        crop_size=600, resize=600, interpolation=_BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_v2_s-dd5fe13b.pth", 21458488, 84.228, 96.878, _RECIPE2,
        crop_size=384, resize=384, min_size=(33, 33))
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_v2_m-dc08266a.pth", 54139356, 85.112, 97.156, _RECIPE2,
        crop_size=480, resize=480, min_size=(33, 33))
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("efficientnet_v2_l-59c71312.pth", 118515272, 85.808, 97.788, _RECIPE2,
        crop_size=480, resize=480, interpolation=_BICUBIC, mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5), min_size=(33, 33))
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(EfficientNet_B0_Weights, "IMAGENET1K_V1")
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 (dropout 0.2 unless ``dropout=`` is given)."""
    weights = EfficientNet_B0_Weights.verify(weights)
    return _efficientnet("efficientnet_b0", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B1_Weights, "IMAGENET1K_V1")
def efficientnet_b1(*, weights: EfficientNet_B1_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B1 (dropout 0.2 unless ``dropout=`` is given)."""
    weights = EfficientNet_B1_Weights.verify(weights)
    return _efficientnet("efficientnet_b1", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B2_Weights, "IMAGENET1K_V1")
def efficientnet_b2(*, weights: EfficientNet_B2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B2 (dropout 0.3 unless ``dropout=`` is given)."""
    weights = EfficientNet_B2_Weights.verify(weights)
    return _efficientnet("efficientnet_b2", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B3_Weights, "IMAGENET1K_V1")
def efficientnet_b3(*, weights: EfficientNet_B3_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B3 (dropout 0.3 unless ``dropout=`` is given)."""
    weights = EfficientNet_B3_Weights.verify(weights)
    return _efficientnet("efficientnet_b3", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B4_Weights, "IMAGENET1K_V1")
def efficientnet_b4(*, weights: EfficientNet_B4_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B4 (dropout 0.4 unless ``dropout=`` is given)."""
    weights = EfficientNet_B4_Weights.verify(weights)
    return _efficientnet("efficientnet_b4", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B5_Weights, "IMAGENET1K_V1")
def efficientnet_b5(*, weights: EfficientNet_B5_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B5 (dropout 0.4 unless ``dropout=`` is given)."""
    weights = EfficientNet_B5_Weights.verify(weights)
    return _efficientnet("efficientnet_b5", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B6_Weights, "IMAGENET1K_V1")
def efficientnet_b6(*, weights: EfficientNet_B6_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B6 (dropout 0.5 unless ``dropout=`` is given)."""
    weights = EfficientNet_B6_Weights.verify(weights)
    return _efficientnet("efficientnet_b6", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_B7_Weights, "IMAGENET1K_V1")
def efficientnet_b7(*, weights: EfficientNet_B7_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B7 (dropout 0.5 unless ``dropout=`` is given)."""
    weights = EfficientNet_B7_Weights.verify(weights)
    return _efficientnet("efficientnet_b7", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_V2_S_Weights, "IMAGENET1K_V1")
def efficientnet_v2_s(*, weights: EfficientNet_V2_S_Weights | None = None, progress: bool = True,
                      **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-S (dropout 0.2 unless ``dropout=`` is given)."""
    weights = EfficientNet_V2_S_Weights.verify(weights)
    return _efficientnet("efficientnet_v2_s", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_V2_M_Weights, "IMAGENET1K_V1")
def efficientnet_v2_m(*, weights: EfficientNet_V2_M_Weights | None = None, progress: bool = True,
                      **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-M (dropout 0.3 unless ``dropout=`` is given)."""
    weights = EfficientNet_V2_M_Weights.verify(weights)
    return _efficientnet("efficientnet_v2_m", weights, progress, **kwargs)

@register_model()
@weights_param(EfficientNet_V2_L_Weights, "IMAGENET1K_V1")
def efficientnet_v2_l(*, weights: EfficientNet_V2_L_Weights | None = None, progress: bool = True,
                      **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-L (dropout 0.4 unless ``dropout=`` is given)."""
    weights = EfficientNet_V2_L_Weights.verify(weights)
    return _efficientnet("efficientnet_v2_l", weights, progress, **kwargs)
