"""Shared pieces of the weight definitions."""

from __future__ import annotations

from functools import partial

from ..transforms._presets import ImageClassification
from ._api import Weights, imagenet_categories

URL = "https://download.pytorch.org/models/"
COMMON_META = {"min_size": (1, 1), "categories": imagenet_categories()}


def imagenet_weights(file: str, num_params: int, acc1: float, acc5: float, recipe: str,
                     resize: int = 256, min_size: tuple[int, int] = (1, 1)) -> Weights:
    """ImageNet-1k classification weights at ``URL + file`` with their metadata."""
    return Weights(url=URL + file,
                   transforms=partial(ImageClassification, crop_size=224, resize_size=resize),
                   meta={**COMMON_META, "min_size": min_size, "num_params": num_params,
                         "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}})
