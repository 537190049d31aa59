"""Weights metadata for classifiers whose preprocessing differs from the ResNet default
(another crop size, bicubic interpolation, other mean/std, a minimum input size)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from ..transforms._presets import ImageClassification
from ..transforms.functional import InterpolationMode
from ._api import Weights
from ._common import COMMON_META, URL


def classification_weights(file: str, num_params: int, acc1: float, acc5: float, recipe: str, *,
                           crop_size: int, resize: int = 256,
                           interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                           mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                           min_size: tuple[int, int] = (1, 1), **meta: Any) -> Weights:
    """ImageNet-1k weights at ``URL + file``; ``meta`` adds entries such as ``license``.

    Example:
        >>> w = classification_weights("m.pth", 10, 80.0, 95.0, "r", crop_size=240,
        ...                            interpolation=InterpolationMode.BICUBIC)
        >>> w.transforms().crop_size, w.meta["num_params"]
        ([240], 10)
    """
    norm = {k: v for k, v in (("mean", mean), ("std", std)) if v is not None}
    return Weights(url=URL + file,
                   transforms=partial(ImageClassification, crop_size=crop_size,
                                      resize_size=resize, interpolation=interpolation, **norm),
                   meta={**COMMON_META, "min_size": min_size, "num_params": num_params,
                         "recipe": recipe, **meta,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}})
