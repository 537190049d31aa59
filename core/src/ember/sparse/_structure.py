"""Sparse COO ops that rearrange a tensor's parts: building one from values, reading its
values, coalesce, to_dense, transpose, unsqueeze, dtype/device moves and clone. Each is an
autograd Function whose gradient for a sparse input is itself sparse."""

from __future__ import annotations

from .._sparse_coo_tensor import SparseCooTensor
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops.creation import zeros
from ..ops.join import cat
from ._index_math import (coalesced_indices, flat_positions, long_tensor, merge_duplicates,
                          values_at)


class SparseCooTensorFromParts(Function):
    """values -> the sparse tensor over (indices, values); its gradient reads the sparse
    gradient at every index column, duplicates included."""

    node_name = "SparseCooTensorWithDimsAndTensorsBackward0"

    @staticmethod
    def forward(ctx, indices, values, shape, coalesced):
        ctx.indices, ctx.shape = indices, shape
        return SparseCooTensor._build(indices, values.detach(), shape, coalesced)

    @staticmethod
    def backward(ctx, grad):
        sizes = ctx.shape[:ctx.indices._shape[0]]
        return None, values_at(grad, ctx.indices, sizes), None, None


def from_parts(indices: Tensor, values: Tensor, shape: tuple, coalesced: bool) -> SparseCooTensor:
    """The sparse tensor over these parts, differentiable in values."""
    return SparseCooTensorFromParts.apply(indices, values, tuple(shape), coalesced)


def masked_gradient(s: SparseCooTensor, grad: Tensor) -> SparseCooTensor:
    """grad (dense or sparse) kept at s's (coalesced) pattern: the gradient a sparse input
    gets, as torch's sparse_mask."""
    if grad.is_sparse:
        return grad
    indices = coalesced_indices(s)
    return from_parts(indices, values_at(grad, indices, s._shape[:s.sparse_dim()]), s._shape,
                      True)


class Values(Function):
    @staticmethod
    def forward(ctx, s):
        ctx.s = s.detach()
        return Tensor._alias(s._sparse_values, keep_graph=False)

    @staticmethod
    def backward(ctx, grad):
        s = ctx.s
        return from_parts(s._sparse_indices, grad, s._shape, s._coalesced)


def values_of(s: SparseCooTensor) -> Tensor:
    return Values.apply(s)


class Coalesce(Function):
    @staticmethod
    def forward(ctx, s):
        ctx.s = s.detach()
        indices, values, _ = merge_duplicates(s._sparse_indices, s._sparse_values,
                                              s._shape[:s.sparse_dim()])
        return SparseCooTensor._build(indices, values, s._shape, True)

    @staticmethod
    def backward(ctx, grad):
        return masked_gradient(ctx.s, grad)


def coalesce(s: SparseCooTensor) -> SparseCooTensor:
    """s with its index columns sorted and duplicates summed (s itself when it already is).

    Example:
        >>> s = ember.sparse_coo_tensor([[1, 0, 1]], [1.0, 2.0, 3.0], (2,))
        >>> s.coalesce()._values()
        tensor([2., 4.])
    """
    return s if s._coalesced else Coalesce.apply(s)


class ToDense(Function):
    @staticmethod
    def forward(ctx, s):
        ctx.s = s.detach()
        sparse_dim = s.sparse_dim()
        values = s._sparse_values
        flat = zeros((_count(s._shape[:sparse_dim]),) + s._shape[sparse_dim:], dtype=s._dtype,
                     device=s.device)
        flat.index_add_(0, flat_positions(s._sparse_indices, s._shape[:sparse_dim]), values)
        return flat.reshape(s._shape)

    @staticmethod
    def backward(ctx, grad):
        return masked_gradient(ctx.s, grad)


def _count(sizes: tuple) -> int:
    n = 1
    for size in sizes:
        n *= size
    return n


def to_dense(s: SparseCooTensor) -> Tensor:
    """The strided tensor s stands for (duplicates summed).

    Example:
        >>> ember.sparse_coo_tensor([[0, 0]], [1.0, 2.0], (2,)).to_dense()
        tensor([3., 0.])
    """
    return ToDense.apply(s)


