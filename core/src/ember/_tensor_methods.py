"""Binds the ops of ember.ops to Tensor as methods, operators and in-place variants."""

from __future__ import annotations

from . import _dtype as D
from ._device import as_device, device as _device_cls
from ._tensor import _TYPE_NAMES, Tensor, _empty, contiguous_strides
from ._layout_methods import METHODS as _LAYOUT_METHODS
from ._removed_functions import METHODS as _REMOVED_METHODS
from ._tensor_storage_methods import METHODS as _STORAGE_METHODS
from .autograd.function import Function
from .autograd.grad_mode import STATE
from .ops import creation, elementwise as E, index, join, linalg, random as R, reduce as Rd
from .ops import matrix_funcs as Mf, solve as Sv, sort as S, statistics as St, views as V
from .ops import decompositions as Dc, view_copies as VC
from . import special
from .ops._util import backend_of, expand_to, inplace, operand, result_type


# ---- conversion ---------------------------------------------------------------------------------

class ToCopy(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dtype, device, non_blocking=False):
        ctx.src = (x._dtype, x.device)
        if device != x.device:
            from .backends import cuda
            out = cuda.transfer(x, dtype, device, non_blocking)
        else:
            out = _empty(x._shape, dtype, device)
            backend_of(x).copy(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        dtype, dev = ctx.src
        if not dtype.is_floating_point:
            return None, None, None, None
        return ToCopy.apply(g, dtype, dev), None, None, None


def _parse_to(args, kwargs):
    """(dtype, device, non_blocking, copy) from torch's three forms of to(): (dtype, ...),
    (device, dtype, ...) and (other, ...), each followed by non_blocking and copy."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    flags = []
    for a in args:
        if isinstance(a, bool):
            flags.append(a)
        elif isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, (str, _device_cls, int)):
            device = a
        elif isinstance(a, Tensor):
            dtype, device = a._dtype, a.device
    non_blocking = kwargs.pop("non_blocking", flags[0] if flags else False)
    return dtype, device, non_blocking, kwargs.pop("copy", flags[1] if len(flags) > 1 else False)


def to(self, *args, **kwargs) -> Tensor:
    """Converts dtype and/or device: ``t.to(ember.float64)``, ``t.to('cuda')``, ``t.to(other)``.
    non_blocking=True queues a copy from pinned memory, or to the CPU, without waiting."""
    dtype, device, non_blocking, copy = _parse_to(args, kwargs)
    dtype = dtype or self._dtype
    device = as_device(device) if device is not None else self.device
    if dtype is self._dtype and device == self.device and not copy:
        return self
    return ToCopy.apply(self, dtype, device, non_blocking)


def pin_memory(self, device=None) -> Tensor:
    """A copy in page-locked memory, which the GPU copies from asynchronously
    (``.to('cuda', non_blocking=True)``); needs CUDA, as in torch."""
    from . import cuda as ember_cuda
    if not ember_cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    from .backends import cuda
    if cuda.is_pinned(self._storage):
        return self
    return cuda.pin(self)


def share_memory_(self) -> Tensor:
    """Moves this tensor's storage into shared memory, in place: processes it is then
    forked into or sent to (``ember.multiprocessing``) see and change the same elements.
    A no-op for CUDA tensors and for storages already shared, as in torch."""
    if self.device.type == "cpu":
        from .backends import cpu
        cpu.share(self._storage)
    return self


def is_shared(self) -> bool:
    """Whether the storage is in shared memory (CUDA tensors always count, as in torch)."""
    from .backends import cpu
    return self.device.type != "cpu" or cpu.is_shared(self._storage)


def is_pinned(self, device=None) -> bool:
    from .backends import cuda
    return self.device.type == "cpu" and cuda.is_pinned(self._storage)


def _cast_method(dtype):
    def m(self, memory_format=None):
        return to(self, dtype)
    return m


class CopyFrom(Function):
    """The value written by copy_: src broadcast to self's shape in self's dtype."""

    _builtin = True

    @staticmethod
    def forward(ctx, target, src):
        out = _empty(target._shape, target._dtype, target.device)
        s = src if src.device == target.device else src.to(target.device)
        backend_of(out).copy(expand_to(s, target._shape), out)
        ctx.src_dtype = src._dtype
        return out

    @staticmethod
    def backward(ctx, g):
        return None, g if ctx.src_dtype.is_floating_point else None


def copy_(self, src, non_blocking: bool = False) -> Tensor:
    if not isinstance(src, Tensor):
        src = creation.tensor(src, dtype=self._dtype)
    from .ops._util import broadcast_shapes
    if broadcast_shapes(self._shape, src._shape) != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast "
                           f"shape {list(broadcast_shapes(self._shape, src._shape))}")
    if not (STATE.enabled and (self._requires_grad or src._requires_grad)):
        if self._storage.inference:
            self._check_inference_write()
        s = src if src.device == self.device else src.to(self.device)
        backend_of(self).copy(expand_to(s, self._shape), self)
        self._storage.version += 1
        return self
    return inplace(self, lambda t: CopyFrom.apply(t, src))


def fill_(self, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        return copy_(self, value)
    self._check_inplace_allowed()
    backend_of(self).fill(self, value)
    self._storage.version += 1
    if STATE.enabled and self._requires_grad:
        self.copy_(self.detach())  # cuts the graph like torch's FillBackward (zero gradient)
    return self


def zero_(self) -> Tensor:
    return fill_(self, 0)


def _resize_(self, shape) -> Tensor:
    shape = tuple(shape)
    n = 1
    for s in shape:
        n *= s
    if n > self._storage.data.size - self._offset or not self.is_contiguous():
        fresh = _empty(shape, self._dtype, self.device)
        self._storage, self._offset = fresh._storage, 0
    self._shape, self._stride = shape, contiguous_strides(shape)
    return self


def resize_(self, *sizes) -> Tensor:
    return _resize_(self, V._shape_arg(sizes))


def resize_as_(self, other) -> Tensor:
    return _resize_(self, other._shape)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return creation.tensor(data, dtype=dtype or self._dtype, device=device or self.device,
                           requires_grad=requires_grad)


def _new(factory):
    def m(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return factory(*size, dtype=dtype or self._dtype, device=device or self.device,
                       requires_grad=requires_grad)
    return m


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, dtype=dtype or self._dtype,
                         device=device or self.device, requires_grad=requires_grad)


def _legacy_new(self, *args, device=None):
    """x.new(...): the legacy constructor of x's own type (sizes or data), on x's device."""
    from ._legacy_types import CPU_TYPES, CUDA_TYPES
    types = CUDA_TYPES if self.device.type == "cuda" else CPU_TYPES
    return types[_TYPE_NAMES[self._dtype.name]](*args, device=device or self.device)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
    return creation.empty_strided(size, stride, dtype=dtype or self._dtype,
                                  device=device or self.device, requires_grad=requires_grad)


def narrow_copy(self, dim: int, start: int, length: int) -> Tensor:
    """A contiguous copy of x.narrow(dim, start, length)."""
    return V.narrow(self, dim, start, length).clone()


def dim_order(self, *, ambiguity_check: bool = False) -> tuple:
    """The dims from outermost to innermost in memory: by stride, largest first (ties keep
    their order, as torch's)."""
    return tuple(sorted(range(self.dim()), key=lambda d: -self._stride[d]))


def apply_(self, callable) -> Tensor:
    """Replaces each element x with callable(x), in Python, in place (CPU tensors only)."""
    return _map_values(self, callable, ())


def map_(self, tensor, callable) -> Tensor:
    """Replaces each element x with callable(x, y), y the broadcast tensor's element."""
    return _map_values(self, callable, (tensor.expand_as(self),))


def _map_values(self, fn, others: tuple) -> Tensor:
    if self.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    flat = [t.reshape(-1).tolist() for t in (self,) + others]
    values = [fn(*items) for items in zip(*flat)]
    return copy_(self, creation.tensor(values, dtype=self._dtype).reshape(self._shape))


def cpu(self, memory_format=None) -> Tensor:
    return to(self, "cpu")


def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    return to(self, "cuda" if device is None else as_device(
        device if not isinstance(device, int) else f"cuda:{device}"), non_blocking=non_blocking)


def type_as(self, other) -> Tensor:
    return to(self, other._dtype)


def view_as(self, other) -> Tensor:
    return V.view(self, other._shape)


def reshape_as(self, other) -> Tensor:
    return V.reshape(self, other._shape)


# ---- in-place arithmetic ---------------------------------------------------------------------

def _binary_inplace(cls, check=None):
    def m(self, other, *, alpha=1):
        if check:
            check(self, other)
        recording = STATE.enabled and (self._requires_grad or getattr(other, "_requires_grad",
                                                                      False))
        if not recording and result_type(self, other) is self._dtype and not (
                cls.float_result and not self._dtype.is_floating_point):
            o = operand(other, self._dtype, self.device)
            if o._shape != self._shape:
                from .ops._util import broadcast_shapes
                if broadcast_shapes(self._shape, o._shape) != self._shape:
                    raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the "
                                       f"broadcast shape "
                                       f"{list(broadcast_shapes(self._shape, o._shape))}")
                o = expand_to(o, self._shape)
            if self._storage.inference:
                self._check_inference_write()
            backend_of(self).binary(cls.code, self, o, self, alpha, name=cls.__name__.lower())
            self._storage.version += 1
            return self
        return inplace(self, lambda t: cls.apply(t, other, alpha))
    return m


def _inplace_of(fn):
    def m(self, *args, **kwargs):
        return inplace(self, lambda t: fn(t, *args, **kwargs))
    m.__name__ = fn.__name__ + "_"
    return m


# ---- operators ----------------------------------------------------------------------------------

def _rdiv(self, other):
    return E.div(other, self)


def _rpow(self, other):
    return E.pow(other, self)


def _rmatmul(self, other):
    return linalg.matmul(other, self)


def _invert(self):
    return E.logical_not(self) if self._dtype is D.bool_ else E.bitwise_not(self)


def _and(self, other):
    return E.logical_and(self, other) if _both_bool(self, other) else E.bitwise_and(self, other)


def _or(self, other):
    return E.logical_or(self, other) if _both_bool(self, other) else E.bitwise_or(self, other)


def _xor(self, other):
    return E.logical_xor(self, other) if _both_bool(self, other) else E.bitwise_xor(self, other)


def _both_bool(a, b):
    return a._dtype is D.bool_ and (isinstance(b, bool) or (isinstance(b, Tensor) and
                                                             b._dtype is D.bool_))


def _floordiv(self, other):
    return E.div(self, other, rounding_mode="floor")


def _rfloordiv(self, other):
    return E.div(other, self, rounding_mode="floor")


def _eq(self, other):
    if other is None or not (isinstance(other, Tensor) or E.is_scalar(other)):
        return False
    return E.eq(self, other)


def _ne(self, other):
    if other is None or not (isinstance(other, Tensor) or E.is_scalar(other)):
        return True
    return E.ne(self, other)


def _max_method(self, dim=None, keepdim=False):
    return Rd.max(self, dim, keepdim)


def _min_method(self, dim=None, keepdim=False):
    return Rd.min(self, dim, keepdim)


def _size_prop(name):
    return property(lambda self: getattr(V, name)(self))


_METHODS = {
    # conversion
    "to": to, "cpu": cpu, "cuda": cuda, "pin_memory": pin_memory, "is_pinned": is_pinned,
    "share_memory_": share_memory_, "is_shared": is_shared,
    "type_as": type_as, "copy_": copy_, "fill_": fill_,
    "zero_": zero_, "_resize_": _resize_, "resize_": resize_, "resize_as_": resize_as_,
    "float": _cast_method(D.float32), "double": _cast_method(D.float64),
    "half": _cast_method(D.float16), "bfloat16": _cast_method(D.bfloat16),
    "long": _cast_method(D.int64), "int": _cast_method(D.int32), "short": _cast_method(D.int16),
    "char": _cast_method(D.int8), "byte": _cast_method(D.uint8), "bool": _cast_method(D.bool_),
    "new_tensor": new_tensor, "new_empty": _new(creation.empty), "new_zeros": _new(creation.zeros),
    "new_ones": _new(creation.ones), "new_full": new_full, "new": _legacy_new,
    "new_empty_strided": new_empty_strided, "narrow_copy": narrow_copy,
    "dim_order": dim_order, "apply_": apply_, "map_": map_,
    "const_data_ptr": Tensor.data_ptr,
    # views
    "view": V.view, "view_as": view_as, "reshape": V.reshape, "reshape_as": reshape_as,
    "permute": V.permute, "transpose": V.transpose, "swapaxes": V.transpose,
    "swapdims": V.transpose, "t": V.t, "adjoint": V.adjoint, "movedim": V.movedim,
    "moveaxis": V.movedim, "expand": V.expand, "expand_as": V.expand_as,
    "broadcast_to": V.broadcast_to, "squeeze": V.squeeze, "unsqueeze": V.unsqueeze,
    "flatten": V.flatten, "unflatten": V.unflatten, "narrow": V.narrow, "select": V.select,
    "diagonal": V.diagonal, "unfold": V.unfold, "as_strided": V.as_strided, "split": V.split,
    "chunk": V.chunk, "tensor_split": V.tensor_split, "unbind": V.unbind,
    "contiguous": V.contiguous, "clone": V.clone, "sum_to_size": Rd.sum_to_size,
    "split_with_sizes": V.split_with_sizes, "unsafe_split": V.unsafe_split,
    "unsafe_split_with_sizes": V.unsafe_split_with_sizes,
    "unsafe_chunk": V.unsafe_chunk,
    "diagonal_scatter": VC.diagonal_scatter, "select_scatter": VC.select_scatter,
    "slice_scatter": VC.slice_scatter, "as_strided_scatter": VC.as_strided_scatter,
    # indexing
    "__getitem__": index.getitem, "__setitem__": index.setitem, "gather": index.gather,
    "scatter": index.scatter, "scatter_add": index.scatter_add,
    "scatter_reduce": index.scatter_reduce, "index_select": index.index_select,
    "index_add": index.index_add, "index_copy": index.index_copy, "index_fill": index.index_fill,
    "index_put": index.index_put, "masked_fill": index.masked_fill,
    "masked_select": index.masked_select, "masked_scatter": index.masked_scatter,
    "take": index.take, "take_along_dim": index.take_along_dim, "put": index.put,
    "index_reduce": index.index_reduce,
    "nonzero": index.nonzero, "argwhere": index.argwhere,
    "nonzero_static": index.nonzero_static,
    # reductions
    "sum": Rd.sum, "nansum": Rd.nansum, "mean": Rd.mean, "nanmean": Rd.nanmean, "prod": Rd.prod,
    "max": _max_method, "min": _min_method, "amax": Rd.amax, "amin": Rd.amin,
    "aminmax": Rd.aminmax, "argmax": Rd.argmax, "argmin": Rd.argmin, "all": Rd.all,
    "any": Rd.any, "count_nonzero": Rd.count_nonzero, "var": Rd.var, "std": Rd.std,
    "logsumexp": Rd.logsumexp, "norm": Rd.norm, "renorm": Rd.renorm, "cumsum": Rd.cumsum,
    "cumprod": Rd.cumprod,
    "cummax": Rd.cummax, "cummin": Rd.cummin, "logcumsumexp": Rd.logcumsumexp,
    "median": Rd.median, "nanmedian": Rd.nanmedian, "mode": Rd.mode,
    # joining / reordering
    "flip": join.flip, "fliplr": join.fliplr, "flipud": join.flipud, "roll": join.roll,
    "rot90": join.rot90, "repeat": join.repeat, "tile": join.tile,
    "repeat_interleave": join.repeat_interleave, "tril": join.tril, "triu": join.triu,
    "diag": join.diag, "diag_embed": join.diag_embed,
    # sorting
    "sort": S.sort, "argsort": S.argsort, "topk": S.topk, "kthvalue": S.kthvalue,
    "unique": S.unique, "unique_consecutive": S.unique_consecutive, "bincount": S.bincount,
    "histc": S.histc,
    # statistics (torch has no Tensor.isin)
    "cov": St.cov, "corrcoef": St.corrcoef, "quantile": St.quantile,
    "nanquantile": St.nanquantile, "histogram": St.histogram,
    # linalg
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv,
    "dot": linalg.dot, "vdot": linalg.vdot, "outer": linalg.outer, "inner": linalg.inner,
    "addmm": linalg.addmm, "addmv": linalg.addmv, "baddbmm": linalg.baddbmm,
    "addbmm": linalg.addbmm, "kron": linalg.kron, "trace": linalg.trace, "cross": linalg.cross,
    "inverse": Sv.inverse, "det": Sv.det, "logdet": Sv.logdet, "slogdet": Sv.slogdet,
    "cholesky_solve": Sv.cholesky_solve, "cholesky_inverse": Sv.cholesky_inverse,
    "svd": Dc.svd_legacy, "qr": Dc.qr_legacy, "pinverse": Dc.pinverse, "lu": Dc.lu_legacy,
    "lu_solve": Dc.lu_solve_legacy, "cholesky": Dc.cholesky_legacy,
    "triangular_solve": Dc.triangular_solve, "geqrf": Dc.geqrf, "orgqr": Dc.orgqr,
    "ormqr": Dc.ormqr,
    # random fillers
    "uniform_": R.uniform_, "normal_": R.normal_, "exponential_": R.exponential_,
    "random_": R.random_, "bernoulli_": R.bernoulli_, "cauchy_": R.cauchy_,
    "log_normal_": R.log_normal_, "geometric_": R.geometric_,
    "bernoulli": R.bernoulli, "multinomial": R.multinomial,
    # operators
    "__add__": E.add, "__radd__": E.add, "__sub__": E.sub, "__rsub__": E.rsub,
    "__mul__": E.mul, "__rmul__": E.mul, "__truediv__": E.div, "__rtruediv__": _rdiv,
    "__floordiv__": _floordiv, "__rfloordiv__": _rfloordiv, "__mod__": E.remainder,
    "__rmod__": lambda s, o: E.remainder(o, s), "__pow__": E.pow, "__rpow__": _rpow,
    "__matmul__": linalg.matmul, "__rmatmul__": _rmatmul, "__neg__": E.neg,
    "__pos__": lambda s: s, "__abs__": E.abs, "__invert__": _invert, "__and__": _and,
    "__rand__": _and, "__or__": _or, "__ror__": _or, "__xor__": _xor, "__rxor__": _xor,
    "__lshift__": E.bitwise_left_shift, "__rshift__": E.bitwise_right_shift,
    "__eq__": _eq, "__ne__": _ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt,
    "__ge__": E.ge,
}

# elementwise functions that are methods under the same name
for _name in ("abs absolute neg negative exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square "
              "sin cos tan asin acos atan arcsin arccos arctan sinh cosh tanh asinh acosh atanh "
              "arcsinh arccosh arctanh sigmoid erf erfc erfinv lgamma digamma floor ceil round "
              "trunc fix frac sign sgn reciprocal relu logit nan_to_num clamp clip clamp_min "
              "clamp_max add sub subtract mul multiply div divide true_divide floor_divide "
              "remainder fmod pow float_power atan2 arctan2 hypot maximum minimum fmax fmin "
              "copysign xlogy bitwise_and bitwise_or bitwise_xor bitwise_not "
              "bitwise_left_shift bitwise_right_shift eq ne lt le gt ge not_equal less "
              "less_equal greater greater_equal logical_and logical_or logical_xor logical_not "
              "isnan isinf isposinf isneginf isfinite signbit lerp addcmul addcdiv isclose "
              "allclose equal softplus logaddexp logaddexp2 deg2rad rad2deg sinc heaviside "
              "positive isreal hardshrink prelu gcd lcm ldexp frexp i0 nextafter").split():
    _METHODS[_name] = getattr(E, _name)
# torch's x.where(condition, y) picks x where condition holds: self is not the condition
_METHODS["where"] = lambda self, condition, other: E.where(condition, self, other)

_INPLACE_BINARY = {"add_": E.Add, "sub_": E.Sub, "mul_": E.Mul}
for _name, _cls in _INPLACE_BINARY.items():
    _METHODS[_name] = _binary_inplace(_cls)
_METHODS["subtract_"] = _METHODS["sub_"]
_METHODS["multiply_"] = _METHODS["mul_"]

for _name in ("abs neg exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square sin cos tan asin "
              "acos atan sinh cosh tanh asinh acosh atanh sigmoid erf erfc erfinv lgamma "
              "digamma floor ceil round trunc frac sign sgn reciprocal relu logit nan_to_num "
              "clamp clip clamp_min clamp_max div divide true_divide floor_divide remainder "
              "fmod pow float_power atan2 hypot maximum minimum fmax fmin copysign xlogy "
              "bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift "
              "bitwise_right_shift eq ne lt le gt ge logical_and logical_or logical_xor "
              "logical_not lerp addcmul addcdiv deg2rad rad2deg sinc heaviside gcd lcm ldexp "
              "i0 nextafter").split():
    _METHODS[_name + "_"] = _inplace_of(getattr(E, _name))
for _name, _fn in (("masked_fill_", index.masked_fill), ("index_fill_", index.index_fill),
                   ("index_add_", index.index_add), ("index_copy_", index.index_copy),
                   ("scatter_", index.scatter), ("scatter_add_", index.scatter_add),
                   ("scatter_reduce_", index.scatter_reduce), ("put_", index.put),
                   ("masked_scatter_", index.masked_scatter), ("index_put_", index.index_put),
                   ("tril_", join.tril), ("triu_", join.triu), ("cumsum_", Rd.cumsum),
                   ("index_reduce_", index.index_reduce), ("renorm_", Rd.renorm),
                   ("addmv_", linalg.addmv), ("addmm_", linalg.addmm),
                   ("addbmm_", linalg.addbmm), ("baddbmm_", linalg.baddbmm),
                   ("addr_", linalg.addr), ("cumprod_", Rd.cumprod),
                   ("igamma_", special.gammainc), ("igammac_", special.gammaincc)):
    _METHODS[_name] = _inplace_of(_fn)


def _inplace_view(view_fn):
    """torch's in-place view ops: self takes the view's shape and strides over the same
    memory and, while a graph is recorded, the view's place in it."""
    def m(self, *args, **kwargs):
        self._check_inplace_allowed()
        view = view_fn(self, *args, **kwargs)
        self._shape, self._stride, self._offset = view._shape, view._stride, view._offset
        if view._grad_fn is not None:
            self._grad_fn, self._output_nr = view._grad_fn, view._output_nr
        return self
    m.__name__ = view_fn.__name__ + "_"
    return m


for _name, _fn in (("squeeze_", V.squeeze), ("unsqueeze_", V.unsqueeze), ("t_", V.t),
                   ("transpose_", V.transpose), ("swapaxes_", V.transpose),
                   ("swapdims_", V.transpose), ("as_strided_", V.as_strided)):
    _METHODS[_name] = _inplace_view(_fn)

def _softmax(self, dim=None, dtype=None):
    from .ops.activation import softmax
    return softmax(self, dim, dtype)


def _log_softmax(self, dim=None, dtype=None):
    from .ops.activation import softmax
    return softmax(self, dim, dtype, is_log=True)


def _get_device(self) -> int:
    """The CUDA device index, or -1 on the CPU."""
    return -1 if self.device.type == "cpu" else self.device.index or 0


def _polygamma(self, n: int):
    return E.polygamma(n, self)


_METHODS.update({
    "ravel": V.ravel, "hsplit": V.hsplit, "vsplit": V.vsplit, "dsplit": V.dsplit,
    "diagflat": join.diagflat, "fill_diagonal_": join.fill_diagonal_, "diff": Rd.diff,
    "dist": linalg.dist, "addr": linalg.addr, "ger": linalg.outer, "msort": S.msort,
    "matrix_exp": Mf.matrix_exp, "matrix_power": Mf.matrix_power,
    "mvlgamma": special.multigammaln, "polygamma": _polygamma, "get_device": _get_device,
    "igamma": special.gammainc, "igammac": special.gammaincc,
    "is_nonzero": lambda self: self.__bool__(),
    "is_same_size": lambda self, other: self._shape == other._shape,
    "cfloat": _cast_method(D.complex64), "cdouble": _cast_method(D.complex128),
})
_METHODS["mvlgamma_"] = _inplace_of(special.multigammaln)
_METHODS["polygamma_"] = _inplace_of(_polygamma)
# torch's alternative names of in-place methods
for _alias, _name in (("absolute_", "abs_"), ("negative_", "neg_"), ("arccos_", "acos_"),
                      ("arcsin_", "asin_"), ("arctan_", "atan_"), ("arccosh_", "acosh_"),
                      ("arcsinh_", "asinh_"), ("arctanh_", "atanh_"), ("arctan2_", "atan2_"),
                      ("fix_", "trunc_"), ("greater_", "gt_"), ("greater_equal_", "ge_"),
                      ("less_", "lt_"), ("less_equal_", "le_"), ("not_equal_", "ne_")):
    _METHODS[_alias] = _METHODS[_name]

_METHODS.update(_STORAGE_METHODS)
_METHODS.update(_LAYOUT_METHODS)
_METHODS.update(_REMOVED_METHODS)
_METHODS["softmax"] = _softmax
_METHODS["log_softmax"] = _log_softmax

_ALIASES = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
            "__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__ipow__": "pow_",
            "__iand__": "bitwise_and_", "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_"}


