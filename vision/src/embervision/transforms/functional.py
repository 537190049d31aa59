"""Functional transforms: each takes a PIL image or an ember tensor (..., C, H, W).

PIL images go through Pillow (like torchvision); tensors through ember ops, so tensor
transforms work on batches too.

Example:
    >>> import ember
    >>> import embervision.transforms.functional as F
    >>> img = ember.arange(12, dtype=ember.uint8).reshape(1, 3, 4)
    >>> F.hflip(img)[0, 0].tolist()
    [3, 2, 1, 0]
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from enum import Enum

import ember
import numpy as np
from PIL import Image, ImageMode

from embervision import _native

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    """Interpolation modes; the values are torch ``interpolate`` mode names."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}
_FROM_PIL_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                 3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interp(mode: InterpolationMode | int | str) -> InterpolationMode:
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, int):
        return _FROM_PIL_INT[mode]
    if isinstance(mode, str):
        return InterpolationMode(mode)
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                    f"Pillow integer constant, got {type(mode)}")


def _is_pil(img: object) -> bool:
    return isinstance(img, Image.Image)


def _check_img(img: object) -> None:
    if not isinstance(img, ember.Tensor) and not _is_pil(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def get_dimensions(img: ember.Tensor | Image.Image) -> list[int]:
    """[channels, height, width] of an image."""
    _check_img(img)
    return F_pil.get_dimensions(img) if _is_pil(img) else F_t.get_dimensions(img)


def get_image_size(img: ember.Tensor | Image.Image) -> list[int]:
    """[width, height] of an image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img: ember.Tensor | Image.Image) -> int:
    return get_dimensions(img)[0]


# ---- conversions -------------------------------------------------------------------------

def to_tensor(pic: Image.Image | np.ndarray) -> ember.Tensor:
    """PIL image or HWC ndarray -> C,H,W tensor; uint8 data is scaled to float in [0, 1].

    Example:
        >>> to_tensor(Image.new("RGB", (2, 1), (255, 0, 51)))[:, 0, 0].tolist()
        [1.0, 0.0, 0.20000000298023224]
    """
    if not (_is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    dtype = ember.get_default_dtype()
    native = dtype in (ember.float32, ember.float64)
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        if native and arr.dtype == np.uint8:
            # one C pass from the array's own layout to the scaled planes
            return _native.u8_hwc_to_chw(arr, arr.shape, arr.strides, dtype)
    elif native and pic.mode != "1" and ImageMode.getmode(pic.mode).typestr == "|u1":
        # one C pass from Pillow's own pixel memory to the scaled planes where Pillow
        # exports it, else from its packed bytes (what np.array(pic) would copy again)
        out = _native.pil_to_chw(pic, dtype)
        if out is not None:
            return out
        w, h = pic.size
        c = len(pic.getbands())
        return _native.u8_hwc_to_chw(pic.tobytes(), (h, w, c), (w * c, c, 1), dtype)
    else:
        np_types = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        arr = np.array(pic, np_types.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        if native and arr.dtype == np.uint8:
            return _native.u8_hwc_to_chw(arr, arr.shape, arr.strides, dtype)
    img = ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if img.dtype == ember.uint8:
        return img.to(dtype) / 255
    return img


def pil_to_tensor(pic: Image.Image) -> ember.Tensor:
    """PIL image -> C,H,W tensor keeping the pixel dtype (no scaling)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic: ember.Tensor | np.ndarray, mode: str | None = None) -> Image.Image:
    """C,H,W tensor or H,W,C ndarray -> PIL image; float tensors are scaled by 255."""
    if isinstance(pic, ember.Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        if pic.dtype.is_floating_point and mode != "F":
            pic = (pic * 255).to(ember.uint8)
        npimg = np.transpose(pic.detach().numpy(), (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
        if npimg.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {npimg.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")

    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    h, w = npimg.shape[:2]
    if mode == "I;16":
        return Image.frombytes("I;16", (w, h), npimg.astype("<u2").tobytes())
    if mode in ("L", "I", "F", "LA", "RGB", "RGBA"):
        return Image.fromarray(np.ascontiguousarray(npimg), mode=mode)
    return Image.frombytes(mode, (w, h), np.ascontiguousarray(npimg).tobytes())


def convert_image_dtype(image: ember.Tensor, dtype: ember.dtype = ember.float32) -> ember.Tensor:
    """Convert a tensor image to ``dtype``, rescaling values (uint8 255 <-> float 1.0)."""
    if not isinstance(image, ember.Tensor):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


def normalize(tensor: ember.Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> ember.Tensor:
    """``(tensor - mean) / std`` per channel of a float (..., C, H, W) tensor."""
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    dtype = tensor.dtype
    np_dtype = _NP_FLOAT.get(dtype)
    if (np_dtype is not None and tensor.device.type == "cpu"
            and not (tensor.requires_grad and ember.is_grad_enabled())):
        mean_a, std_a = _per_channel(mean, np_dtype), _per_channel(std, np_dtype)
        if (mean_a is not None and std_a is not None
                and mean_a.size in (1, tensor.shape[-3]) and std_a.size in (1, tensor.shape[-3])):
            if not std_a.all():
                raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading "
                                 "to division by zero.")
            # one C pass (sub then div, rounded as torch's sub_ and div_) instead of two ops
            src = tensor if tensor.is_contiguous() else tensor.contiguous()
            out = _native.normalize(src, mean_a, std_a,
                                    ember.empty(src.shape, dtype=dtype, device="cpu"))
            if inplace:
                tensor.copy_(out)
                return tensor
            return out
    mean_t = ember.as_tensor(mean, dtype=dtype)
    std_t = ember.as_tensor(std, dtype=dtype)
    if bool((std_t == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to "
                         "division by zero.")
    if mean_t.ndim == 1:
        mean_t = mean_t.view(-1, 1, 1)
    if std_t.ndim == 1:
        std_t = std_t.view(-1, 1, 1)
    out = (tensor - mean_t) / std_t
    if inplace:
        tensor.copy_(out)
        return tensor
    return out


_NP_FLOAT = {ember.float32: np.float32, ember.float64: np.float64}


def _per_channel(values: object, np_dtype: type) -> np.ndarray | None:
    """Plain numbers (one, or a list/tuple of them) as a 1-D array of the tensor's type, as
    ``as_tensor(values, dtype=...)`` rounds them; None for anything else (tensors, nested
    lists), which takes the general path."""
    if isinstance(values, numbers.Real):
        values = (values,)
    elif not isinstance(values, (list, tuple)) or not all(
            isinstance(v, numbers.Real) for v in values):
        return None
    return np.array(values, dtype=np_dtype)


# ---- geometry ----------------------------------------------------------------------------

def _resized_size(h: int, w: int, size: int | Sequence[int] | None,
                  max_size: int | None) -> list[int]:
    if isinstance(size, int) or (isinstance(size, Sequence) and len(size) == 1) or size is None:
        short, long = (w, h) if w <= h else (h, w)
        if size is None:
            if max_size is None:
                raise ValueError("If size is None, then max_size must be a positive integer.")
            new_long = max_size
            new_short = int(max_size * short / long)
        else:
            requested = size if isinstance(size, int) else size[0]
            new_short, new_long = requested, int(requested * long / short)
            if max_size is not None:
                if max_size <= requested:
                    raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                     f"requested size for the smaller edge size = {size}")
                if new_long > max_size:
                    new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 "
                         "in torchscript mode.")
    return [size[0], size[1]]


def resize(img: ember.Tensor | Image.Image, size: int | Sequence[int] | None,
           interpolation: InterpolationMode = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True):
    """Resize to ``size`` ([h, w], or an int for the shorter edge keeping the aspect ratio)."""
    interpolation = _interp(interpolation)
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError("If size is a sequence, it should have 1 or 2 values")
    _check_img(img)
    _, h, w = get_dimensions(img)
    out_size = _resized_size(h, w, size, max_size)
    if [h, w] == out_size:
        return img
    if _is_pil(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, out_size, _PIL_FILTERS[interpolation])
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT,
                             InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
        raise ValueError("Input tensor supports only nearest, nearest-exact, bilinear and "
                         f"bicubic interpolation, got {interpolation}")
    return F_t.resize(img, out_size, interpolation.value, antialias)


def _pad_list(padding: int | Sequence[int]) -> list[int]:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    return F_t._parse_pad(padding)


def pad(img, padding: int | Sequence[int], fill: float | Sequence[float] = 0,
        padding_mode: str = "constant"):
    """Pad each border ([left, top, right, bottom], 2 values for l/r and t/b, or one)."""
    _check_img(img)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    pads = _pad_list(padding)
    if _is_pil(img):
        return F_pil.pad(img, pads, fill, padding_mode)
    return F_t.pad(img, pads, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The region [top, top+height) x [left, left+width); outside the image is zero."""
    _check_img(img)
    if _is_pil(img):
        return F_pil.crop(img, top, left, height, width)
    return F_t.crop(img, top, left, height, width)


def _size_pair(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    return size[0], size[1]


def center_crop(img, output_size: int | Sequence[int]):
    """Crop the centre; pads with zeros first if the crop is larger than the image."""
    crop_h, crop_w = _size_pair(output_size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        padding = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                   (crop_w - w + 1) // 2 if crop_w > w else 0,
                   (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, padding, fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top: int, left: int, height: int, width: int, size: Sequence[int],
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias: bool | None = True):
    """``crop`` then ``resize``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """Flip left-right."""
    _check_img(img)
    return F_pil.hflip(img) if _is_pil(img) else F_t.hflip(img)


def vflip(img):
    """Flip top-bottom."""
    _check_img(img)
    return F_pil.vflip(img) if _is_pil(img) else F_t.vflip(img)


def five_crop(img, size: int | Sequence[int]):
    """The four corner crops and the centre crop, as a tuple (tl, tr, bl, br, center)."""
    crop_h, crop_w = _size_pair(size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size "
                         f"{(h, w)}")
    tl = crop(img, 0, 0, crop_h, crop_w)
    tr = crop(img, 0, w - crop_w, crop_h, crop_w)
    bl = crop(img, h - crop_h, 0, crop_h, crop_w)
    br = crop(img, h - crop_h, w - crop_w, crop_h, crop_w)
    return tl, tr, bl, br, center_crop(img, [crop_h, crop_w])


def ten_crop(img, size: int | Sequence[int], vertical_flip: bool = False):
    """``five_crop`` of the image and of its (horizontal or vertical) flip."""
    first = five_crop(img, size)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return first + five_crop(flipped, size)


def _fill_list(img, fill):
    if fill is None:
        return None
    channels = get_dimensions(img)[0]
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


def rotate(img, angle: float, interpolation: InterpolationMode = InterpolationMode.NEAREST,
           expand: bool = False, center: list[int] | None = None,
           fill: list[float] | None = None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the centre)."""
    interpolation = _interp(interpolation)
    _check_img(img)
    if _is_pil(img):
        return F_pil.rotate(img, angle, _PIL_FILTERS[interpolation], expand, center, fill)
    _, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, [w, h])]
    # Tensor rows grow downwards, so a counter-clockwise turn is a negative angle here.
    from ._resample import inverse_affine_matrix
    matrix = inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_size = None
    if expand:
        ow, oh = F_t.affine_output_size(matrix, w, h)
        out_size = (oh, ow)
    return F_t.apply_affine(img, matrix, interpolation.value, _fill_list(img, fill), out_size)


def affine(img, angle: float, translate: list[int], scale: float, shear: float | list[float],
           interpolation: InterpolationMode = InterpolationMode.NEAREST,
           fill: list[float] | None = None, center: list[int] | None = None):
    """Affine transform keeping the centre fixed: rotate by ``angle`` (clockwise), scale,
    shear (degrees, x then y) and translate (pixels)."""
    from ._resample import inverse_affine_matrix

    interpolation = _interp(interpolation)
    _check_img(img)
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    _, h, w = get_dimensions(img)
    if _is_pil(img):
        center_px = [w * 0.5, h * 0.5] if center is None else list(center)
        matrix = inverse_affine_matrix(center_px, angle, list(translate), scale, shear)
        return F_pil.affine(img, matrix, _PIL_FILTERS[interpolation], fill)
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, [w, h])]
    matrix = inverse_affine_matrix(center_f, angle, [float(t) for t in translate], scale, shear)
    return F_t.apply_affine(img, matrix, interpolation.value, _fill_list(img, fill))


def _get_perspective_coeffs(startpoints: list[list[int]],
                            endpoints: list[list[int]]) -> list[float]:
    """The 8 coefficients (a..h) mapping an output pixel (x, y) of the warped image to the
    input point ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1)),
    for ``endpoints`` -> ``startpoints`` (four [x, y] corners each); Pillow's PERSPECTIVE data.
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide only four corners: {startpoints}, {endpoints}")
    rows, rhs = [], []
    for (ex, ey), (sx, sy) in zip(endpoints, startpoints):
        rows.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey])
        rows.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey])
        rhs += [sx, sy]
    # An 8x8 host-side solve for transform parameters (not image data), in float64 and then
    # rounded to float32 as torchvision does.
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return solution.astype(np.float32).tolist()


