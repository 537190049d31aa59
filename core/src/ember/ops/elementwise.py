"""Elementwise ops: unary math and activations, binary arithmetic, comparisons.

Each op is one Function: the forward calls the device backend's kernel, the
backward beside it is written in differentiable ember ops (so gradients of
gradients work). Broadcasting of gradients is undone by the engine.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

from .. import _dtype as D
from .._C import lib
from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor, _empty, contiguous_strides
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ..backends import cpu as _cpu
from ..backends import cuda as _cuda
from . import complex as _CX
from ._util import (backend_of, broadcast_shapes, cast, check_out, device_of, expand_to,
                    is_scalar, operand, pretty_dtype, result_type)

# ---- unary -------------------------------------------------------------------

_FLOAT_ONLY = "float"   # ints promote to the default float dtype first (exp, sin, ...)
_KEEP = "keep"          # works on every dtype (neg, abs, ...)


class _Unary(Function):
    """Base of unary ops; subclasses set code/kind and define grad(ctx, g)."""

    _builtin = True
    code = 0
    kind = _FLOAT_ONLY
    saves = "input"  # what backward needs: "input", "output" or "none"

    @classmethod
    def run(cls, x: Tensor, p0=0.0, p1=0.0, p2=0.0, out_dtype=None) -> Tensor:
        dtype = x._dtype
        if (out_dtype is None and p1 == 0.0 and p2 == 0.0 and dtype.is_floating_point and
                x._stride == contiguous_strides(x._shape)):
            out = _fast_unary(cls.code, x, cls.__name__.lower(), p0)
            if out is not None:
                return out
        if cls.kind == _FLOAT_ONLY and not dtype.is_floating_point:
            dtype = D.get_default_dtype()
        src = cast(x, dtype)
        out = _empty(x._shape, out_dtype or dtype, x.device)
        backend_of(x).unary(cls.code, src, out, p0, p1, p2, name=cls.__name__.lower())
        return out

    @staticmethod
    def forward(ctx, x, p0=0.0, p1=0.0, p2=0.0):
        cls = ctx._fn
        out = cls.run(x, p0, p1, p2)
        ctx.params = (p0, p1, p2)
        if cls.saves == "input":
            ctx.save_for_backward(x)
        elif cls.saves == "output":
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors or (None,)
        return ctx._fn.grad(ctx, g, t)


def _unary(name, code, grad, kind=_FLOAT_ONLY, saves="input"):
    cls = type(name, (_Unary,), {"code": code, "kind": kind, "saves": saves,
                                 "grad": staticmethod(grad)})
    return cls


def _zero_grad(ctx, g, x):
    return g * 0


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)
_SQRT2PI_INV = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_SCALE, _SELU_ALPHA = 1.0507009873554804934, 1.6732632423543772848

Abs = _unary("Abs", lib.EM_ABS, lambda c, g, x: g * x.sign(), _KEEP)
Neg = _unary("Neg", lib.EM_NEG, lambda c, g, x: -g, _KEEP, "none")
Exp = _unary("Exp", lib.EM_EXP, lambda c, g, y: g * y, saves="output")
Exp2 = _unary("Exp2", lib.EM_EXP2, lambda c, g, y: g * y * _LN2, saves="output")
Log = _unary("Log", lib.EM_LOG, lambda c, g, x: g / x)
Log2 = _unary("Log2", lib.EM_LOG2, lambda c, g, x: g / (x * _LN2))
Log10 = _unary("Log10", lib.EM_LOG10, lambda c, g, x: g / (x * _LN10))
Log1p = _unary("Log1p", lib.EM_LOG1P, lambda c, g, x: g / (x + 1))
Expm1 = _unary("Expm1", lib.EM_EXPM1, lambda c, g, y: g * (y + 1), saves="output")
Sqrt = _unary("Sqrt", lib.EM_SQRT, lambda c, g, y: g / (2 * y), saves="output")
Rsqrt = _unary("Rsqrt", lib.EM_RSQRT, lambda c, g, y: -0.5 * g * y * y * y, saves="output")
Square = _unary("Square", lib.EM_SQUARE, lambda c, g, x: 2 * g * x, _KEEP)
Sin = _unary("Sin", lib.EM_SIN, lambda c, g, x: g * x.cos())
Cos = _unary("Cos", lib.EM_COS, lambda c, g, x: -g * x.sin())
Tan = _unary("Tan", lib.EM_TAN, lambda c, g, y: g * (1 + y * y), saves="output")
Asin = _unary("Asin", lib.EM_ASIN, lambda c, g, x: g * (1 - x * x).rsqrt())
Acos = _unary("Acos", lib.EM_ACOS, lambda c, g, x: -g * (1 - x * x).rsqrt())
Atan = _unary("Atan", lib.EM_ATAN, lambda c, g, x: g / (1 + x * x))
Sinh = _unary("Sinh", lib.EM_SINH, lambda c, g, x: g * x.cosh())
Cosh = _unary("Cosh", lib.EM_COSH, lambda c, g, x: g * x.sinh())
Tanh = _unary("Tanh", lib.EM_TANH, lambda c, g, y: _tanh_backward(g, y), saves="output")
Asinh = _unary("Asinh", lib.EM_ASINH, lambda c, g, x: g * (x * x + 1).rsqrt())
Acosh = _unary("Acosh", lib.EM_ACOSH, lambda c, g, x: g * (x * x - 1).rsqrt())
Atanh = _unary("Atanh", lib.EM_ATANH, lambda c, g, x: g / (1 - x * x))
Sigmoid = _unary("Sigmoid", lib.EM_SIGMOID, lambda c, g, y: _sigmoid_backward(g, y),
                 saves="output")
Erf = _unary("Erf", lib.EM_ERF, lambda c, g, x: g * _2_SQRTPI * (-x * x).exp())
Erfc = _unary("Erfc", lib.EM_ERFC, lambda c, g, x: -g * _2_SQRTPI * (-x * x).exp())
Erfinv = _unary("Erfinv", lib.EM_ERFINV,
                lambda c, g, y: g * (math.sqrt(math.pi) / 2) * (y * y).exp(), saves="output")
Lgamma = _unary("Lgamma", lib.EM_LGAMMA, lambda c, g, x: g * x.digamma())


def _digamma_grad(c, g, x):
    return g * polygamma(1, x)


Digamma = _unary("Digamma", lib.EM_DIGAMMA, _digamma_grad)
Floor = _unary("Floor", lib.EM_FLOOR, _zero_grad, _KEEP, "none")
Ceil = _unary("Ceil", lib.EM_CEIL, _zero_grad, _KEEP, "none")
Round = _unary("Round", lib.EM_ROUND, _zero_grad, _KEEP, "none")
RoundDecimals = _unary("RoundDecimals", lib.EM_ROUND_DECIMALS, _zero_grad, _KEEP, "none")
Trunc = _unary("Trunc", lib.EM_TRUNC, _zero_grad, _KEEP, "none")
Frac = _unary("Frac", lib.EM_FRAC, lambda c, g, x: g, _KEEP, "none")
Sign = _unary("Sign", lib.EM_SIGN, _zero_grad, _KEEP, "none")
Reciprocal = _unary("Reciprocal", lib.EM_RECIPROCAL, lambda c, g, y: -g * y * y, saves="output")
Relu = _unary("Relu", lib.EM_RELU, lambda c, g, y: _relu_backward(g, y), _KEEP, "output")


def _gelu_grad(c, g, x):
    return g * GeluGrad.apply(x)


def _gelu_grad_grad(c, g, x):
    return g * (_SQRT2PI_INV * (-0.5 * x * x).exp()) * (2 - x * x)


Gelu = _unary("Gelu", lib.EM_GELU, _gelu_grad)
GeluGrad = _unary("GeluGrad", lib.EM_GELU_GRAD, _gelu_grad_grad)


def _gelu_tanh_grad(c, g, x):
    if not (g._requires_grad or x._requires_grad):
        return g * GeluTanhGrad.run(x)
    # double backward: the same derivative written in differentiable ops
    k, a = math.sqrt(2.0 / math.pi), 0.044715
    t = (k * (x + a * x * x * x)).tanh()
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * a * x * x))


GeluTanh = _unary("GeluTanh", lib.EM_GELU_TANH, _gelu_tanh_grad)
GeluTanhGrad = _unary("GeluTanhGrad", lib.EM_GELU_TANH_GRAD, _zero_grad)


def _silu_grad(c, g, x):
    s = x.sigmoid()
    return g * s * (1 + x * (1 - s))


def _mish_grad(c, g, x):
    t = _softplus(x, 1.0, 20.0).tanh()
    return g * (t + x * (1 - t * t) * x.sigmoid())


Silu = _unary("Silu", lib.EM_SILU, _silu_grad)
Mish = _unary("Mish", lib.EM_MISH, _mish_grad)


def _softplus_grad(c, g, x):
    beta, thr = c.params[0], c.params[1]
    z = (x * beta).sigmoid()
    return g * where(x * beta > thr, 1.0, z)


Softplus = _unary("Softplus", lib.EM_SOFTPLUS, _softplus_grad)
Softsign = _unary("Softsign", lib.EM_SOFTSIGN, lambda c, g, x: g / (1 + x.abs()).square())
LogSigmoid = _unary("LogSigmoid", lib.EM_LOGSIGMOID, lambda c, g, x: g * (-x).sigmoid())
Selu = _unary("Selu", lib.EM_SELU, lambda c, g, x: g * where(
    x > 0, _SELU_SCALE, _SELU_SCALE * _SELU_ALPHA * x.exp()))
Hardsigmoid = _unary("Hardsigmoid", lib.EM_HARDSIGMOID,
                     lambda c, g, x: g * ((x > -3) & (x < 3)) / 6)
Hardswish = _unary("Hardswish", lib.EM_HARDSWISH, lambda c, g, x: g * where(
    x < -3, 0.0, where(x <= 3, x / 3 + 0.5, 1.0)))
Elu = _unary("Elu", lib.EM_ELU, lambda c, g, x: g * where(
    x > 0, c.params[1], c.params[1] * c.params[0] * c.params[2] * (x * c.params[2]).exp()))
LeakyRelu = _unary("LeakyRelu", lib.EM_LEAKY_RELU,
                   lambda c, g, x: where(x > 0, g, g * c.params[0]), _KEEP)
Clamp = _unary("Clamp", lib.EM_CLAMP,
               lambda c, g, x: g * ((x >= c.params[0]) & (x <= c.params[1])), _KEEP)
Hardtanh = _unary("Hardtanh", lib.EM_HARDTANH,
                  lambda c, g, x: g * ((x > c.params[0]) & (x < c.params[1])), _KEEP)
Threshold = _unary("Threshold", lib.EM_THRESHOLD, lambda c, g, x: g * (x > c.params[0]), _KEEP)
NanToNum = _unary("NanToNum", lib.EM_NAN_TO_NUM, lambda c, g, x: g * x.isfinite(), _KEEP)
Celu = _unary("Celu", lib.EM_CELU, lambda c, g, x: g * where(x > 0, 1.0, (x / c.params[0]).exp()))
Logit = _unary("Logit", lib.EM_LOGIT, lambda c, g, x: (
    g / (x * (1 - x)) if c.params[0] < 0
    else g * ((x >= c.params[0]) & (x <= 1 - c.params[0])) / (x * (1 - x))))


def _pow_scalar_grad(c, g, x):
    e = c.params[0]
    if e == 0:
        return g * 0
    return g * e * (x if e == 2 else PowScalar.apply(x, e - 1))  # e == 2: the usual square


def _rpow_scalar_grad(c, g, y):
    return g * y * math.log(c.params[0])


PowScalar = _unary("PowScalar", lib.EM_POW_SCALAR, _pow_scalar_grad, _KEEP)
RPowScalar = _unary("RPowScalar", lib.EM_RPOW_SCALAR, _rpow_scalar_grad, _FLOAT_ONLY, "output")


def _softplus(x, beta, threshold):
    return Softplus.apply(x, float(beta), float(threshold))


# ---- binary --------------------------------------------------------------------

class _Binary(Function):
    """Base of binary arithmetic ops: a (op) b with broadcasting and promotion."""

    _builtin = True
    code = 0
    float_result = False  # integer inputs give a float result (true division)
    # (unary op, sign, dtypes) computing `tensor (op) number` as one pass over the tensor,
    # without making the number a tensor and broadcasting it: the common `x * 0.5`, `x - 1`.
    scalar_op = None

    @classmethod
    def run(cls, a, b, alpha=1.0, dtype=None):
        bcls = b.__class__
        if (dtype is None and a.__class__ is bcls and isinstance(a, Tensor) and
                a._dtype is b._dtype and a._storage.device is b._storage.device and
                (a._dtype.is_floating_point or not cls.float_result)):
            # the common case: two tensors of one dtype on one device
            dtype, dev, ta, tb = a._dtype, a._storage.device, a, b
        elif (dtype is None and (bcls is float or bcls is int) and isinstance(a, Tensor) and
              a._dtype.is_floating_point and not a._dtype.is_complex):
            # a float tensor and a Python number: the tensor's dtype wins
            dtype, dev, ta = a._dtype, a._storage.device, a
            if cls.scalar_op is not None and alpha == 1 and dtype in cls.scalar_op[2]:
                out = _empty(a._shape, dtype, dev)
                op, sign, _ = cls.scalar_op
                backend_of(out).unary(op, a, out, sign * b, name=cls.__name__.lower())
                return out
            tb = operand(b, dtype, dev)
        else:
            if dtype is None:
                dtype = result_type(a, b)
                if cls.float_result and not dtype.is_floating_point:
                    dtype = D.get_default_dtype()
            dev = device_of(a, b)
            ta, tb = operand(a, dtype, dev), operand(b, dtype, dev)
        shape = ta._shape if ta._shape == tb._shape else broadcast_shapes(ta._shape, tb._shape)
        out = _empty(shape, dtype, dev)
        backend_of(out).binary(cls.code, expand_to(ta, shape), expand_to(tb, shape), out, alpha,
                               name=cls.__name__.lower())
        return out

    @staticmethod
    def forward(ctx, a, b, alpha=1.0):
        cls = ctx._fn
        out = cls.run(a, b, alpha)
        ctx.alpha = alpha
        if cls.saves:
            ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                                  b if isinstance(b, Tensor) else None,
                                  out if cls.saves == "all" else None)
            ctx.scalars = (a if not isinstance(a, Tensor) else None,
                           b if not isinstance(b, Tensor) else None)
        return out

    saves = "inputs"

    @staticmethod
    def backward(ctx, g):
        saved = ctx.saved_tensors if ctx._fn.saves else (None, None, None)
        a = saved[0] if saved[0] is not None else ctx.scalars[0] if ctx._fn.saves else None
        b = saved[1] if saved[1] is not None else ctx.scalars[1] if ctx._fn.saves else None
        return ctx._fn.grad(ctx, g, a, b, saved[2])


# The backends whose kernels take whole contiguous tensors without layout work, by storage.
_CONTIGUOUS_KERNELS = {_cpu.Storage: _cpu, _cuda.Storage: _cuda}


def _fast_unary(code: int, x: Tensor, name: str, p0: float = 0.0) -> Tensor | None:
    """The unary kernel code over a contiguous x straight through its backend: no autograd,
    promotion or layout work. None where the backend declines (on CUDA: an address off
    16 bytes, or several GPUs), and the general path takes the op."""
    backend = _CONTIGUOUS_KERNELS.get(x._storage.__class__)
    storage = None if backend is None else backend.unary_contiguous(code, x, name, p0)
    return None if storage is None else Tensor._make(storage, x._shape, x._stride, 0, x._dtype)


# Which tensor dtypes take the (tensor, number) kernel. It sees the number in the compute type
# (float32 for float16 and bfloat16). torch's mul and div do the same; its add and sub first
# round the number to the tensor's dtype, so for those the half types take the general path.
_EXACT_DTYPES = (D.float32, D.float64)
_ALL_FLOAT_DTYPES = (D.float32, D.float64, D.float16, D.bfloat16)


def _fast_scalar(scalar_op, a, b, name):
    """``a (op) b`` for a plain contiguous float tensor and a number, outside autograd;
    None when the operands need the general path. scalar_op: a _Binary.scalar_op."""
    op, sign, dtypes = scalar_op
    if (a.__class__ is Tensor and a._dtype in dtypes and
            not (STATE.enabled and a._requires_grad) and
            a._stride == contiguous_strides(a._shape)):
        return _fast_unary(op, a, name, sign * b)
    return None


def _fast_binary(code: int, a, b, name: str) -> Tensor | None:
    """a (code) b straight through the backend's kernel when both operands are plain
    contiguous tensors of one dtype, shape and backend and no graph is being recorded:
    no promotion, broadcasting or autograd. None otherwise, or where the backend declines
    (see _fast_unary), and the general path takes the op."""
    if not (a.__class__ is Tensor and b.__class__ is Tensor and a._dtype is b._dtype and
            a._shape == b._shape and a._storage.__class__ is b._storage.__class__ and
            not a._dtype.is_complex and
            not (STATE.enabled and (a._requires_grad or b._requires_grad)) and
            a._stride == b._stride == contiguous_strides(a._shape)):
        return None
    backend = _CONTIGUOUS_KERNELS.get(a._storage.__class__)
    storage = None if backend is None else backend.binary_contiguous(code, a, b, name)
    return None if storage is None else Tensor._make(storage, a._shape, a._stride, 0, a._dtype)


def _binary(name, code, grad, saves="inputs", float_result=False, scalar_op=None):
    return type(name, (_Binary,), {"code": code, "grad": staticmethod(grad), "saves": saves,
                                   "float_result": float_result, "scalar_op": scalar_op})


def _add_grad(c, g, a, b, y):
    return g, (g if c.alpha == 1 else g * c.alpha)


def _sub_grad(c, g, a, b, y):
    return g, (-g if c.alpha == 1 else g * -c.alpha)


def _div_grad(c, g, a, b, y):
    n = c.needs_input_grad
    ga = g / b if n[0] else None
    gb = -g * a / (b * b) if n[1] else None
    return ga, gb


def _pow_grad(c, g, a, b, y):
    n = c.needs_input_grad
    ga = gb = None
    if n[0]:
        ga = g * b * where(b == 0, 0.0, a ** (b - 1))
    if n[1]:
        gb = g * where((a == 0) & (b >= 0), 0.0, y * a.log())
    return ga, gb


def _max_grad(c, g, a, b, y, less=False):
    mask_a = (a < b) if not less else (a > b)
    half = where(a == b, g / 2, g)
    return half.masked_fill(mask_a, 0), half.masked_fill(~mask_a & (a != b), 0)


def _fmax_grad(c, g, a, b, y, less=False):
    pick_a = ((a >= b) if not less else (a <= b)) | b.isnan()
    return g.masked_fill(~pick_a, 0), g.masked_fill(pick_a, 0)


def _copysign_grad(c, g, a, b, y):
    ratio = (y / a).masked_fill(a == 0, 0)
    return g * ratio, g * 0 if isinstance(b, Tensor) else None


def _xlogy_grad(c, g, a, b, y):
    ga = g * where((a == 0) & ~b.isnan(), 0.0, b.log()) if c.needs_input_grad[0] else None
    gb = g * a / b if c.needs_input_grad[1] else None
    return ga, gb


Add = _binary("Add", lib.EM_ADD, _add_grad, saves=None,
              scalar_op=(lib.EM_ADD_SCALAR, 1, _EXACT_DTYPES))
Sub = _binary("Sub", lib.EM_SUB, _sub_grad, saves=None,
              scalar_op=(lib.EM_ADD_SCALAR, -1, _EXACT_DTYPES))
Mul = _binary("Mul", lib.EM_MUL, lambda c, g, a, b, y: (
    g * b if c.needs_input_grad[0] else None, g * a if c.needs_input_grad[1] else None),
    scalar_op=(lib.EM_MUL_SCALAR, 1, _ALL_FLOAT_DTYPES))
_RSUB_SCALAR = (lib.EM_RSUB_SCALAR, 1, _EXACT_DTYPES)  # number - tensor
# tanh's and sigmoid's gradients as one pass each (grad g, forward output y), as torch's
# tanh_backward and sigmoid_backward; their own gradients make double backward work.
TanhBackward = _binary("TanhBackward", lib.EM_TANH_BACKWARD, lambda c, gg, g, y, _: (
    gg * (1 - y * y) if c.needs_input_grad[0] else None,
    -2 * gg * g * y if c.needs_input_grad[1] else None))
SigmoidBackward = _binary("SigmoidBackward", lib.EM_SIGMOID_BACKWARD, lambda c, gg, g, y, _: (
    gg * (1 - y) * y if c.needs_input_grad[0] else None,
    gg * g * (1 - 2 * y) if c.needs_input_grad[1] else None))
# relu's gradient in one pass: g where the output is positive (or NaN), as torch's
# threshold_backward; the mask has no gradient, so only g's is passed on
ReluBackward = _binary("ReluBackward", lib.EM_RELU_BACKWARD, lambda c, gg, g, y, _: (
    _relu_backward(gg, y) if c.needs_input_grad[0] else None, None))
Div = _binary("Div", lib.EM_DIV, _div_grad, float_result=True,
              scalar_op=(lib.EM_DIV_SCALAR, 1, _ALL_FLOAT_DTYPES))
DivTrunc = _binary("DivTrunc", lib.EM_DIV_TRUNC, lambda c, g, a, b, y: (g * 0, g * 0), saves=None)
DivFloor = _binary("DivFloor", lib.EM_DIV_FLOOR, lambda c, g, a, b, y: (g * 0, g * 0), saves=None)
Remainder = _binary("Remainder", lib.EM_REMAINDER,
                    lambda c, g, a, b, y: (g, -g * a.div(b, rounding_mode="floor")))
Fmod = _binary("Fmod", lib.EM_FMOD, lambda c, g, a, b, y: (g, -g * a.div(b, rounding_mode="trunc")))
Pow = _binary("Pow", lib.EM_POW, _pow_grad, saves="all")
Atan2 = _binary("Atan2", lib.EM_ATAN2, lambda c, g, a, b, y: (
    g * b / (a * a + b * b), g * -a / (a * a + b * b)), float_result=True)
Hypot = _binary("Hypot", lib.EM_HYPOT, lambda c, g, a, b, y: (g * a / y, g * b / y), saves="all")
Maximum = _binary("Maximum", lib.EM_MAXIMUM, _max_grad)
Minimum = _binary("Minimum", lib.EM_MINIMUM, lambda c, g, a, b, y: _max_grad(c, g, a, b, y, True))
Fmax = _binary("Fmax", lib.EM_FMAX, _fmax_grad)
Fmin = _binary("Fmin", lib.EM_FMIN, lambda c, g, a, b, y: _fmax_grad(c, g, a, b, y, True))
Copysign = _binary("Copysign", lib.EM_COPYSIGN, _copysign_grad, saves="all", float_result=True)
Xlogy = _binary("Xlogy", lib.EM_XLOGY, _xlogy_grad, float_result=True)
_NOGRAD = lambda c, g, a, b, y: (None, None)  # noqa: E731  (integer-only ops)
BitwiseAnd = _binary("BitwiseAnd", lib.EM_BITWISE_AND, _NOGRAD, saves=None)
BitwiseOr = _binary("BitwiseOr", lib.EM_BITWISE_OR, _NOGRAD, saves=None)
BitwiseXor = _binary("BitwiseXor", lib.EM_BITWISE_XOR, _NOGRAD, saves=None)
LeftShift = _binary("LeftShift", lib.EM_LSHIFT, _NOGRAD, saves=None)
RightShift = _binary("RightShift", lib.EM_RSHIFT, _NOGRAD, saves=None)


def _compare(code, a, b, name):
    dtype = result_type(a, b)
    dev = device_of(a, b)
    if dtype.is_complex:
        return _compare_complex(code, a, b, dtype, name)
    ta, tb = operand(a, dtype, dev), operand(b, dtype, dev)
    shape = ta._shape if ta._shape == tb._shape else broadcast_shapes(ta._shape, tb._shape)
    out = _empty(shape, D.bool_, dev)
    backend_of(out).compare(code, expand_to(ta, shape), expand_to(tb, shape), out, name=name)
    return out


def _compare_complex(code, a, b, dtype, name):
    """== and != on complex operands, part by part; complex numbers have no order."""
    if code not in (lib.EM_EQ, lib.EM_NE):
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{pretty_dtype(dtype)}'")
    (ra, ia), (rb, ib) = _CX._parts(a, dtype), _CX._parts(b, dtype)
    same = eq(ra, rb)
    if ia is not None or ib is not None:
        same = same & eq(0.0 if ia is None else ia, 0.0 if ib is None else ib)
    return same if code == lib.EM_EQ else same.logical_not()


def _pred(code, x, name):
    out = _empty(x._shape, D.bool_, x.device)
    backend_of(x).pred(code, x, out, name=name)
    return out


class Where(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, cond, a, b):
        dev = device_of(cond, a, b)
        dtype = result_type(a, b)
        ta, tb = operand(a, dtype, dev), operand(b, dtype, dev)
        c = operand(cond, D.bool_, dev)
        shape = broadcast_shapes(c._shape, ta._shape, tb._shape)
        out = _empty(shape, dtype, dev)
        backend_of(out).where(expand_to(c, shape), expand_to(ta, shape), expand_to(tb, shape), out)
        ctx.save_for_backward(cond)
        return out

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (None, where(cond, g, 0.0) if n[1] else None, where(cond, 0.0, g) if n[2] else None)


# ---- public functions ----------------------------------------------------------------

def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _unary_fn(cls, name):
    code, float_only = cls.code, cls.kind == _FLOAT_ONLY

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if (out is None and input.__class__ is Tensor and
                not (STATE.enabled and input._requires_grad) and
                (input._dtype.is_floating_point or not float_only) and
                not input._dtype.is_complex and
                input._stride == contiguous_strides(input._shape)):
            r = _fast_unary(code, input, name)
            if r is not None:
                return r
        if input.__class__ is SparseCooTensor:
            return _sparse_unary(fn, name, input, out)
        _check_tensor(input, name)
        if input._dtype.is_complex:
            cfn = _CX.UNARY.get(name)
            if cfn is None:
                raise _CX.unsupported(name, input._dtype)
            r = cfn(input)
            return check_out(out, r, name) if out is not None else r
        r = cls.apply(input)
        return check_out(out, r, name) if out is not None else r
    fn.__name__ = name
    fn.__doc__ = (f"Elementwise {name}, as ``torch.{name}``.\n\n"
                  f"Example:\n    >>> ember.{name}(ember.tensor([0.5]))")
    return fn


abs = _unary_fn(Abs, "abs")
absolute = abs
neg = _unary_fn(Neg, "neg")
negative = neg
exp = _unary_fn(Exp, "exp")
exp2 = _unary_fn(Exp2, "exp2")
log = _unary_fn(Log, "log")
log2 = _unary_fn(Log2, "log2")
log10 = _unary_fn(Log10, "log10")
log1p = _unary_fn(Log1p, "log1p")
expm1 = _unary_fn(Expm1, "expm1")
sqrt = _unary_fn(Sqrt, "sqrt")
rsqrt = _unary_fn(Rsqrt, "rsqrt")
square = _unary_fn(Square, "square")
sin = _unary_fn(Sin, "sin")
cos = _unary_fn(Cos, "cos")
tan = _unary_fn(Tan, "tan")
asin = _unary_fn(Asin, "asin")
acos = _unary_fn(Acos, "acos")
atan = _unary_fn(Atan, "atan")
arcsin, arccos, arctan = asin, acos, atan
sinh = _unary_fn(Sinh, "sinh")
cosh = _unary_fn(Cosh, "cosh")
tanh = _unary_fn(Tanh, "tanh")
asinh = _unary_fn(Asinh, "asinh")
acosh = _unary_fn(Acosh, "acosh")
atanh = _unary_fn(Atanh, "atanh")
arcsinh, arccosh, arctanh = asinh, acosh, atanh
sigmoid = _unary_fn(Sigmoid, "sigmoid")
erf = _unary_fn(Erf, "erf")
erfc = _unary_fn(Erfc, "erfc")
erfinv = _unary_fn(Erfinv, "erfinv")
lgamma = _unary_fn(Lgamma, "lgamma")
digamma = _unary_fn(Digamma, "digamma")
floor = _unary_fn(Floor, "floor")
ceil = _unary_fn(Ceil, "ceil")
trunc = _unary_fn(Trunc, "trunc")
fix = trunc
frac = _unary_fn(Frac, "frac")
sign = _unary_fn(Sign, "sign")
reciprocal = _unary_fn(Reciprocal, "reciprocal")
relu = _unary_fn(Relu, "relu")
silu = _unary_fn(Silu, "silu")
mish = _unary_fn(Mish, "mish")
softsign = _unary_fn(Softsign, "softsign")
logsigmoid = _unary_fn(LogSigmoid, "logsigmoid")
selu = _unary_fn(Selu, "selu")
hardsigmoid = _unary_fn(Hardsigmoid, "hardsigmoid")
hardswish = _unary_fn(Hardswish, "hardswish")


def sgn(input: Tensor) -> Tensor:
    return sign(input)


def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:
    if input.__class__ is SparseCooTensor:
        if decimals:
            raise unsupported("round with decimals")
        return _sparse_unary(round, "round", input, out)
    _check_tensor(input, "round")
    if decimals == 0:
        r = Round.apply(input)
    else:
        r = RoundDecimals.apply(input, float(decimals), 10.0 ** builtins.abs(decimals))
    return check_out(out, r, "round") if out is not None else r


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate}")
    return (GeluTanh if approximate == "tanh" else Gelu).apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _softplus(input, beta, threshold)


def elu(input: Tensor, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Tensor:
    return Elu.apply(input, float(alpha), float(scale), float(input_scale))


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return Celu.apply(input, float(alpha))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyRelu.apply(input, float(negative_slope))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return Hardtanh.apply(input, float(min_val), float(max_val))


def relu6(input: Tensor) -> Tensor:
    return Hardtanh.apply(input, 0.0, 6.0)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return Threshold.apply(input, float(threshold), float(value))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    return Logit.apply(input, -1.0 if eps is None else float(eps))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out=None) -> Tensor:
    if input.__class__ is SparseCooTensor:
        if out is not None:
            raise unsupported("nan_to_num with out=")
        from ..sparse._unary import map_values
        return map_values(nan_to_num, "nan_to_num", input, nan, posinf, neginf)
    if input._dtype.is_floating_point:
        info = D.finfo(input._dtype)
        r = NanToNum.apply(input, float(nan), info.max if posinf is None else float(posinf),
                           info.min if neginf is None else float(neginf))
    else:
        r = input.clone()
    return check_out(out, r, "nan_to_num") if out is not None else r


def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:
    """Clamps to [min, max]; either bound may be a number, a tensor or None."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dtype = result_type(input, *(v for v in (min, max) if v is not None))
    if isinstance(min, Tensor) or isinstance(max, Tensor) or not dtype.is_floating_point:
        # integer bounds stay exact this way (int64 limits do not survive a double)
        r = input
        if min is not None:
            r = maximum(r, min if isinstance(min, Tensor) else _full_like_scalar(min, input))
        if max is not None:
            r = minimum(r, max if isinstance(max, Tensor) else _full_like_scalar(max, input))
    else:
        x = input if dtype is input._dtype else input.to(dtype)
        lo = -math.inf if min is None else min
        hi = math.inf if max is None else max
        r = Clamp.apply(x, float(lo), float(hi))
    return check_out(out, r, "clamp") if out is not None else r


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def _full_like_scalar(v, like):
    from .creation import full
    return full((), v, dtype=result_type(like, v), device=like.device)


