"""ember.sparse.softmax and log_softmax: softmax along a dim over the stored elements only
(the unstored ones count as -inf, so they stay zero), as torch.sparse's."""

from __future__ import annotations

from .._sparse_coo_tensor import SparseCooTensor
from .._tensor import Tensor
from ..ops._util import wrap_dim
from ..ops.creation import zeros
from ..ops.index import index_reduce
from ._index_math import flat_positions, long_tensor
from ._structure import coalesce, from_parts, values_of


def _shifted_and_total(values: Tensor, groups: Tensor, count: int) -> tuple[Tensor, Tensor]:
    """(values minus their group's max, each element's group sum of exp of that): the
    max is a constant shift that keeps exp finite, so it carries no gradient."""
    slice_shape = values._shape[1:]
    peak = index_reduce(zeros((count,) + slice_shape, dtype=values._dtype, device=values.device),
                        0, groups, values.detach(), "amax", include_self=False)
    shifted = values - peak.index_select(0, groups)
    totals = zeros((count,) + slice_shape, dtype=values._dtype,
                   device=values.device).index_add(0, groups, shifted.exp())
    return shifted, totals.index_select(0, groups)


def _normalized(input: SparseCooTensor, dim: int, dtype, log: bool) -> SparseCooTensor:
    name = "log_softmax" if log else "softmax"
    if not isinstance(input, Tensor) or not input.is_sparse:
        raise NotImplementedError(f"ember.sparse.{name} expects a sparse COO tensor; use "
                                  f"ember.{name} for a dense one")
    dim = wrap_dim(dim, input.dim())
    if dtype is not None and dtype is not input._dtype:
        input = input.to(dtype)
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for {input._dtype}')
    c = coalesce(input)
    values = values_of(c)
    sparse_dim = c.sparse_dim()
    if dim >= sparse_dim:  # along a dense dim: within each stored slice
        dense_dim = dim - sparse_dim + 1
        out = values.log_softmax(dense_dim) if log else values.softmax(dense_dim)
        return from_parts(c._sparse_indices, out, c._shape, True)
    # the stored elements that differ only in index dim share a softmax
    others = [d for d in range(sparse_dim) if d != dim]
    sizes = tuple(c._shape[d] for d in others)
    rows = c._sparse_indices.index_select(0, long_tensor(others, c.device))
    groups = flat_positions(rows, sizes)
    count = 1
    for size in sizes:
        count *= size
    shifted, totals = _shifted_and_total(values, groups, count)
    out = shifted - totals.log() if log else shifted.exp() / totals
    return from_parts(c._sparse_indices, out, c._shape, True)


def softmax(input: SparseCooTensor, dim: int, *, dtype=None) -> SparseCooTensor:
    """Softmax along dim over the stored elements of a sparse tensor (coalesced first); the
    result is sparse with the same pattern.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 0, 1], [0, 2, 1]], [1.0, 1.0, 5.0], (2, 3))
        >>> ember.sparse.softmax(s, 1)._values()
        tensor([0.5000, 0.5000, 1.0000])
    """
    return _normalized(input, dim, dtype, log=False)


def log_softmax(input: SparseCooTensor, dim: int, *, dtype=None) -> SparseCooTensor:
    """The log of ember.sparse.softmax, computed stably.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1]], [2.0, 2.0], (3,))
        >>> ember.sparse.log_softmax(s, 0)._values()
        tensor([-0.6931, -0.6931])
    """
    return _normalized(input, dim, dtype, log=True)
