"""Index arithmetic shared by the sparse COO ops: row-major positions of index columns,
sorting and merging duplicates, and reading a gradient at given index columns."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..ops.creation import tensor, zeros
from ..ops.join import stack
from ..ops.sort import searchsorted, unique


def long_tensor(items: list, device) -> Tensor:
    return tensor(items, dtype=D.int64, device=device)


def flat_positions(indices: Tensor, sizes: tuple) -> Tensor:
    """Each index column's row-major position within the sparse dims of sizes (int64, (nnz,))."""
    if not sizes:
        return zeros(indices._shape[1], dtype=D.int64, device=indices.device)
    flat = indices[0]
    for k in range(1, len(sizes)):
        flat = flat * sizes[k] + indices[k]
    return flat


def unflatten_positions(flat: Tensor, sizes: tuple) -> Tensor:
    """The (len(sizes), n) index columns of row-major positions (flat_positions' inverse)."""
    if flat.numel() == 0 or not sizes:
        return zeros(len(sizes), flat.numel(), dtype=D.int64, device=flat.device)
    rows = []
    for size in reversed(sizes):
        rows.append(flat % size)
        flat = flat.div(size, rounding_mode="floor")
    return stack(rows[::-1])


def merge_duplicates(indices: Tensor, values: Tensor | None, sizes: tuple):
    """(sorted unique index columns, their summed values or None, each input column's place
    among them): what coalesce computes."""
    flat = flat_positions(indices, sizes)
    uniq, inverse = unique(flat, sorted=True, return_inverse=True)
    merged = None
    if values is not None:
        merged = zeros((uniq.numel(),) + values._shape[1:], dtype=values._dtype,
                       device=values.device).index_add_(0, inverse, values)
    return unflatten_positions(uniq, sizes), merged, inverse


def coalesced_indices(s) -> Tensor:
    """A sparse tensor's index columns, sorted and unique."""
    if s._coalesced:
        return s._sparse_indices
    return merge_duplicates(s._sparse_indices, None, s._shape[:s.sparse_dim()])[0]


def values_at(grad: Tensor, indices: Tensor, sizes: tuple) -> Tensor:
    """grad's slices (nnz, *dense dims) at the index columns indices over the sparse dims of
    sizes, where grad is dense or sparse (a position grad does not hold reads as zero).
    Differentiable in grad (dense) or in the sparse grad's values."""
    query = flat_positions(indices, sizes)
    if not grad.is_sparse:
        return grad.reshape((-1,) + grad._shape[len(sizes):]).index_select(0, query)
    if not grad._coalesced:
        grad = grad.coalesce()
    held = flat_positions(grad._sparse_indices, sizes)
    slice_shape = grad._shape[len(sizes):]
    if held.numel() == 0:
        return zeros((query.numel(),) + slice_shape, dtype=grad._dtype, device=grad.device)
    place = searchsorted(held, query).clamp(max=held.numel() - 1)
    missing = (held.index_select(0, place) != query).reshape((-1,) + (1,) * len(slice_shape))
    return grad._values().index_select(0, place).masked_fill(missing, 0)
