"""RoI max pooling (Girshick, Fast R-CNN, 2015) with torchvision's API and bin rules.

Boxes are rounded to whole feature pixels; each output bin takes the maximum of its
``[floor(p * bin), ceil((p + 1) * bin))`` window (0 for an empty bin). The windows of all
boxes are gathered at once, padded to the largest window and masked, so there is no loop
over boxes or pixels; the gradient reaches the arg-max pixel of each bin through ``max``'s
and ``index_select``'s backward.

Example:
    >>> import ember
    >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
    >>> roi_pool(x, ember.tensor([[0., 0., 0., 1., 1.]]), 1).item()
    5.0
"""

from __future__ import annotations

import ember
from ember import nn

from ._roi_utils import pair, rois_of


def _round_half_away(x: ember.Tensor) -> ember.Tensor:
    # C's round(), which torchvision uses; ember.round rounds half to even.
    return ember.sign(x) * (x.abs() + 0.5).floor()


def _windows(start: ember.Tensor, length: ember.Tensor, pooled: int, size: int):
    """Per box and bin, the first index and the end of its window along one axis, (K, P)."""
    p = ember.arange(pooled, dtype=length.dtype, device=length.device).view(1, pooled)
    bin_size = (length / pooled).view(-1, 1)
    lo = (p * bin_size).floor() + start.view(-1, 1)
    hi = ((p + 1) * bin_size).ceil() + start.view(-1, 1)
    return lo.clamp(0, size).long(), hi.clamp(0, size).long()


def roi_pool(input: ember.Tensor, boxes: ember.Tensor | list[ember.Tensor],
             output_size: int | tuple[int, int], spatial_scale: float = 1.0) -> ember.Tensor:
    """Max-pool each box of ``boxes`` into an ``output_size`` grid.

    Args:
        input: (N, C, H, W) features.
        boxes: Tensor[K, 5] of ``(batch_index, x1, y1, x2, y2)`` or a list of Tensor[L, 4].
        output_size: (height, width) of the pooled output, or an int for both.
        spatial_scale: maps box coordinates to feature coordinates.

    Returns:
        (K, C, output_size[0], output_size[1]) tensor.
    """
    rois = rois_of(input, boxes)
    ph, pw = pair(output_size)
    n, c, h, w = input.shape
    k = rois.shape[0]
    if k == 0:
        return ember.zeros((0, c, ph, pw), dtype=input.dtype, device=input.device)
    x1, y1, x2, y2 = (_round_half_away(rois[:, i] * spatial_scale) for i in range(1, 5))
    roi_w = (x2 - x1 + 1).clamp_min(1.0)
    roi_h = (y2 - y1 + 1).clamp_min(1.0)
    h0, h1 = _windows(y1, roi_h, ph, h)
    w0, w1 = _windows(x1, roi_w, pw, w)
    # One host sync for the largest window; smaller windows are masked.
    mh = max(int((h1 - h0).max().item()), 1)
    mw = max(int((w1 - w0).max().item()), 1)
    rows = h0.unsqueeze(-1) + ember.arange(mh, device=input.device)          # (K, PH, MH)
    cols = w0.unsqueeze(-1) + ember.arange(mw, device=input.device)          # (K, PW, MW)
    inside = ((rows < h1.unsqueeze(-1)).view(k, ph, mh, 1, 1)
              & (cols < w1.unsqueeze(-1)).view(k, 1, 1, pw, mw))
    pixel = (rois[:, 0].long().view(k, 1, 1, 1, 1) * (h * w)
             + rows.clamp_max(h - 1).view(k, ph, mh, 1, 1) * w
             + cols.clamp_max(w - 1).view(k, 1, 1, pw, mw))
    vals = input.permute(0, 2, 3, 1).reshape(n * h * w, c).index_select(0, pixel.reshape(-1))
    vals = vals.reshape(k, ph, mh, pw, mw, c)
    vals = ember.where(inside.unsqueeze(-1), vals,
                       ember.full((), float("-inf"), dtype=input.dtype, device=input.device))
    # Row-major window order, so ties go to the first pixel as in torchvision's scan.
    vals = vals.permute(0, 5, 1, 3, 2, 4).reshape(k, c, ph, pw, mh * mw)
    best = vals.max(dim=-1).values
    empty = ~inside.any(dim=4).any(dim=2).view(k, 1, ph, pw)
    return ember.where(empty, ember.zeros((), dtype=input.dtype, device=input.device), best)


class RoIPool(nn.Module):
    """Module form of ``roi_pool``.

    Example:
        >>> m = RoIPool((2, 2), spatial_scale=0.5)
        >>> m(ember.ones(1, 3, 8, 8), [ember.tensor([[0., 0., 8., 8.]])]).shape
        ember.Size([1, 3, 2, 2])
    """

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: ember.Tensor,
                rois: ember.Tensor | list[ember.Tensor]) -> ember.Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
