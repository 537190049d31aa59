"""Sparse COO arithmetic: scaling by a number, elementwise products and quotients, sums of
two tensors, and sums over dims."""

from __future__ import annotations

import numbers

from .. import _dtype as D
from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops._util import broadcast_shapes, normalize_dims, result_type
from ..ops.index import nonzero
from ..ops.join import cat
from ._index_math import (coalesced_indices, dense_at, long_tensor, merge_duplicates,
                          stored_values_at, values_at)
from ._structure import from_parts, to_dense, unsqueeze


class Scale(Function):
    """neg, mul and div of a sparse tensor by a number or a 0-d tensor: the values scale,
    the indices stay."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, s, factor, op):
        ctx.s, ctx.factor, ctx.op = s.detach(), factor, op
        values = s._sparse_values
        values = -values if op == "neg" else values * factor if op == "mul" else values / factor
        return SparseCooTensor._build(s._sparse_indices, values, s._shape, s._coalesced)

    @staticmethod
    def backward(ctx, grad):
        factor, op = ctx.factor, ctx.op
        if op == "neg":
            return -grad, None, None
        grad_s = grad * factor if op == "mul" else grad / factor
        grad_factor = None
        if ctx.needs_input_grad[1]:
            # d(sum(grad * s * f))/df: grad read at s's stored elements
            c = ctx.s.coalesce()
            inner = (read_at(grad, c._sparse_indices, c._shape) * c._sparse_values).sum()
            grad_factor = (inner if op == "mul" else -inner / (factor * factor)).to(factor.dtype)
        return grad_s, grad_factor, None


def scale(s: SparseCooTensor, factor, op: str) -> SparseCooTensor:
    """-s, s * factor or s / factor for a number or a 0-d dense tensor."""
    if isinstance(factor, Tensor):
        if factor.is_sparse or factor.dim():
            raise unsupported(f"{op} of a sparse tensor by a tensor that is not 0-d")
    elif not isinstance(factor, numbers.Number):
        return NotImplemented
    return Scale.apply(s, factor, op)


def read_at(t: Tensor, indices: Tensor, shape: tuple) -> Tensor:
    """The slices at the index columns indices of t: sparse of shape shape, or dense and
    broadcastable to it."""
    return stored_values_at(t, indices)[0] if t.is_sparse else dense_at(t, indices, shape)


def _masked_product(pattern, a: Tensor, b: Tensor, dtype) -> SparseCooTensor:
    """(a * b) in dtype, kept at pattern's coalesced index columns, a and b sparse or dense:
    a product's gradient."""
    indices = coalesced_indices(pattern)
    values = read_at(a, indices, pattern._shape) * read_at(b, indices, pattern._shape)
    return from_parts(indices, values.to(dtype), pattern._shape, True)


