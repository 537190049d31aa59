"""Sparse COO tensors (``layout=ember.sparse_coo``): an ``ember.Tensor`` that holds an int64
``indices`` tensor of shape (sparse_dim, nnz) and a ``values`` tensor of shape
(nnz, *dense dims) instead of strided memory.

Such a tensor has no strided memory to read: its ``_storage`` is a placeholder that knows
the device and refuses every other access, and its strides and offset refuse to be read,
so a dense op without a sparse form raises a clear error rather than computing on memory
that is not there. The ops that do have a sparse form are the methods below; they compute
in ``ember.sparse`` through ember's own tensor ops, on the CPU and CUDA alike.
"""

from __future__ import annotations

from ._layouts import sparse_coo
from ._tensor import Tensor
from .autograd.grad_mode import STATE

SUPPORTED = ("to_dense, coalesce, indices/values, t/transpose of sparse dims, unsqueeze, "
             "the elementwise functions that keep zero at zero (neg, abs, sin, sqrt, relu, "
             "pow by a nonzero number...), mul by a number, a dense or a sparse tensor, div "
             "by a number, add/sub, sum, ember.sparse.sum/softmax/log_softmax, "
             "mm/matmul/addmm, to/cuda/cpu/float/double, clone, detach, zero_")


def unsupported(what: str) -> NotImplementedError:
    """The error every dense-only operation on a sparse COO tensor raises."""
    return NotImplementedError(f"{what} is not supported for sparse COO tensors; supported: "
                               f"{SUPPORTED}; call .to_dense() first")


class SparseStorage:
    """A sparse tensor's ``_storage``: its device, and a version counter autograd checks
    saved tensors against; reading anything else (the memory a dense kernel would use)
    raises."""

    __slots__ = ("device", "version")
    inference = False

    def __init__(self, device):
        self.device = device
        self.version = 0

    def __getattr__(self, name: str):
        raise unsupported(f"A dense tensor operation (it read the storage's {name!r})")


def _no_strided_layout(self):
    raise unsupported("A strided view or dense kernel (it read the strides or offset)")


