"""Separable image resampling with ember ops.

Resizing along one axis is a matrix product: ``out = W @ in`` with a dense (out x in) weight
matrix ``W`` whose rows hold the interpolation weights of each output pixel. The same form
covers nearest, bilinear and bicubic, with or without antialiasing, so a resize is two GEMMs
(rows, then columns); the weights follow ``torch.nn.functional.interpolate``
(``align_corners=False``) and, with antialias, Pillow's filters (as torch's antialias does).
"""

from __future__ import annotations

import math

import ember


def _cubic(x: ember.Tensor, a: float) -> ember.Tensor:
    """Keys' cubic convolution kernel with parameter ``a`` (torch: -0.75, Pillow: -0.5)."""
    x = x.abs()
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return ember.where(x <= 1, near, ember.where(x < 2, far, ember.zeros_like(x)))


def _linear(x: ember.Tensor) -> ember.Tensor:
    return (1 - x.abs()).clamp_min(0)


def _one_hot_rows(idx: ember.Tensor, n_in: int) -> ember.Tensor:
    return (idx.unsqueeze(1) == ember.arange(n_in).unsqueeze(0)).to(ember.float32)


def weight_matrix(n_in: int, n_out: int, mode: str, antialias: bool) -> ember.Tensor:
    """The (n_out x n_in) float32 matrix resampling an axis of length n_in to n_out."""
    scale = n_in / n_out
    dst = ember.arange(n_out, dtype=ember.float64)
    if mode in ("nearest", "nearest-exact"):
        offset = 0.5 if mode == "nearest-exact" else 0.0
        idx = ((dst + offset) * scale).floor().long().clamp(0, n_in - 1)
        return _one_hot_rows(idx, n_in)
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"Unsupported interpolation mode {mode!r} for tensors")
    if antialias:
        # Pillow-style filter: widened by the scale when downsampling, normalized per row.
        support_unit = 1.0 if mode == "bilinear" else 2.0
        filt_scale = max(scale, 1.0)
        support = support_unit * filt_scale
        center = (dst + 0.5) * scale
        xmin = (center - support + 0.5).trunc().clamp_min(0)
        xmax = (center + support + 0.5).trunc().clamp_max(n_in)
        j = ember.arange(n_in, dtype=ember.float64).unsqueeze(0)
        x = (j - center.unsqueeze(1) + 0.5) / filt_scale
        w = _linear(x) if mode == "bilinear" else _cubic(x, -0.5)
        inside = (j >= xmin.unsqueeze(1)) & (j < xmax.unsqueeze(1))
        w = ember.where(inside, w, ember.zeros_like(w))
        total = w.sum(dim=1, keepdim=True)
        w = w / ember.where(total == 0, ember.ones_like(total), total)
        return w.to(ember.float32)
    src = (dst + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = src.clamp_min(0)
        i0 = src.floor()
        lam = (src - i0).unsqueeze(1)
        i0 = i0.long().clamp(0, n_in - 1)
        i1 = (i0 + 1).clamp_max(n_in - 1)
        w = _one_hot_rows(i0, n_in).double() * (1 - lam) + _one_hot_rows(i1, n_in).double() * lam
        return w.to(ember.float32)
    i0 = src.floor()
    t = src - i0
    w = ember.zeros(n_out, n_in, dtype=ember.float64)
    for k in range(-1, 3):
        coeff = _cubic(t - k, -0.75).unsqueeze(1)
        idx = (i0 + k).long().clamp(0, n_in - 1)
        w = w + _one_hot_rows(idx, n_in).double() * coeff
    return w.to(ember.float32)


def resize_float(img: ember.Tensor, size: tuple[int, int], mode: str,
                 antialias: bool) -> ember.Tensor:
    """Resize the last two dims of a float tensor to ``size`` = (h, w)."""
    h, w = img.shape[-2], img.shape[-1]
    out_h, out_w = size
    # antialias only changes the weights when downsampling (torch ignores it otherwise for
    # nearest; for linear/cubic the Pillow filter equals plain interpolation up to borders).
    if out_h != h:
        img = ember.matmul(weight_matrix(h, out_h, mode, antialias).to(img.dtype), img)
    if out_w != w:
        img = ember.matmul(img, weight_matrix(w, out_w, mode, antialias).to(img.dtype).t())
    return img


def affine_grid_sample(img: ember.Tensor, matrix: list[float], out_size: tuple[int, int],
                       mode: str, fill: list[float] | None) -> ember.Tensor:
    """Sample ``img`` (float, ..., C, H, W) at the inverse-affine-mapped output pixels.

    ``matrix`` = [a, b, c, d, e, f] maps output coordinates (relative to the output's
    centre) to input coordinates (relative to the input's centre). Pixels that fall outside
    take ``fill`` (0 when None).
    """
    h, w = img.shape[-2], img.shape[-1]
    oh, ow = out_size
    # torchvision's arithmetic, in the image's float dtype: a grid normalised by the input
    # size, then grid_sample's un-normalisation; float64 coordinates would round
    # nearest-sampled pixels that sit on half-pixel boundaries (shears about a corner) the
    # other way.
    dtype, device = img.dtype, img.device
    m = ember.tensor(matrix, dtype=dtype, device=device)
    half = ember.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=device)
    xs = (ember.arange(ow, dtype=dtype, device=device) + (0.5 - ow * 0.5)).view(1, ow)
    ys = (ember.arange(oh, dtype=dtype, device=device) + (0.5 - oh * 0.5)).view(oh, 1)
    gx = xs * (m[0] / half[0]) + ys * (m[1] / half[0]) + m[2] / half[0]
    gy = xs * (m[3] / half[1]) + ys * (m[4] / half[1]) + m[5] / half[1]
    sx = ((gx + 1.0) * w - 1.0) / 2.0
    sy = ((gy + 1.0) * h - 1.0) / 2.0
    return sample_pixels(img, sx, sy, mode, fill)