def _binary_fn(cls, name):
    code, fast = cls.code, not cls.float_result

    def fn(input, other, *, out: Tensor | None = None) -> Tensor:
        if out is None:
            if (other.__class__ is float or other.__class__ is int) and cls.scalar_op is not None:
                r = _fast_scalar(cls.scalar_op, input, other, name)
                if r is not None:
                    return r
            elif fast:
                r = _fast_binary(code, input, other, name)
                if r is not None:
                    return r
        if input.__class__ is SparseCooTensor or other.__class__ is SparseCooTensor:
            return _sparse_binary(name, input, other, out)
        if _CX.is_complex_operand(input) or _CX.is_complex_operand(other):
            r = _complex_binary(cls, name, input, other)
            return check_out(out, r, name) if out is not None else r
        r = cls.apply(input, other)
        return check_out(out, r, name) if out is not None else r
    fn.__name__ = name
    return fn


def _sparse_unary(fn, name: str, input, out) -> Tensor:
    from ..sparse._unary import sparse_unary
    return sparse_unary(fn, name, input, out)


def _sparse_binary(name: str, input, other, out) -> Tensor:
    """mul / true_divide where an operand is a sparse COO tensor (see ember.sparse); the
    other binary functions have no sparse form."""
    from ..sparse import _arithmetic
    if out is not None or name not in ("mul", "true_divide"):
        raise unsupported(name + (" with out=" if out is not None else ""))
    if name == "mul":
        return _arithmetic.mul(input, other)
    return _arithmetic.div(input, other)


