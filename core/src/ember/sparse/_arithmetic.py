"""Sparse COO arithmetic: scaling by a number, sums of two tensors, and sums over dims."""

from __future__ import annotations

import numbers

from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops._util import normalize_dims, result_type
from ..ops.join import cat
from ._index_math import coalesced_indices, long_tensor, merge_duplicates, values_at
from ._structure import from_parts, to_dense


class Scale(Function):
    """neg, mul and div of a sparse tensor by a number: the values scale, the indices stay."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, s, factor, op):
        ctx.factor, ctx.op = factor, op
        values = s._sparse_values
        values = -values if op == "neg" else values * factor if op == "mul" else values / factor
        return SparseCooTensor._build(s._sparse_indices, values, s._shape, s._coalesced)

    @staticmethod
    def backward(ctx, grad):
        if ctx.op == "neg":
            return -grad, None, None
        return (grad * ctx.factor if ctx.op == "mul" else grad / ctx.factor), None, None


def scale(s: SparseCooTensor, factor, op: str) -> SparseCooTensor:
    """-s, s * factor or s / factor for a number (or a 0-d tensor that needs no gradient)."""
    if isinstance(factor, Tensor):
        if factor.is_sparse or factor.dim() or factor._requires_grad:
            raise unsupported(f"{op} of a sparse tensor by a tensor (other than a 0-d one "
                              "that needs no gradient)")
        factor = factor.item()
    elif not isinstance(factor, numbers.Number):
        return NotImplemented
    return Scale.apply(s, factor, op)


class SparseAdd(Function):
    """a + alpha * b of two sparse tensors: their index columns side by side, merged when
    both were coalesced (as torch keeps a sum of coalesced tensors coalesced)."""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        dtype = result_type(a._sparse_values, b._sparse_values)
        other = b._sparse_values if alpha == 1 else b._sparse_values * alpha
        indices = cat([a._sparse_indices, b._sparse_indices], 1)
        values = cat([a._sparse_values.to(dtype), other.to(dtype)], 0)
        if a._coalesced and b._coalesced:
            indices, values, _ = merge_duplicates(indices, values, a._shape[:a.sparse_dim()])
        return SparseCooTensor._build(indices, values, a._shape, a._coalesced and b._coalesced)

    @staticmethod
    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha), None


def add(a, b, alpha=1) -> Tensor:
    """a + alpha * b where one of them is sparse: sparse for two sparse tensors, dense for a
    dense a and a sparse b; torch refuses any other mix (a number or dense b included)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and b.is_sparse):
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")
    if not a.is_sparse:
        return a + (to_dense(b) if alpha == 1 else to_dense(b) * alpha)
    if a._shape != b._shape:
        raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but "
                           f"{list(a._shape)} != {list(b._shape)}")
    if a.sparse_dim() != b.sparse_dim():
        raise unsupported("add of sparse tensors with different sparse_dim")
    if a.device != b.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a.device} and {b.device}!")
    return SparseAdd.apply(a, b, alpha)


class SparseSumAll(Function):
    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, s):
        ctx.s = s.detach()
        return s._sparse_values.sum()

    @staticmethod
    def backward(ctx, grad):
        s = ctx.s
        indices = coalesced_indices(s)
        values = grad.expand((indices._shape[1],) + s._shape[s.sparse_dim():]).contiguous()
        return from_parts(indices, values, s._shape, True)


class SparseSumDims(Function):
    """Sum over some dims: sparse while a sparse dim remains, else dense."""

    node_name = "SparseSumBackward0"

    @staticmethod
    def forward(ctx, s, dims):
        sparse_dim = s.sparse_dim()
        kept = [d for d in range(sparse_dim) if d not in dims]
        dense_dims = tuple(d - sparse_dim + 1 for d in dims if d >= sparse_dim)
        ctx.s, ctx.kept, ctx.dense_dims = s.detach(), kept, dense_dims
        values = s._sparse_values.sum(dense_dims) if dense_dims else s._sparse_values
        if not kept:
            return values.sum(0)
        rows = s._sparse_indices.index_select(0, long_tensor(kept, s.device))
        sizes = tuple(s._shape[d] for d in kept)
        indices, merged, _ = merge_duplicates(rows, values, sizes)
        return SparseCooTensor._build(indices, merged, sizes + values._shape[1:], True)

    @staticmethod
    def backward(ctx, grad):
        s, kept = ctx.s, ctx.kept
        indices = coalesced_indices(s)
        if kept:
            rows = indices.index_select(0, long_tensor(kept, s.device))
            picked = values_at(grad, rows, tuple(s._shape[d] for d in kept))
        else:
            picked = grad.unsqueeze(0)
        for d in ctx.dense_dims:
            picked = picked.unsqueeze(d)
        values = picked.expand((indices._shape[1],) + s._shape[s.sparse_dim():]).contiguous()
        return from_parts(indices, values, s._shape, True), None


def sparse_sum(s: SparseCooTensor, dim=None) -> Tensor:
    """The sum of s's elements, or over dim (an int or a tuple): a sparse tensor while one
    of s's sparse dims remains, else a dense one.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
        >>> ember.sparse.sum(s), ember.sparse.sum(s, 1).to_dense()
        (tensor(12.), tensor([3., 9.]))
    """
    if not s.is_sparse:
        raise TypeError("ember.sparse.sum expects a sparse COO tensor")
    if dim is None:
        return SparseSumAll.apply(s)
    dims = normalize_dims(dim, s.dim())
    if len(dims) == s.dim():
        return SparseSumAll.apply(s)
    return SparseSumDims.apply(s, dims)
