"""Products of a 2-d sparse COO matrix with a dense one: ember.sparse.mm / addmm (whose
gradient for the sparse operand keeps its pattern) and the sparse cases of ember.mm,
matmul and addmm (whose gradient for it is dense, as torch's)."""

from __future__ import annotations

from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops.creation import zeros
from ._index_math import coalesced_indices
from ._structure import from_parts


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


def _check_operands(s: SparseCooTensor, dense: Tensor) -> None:
    if not isinstance(dense, Tensor) or dense.is_sparse:
        raise unsupported("A product of two sparse tensors")
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
        raise unsupported("A product of two sparse tensors")
    if a.is_sparse:
        if isinstance(b, Tensor) and b.dim() == 1:
            return _product(a, b.unsqueeze(1), False).squeeze(1)
        return _product(a, b, False)
    if a.dim() != 2:
        raise unsupported(f"matmul of a {a.dim()}-d dense tensor with a sparse one")
    # a @ b == (b.T @ a.T).T, which puts the sparse operand first
    return _product(b.t(), a.t(), False).t()
