"""Indexing: basic and advanced __getitem__/__setitem__, gather/scatter, index_* ops,
masked ops, take/put, nonzero.

Every gather or scatter here is one int64 offset per element, computed with ember
ops and handed to the C kernels em_take/em_put, which check each offset against
the storage before touching memory. Reads go through a contiguous copy of the
source, so the same offsets serve the forward and the backward.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _empty, contiguous_strides
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import (backend_of, broadcast_shapes, device_of, expand_to, inplace, operand,
                    pretty_dtype, wrap_dim)
from .views import View


def _on_device_of(index: Tensor, x: Tensor) -> Tensor:
    """index moved to x's device: as in torch, CPU indices may index a tensor on any device
    (no call at all in the common case of one device, indexing being a hot path)."""
    return index if index._storage.device == x._storage.device else index.to(x.device)


def _arange(n: int, device) -> Tensor:
    from .creation import arange
    return arange(n, device=device)


def storage_offsets(view: Tensor) -> Tensor:
    """int64 tensor of view's shape holding each element's storage position."""
    off = _empty((), D.int64, view.device)
    backend_of(view).fill(off, view._offset)
    total = off
    nd = view.dim()
    for d, (n, s) in enumerate(zip(view._shape, view._stride)):
        shape = [1] * nd
        shape[d] = n
        total = total + (_arange(n, view.device) * s).reshape(shape)
    return total.expand(view._shape).contiguous() if nd else total.reshape(())


def _check_bounds(idx: Tensor, size: int, what: str, negative: bool = True) -> Tensor:
    """Wraps negative indices (where negative allows them, as Python indexing does) and
    raises IndexError for out-of-range ones."""
    if idx.numel() == 0:
        return idx
    bad = (idx < (-size if negative else 0)) | (idx >= size)
    if bad.any().item():
        first = idx[bad].reshape(-1)[0].item()
        raise IndexError(f"index {first} is out of bounds for dimension {what} with size {size}")
    return idx + (idx < 0).long() * size if (idx < 0).any().item() else idx


# ---- complex-aware kernel calls --------------------------------------------------------------
# The take/put kernels move real items; complex storage holds interleaved (real, imag)
# pairs, so a complex gather or scatter runs as two real ones over copies of the parts.

def _part_copy(x: Tensor, k: int) -> Tensor:
    from .complex import part_view
    part = part_view(x, k)
    out = _empty(x._shape, part._dtype, x.device)
    backend_of(x).copy(part, out)
    return out


def take_into(xc: Tensor, flat: Tensor, out: Tensor) -> None:
    """out = xc.flatten()[flat] for a contiguous xc (flat: logical positions)."""
    be = backend_of(xc)
    if not xc._dtype.is_complex:
        be.take(xc, (flat if xc._offset == 0 else flat + xc._offset).contiguous(), out)
        return
    from .complex import part_view
    flat = flat.contiguous()
    for k in (0, 1):
        o = _empty(out._shape, xc._dtype.to_real(), out.device)
        be.take(_part_copy(xc, k), flat, o)
        be.copy(o, part_view(out, k))


def put_into(dst: Tensor, flat: Tensor, vals: Tensor, accumulate: bool) -> None:
    """dst.flatten()[flat] = (or +=) vals for a contiguous dst and contiguous vals."""
    be = backend_of(dst)
    if not dst._dtype.is_complex:
        be.put(dst, (flat if dst._offset == 0 else flat + dst._offset).contiguous(), vals,
               accumulate)
        return
    from .complex import part_view
    flat = flat.contiguous()
    for k in (0, 1):
        part = _part_copy(dst, k)
        be.put(part, flat, _part_copy(vals, k), accumulate)
        be.copy(part, part_view(dst, k))


# ---- the gather/scatter primitives with autograd --------------------------------------------

class Take(Function):
    """out = x.flatten()[flat], flat are logical (contiguous-order) positions."""

    _builtin = True
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, flat):
        flat = _on_device_of(flat, x)
        out = _empty(flat._shape, x._dtype, x.device)
        take_into(x.contiguous(), flat, out)
        ctx.save_for_backward(flat)
        ctx.in_shape = x._shape
        return out

    @staticmethod
    def backward(ctx, g):
        (flat,) = ctx.saved_tensors
        return PutAdd.apply(g.new_zeros(ctx.in_shape), flat, g, True), None


def _fit_values(values: Tensor, shape: tuple) -> Tensor:
    """values with the indexing result's rank (leading 1s dropped, as torch drops them);
    RuntimeError unless they broadcast to the result's shape."""
    vs = values._shape
    while len(vs) > len(shape) and vs[0] == 1:
        vs = vs[1:]
    if len(vs) > len(shape) or any(v != 1 and v != n for v, n in zip(vs[::-1], shape[::-1])):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values._shape)} cannot "
                           f"be broadcast to indexing result of shape {list(shape)}")
    return values if vs == values._shape else values.reshape(vs)


