"""Image operations on PIL images, through Pillow (as torchvision does)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def is_pil_image(img: object) -> bool:
    return isinstance(img, Image.Image)


def _assert_pil(img: object) -> None:
    if not is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img: Image.Image) -> list[int]:
    _assert_pil(img)
    channels = len(img.getbands())
    width, height = img.size
    return [channels, height, width]


def hflip(img: Image.Image) -> Image.Image:
    _assert_pil(img)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    _assert_pil(img)
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def _fill_for(img: Image.Image, fill: float | Sequence[float] | None) -> int | tuple | None:
    """A Pillow fill colour for ``img``'s mode (a number, or one value per band)."""
    if fill is None:
        return None
    bands = len(img.getbands())
    if isinstance(fill, (int, float)):
        value = int(fill) if img.mode != "F" else float(fill)
        return value if bands == 1 else tuple([value] * bands)
    fill = tuple(int(v) if img.mode != "F" else float(v) for v in fill)
    if len(fill) == 1:
        fill = fill * bands
    if len(fill) != bands:
        raise ValueError(f"The number of elements in 'fill' does not match the number of bands "
                         f"of the image ({len(fill)} != {bands})")
    return fill[0] if bands == 1 else fill


def pad(img: Image.Image, padding: list[int], fill: float | Sequence[float] | None = 0,
        padding_mode: str = "constant") -> Image.Image:
    """``padding`` is [left, top, right, bottom] (negative values crop)."""
    _assert_pil(img)
    left, top, right, bottom = padding
    if padding_mode == "constant":
        w, h = img.size
        out = Image.new(img.mode, (w + left + right, h + top + bottom),
                        _fill_for(img, 0 if fill is None else fill))
        if img.mode == "P" and img.getpalette():
            out.putpalette(img.getpalette())
        out.paste(img, (left, top))
        return out
    np_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}.get(padding_mode)
    if np_mode is None:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    # Negative sides crop first; NumPy then pads the rest (Pillow has no mirror padding).
    w, h = img.size
    img = img.crop((max(-left, 0), max(-top, 0), w - max(-right, 0), h - max(-bottom, 0)))
    left, top, right, bottom = (max(v, 0) for v in (left, top, right, bottom))
    arr = np.asarray(img)
    widths = [(top, bottom), (left, right)] + ([(0, 0)] if arr.ndim == 3 else [])
    out = Image.fromarray(np.pad(arr, widths, mode=np_mode))
    if img.mode == "P":
        # The padded palette indices come back as "L"; putpalette turns them into "P" again.
        out.putpalette(img.getpalette())
    return out


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    _assert_pil(img)
    return img.crop((left, top, left + width, top + height))


def resize(img: Image.Image, size: list[int], interpolation: int) -> Image.Image:
    """``size`` is [h, w]; ``interpolation`` a Pillow resampling filter."""
    _assert_pil(img)
    h, w = size
    if (w, h) == img.size:
        return img
    return img.resize((w, h), interpolation)


def _enhance(enhancer: type, img: Image.Image, factor: float) -> Image.Image:
    return enhancer(img).enhance(factor)


def adjust_brightness(img: Image.Image, factor: float) -> Image.Image:
    _assert_pil(img)
    return _enhance(ImageEnhance.Brightness, img, factor)


def adjust_contrast(img: Image.Image, factor: float) -> Image.Image:
    _assert_pil(img)
    return _enhance(ImageEnhance.Contrast, img, factor)


def adjust_saturation(img: Image.Image, factor: float) -> Image.Image:
    _assert_pil(img)
    return _enhance(ImageEnhance.Color, img, factor)


def adjust_sharpness(img: Image.Image, factor: float) -> Image.Image:
    _assert_pil(img)
    return _enhance(ImageEnhance.Sharpness, img, factor)


def adjust_hue(img: Image.Image, hue_factor: float) -> Image.Image:
    _assert_pil(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    # uint8 addition wraps around, which is the hue rotation we want.
    with np.errstate(over="ignore"):
        np_h += np.array(hue_factor * 255).astype(np.uint8)
    h = Image.fromarray(np_h, "L")
    return Image.merge("HSV", (h, s, v)).convert(mode)


def adjust_gamma(img: Image.Image, gamma: float, gain: float = 1.0) -> Image.Image:
    _assert_pil(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    img = img.convert("RGB")
    table = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma)) for ele in range(256)] * 3
    return img.point(table).convert(mode)


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    _assert_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return Image.fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def invert(img: Image.Image) -> Image.Image:
    _assert_pil(img)
    return ImageOps.invert(img)


def posterize(img: Image.Image, bits: int) -> Image.Image:
    _assert_pil(img)
    return ImageOps.posterize(img, bits)


def solarize(img: Image.Image, threshold: int) -> Image.Image:
    _assert_pil(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img: Image.Image) -> Image.Image:
    _assert_pil(img)
    return ImageOps.autocontrast(img)


def equalize(img: Image.Image) -> Image.Image:
    _assert_pil(img)
    return ImageOps.equalize(img)


def rotate(img: Image.Image, angle: float, interpolation: int, expand: bool,
           center: list[int] | None, fill: float | Sequence[float] | None) -> Image.Image:
    _assert_pil(img)
    return img.rotate(angle, interpolation, expand, center, fillcolor=_fill_for(img, fill))


def affine(img: Image.Image, matrix: list[float], interpolation: int,
           fill: float | Sequence[float] | None) -> Image.Image:
    _assert_pil(img)
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation,
                         fillcolor=_fill_for(img, fill))


def perspective(img: Image.Image, perspective_coeffs: list[float], interpolation: int,
                fill: float | Sequence[float] | None) -> Image.Image:
    """Pillow's PERSPECTIVE transform; outside pixels take ``fill`` (0 when None)."""
    _assert_pil(img)
    return img.transform(img.size, Image.Transform.PERSPECTIVE, perspective_coeffs,
                         interpolation, fillcolor=_fill_for(img, 0 if fill is None else fill))
