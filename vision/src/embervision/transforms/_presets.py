"""The preprocessing attached to pretrained weights (``weights.transforms()``)."""

from __future__ import annotations

from collections.abc import Sequence

import ember

from . import functional as F
from .functional import InterpolationMode
from .transforms import Transform


class ImageClassification(Transform):
    """Resize, centre-crop, convert to float and normalize, as ImageNet classifiers expect.

    Example:
        >>> t = ImageClassification(crop_size=4, resize_size=6)
        >>> t(ember.zeros(3, 8, 10, dtype=ember.uint8)).shape
        ember.Size([3, 4, 4])
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: Sequence[float] = (0.485, 0.456, 0.406),
                 std: Sequence[float] = (0.229, 0.224, 0.225),
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, ember.Tensor):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, ember.float32)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n    resize_size="
                f"{self.resize_size}\n    mean={self.mean}\n    std={self.std}\n    "
                f"interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts PIL.Image, batched (B, C, H, W) and single (C, H, W) image tensors. "
                f"The images are resized to ``resize_size={self.resize_size}`` using "
                f"``interpolation={self.interpolation}``, followed by a central crop of "
                f"``crop_size={self.crop_size}``. Finally the values are first rescaled to "
                f"``[0.0, 1.0]`` and then normalized using ``mean={self.mean}`` and "
                f"``std={self.std}``.")
