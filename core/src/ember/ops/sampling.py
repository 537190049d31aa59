"""Spatial sampling: ``affine_grid`` and ``grid_sample`` (4-D and 5-D), as in torch.nn.functional.

Both are composed from differentiable ember ops (floor/round, where, gather, arithmetic,
matmul), so gradients reach ``input``, ``grid`` and ``theta`` through autograd and the CUDA
path needs no kernel of its own. The coordinate arithmetic follows torch's grid sampler
step by step (unnormalize, pad, then interpolate) so results agree to rounding:

* grid values are normalized, -1 and 1 being the corner pixels' centers when
  ``align_corners=True`` and their outer edges otherwise;
* ``padding_mode`` maps a source coordinate back into the image ('border' clips it,
  'reflection' mirrors it at the edges) before interpolation, except for 'bicubic', which
  pads each of its 16 integer taps instead;
* taps that still fall outside the image read zero.

Where a coordinate is clipped, torch counts the border itself as outside (gradient 0), so
the clips here use ``where`` rather than ``clamp`` (whose gradient is 1 on the border).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

from .. import _dtype as D
from .._tensor import Tensor
from .creation import linspace, ones_like, zeros, zeros_like
from .elementwise import floor, fmod, remainder, round, trunc, where
from .index import gather
from .join import stack

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")
# torch's bicubic kernel: Keys' cubic convolution with A = -0.75
_CUBIC_A = -0.75


def _warn_align_corners() -> None:
    warnings.warn("Default grid_sample and affine_grid behavior has changed "
                  "to align_corners=False since 1.3.0. Please specify "
                  "align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.", stacklevel=3)


# ---- affine_grid -----------------------------------------------------------------


def _base_coords(steps: int, align_corners: bool, like: Tensor) -> Tensor:
    """Normalized pixel-center coordinates along one axis (torch's linspace_from_neg_one)."""
    if steps <= 1:
        return zeros(steps, dtype=like.dtype, device=like.device)
    r = linspace(-1, 1, steps, dtype=like.dtype, device=like.device)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """Sampling grid of the affine maps ``theta`` (N, 2, 3) or (N, 3, 4) over an output of
    ``size`` (N, C, H, W) or (N, C, D, H, W); returns (N, H, W, 2) or (N, D, H, W, 3).

    Example:
        >>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> affine_grid(theta, [1, 1, 2, 2], align_corners=True).tolist()
        [[[[-1.0, -1.0], [1.0, -1.0]], [[-1.0, 1.0], [1.0, 1.0]]]]
    """
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' (position 1) must be Tensor, not "
                        f"{type(theta).__name__}")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, "
                                  "for 2D and 3D affine transforms, respectively. "
                                  f"Got size {size}.")
    k = len(size) - 2
    if theta.dim() != 3 or theta.shape[-2] != k or theta.shape[-1] != k + 1:
        raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for "
                         f"size {size}. Got {theta.shape}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed "
                      "for unit-size grids when align_corners=True. "
                      "This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid(): expected theta to hold one matrix per batch "
                           f"element, but got theta of shape {list(theta.shape)} for size {size}")
    # base[..., :] = (x, y[, z], 1) at every output position, x running along the last dim
    axes = [_base_coords(s, align_corners, theta) for s in spatial]
    shape = tuple(spatial)
    parts = []
    for i, a in enumerate(reversed(axes)):
        view = [1] * k
        view[k - 1 - i] = a.shape[0]
        parts.append(a.reshape(view).expand(shape))
    parts.append(zeros(shape, dtype=theta.dtype, device=theta.device) + 1)
    base = stack(parts, dim=-1).reshape(1, math.prod(spatial), k + 1)
    return (base @ theta.transpose(1, 2)).reshape(size[0], *spatial, k)


