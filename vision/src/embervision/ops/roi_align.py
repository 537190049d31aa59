"""RoI Align (He et al., Mask R-CNN, 2017) with torchvision's API and sampling rules.

Each output bin averages ``grid_h x grid_w`` bilinear samples of the feature map. A sample's
bilinear weight is a product of a row weight and a column weight (and so are its validity
and the 1 / count normalisation), so the whole op is separable: for RoI ``k``

    out[k, c] = Wy[k] @ input[batch[k], c] @ Wx[k]^T

where ``Wy[k]`` (pooled_h x H) and ``Wx[k]`` (pooled_w x W) hold the summed sample weights of
each pooled row / column. We build those small matrices with vectorized ember ops (no loops
over boxes or pixels) and contract with two GEMMs. Why not gather the four taps of every
sample: that materialises K*C*PH*PW*grid_h*grid_w*4 values (820 MB for 512 RoIs of 256
channels), where the GEMM form needs K*PH*C*W. Gradients w.r.t. ``input`` come from
matmul's backward; as in torchvision the boxes get none.

On the CPU (float32/float64) the C kernel of ``csrc/roi_align.c`` runs instead: it reads
only the four taps of each sample, C*K*PH*PW*grid*4 loads, far below the GEMMs' dense
K*PH*N*H*C*W products (the 256-box benchmark: 4.6 GFLOP of GEMM against 51 M taps), and
its arithmetic is torchvision's, so outputs and input gradients agree bit for bit. Its
backward is a C scatter too, differentiable once (as torchvision's).

Example:
    >>> import ember
    >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
    >>> # one bin over pixels (0, 0)..(1, 1): the mean of 0, 1, 4, 5
    >>> roi_align(x, ember.tensor([[0., 0., 0., 2., 2.]]), 1, aligned=True).item()
    2.5
"""

from __future__ import annotations

import ember
from ember import nn
from ember.autograd import Function, once_differentiable

from embervision import _native

from ._roi_utils import pair, rois_of


class _RoIAlignCPU(Function):
    """The C kernels: forward, and the input gradient (boxes get none, as in torchvision)."""

    @staticmethod
    def forward(ctx, input, rois, pooled, spatial_scale, sampling_ratio, aligned):
        ctx.save_for_backward(rois)
        ctx.args = (tuple(input.shape), spatial_scale, sampling_ratio, aligned)
        return _native.roi_align(input, rois, pooled, spatial_scale, sampling_ratio, aligned)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (rois,) = ctx.saved_tensors
        return (_native.roi_align_backward(grad, rois, *ctx.args), None, None, None, None, None)


def _check_batch_indices(rois: ember.Tensor, n: int) -> None:
    # torchvision reads out of bounds here; the C kernel refuses, so say why first
    index = rois[:, 0]
    low, high = float(index.min()), float(index.max())
    if not (low > -1 and high < n):
        raise IndexError(f"roi_align: box batch indices must be in [0, {n - 1}] for an input "
                         f"of {n} images, got values in [{low:g}, {high:g}]")


def _axis_weights(start: ember.Tensor, bin_size: ember.Tensor, grid: ember.Tensor,
                  grid_max: int, pooled: int, size: int) -> ember.Tensor:
    """(K, pooled, size) weights of one axis: sample coordinates, torchvision's clamping
    rules for bilinear taps, validity, and the 1/grid share of the bin average."""
    dtype, device = start.dtype, start.device
    p = ember.arange(pooled, dtype=dtype, device=device).view(1, pooled, 1)
    g = ember.arange(grid_max, dtype=dtype, device=device).view(1, 1, grid_max)
    start, bin_size, grid = (t.view(-1, 1, 1) for t in (start, bin_size, grid))
    safe_grid = grid.clamp_min(1)
    coord = start + p * bin_size + (g + 0.5) * bin_size / safe_grid
    # Samples beyond one pixel outside the map contribute zero; the rest clamp to the edge.
    valid = (coord >= -1.0) & (coord <= size) & (g < grid)
    c = coord.clamp_min(0.0)
    low = c.floor()
    edge = low >= size - 1
    last = ember.full_like(low, size - 1)
    low = ember.where(edge, last, low)
    c = ember.where(edge, low, c)
    high = ember.where(edge, low, low + 1)
    frac = c - low
    share = valid.to(dtype) / safe_grid
    w_low, w_high = (1.0 - frac) * share, frac * share
    pos = ember.arange(size, dtype=dtype, device=device).view(1, 1, 1, size)
    dense = (w_low.unsqueeze(-1) * (low.unsqueeze(-1) == pos).to(dtype)
             + w_high.unsqueeze(-1) * (high.unsqueeze(-1) == pos).to(dtype))
    return dense.sum(2)


