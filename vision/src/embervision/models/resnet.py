"""ResNet, ResNeXt and Wide ResNet (He et al., 2016; Xie et al., 2017; Zagoruyko, 2016).

Module names follow torchvision, so torchvision's checkpoints load unchanged.

Example:
    >>> import ember
    >>> from embervision.models import resnet18
    >>> resnet18(num_classes=10)(ember.zeros(1, 3, 64, 64)).shape
    ember.Size([1, 10])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import nn

from ._api import (WeightsEnum, load_weights, overwrite_named_param, register_model,
                   weights_param)
from ._common import imagenet_weights

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
           "ResNeXt50_32X4D_Weights", "Wide_ResNet50_2_Weights", "resnet18", "resnet34",
           "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped for ResNeXt), 1x1 expand by 4, with a shortcut.

    The stride sits on the 3x3 convolution (ResNet v1.5), as in torchvision.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A ResNet of ``block``s, ``layers[i]`` of them in stage i."""

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int],
                 num_classes: int = 1000, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64,
                 replace_stride_with_dilation: list[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            # Each residual branch starts as zero, so every block starts as the identity.
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block: type[BasicBlock | Bottleneck], planes: int, blocks: int,
                    stride: int = 1, dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = ember.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet(block, layers, weights, progress, **kwargs: Any) -> ResNet:
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return load_weights(ResNet(block, layers, **kwargs), weights, progress)


_V1_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_V2_RECIPE = "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621"
_w = imagenet_weights


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet18-f37072fd.pth", 11689512, 69.758, 89.078, _V1_RECIPE)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet34-b627a593.pth", 21797672, 73.314, 91.420, _V1_RECIPE)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet50-0676ba61.pth", 25557032, 76.130, 92.862, _V1_RECIPE)
    IMAGENET1K_V2 = _w("resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434, _V2_RECIPE, 232)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet101-63fe2227.pth", 44549160, 77.374, 93.546, _V1_RECIPE)
    IMAGENET1K_V2 = _w("resnet101-cd907fc2.pth", 44549160, 81.886, 95.780, _V2_RECIPE, 232)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet152-394f9c45.pth", 60192808, 78.312, 94.046, _V1_RECIPE)
    IMAGENET1K_V2 = _w("resnet152-f82ba261.pth", 60192808, 82.284, 96.002, _V2_RECIPE, 232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698,
                       "https://github.com/pytorch/vision/tree/main/references/classification#resnext")
    IMAGENET1K_V2 = _w("resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.340,
                       "https://github.com/pytorch/vision/issues/3995#new-recipe", 232)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086,
                       "https://github.com/pytorch/vision/pull/912#issue-445437439")
    IMAGENET1K_V2 = _w("wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758,
                       "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres",
                       232)
    DEFAULT = IMAGENET1K_V2


@register_model()
@weights_param(ResNet18_Weights, "IMAGENET1K_V1")
def resnet18(*, weights: ResNet18_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-18. ``weights`` is a ``ResNet18_Weights`` (or its name), or None."""
    return _resnet(BasicBlock, [2, 2, 2, 2], ResNet18_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ResNet34_Weights, "IMAGENET1K_V1")
def resnet34(*, weights: ResNet34_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-34."""
    return _resnet(BasicBlock, [3, 4, 6, 3], ResNet34_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ResNet50_Weights, "IMAGENET1K_V1")
def resnet50(*, weights: ResNet50_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-50 (v1.5: stride on the 3x3 convolution)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNet50_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ResNet101_Weights, "IMAGENET1K_V1")
def resnet101(*, weights: ResNet101_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-101."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNet101_Weights.verify(weights), progress,
                   **kwargs)


@register_model()
@weights_param(ResNet152_Weights, "IMAGENET1K_V1")
def resnet152(*, weights: ResNet152_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-152."""
    return _resnet(Bottleneck, [3, 8, 36, 3], ResNet152_Weights.verify(weights), progress,
                   **kwargs)


@register_model()
@weights_param(ResNeXt50_32X4D_Weights, "IMAGENET1K_V1")
def resnext50_32x4d(*, weights: ResNeXt50_32X4D_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d (32 groups of width 4)."""
    weights = ResNeXt50_32X4D_Weights.verify(weights)
    overwrite_named_param(kwargs, "groups", 32)
    overwrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@weights_param(Wide_ResNet50_2_Weights, "IMAGENET1K_V1")
def wide_resnet50_2(*, weights: Wide_ResNet50_2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2 (bottlenecks twice as wide)."""
    weights = Wide_ResNet50_2_Weights.verify(weights)
    overwrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)