# ---- grid_sample: coordinates --------------------------------------------------------


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """[-1, 1] -> pixel units."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(coord: Tensor, size: int) -> Tensor:
    """Clamp to [0, size - 1]; the border itself counts as outside for the gradient, and
    NaN goes to 0 (as torch's CPU kernel does)."""
    inside = (coord > 0) & (coord < size - 1)
    edge = where(coord >= size - 1, size - 1, zeros_like(coord.detach()))
    return where(inside, coord, edge)


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Mirror ``coord`` at low and high (given doubled, to stay integral) until inside."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = coord - low
    c = where(c < 0, -c, c)  # not abs(): torch's gradient is +1 at the mirror point
    extra = fmod(c, span)
    even = remainder(floor(c / span), 2) == 0
    return where(even, extra + low, span - extra + low)


def _pad(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Source coordinate (pixel units) after padding_mode's mapping back into the image."""
    if padding_mode == "border":
        return _clip(coord, size)
    if padding_mode == "reflection":
        if align_corners:
            return _clip(_reflect(coord, 0, 2 * (size - 1)), size)
        return _clip(_reflect(coord, -1, 2 * size - 1), size)
    return coord


# ---- grid_sample: interpolation ------------------------------------------------------


def _read(flat: Tensor, taps: list[Tensor], sizes: Sequence[int]) -> Tensor:
    """input values at integer tap positions (one float tensor (N, *out) per spatial dim,
    outermost first), zero where a tap lies outside the image; returns (N, C, *out)."""
    N, C = flat.shape[:2]
    out_shape = taps[0].shape
    inside = None
    lin = None
    for t, s in zip(taps, sizes):
        ok = (t >= 0) & (t <= s - 1)
        inside = ok if inside is None else inside & ok
        i = where(ok, t, 0).long()  # any in-bounds index for taps read as zero (NaN too)
        lin = i if lin is None else lin * s + i
    n_out = math.prod(out_shape[1:])
    vals = gather(flat, 2, lin.reshape(N, 1, n_out).expand(N, C, n_out))
    vals = vals.reshape(N, C, *out_shape[1:])
    return where(inside.unsqueeze(1), vals, 0)


def _linear(flat: Tensor, coords: list[Tensor], sizes: Sequence[int]) -> Tensor:
    """Bilinear/trilinear: weighted sum over the 2**d corners of each coordinate's cell."""
    lows = [floor(c) for c in coords]
    out = None
    for corner in range(2 ** len(coords)):
        taps, weight = [], None
        # weights multiply x first, then y, then z, as torch does
        for d in reversed(range(len(coords))):
            hi = (corner >> (len(coords) - 1 - d)) & 1
            lo = lows[d]
            w = coords[d] - lo if hi else lo + 1 - coords[d]
            weight = w if weight is None else weight * w
        for d in range(len(coords)):
            taps.append(lows[d] + ((corner >> (len(coords) - 1 - d)) & 1))
        term = _read(flat, taps, sizes) * weight.unsqueeze(1)
        out = term if out is None else out + term
    return out


def _cubic_weights(t: Tensor) -> list[Tensor]:
    """The four cubic-convolution weights of the taps at offsets -1, 0, 1, 2 from floor."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _bicubic(flat: Tensor, coords: list[Tensor], sizes: Sequence[int], padding_mode: str,
             align_corners: bool) -> Tensor:
    """Bicubic over a 4x4 neighbourhood; each integer tap is padded on its own."""
    (y, x), (H, W) = coords, sizes
    y0, x0 = floor(y), floor(x)
    wy, wx = _cubic_weights(y - y0), _cubic_weights(x - x0)
    # tap positions carry no gradient (as in torch): pad detached, truncate like C's (int)
    ys = [trunc(_pad(y0.detach() + k, H, padding_mode, align_corners)) for k in (-1, 0, 1, 2)]
    xs = [trunc(_pad(x0.detach() + k, W, padding_mode, align_corners)) for k in (-1, 0, 1, 2)]
    out = None
    for i in range(4):
        row = None
        for j in range(4):
            term = _read(flat, [ys[i], xs[j]], sizes) * wx[j].unsqueeze(1)
            row = term if row is None else row + term
        row = row * wy[i].unsqueeze(1)
        out = row if out is None else out + row
    return out


def _check_grid_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    for arg, pos, t in (("input", 1, input), ("grid", 2, grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sampler(): argument '{arg}' (position {pos}) must be Tensor, "
                            f"not {type(t).__name__}")
    if mode not in _MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDING_MODES:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but "
                           f"input is on {input.device} and grid is on {grid.device}")
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.dim() == 0 or grid.dim() == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {list(grid.shape)}")
    for d in range(2, input.dim()):
        if input.shape[d] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    nd = 4 if input.dim() == 4 else 5
    if input.dim() != nd or grid.dim() != nd:
        raise RuntimeError(f"grid_sampler(): expected {nd}D input and grid with same number of "
                           f"dimensions, but got {sizes}")
    if mode == "bicubic" and nd == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point():
        raise NotImplementedError(f"grid_sampler(): expected a floating point input, but got "
                                  f"{input.dtype}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but input is {input.dtype} and grid is {grid.dtype}")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Samples ``input`` (N, C, H, W) / (N, C, D, H, W) at the normalized (x, y[, z]) points of
    ``grid`` (N, H', W', 2) / (N, D', H', W', 3); returns (N, C, H', W') / (N, C, D', H', W').

    Example:
        >>> x = ember.arange(4.0).reshape(1, 1, 2, 2)
        >>> grid = ember.tensor([[[[0.0, 0.0], [-1.0, -1.0]]]])
        >>> grid_sample(x, grid, align_corners=True).tolist()
        [[[[1.5, 0.0]]]]
    """
    _check_grid_sample(input, grid, mode, padding_mode)
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    N, C, *sizes = input.shape
    # grid's last dim is (x, y[, z]): reverse it to match the input's spatial dims
    k = len(sizes)
    coords = [_unnormalize(grid[..., k - 1 - d], sizes[d], align_corners) for d in range(k)]
    flat = input.reshape(N, C, math.prod(sizes))  # not -1: N or C may be 0
    if mode == "bicubic":
        return _bicubic(flat, coords, sizes, padding_mode, align_corners)
    coords = [_pad(c, s, padding_mode, align_corners) for c, s in zip(coords, sizes)]
    if mode == "nearest":
        # round half to even, as C's nearbyint. The grid's gradient is zero, yet (as in torch)
        # the output stays in the grid's graph: a weight that is exactly 1 links it there
        taps = [round(c) for c in coords]
        link = where(ones_like(taps[0], dtype=D.bool_), 1, taps[0])
        return _read(flat, taps, sizes) * link.unsqueeze(1)
    return _linear(flat, coords, sizes)
