"""DenseNet-BC 121/161/169/201 (Huang et al., 2017).

Module names follow torchvision (``features.denseblock1.denselayer1.norm1``...), and the
checkpoints' older ``norm.1``-style keys are renamed on load, as torchvision does.

Example:
    >>> import ember
    >>> from embervision.models import densenet121
    >>> densenet121(num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
    ember.Size([1, 10])
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F
from ember.utils.checkpoint import checkpoint

from ._api import WeightsEnum, overwrite_named_param, register_model, weights_param
from ._common import imagenet_weights

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv to ``bn_size * growth_rate``, then BN-ReLU-3x3 conv to ``growth_rate``."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs: list[ember.Tensor]) -> ember.Tensor:
        return self.conv1(self.relu1(self.norm1(ember.cat(inputs, 1))))

    def call_checkpoint_bottleneck(self, input: list[ember.Tensor]) -> ember.Tensor:
        # The concatenation and its BN-ReLU are recomputed in backward instead of stored:
        # they grow with every layer, which is what makes DenseNet memory-hungry.
        def closure(*inputs):
            return self.bn_function(list(inputs))

        return checkpoint(closure, *input, use_reentrant=False)

    def forward(self, input: ember.Tensor | list[ember.Tensor]) -> ember.Tensor:
        # A block passes the list of all earlier feature maps; a lone tensor works too.
        prev_features = [input] if isinstance(input, ember.Tensor) else input
        if self.memory_efficient and any(t.requires_grad for t in prev_features):
            bottleneck = self.call_checkpoint_bottleneck(prev_features)
        else:
            bottleneck = self.bn_function(prev_features)
        out = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return out


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers, each seeing the concatenation of all earlier outputs."""

    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int,
                 growth_rate: int, drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}",
                            _DenseLayer(num_input_features + i * growth_rate,
                                        growth_rate=growth_rate, bn_size=bn_size,
                                        drop_rate=drop_rate, memory_efficient=memory_efficient))

    def forward(self, init_features: ember.Tensor) -> ember.Tensor:
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-1x1 conv then 2x2 average pooling between dense blocks."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC: ``block_config[i]`` dense layers of ``growth_rate`` channels in block i.

    ``bn_size * growth_rate`` is the bottleneck width, ``drop_rate`` the dropout after each
    layer. ``memory_efficient=True`` checkpoints each layer's concatenation and 1x1 bottleneck
    (``ember.utils.checkpoint``): much less memory in training, slower backward.
    """

    def __init__(self, growth_rate: int = 32,
                 block_config: tuple[int, int, int, int] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features,
                                bn_size=bn_size, growth_rate=growth_rate, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        out = F.relu(self.features(x), inplace=True)
        out = ember.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# The published checkpoints predate the ban on '.' in module names: their dense layers hold
# 'norm.1', 'conv.2', ... where the modules are now 'norm1', 'conv2'.
_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _load_state_dict(model: DenseNet, weights: WeightsEnum, progress: bool) -> None:
    state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    for key in list(state_dict.keys()):
        match = _LEGACY_KEY.match(key)
        if match:
            state_dict[match.group(1) + match.group(2)] = state_dict.pop(key)
    model.load_state_dict(state_dict)


def _densenet(growth_rate: int, block_config: tuple[int, int, int, int], num_init_features: int,
              weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> DenseNet:
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        _load_state_dict(model, weights, progress)
    return model


_RECIPE = "https://github.com/pytorch/vision/pull/116"


def _w(file: str, num_params: int, acc1: float, acc5: float):
    return imagenet_weights(file, num_params, acc1, acc5, _RECIPE, min_size=(29, 29))


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet121-a639ec97.pth", 7978856, 74.434, 91.972)
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet161-8d451a50.pth", 28681000, 77.138, 93.560)
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet169-b2777c0a.pth", 14149480, 75.600, 92.806)
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet201-c1103571.pth", 20013928, 76.896, 93.370)
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(DenseNet121_Weights, "IMAGENET1K_V1")
def densenet121(*, weights: DenseNet121_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-121 (growth 32, blocks 6-12-24-16)."""
    return _densenet(32, (6, 12, 24, 16), 64, DenseNet121_Weights.verify(weights), progress,
                     **kwargs)


@register_model()
@weights_param(DenseNet161_Weights, "IMAGENET1K_V1")
def densenet161(*, weights: DenseNet161_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-161 (growth 48, blocks 6-12-36-24, 96 initial features)."""
    return _densenet(48, (6, 12, 36, 24), 96, DenseNet161_Weights.verify(weights), progress,
                     **kwargs)


@register_model()
@weights_param(DenseNet169_Weights, "IMAGENET1K_V1")
def densenet169(*, weights: DenseNet169_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-169 (growth 32, blocks 6-12-32-32)."""
    return _densenet(32, (6, 12, 32, 32), 64, DenseNet169_Weights.verify(weights), progress,
                     **kwargs)


@register_model()
@weights_param(DenseNet201_Weights, "IMAGENET1K_V1")
def densenet201(*, weights: DenseNet201_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-201 (growth 32, blocks 6-12-48-32)."""
    return _densenet(32, (6, 12, 48, 32), 64, DenseNet201_Weights.verify(weights), progress,
                     **kwargs)