class Transpose(Function):
    @staticmethod
    def forward(ctx, s, dim0, dim1):
        ctx.dims = (dim0, dim1)
        order = list(range(s.sparse_dim()))
        order[dim0], order[dim1] = dim1, dim0
        shape = list(s._shape)
        shape[dim0], shape[dim1] = shape[dim1], shape[dim0]
        rows = Tensor._alias(s._sparse_indices, keep_graph=False) if dim0 == dim1 else \
            s._sparse_indices.index_select(0, long_tensor(order, s.device))
        return SparseCooTensor._build(rows, s._sparse_values, tuple(shape),
                                      s._coalesced and dim0 == dim1)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(*ctx.dims), None, None


def transpose(s: SparseCooTensor, dim0: int, dim1: int) -> SparseCooTensor:
    """s with two sparse dims swapped (dense dims cannot be, as in torch)."""
    sparse_dim = s.sparse_dim()
    if dim0 >= sparse_dim or dim1 >= sparse_dim:
        raise RuntimeError(f"sparse transpose: transposed dimensions must be sparse Got "
                           f"sparse_dim: {sparse_dim}, d0: {dim0}, d1: {dim1}")
    return Transpose.apply(s, dim0, dim1)


class Move(Function):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, s, dtype, device):
        ctx.source = (s._dtype, s.device)
        return SparseCooTensor._build(s._sparse_indices.to(device),
                                      s._sparse_values.to(device, dtype), s._shape,
                                      s._coalesced)

    @staticmethod
    def backward(ctx, grad):
        dtype, device = ctx.source
        return grad.to(device, dtype), None, None


def move(s: SparseCooTensor, dtype, device) -> SparseCooTensor:
    """s with its values in dtype, on device."""
    return Move.apply(s, dtype, device)


class Clone(Function):
    @staticmethod
    def forward(ctx, s):
        return SparseCooTensor._build(s._sparse_indices.clone(), s._sparse_values.clone(),
                                      s._shape, s._coalesced)

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(s: SparseCooTensor) -> SparseCooTensor:
    return Clone.apply(s)


class Unsqueeze(Function):
    """A new dim of size 1: a sparse dim (a row of zero indices) at or before the last
    sparse dim, else a dense dim of the values."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, s, dim):
        ctx.dim = dim
        return _with_dim(s, dim)

    @staticmethod
    def backward(ctx, grad):
        if not grad.is_sparse:
            return grad.squeeze(ctx.dim), None
        return Squeeze.apply(grad, ctx.dim), None


class Squeeze(Function):
    """Unsqueeze's inverse, for the sparse gradients that reach it."""

    @staticmethod
    def forward(ctx, s, dim):
        ctx.dim = dim
        sparse_dim = s.sparse_dim()
        indices, values = s._sparse_indices, s._sparse_values
        if dim < sparse_dim:
            kept = [d for d in range(sparse_dim) if d != dim]
            indices = indices.index_select(0, long_tensor(kept, s.device))
        else:
            values = values.squeeze(dim - sparse_dim + 1)
        return SparseCooTensor._build(indices, values, s._shape[:dim] + s._shape[dim + 1:],
                                      s._coalesced)

    @staticmethod
    def backward(ctx, grad):
        return (unsqueeze(grad, ctx.dim) if grad.is_sparse else grad.unsqueeze(ctx.dim)), None


def _with_dim(s: SparseCooTensor, dim: int) -> SparseCooTensor:
    sparse_dim = s.sparse_dim()
    indices, values = s._sparse_indices, s._sparse_values
    if dim <= sparse_dim:
        zero_row = indices.new_zeros((1, indices._shape[1]))
        indices = cat([indices[:dim], zero_row, indices[dim:]], 0)
    else:
        values = values.unsqueeze(dim - sparse_dim + 1)
    # torch flags the result uncoalesced, though the order is kept
    return SparseCooTensor._build(indices, values, s._shape[:dim] + (1,) + s._shape[dim:], False)


def unsqueeze(s: SparseCooTensor, dim: int) -> SparseCooTensor:
    """s with a new dim of size 1 at dim (in [-s.dim() - 1, s.dim()]).

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 2]], [1.0, 2.0], (3,))
        >>> s.unsqueeze(0).shape
        ember.Size([1, 3])
    """
    ndim = s.dim() + 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return Unsqueeze.apply(s, dim % ndim)