def _install():
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    for alias, name in _ALIASES.items():
        setattr(Tensor, alias, _METHODS[name])
    Tensor.__iand__ = lambda s, o: inplace(s, lambda t: _and(t, o))
    Tensor.__ior__ = lambda s, o: inplace(s, lambda t: _or(t, o))
    Tensor.__ixor__ = lambda s, o: inplace(s, lambda t: _xor(t, o))
    Tensor.T = property(lambda s: s.permute(tuple(range(s.dim() - 1, -1, -1))))
    Tensor.mT = property(lambda s: V.transpose(s, -2, -1))
    Tensor.H = property(V.hermitian_of_matrix)
    Tensor.mH = property(V.adjoint)
    _install_complex()


def _install_complex():
    from .ops import complex as CX, spectral
    Tensor.real = property(CX.real)
    Tensor.imag = property(CX.imag)
    Tensor.conj = CX.conj
    Tensor.conj_physical = CX.conj
    # ember has no lazy conjugate or negative bits: every tensor is already resolved
    Tensor.resolve_conj = Tensor.resolve_neg = lambda s: s
    Tensor.is_conj = Tensor.is_neg = lambda s: False
    Tensor.angle = CX.angle
    Tensor.stft = spectral.stft
    Tensor.istft = spectral.istft


_install()
