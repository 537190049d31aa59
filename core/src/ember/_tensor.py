"""The Tensor: a strided view (shape, strides, offset) of a Storage, plus autograd state.

Ops live in ember.ops and are bound as methods in _tensor_methods.py; this file
holds the data model: metadata, conversion, autograd bookkeeping and Python
protocol methods.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from . import _dtype as D
from ._device import CPU
from ._layouts import strided
from .autograd.function import AccumulateGrad, _RemovableHandle
from .autograd.grad_mode import STATE
from .backends import cpu as backend
from .backends import cuda as cuda_backend  # no CuPy import until a CUDA tensor is made


def contiguous_strides(shape: tuple) -> tuple:
    hit = _STRIDES.get(shape)
    if hit is not None:
        return hit
    strides = []
    acc = 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    result = tuple(reversed(strides))
    if len(_STRIDES) < 4096:
        _STRIDES[shape] = result
    return result


_STRIDES: dict = {}


_numel = math.prod  # number of elements of a shape (1 for ())


class Size(tuple):
    """A tensor's shape: a tuple of ints, as ``torch.Size``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        return _numel(self)

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """A multi-dimensional array with autograd, as ``torch.Tensor``.

    Example:
        >>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> (x @ x).sum().backward()
        >>> x.grad
        tensor([[ 7., 11.],
                [ 9., 13.]])
    """

    __slots__ = ("_storage", "_shape", "_stride", "_offset", "_dtype", "_requires_grad",
                 "_grad_fn", "_base", "__weakref__", "__dict__")

    __array_priority__ = 1000  # NumPy defers binary operators to us

    # Rarely set autograd state lives in the instance dict, defaulting to these, so
    # that making a tensor (once per op) sets only the fields every tensor needs.
    _output_nr = 0
    _grad = None
    _grad_acc = None
    _retains_grad = False

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._requires_grad = False
        self._grad_fn = None
        self._base = None
        return self

    def __init__(self, *args, **kwargs):
        if not args and not kwargs:
            self._init_from(_empty((0,), D.get_default_dtype()))
            return
        if len(args) == 1 and not isinstance(args[0], int):
            from .ops.creation import tensor
            self._init_from(tensor(args[0], dtype=D.get_default_dtype()))
            return
        self._init_from(_empty(tuple(args), D.get_default_dtype()))

    def _init_from(self, other: Tensor) -> None:
        self._storage, self._shape, self._stride = other._storage, other._shape, other._stride
        self._offset, self._dtype = other._offset, other._dtype

    # ---- construction ---------------------------------------------------------
    @staticmethod
    def _make(storage, shape: tuple, stride: tuple, offset: int, dtype, cls=None) -> Tensor:
        t = object.__new__(cls or Tensor)
        t._storage, t._shape, t._stride, t._offset, t._dtype = storage, shape, stride, offset, dtype
        t._requires_grad = False
        t._grad_fn = None
        t._base = None
        return t

    @staticmethod
    def _alias(t: Tensor, keep_graph: bool = True) -> Tensor:
        """A new tensor object over the same memory; with keep_graph its grad state too."""
        a = Tensor._make(t._storage, t._shape, t._stride, t._offset, t._dtype)
        a._base = t._base if t._base is not None else t
        if keep_graph:
            a._requires_grad, a._grad_fn, a._output_nr = t._requires_grad, t._grad_fn, t._output_nr
        return a

    # ---- metadata -------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._shape)
        return self._shape[self._wrap_dim(dim)]

    def stride(self, dim: int | None = None):
        if dim is None:
            return self._stride
        return self._stride[self._wrap_dim(dim)]

    def storage_offset(self) -> int:
        return self._offset

    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._storage.device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    # layouts and devices ember has none of: read-only False, as torch's properties
    is_sparse = is_sparse_csr = is_quantized = is_meta = is_mkldnn = is_nested = property(
        lambda self: False)
    is_xpu = is_mps = is_mtia = is_ipu = is_maia = is_vulkan = is_xla = property(
        lambda self: False)
    is_complex_ = False

    def is_complex(self) -> bool:
        return self._dtype.is_complex

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def is_signed(self) -> bool:
        return self._dtype.is_signed

    @property
    def layout(self):
        return strided

    def to_dense(self, dtype=None, *, masked_grad: bool = True) -> Tensor:
        """This tensor itself (every ember tensor is strided, already dense), or a copy in
        dtype where that differs; masked_grad matters only for sparse inputs in torch.

        Example:
            >>> x = ember.ones(2)
            >>> x.to_dense() is x, x.to_dense(ember.int64).dtype
            (True, ember.int64)
        """
        return self if dtype is None or dtype is self._dtype else self.to(dtype)

    def to_sparse(self, sparse_dim: int | None = None, *, layout=None, blocksize=None,
                  dense_dim=None) -> Tensor:
        """This tensor's nonzero elements as a sparse COO tensor (see ember.sparse_coo_tensor);
        with sparse_dim, the trailing dims stay dense in each stored value.

        Example:
            >>> ember.tensor([[0.0, 2.0], [3.0, 0.0]]).to_sparse()._nnz()
            2
        """
        from .sparse._creation import to_sparse
        return to_sparse(self, sparse_dim, layout=layout, blocksize=blocksize,
                         dense_dim=dense_dim)

    def to_sparse_coo(self) -> Tensor:
        return self.to_sparse()

    def as_subclass(self, cls) -> Tensor:
        """A cls instance over the same memory, in the same autograd graph (an alias of this
        tensor, as a view). cls must subclass Tensor; its __init__ is not run.

        Example:
            >>> class Tagged(ember.Tensor):
            ...     pass
            >>> type(ember.ones(2).as_subclass(Tagged)).__name__
            'Tagged'
        """
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit "
                            "from Tensor is not possible. Make sure your class inherits from "
                            "Tensor.")
        alias = self.view(self._shape)
        out = Tensor._make(alias._storage, alias._shape, alias._stride, alias._offset,
                           alias._dtype, cls)
        out._base, out._requires_grad = alias._base, alias._requires_grad
        out._grad_fn, out._output_nr = alias._grad_fn, alias._output_nr
        return out

    def dim(self) -> int:
        return len(self._shape)

    ndimension = dim

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def numel(self) -> int:
        return _numel(self._shape)

    nelement = numel

    def element_size(self) -> int:
        return self._dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self._dtype.itemsize

    def data_ptr(self) -> int:
        if self._storage.__class__ is not backend.Storage:  # device memory: its address there
            return int(self._storage.ptr) + self._offset * self._dtype.itemsize
        return int(backend.ffi.cast("uintptr_t", backend.ptr(self)))

    def untyped_storage(self):
        """The bytes under this tensor and its views (see ember.storage)."""
        from .storage import UntypedStorage
        return UntypedStorage(self._storage)

    def storage(self):
        """The elements under this tensor and its views, in its dtype (see ember.storage)."""
        from .storage import TypedStorage
        return TypedStorage(self._storage, self._dtype)

    def is_contiguous(self, memory_format=None) -> bool:
        if self._stride == _STRIDES.get(self._shape):  # most tensors: their shape's strides
            return True
        expected = 1
        for n, s in zip(reversed(self._shape), reversed(self._stride)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def _is_view_of_other(self, other: Tensor) -> bool:
        return self._storage is other._storage

    def _wrap_dim(self, dim: int, extra: int = 0) -> int:
        n = len(self._shape) + extra
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        if dim < lo or dim > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                             f"but got {dim})")
        return dim + n if dim < 0 else (0 if n == 0 else dim)

    def type(self, dtype=None, non_blocking: bool = False):
        """The type's name ("ember.FloatTensor", "ember.cuda.LongTensor") without an
        argument; else this tensor as the given dtype, legacy type or type name."""
        if dtype is None:
            where = "cuda." if self.device.type == "cuda" else ""
            return f"ember.{where}{_TYPE_NAMES[self._dtype.name]}"
        from ._legacy_types import find
        legacy = find(dtype)
        if legacy is not None:
            return self.to(legacy.device_type, legacy.dtype, non_blocking=non_blocking)
        if isinstance(dtype, str):
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(dtype, non_blocking=non_blocking)

    # ---- autograd state ---------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return
        if value and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        # the storage slot itself: a lazy module's UninitializedParameter, whose data may
        # not be read, sets requires_grad too
        if value and not STATE.inference and _STORAGE_SLOT.__get__(self, Tensor).inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._dtype is not self._dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value._shape != self._shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        if self._storage.inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._storage.version

    def is_inference(self) -> bool:
        """Whether this tensor was made under ``ember.inference_mode`` (or views one that
        was): such a tensor is never updated in place outside the mode.

        Example:
            >>> with ember.inference_mode():
            ...     y = ember.ones(2)
            >>> y.is_inference(), y[:1].is_inference(), y.clone().is_inference()
            (True, True, False)
        """
        return self._storage.inference

    def _accumulator(self) -> AccumulateGrad:
        acc = self._grad_acc() if self._grad_acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._grad_acc = weakref.ref(acc)
        return acc

    def _check_inplace_allowed(self) -> None:
        if self._grad_fn is None and self._requires_grad and STATE.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        if self._storage.inference:
            self._check_inference_write()

    def _check_inference_write(self) -> None:
        """Refuses an in-place write to an inference tensor outside inference_mode, as torch:
        such memory keeps no version count for autograd to check against."""
        if not STATE.inference:
            raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                               "allowed. You can make a clone to get a normal tensor before "
                               "doing the in-place update.")

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory (and so its version counter), cut from the
        graph. Not a view, as in torch: it must not keep this tensor's graph alive, and an
        in-place op on it must not rewrite this tensor's history."""
        return Tensor._make(self._storage, self._shape, self._stride, self._offset, self._dtype)

    def detach_(self) -> Tensor:
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        self._storage, self._shape, self._stride = value._storage, value._shape, value._stride
        self._offset, self._dtype = value._offset, value._dtype

    def retain_grad(self) -> None:
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        ref = weakref.ref(self)

        def store(grad):
            t = ref()
            if t is None:
                return
            g = grad.detach() if not STATE.enabled else grad
            t._grad = g.clone() if t._grad is None else t._grad + g

        node = self._grad_fn
        if node._retain_hooks is None:
            node._retain_hooks = {}
        node._retain_hooks[self._output_nr] = store
        self._retains_grad = True

    def register_hook(self, hook):
        """Calls hook(grad) when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self._grad_fn if self._grad_fn is not None else self._accumulator()
        nr = self._output_nr if self._grad_fn is not None else 0
        if node._tensor_pre_hooks is None:
            node._tensor_pre_hooks = {}
        hooks = node._tensor_pre_hooks.setdefault(nr, [])
        hooks.append(hook)
        if self._grad_fn is None:
            self.__dict__["_acc_keepalive"] = node  # the hook must outlive this call
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Calls hook(tensor) after the gradient is accumulated into this leaf's .grad."""
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        acc = self._accumulator()
        self.__dict__["_acc_keepalive"] = acc
        if acc._post_hooks is None:
            acc._post_hooks = []
        acc._post_hooks.append(hook)
        return _RemovableHandle(acc._post_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        """Computes the gradient of this tensor w.r.t. the graph's leaves (autograd.backward)."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ---- conversion -------------------------------------------------------------
    def _np(self) -> np.ndarray:
        """A NumPy view of this tensor's memory (bfloat16 shows as its uint16 bits)."""
        st = self._storage.data
        item = self._dtype.itemsize
        # the tensor's dtype, not the storage's: view_as_real/view_as_complex share storages
        npd = self._dtype.storage_np
        if self.numel() == 0:
            return np.empty(self._shape, npd)
        return np.ndarray(self._shape, npd, buffer=st, offset=self._offset * item,
                          strides=tuple(s * item for s in self._stride))

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The tensor as a NumPy array sharing its memory (CPU tensors)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if self._dtype is D.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._np()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Exports this tensor's memory through DLPack (NumPy's exporter on the CPU)."""
        if self.device.type == "cuda":
            return self._storage.data.__dlpack__(stream=stream) if not self._offset and \
                self.is_contiguous() else self.contiguous()._storage.data.__dlpack__(stream=stream)
        if self._dtype is D.bfloat16:
            raise BufferError("bfloat16 tensors cannot be exported through NumPy's DLPack "
                              "(NumPy has no bfloat16); convert with .float() first")
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {} if max_version is None else {"max_version": max_version}
        return self._np().__dlpack__(**kwargs)

    def __dlpack_device__(self):
        if self.device.type == "cuda":
            return (2, self.device.index or 0)  # kDLCUDA
        return (1, 0)  # kDLCPU

    def __array__(self, dtype=None, copy=None):
        arr = self.detach().cpu()
        arr = arr.float()._np() if arr._dtype is D.bfloat16 else arr._np()
        return arr.astype(dtype) if dtype is not None else arr

    def tolist(self):
        if self._dtype is D.bfloat16:
            return self.float().tolist()
        return self.detach().cpu()._np().tolist()

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        t = self.float() if self._dtype is D.bfloat16 else self
        return t.detach().cpu()._np().reshape(()).item()

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            many = "more than one value" if self.numel() else "no values"
            raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
        return bool(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self.dim() == 0 and spec:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        with_grad = STATE.enabled
        STATE.enabled = False
        try:
            new = self.clone()
        finally:
            STATE.enabled = with_grad
        if type(self) is not Tensor:
            new = type(self)._wrap_clone(new, self)
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.clone()
        memo[id(self)] = new
        return new

    @classmethod
    def _wrap_clone(cls, new, old):
        out = Tensor._make(new._storage, new._shape, new._stride, new._offset, new._dtype, cls)
        out.__dict__.update(old.__dict__)
        return out


# autograd.function needs the Tensor class at call time; see the note there
from .autograd import function as _function  # noqa: E402

_function.Tensor = Tensor

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int8": "CharTensor", "int16": "ShortTensor",
               "int32": "IntTensor", "int64": "LongTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}


_STORAGE_SLOT = Tensor.__dict__["_storage"]


def _empty(shape: tuple, dtype, device=CPU) -> Tensor:
    if device.type == "cuda":
        storage = cuda_backend.alloc(_numel(shape), dtype, device)
    else:
        storage = backend.alloc(_numel(shape), dtype)
    return Tensor._make(storage, shape, contiguous_strides(shape), 0, dtype)


def _empty_like(t: Tensor, dtype=None) -> Tensor:
    return _empty(t._shape, dtype or t._dtype, t.device)
