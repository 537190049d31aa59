"""More of torch's top-level native forms of layer ops, over nn.functional and ember ops:
``ember.embedding_bag`` with its four outputs, ``grid_sampler_2d``/``grid_sampler_3d``
with torch's integer-coded modes, ``native_group_norm`` with its statistics,
``native_norm`` (a sparse tensor's norm), ``conv_tbc`` (time, batch, channel convolution)
and ``is_distributed``.

Example:
    >>> w = ember.arange(6.0).reshape(3, 2)
    >>> out, offset2bag, bag_size, max_indices = ember.embedding_bag(
    ...     w, ember.tensor([0, 2, 1]), ember.tensor([0, 2]), mode=1)
    >>> out
    tensor([[2., 3.],
            [2., 3.]])
"""

from __future__ import annotations

import ember

from .._layouts import sparse_coo
from .._tensor import Tensor
from . import functional as F
from .native_forms import grid_sampler

_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor,
                  scale_grad_by_freq: bool = False, mode: int = 0, sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None):
    """(output, offset2bag, bag_size, max_indices): the bags' sums (mode 0), means (1) or
    maxima (2) of weight's rows, the bag of each index, the number of non-padding indices
    in each bag and, for max, the row each maximum came from. As torch's CPU kernel: a
    sum leaves bag_size and max_indices zeros (one per offset) and offset2bag empty
    unless padding_idx is set, and a mean's max_indices repeats bag_size. padding_idx
    None or negative: no padding.

    Example:
        >>> w = ember.tensor([[1.0, 5.0], [3.0, 2.0]])
        >>> ember.embedding_bag(w, ember.tensor([0, 1]), ember.tensor([0]), mode=2)[3]
        tensor([[1, 0]])
    """
    pad = None if padding_idx is None or padding_idx < 0 else padding_idx
    out = F.embedding_bag(indices, weight, offsets if indices.dim() == 1 else None, None, 2,
                          scale_grad_by_freq, _BAG_MODES[mode], sparse, per_sample_weights,
                          include_last_offset, pad)
    flat = indices.reshape(-1)
    bags = out.shape[0]
    if mode == 0:  # torch's sum kernel fills neither bag_size nor max_indices: one per offset
        unfilled = ember.zeros(offsets.numel() if indices.dim() == 1 else bags,
                               dtype=flat.dtype, device=flat.device)
        if pad is None:
            return out, flat.new_empty(0), unfilled, unfilled.clone()
    bag_of = _bag_of_each_index(flat, indices, offsets, include_last_offset)
    if mode == 0:
        return out, bag_of, unfilled, unfilled.clone()
    keep = flat != pad if pad is not None else ember.ones_like(flat, dtype=ember.bool)
    bag_size = ember.zeros(bags, dtype=flat.dtype, device=flat.device).index_add_(
        0, bag_of, keep.to(flat.dtype))
    if mode == 1:
        return out, bag_of, bag_size, bag_size.clone()
    return out, bag_of, bag_size, _rows_of_maxima(weight, flat, keep, bag_of, bags)


def _bag_of_each_index(flat: Tensor, indices: Tensor, offsets: Tensor,
                       include_last_offset: bool) -> Tensor:
    """The bag number of every index: a count of the bag starts at or before it."""
    n = flat.numel()
    if indices.dim() == 2:
        starts = ember.arange(0, n, max(indices.shape[1], 1), device=flat.device)
    else:
        starts = (offsets[:-1] if include_last_offset else offsets).to(ember.int64)
    starts_at = ember.zeros(n + 1, dtype=flat.dtype, device=flat.device)
    starts_at.index_add_(0, starts, ember.ones_like(starts, dtype=flat.dtype))
    return starts_at[:n].cumsum(0) - 1


def _rows_of_maxima(weight: Tensor, flat: Tensor, keep: Tensor, bag_of: Tensor,
                    bags: int) -> Tensor:
    """For each bag and column, the weight row holding the bag's maximum (the first such
    index in the bag on a tie; 0 for an empty bag)."""
    n, width = flat.numel(), weight.shape[1]
    if n == 0:
        return ember.zeros((bags, width), dtype=flat.dtype, device=flat.device)
    rows = weight.detach().index_select(0, flat.long())
    rows = rows.masked_fill(~keep.unsqueeze(1), float("-inf"))
    into = bag_of.long().unsqueeze(1).expand(n, width)
    peaks = ember.full((bags, width), float("-inf"), dtype=rows.dtype, device=rows.device)
    peaks = peaks.scatter_reduce(0, into, rows, "amax")
    at_peak = (rows == peaks.index_select(0, bag_of.long())) & keep.unsqueeze(1)
    position = ember.arange(n, device=flat.device).unsqueeze(1).expand(n, width)
    position = ember.where(at_peak, position, ember.full_like(position, n))
    first = ember.full((bags, width), n, dtype=position.dtype, device=flat.device)
    first = first.scatter_reduce(0, into, position, "amin")
    padded = ember.cat([flat, flat.new_zeros(1)])
    return padded[first]


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """grid_sampler for a 4-D input and grid (modes as torch's enum values: 0 bilinear,
    1 nearest, 2 bicubic; 0 zeros, 1 border, 2 reflection)."""
    _check_sampler_dims(input, grid, 4)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """grid_sampler for a 5-D input and grid (0 bilinear, 1 nearest; 0 zeros, 1 border,
    2 reflection)."""
    _check_sampler_dims(input, grid, 5)
    if interpolation_mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def _check_sampler_dims(input: Tensor, grid: Tensor, dims: int) -> None:
    if input.dim() != dims or grid.dim() != dims:
        raise RuntimeError(f"grid_sampler(): expected {dims}D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int,
                      C: int, HxW: int, group: int, eps: float):
    """(output, mean, 1/std), the statistics of each sample's group as (N, group)."""
    if C % group:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={group}")
    grouped = input.reshape(N, group, -1)
    mean = grouped.mean(-1)
    rstd = (grouped.var(-1, unbiased=False) + eps).rsqrt()
    return F.group_norm(input, group, weight, bias, eps), mean, rstd


def native_norm(input: Tensor, p=2, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The p-norm of a sparse COO tensor's elements (torch has this op for sparse tensors
    only, and so does ember).

    Example:
        >>> ember.native_norm(ember.tensor([[0.0, 3.0], [4.0, 0.0]]).to_sparse())
        tensor(5.)
    """
    if input.layout is not sparse_coo:
        device = input.device.type.upper()
        raise NotImplementedError(f"Could not run 'aten::native_norm' with arguments from the "
                                  f"'{device}' backend: it is defined for sparse tensors only "
                                  "(use ember.linalg.vector_norm)")
    if dim is not None:
        raise NotImplementedError("native_norm over chosen dims of a sparse tensor: ember "
                                  "computes the norm of all its elements only")
    return ember.linalg.vector_norm(input.coalesce().values(), 2 if p is None else p,
                                    dtype=dtype)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-D convolution of a (time, batch, in_channels) input with a (kernel_width,
    in_channels, out_channels) weight, padding pad steps at both ends of time; the result
    is (time', batch, out_channels).

    Example:
        >>> ember.conv_tbc(ember.ones(5, 2, 3), ember.ones(2, 3, 4), ember.zeros(4)).shape
        ember.Size([4, 2, 4])
    """
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output "
                           "channels).")
    out = F.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


def is_distributed(input: Tensor) -> bool:
    """False: no ember tensor is spread over processes."""
    return False


__all__ = ["embedding_bag", "grid_sampler_2d", "grid_sampler_3d", "native_group_norm",
           "native_norm", "conv_tbc", "is_distributed"]