def perspective(img, startpoints: list[list[int]], endpoints: list[list[int]],
                interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                fill: list[float] | None = None):
    """Warp so the four ``startpoints`` corners (top-left, top-right, bottom-right,
    bottom-left, as [x, y]) land on ``endpoints``.

    Example:
        >>> img = ember.arange(16, dtype=ember.uint8).reshape(1, 4, 4)
        >>> corners = [[0, 0], [3, 0], [3, 3], [0, 3]]
        >>> bool((perspective(img, corners, corners) == img).all())
        True
    """
    _check_img(img)
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    if not isinstance(interpolation, (InterpolationMode, int)):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    interpolation = _interp(interpolation)
    if _is_pil(img):
        return F_pil.perspective(img, coeffs, _PIL_FILTERS[interpolation], fill)
    return F_t.perspective(img, coeffs, interpolation.value, _fill_list(img, fill))


# ---- colour ------------------------------------------------------------------------------

def _dispatch(name: str, img, *args):
    _check_img(img)
    return getattr(F_pil if _is_pil(img) else F_t, name)(img, *args)


def adjust_brightness(img, brightness_factor: float):
    """Scale intensities by ``brightness_factor`` (0 gives black)."""
    return _dispatch("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level (0 gives a flat grey image)."""
    return _dispatch("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image (0 gives grey, 2 doubles saturation)."""
    return _dispatch("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Rotate hue by ``hue_factor`` turns, in [-0.5, 0.5]."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    return _dispatch("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """``gain * img ** gamma`` on [0, 1] intensities."""
    return _dispatch("adjust_gamma", img, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed image (0 blurs, 1 keeps, 2 sharpens)."""
    return _dispatch("adjust_sharpness", img, sharpness_factor)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma (ITU-R 601-2) with 1 or 3 output channels."""
    _check_img(img)
    if _is_pil(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def to_grayscale(img, num_output_channels: int = 1):
    """PIL-only alias of ``rgb_to_grayscale`` (torchvision keeps both)."""
    if not _is_pil(img):
        raise TypeError("Input should be PIL Image")
    return F_pil.to_grayscale(img, num_output_channels)


def invert(img):
    """``max - img`` (255 for uint8, 1.0 for floats)."""
    return _dispatch("invert", img)


def posterize(img, bits: int):
    """Keep the ``bits`` high bits of each uint8 channel."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _dispatch("posterize", img, bits)


def solarize(img, threshold: float):
    """Invert the pixels at or above ``threshold``."""
    return _dispatch("solarize", img, threshold)


def autocontrast(img):
    """Stretch each channel to the full range."""
    return _dispatch("autocontrast", img)


def equalize(img):
    """Histogram-equalize each uint8 channel."""
    return _dispatch("equalize", img)


def _kernel_args(kernel_size, sigma):
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError("kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    kernel_size = list(kernel_size)
    if len(kernel_size) == 1:
        kernel_size = kernel_size * 2
    if len(kernel_size) != 2:
        raise ValueError("If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError("kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = sigma * 2
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return kernel_size, sigma


def gaussian_blur(img, kernel_size: list[int], sigma: list[float] | None = None):
    """Gaussian blur (reflect borders). PIL images are blurred as tensors, like torchvision."""
    kernel_size, sigma = _kernel_args(kernel_size, sigma)
    _check_img(img)
    if _is_pil(img):
        out = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
        return to_pil_image(out, mode=img.mode)
    return F_t.gaussian_blur(img, kernel_size, sigma)


def erase(img: ember.Tensor, i: int, j: int, h: int, w: int, v: ember.Tensor,
          inplace: bool = False) -> ember.Tensor:
    """Set the region [i, i+h) x [j, j+w) of a tensor image to ``v``."""
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace)