def _sparse_add(input, other, alpha, out, name: str) -> Tensor:
    """add / sub where an operand is a sparse COO tensor (see ember.sparse)."""
    from ..sparse._arithmetic import add as sparse_add
    r = sparse_add(input, other, alpha)
    return check_out(out, r, name) if out is not None else r


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """input + alpha * other, with broadcasting and type promotion.

    Example:
        >>> ember.add(ember.tensor([1, 2]), ember.tensor([10, 20]), alpha=2)
        tensor([21, 42])
    """
    if alpha == 1 and out is None:
        if other.__class__ is float or other.__class__ is int:
            r = _fast_scalar(Add.scalar_op, input, other, "add")
            if r is not None:
                return r
        else:
            r = _fast_binary(lib.EM_ADD, input, other, "add")
            if r is not None:
                return r
    if input.__class__ is SparseCooTensor or other.__class__ is SparseCooTensor:
        return _sparse_add(input, other, alpha, out, "add")
    if _CX.is_complex_operand(input) or _CX.is_complex_operand(other):
        r = _CX.add(input, other, alpha)
        return check_out(out, r, "add") if out is not None else r
    if alpha != 1:
        _check_alpha(input, other, alpha, "add")
    r = Add.apply(input, other, alpha)
    return check_out(out, r, "add") if out is not None else r


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    if alpha == 1 and out is None:
        if other.__class__ is float or other.__class__ is int:
            r = _fast_scalar(Sub.scalar_op, input, other, "sub")
            if r is not None:
                return r
        elif input.__class__ is float or input.__class__ is int:  # `1 - x`, in backward formulas
            r = _fast_scalar(_RSUB_SCALAR, other, input, "rsub")
            if r is not None:
                return r
        elif input.__class__ is Tensor and input._dtype is not D.bool_:
            r = _fast_binary(lib.EM_SUB, input, other, "sub")
            if r is not None:
                return r
    if input.__class__ is SparseCooTensor or other.__class__ is SparseCooTensor:
        return _sparse_add(input, other, -alpha, out, "sub")
    bools = [isinstance(x, Tensor) and x._dtype is D.bool_ for x in (input, other)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    _check_alpha(input, other, alpha, "sub")
    if _CX.is_complex_operand(input) or _CX.is_complex_operand(other):
        r = _CX.sub(input, other, alpha)
        return check_out(out, r, "sub") if out is not None else r
    r = Sub.apply(input, other, alpha)
    return check_out(out, r, "sub") if out is not None else r


subtract = sub


def _complex_binary(cls, name, a, b):
    """mul and true division have complex forms (ops/complex.py); the rest refuse."""
    if cls is Mul:
        return _CX.mul(a, b)
    if cls is Div:
        return _CX.div(a, b)
    raise _CX.unsupported(name, result_type(a, b))


def _check_alpha(a, b, alpha, name):
    if alpha != 1 and isinstance(alpha, float) and not result_type(a, b).is_floating_point:
        raise RuntimeError(f"{name}: for integral input tensors, argument alpha must not be a "
                           "floating point number.")


mul = _binary_fn(Mul, "mul")
_tanh_backward = _binary_fn(TanhBackward, "tanh_backward")
_sigmoid_backward = _binary_fn(SigmoidBackward, "sigmoid_backward")
_relu_backward = _binary_fn(ReluBackward, "relu_backward")
multiply = mul


def div(input, other, *, rounding_mode: str | None = None, out=None) -> Tensor:
    """input / other; rounding_mode None (true division), "trunc" or "floor"."""
    if rounding_mode is None and out is None:
        if other.__class__ is float or other.__class__ is int:
            r = _fast_scalar(Div.scalar_op, input, other, "div")
            if r is not None:
                return r
        elif input.__class__ is Tensor and input._dtype.is_floating_point:
            r = _fast_binary(lib.EM_DIV, input, other, "div")
            if r is not None:
                return r
    if input.__class__ is SparseCooTensor or other.__class__ is SparseCooTensor:
        if out is not None:
            raise unsupported("div with out=")
        from ..sparse._arithmetic import div as sparse_div
        return sparse_div(input, other, rounding_mode)
    if _CX.is_complex_operand(input) or _CX.is_complex_operand(other):
        if rounding_mode is not None:
            raise _CX.unsupported(f"div(rounding_mode='{rounding_mode}')",
                                  result_type(input, other))
        r = _CX.div(input, other)
    elif rounding_mode is None:
        r = Div.apply(input, other)
    elif rounding_mode in ("trunc", "floor"):
        _check_int_zero_div(input, other)
        r = (DivTrunc if rounding_mode == "trunc" else DivFloor).apply(input, other)
    else:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return check_out(out, r, "div") if out is not None else r


divide = div
true_divide = _binary_fn(Div, "true_divide")


def _check_int_zero_div(a, b):
    if not result_type(a, b).is_floating_point:
        zero = (b == 0).any().item() if isinstance(b, Tensor) else b == 0
        if zero:
            raise ZeroDivisionError("ZeroDivisionError")


def floor_divide(input, other, *, out=None) -> Tensor:
    return div(input, other, rounding_mode="floor", out=out)


def remainder(input, other, *, out=None) -> Tensor:
    _check_int_zero_div(input, other)
    r = Remainder.apply(input, other)
    return check_out(out, r, "remainder") if out is not None else r


def fmod(input, other, *, out=None) -> Tensor:
    _check_int_zero_div(input, other)
    r = Fmod.apply(input, other)
    return check_out(out, r, "fmod") if out is not None else r


def pow(input, exponent, *, out=None) -> Tensor:
    """input ** exponent; a number or tensor on either side."""
    if input.__class__ is SparseCooTensor or exponent.__class__ is SparseCooTensor:
        if out is not None:
            raise unsupported("pow with out=")
        from ..sparse._unary import sparse_pow
        return sparse_pow(pow, input, exponent)
    if _CX.is_complex_operand(input) or _CX.is_complex_operand(exponent):
        r = _CX.pow(input, exponent)
        return check_out(out, r, "pow") if out is not None else r
    if isinstance(input, Tensor) and is_scalar(exponent):
        dtype = result_type(input, exponent)
        if not dtype.is_floating_point and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        x = input if dtype is input._dtype else input.to(dtype)
        r = PowScalar.apply(x, float(exponent))
    elif is_scalar(input) and isinstance(exponent, Tensor):
        dtype = result_type(input, exponent)
        if not dtype.is_floating_point:
            r = Pow.apply(input, exponent)
        else:
            e = exponent if dtype is exponent._dtype else exponent.to(dtype)
            if input <= 0:
                r = Pow.apply(input, e)
            else:
                r = RPowScalar.apply(e, float(input))
    else:
        if (isinstance(exponent, Tensor) and not result_type(input, exponent).is_floating_point
                and (exponent < 0).any().item()):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        r = Pow.apply(input, exponent)
    return check_out(out, r, "pow") if out is not None else r


def float_power(input, exponent, *, out=None) -> Tensor:
    a = input.double() if isinstance(input, Tensor) else float(input)
    b = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b, out=out)


