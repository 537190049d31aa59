"""Sorting and sets: sort, argsort, topk, kthvalue, unique, searchsorted, histc, bincount."""

from __future__ import annotations

from collections import namedtuple

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ._util import backend_of, cast, device_of, operand, result_type, wrap_dim
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
    d = wrap_dim(dim, input.dim()) if input.dim() else 0
    return values_indices(*Sort.apply(input, d, descending))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    return sort(input, dim, descending)[1]


def msort(input: Tensor) -> Tensor:
    return sort(input, 0)[0]


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    d = wrap_dim(dim, input.dim()) if input.dim() else 0
    n = input._shape[d] if input.dim() else 1
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    v, i = sort(input, d, descending=largest)
    if input.dim() == 0:
        return topk_result(v, i)
    return topk_result(v.narrow(d, 0, k), i.narrow(d, 0, k))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    d = wrap_dim(dim, input.dim()) if input.dim() else 0
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
    """Unique elements (sorted), with the inverse mapping and counts on request."""
    if dim is not None:
        return _unique_dim(input, wrap_dim(dim, input.dim()), return_inverse, return_counts)
    flat = input.reshape(-1)
    values, order = flat.sort()
    n = flat.numel()
    if n == 0:
        out = [values]
        if return_inverse:
            out.append(input.new_zeros(input._shape, dtype=D.int64))
        if return_counts:
            out.append(input.new_zeros((0,), dtype=D.int64))
        return out[0] if len(out) == 1 else tuple(out)
    from .join import cat
    new = cat([values.new_ones((1,), dtype=D.bool_), values[1:] != values[:-1]])
    uniq = values[new]
    out = [uniq]
    if return_inverse:
        group = new.long().cumsum(0) - 1
        inverse = group.new_zeros((n,)).scatter(0, order, group)
        out.append(inverse.reshape(input._shape))
    if return_counts:
        from .creation import tensor
        starts = new.nonzero().reshape(-1)
        ends = cat([starts[1:], tensor([n])])
        out.append(ends - starts)
    return out[0] if len(out) == 1 else tuple(out)


def _unique_dim(x, d, return_inverse, return_counts):
    from .creation import tensor
    from .join import stack
    slices = list(x.unbind(d))
    keys = [tuple(s.reshape(-1).tolist()) for s in slices]
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    uniq_keys, inverse, counts = [], [0] * len(keys), []
    for i in order:
        if not uniq_keys or keys[i] != uniq_keys[-1][0]:
            uniq_keys.append((keys[i], i))
            counts.append(0)
        inverse[i] = len(uniq_keys) - 1
        counts[-1] += 1
    out = [stack([slices[i] for _, i in uniq_keys], d)]
    if return_inverse:
        out.append(tensor(inverse, dtype=D.int64))
    if return_counts:
        out.append(tensor(counts, dtype=D.int64))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):
    if dim is not None:
        raise NotImplementedError("unique_consecutive with dim is not implemented yet")
    flat = input.reshape(-1)
    n = flat.numel()
    from .join import cat
    from .creation import tensor
    if n == 0:
        out = [flat]
    else:
        new = cat([flat.new_ones((1,), dtype=D.bool_), flat[1:] != flat[:-1]])
        out = [flat[new]]
    if return_inverse:
        out.append((new.long().cumsum(0) - 1).reshape(input._shape) if n else
                   input.new_zeros(input._shape, dtype=D.int64))
    if return_counts:
        if n:
            starts = new.nonzero().reshape(-1)
            out.append(cat([starts[1:], tensor([n])]) - starts)
        else:
            out.append(tensor([], dtype=D.int64))
    return out[0] if len(out) == 1 else tuple(out)


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
    lo, hi = float(min), float(max)
    if lo == hi and input.numel():
        lo, hi = input.min().item(), input.max().item()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    keep = input[(input >= lo) & (input <= hi)]
    idx = ((keep - lo) * (bins / (hi - lo))).long().clamp(0, bins - 1)
    counts = idx.new_zeros((bins,)).scatter_add(0, idx, idx.new_ones(idx._shape))
    return counts.to(input._dtype)
