"""segment_reduce: reductions over consecutive runs (segments) of one dim, as
``torch.segment_reduce``.

The segments of each row are given by their lengths or by offsets (segment i spans
``offsets[i]:offsets[i + 1]``). Every position along the dim gets its segment's number
(one binary search against the segment ends) and a scatter_reduce folds the values into
one slot per segment, plus a spare slot for positions outside every segment, dropped at
the end. The backward follows torch's kernel rather than scatter_reduce's: tied extremes
share a positive gradient equally, and a product's gradient at a zero (or NaN) is the
product of the rest of its segment.

Example:
    >>> ember.segment_reduce(ember.tensor([1., 2., 3., 4.]), "sum",
    ...                      lengths=ember.tensor([1, 0, 3]))
    tensor([1., 0., 9.])
"""

from __future__ import annotations

import math
import numbers

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Function, once_differentiable
from ._util import pretty_dtype, wrap_dim
from .creation import arange, full, zeros
from .elementwise import where
from .join import cat
from .sort import searchsorted

# torch's names of the reductions -> scatter_reduce's
_REDUCTIONS = {"sum": "sum", "mean": "mean", "max": "amax", "amax": "amax", "min": "amin",
               "amin": "amin", "prod": "prod"}
# what an empty segment holds when no initial value is given
_EMPTY = {"sum": 0.0, "mean": math.nan, "amax": -math.inf, "amin": math.inf, "prod": 1.0}


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None,
                   indices: Tensor | None = None, offsets: Tensor | None = None, axis: int = 0,
                   unsafe: bool = False, initial: numbers.Number | None = None) -> Tensor:
    """Reduces each segment of data along axis with sum, mean, max, min or prod.

    lengths (or offsets, one more than the segments) has data's dims before axis followed
    by the segments' dim. initial joins every segment's reduction (and is what an empty
    segment holds); without it an empty segment holds 0 (sum), 1 (prod), -inf (max),
    inf (min) or NaN (mean). unsafe=True skips checking that each row of lengths adds up
    to data's size along axis.

    Example:
        >>> ember.segment_reduce(ember.tensor([1., 5., 2.]), "max",
        ...                      offsets=ember.tensor([0, 2, 3]))
        tensor([5., 2.])
    """
    kind = _REDUCTIONS.get(reduce)
    if kind is None:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if not data.dtype.is_floating_point:
        raise NotImplementedError(f'"_segment_reduce_cpu" not implemented for '
                                  f"'{pretty_dtype(data.dtype)}'")
    if isinstance(initial, complex):
        raise RuntimeError("value cannot be converted to type float without overflow")
    axis = wrap_dim(axis, data.dim())
    starts, ends = _segment_bounds(data, lengths, offsets, axis, unsafe)
    fill = _EMPTY[kind] if initial is None else float(initial)
    return _SegmentReduce.apply(data, starts, ends, axis, kind, fill, initial is not None)


def _segment_bounds(data: Tensor, lengths: Tensor | None, offsets: Tensor | None, axis: int,
                    unsafe: bool) -> tuple[Tensor, Tensor]:
    """Each segment's first position and the position after its last, (*data[:axis], S)."""
    # torch's CPU kernel reads offsets when both are given
    bounds, name = (offsets, "offsets") if offsets is not None else (lengths, "lengths")
    if bounds.dtype not in (D.int32, D.int64):
        raise NotImplementedError(f'"_segment_reduce_{name}_cpu_kernel1" not implemented for '
                                  f"'{pretty_dtype(bounds.dtype)}'")
    if bounds.dim() - 1 != axis:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of "
                           f"{name} but got {axis}.")
    if tuple(bounds.shape[:-1]) != tuple(data.shape[:axis]):
        raise RuntimeError(f"segment_reduce(): Expected {name} to have data's sizes "
                           f"{list(data.shape[:axis])} before the segments' dim, but got "
                           f"{list(bounds.shape)}")
    bounds = bounds.to(D.int64)
    if offsets is not None:
        starts, ends = bounds[..., :-1], bounds[..., 1:]
        if (ends < starts).any().item():
            raise RuntimeError("segment_reduce(): Expected segment_length >= 0, but offsets "
                               "decrease")
        return starts, ends
    if (bounds < 0).any().item():
        raise RuntimeError("lengths contains negative value!")
    ends = bounds.cumsum(-1)
    if not unsafe and bounds.numel() and (ends[..., -1] != data.shape[axis]).any().item():
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                           "data.size(lengths.dim()-1) when !unsafe.")
    return ends - bounds, ends


