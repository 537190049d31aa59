"""Image operations on ember tensors shaped (..., C, H, W), written with ember ops."""

from __future__ import annotations

from collections.abc import Sequence

import ember
import ember.nn.functional as F

from . import _resample

_INT_MAX = {ember.uint8: 255, ember.int8: 127, ember.int16: 32767, ember.int32: 2**31 - 1,
            ember.int64: 2**63 - 1, ember.bool: 1}


def _is_tensor_image(img: ember.Tensor) -> bool:
    return img.ndim >= 2


def _assert_image(img: ember.Tensor) -> None:
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError(f"Tensor is not a torch image: expected at least 2 dims, got {img.ndim}")


def max_value(dtype: ember.dtype) -> float | int:
    """The value of "white": 1.0 for floats, the type's maximum for integers."""
    return 1.0 if dtype.is_floating_point else _INT_MAX[dtype]


def get_dimensions(img: ember.Tensor) -> list[int]:
    _assert_image(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def _assert_channels(img: ember.Tensor, permitted: Sequence[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, but "
                        f"found {c}")


def convert_image_dtype(image: ember.Tensor, dtype: ember.dtype = ember.float32) -> ember.Tensor:
    if image.dtype == dtype:
        return image
    if image.dtype.is_floating_point:
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or \
                (image.dtype == ember.float64 and dtype == ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        # Scale by (max + 1 - eps) so 1.0 maps to max and the bins are equally wide.
        eps = 1e-3
        return (image * (_INT_MAX[dtype] + 1.0 - eps)).to(dtype)
    in_max = _INT_MAX[image.dtype]
    if dtype.is_floating_point:
        return image.to(dtype) / in_max
    out_max = _INT_MAX[dtype]
    if in_max > out_max:
        factor = (in_max + 1) // (out_max + 1)
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = (out_max + 1) // (in_max + 1)
    return image.to(dtype) * factor


def _float(img: ember.Tensor) -> ember.Tensor:
    return img if img.dtype.is_floating_point else img.to(ember.float32)


def _back(img: ember.Tensor, dtype: ember.dtype) -> ember.Tensor:
    """Cast a float result back to ``dtype``, rounding for integer images."""
    if img.dtype == dtype:
        return img
    if not dtype.is_floating_point:
        img = img.round()
    return img.to(dtype)


def vflip(img: ember.Tensor) -> ember.Tensor:
    _assert_image(img)
    return img.flip(-2)


def hflip(img: ember.Tensor) -> ember.Tensor:
    _assert_image(img)
    return img.flip(-1)


def _pad_index(n: int, before: int, after: int, mode: str) -> ember.Tensor:
    """Source indices for padding an axis of length n by (before, after) (may be negative)."""
    idx = ember.arange(-before, n + after)
    if mode == "edge":
        return idx.clamp(0, n - 1)
    if mode == "reflect":
        # Mirror without repeating the edge: period 2(n-1).
        if n == 1:
            return ember.zeros_like(idx)
        period = 2 * (n - 1)
        idx = ember.remainder(idx, period)
        return ember.where(idx >= n, period - idx, idx)
    if mode == "symmetric":
        period = 2 * n
        idx = ember.remainder(idx, period)
        return ember.where(idx >= n, period - 1 - idx, idx)
    raise ValueError(mode)


def _parse_pad(padding: int | Sequence[int]) -> list[int]:
    """Padding as [left, top, right, bottom]."""
    if isinstance(padding, int):
        return [padding] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return padding


def pad(img: ember.Tensor, padding: int | Sequence[int], fill: float | Sequence[float] | None = 0,
        padding_mode: str = "constant") -> ember.Tensor:
    _assert_image(img)
    if fill is None:
        fill = 0
    left, top, right, bottom = _parse_pad(padding)
    h, w = img.shape[-2], img.shape[-1]
    if padding_mode == "constant":
        # Negative padding crops; positive padding writes the image into a filled canvas.
        img = img[..., max(-top, 0): h - max(-bottom, 0), max(-left, 0): w - max(-right, 0)]
        top, bottom, left, right = (max(v, 0) for v in (top, bottom, left, right))
        h, w = img.shape[-2], img.shape[-1]
        out_shape = (*img.shape[:-2], h + top + bottom, w + left + right)
        if isinstance(fill, (int, float)):
            out = ember.full(out_shape, fill, dtype=img.dtype)
        else:
            fill_t = ember.tensor(list(fill), dtype=img.dtype).view(-1, 1, 1)
            out = (ember.zeros(out_shape, dtype=img.dtype) + fill_t).to(img.dtype)
        out[..., top: top + h, left: left + w] = img
        return out
    if padding_mode not in ("edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    rows = _pad_index(h, top, bottom, padding_mode)
    cols = _pad_index(w, left, right, padding_mode)
    return img.index_select(-2, rows).index_select(-1, cols)


def crop(img: ember.Tensor, top: int, left: int, height: int, width: int) -> ember.Tensor:
    _assert_image(img)
    h, w = img.shape[-2], img.shape[-1]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        # Out-of-bounds regions are zero, as torchvision does.
        padding = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        cropped = img[..., max(top, 0): bottom, max(left, 0): right]
        return pad(cropped, padding, fill=0)
    return img[..., top:bottom, left:right]


def resize(img: ember.Tensor, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True) -> ember.Tensor:
    """Resize to ``size`` = [h, w] through ``F.interpolate``, as torchvision does."""
    _assert_image(img)
    if list(size) == [img.shape[-2], img.shape[-1]]:
        return img
    squeeze = img.ndim == 2
    if squeeze:
        img = img.unsqueeze(0)
    dtype = img.dtype
    # torch only antialiases linear/cubic modes.
    aa = bool(antialias) and interpolation in ("bilinear", "bicubic")
    lead, (h, w) = img.shape[:-2], img.shape[-2:]
    out = F.interpolate(_float(img).reshape(1, -1, h, w), size=[size[0], size[1]],
                        mode=interpolation, antialias=aa,
                        align_corners=False if interpolation in ("bilinear", "bicubic") else None)
    out = out.reshape(*lead, size[0], size[1])
    if not dtype.is_floating_point:
        out = out.clamp(0, _INT_MAX[dtype]) if interpolation == "bicubic" or aa else out
    out = _back(out, dtype)
    return out.squeeze(0) if squeeze else out


def _blend(img1: ember.Tensor, img2: ember.Tensor, ratio: float) -> ember.Tensor:
    ratio = float(ratio)
    bound = max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img: ember.Tensor, num_output_channels: int = 1) -> ember.Tensor:
    _assert_image(img)
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(-3)
        # ITU-R 601-2 luma, as Pillow's "L" conversion.
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    else:
        gray = img.clone()
    if num_output_channels == 3:
        return gray.expand(*gray.shape[:-3], 3, *gray.shape[-2:]).contiguous()
    return gray


def adjust_brightness(img: ember.Tensor, brightness_factor: float) -> ember.Tensor:
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image(img)
    _assert_channels(img, [1, 3])
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img: ember.Tensor, contrast_factor: float) -> ember.Tensor:
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.dtype.is_floating_point else ember.float32
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: ember.Tensor, saturation_factor: float) -> ember.Tensor:
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image(img)
    _assert_channels(img, [1, 3])
    if img.shape[-3] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img: ember.Tensor) -> ember.Tensor:
    r, g, b = img.unbind(-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    flat = maxc == minc
    chroma = maxc - minc
    ones = ember.ones_like(maxc)
    s = chroma / ember.where(flat, ones, maxc)
    div = ember.where(flat, ones, chroma)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    h = ember.where(maxc == r, bc - gc,
                    ember.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = ember.where(flat, ember.zeros_like(h), h)
    h = ember.fmod(h / 6.0 + 1.0, 1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img: ember.Tensor) -> ember.Tensor:
    h, s, v = img.unbind(-3)
    i = (h * 6.0).floor()
    f = h * 6.0 - i
    sector = ember.remainder(i.to(ember.int32), 6)
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    # Per sector 0..5, the (r, g, b) each come from one of v, q, p, t.
    table = ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))
    out = []
    for ch in range(3):
        value = table[5][ch]
        for k in range(4, -1, -1):
            value = ember.where(sector == k, table[k][ch], value)
        out.append(value)
    return ember.stack(out, dim=-3)