atan2 = _binary_fn(Atan2, "atan2")
arctan2 = atan2
hypot = _binary_fn(Hypot, "hypot")
maximum = _binary_fn(Maximum, "maximum")
minimum = _binary_fn(Minimum, "minimum")
fmax = _binary_fn(Fmax, "fmax")
fmin = _binary_fn(Fmin, "fmin")
copysign = _binary_fn(Copysign, "copysign")
xlogy = _binary_fn(Xlogy, "xlogy")


def _int_only(cls, name):
    def fn(input, other, *, out=None):
        if result_type(input, other).is_floating_point:
            raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
        r = cls.apply(input, other)
        return check_out(out, r, name) if out is not None else r
    fn.__name__ = name
    return fn


bitwise_and = _int_only(BitwiseAnd, "bitwise_and")
bitwise_or = _int_only(BitwiseOr, "bitwise_or")
bitwise_xor = _int_only(BitwiseXor, "bitwise_xor")
bitwise_left_shift = _int_only(LeftShift, "bitwise_left_shift")
bitwise_right_shift = _int_only(RightShift, "bitwise_right_shift")


def bitwise_not(input, *, out=None):
    if input._dtype.is_floating_point:
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    r = _empty(input._shape, input._dtype, input.device)
    backend_of(input).unary(lib.EM_BITWISE_NOT, input, r, name="bitwise_not")
    return check_out(out, r, "bitwise_not") if out is not None else r