def roi_align(input: ember.Tensor, boxes: ember.Tensor | list[ember.Tensor],
              output_size: int | tuple[int, int], spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> ember.Tensor:
    """Pool each box of ``boxes`` into an ``output_size`` grid of bilinear averages.

    Args:
        input: (N, C, H, W) features.
        boxes: Tensor[K, 5] of ``(batch_index, x1, y1, x2, y2)`` or a list of Tensor[L, 4]
            (one per image), in input-image coordinates.
        output_size: (height, width) of the pooled output, or an int for both.
        spatial_scale: maps box coordinates to feature coordinates (e.g. 1/16).
        sampling_ratio: samples per bin and axis; <= 0 uses ``ceil(roi_size / output_size)``
            per box (adaptive).
        aligned: shift boxes by -0.5 pixel so samples line up with pixel centres.

    Returns:
        (K, C, output_size[0], output_size[1]) tensor.
    """
    rois = rois_of(input, boxes)
    ph, pw = pair(output_size)
    n, c, h, w = input.shape
    k = rois.shape[0]
    if k == 0 or c == 0 or ph <= 0 or pw <= 0:
        return ember.zeros((k, c, ph, pw), dtype=input.dtype, device=input.device)
    if input.device.type == "cpu" and input.dtype in (ember.float32, ember.float64):
        _check_batch_indices(rois, n)
        return _RoIAlignCPU.apply(input, rois, (ph, pw), float(spatial_scale),
                                  int(sampling_ratio), bool(aligned))
    return _roi_align_ember(input, rois, ph, pw, spatial_scale, sampling_ratio, aligned)


def _roi_align_ember(input: ember.Tensor, rois: ember.Tensor, ph: int, pw: int,
                     spatial_scale: float, sampling_ratio: int, aligned: bool) -> ember.Tensor:
    """The separable GEMM form from ember ops, on ``input``'s device (CUDA, other dtypes)."""
    n, c, h, w = input.shape
    k = rois.shape[0]
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (rois[:, i] * spatial_scale - offset for i in range(1, 5))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        # Legacy behaviour: boxes are at least one pixel wide.
        roi_w, roi_h = roi_w.clamp_min(1.0), roi_h.clamp_min(1.0)
    bin_h, bin_w = roi_h / ph, roi_w / pw
    if sampling_ratio > 0:
        grid_h = grid_w = ember.full_like(bin_h, sampling_ratio)
        max_h = max_w = sampling_ratio
    else:
        grid_h, grid_w = (roi_h / ph).ceil(), (roi_w / pw).ceil()
        # One host sync for the sample-grid extent; smaller grids are masked per box.
        max_h, max_w = (max(int(t.max().item()), 1) for t in (grid_h, grid_w))
    wy = _axis_weights(y1, bin_h, grid_h, max_h, ph, h)                 # (K, PH, H)
    wx = _axis_weights(x1, bin_w, grid_w, max_w, pw, w)                 # (K, PW, W)
    # Route each box's row weights to its own image: (K*PH, N*H) @ (N*H, C*W).
    image = rois[:, 0].long()
    own = (image.view(k, 1) == ember.arange(n, device=input.device).view(1, n)).to(input.dtype)
    wy_full = (own.view(k, n, 1, 1) * wy.view(k, 1, ph, h)).permute(0, 2, 1, 3)
    rows = ember.matmul(wy_full.reshape(k * ph, n * h),
                        input.permute(0, 2, 1, 3).reshape(n * h, c * w))
    out = ember.matmul(rows.reshape(k, ph * c, w), wx.transpose(1, 2))  # (K, PH*C, PW)
    return out.reshape(k, ph, c, pw).permute(0, 2, 1, 3)


class RoIAlign(nn.Module):
    """Module form of ``roi_align``.

    Example:
        >>> m = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2)
        >>> m(ember.ones(1, 3, 8, 8), [ember.tensor([[0., 0., 4., 4.]])]).shape
        ember.Size([1, 3, 2, 2])
    """

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float,
                 sampling_ratio: int, aligned: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: ember.Tensor,
                rois: ember.Tensor | list[ember.Tensor]) -> ember.Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale="
                f"{self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
                f"aligned={self.aligned})")
