"""Sorting and sets: sort, argsort, topk, kthvalue, unique, searchsorted, histc, bincount."""

from __future__ import annotations

from collections import namedtuple

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ._util import backend_of, cast, device_of, operand, result_type, wrap_dim
from .creation import full
from .reduce import _index_grad, values_indices

topk_result = namedtuple("topk", ["values", "indices"])


class Sort(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dim, descending):
        if x.dim() == 0:
            idx = _empty((), D.int64, x.device)
            backend_of(x).fill(idx, 0)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.dim, ctx.in_shape = 0, ()
            return x.clone(), idx
        src = x.movedim(dim, -1).contiguous()
        values = _empty(src._shape, x._dtype, x.device)
        indices = _empty(src._shape, D.int64, x.device)
        backend_of(x).sort(src, values, indices, descending)
        values = values.movedim(-1, dim)
        indices = indices.movedim(-1, dim)
        ctx.save_for_backward(indices)
        ctx.dim, ctx.in_shape = dim, x._shape
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        return _index_grad(g, idx, ctx.in_shape, ctx.dim, True), None, None


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sorted values and their indices along dim; always stable."""
    d = wrap_dim(dim, input.dim())
    return values_indices(*Sort.apply(input, d, descending))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    return sort(input, dim, descending)[1]


def msort(input: Tensor) -> Tensor:
    return sort(input, 0)[0]


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    d = wrap_dim(dim, input.dim())
    n = input._shape[d] if input.dim() else 1
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    v, i = sort(input, d, descending=largest)
    if input.dim() == 0:
        return topk_result(v, i)
    return topk_result(v.narrow(d, 0, k), i.narrow(d, 0, k))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    d = wrap_dim(dim, input.dim())
    n = input._shape[d] if input.dim() else 1
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    v, i = sort(input, d)
    if input.dim() == 0:
        return values_indices(v, i)
    v, i = v.narrow(d, k - 1, 1), i.narrow(d, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(d), i.squeeze(d)
    return values_indices(v, i)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """Unique elements (sorted), with the inverse mapping and counts on request.

    Example:
        >>> ember.unique(ember.tensor([3, 1, 3]), return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
    """
    if dim is not None:
        return _unique_slices(input, wrap_dim(dim, input.dim()), return_inverse, return_counts,
                              consecutive=False)
    values, order = input.reshape(-1).sort()
    return _runs(values, order, input, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):
    """Keeps the first of each run of equal consecutive elements (or slices along dim)."""
    if dim is not None:
        return _unique_slices(input, wrap_dim(dim, input.dim()), return_inverse, return_counts,
                              consecutive=True)
    return _runs(input.reshape(-1), None, input, return_inverse, return_counts)


def run_lengths(run: Tensor, dim: int) -> Tensor:
    """Entry k along dim: how many entries of run (run numbers counting up from 0 along dim)
    are k; zero past the last run."""
    return run.new_zeros(run._shape).scatter_add_(dim, run, run.new_ones(run._shape))


def run_starts(items: Tensor) -> Tensor:
    """True where a run of equal items (rows, for 2-D items) begins."""
    new = items.new_ones((items._shape[0],), dtype=D.bool_)
    if items._shape[0] > 1:
        differs = items[1:] != items[:-1]
        new[1:] = differs.any(1) if differs.dim() > 1 else differs
    return new


def _runs(items: Tensor, order: Tensor | None, input: Tensor, return_inverse: bool,
          return_counts: bool, d: int | None = None):
    """unique's outputs from items in run order: the first item of each run (the slices
    along d of input, for d), the run of each original position (order maps run order back
    to it; None: the same order), and the runs' lengths."""
    new = run_starts(items)
    if d is None:
        out = [items[new]]
        inverse_shape = input._shape
    else:
        first = new.nonzero().reshape(-1)
        out = [input.index_select(d, first if order is None else order[first])]
        inverse_shape = (input._shape[d],)
    if return_inverse or return_counts:
        group = new.long().cumsum(0) - 1
        if return_inverse:
            inverse = group if order is None else group.new_zeros(group._shape).scatter(
                0, order, group)
            out.append(inverse.reshape(inverse_shape))
        if return_counts:
            runs = int(group[-1]) + 1 if group.numel() else 0
            out.append(run_lengths(group, 0)[:runs])
    return out[0] if len(out) == 1 else tuple(out)


def _unique_slices(x: Tensor, d: int, return_inverse: bool, return_counts: bool,
                   consecutive: bool):
    """unique / unique_consecutive of x's slices along d, each compared as a whole."""
    K = x._shape[d]
    if K and any(n == 0 for i, n in enumerate(x._shape) if i != d):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    moved = x.movedim(d, 0)
    rows = moved.reshape(K, moved.numel() // K if K else 0)
    order = None
    if not consecutive:
        from .creation import arange
        keys = rows.to(D.uint8) if rows._dtype is D.bool_ else rows
        order = arange(K, device=x.device)
        # lexicographic order of the slices: stable sorts by each column, the last first
        for j in range(rows._shape[1] - 1, -1, -1):
            order = order[keys[:, j][order].sort(stable=True)[1]]
        rows = rows[order]
    return _runs(rows, order, x, return_inverse, return_counts, d)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    """Insertion points of input into the last dim of sorted_sequence (binary search).

    Example:
        >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 6])).tolist()
        [1, 3]
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence if sorter is None else sorted_sequence.gather(-1, sorter)
    if not isinstance(input, Tensor):
        if seq.dim() != 1:
            raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries tensor "
                               f"dim({seq.dim()}) and input value's dim(0) numel(1)")
        from .creation import tensor
        input = tensor(input, dtype=seq._dtype, device=seq.device)
    if seq.dim() == 0 or (seq.dim() > 1 and seq._shape[:-1] != input._shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(seq._shape)} and "
                           f"input value tensor {list(input._shape)}")
    dtype = result_type(seq, input)
    dev = device_of(seq, input)
    s, v = cast(seq, dtype).contiguous(), operand(input, dtype, dev).contiguous()
    out = _empty(input._shape, D.int64, dev)
    backend_of(s).searchsorted(s, v, out, right)
    return out.int() if out_int32 else out


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False):
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.dim() != 1 or input._dtype.is_floating_point:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.numel() and input.min().item() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = max(int(input.max().item()) + 1 if input.numel() else 0, minlength)
    if weights is None:
        base = input.new_zeros((n,), dtype=D.int64)
        return base.scatter_add(0, input.long(), base.new_ones(input._shape))
    w = weights if weights._dtype.is_floating_point else weights.double()
    base = w.new_zeros((n,), dtype=w._dtype if w._dtype is not D.float32 else D.float64)
    return base.scatter_add(0, input.long(), w.to(base._dtype))


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and input.numel():
        lo, hi = input.min().item(), input.max().item()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    keep = input[(input >= lo) & (input <= hi)]
    # torch's arithmetic, in input's dtype from edges rounded to it, so that a value on an
    # inner edge lands in the same bin
    left, right = (full((), v, dtype=input._dtype, device=input.device) for v in (lo, hi))
    idx = ((keep - left) * bins / (right - left)).long().clamp(0, bins - 1)
    counts = idx.new_zeros((bins,)).scatter_add(0, idx, idx.new_ones(idx._shape))
    return counts.to(input._dtype)