def _cmp_fn(code, name):
    def fn(input, other, *, out=None):
        r = _compare(code, input, other, name)
        return check_out(out, r, name) if out is not None else r
    fn.__name__ = name
    return fn


eq = _cmp_fn(lib.EM_EQ, "eq")
ne = _cmp_fn(lib.EM_NE, "ne")
lt = _cmp_fn(lib.EM_LT, "lt")
le = _cmp_fn(lib.EM_LE, "le")
gt = _cmp_fn(lib.EM_GT, "gt")
ge = _cmp_fn(lib.EM_GE, "ge")
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge
logical_and = _cmp_fn(lib.EM_LOGICAL_AND, "logical_and")
logical_or = _cmp_fn(lib.EM_LOGICAL_OR, "logical_or")
logical_xor = _cmp_fn(lib.EM_LOGICAL_XOR, "logical_xor")


def logical_not(input, *, out=None):
    r = _pred(lib.EM_LOGICAL_NOT, input, "logical_not")
    return check_out(out, r, "logical_not") if out is not None else r


def _pred_fn(code, name):
    def fn(input):
        if input.__class__ is SparseCooTensor:
            return _sparse_unary(fn, name, input, None)
        return _pred(code, input, name)
    fn.__name__ = name
    return fn


isnan = _pred_fn(lib.EM_ISNAN, "isnan")
isinf = _pred_fn(lib.EM_ISINF, "isinf")
isposinf = _pred_fn(lib.EM_ISPOSINF, "isposinf")
isneginf = _pred_fn(lib.EM_ISNEGINF, "isneginf")
isfinite = _pred_fn(lib.EM_ISFINITE, "isfinite")
signbit = _pred_fn(lib.EM_SIGNBIT, "signbit")


