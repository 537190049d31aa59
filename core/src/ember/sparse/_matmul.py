"""Products with 2-d sparse COO matrices: ember.sparse.mm / addmm (whose gradient for the
sparse operand keeps its pattern), the sparse cases of ember.mm, matmul and addmm (whose
gradient for a sparse operand beside a dense one is dense, as torch's), and the product of
two sparse matrices, itself sparse."""

from __future__ import annotations

from .. import _dtype as D
from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops._util import pretty_dtype
from ..ops.creation import arange, ones, zeros
from ..ops.join import repeat_interleave, stack
from ..ops.reduce import cumsum
from ._index_math import coalesced_indices, merge_duplicates
from ._structure import coalesce, from_parts, values_of


class SparseAddmm(Function):
    """sparse @ dense: each stored value scales a row of the dense operand into its output row."""

    node_name = "SparseAddmmBackward0"

    @staticmethod
    def forward(ctx, s, dense, masked_grad):
        ctx.s, ctx.masked_grad = s, masked_grad
        ctx.save_for_backward(dense)
        rows, cols = s._sparse_indices[0], s._sparse_indices[1]
        out = zeros(s._shape[0], dense._shape[1], dtype=dense._dtype, device=dense.device)
        return out.index_add_(0, rows, dense.index_select(0, cols) * s._sparse_values.unsqueeze(1))

    @staticmethod
    def backward(ctx, grad):
        (dense,) = ctx.saved_tensors
        s = ctx.s
        grad_s = grad_dense = None
        if ctx.needs_input_grad[1]:
            grad_dense = SparseAddmm.apply(s.t(), grad, ctx.masked_grad)
        if ctx.needs_input_grad[0]:
            if ctx.masked_grad:
                # (grad @ dense.T) at the stored positions only: one row dot product each
                indices = coalesced_indices(s)
                values = (grad.index_select(0, indices[0]) *
                          dense.index_select(0, indices[1])).sum(1)
                grad_s = from_parts(indices, values, s._shape, True)
            else:
                grad_s = grad.mm(dense.t())
        return grad_s, grad_dense, None


def _pairwise_product(a: SparseCooTensor, b: SparseCooTensor) -> SparseCooTensor:
    """a @ b for two 2-d sparse matrices: every stored (i, k) of a meets every stored (k, j)
    of b, and the products add up at (i, j); coalesced. Differentiable in both operands'
    values, which gives each a gradient at its own pattern."""
    a, b = coalesce(a), coalesce(b)
    a_rows, a_cols = a._sparse_indices[0], a._sparse_indices[1]
    b_rows, b_cols = b._sparse_indices[0], b._sparse_indices[1]
    device = a.device
    # b is coalesced, so sorted by row: row k's entries start at first[k], count[k] of them
    count = zeros(b._shape[0], dtype=D.int64, device=device).index_add_(
        0, b_rows, ones(b_rows.numel(), dtype=D.int64, device=device))
    first = cumsum(count, 0) - count
    matches = count.index_select(0, a_cols)
    a_pick = repeat_interleave(arange(a_cols.numel(), device=device), matches)
    # each pair's rank among its a entry's matches, counted from the start of its run
    run_start = (cumsum(matches, 0) - matches).index_select(0, a_pick)
    rank = arange(a_pick.numel(), device=device) - run_start
    b_pick = first.index_select(0, a_cols.index_select(0, a_pick)) + rank
    products = values_of(a).index_select(0, a_pick) * values_of(b).index_select(0, b_pick)
    pairs = stack([a_rows.index_select(0, a_pick), b_cols.index_select(0, b_pick)])
    shape = (a._shape[0], b._shape[1])
    indices, _, place = merge_duplicates(pairs, None, shape)
    values = zeros(indices._shape[1], dtype=products._dtype, device=device).index_add(
        0, place, products)
    return from_parts(indices, values, shape, True)


class SparseSparseMm(Function):
    """ember.mm / matmul of two sparse matrices, whose gradients are the full products
    grad @ b.T and a.T @ grad (sparse, not kept to the operands' patterns), as torch's."""

    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a.detach(), b.detach()
        return _pairwise_product(a, b)

    @staticmethod
    def backward(ctx, grad):
        if not grad.is_sparse:
            grad = grad.to_sparse()
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = SparseSparseMm.apply(grad, ctx.b.t())
        if ctx.needs_input_grad[1]:
            grad_b = SparseSparseMm.apply(ctx.a.t(), grad)
        return grad_a, grad_b