class SparseCooTensor(Tensor):
    """A sparse COO tensor; make one with ``ember.sparse_coo_tensor`` or ``Tensor.to_sparse``.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1], [1, 0]], [2.0, 3.0], (2, 2))
        >>> s.to_dense()
        tensor([[0., 2.],
                [3., 0.]])
    """

    __slots__ = ("_sparse_indices", "_sparse_values", "_coalesced")

    # a view or kernel reading these would make a strided tensor over nothing
    _stride = property(_no_strided_layout)
    _offset = property(_no_strided_layout)

    @staticmethod
    def _build(indices: Tensor, values: Tensor, shape: tuple, coalesced: bool) -> SparseCooTensor:
        """The tensor over these parts, as they are (no checks, no autograd)."""
        t = object.__new__(SparseCooTensor)
        t._storage = SparseStorage(values._storage.device)
        t._shape, t._dtype = tuple(shape), values._dtype
        t._requires_grad, t._grad_fn, t._base = False, None, None
        t._sparse_indices, t._sparse_values, t._coalesced = indices, values, coalesced
        return t

    def __init__(self, *args, **kwargs):
        raise TypeError("make a sparse COO tensor with ember.sparse_coo_tensor(indices, values, "
                        "size) or Tensor.to_sparse()")

    # ---- layout and parts ---------------------------------------------------------
    layout = property(lambda self: sparse_coo)
    is_sparse = property(lambda self: True)

    def sparse_dim(self) -> int:
        return self._sparse_indices._shape[0]

    def dense_dim(self) -> int:
        return len(self._shape) - self._sparse_indices._shape[0]

    def _nnz(self) -> int:
        return self._sparse_indices._shape[1]

    def is_coalesced(self) -> bool:
        return self._coalesced

    def _indices(self) -> Tensor:
        return Tensor._alias(self._sparse_indices, keep_graph=False)

    def _values(self) -> Tensor:
        from .sparse._structure import values_of
        return values_of(self)

    def indices(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._indices()

    def values(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._values()

    def _coalesced_(self, coalesced: bool) -> SparseCooTensor:
        self._coalesced = bool(coalesced)
        return self

    def zero_(self) -> SparseCooTensor:
        """Drops every stored element (nnz becomes 0), as torch's sparse zero_."""
        indices, values = self._sparse_indices, self._sparse_values
        self._sparse_indices = indices.new_zeros((indices._shape[0], 0))
        self._sparse_values = values.new_zeros((0,) + values._shape[1:])
        self._coalesced = True
        self._storage.version += 1
        return self

    # ---- conversions ----------------------------------------------------------------
    def coalesce(self) -> SparseCooTensor:
        from .sparse._structure import coalesce
        return coalesce(self)

    def to_dense(self, dtype=None, *, masked_grad: bool = True) -> Tensor:
        if dtype is not None:
            raise RuntimeError("dtype argument is not supported by sparse_to_dense")
        from .sparse._structure import to_dense
        return to_dense(self)

    def to_sparse(self, sparse_dim: int | None = None, **kwargs) -> SparseCooTensor:
        if sparse_dim is not None and sparse_dim != self.sparse_dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim "
                               "argument !=self.sparse_dim() is not supported")
        return self

    to_sparse_coo = to_sparse

    def to(self, *args, **kwargs) -> SparseCooTensor:
        from ._tensor_methods import _parse_to
        from ._device import as_device
        from .sparse._structure import move
        dtype, device, _, copy = _parse_to(args, dict(kwargs))
        dtype = dtype or self._dtype
        device = as_device(device) if device is not None else self.device
        if dtype is self._dtype and device == self.device and not copy:
            return self
        return move(self, dtype, device)

    def cpu(self, memory_format=None) -> SparseCooTensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None):
        return self.to("cuda" if device is None else device)

    def float(self, memory_format=None) -> SparseCooTensor:
        from ._dtype import float32
        return self.to(float32)

    def double(self, memory_format=None) -> SparseCooTensor:
        from ._dtype import float64
        return self.to(float64)

    def clone(self, *, memory_format=None) -> SparseCooTensor:
        from .sparse._structure import clone
        return clone(self)

    def detach(self) -> SparseCooTensor:
        return SparseCooTensor._build(self._sparse_indices, self._sparse_values, self._shape,
                                      self._coalesced)

    @property
    def data(self) -> SparseCooTensor:
        return self.detach()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        prev, STATE.enabled = STATE.enabled, False
        try:
            new = self.clone()
            new._requires_grad = self._requires_grad
            if self._grad is not None:
                new._grad = self._grad.clone()
        finally:
            STATE.enabled = prev
        memo[id(self)] = new
        return new

    # ---- arithmetic -------------------------------------------------------------------
    def t(self) -> SparseCooTensor:
        if self.sparse_dim() > 2 or self.dense_dim():
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {self.sparse_dim()} sparse and {self.dense_dim()} "
                               "dense dimensions")
        return self if self.dim() < 2 else self.transpose(0, 1)

    T = mT = property(t)

    def transpose(self, dim0: int, dim1: int) -> SparseCooTensor:
        from .sparse._structure import transpose
        return transpose(self, self._wrap_dim(dim0), self._wrap_dim(dim1))

    swapaxes = swapdims = transpose

    def neg(self) -> SparseCooTensor:
        from .sparse._arithmetic import scale
        return scale(self, -1, "neg")

    __neg__ = negative = neg

    def mul(self, other) -> SparseCooTensor:
        from .sparse._arithmetic import mul
        return mul(self, other)

    __mul__ = __rmul__ = multiply = mul

    def div(self, other, *, rounding_mode=None) -> SparseCooTensor:
        from .sparse._arithmetic import div
        return div(self, other, rounding_mode)

    __truediv__ = divide = true_divide = div

    def floor_divide(self, other) -> SparseCooTensor:
        from .sparse._arithmetic import div
        return div(self, other, "floor")

    __floordiv__ = floor_divide

    def add(self, other, *, alpha=1):
        from .sparse._arithmetic import add
        return add(self, other, alpha)

    __add__ = add

    def __radd__(self, other):
        from .sparse._arithmetic import add
        return add(other, self, 1)

    def sub(self, other, *, alpha=1):
        from .sparse._arithmetic import add
        return add(self, other, -alpha)

    __sub__ = subtract = sub

    def __rsub__(self, other):
        from .sparse._arithmetic import add
        return add(other, self, -1)

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None):
        from .sparse._arithmetic import sum_keepdim
        return sum_keepdim(self, dim, keepdim, dtype)

    def unsqueeze(self, dim: int) -> SparseCooTensor:
        from .sparse._structure import unsqueeze
        return unsqueeze(self, dim)

    def mm(self, mat2: Tensor) -> Tensor:
        from .ops.linalg import mm
        return mm(self, mat2)

    def matmul(self, other: Tensor) -> Tensor:
        from .ops.linalg import matmul
        return matmul(self, other)

    __matmul__ = matmul

    def __rmatmul__(self, other: Tensor) -> Tensor:
        from .ops.linalg import matmul
        return matmul(other, self)

    # ---- what a sparse tensor does not have -----------------------------------------------
    def stride(self, dim: int | None = None):
        # torch reports zeros: there is no memory to step through
        if dim is not None:
            self._wrap_dim(dim)
            return 0
        return (0,) * self.dim()

    def storage_offset(self) -> int:
        return 0

    def is_contiguous(self, memory_format=None) -> bool:
        return False

    def contiguous(self, memory_format=None):
        raise RuntimeError("unsupported memory format option Contiguous: sparse COO tensors "
                           "have no strided layout; call .to_dense() first")

    def view(self, *shape):
        raise unsupported("view")

    def reshape(self, *shape):
        raise RuntimeError("reshape is not implemented for sparse tensors")

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        raise RuntimeError("reshape is not implemented for sparse tensors")

    def expand(self, *sizes):
        raise RuntimeError("expand is unsupported for Sparse tensors")

    @property
    def nbytes(self) -> int:
        raise RuntimeError("nbytes is not defined for sparse tensors: add the nbytes of the "
                           "indices and values instead")

    def data_ptr(self) -> int:
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    def untyped_storage(self):
        raise NotImplementedError("Cannot access storage of a sparse COO tensor")

    storage = untyped_storage

    def numpy(self, *, force: bool = False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")

    def __array__(self, dtype=None, copy=None):
        return self.numpy()

    def tolist(self):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage; "
                           "call .to_dense() first")

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self.detach().to_dense().item()

    def __getitem__(self, index):
        raise unsupported("Indexing")

    def __setitem__(self, index, value):
        raise TypeError("Cannot assign to a sparse tensor")

    def __repr__(self, *, tensor_contents=None) -> str:
        from .sparse._printing import sparse_repr
        return sparse_repr(self)

    __str__ = __repr__


_INPLACE_OPERATORS = ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
                      "__imod__", "__ipow__", "__imatmul__", "__iand__", "__ior__", "__ixor__",
                      "__ilshift__", "__irshift__")
_KEPT_INPLACE = ("requires_grad_", "detach_")


def _refusing(name: str):
    def refuse(self, *args, **kwargs):
        raise unsupported(f"In-place {name}")
    refuse.__name__ = name
    return refuse


def refuse_inplace_methods() -> None:
    """Makes every in-place method of Tensor (bound once ember.ops is) raise on a sparse
    tensor: the dense kernels behind them would write into memory it does not have."""
    for name in dir(Tensor):
        inplace = name.endswith("_") and not name.startswith("_") and name not in _KEPT_INPLACE
        if (inplace or name in _INPLACE_OPERATORS) and name not in SparseCooTensor.__dict__:
            setattr(SparseCooTensor, name, _refusing(name))
