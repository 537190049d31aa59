"""Data types and torch's type-promotion rules."""

from __future__ import annotations

import builtins

import numpy as np


class dtype:
    """A tensor element type, such as ``ember.float32``.

    Example:
        >>> ember.zeros(2, dtype=ember.int64).dtype
        ember.int64
    """

    __slots__ = ("name", "code", "itemsize", "is_floating_point", "is_signed", "is_complex",
                 "np", "storage_np", "_aliases")

    def __init__(self, name: str, code: int, itemsize: int, is_float: bool, is_signed: bool,
                 np_dtype, storage_np=None, aliases=()):
        self.name = name
        self.code = code  # the C library's enum em_dtype
        self.itemsize = itemsize
        self.is_floating_point = is_float
        self.is_signed = is_signed
        self.is_complex = False
        self.np = np_dtype  # NumPy's equal, or None (bfloat16)
        self.storage_np = np.dtype(storage_np if storage_np is not None else np_dtype)
        self._aliases = aliases

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> dtype:
        """The real dtype of one component: complex64 -> float32; real dtypes map to self."""
        return _COMPLEX_TO_REAL.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype with this precision: float32 -> complex64, as torch."""
        if self.is_complex:
            return self
        try:
            return _REAL_TO_COMPLEX[self]
        except KeyError:
            raise TypeError(f"no complex dtype with the precision of {self!r}") from None

    @property
    def is_bool(self) -> bool:
        return self is bool_


float32 = dtype("float32", 0, 4, True, True, np.float32, aliases=("float",))
float64 = dtype("float64", 1, 8, True, True, np.float64, aliases=("double",))
float16 = dtype("float16", 2, 2, True, True, np.float16, aliases=("half",))
# NumPy has no bfloat16: its storage holds the raw 16 bits as uint16.
bfloat16 = dtype("bfloat16", 3, 2, True, True, None, storage_np=np.uint16)
int8 = dtype("int8", 4, 1, False, True, np.int8)
int16 = dtype("int16", 5, 2, False, True, np.int16, aliases=("short",))
int32 = dtype("int32", 6, 4, False, True, np.int32, aliases=("int",))
int64 = dtype("int64", 7, 8, False, True, np.int64, aliases=("long",))
uint8 = dtype("uint8", 8, 1, False, False, np.uint8)
bool_ = dtype("bool", 9, 1, False, False, np.bool_)
# Complex values are interleaved (real, imag) pairs of the component type: the C
# kernels see them through view_as_real as a float tensor with a last dim of 2.
complex64 = dtype("complex64", 10, 8, False, True, np.complex64, aliases=("cfloat",))
complex128 = dtype("complex128", 11, 16, False, True, np.complex128, aliases=("cdouble",))
complex64.is_complex = complex128.is_complex = True
_COMPLEX_TO_REAL = {complex64: float32, complex128: float64}
_REAL_TO_COMPLEX = {float32: complex64, float64: complex128, float16: complex64,
                    bfloat16: complex64}

# ALL lists the real dtypes, which every kernel handles; complex ones only reach the ops
# of ops/complex.py
ALL = (float32, float64, float16, bfloat16, int8, int16, int32, int64, uint8, bool_)
COMPLEX = (complex64, complex128)
BY_CODE = ALL + COMPLEX
_BY_NAME = {d.name: d for d in BY_CODE}
for _d in BY_CODE:
    for _alias in _d._aliases:
        _BY_NAME[_alias] = _d
_BY_NP = {np.dtype(d.np): d for d in BY_CODE if d.np is not None}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(npd) -> dtype:
    try:
        return _BY_NP[np.dtype(npd)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
            "and bool."
        ) from None


_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors made from Python floats (float32 at start)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Sets the default floating-point dtype; only float types are allowed, as in torch."""
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def _category(d: dtype) -> int:
    return 0 if d is bool_ else (3 if d.is_complex else 2 if d.is_floating_point else 1)


_INT_ORDER = (int8, int16, int32, int64)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` can be cast to safely, as ``torch.promote_types``."""
    if a is b:
        return a
    if a is bool_:
        return b
    if b is bool_:
        return a
    if a.is_complex or b.is_complex:
        # the complex type of the wider precision: complex64 + float64 -> complex128
        ra = a.to_real() if a.is_complex or a.is_floating_point else float32
        rb = b.to_real() if b.is_complex or b.is_floating_point else float32
        return promote_types(ra, rb).to_complex()
    if a.is_floating_point or b.is_floating_point:
        if not a.is_floating_point:
            return b
        if not b.is_floating_point:
            return a
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if _INT_ORDER.index(a) > _INT_ORDER.index(b) else b


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether torch allows casting ``from_`` to ``to`` in in-place/out= ops (by category)."""
    return _category(from_) <= _category(to)


def scalar_dtype(value) -> dtype:
    """The dtype a Python scalar gets when it is turned into a tensor."""
    if isinstance(value, builtins.bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default_float
    if isinstance(value, complex):
        return _default_float.to_complex()
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _combine(higher, lower):
    """torch's combine_categories for ResultTypeState."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        # a complex scalar keeps a floating tensor's precision: float64 + 1j -> complex128
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type_of(dim_dtypes, zero_dim_dtypes, scalars) -> dtype:
    """Promotion over n-d tensors, 0-d tensors and Python scalars, by torch's rules:
    a 0-d tensor or a scalar only raises the result's category, never its size."""
    dim = zero = wrapped = None
    for d in dim_dtypes:
        dim = d if dim is None else promote_types(dim, d)
    for d in zero_dim_dtypes:
        zero = d if zero is None else promote_types(zero, d)
    for s in scalars:
        d = scalar_dtype(s)
        if isinstance(s, np.generic):
            zero = d if zero is None else promote_types(zero, d)
            continue
        wrapped = d if wrapped is None else promote_types(wrapped, d)
    result = _combine(dim, _combine(zero, wrapped))
    return result if result is not None else _default_float


class finfo:
    """Machine limits of a floating dtype, as ``torch.finfo``."""

    def __init__(self, type: dtype | None = None):
        type = type or _default_float
        type = type.to_real()  # finfo(complex64) describes its float32 parts, as torch
        if not type.is_floating_point:
            raise TypeError(f"finfo is only for floating dtypes, got {type}")
        self.dtype = type.name
        if type is bfloat16:
            self.bits, self.eps = 16, 0.0078125
            self.max, self.min = 3.3895313892515355e38, -3.3895313892515355e38
            self.tiny = self.smallest_normal = 1.1754943508222875e-38
            self.resolution = 0.01
        else:
            info = np.finfo(type.np)
            self.bits = info.bits
            self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
            self.tiny = self.smallest_normal = float(info.tiny)
            self.resolution = float(info.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype, as ``torch.iinfo``."""

    def __init__(self, type: dtype):
        if type.is_floating_point:
            raise TypeError(f"iinfo is only for integer dtypes, got {type}")
        info = np.iinfo(np.uint8 if type is bool_ else type.np)
        self.bits, self.dtype = info.bits, type.name
        self.min, self.max = int(info.min), int(info.max)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
