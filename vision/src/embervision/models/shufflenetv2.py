"""ShuffleNet V2 at 0.5x, 1.0x, 1.5x and 2.0x width (Ma et al., 2018).

Example:
    >>> import ember
    >>> from embervision.models import shufflenet_v2_x0_5
    >>> shufflenet_v2_x0_5(num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
    ember.Size([1, 10])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import nn

from ._api import WeightsEnum, load_weights, overwrite_named_param, register_model, weights_param
from ._common import imagenet_weights

__all__ = ["ShuffleNetV2", "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights",
           "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "shufflenet_v2_x0_5",
           "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x: ember.Tensor, groups: int) -> ember.Tensor:
    """Interleave the channels of ``groups`` equal groups: (g, c/g) -> (c/g, g)."""
    batchsize, num_channels, height, width = x.size()
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    return ember.transpose(x, 1, 2).contiguous().view(batchsize, num_channels, height, width)


class InvertedResidual(nn.Module):
    """Stride 1: half the channels pass through, half go through the branch. Stride > 1: both
    halves are computed from the whole input (downsampling). Then the channels are shuffled."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if self.stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                             "values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if self.stride > 1 else branch_features, branch_features, kernel_size=1,
                      stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3,
                                stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       bias: bool = False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet V2: ``stages_repeats`` blocks in stages 2-4, ``stages_out_channels`` for
    conv1, the three stages and conv5."""

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int],
                 num_classes: int = 1000,
                 inverted_residual: Callable[..., nn.Module] = InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, output_channels in zip(("stage2", "stage3", "stage4"), stages_repeats,
                                                  self._stage_out_channels[1:]):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            seq += [inverted_residual(output_channels, output_channels, 1)
                    for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = self._stage_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def _forward_impl(self, x: ember.Tensor) -> ember.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))  # global average pooling

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return self._forward_impl(x)


def _shufflenetv2(weights: WeightsEnum | None, progress: bool, *args: Any,
                  **kwargs: Any) -> ShuffleNetV2:
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return load_weights(ShuffleNetV2(*args, **kwargs), weights, progress)


_PORTED = "https://github.com/ericsun99/Shufflenet-v2-Pytorch"
_NEW_RECIPE = "https://github.com/pytorch/vision/pull/5906"


class ShuffleNet_V2_X0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("shufflenetv2_x0.5-f707e7126e.pth", 1366792, 60.552, 81.746,
                                     _PORTED)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("shufflenetv2_x1-5666bf0f80.pth", 2278604, 69.362, 88.316,
                                     _PORTED)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("shufflenetv2_x1_5-3c479a10.pth", 3503624, 72.996, 91.086,
                                     _NEW_RECIPE, resize=232)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("shufflenetv2_x2_0-8be3c8ee.pth", 7393996, 76.230, 93.006,
                                     _NEW_RECIPE, resize=232)
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(ShuffleNet_V2_X0_5_Weights, "IMAGENET1K_V1")
def shufflenet_v2_x0_5(*, weights: ShuffleNet_V2_X0_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 0.5x output channels."""
    return _shufflenetv2(ShuffleNet_V2_X0_5_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 48, 96, 192, 1024], **kwargs)


@register_model()
@weights_param(ShuffleNet_V2_X1_0_Weights, "IMAGENET1K_V1")
def shufflenet_v2_x1_0(*, weights: ShuffleNet_V2_X1_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 1.0x output channels."""
    return _shufflenetv2(ShuffleNet_V2_X1_0_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 116, 232, 464, 1024], **kwargs)


@register_model()
@weights_param(ShuffleNet_V2_X1_5_Weights, "IMAGENET1K_V1")
def shufflenet_v2_x1_5(*, weights: ShuffleNet_V2_X1_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 1.5x output channels."""
    return _shufflenetv2(ShuffleNet_V2_X1_5_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 176, 352, 704, 1024], **kwargs)


@register_model()
@weights_param(ShuffleNet_V2_X2_0_Weights, "IMAGENET1K_V1")
def shufflenet_v2_x2_0(*, weights: ShuffleNet_V2_X2_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNet V2 with 2.0x output channels."""
    return _shufflenetv2(ShuffleNet_V2_X2_0_Weights.verify(weights), progress, [4, 8, 4],
                         [24, 244, 488, 976, 2048], **kwargs)