def adjust_hue(img: ember.Tensor, hue_factor: float) -> ember.Tensor:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image(img)
    _assert_channels(img, [1, 3])
    if img.shape[-3] == 1:
        return img
    dtype = img.dtype
    x = convert_image_dtype(img, ember.float32)
    hsv = _rgb2hsv(x)
    h, s, v = hsv.unbind(-3)
    h = ember.remainder(h + hue_factor, 1.0)
    out = _hsv2rgb(ember.stack((h, s, v), dim=-3))
    return convert_image_dtype(out, dtype)


def adjust_gamma(img: ember.Tensor, gamma: float, gain: float = 1) -> ember.Tensor:
    _assert_image(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    x = convert_image_dtype(img, ember.float32) if not dtype.is_floating_point else img
    x = (gain * x ** gamma).clamp(0, 1)
    return convert_image_dtype(x, dtype)


def invert(img: ember.Tensor) -> ember.Tensor:
    _assert_image(img)
    _assert_channels(img, [1, 3])
    return (max_value(img.dtype) - img).to(img.dtype)


def posterize(img: ember.Tensor, bits: int) -> ember.Tensor:
    _assert_image(img)
    if img.dtype != ember.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return img & -int(2 ** (8 - bits))


def solarize(img: ember.Tensor, threshold: float) -> ember.Tensor:
    _assert_image(img)
    _assert_channels(img, [1, 3])
    if threshold > max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return ember.where(img >= threshold, invert(img), img)


def _blurred_degenerate(img: ember.Tensor) -> ember.Tensor:
    """Pillow's SMOOTH filter (3x3, centre 5, others 1, / 13) on the interior pixels."""
    x = _float(img)
    h, w = x.shape[-2], x.shape[-1]
    acc = 4 * x[..., 1:h - 1, 1:w - 1]
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            acc = acc + x[..., dy: h - 2 + dy, dx: w - 2 + dx]
    acc = acc / 13.0
    if not img.dtype.is_floating_point:
        acc = acc.round()
    out = img.clone()
    out[..., 1:h - 1, 1:w - 1] = acc.to(img.dtype)
    return out


def adjust_sharpness(img: ember.Tensor, sharpness_factor: float) -> ember.Tensor:
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image(img)
    _assert_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    return _blend(img, _blurred_degenerate(img), sharpness_factor)


def autocontrast(img: ember.Tensor) -> ember.Tensor:
    _assert_image(img)
    if img.ndim < 3:
        raise TypeError("Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    bound = max_value(img.dtype)
    dtype = img.dtype if img.dtype.is_floating_point else ember.float32
    lo = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    hi = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    flat = hi == lo
    scale = bound / ember.where(flat, ember.ones_like(hi), hi - lo)
    lo = ember.where(flat, ember.zeros_like(lo), lo)
    scale = ember.where(flat, ember.ones_like(scale), scale)
    return ((img - lo) * scale).clamp(0, bound).to(img.dtype)


def _equalize_channel(chan: ember.Tensor) -> ember.Tensor:
    hist = ember.bincount(chan.reshape(-1).long(), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum().item()) // 255
    if step == 0:
        return chan
    lut = ember.div(ember.cumsum(hist, 0) + step // 2, step, rounding_mode="floor")
    lut = ember.cat([ember.zeros(1, dtype=lut.dtype), lut[:-1]]).clamp(0, 255)
    return lut[chan.long()].to(ember.uint8)


def equalize(img: ember.Tensor) -> ember.Tensor:
    _assert_image(img)
    if img.dtype != ember.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    if img.ndim < 3:
        raise TypeError("Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    lead = img.shape[:-2]
    flat = img.reshape(-1, *img.shape[-2:])
    out = ember.stack([_equalize_channel(c) for c in flat.unbind(0)])
    return out.reshape(*lead, *img.shape[-2:])


def _gaussian_kernel1d(size: int, sigma: float) -> ember.Tensor:
    half = (size - 1) * 0.5
    x = ember.linspace(-half, half, steps=size)
    pdf = ember.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def _conv1d_axis(x: ember.Tensor, kernel: ember.Tensor, dim: int) -> ember.Tensor:
    """Valid correlation of ``x`` with ``kernel`` along ``dim`` (-1 or -2)."""
    k = kernel.shape[0]
    n = x.shape[dim] - k + 1
    acc = None
    for i, wt in enumerate(kernel.tolist()):
        term = x.narrow(dim, i, n) * wt
        acc = term if acc is None else acc + term
    return acc


def gaussian_blur(img: ember.Tensor, kernel_size: list[int], sigma: list[float]) -> ember.Tensor:
    """Blur with a separable Gaussian, reflect-padding the borders (as torchvision)."""
    _assert_image(img)
    dtype = img.dtype
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0])
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1])
    x = pad(_float(img), [kernel_size[0] // 2, kernel_size[1] // 2,
                          kernel_size[0] // 2, kernel_size[1] // 2], padding_mode="reflect")
    x = _conv1d_axis(_conv1d_axis(x, ky.to(x.dtype), -2), kx.to(x.dtype), -1)
    return _back(x, dtype)


def erase(img: ember.Tensor, i: int, j: int, h: int, w: int, v: ember.Tensor,
          inplace: bool = False) -> ember.Tensor:
    _assert_image(img)
    if not inplace:
        img = img.clone()
    img[..., i: i + h, j: j + w] = v
    return img


def affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """The (w, h) that holds the whole transformed image (for ``expand=True``).

    In float32 and measured from the top-left corner, as torchvision, so sizes that land
    on float noise (a 90 degree turn of 13x17) round the same way.
    """
    corners = ember.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                            [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    theta = ember.tensor(matrix, dtype=ember.float32).view(2, 3)
    pts = ember.matmul(corners, theta.t())
    origin = ember.tensor([w * 0.5, h * 0.5])
    lo, hi = pts.amin(dim=0) + origin, pts.amax(dim=0) + origin
    # Trim float noise before ceil/floor.
    tol = 1e-4
    size = (hi / tol).trunc().mul(tol).ceil() - (lo / tol).trunc().mul(tol).floor()
    return int(size[0].item()), int(size[1].item())


def apply_affine(img: ember.Tensor, matrix: list[float], interpolation: str,
                 fill: list[float] | None, out_size: tuple[int, int] | None = None) -> ember.Tensor:
    _assert_image(img)
    dtype = img.dtype
    squeeze = img.ndim == 2
    x = _float(img.unsqueeze(0) if squeeze else img)
    size = out_size or (x.shape[-2], x.shape[-1])
    if fill is not None and len(fill) == 1 and x.shape[-3] > 1:
        fill = fill * x.shape[-3]
    out = _resample.affine_grid_sample(x, matrix, size, interpolation, fill)
    out = _back(out, dtype)
    return out.squeeze(0) if squeeze else out


def perspective(img: ember.Tensor, coeffs: list[float], interpolation: str,
                fill: list[float] | None) -> ember.Tensor:
    """Map each output pixel through the projective ``coeffs`` (output -> input, as
    Pillow's PERSPECTIVE data) and sample the input there.

    The arithmetic follows torchvision's grid (float32 coefficients scaled to normalised
    coordinates, then ``grid_sample``'s un-normalisation) so nearest sampling rounds the same.
    """
    _assert_image(img)
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    dtype = img.dtype
    squeeze = img.ndim == 2
    x = _float(img.unsqueeze(0) if squeeze else img)
    h, w = x.shape[-2], x.shape[-1]
    if fill is not None and len(fill) == 1 and x.shape[-3] > 1:
        fill = fill * x.shape[-3]
    if fill is not None and len(fill) != x.shape[-3]:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {x.shape[-3]})")
    c = ember.tensor(coeffs, dtype=x.dtype, device=x.device)
    half = ember.tensor([0.5 * w, 0.5 * h], dtype=x.dtype, device=x.device)
    cx = ember.arange(w, dtype=x.dtype, device=x.device).view(1, w) + 0.5
    cy = ember.arange(h, dtype=x.dtype, device=x.device).view(h, 1) + 0.5
    den = cx * c[6] + cy * c[7] + 1.0
    gx = (cx * (c[0] / half[0]) + cy * (c[1] / half[0]) + c[2] / half[0]) / den - 1.0
    gy = (cx * (c[3] / half[1]) + cy * (c[4] / half[1]) + c[5] / half[1]) / den - 1.0
    sx = ((gx + 1.0) * w - 1.0) / 2.0
    sy = ((gy + 1.0) * h - 1.0) / 2.0
    out = _resample.sample_pixels(x, sx, sy, interpolation, fill)
    out = _back(out, dtype)
    return out.squeeze(0) if squeeze else out
