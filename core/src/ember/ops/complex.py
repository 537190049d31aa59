"""Complex tensors: views between complex and real layouts, and complex arithmetic.

A complex64/complex128 tensor stores interleaved (real, imag) float pairs. Rather than
a second set of C templates, complex math runs on the real and imaginary parts as real
tensors (the parts are strided views, so no copy is made to read them): the real C
kernels do the work and autograd differentiates the real ops. The only complex-aware
nodes are the views below, whose backwards follow torch's convention for a real loss L
of z = x + iy: grad z = dL/dx + i dL/dy (the conjugate Wirtinger derivative, times 2).

Example:
    >>> z = ember.tensor([1 + 2j, 3 - 1j])
    >>> (z * z.conj()).real
    tensor([ 5., 10.])
"""

from __future__ import annotations

import builtins
import math

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ._util import backend_of, broadcast_shapes, expand_to, is_scalar, result_type


def _view(x: Tensor, shape, stride, offset, dtype) -> Tensor:
    v = Tensor._make(x._storage, tuple(shape), tuple(stride), offset, dtype)
    v._base = x._base if x._base is not None else x
    return v


def part_view(x: Tensor, k: int) -> Tensor:
    """The real (k=0) or imaginary (k=1) components of a complex tensor as a real view
    (no autograd node: for kernels)."""
    return _view(x, x._shape, tuple(2 * s for s in x._stride), 2 * x._offset + k,
                 x._dtype.to_real())


