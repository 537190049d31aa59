"""VGG (Simonyan and Zisserman, 2014), with and without batch norm."""

from __future__ import annotations

from typing import Any

import ember
from ember import nn

from ._api import WeightsEnum, load_weights, overwrite_named_param, register_model, weights_param
from ._common import imagenet_weights

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights",
           "vgg11", "vgg11_bn", "vgg16", "vgg16_bn"]

# Layer plans: numbers are 3x3 conv widths, "M" a 2x2 max pool.
cfgs: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """A VGG classifier over the convolutional ``features``."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def make_layers(cfg: list[int | str], batch_norm: bool = False) -> nn.Sequential:
    """The convolutional trunk for a plan in ``cfgs``."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


def _vgg(cfg: str, batch_norm: bool, weights, progress: bool, **kwargs: Any) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return load_weights(VGG(make_layers(cfgs[cfg], batch_norm), **kwargs), weights, progress)


_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg"


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("vgg11-8a719046.pth", 132863336, 69.020, 88.628, _RECIPE,
                                     min_size=(32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("vgg11_bn-6002323d.pth", 132868840, 70.370, 89.810,
                                     _RECIPE, min_size=(32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("vgg16-397923af.pth", 138357544, 71.592, 90.382, _RECIPE,
                                     min_size=(32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("vgg16_bn-6c64b313.pth", 138365992, 73.360, 91.516,
                                     _RECIPE, min_size=(32, 32))
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(VGG11_Weights, "IMAGENET1K_V1")
def vgg11(*, weights: VGG11_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A")."""
    return _vgg("A", False, VGG11_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(VGG11_BN_Weights, "IMAGENET1K_V1")
def vgg11_bn(*, weights: VGG11_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG-11 with batch norm."""
    return _vgg("A", True, VGG11_BN_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(VGG16_Weights, "IMAGENET1K_V1")
def vgg16(*, weights: VGG16_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D")."""
    return _vgg("D", False, VGG16_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(VGG16_BN_Weights, "IMAGENET1K_V1")
def vgg16_bn(*, weights: VGG16_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG-16 with batch norm."""
    return _vgg("D", True, VGG16_BN_Weights.verify(weights), progress, **kwargs)