def sample_pixels(img: ember.Tensor, sx: ember.Tensor, sy: ember.Tensor, mode: str,
                  fill: list[float] | None) -> ember.Tensor:
    """Sample ``img`` (float, ..., C, H, W) at source pixel coordinates ``sx``, ``sy``
    (each (oh, ow); pixel centres at integers), as ``grid_sample`` with zero padding.

    Pixels that fall outside take ``fill`` (0 when None).
    """
    h, w = img.shape[-2], img.shape[-1]
    oh, ow = sx.shape
    lead = img.shape[:-2]
    flat = img.reshape(-1, h * w)
    if mode == "nearest":
        # Round half to even, like grid_sample's nearest (nearbyint).
        ix, iy = sx.round(), sy.round()
        taps = [(ix, iy, ember.ones_like(sx))]
    elif mode == "bilinear":
        x0, y0 = sx.floor(), sy.floor()
        fx, fy = sx - x0, sy - y0
        taps = [(x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
                (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)]
    else:
        raise ValueError(f"Unsupported interpolation mode {mode!r} for tensor rotate/affine")
    out = ember.zeros(flat.shape[0], oh * ow, dtype=img.dtype)
    coverage = ember.zeros(oh * ow, dtype=img.dtype)
    for tx, ty, wt in taps:
        valid = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
        wt = ember.where(valid, wt, ember.zeros_like(wt)).reshape(-1).to(img.dtype)
        idx = (ty.clamp(0, h - 1) * w + tx.clamp(0, w - 1)).long().reshape(-1)
        out = out + flat.index_select(1, idx) * wt
        coverage = coverage + wt
    out = out.reshape(*lead, oh, ow)
    if fill is not None:
        # As torchvision: blend with the fill by how much of each pixel came from inside.
        fill_t = ember.tensor(fill, dtype=img.dtype).view(-1, 1, 1)
        cov = coverage.reshape(oh, ow)
        if mode == "nearest":
            out = ember.where(cov < 0.5, fill_t.expand_as(out), out)
        else:
            out = out * cov + (1 - cov) * fill_t
    return out


def inverse_affine_matrix(center: list[float], angle: float, translate: list[float],
                          scale: float, shear: list[float]) -> list[float]:
    """Inverse of ``T(translate) C R(angle) Sh(shear) S(scale) C^-1`` as a 2x3 row list.

    R rotates by ``angle`` degrees, Sh shears by ``shear`` = (x, y) degrees, C moves the
    origin to ``center``; this is the mapping from output to input coordinates.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # Forward rotation-shear block [[a, b], [c, d]] (without scale).
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # Its inverse (the determinant is 1), divided by scale, then the translations.
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m