def _require_tensor(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


class ViewAsReal(Function):
    """complex (...) -> real (..., 2) over the same memory."""

    _builtin = True

    @staticmethod
    def forward(ctx, x):
        return _view(x, x._shape + (2,), tuple(2 * s for s in x._stride) + (1,), 2 * x._offset,
                     x._dtype.to_real())

    @staticmethod
    def backward(ctx, g):
        return view_as_complex(g.contiguous())


class ViewAsComplex(Function):
    """real (..., 2) -> complex (...) over the same memory."""

    _builtin = True

    @staticmethod
    def forward(ctx, x):
        return _view(x, x._shape[:-1], tuple(s // 2 for s in x._stride[:-1]), x._offset // 2,
                     x._dtype.to_complex())

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g)


class _Part(Function):
    """The real (k=0) or imaginary (k=1) parts of a complex tensor, as a view."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return part_view(x, k)

    @staticmethod
    def backward(ctx, g):
        zero = g.new_zeros(())
        return (complex(g, zero) if ctx.k == 0 else complex(zero, g)), None


class Complex(Function):
    """real + i imag from two real tensors of one dtype (broadcasting)."""

    _builtin = True

    @staticmethod
    def forward(ctx, re, im):
        shape = broadcast_shapes(re._shape, im._shape)
        out = _empty(shape, re._dtype.to_complex(), re.device)
        be = backend_of(out)
        be.copy(expand_to(re, shape), part_view(out, 0))
        be.copy(expand_to(im, shape), part_view(out, 1))
        return out

    @staticmethod
    def backward(ctx, g):
        return real(g), imag(g)


def view_as_real(input: Tensor) -> Tensor:
    """A real view of a complex tensor with a last dimension of 2 (real, imag).

    Example:
        >>> ember.view_as_real(ember.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    _require_tensor(input, "view_as_real")
    if not input._dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a float tensor whose last dimension (size 2, stride 1) holds
    (real, imag) pairs.

    Example:
        >>> ember.view_as_complex(ember.tensor([[1.0, 2.0]]))
        tensor([1.+2.j])
    """
    _require_tensor(input, "view_as_complex")
    if input._dtype not in (D.float32, D.float64):
        raise RuntimeError("view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {_name(input._dtype)}")
    if not input._shape or input._shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input._stride[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in input._stride[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input._offset % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return ViewAsComplex.apply(input)


def _name(d) -> str:
    from ._util import pretty_dtype
    return pretty_dtype(d) if not d.is_complex else {"complex64": "ComplexFloat",
                                                     "complex128": "ComplexDouble"}[d.name]


def real(input: Tensor) -> Tensor:
    """The real parts (a view); a real tensor is returned as is.

    Example:
        >>> ember.real(ember.tensor([1 + 2j]))
        tensor([1.])
    """
    _require_tensor(input, "real")
    return _Part.apply(input, 0) if input._dtype.is_complex else input


def imag(input: Tensor) -> Tensor:
    """The imaginary parts (a view) of a complex tensor.

    Example:
        >>> ember.imag(ember.tensor([1 + 2j]))
        tensor([2.])
    """
    _require_tensor(input, "imag")
    if not input._dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _Part.apply(input, 1)


def complex(real: Tensor, imag: Tensor) -> Tensor:
    """A complex tensor from real and imaginary parts (float or double, same dtype).

    Example:
        >>> ember.complex(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([1.+2.j])
    """
    for name, x in (("real", real), ("imag", imag)):
        if not isinstance(x, Tensor):
            raise TypeError(f"complex(): argument '{name}' must be Tensor, not "
                            f"{type(x).__name__}")
    if real._dtype not in (D.float32, D.float64) or imag._dtype not in (D.float32, D.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_name(real._dtype)} and {_name(imag._dtype)}")
    if real._dtype is not imag._dtype:
        raise RuntimeError(f"Expected object of scalar type {_name(real._dtype)} but got scalar "
                           f"type {_name(imag._dtype)} for second argument")
    return Complex.apply(real, imag)


def polar(abs: Tensor, angle: Tensor) -> Tensor:
    """abs * (cos(angle) + i sin(angle)).

    Example:
        >>> ember.polar(ember.tensor([2.0]), ember.tensor([0.0]))
        tensor([2.+0.j])
    """
    return complex(abs * angle.cos(), abs * angle.sin())


# ---- arithmetic on parts ----------------------------------------------------------

def is_complex_operand(x) -> bool:
    return x._dtype.is_complex if isinstance(x, Tensor) else isinstance(x, builtins.complex)


def _parts(x, dtype):
    """(re, im) of an operand in the complex result dtype; im is None for real ones."""
    if isinstance(x, Tensor):
        if x._dtype.is_complex:
            x = x if x._dtype is dtype else x.to(dtype)
            return real(x), imag(x)
        return x.to(dtype.to_real()), None
    if isinstance(x, builtins.complex) or is_scalar(x):
        c = x if isinstance(x, builtins.complex) else builtins.complex(x)
        return c.real, (c.imag or None)
    raise TypeError(f"expected Tensor or number, got {type(x).__name__}")


def _add(x, y):
    return y if x is None else x if y is None else x + y


def _neg(x):
    return None if x is None else -x


def _mul(x, y):
    return None if x is None or y is None else x * y


def _join(re, im, like) -> Tensor:
    """complex(re, im) where either part may be a Python number or None (zero)."""
    dt = like.to_real()
    if not isinstance(re, Tensor):
        re = (im * 0 if isinstance(im, Tensor) else _empty((), dt).fill_(0)) + (re or 0)
    if im is None or not isinstance(im, Tensor):
        im = re * 0 + (im or 0)
    return complex(re.to(dt), im.to(dt))


def add(a, b, alpha=1) -> Tensor:
    dtype = result_type(a, b)
    (ar, ai), (br, bi) = _parts(a, dtype), _parts(b, dtype)
    if alpha != 1:
        c = builtins.complex(alpha)
        br, bi = _add(_mul(br, c.real), _neg(_mul(bi, c.imag or None))), \
            _add(_mul(bi, c.real), _mul(br, c.imag or None))
    return _join(_add(ar, br), _add(ai, bi), dtype)


def sub(a, b, alpha=1) -> Tensor:
    return add(a, b, -alpha)


def mul(a, b) -> Tensor:
    dtype = result_type(a, b)
    (ar, ai), (br, bi) = _parts(a, dtype), _parts(b, dtype)
    return _join(_add(_mul(ar, br), _neg(_mul(ai, bi))), _add(_mul(ar, bi), _mul(ai, br)),
                 dtype)


def div(a, b) -> Tensor:
    dtype = result_type(a, b)
    (ar, ai), (br, bi) = _parts(a, dtype), _parts(b, dtype)
    if bi is None:
        return _join(ar / br, None if ai is None else ai / br, dtype)
    den = br * br + bi * bi
    return _join(_add(_mul(ar, br), _mul(ai, bi)) / den,
                 _add(_mul(ai, br), _neg(_mul(ar, bi))) / den, dtype)


def neg(x: Tensor) -> Tensor:
    return complex(-real(x), -imag(x))


def conj(input: Tensor) -> Tensor:
    """The complex conjugate; real tensors are returned as is. (torch returns a lazy
    conjugate view; ember materialises it: the values and gradients are the same.)

    Example:
        >>> ember.conj(ember.tensor([1 + 2j]))
        tensor([1.-2.j])
    """
    _require_tensor(input, "conj")
    if not input._dtype.is_complex:
        return input
    return complex(real(input), -imag(input))


class Abs(Function):
    """|z| = hypot(re, im), a real tensor. Its gradient is g z/|z|, and 0 at z = 0 as
    torch's (hypot's own gradient is NaN there)."""

    @staticmethod
    def forward(ctx, x):
        r = real(x).hypot(imag(x))
        ctx.save_for_backward(x, r)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        from .elementwise import where
        return x * (g / where(r == 0, 1.0, r))


def abs(x: Tensor) -> Tensor:
    return Abs.apply(x)


def angle(input: Tensor) -> Tensor:
    """The argument of each element: atan2(im, re); for real tensors 0 or pi (nan kept).

    Example:
        >>> ember.angle(ember.tensor([-1.0, 1j]))
        tensor([3.1416, 1.5708])
    """
    _require_tensor(input, "angle")
    if input._dtype.is_complex:
        return imag(input).atan2(real(input))
    x = input if input._dtype.is_floating_point else input.to(D.get_default_dtype())
    return (x < 0).to(x._dtype) * math.pi + x * 0


# ---- elementwise functions, from real ops on the parts ------------------------------
# Each is built from differentiable real ops on real(z) and imag(z), so autograd yields
# torch's gradient convention by itself and the CUDA backend needs nothing new.

def exp(x: Tensor) -> Tensor:
    """e^(a+ib) = e^a (cos b + i sin b)."""
    a, b = real(x), imag(x)
    e = a.exp()
    return complex(e * b.cos(), e * b.sin())


def log(x: Tensor) -> Tensor:
    """The principal logarithm: log|z| + i arg z (arg in (-pi, pi])."""
    return complex(abs(x).log(), imag(x).atan2(real(x)))


def sqrt(x: Tensor) -> Tensor:
    """The principal square root sqrt|z| (cos(arg z / 2) + i sin(arg z / 2)); the polar
    form avoids the cancellation of sqrt((|z| - a) / 2) near the positive real axis."""
    s = abs(x).sqrt()
    h = imag(x).atan2(real(x)) * 0.5
    return complex(s * h.cos(), s * h.sin())


def reciprocal(x: Tensor) -> Tensor:
    return div(1.0, x)


def square(x: Tensor) -> Tensor:
    return mul(x, x)


def sin(x: Tensor) -> Tensor:
    """sin(a+ib) = sin a cosh b + i cos a sinh b."""
    a, b = real(x), imag(x)
    return complex(a.sin() * b.cosh(), a.cos() * b.sinh())


def cos(x: Tensor) -> Tensor:
    """cos(a+ib) = cos a cosh b - i sin a sinh b."""
    a, b = real(x), imag(x)
    return complex(a.cos() * b.cosh(), -(a.sin() * b.sinh()))


def tanh(x: Tensor) -> Tensor:
    """tanh(a+ib) = (t (1 + s^2) + i s sech^2 a) / (1 + t^2 s^2), t = tanh a, s = tan b:
    finite for large |a|, where the sinh/cosh quotient overflows to inf/inf."""
    a, b = real(x), imag(x)
    t, s = a.tanh(), b.tan()
    den = 1 + (t * s).square()
    return complex(t * (1 + s.square()) / den, s / a.cosh().square() / den)


UNARY = {"abs": abs, "neg": neg, "exp": exp, "log": log, "sqrt": sqrt,
         "reciprocal": reciprocal, "square": square, "sin": sin, "cos": cos, "tanh": tanh}


def pow(base, exponent) -> Tensor:
    """base ** exponent with a complex side: integer powers of a tensor by repeated
    multiplication (exact, with torch's gradient at 0), the rest as exp(exponent log base)."""
    dtype = result_type(base, exponent)
    if isinstance(base, Tensor) and (is_scalar(exponent) or
                                     isinstance(exponent, builtins.complex)):
        z = base if base._dtype is dtype else base.to(dtype)
        e = builtins.complex(exponent)
        if e.imag == 0 and e.real == int(e.real) and builtins.abs(e.real) <= 64:
            return _int_pow(z, int(e.real))
        return exp(mul(log(z), exponent))
    if not isinstance(base, Tensor):
        import cmath
        return exp(mul(exponent.to(dtype), cmath.log(base)))
    return exp(mul(log(base if base._dtype is dtype else base.to(dtype)), exponent))


def _int_pow(z: Tensor, n: int) -> Tensor:
    if n < 0:
        return reciprocal(_int_pow(z, -n))
    if n == 0:
        return mul(z, 0) + 1
    result, square_ = None, z
    while n:
        if n & 1:
            result = square_ if result is None else mul(result, square_)
        n >>= 1
        if n:
            square_ = mul(square_, square_)
    return result


def where(condition: Tensor, a, b) -> Tensor:
    """where() with a complex operand: the real and imaginary parts chosen apart."""
    from .creation import full
    from .elementwise import where as real_where
    dtype = result_type(a, b)
    rdt = dtype.to_real()
    (ar, ai), (br, bi) = _parts(a, dtype), _parts(b, dtype)

    def pick(x, y):
        x, y = 0.0 if x is None else x, 0.0 if y is None else y
        if not isinstance(x, Tensor) and not isinstance(y, Tensor):
            x = full((), x, dtype=rdt, device=condition.device)
        r = real_where(condition, x, y)
        return r if r._dtype is rdt else r.to(rdt)
    return complex(pick(ar, br), pick(ai, bi))


def sum(x: Tensor, dims, keepdim: bool) -> Tensor:
    return complex(real(x).sum(dims, keepdim), imag(x).sum(dims, keepdim))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """(ar + i ai)(br + i bi) as four real products (GEMM through NumPy)."""
    ar, ai, br, bi = real(a), imag(a), real(b), imag(b)
    return complex(ar @ br - ai @ bi, ar @ bi + ai @ br)


def unsupported(name: str, dtype) -> TypeError:
    return TypeError(f"{name}(): complex tensors ({dtype}) are not supported by this op in "
                     "ember yet")
