"""Geometric resampling of image tensors with ember ops: affine warps and sampling at
arbitrary points. Resizing is ``ember.nn.functional.interpolate``, as in torchvision."""

from __future__ import annotations

import math

import ember


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