def sparse_sparse_mm(a: SparseCooTensor, b: SparseCooTensor,
                     masked_grad: bool) -> SparseCooTensor:
    """a @ b for two 2-d sparse matrices, sparse and coalesced; masked_grad keeps each
    operand's gradient to its own pattern (ember.sparse.mm), else it is the full product."""
    for name, m in (("mat1", a), ("mat2", b)):
        if m.dim() != 2 or m.dense_dim():
            raise RuntimeError(f"{name} must be a 2-d matrix with 2 sparse dims, got "
                               f"{m.dim()}-d with {m.sparse_dim()} sparse dims")
    if a._shape[1] != b._shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a._shape[0]}x"
                           f"{a._shape[1]} and {b._shape[0]}x{b._shape[1]})")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"mat1 dtype {pretty_dtype(a._dtype)} does not match mat2 dtype "
                           f"{pretty_dtype(b._dtype)}")
    if a.device != b.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a.device} and {b.device}!")
    return _pairwise_product(a, b) if masked_grad else SparseSparseMm.apply(a, b)


def _check_operands(s: SparseCooTensor, dense: Tensor) -> None:
    if not isinstance(dense, Tensor):
        raise unsupported(f"A product of a sparse tensor and a {type(dense).__name__}")
    if s.dim() != 2 or s.dense_dim():
        raise RuntimeError(f"addmm: the sparse operand must be a 2-d matrix with 2 sparse dims, "
                           f"got {s.dim()}-d with {s.sparse_dim()} sparse dims")
    if dense.dim() != 2:
        raise RuntimeError(f"addmm: matrices expected, got {dense.dim()}D tensor")
    if s._shape[1] != dense._shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {s._shape[1]}, got "
                           f"{dense._shape[0]}")
    if s._dtype is not dense._dtype:
        raise RuntimeError(f"expected scalar type {s._dtype} but found {dense._dtype}")
    if s.device != dense.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {s.device} and {dense.device}!")


def _product(s: SparseCooTensor, dense: Tensor, masked_grad: bool) -> Tensor:
    _check_operands(s, dense)
    return SparseAddmm.apply(s, dense, masked_grad)


def mm(mat1: SparseCooTensor, mat2: Tensor) -> Tensor:
    """A sparse (m, k) matrix times a dense (k, n) one; the gradient for mat1 is sparse, at
    mat1's pattern.

    Example:
        >>> adj = ember.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
        >>> ember.sparse.mm(adj, ember.ones(2, 3))
        tensor([[1., 1., 1.],
                [2., 2., 2.]])
    """
    if not mat1.is_sparse:
        raise unsupported("ember.sparse.mm with a dense first operand")
    if isinstance(mat2, Tensor) and mat2.is_sparse:
        return sparse_sparse_mm(mat1, mat2, True)
    return _product(mat1, mat2, True)


def addmm(mat: Tensor, mat1: SparseCooTensor, mat2: Tensor, *, beta: float = 1.0,
          alpha: float = 1.0) -> Tensor:
    """beta * mat + alpha * (mat1 @ mat2) for a sparse mat1 (its gradient sparse, as mm's).

    Example:
        >>> adj = ember.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
        >>> ember.sparse.addmm(ember.ones(2, 1), adj, ember.ones(2, 1), beta=0.5)
        tensor([[1.5000],
                [2.5000]])
    """
    return _scaled_sum(mat, mm(mat1, mat2), beta, alpha)


def _scaled_sum(mat: Tensor, product: Tensor, beta, alpha) -> Tensor:
    if alpha != 1:
        product = product * alpha
    if beta == 0:  # torch ignores mat then, NaN included
        return product
    return (mat if beta == 1 else mat * beta) + product


def matmul_with_sparse(a: Tensor, b: Tensor) -> Tensor:
    """ember.matmul / mm / @ where an operand is sparse: a 2-d sparse matrix times a dense
    matrix or vector, or a dense matrix times a 2-d sparse one."""
    if a.is_sparse and b.is_sparse:
        return sparse_sparse_mm(a, b, False)
    if a.is_sparse:
        if isinstance(b, Tensor) and b.dim() == 1:
            return _product(a, b.unsqueeze(1), False).squeeze(1)
        return _product(a, b, False)
    if a.dim() != 2:
        raise unsupported(f"matmul of a {a.dim()}-d dense tensor with a sparse one")
    # a @ b == (b.T @ a.T).T, which puts the sparse operand first
    return _product(b.t(), a.t(), False).t()
