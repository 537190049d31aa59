"""Visualization helpers with torchvision's ``utils`` API: grids, boxes, masks, keypoints.

Example:
    >>> import ember
    >>> from embervision.utils import make_grid
    >>> make_grid(ember.zeros(4, 3, 8, 8), nrow=2, padding=1).shape
    ember.Size([3, 19, 19])
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import BinaryIO

import ember
import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

__all__ = ["draw_bounding_boxes", "draw_keypoints", "draw_segmentation_masks", "make_grid",
           "save_image"]

Color = str | tuple[int, int, int]


def make_grid(tensor: ember.Tensor | list[ember.Tensor], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: tuple[float, float] | None = None,
              scale_each: bool = False, pad_value: float = 0.0) -> ember.Tensor:
    """Tile a batch (B, C, H, W) into one (3 or C, H', W') image, ``nrow`` images per row."""
    if isinstance(tensor, list):
        tensor = ember.stack(tensor, dim=0)
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"tensor should be of type ember.Tensor, got {type(tensor)}")
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 3:
        if tensor.shape[0] == 1:
            tensor = ember.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 4 and tensor.shape[1] == 1:
        tensor = ember.cat((tensor, tensor, tensor), 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def rescale(t: ember.Tensor) -> ember.Tensor:
            low, high = value_range if value_range is not None else (float(t.min()),
                                                                     float(t.max()))
            return (t.clamp(low, high) - low) / max(high - low, 1e-5)

        tensor = (ember.stack([rescale(t) for t in tensor.unbind(0)]) if scale_each
                  else rescale(tensor))
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps = tensor.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = tensor.shape[2] + padding, tensor.shape[3] + padding
    grid = ember.full((tensor.shape[1], height * ymaps + padding, width * xmaps + padding),
                      pad_value, dtype=tensor.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        top, left = y * height + padding, x * width + padding
        grid[:, top: top + height - padding, left: left + width - padding] = tensor[k]
    return grid


def save_image(tensor: ember.Tensor | list[ember.Tensor], fp: str | os.PathLike | BinaryIO,
               format: str | None = None, **kwargs) -> None:
    """``make_grid`` (kwargs go there) and save as an image file; values are in [0, 1]."""
    grid = make_grid(tensor, **kwargs)
    ndarr = (grid * 255 + 0.5).clamp(0, 255).permute(1, 2, 0).to(ember.uint8).numpy()
    Image.fromarray(np.ascontiguousarray(ndarr)).save(fp, format=format)


def _palette(n: int) -> list[tuple[int, int, int]]:
    # Distinct, deterministic colours: multiples of three large odd numbers, mod 255.
    base = (2**25 - 1, 2**15 - 1, 2**21 - 1)
    return [tuple((i * b) % 255 for b in base) for i in range(n)]


def _parse_colors(colors: Color | Sequence[Color] | None, n: int) -> list[tuple[int, ...]]:
    if colors is None:
        colors = _palette(n)
    elif isinstance(colors, list):
        if len(colors) < n:
            raise ValueError(f"Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {n}.")
    else:
        colors = [colors] * n
    return [ImageColor.getrgb(c) if isinstance(c, str) else tuple(int(v) for v in c)
            for c in colors]


def _check_image(image: ember.Tensor) -> None:
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"Tensor expected, got {type(image)}")
    if image.dtype != ember.uint8:
        raise ValueError(f"The image dtype must be uint8, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if image.shape[0] not in (1, 3):
        raise ValueError("Only grayscale and RGB images are supported")


def _to_pil(image: ember.Tensor) -> Image.Image:
    if image.shape[0] == 1:
        image = ember.cat([image, image, image])
    return Image.fromarray(np.ascontiguousarray(image.permute(1, 2, 0).numpy()))


def _from_pil(img: Image.Image) -> ember.Tensor:
    arr = np.array(img.convert("RGB"))
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def draw_bounding_boxes(image: ember.Tensor, boxes: ember.Tensor,
                        labels: list[str] | None = None,
                        colors: Color | list[Color] | None = None, fill: bool = False,
                        width: int = 1, font: str | None = None,
                        font_size: int | None = None) -> ember.Tensor:
    """Draw (xmin, ymin, xmax, ymax) boxes on a uint8 (C, H, W) image; returns RGB uint8."""
    _check_image(image)
    if boxes.ndim != 2 or (boxes.shape[0] and boxes.shape[1] != 4):
        raise ValueError(f"boxes should be of shape (N, 4), got {tuple(boxes.shape)}")
    if boxes.shape[0] and bool(((boxes[:, 0] > boxes[:, 2]) | (boxes[:, 1] > boxes[:, 3])).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "embervision.ops.box_convert to convert them")
    n = boxes.shape[0]
    if n == 0:
        return image if image.shape[0] == 3 else ember.cat([image, image, image])
    if labels is not None and len(labels) != n:
        raise ValueError(f"Number of boxes ({n}) and labels ({len(labels)}) mismatch. Please "
                         "specify labels for each box.")
    colors = _parse_colors(colors, n)
    txt_font = (ImageFont.load_default() if font is None
                else ImageFont.truetype(font=font, size=font_size or 10))
    img = _to_pil(image)
    draw = ImageDraw.Draw(img, "RGBA" if fill else None)
    for i, box in enumerate(boxes.to(ember.int64).tolist()):
        color = colors[i]
        if fill:
            draw.rectangle(box, width=width, outline=color, fill=color + (100,))
        else:
            draw.rectangle(box, width=width, outline=color)
        if labels is not None:
            margin = width + 1
            draw.text((box[0] + margin, box[1] + margin), labels[i], fill=color, font=txt_font)
    return _from_pil(img)


def draw_segmentation_masks(image: ember.Tensor, masks: ember.Tensor, alpha: float = 0.8,
                            colors: Color | list[Color] | None = None) -> ember.Tensor:
    """Blend boolean masks (N, H, W) over a (3, H, W) image with opacity ``alpha``."""
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"The image must be a tensor, got {type(image)}")
    if image.dtype != ember.uint8 and not image.dtype.is_floating_point:
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if image.shape[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")
    if masks.ndim == 2:
        masks = masks.unsqueeze(0)
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")
    n = masks.shape[0]
    if n == 0:
        return image
    scale = 255 if image.dtype == ember.uint8 else 1.0
    colors = [ember.tensor(c, dtype=ember.float32).view(3, 1, 1) * (scale / 255)
              for c in _parse_colors(colors, n)]
    base = image.to(ember.float32)
    drawn = base
    for mask, color in zip(masks.unbind(0), colors):
        drawn = ember.where(mask.unsqueeze(0), color.expand(3, *mask.shape), drawn)
    out = base * (1 - alpha) + drawn * alpha
    return out.to(image.dtype)


def draw_keypoints(image: ember.Tensor, keypoints: ember.Tensor,
                   connectivity: list[tuple[int, int]] | None = None,
                   colors: Color | None = None, radius: int = 2, width: int = 3,
                   visibility: ember.Tensor | None = None) -> ember.Tensor:
    """Draw keypoints (num_instances, K, 2) as dots, joined by ``connectivity`` lines."""
    _check_image(image)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        visibility = ember.ones(keypoints.shape[:-1], dtype=ember.bool)
    if visibility.ndim == 3:
        visibility = visibility.squeeze(-1)
    if tuple(visibility.shape) != tuple(keypoints.shape[:-1]):
        raise ValueError("keypoints and visibility must have the same dimensionality for "
                         "num_instances and K.")
    img = _to_pil(image)
    draw = ImageDraw.Draw(img)
    fill = ImageColor.getrgb(colors) if isinstance(colors, str) else colors
    for kpts, vis in zip(keypoints.to(ember.int64).tolist(), visibility.tolist()):
        for (x, y), v in zip(kpts, vis):
            if v:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill,
                             outline=None, width=0)
        for a, b in connectivity or []:
            if vis[a] and vis[b]:
                draw.line([tuple(kpts[a]), tuple(kpts[b])], width=width)
    return _from_pil(img)
