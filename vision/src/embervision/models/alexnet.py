"""AlexNet (Krizhevsky et al., 2012), torchvision's single-GPU variant."""

from __future__ import annotations

from typing import Any

import ember
from ember import nn

from ._api import WeightsEnum, load_weights, overwrite_named_param, register_model, weights_param
from ._common import imagenet_weights

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """Five convolutions and three fully connected layers.

    Example:
        >>> AlexNet(num_classes=5)(ember.zeros(1, 3, 64, 64)).shape
        ember.Size([1, 5])
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(
        "alexnet-owt-7be5be79.pth", 61100840, 56.522, 79.066,
        "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg",
        min_size=(63, 63))
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(AlexNet_Weights, "IMAGENET1K_V1")
def alexnet(*, weights: AlexNet_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> AlexNet:
    """AlexNet; ``weights`` is an ``AlexNet_Weights`` (or its name), or None."""
    weights = AlexNet_Weights.verify(weights)
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return load_weights(AlexNet(**kwargs), weights, progress)