def _segment_of_positions(data: Tensor, starts: Tensor, ends: Tensor, axis: int) -> Tensor:
    """The segment number of every element of data (S, the spare slot, for positions in no
    segment), shaped and expanded like data for scatter and gather along axis."""
    size, segments = data.shape[axis], starts.shape[-1]
    lead = tuple(data.shape[:axis])
    positions = arange(size, device=data.device).expand(*lead, size).contiguous()
    at = searchsorted(ends.contiguous(), positions, right=True)
    if segments:
        at = where(positions < starts[..., :1], segments, at)
    trailing = (1,) * (data.dim() - axis - 1)
    return at.reshape(*lead, size, *trailing).expand(*data.shape)


def _per_segment(t: Tensor, axis: int, ndim: int) -> Tensor:
    """A (*lead, S) tensor shaped to broadcast against a reduction result along axis."""
    return t.reshape(*t.shape, *(1,) * (ndim - axis - 1))


class _SegmentReduce(Function):
    @staticmethod
    def forward(ctx, data: Tensor, starts: Tensor, ends: Tensor, axis: int, kind: str,
                fill: float, has_initial: bool) -> Tensor:
        at = _segment_of_positions(data, starts, ends, axis)
        shape = list(data.shape)
        shape[axis] = starts.shape[-1] + 1
        out = full(shape, 0.0 if kind == "mean" and not has_initial else fill,
                   dtype=data.dtype, device=data.device)
        out = out.scatter_reduce(axis, at, data, "sum" if kind == "mean" else kind)
        out = out.narrow(axis, 0, starts.shape[-1])
        counts = _per_segment(ends - starts, axis, data.dim())
        if kind == "mean":
            # an empty segment keeps initial (NaN without one); initial joins the sum only
            out = where(counts > 0, out / counts.clamp(min=1).to(data.dtype),
                        fill if has_initial else math.nan)
        ctx.save_for_backward(data, at, out, counts)
        ctx.axis, ctx.kind, ctx.fill = axis, kind, fill
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        data, at, out, counts = ctx.saved_tensors
        axis, kind = ctx.axis, ctx.kind

        def to_elements(per_segment: Tensor) -> Tensor:
            # the spare slot's 0 reaches positions outside every segment
            spare = zeros(*per_segment.shape[:axis], 1, *per_segment.shape[axis + 1:],
                          dtype=per_segment.dtype, device=per_segment.device)
            return cat([per_segment, spare], axis).gather(axis, at)

        def count_in_segments(mask: Tensor) -> Tensor:
            shape = list(data.shape)
            shape[axis] = out.shape[axis] + 1
            total = zeros(shape, dtype=data.dtype, device=data.device)
            return total.scatter_add(axis, at, mask.to(data.dtype)).gather(axis, at)

        g = to_elements(grad)
        if kind == "sum":
            return g, None, None, None, None, None, None
        if kind == "mean":
            return (g / to_elements(counts.clamp(min=1).to(data.dtype).expand_as(grad)),
                    None, None, None, None, None, None)
        result = to_elements(out)
        if kind in ("amax", "amin"):
            hit = (data == result) | data.isnan()
            g = where(hit, g, 0.0)
            ties = count_in_segments(hit)
            # torch's kernel shares only positive gradients among tied extremes
            g = where((ties > 1) & (g > 0), g / ties, g)
            return g, None, None, None, None, None, None
        special = (data == 0) | data.isnan()
        # the product of a segment's ordinary values, times initial
        shape = list(data.shape)
        shape[axis] = out.shape[axis] + 1
        ordinary = full(shape, ctx.fill, dtype=data.dtype, device=data.device).scatter_reduce(
            axis, at, where(special, 1.0, data), "prod").gather(axis, at)
        other_nans = count_in_segments(data.isnan()) - data.isnan().to(data.dtype)
        other_zeros = count_in_segments(data == 0) - (data == 0).to(data.dtype)
        rest = ordinary * where(other_nans > 0, math.nan, where(other_zeros > 0, 0.0, 1.0))
        g = where(special, g * rest, g * result / where(special, 1.0, data))
        return g, None, None, None, None, None, None