class PutAdd(Function):
    """x with values written (or added, accumulate=True) at logical positions flat."""

    _builtin = True
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, flat, values, accumulate):
        flat = _on_device_of(flat, x)
        values = operand(values, values._dtype, device_of(x, values))
        out = _empty(x._shape, x._dtype, x.device)
        backend_of(x).copy(x, out)
        vals = values.to(x._dtype) if values._dtype is not x._dtype else values
        vals = expand_to(_fit_values(vals, flat._shape), flat._shape).contiguous()
        put_into(out, flat, vals, accumulate)
        ctx.save_for_backward(flat)
        ctx.accumulate, ctx.values_shape = accumulate, values._shape
        return out

    @staticmethod
    def backward(ctx, g):
        (flat,) = ctx.saved_tensors
        gx = g if ctx.accumulate else PutAdd.apply(g, flat, g.new_zeros(()), False)
        gv = Take.apply(g, flat)
        return gx, None, gv, None


# ---- parsing indices --------------------------------------------------------------------------

def _to_index_tensor(obj, device) -> Tensor:
    from .creation import tensor
    if isinstance(obj, Tensor):
        return obj
    t = tensor(obj, device=device)
    if t._dtype.is_floating_point and t.numel() == 0:
        t = t.long()
    return t


def _parse(x: Tensor, index):
    """Splits an index into a basic view and advanced (dim, long tensor) pairs."""
    if not isinstance(index, tuple):
        index = (index,)
    # Expand Ellipsis; count dims consumed
    consumed = 0
    for it in index:
        if it is None or it is Ellipsis:
            continue
        if isinstance(it, Tensor) and it._dtype is D.bool_ or (
                isinstance(it, (list, np.ndarray)) and np.asarray(it).dtype == bool):
            consumed += np.asarray(it).ndim if not isinstance(it, Tensor) else it.dim()
        else:
            consumed += 1
    if sum(1 for it in index if it is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > x.dim():
        raise IndexError(f"too many indices for tensor of dimension {x.dim()}")
    items = []
    advanced = []  # (output dim in the view, long tensor)
    vdim = 0   # dim in the resulting basic view
    d = 0      # dim in x
    for it in index:
        if it is Ellipsis:
            for _ in range(x.dim() - consumed):
                items.append(("slice", 0, x._shape[d], 1))
                d += 1
                vdim += 1
        elif it is None:
            items.append(("new",))
            vdim += 1
        elif isinstance(it, bool) or (isinstance(it, Tensor) and it.dim() == 0 and
                                      it._dtype is D.bool_):
            items.append(("new",))
            advanced.append((vdim, _to_index_tensor([0] if bool(it) else [], x.device).long()))
            vdim += 1
        elif isinstance(it, (int, np.integer)):
            size = x._shape[d]
            i = int(it)
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
            items.append(("int", i % size))
            d += 1
        elif isinstance(it, slice):
            size = x._shape[d]
            start, stop, step = it.start, it.stop, it.step
            step = 1 if step is None else int(step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            start, stop, _ = slice(None if start is None else int(start),
                                   None if stop is None else int(stop), step).indices(size)
            length = max(0, (stop - start + step - 1) // step)
            items.append(("slice", start if length else 0, length, step))
            d += 1
            vdim += 1
        else:
            t = _to_index_tensor(it, x.device)
            if t._dtype is D.bool_ or t._dtype is D.uint8:
                k = t.dim()
                for j in range(k):
                    if t._shape[j] != x._shape[d + j]:
                        raise IndexError(f"The shape of the mask {list(t._shape)} at index {j} "
                                         f"does not match the shape of the indexed tensor "
                                         f"{list(x._shape)} at index {d + j}")
                nz = nonzero(t)
                for j in range(k):
                    items.append(("slice", 0, x._shape[d], 1))
                    advanced.append((vdim, nz[:, j] if nz.dim() == 2 else nz))
                    d += 1
                    vdim += 1
            else:
                if t._dtype.is_floating_point:
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
                items.append(("slice", 0, x._shape[d], 1))
                advanced.append((vdim, _check_bounds(t.long(), x._shape[d], str(d))))
                d += 1
                vdim += 1
    return tuple(items), advanced


def _advanced_positions(view_shape, strides, base_offset, advanced, device):
    """Offsets (result-shaped) for advanced indexing of a view with given strides."""
    adv_dims = [d for d, _ in advanced]
    b_shape = broadcast_shapes(*(t._shape for _, t in advanced))
    rest = [d for d in range(len(view_shape)) if d not in adv_dims]
    adjacent = adv_dims == list(range(adv_dims[0], adv_dims[0] + len(adv_dims)))
    if adjacent:
        first = adv_dims[0]
        before = [d for d in rest if d < first]
        after = [d for d in rest if d > first]
    else:
        before, after = [], rest
    out_shape = tuple(view_shape[d] for d in before) + b_shape + tuple(view_shape[d] for d in after)
    nb, nB = len(before), len(b_shape)
    nd = len(out_shape)
    total = None

    def add(term):
        nonlocal total
        total = term if total is None else total + term

    for k, d in enumerate(before):
        shp = [1] * nd
        shp[k] = view_shape[d]
        add((_arange(view_shape[d], device) * strides[d]).reshape(shp))
    for d, t in advanced:
        t = t if t._storage.device == device else t.to(device)
        shp = [1] * nd
        lead = nB - t.dim()
        for j, s in enumerate(t._shape):
            shp[nb + lead + j] = s
        add((t * strides[d]).reshape(shp))
    for k, d in enumerate(after):
        shp = [1] * nd
        shp[nb + nB + k] = view_shape[d]
        add((_arange(view_shape[d], device) * strides[d]).reshape(shp))
    if base_offset:
        total = total + base_offset
    return total.expand(out_shape).contiguous(), out_shape


def getitem(x: Tensor, index):
    if isinstance(index, Tensor) and index.dim() == 0 and index._dtype in (
            D.int64, D.int32, D.int16, D.int8):
        index = int(index.item()) if not index._requires_grad else index
    items, advanced = _parse(x, index)
    v = View.apply(x, "index", items) if items else x
    if not advanced:
        return v
    # logical positions in a contiguous layout of the view
    flat, _ = _advanced_positions(v._shape, contiguous_strides(v._shape), 0, advanced, x.device)
    return Take.apply(v, flat)


def setitem(x: Tensor, index, value) -> None:
    from .creation import tensor
    if not isinstance(value, Tensor):
        value = tensor(value, dtype=x._dtype, device=x.device)
    items, advanced = _parse(x, index)
    if not advanced:
        v = View.apply(x, "index", items) if items else x
        v.copy_(value)
        return
    v = View.apply(x, "index", items) if items else x
    record = STATE.enabled and (x._requires_grad or value._requires_grad)
    if not record and not x._dtype.is_complex:  # complex: through PutAdd on logical positions
        offs, shape = _advanced_positions(v._shape, v._stride, v._offset, advanced, x.device)
        if x._storage.inference:
            x._check_inference_write()
        vals = value.to(x._dtype) if value._dtype is not x._dtype else value
        if vals._shape != shape:
            vals = _fit_values(vals, shape).expand(shape)
        backend_of(x).put(x, offs, vals.contiguous(), False)
        x._storage.version += 1
        return
    flat, shape = _advanced_positions(v._shape, contiguous_strides(v._shape), 0, advanced,
                                      x.device)
    inplace(v, lambda t: PutAdd.apply(t, flat, value, False))


# ---- public ops -----------------------------------------------------------------------------

def _dim_positions(index: Tensor, dim: int, src_shape) -> Tensor:
    """Logical positions into a contiguous src for gather/scatter with `index` along dim."""
    cs = contiguous_strides(src_shape)
    nd = index.dim()
    total = index * cs[dim]
    for d in range(nd):
        if d == dim:
            continue
        shp = [1] * nd
        shp[d] = index._shape[d]
        total = total + (_arange(index._shape[d], index.device) * cs[d]).reshape(shp)
    return total


def _check_gather(x, dim, index, name):
    device_of(x, index)
    if index._dtype is not D.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.dim() != x.dim() and not (index.dim() <= 1 and x.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(index.dim()):
        if d != dim and index._shape[d] > x._shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index._shape)} to be smaller than self {list(x._shape)} "
                               f"apart from dimension {dim}")
    if index.numel():
        hi, lo = index.max().item(), index.min().item()
        size = x._shape[dim] if x.dim() else 1
        if hi >= size or lo < 0:
            bad = hi if hi >= size else lo
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _src_like(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """src cut to index's shape, after torch's check that index fits inside it (a smaller
    src was cut short and its missing values read past its end)."""
    if src.dim() != index.dim() and not (index.dim() <= 1 and src.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if any(n > m for n, m in zip(index._shape, src._shape)):
        raise RuntimeError(f"Expected index {list(index._shape)} to be no larger than self "
                           f"{list(x._shape)} apart from dimension {dim} and to be no larger "
                           f"size than src {list(src._shape)}")
    return src if src._shape == index._shape else src[tuple(slice(0, n) for n in index._shape)]


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    d = wrap_dim(dim, input.dim())
    _check_gather(input, d, index, "gather")
    if input.dim() == 0:
        return Take.apply(input.reshape(1), index.reshape(-1) * 0).reshape(index._shape)
    return Take.apply(input, _dim_positions(index, d, input._shape))


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    d = wrap_dim(dim, input.dim())
    _check_gather(input, d, index, "scatter")
    if src is None:
        src = value
    if not isinstance(src, Tensor):
        from .creation import full
        src = full(index._shape, src, dtype=input._dtype, device=input.device)
    else:
        _check_src_dtype(input, src, "scatter")
        src = _src_like(input, d, index, src)
    if reduce is not None:
        if reduce == "add":
            return scatter_add(input, d, index, src)
        if reduce == "multiply":
            return scatter_reduce(input, d, index, src, "prod")
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    return PutAdd.apply(input, _dim_positions(index, d, input._shape), src, False)


def _check_src_dtype(input, src, name):
    if src._dtype is not input._dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d = wrap_dim(dim, input.dim())
    _check_src_dtype(input, src, "scatter")
    _check_gather(input, d, index, "scatter_add")
    src = _src_like(input, d, index, src)
    return PutAdd.apply(input, _dim_positions(index, d, input._shape), src, True)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str,
                   *, include_self: bool = True) -> Tensor:
    """Reduces src into input at index along dim: sum, prod, mean, amax, amin.

    Built from differentiable indexing ops on the input's device. Where values tie for
    amax/amin, maximum's and minimum's gradients share it pairwise, so three or more tied
    values do not get equal shares as in torch.

    Example:
        >>> ember.zeros(3).scatter_reduce(0, ember.tensor([0, 0, 2]),
        ...                               ember.tensor([1., 5., 2.]), "amax")
        tensor([5., 0., 2.])
    """
    d = wrap_dim(dim, input.dim())
    _check_src_dtype(input, src, "scatter_reduce")
    _check_gather(input, d, index, "scatter_reduce")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    out = input.reshape(-1)
    if index.numel() == 0:
        return input.clone()
    at = _dim_positions(index, d, input._shape).reshape(-1)
    vals = _src_like(input, d, index, src).reshape(-1)
    if reduce in ("sum", "mean"):
        base = out if include_self else out.index_fill(0, at, 0)
        result = base.index_add(0, at, vals)
        if reduce == "mean":
            counts = at.new_zeros(out._shape).index_add_(0, at, at.new_ones(at._shape))
            counts = (counts + int(include_self)).clamp_(min=1)  # untouched: input / 1
            result = result / counts if input._dtype.is_floating_point else \
                result.div(counts, rounding_mode="floor")
        return result.reshape(input._shape)
    if input.device.type == "cpu" and not (STATE.enabled and (input._requires_grad or
                                                              src._requires_grad)):
        return _scatter_fold_in_c(input, at, vals, reduce, include_self)
    # order the values by position (keeping their order within a position): each run of
    # one position is a segment, folded pairwise in place so that its result ends at its
    # start, in log2(longest segment) rounds rather than one round per duplicate
    from .sort import run_lengths, run_starts
    combine = {"prod": Tensor.mul, "amax": Tensor.maximum, "amin": Tensor.minimum}[reduce]
    order = at.sort(stable=True)[1]
    at, vals = at[order], vals[order]
    starts = run_starts(at)
    positions = _arange(at.numel(), at.device)
    rank = positions - positions.where(starts, positions.new_zeros(())).cummax(0)[0]
    segment = starts.long().cumsum(0) - 1
    length = run_lengths(segment, 0)[segment]
    step, longest = 1, int(length.max())
    while step < longest:
        pair = ((rank % (2 * step) == 0) & (rank + step < length)).nonzero().reshape(-1)
        vals = vals.index_put((pair,), combine(vals[pair], vals[pair + step]))
        step *= 2
    where, folded = at[starts], vals[starts]
    if include_self:
        folded = combine(out[where], folded)
    return out.index_put((where,), folded).reshape(input._shape)


def _scatter_fold_in_c(input: Tensor, at: Tensor, vals: Tensor, reduce: str,
                       include_self: bool) -> Tensor:
    """scatter_reduce's prod/amax/amin without a graph on the CPU: one pass in C over the
    values in order (the composite form exists for gradients and other devices)."""
    from ..backends import cpu
    result = input.contiguous()
    if result is input:  # contiguous() copied nothing: the reduction must not write input
        result = input.clone()
    flat = result.reshape(-1)
    if not include_self:  # the reduction's identity where values arrive
        if reduce == "prod":
            start = 1
        elif input._dtype.is_floating_point:
            start = float("-inf") if reduce == "amax" else float("inf")
        elif input._dtype is D.bool_:
            start = reduce == "amin"
        else:
            info = D.iinfo(input._dtype)
            start = info.min if reduce == "amax" else info.max
        flat.index_fill_(0, at, start)
    cpu.scatter_reduce(flat, at.contiguous(), vals.contiguous(),
                       {"prod": 0, "amax": 1, "amin": 2}[reduce])
    return result


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    d = wrap_dim(dim, input.dim())
    if input.dim() == 0:  # a scalar stays one, as in torch
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{index.numel()} value(s)")
        return index_select(input.reshape(1), 0, index.reshape(-1)).reshape(())
    return Take.apply(input, _index_positions(input, d, index, "index_select"))


def _index_positions(x: Tensor, dim: int, index: Tensor, name: str,
                     negative: bool = False) -> Tensor:
    """Logical positions of the slices of x along dim that index (a vector or a scalar of
    int32/int64) picks; negative entries wrap only where negative allows them."""
    if index.dim() > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: "
                         f"{index.dim()}")
    if index._dtype not in (D.int32, D.int64):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                           f"{pretty_dtype(index._dtype)}")
    idx = _check_bounds(index.reshape(-1).long(), x._shape[dim], str(dim), negative)
    items = (slice(None),) * dim + (idx,)
    _, advanced = _parse(x, items)
    flat, _ = _advanced_positions(x._shape, contiguous_strides(x._shape), 0, advanced, x.device)
    return flat


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """Reduces source's slices along dim into input's slices at index: prod, mean, amax or
    amin (scatter_reduce with index spread over source's other dims).

    Example:
        >>> ember.ones(3).index_reduce(0, ember.tensor([0, 0, 2]), ember.tensor([2., 3., 4.]),
        ...                            "prod")
        tensor([6., 1., 4.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = wrap_dim(dim, input.dim())
    if index.dim() > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if source.dim() and index.numel() != source.shape[d]:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be "
                           f"equal to source.size(dim) ({source.shape[d]})")
    along = [1] * max(source.dim(), 1)
    along[d] = index.numel()
    spread = index.reshape(along).expand(source.shape) if source.dim() else index.reshape(())
    return scatter_reduce(input, d, spread, source, reduce, include_self=include_self)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    d = wrap_dim(dim, input.dim())
    src = source if alpha == 1 else source * alpha
    return PutAdd.apply(input, _index_positions(input, d, index, "index_add_"), src, True)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    d = wrap_dim(dim, input.dim())
    copies = source._shape[d] if source.dim() > d else 1
    if index.numel() != copies:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({copies})")
    return PutAdd.apply(input, _index_positions(input, d, index, "index_copy_"), source, False)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    d = wrap_dim(dim, input.dim())
    from .creation import full
    v = value if isinstance(value, Tensor) else full((), value, dtype=input._dtype,
                                                       device=input.device)
    return PutAdd.apply(input, _index_positions(input, d, index, "index_fill_", negative=True), v,
                        False)


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    _, advanced = _parse(input, tuple(indices))
    flat, _ = _advanced_positions(input._shape, contiguous_strides(input._shape), 0, advanced,
                                  input.device)
    return PutAdd.apply(input, flat, values, accumulate)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    if mask._dtype is not D.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask._dtype}")
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    from .elementwise import where
    if not isinstance(value, Tensor):
        from ._util import scalar_tensor
        value = scalar_tensor(value, input._dtype, input.device)
    return where(mask, value.to(input._dtype), input)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    shape = broadcast_shapes(input._shape, mask._shape)
    return getitem(input.expand(shape), mask.expand(shape))


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    shape = broadcast_shapes(input._shape, mask._shape)
    m = mask.expand(shape)
    n = int(m.sum().item())
    if source.numel() < n:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements "
                           "as ones in mask")
    x = input.expand(shape)
    _, advanced = _parse(x, m)
    flat, _ = _advanced_positions(shape, contiguous_strides(shape), 0, advanced, x.device)
    return PutAdd.apply(x, flat, source.reshape(-1)[:n], False)


def take(input: Tensor, index: Tensor) -> Tensor:
    if index._dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{pretty_dtype(index._dtype)}")
    flat = input.reshape(-1)
    idx = _check_bounds(index, flat.numel(), "0")
    return Take.apply(flat, idx).reshape(index._shape)


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    if dim is None:
        return take(input, indices.reshape(-1))
    d = wrap_dim(dim, input.dim())
    shape = list(broadcast_shapes(
        input._shape[:d] + (1,) + input._shape[d + 1:],
        indices._shape[:d] + (1,) + indices._shape[d + 1:]))
    ishape = shape.copy()
    ishape[d] = indices._shape[d]
    xshape = shape.copy()
    xshape[d] = input._shape[d]
    return gather(input.expand(xshape), d, indices.expand(ishape))


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    idx = _check_bounds(index.reshape(-1).long(), input.numel(), "0")
    return PutAdd.apply(input, idx, source.reshape(-1), accumulate)


def unravel_index(indices: Tensor, shape) -> tuple:
    """The coordinates in a tensor of this shape of each flat (row-major) index, one
    tensor per dim; indices wrap modulo the shape's size, as in torch.

    Example:
        >>> ember.unravel_index(ember.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices._dtype.is_floating_point or indices._dtype.is_complex or \
            indices._dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices._dtype}")
    sizes = (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)
    if any(n < 0 for n in sizes):
        raise ValueError(f"'shape' cannot have negative values, but got {sizes}")
    strides = contiguous_strides(sizes) if sizes else ()
    from .creation import tensor
    coords = indices.unsqueeze(-1).long()
    coords = coords.div(tensor(strides, dtype=D.int64, device=indices.device),
                        rounding_mode="floor")
    coords = coords.remainder(tensor(sizes, dtype=D.int64, device=indices.device))
    return coords.unbind(-1)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) tensor, or one tensor per dim."""
    from .creation import zeros
    flat_mask = (input != 0).reshape(-1)
    numel = flat_mask.numel()
    n = int(flat_mask.sum().item()) if numel else 0
    if n:
        # compaction by scatter: selected elements write to their rank, the rest to slot n
        rank = flat_mask.long().cumsum(0) - 1
        from .elementwise import where
        dest = where(flat_mask, rank, n)
        slots = _empty((n + 1,), D.int64, input.device)
        backend_of(input).put(slots, dest.contiguous(), _arange(numel, input.device), False)
        flat = slots[:n]
    else:
        flat = zeros(0, dtype=D.int64, device=input.device)
    shape = input._shape
    cs = contiguous_strides(shape)
    cols = [(flat // cs[d]) % shape[d] if n else flat for d in range(len(shape))]
    if as_tuple:
        return tuple(cols) if cols else (flat * 0,)
    if not cols:
        return zeros(n, 0, dtype=D.int64, device=input.device)
    from .join import stack
    return stack(cols, 1)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero(input) with exactly size rows: the first size indices, then rows of
    fill_value where input has fewer nonzeros (a shape known ahead of the data).

    Example:
        >>> ember.nonzero_static(ember.tensor([[1, 0], [3, 2]]), size=4)
        tensor([[ 0,  0],
                [ 1,  0],
                [ 1,  1],
                [-1, -1]])
    """
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"nonzero_static(): argument 'size' must be int, not "
                        f"{type(size).__name__}")
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = nonzero(input)
    if found.shape[0] >= size:
        return found[:size]
    from .creation import full
    from .join import cat
    padding = full((size - found.shape[0], input.dim()), fill_value, dtype=D.int64,
                   device=input.device)
    return cat([found, padding])


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)
