"""Image file I/O with torchvision's ``io`` API, decoding and encoding through Pillow.

Images are uint8 tensors shaped (C, H, W); encoded bytes are 1-D uint8 tensors.

Example:
    >>> import ember
    >>> from embervision.io import decode_png, encode_png
    >>> img = ember.arange(12, dtype=ember.uint8).reshape(1, 3, 4)
    >>> ember.equal(decode_png(encode_png(img)), img)
    True
"""

from __future__ import annotations

import io as _pyio
import os
from enum import Enum

import ember
import numpy as np
from PIL import Image, ImageOps

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """How to convert channels when decoding."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # alias, as in recent torchvision


_MODE_TO_PIL = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
                ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path: str | os.PathLike) -> ember.Tensor:
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        data = f.read()
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename: str | os.PathLike, data: ember.Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to ``filename``."""
    _check_bytes(data)
    with open(filename, "wb") as f:
        f.write(data.contiguous().numpy().tobytes())


def _check_bytes(data: ember.Tensor) -> None:
    if not isinstance(data, ember.Tensor) or data.dtype != ember.uint8 or data.ndim != 1:
        raise ValueError("Expected a 1-D uint8 tensor of encoded bytes, got "
                         f"{getattr(data, 'dtype', type(data))} with "
                         f"{getattr(data, 'ndim', '?')} dims")


def _parse_mode(mode: ImageReadMode | str | int) -> ImageReadMode:
    if isinstance(mode, str):
        return ImageReadMode[mode.upper()]
    return ImageReadMode(mode) if not isinstance(mode, ImageReadMode) else mode


def _pil_to_chw(img: Image.Image, mode: ImageReadMode) -> ember.Tensor:
    if mode == ImageReadMode.UNCHANGED:
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode == "CMYK":
            img = img.convert("RGB")
    else:
        img = img.convert(_MODE_TO_PIL[mode])
    arr = np.array(img)  # a writable copy: ember tensors need writable memory
    if arr.dtype != np.uint8:
        # 16-bit greyscale PNGs: ember has no uint16, so they come back as int32.
        arr = arr.astype(np.int32)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def decode_image(input: ember.Tensor | str | os.PathLike,
                 mode: ImageReadMode = ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode JPEG/PNG/GIF/BMP/WEBP bytes (or a file path) into a uint8 (C, H, W) tensor."""
    if not isinstance(input, ember.Tensor):
        input = read_file(input)
    _check_bytes(input)
    mode = _parse_mode(mode)
    try:
        img = Image.open(_pyio.BytesIO(input.numpy().tobytes()))
        img.load()
    except Exception as error:  # Pillow raises several types for corrupt data
        raise RuntimeError(f"Failed to decode image: {error}") from error
    if apply_exif_orientation:
        img = ImageOps.exif_transpose(img)
    return _pil_to_chw(img, mode)


def _decode_format(input: ember.Tensor, mode: ImageReadMode, fmt: str,
                   apply_exif_orientation: bool) -> ember.Tensor:
    _check_bytes(input)
    img = Image.open(_pyio.BytesIO(input.numpy().tobytes()))
    if img.format != fmt:
        raise RuntimeError(f"Not a {fmt} file (got {img.format})")
    img.load()
    if apply_exif_orientation:
        img = ImageOps.exif_transpose(img)
    return _pil_to_chw(img, _parse_mode(mode))


def decode_jpeg(input: ember.Tensor | list[ember.Tensor],
                mode: ImageReadMode = ImageReadMode.UNCHANGED, device: str = "cpu",
                apply_exif_orientation: bool = False):
    """Decode JPEG bytes (or a list of them) into uint8 (C, H, W) tensors."""
    if isinstance(input, (list, tuple)):
        return [_decode_format(x, mode, "JPEG", apply_exif_orientation) for x in input]
    return _decode_format(input, mode, "JPEG", apply_exif_orientation)


def decode_png(input: ember.Tensor, mode: ImageReadMode = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode PNG bytes into a (C, H, W) tensor."""
    return _decode_format(input, mode, "PNG", apply_exif_orientation)


def read_image(path: str | os.PathLike, mode: ImageReadMode = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Read and decode an image file into a uint8 (C, H, W) tensor."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


def _chw_to_pil(input: ember.Tensor) -> Image.Image:
    if not isinstance(input, ember.Tensor) or input.dtype != ember.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.ndim != 3 or input.shape[0] not in (1, 3, 4):
        raise RuntimeError("The number of channels should be 1, 3 or 4, got "
                           f"shape {tuple(input.shape)}")
    arr = np.ascontiguousarray(input.numpy().transpose(1, 2, 0))
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def _encode(img: Image.Image, fmt: str, **kwargs) -> ember.Tensor:
    buf = _pyio.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return ember.from_numpy(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def encode_jpeg(input: ember.Tensor | list[ember.Tensor], quality: int = 75):
    """Encode uint8 (C, H, W) tensors (C = 1 or 3) as JPEG bytes."""
    if not 1 <= quality <= 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(x, quality) for x in input]
    if input.ndim == 3 and input.shape[0] == 4:
        raise RuntimeError("JPEG does not support an alpha channel")
    return _encode(_chw_to_pil(input), "JPEG", quality=quality)


def encode_png(input: ember.Tensor, compression_level: int = 6) -> ember.Tensor:
    """Encode a uint8 (C, H, W) tensor as PNG bytes (lossless)."""
    if not 0 <= compression_level <= 9:
        raise ValueError("Compression level should be between 0 and 9")
    return _encode(_chw_to_pil(input), "PNG", compress_level=compression_level)


def write_jpeg(input: ember.Tensor, filename: str | os.PathLike, quality: int = 75) -> None:
    """Encode as JPEG and write to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))


def write_png(input: ember.Tensor, filename: str | os.PathLike, compression_level: int = 6) -> None:
    """Encode as PNG and write to ``filename``."""
    write_file(filename, encode_png(input, compression_level))