def isreal(input):
    from .creation import ones_like
    return ones_like(input, dtype=D.bool_)


def where(condition, input=None, other=None):
    """Elements of input where condition holds, else of other (numbers allowed)."""
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if _CX.is_complex_operand(input) or _CX.is_complex_operand(other):
        return _CX.where(condition, input, other)
    return Where.apply(condition, input, other)


def logaddexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """log(exp(input) + exp(other)) without overflow.

    Example:
        >>> ember.logaddexp(ember.tensor([0.0, 1000.0]), ember.tensor([0.0, 1000.0]))
        tensor([   0.6931, 1000.6931])
    """
    return _log_add_exp(input, other, math.e, "logaddexp", out)


def logaddexp2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """log2(2**input + 2**other) without overflow.

    Example:
        >>> ember.logaddexp2(ember.tensor([1.0]), ember.tensor([1.0]))
        tensor([2.])
    """
    return _log_add_exp(input, other, 2.0, "logaddexp2", out)


def _log_add_exp(a, b, base: float, name: str, out) -> Tensor:
    for arg, x in (("input", a), ("other", b)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {1 + (arg == 'other')}) "
                            f"must be Tensor, not {type(x).__name__}")
    dtype = result_type(a, b)
    if not dtype.is_floating_point:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{pretty_dtype(dtype)}\'')
    a, b = a.to(dtype), b.to(dtype)
    m = maximum(a, b)
    gap = -(a - b).abs()
    # the larger term plus log(1 + base**-gap); equal infinities (where the gap is NaN) are
    # their own sum
    tail = (gap.exp().log1p() if base == math.e else (gap * math.log(2)).exp().log1p() /
            math.log(2))
    r = where(isinf(a) & (a == b), a, m + tail)
    return check_out(out, r, name) if out is not None else r


