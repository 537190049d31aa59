"""Row lookups whose weight gradient is a sparse COO tensor: F.embedding and
F.embedding_bag with sparse=True."""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import Function
from ..ops.index import nonzero
from ._structure import from_parts


class SparseRowLookup(Function):
    """weight's rows at flat (int64, (n,)); the weight's gradient holds one row of values per
    looked-up index, in lookup order and uncoalesced, without the padding_idx lookups."""

    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, flat, padding_idx, scale_grad_by_freq):
        ctx.flat, ctx.padding_idx, ctx.shape = flat, padding_idx, weight._shape
        ctx.scale_grad_by_freq = scale_grad_by_freq
        return weight.index_select(0, flat)

    @staticmethod
    def backward(ctx, grad):
        if ctx.scale_grad_by_freq:
            raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with "
                               "sparse gradients")
        flat = ctx.flat
        if ctx.padding_idx is not None:
            kept = nonzero(flat != ctx.padding_idx).reshape(-1)
            flat, grad = flat.index_select(0, kept), grad.index_select(0, kept)
        return from_parts(flat.unsqueeze(0), grad, ctx.shape, False), None, None, None


def sparse_row_lookup(weight: Tensor, flat: Tensor, padding_idx: int | None = None,
                      scale_grad_by_freq: bool = False) -> Tensor:
    """weight.index_select(0, flat) whose gradient for weight is sparse (see SparseRowLookup);
    padding_idx is a non-negative row number or None."""
    return SparseRowLookup.apply(weight, flat, padding_idx, scale_grad_by_freq)
