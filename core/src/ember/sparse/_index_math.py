"""Index arithmetic shared by the sparse COO ops: row-major positions of index columns,
sorting and merging duplicates, and reading a sparse or (broadcast) dense tensor at given
index columns."""

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
    if not grad.is_sparse:
        query = flat_positions(indices, sizes)
        return grad.reshape((-1,) + grad._shape[len(sizes):]).index_select(0, query)
    return stored_values_at(grad, indices)[0]


def stored_values_at(s, indices: Tensor) -> tuple[Tensor, Tensor]:
    """(s's coalesced slices at the index columns indices, zero where s holds none; a bool
    (nnz,) of where it holds one). Differentiable in s's values."""
    sizes = s._shape[:s.sparse_dim()]
    query = flat_positions(indices, sizes)
    if not s._coalesced:
        s = s.coalesce()
    held = flat_positions(s._sparse_indices, sizes)
    slice_shape = s._shape[len(sizes):]
    if held.numel() == 0:
        return (zeros((query.numel(),) + slice_shape, dtype=s._dtype, device=s.device),
                zeros(query.numel(), dtype=D.bool_, device=s.device))
    place = searchsorted(held, query).clamp(max=held.numel() - 1)
    found = held.index_select(0, place) == query
    missing = (~found).reshape((-1,) + (1,) * len(slice_shape))
    return s._values().index_select(0, place).masked_fill(missing, 0), found


def dense_at(dense: Tensor, indices: Tensor, shape: tuple) -> Tensor:
    """The slices of a dense tensor broadcast to shape at the index columns indices over
    shape's leading (sparse) dims: (nnz, *what dense has of the trailing dims), without
    materialising the broadcast. Differentiable in dense."""
    sparse_dim = indices._shape[0]
    dense = dense.reshape((1,) * (len(shape) - dense.dim()) + tuple(dense._shape))
    sizes = dense._shape[:sparse_dim]
    # a broadcast (size 1) dim reads its one element whatever the index
    rows = [indices[k] if sizes[k] != 1 else None for k in range(sparse_dim)]
    flat = None
    for k, row in enumerate(rows):
        if flat is not None:
            flat = flat * sizes[k]
        if row is not None:
            flat = row if flat is None else flat + row
    if flat is None:
        flat = zeros(indices._shape[1], dtype=D.int64, device=indices.device)
    return dense.reshape((-1,) + dense._shape[sparse_dim:]).index_select(0, flat)