def deg2rad(input: Tensor, *, out=None) -> Tensor:
    """Degrees to radians (integers give the default float dtype)."""
    if input.__class__ is SparseCooTensor:
        return _sparse_unary(deg2rad, "deg2rad", input, out)
    r = _to_float(input) * (math.pi / 180)
    return check_out(out, r, "deg2rad") if out is not None else r


def rad2deg(input: Tensor, *, out=None) -> Tensor:
    """Radians to degrees (integers give the default float dtype)."""
    if input.__class__ is SparseCooTensor:
        return _sparse_unary(rad2deg, "rad2deg", input, out)
    r = _to_float(input) * (180 / math.pi)
    return check_out(out, r, "rad2deg") if out is not None else r


def sinc(input: Tensor, *, out=None) -> Tensor:
    """The normalized sinc: sin(pi x) / (pi x), and 1 at 0 (gradient 0 there).

    Example:
        >>> ember.sinc(ember.tensor([0.0, 0.5]))
        tensor([1.0000, 0.6366])
    """
    r = _Sinc.apply(_to_float(input))
    return check_out(out, r, "sinc") if out is not None else r


class _Sinc(Function):
    """sinc, with its derivative pi f'(pi x) for f(t) = sin t / t. From |pi x| = 0.1 it is
    torch's formula, (t cos t - sin t) / t^2, so float32 rounds as torch's does; nearer 0
    that formula cancels (float32 loses all digits by x ~ 1e-4, and CUDA's sin and cos
    round its noise differently from the CPU's), so there it is f's Taylor series through
    t^9, exact to float64 below 0.1. Zero takes a stand-in of 1 inside, so no 0/0 reaches
    a gradient."""

    @staticmethod
    def forward(ctx, x):
        zero = x == 0
        safe = where(zero, 1.0, x)
        ctx.save_for_backward(x)
        px = safe * math.pi
        return where(zero, 1.0, px.sin() / px)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        t = x * math.pi
        near = t.abs() < 0.1
        safe = where(near, 1.0, t)
        formula = (safe * safe.cos() - safe.sin()) / (safe * safe)
        y = t * t
        series = t * (-1 / 3 + y * (1 / 30 + y * (-1 / 840 + y * (1 / 45360 - y / 3991680))))
        return g * (where(near, series, formula) * math.pi)


def _to_float(x: Tensor) -> Tensor:
    return x if x._dtype.is_floating_point else x.to(D.get_default_dtype())


def rsub(input, other, *, alpha=1) -> Tensor:
    """other - alpha * input: sub with its operands swapped."""
    return sub(other, input, alpha=alpha)


# the integer type of each float's width, to step through floats by their bit patterns
_BITS_OF = {D.float32: D.int32, D.float64: D.int64, D.float16: D.int16, D.bfloat16: D.int16}


