"""Making sparse COO tensors: ember.sparse_coo_tensor and Tensor.to_sparse."""

from __future__ import annotations

from .. import _dtype as D
from .._device import as_device
from .._layouts import sparse_coo
from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ..ops.creation import tensor
from ..ops.index import nonzero
from ._index_math import flat_positions
from ._structure import from_parts


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
                      pin_memory: bool = False, requires_grad: bool = False,
                      check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseCooTensor:
    """A sparse COO tensor with values[i] at the index column indices[:, i]; size defaults
    to the smallest that holds every index. Duplicate columns add up (see coalesce).

    Unlike torch, the indices are always checked against size (negative or too large ones
    raise), whatever check_invariants says: an index past the end would otherwise be read
    as some other element.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
        >>> s.to_dense()
        tensor([[0., 0., 3.],
                [4., 0., 5.]])
    """
    if pin_memory:
        raise unsupported("pin_memory")
    if not isinstance(values, Tensor):
        values = tensor(values, dtype=dtype, device=device)
    elif dtype is not None and dtype is not values._dtype:
        values = values.to(dtype)
    if device is not None and as_device(device) != values.device:
        values = values.to(as_device(device))
    if not isinstance(indices, Tensor):
        indices = tensor(indices, dtype=D.int64, device=values.device)
    indices = indices.detach().to(values.device, D.int64)
    if indices.dim() != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(indices._shape)}")
    if values.dim() == 0:
        raise RuntimeError("values must have at least one dim (nnz), but got a 0-d tensor")
    sparse_dim, nnz = indices._shape
    if values._shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {values._shape[0]}")
    shape = _checked_shape(indices, values, size)
    coalesced = bool(is_coalesced)
    if coalesced and nnz > 1:
        flat = flat_positions(indices, shape[:sparse_dim])
        if not bool((flat[1:] > flat[:-1]).all()):
            raise RuntimeError("is_coalesced=True, but the indices are not sorted and unique")
    if values._requires_grad and STATE.enabled:
        out = from_parts(indices, values, shape, coalesced)
    else:
        out = SparseCooTensor._build(indices, values.detach(), shape, coalesced)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _checked_shape(indices: Tensor, values: Tensor, size) -> tuple:
    """size, checked against the indices and values, or the one they imply."""
    sparse_dim, nnz = indices._shape
    low = high = [0] * sparse_dim
    if nnz:
        low, high = indices.amin(1).tolist(), indices.amax(1).tolist()
    for dim, lowest in enumerate(low):
        if lowest < 0:
            raise RuntimeError(f"found negative index {lowest} for dim {dim}")
    if size is None:
        return tuple(h + 1 if nnz else 0 for h in high) + values._shape[1:]
    shape = tuple(size)
    if len(shape) != sparse_dim + values.dim() - 1:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = "
                           f"{len(shape)}, sparse_dim = {sparse_dim}, dense_dim = "
                           f"{values.dim() - 1}")
    if shape[sparse_dim:] != values._shape[1:]:
        raise RuntimeError(f"values has incorrect size, expected {[nnz, *shape[sparse_dim:]]}, "
                           f"got {list(values._shape)}")
    if nnz:
        for dim, (highest, length) in enumerate(zip(high, shape)):
            if highest >= length:
                raise RuntimeError(f"size is inconsistent with indices: for dim {dim}, size is "
                                   f"{length} but found index {highest}")
    return shape


class ToSparse(Function):
    node_name = "ToSparseBackward0"

    @staticmethod
    def forward(ctx, x, sparse_dim):
        shape = x._shape
        if sparse_dim == len(shape):
            present = x != 0
        else:
            present = (x != 0).reshape(shape[:sparse_dim] + (-1,)).any(-1)
        if sparse_dim == 0:
            indices = nonzero(present.reshape(1)).t()[:0]
        else:
            indices = nonzero(present).t().contiguous()
        flat = flat_positions(indices, shape[:sparse_dim])
        values = x.reshape((-1,) + shape[sparse_dim:]).index_select(0, flat)
        return SparseCooTensor._build(indices, values, shape, True)

    @staticmethod
    def backward(ctx, grad):
        return (grad.to_dense() if grad.is_sparse else grad), None


def to_sparse(x: Tensor, sparse_dim: int | None = None, *, layout=None, blocksize=None,
              dense_dim=None) -> SparseCooTensor:
    """The nonzero elements of a dense tensor as a sparse COO tensor; with sparse_dim, only
    the leading sparse_dim dims are sparse and each stored value is a dense slice (kept
    where any of its elements is nonzero).

    Example:
        >>> ember.tensor([[0.0, 2.0], [3.0, 0.0]]).to_sparse()._values()
        tensor([2., 3.])
    """
    if layout not in (None, sparse_coo) or blocksize is not None or dense_dim is not None:
        raise unsupported("to_sparse to a layout other than sparse_coo")
    ndim = x.dim()
    if sparse_dim is None:
        sparse_dim = ndim
    if not 0 <= sparse_dim <= ndim:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{ndim}] range, "
                           f"but {sparse_dim} is given")
    if sparse_dim == 0 and ndim > 0:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when "
                           "self.dim()>0")
    return ToSparse.apply(x, sparse_dim)