class SparseMul(Function):
    """a sparse tensor times a dense one broadcastable to its shape (a value per stored
    element, the indices kept) or times a sparse one of its shape (their intersection)."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, s, other):
        ctx.s, ctx.other = s.detach(), other.detach()
        if other.is_sparse:
            return _intersection(s, other)
        dtype = result_type(s._sparse_values, other)
        picked = dense_at(other, s._sparse_indices, s._shape)
        values = s._sparse_values.to(dtype) * picked.to(dtype)
        return SparseCooTensor._build(s._sparse_indices, values, s._shape, s._coalesced)

    @staticmethod
    def backward(ctx, grad):
        s, other = ctx.s, ctx.other
        grad_s = grad_other = None
        if ctx.needs_input_grad[0]:
            grad_s = _product_gradient(grad, other, s)
        if ctx.needs_input_grad[1]:
            grad_other = _product_gradient(grad, s, other if other.is_sparse else s)
            grad_other = grad_other.to(other._dtype)
            if not other.is_sparse and other._shape != s._shape:
                # a broadcast operand: summed over what it was spread across
                grad_other = to_dense(grad_other).sum_to_size(other._shape)
        return grad_s, grad_other


def _product_gradient(grad: Tensor, factor: Tensor, pattern) -> SparseCooTensor:
    """grad * factor, sparse: the product itself for a sparse grad (not kept to any operand's
    pattern, as torch's), else kept at pattern's stored elements."""
    if grad.is_sparse:
        return mul(grad, factor).to(pattern._dtype)
    return _masked_product(pattern, grad, factor, pattern._dtype)


def _intersection(a: SparseCooTensor, b: SparseCooTensor) -> SparseCooTensor:
    """a * b for sparse tensors of one shape, laid out as torch lays it out: the index
    columns of the uncoalesced operand (of the smaller one when both are alike), each times
    the other's summed value there (zero where it has none); only the columns both hold
    when both are coalesced."""
    if a._coalesced != b._coalesced:
        source, probe = (b, a) if a._coalesced else (a, b)
    else:
        source, probe = (b, a) if a._nnz() >= b._nnz() else (a, b)
    dtype = result_type(a._sparse_values, b._sparse_values)
    picked, found = stored_values_at(probe, source._sparse_indices)
    indices, values = source._sparse_indices, source._sparse_values.to(dtype) * picked.to(dtype)
    if a._coalesced and b._coalesced:
        kept = nonzero(found).reshape(-1)
        indices, values = indices.index_select(1, kept), values.index_select(0, kept)
    return SparseCooTensor._build(indices, values, a._shape, source._coalesced)


def mul(a, b) -> Tensor:
    """a * b where one of them is sparse: sparse times a number, a dense tensor
    broadcastable to its shape, or a sparse tensor of its shape."""
    if not (isinstance(a, Tensor) and a.is_sparse):
        a, b = b, a  # a product commutes: the sparse operand first
    if not isinstance(b, Tensor) or b.dim() == 0:
        return scale(a, b, "mul")
    if b.is_sparse:
        if a._shape != b._shape or a.sparse_dim() != b.sparse_dim():
            raise RuntimeError("mul: expects sparse inputs with equal dimensionality, number of "
                               "sparse dimensions, and shape of sparse dimensions")
    elif b.dim() > a.dim() or broadcast_shapes(a._shape, b._shape) != a._shape:
        raise unsupported(f"mul of a sparse tensor of shape {list(a._shape)} by a dense one "
                          f"of shape {list(b._shape)} that it does not broadcast over")
    if a.device != b.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a.device} and {b.device}!")
    return SparseMul.apply(a, b)


def div(a, b, rounding_mode=None) -> Tensor:
    """a / b for a sparse a and a number or 0-d dense b (torch divides by nothing else);
    with a rounding_mode the quotient is rounded after summing a's duplicates."""
    b_is_tensor = isinstance(b, Tensor)
    if not (isinstance(a, Tensor) and a.is_sparse) or (b_is_tensor and (b.is_sparse or b.dim())):
        shape = list(b._shape) if b_is_tensor else []
        raise RuntimeError("Sparse division requires a scalar or zero-dim dense tensor divisor "
                           f"(got shape {shape} for divisor)")
    if rounding_mode is None:
        return scale(a, b, "div")
    from ..ops.elementwise import div as dense_div
    from ._unary import map_values
    return map_values(dense_div, "div", a, b, rounding_mode=rounding_mode)


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


def sparse_sum(s: SparseCooTensor, dim=None, dtype=None) -> Tensor:
    """The sum of s's elements, or over dim (an int or a tuple), in dtype if given: a sparse
    tensor while one of s's sparse dims remains, else a dense one.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
        >>> ember.sparse.sum(s), ember.sparse.sum(s, 1).to_dense()
        (tensor(12.), tensor([3., 9.]))
    """
    if not s.is_sparse:
        raise TypeError("ember.sparse.sum expects a sparse COO tensor")
    if dtype is not None and dtype is not s._dtype:
        s = s.to(dtype)
    if dim is None:
        return SparseSumAll.apply(s)
    dims = normalize_dims(dim, s.dim())
    if len(dims) == s.dim():
        return SparseSumAll.apply(s)
    return SparseSumDims.apply(s, dims)


def sum_keepdim(s: SparseCooTensor, dim, keepdim: bool, dtype) -> Tensor:
    """Tensor.sum of a sparse tensor: sparse_sum, with each summed dim then put back with
    size 1 when keepdim (sparse while sparse dims remain, as torch)."""
    if not (s._dtype.is_floating_point or s._dtype.is_complex) and dtype is None:
        dtype = D.int64  # integer and bool sums widen, as dense ones
    total = sparse_sum(s, dim, dtype)
    if not keepdim:
        return total
    dims = range(s.dim()) if dim is None else sorted(normalize_dims(dim, s.dim()))
    for d in dims:
        total = unsqueeze(total, d) if total.is_sparse else total.unsqueeze(d)
    return total