def nextafter(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The next representable float after input in the direction of other.

    Floats of one sign are ordered as their bit patterns, so the neighbour is one step of
    the pattern: up in magnitude, or down, by whether other lies away from zero.

    Example:
        >>> ember.nextafter(ember.tensor([1.0]), ember.tensor([2.0])) - 1
        tensor([1.1921e-07])
    """
    r = _NextAfter.apply(input, other)
    return check_out(out, r, "nextafter") if out is not None else r


class _NextAfter(Function):
    """No derivative, as in torch: the graph is recorded so that backward says so."""

    @staticmethod
    def forward(ctx, input, other):
        from .creation import full_like
        from .join import broadcast_tensors
        dtype = result_type(input, other)
        if dtype not in _BITS_OF:
            raise RuntimeError(f'"nextafter_cpu" not implemented for '
                               f"'{pretty_dtype(dtype)}'")
        x, y = broadcast_tensors(input.to(dtype), other.to(dtype))
        away = (y > x) == (x > 0)  # magnitude grows: the pattern steps up
        bits = x.contiguous().view(_BITS_OF[dtype])
        stepped = (bits + away.to(bits.dtype) * 2 - 1).view(dtype)
        tiniest = copysign(full_like(bits, 1).view(dtype), y)  # the pattern 1: least subnormal
        r = where(x == y, y, where(x == 0, tiniest, stepped))
        return where(isnan(x) | isnan(y), x + y, r)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for 'nextafter' is not implemented.")


def heaviside(input: Tensor, values: Tensor, *, out=None) -> Tensor:
    """The step function: 0 below zero, 1 above, values where input is 0.

    Example:
        >>> ember.heaviside(ember.tensor([-1.0, 0.0, 2.0]), ember.tensor([0.5]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    if input._dtype is not values._dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    r = _Heaviside.apply(input, values)
    return check_out(out, r, "heaviside") if out is not None else r


class _Heaviside(Function):
    """No derivative, as in torch: the graph is recorded so that backward says so."""

    @staticmethod
    def forward(ctx, input, values):
        return where(input == 0, values, (input > 0).to(input._dtype))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for 'heaviside' is not implemented.")


def gcd(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The greatest common divisor of integers, elementwise (0 where both are 0).

    Example:
        >>> ember.gcd(ember.tensor([12, -18, 0]), ember.tensor([8, 12, 5]))
        tensor([4, 6, 5])
    """
    r = _gcd(input, other, "gcd")
    return check_out(out, r, "gcd") if out is not None else r


def lcm(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The least common multiple of integers, elementwise (0 where either is 0).

    Example:
        >>> ember.lcm(ember.tensor([4, -6]), ember.tensor([6, 4]))
        tensor([12, 12])
    """
    divisor = _gcd(input, other, "lcm")
    zero = divisor == 0
    r = where(zero, 0, (input // where(zero, 1, divisor)) * other).abs()
    return check_out(out, r, "lcm") if out is not None else r


def _gcd(a: Tensor, b: Tensor, name: str) -> Tensor:
    """Euclid's algorithm over whole tensors: at most ~92 rounds for int64 (consecutive
    Fibonacci numbers take the most)."""
    dtype = result_type(a, b)
    if dtype.is_floating_point or dtype.is_complex or dtype is D.bool_:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{pretty_dtype(dtype)}\'')
    shape = broadcast_shapes(a._shape, b._shape)
    a, b = a.to(dtype).expand(shape).abs(), b.to(dtype).expand(shape).abs()
    while (b != 0).any():
        live = b != 0
        a, b = where(live, b, a), where(live, a % where(live, b, 1), 0)
    return a


def ldexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """input * 2 ** other (integers give the default float dtype).

    Example:
        >>> ember.ldexp(ember.tensor([1.0, 3.0]), ember.tensor([2, -1]))
        tensor([4.0000, 1.5000])
    """
    dtype = result_type(input, other)
    if not dtype.is_floating_point:
        dtype = D.get_default_dtype()
    r = input.to(dtype) * pow(2.0, other.to(dtype))
    return check_out(out, r, "ldexp") if out is not None else r


_frexp_result = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input: Tensor) -> tuple:
    """input split into mantissa (0.5 <= |m| < 1, or 0) and int32 exponent, with
    input == mantissa * 2 ** exponent; infinities and NaN keep themselves, exponent 0.

    Example:
        >>> ember.frexp(ember.tensor([3.0]))
        frexp(mantissa=tensor([0.7500]), exponent=tensor([2], dtype=ember.int32))
    """
    if not input._dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    wide = input.detach().double()  # every float's exponent (subnormals too) is exact here
    finite = wide.isfinite() & (wide != 0)
    exponent = where(finite, wide.abs().log2().floor() + 1, 0)
    # log2 can round across a power of two: one step either way puts |m| in [0.5, 1)
    scaled = _scale_down(wide, exponent).abs()
    exponent = (exponent - (finite & (scaled < 0.5)).double() +
                (finite & (scaled >= 1)).double())
    return _frexp_result(_scale_down(input.double(), exponent).to(input._dtype),
                        exponent.to(D.int32))


def _scale_down(x: Tensor, exponent: Tensor) -> Tensor:
    """x / 2 ** exponent exactly, in two halvings: 2 ** 1024 alone would overflow."""
    half = (exponent / 2).floor()
    return x / pow(2.0, half) / pow(2.0, exponent - half)


# i0 sums its power series up to |x| = 40 (100 terms reach float64's precision there) and
# its asymptotic series beyond (12 terms: relative error ~2e-16 at 40)
_I0_SERIES_TO = 40.0


def i0(input: Tensor, *, out=None) -> Tensor:
    """The modified Bessel function of the first kind of order 0, elementwise; its gradient
    (I1) comes through autograd of the series.

    Example:
        >>> ember.i0(ember.tensor([0.0, 1.0]))
        tensor([1.0000, 1.2661])
    """
    r = _bessel_i(input, 0, scaled=False)
    return check_out(out, r, "i0") if out is not None else r


def i0e(input: Tensor, *, out=None) -> Tensor:
    """exp(-|x|) i0(x), which stays finite where i0 overflows."""
    r = _bessel_i(input, 0, scaled=True)
    return check_out(out, r, "i0e") if out is not None else r


def _bessel_i(input: Tensor, order: int, scaled: bool) -> Tensor:
    """I0 or I1 of input (times exp(-|x|) when scaled): the power series
    sum_k (x/2)^(2k + order) / (k! (k + order)!) up to |x| = 40, the asymptotic series
    e^|x| / sqrt(2 pi |x|) sum_k c_k / |x|^k beyond; I1 is odd."""
    x = _to_float(input)
    a = x.abs()
    near = a <= _I0_SERIES_TO
    # each series sees a stand-in where the other is taken: no overflow reaches a gradient
    small = where(near, a, 0.0)
    # I1's series in x itself: odd, and its slope at 0 (1/2) survives autograd
    power = term = where(near, x, 0.0) * 0.5 if order else small.new_ones(small.shape)
    quarter_square = small * small * 0.25
    for k in range(1, 100):
        term = term * quarter_square / (k * (k + order))
        power = power + term
    large = where(near | a.isinf(), _I0_SERIES_TO + 1, a)
    asymptotic = term = large.new_ones(large.shape)
    for k in range(1, 12):  # c_k = c_(k-1) ((2k - 1)^2 - 4 order^2) / (8k)
        term = term * ((2 * k - 1) ** 2 - 4 * order * order) / (8 * k * large)
        asymptotic = asymptotic + term
    asymptotic = asymptotic / (2 * math.pi * large).sqrt()
    far = where(a.isinf(), 0.0, asymptotic) if scaled else where(a.isinf(), math.inf,
                                                                   asymptotic * large.exp())
    if order:
        far = far * x.sign()
    return where(near, power * (-small).exp() if scaled else power, far)


# B_2, B_4, ..., B_14: the Bernoulli numbers of polygamma's asymptotic series
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
# the series runs where x is at least this; below, the recurrence climbs there first
_SERIES_FROM = 16.0


def polygamma(n: int, input: Tensor, *, out=None) -> Tensor:
    """The n-th derivative of digamma. For n >= 1, the recurrence
    psi_n(x) = psi_n(x + 1) + (-1)^(n+1) n! / x^(n+1) climbs from the smallest x to 16,
    where the asymptotic series (Bernoulli terms to B_14) holds to about 1e-11; torch sums
    the same Hurwitz zeta. Differentiable in input (its derivative is polygamma(n + 1)).

    Example:
        >>> ember.polygamma(1, ember.tensor([1.0]))   # pi^2 / 6
        tensor([1.6449])
    """
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = _to_float(input)
    if n == 0:
        r = digamma(x)
        return check_out(out, r, "polygamma") if out is not None else r
    finite = x[x.isfinite()]
    lowest = finite.min().item() if finite.numel() else _SERIES_FROM
    climbed = x.new_zeros(x.shape)
    y = x
    for _ in range(max(0, math.ceil(_SERIES_FROM - lowest))):
        climbed = climbed + y.pow(-(n + 1))
        y = y + 1
    series = math.factorial(n - 1) * y.pow(-n) + math.factorial(n) / 2 * y.pow(-(n + 1))
    for k, bernoulli in enumerate(_BERNOULLI, 1):
        coefficient = bernoulli * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        series = series + coefficient * y.pow(-(2 * k + n))
    r = (math.factorial(n) * climbed + series) * (-1) ** (n + 1)
    return check_out(out, r, "polygamma") if out is not None else r


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x); weight has 1 or C (dim 1) entries."""
    w = weight
    if weight.numel() != 1 and input.dim() >= 2:
        w = weight.reshape((-1,) + (1,) * (input.dim() - 2))
    return where(input > 0, input, w * input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input where |input| > lambd, else 0."""
    return where((input > lambd) | (input < -lambd), input, input * 0)


def positive(input: Tensor) -> Tensor:
    """input itself (unary plus); bool tensors are refused, as in torch."""
    if input._dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def lerp(input, end, weight, *, out=None) -> Tensor:
    """input + weight * (end - input) in torch's two forms: counted from input while
    |weight| < 0.5, from end beyond, so that weight 1 gives end exactly.

    Example:
        >>> ember.lerp(ember.tensor([1e8]), ember.tensor([1.0]), 1.0)
        tensor([1.])
    """
    diff = end - input
    if isinstance(weight, Tensor):
        r = where(weight.abs() < 0.5, input + weight * diff, end - diff * (1 - weight))
    elif -0.5 < weight < 0.5:
        r = input + weight * diff
    else:
        r = end - diff * (1 - weight)
    return check_out(out, r, "lerp") if out is not None else r


def addcmul(input, tensor1, tensor2, *, value=1, out=None) -> Tensor:
    r = input + value * (tensor1 * tensor2) if value != 1 else input + tensor1 * tensor2
    return check_out(out, r, "addcmul") if out is not None else r


def addcdiv(input, tensor1, tensor2, *, value=1, out=None) -> Tensor:
    if not result_type(tensor1, tensor2).is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float "
                           "inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    r = input + value * (tensor1 / tensor2) if value != 1 else input + tensor1 / tensor2
    return check_out(out, r, "addcdiv") if out is not None else r


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    if input._dtype is not other._dtype:
        raise RuntimeError(f"{input._dtype} did not match {other._dtype}")
    if not input._dtype.is_floating_point:
        return eq(input, other)
    close = (input - other).abs() <= atol + rtol * other.abs()
    close = close | (input == other)
    if equal_nan:
        close = close | (input.isnan() & other.isnan())
    return close


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def equal(input, other) -> bool:
    return input._shape == other._shape and bool(eq(input, other).all().item())


