"""ember.special: torch.special's functions, from ember's elementwise ops.

Most are ember's ops under SciPy's names (expit is sigmoid, gammaln is lgamma, psi is
digamma); the rest are short compositions of them, differentiable through autograd:
the normal distribution's CDF (ndtr), its log and its inverse, entropy terms, the
multivariate log-gamma, the Bessel functions I1 and I1e, and the scaled erfc (erfcx).

Example:
    >>> ember.special.ndtr(ember.tensor([0.0]))
    tensor([0.5000])
"""

from __future__ import annotations

import math

from . import _dtype as D
from ._tensor import Tensor
from .ops.activation import log_softmax as _log_softmax
from .ops.activation import softmax as _softmax
from .autograd.function import Function
from .autograd.grad_mode import no_grad
from .ops.creation import empty, ones_like, tensor
from .ops._util import (backend_of, broadcast_shapes, check_out, device_of, pretty_dtype,
                        result_type)
from .ops.elementwise import (_bessel_i, digamma, erf, erfc, erfinv, exp2, expm1, i0, i0e,
                              lgamma, log1p, logit, polygamma, round, sigmoid, sinc, where,
                              xlogy)
from .ops.reduce import logsumexp

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
           "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
           "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
           "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax",
           "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]

expit = sigmoid
gammaln = lgamma
psi = digamma


def i1(input: Tensor, *, out=None) -> Tensor:
    """The modified Bessel function of the first kind of order 1, elementwise (odd in x);
    its gradient comes through autograd of the series.

    Example:
        >>> ember.special.i1(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.5652])
    """
    r = _bessel_i(input, 1, scaled=False)
    return check_out(out, r, "i1") if out is not None else r


def i1e(input: Tensor, *, out=None) -> Tensor:
    """exp(-|x|) i1(x), which stays finite where i1 overflows."""
    r = _bessel_i(input, 1, scaled=True)
    return check_out(out, r, "i1e") if out is not None else r


# past this, exp(x^2) erfc(x) meets erfc's underflow; its asymptotic series (8 terms) is
# good to ~1e-19 relative from here on
_ERFCX_SERIES_FROM = 25.0


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function exp(x^2) erfc(x), which stays finite (about
    1 / (x sqrt(pi))) where erfc underflows. Its derivative is 2 x erfcx(x) - 2 / sqrt(pi).

    Example:
        >>> ember.special.erfcx(ember.tensor([0.0, 30.0]))
        tensor([1.0000, 0.0188])
    """
    return _Erfcx.apply(input)


class _Erfcx(Function):
    @staticmethod
    def forward(ctx, input):
        dtype = input.dtype if input.dtype.is_floating_point else D.get_default_dtype()
        x = input.double()
        far = x >= _ERFCX_SERIES_FROM
        near = where(far, 0.0, x)
        # exp(x^2) with x^2 split exactly in two (x's halves by Veltkamp's splitter), so
        # that rounding x^2 costs no 700 ulps of exp's result near x = -26
        scaled = near * 134217729.0
        high = scaled - (scaled - near)
        low = near - high
        square_error = (high * low) * 2 + low * low
        direct = (high * high).exp() * square_error.exp() * erfc(near)
        # 1/(x sqrt pi) sum_n (-1)^n (2n - 1)!! / (2 x^2)^n
        big = where(far, x, _ERFCX_SERIES_FROM)
        step = (big * big * 2).reciprocal()
        term = total = ones_like(big)
        for n in range(1, 8):
            term = term * -(2 * n - 1) * step
            total = total + term
        series = total / (big * math.sqrt(math.pi))
        r = where(far, where(x.isinf(), 0.0, series), where(x == -math.inf, math.inf, direct))
        ctx.save_for_backward(input)
        return r.to(dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x * erfcx(x) * 2 - 2 / math.sqrt(math.pi))


def gammainc(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a),
    for a = input, x = other (broadcast); differentiable in x (torch has no gradient in a
    either).

    Example:
        >>> ember.special.gammainc(ember.tensor([2.0]), ember.tensor([1.5]))
        tensor([0.4422])
    """
    r = _Igamma.apply(input, other, False)
    return check_out(out, r, "igamma") if out is not None else r


def gammaincc(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), computed
    directly so that a small Q keeps its relative precision.

    Example:
        >>> ember.special.gammaincc(ember.tensor([2.0]), ember.tensor([1.5]))
        tensor([0.5578])
    """
    r = _Igamma.apply(input, other, True)
    return check_out(out, r, "igammac") if out is not None else r


class _Igamma(Function):
    """P(a, x) or Q(a, x) by the backend's kernel (csrc/special.c, or its CUDA twin), on
    contiguous broadcast copies in float32 or float64."""

    @staticmethod
    def forward(ctx, a, x, upper):
        name = "igammac" if upper else "igamma"
        a, x = (v if isinstance(v, Tensor) else tensor(v) for v in (a, x))
        dtype = result_type(a, x)
        if not dtype.is_floating_point or dtype.is_complex:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                      f"'{pretty_dtype(dtype)}'")
        compute = D.float64 if dtype is D.float64 else D.float32
        shape = broadcast_shapes(a.shape, x.shape)
        ac, xc = (v.detach().to(compute).expand(shape).contiguous() for v in (a, x))
        out = empty(shape, dtype=compute, device=device_of(a, x))
        if out.numel():
            backend_of(out).igamma(ac, xc, out, upper)
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        return out.to(dtype)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        # dP/dx = x^(a-1) e^-x / Gamma(a), the gamma density
        density = (xlogy(a - 1, x) - x - lgamma(a)).exp()
        return None, grad * (-density if ctx.upper else density), None


# ---- Bessel, Airy, Hurwitz zeta and orthogonal polynomials --------------------------
# Each runs the backend's kernel (csrc/special.c, or the CUDA twin; the scalar code for
# both is backends/em_special_math.h) on contiguous broadcast copies in float32 or float64.
# The codes are em_special_math.h's EM_SF_* numbers. torch defines no gradient for any of
# them but zeta's in q, so their results do not require grad.

_UNARY = {"bessel_j0": 0, "bessel_j1": 1, "bessel_y0": 2, "bessel_y1": 3,
          "modified_bessel_k0": 4, "modified_bessel_k1": 5, "scaled_modified_bessel_k0": 6,
          "scaled_modified_bessel_k1": 7, "spherical_bessel_j0": 8, "airy_ai": 9}
_BINARY = {"zeta": 0, "chebyshev_polynomial_t": 1, "chebyshev_polynomial_u": 2,
           "chebyshev_polynomial_v": 3, "chebyshev_polynomial_w": 4,
           "shifted_chebyshev_polynomial_t": 5, "shifted_chebyshev_polynomial_u": 6,
           "shifted_chebyshev_polynomial_v": 7, "shifted_chebyshev_polynomial_w": 8,
           "hermite_polynomial_h": 9, "hermite_polynomial_he": 10, "laguerre_polynomial_l": 11,
           "legendre_polynomial_p": 12}


def _run_special(name: str, *operands) -> Tensor:
    """torch.special's `name` of one tensor, or of two (tensors or numbers, broadcast)."""
    if not any(isinstance(v, Tensor) for v in operands):
        raise TypeError(f"special_{name}(): expected at least one Tensor argument")
    dtype = result_type(*operands)
    dev = device_of(*(v for v in operands if isinstance(v, Tensor)))
    if dtype.is_complex or (dtype.is_floating_point and
                            dtype not in (D.float32, D.float64)):
        raise NotImplementedError(f"\"{name}_{dev.type}\" not implemented for "
                                  f"'{pretty_dtype(dtype)}'")
    if not dtype.is_floating_point:  # integers and bools compute in the default float dtype
        dtype = D.get_default_dtype()
    ts = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in operands]
    shape = broadcast_shapes(*(t.shape for t in ts))
    with no_grad():
        args = tuple(t.detach().to(device=dev, dtype=dtype).expand(shape).contiguous()
                     for t in ts)
        out = empty(shape, dtype=dtype, device=dev)
        if out.numel():
            code = _UNARY[name] if len(operands) == 1 else _BINARY[name]
            backend_of(out).special(code, args, out)
    return out


def _unary(name: str, doc: str):
    def fn(input: Tensor, *, out=None) -> Tensor:
        r = _run_special(name, input)
        return check_out(out, r, f"special_{name}") if out is not None else r
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _polynomial(name: str, doc: str):
    def fn(input, n, *, out=None) -> Tensor:
        r = _run_special(name, input, n)
        return check_out(out, r, f"special_{name}") if out is not None else r
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


bessel_j0 = _unary("bessel_j0", "The Bessel function of the first kind of order 0.")
bessel_j1 = _unary("bessel_j1", "The Bessel function of the first kind of order 1.")
bessel_y0 = _unary("bessel_y0", "The Bessel function of the second kind of order 0 (NaN below "
                   "0, -inf at 0).")
bessel_y1 = _unary("bessel_y1", "The Bessel function of the second kind of order 1 (NaN below "
                   "0, -inf at 0).")
modified_bessel_k0 = _unary("modified_bessel_k0", "The modified Bessel function of the second "
                            "kind of order 0 (NaN below 0, inf at 0).")
modified_bessel_k1 = _unary("modified_bessel_k1", "The modified Bessel function of the second "
                            "kind of order 1 (NaN below 0, inf at 0).")
scaled_modified_bessel_k0 = _unary("scaled_modified_bessel_k0", "exp(x) K0(x), which stays "
                                   "finite where K0 underflows.")
scaled_modified_bessel_k1 = _unary("scaled_modified_bessel_k1", "exp(x) K1(x), which stays "
                                   "finite where K1 underflows.")
spherical_bessel_j0 = _unary("spherical_bessel_j0", "The spherical Bessel function of the "
                             "first kind of order 0, sin(x) / x.")
airy_ai = _unary("airy_ai", """The Airy function Ai(x).

    Example:
        >>> ember.special.airy_ai(ember.tensor([0.0]))
        tensor([0.3550])
    """)

chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", """The Chebyshev polynomial
    of the first kind T_n(x), for x = input and degree n (a tensor or a number, broadcast;
    truncated to an integer, and 0 where it is negative, as in torch).

    Example:
        >>> ember.special.chebyshev_polynomial_t(ember.tensor([0.5]), 3)
        tensor([-1.])
    """)
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "The Chebyshev polynomial of "
                                     "the second kind U_n(x).")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "The Chebyshev polynomial of "
                                     "the third kind V_n(x).")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "The Chebyshev polynomial of "
                                     "the fourth kind W_n(x).")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t",
                                             "T_n(2x - 1), the shifted Chebyshev polynomial of "
                                             "the first kind.")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u",
                                             "U_n(2x - 1), the shifted Chebyshev polynomial of "
                                             "the second kind.")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v",
                                             "V_n(2x - 1), the shifted Chebyshev polynomial of "
                                             "the third kind.")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w",
                                             "W_n(2x - 1), the shifted Chebyshev polynomial of "
                                             "the fourth kind.")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "The physicists' Hermite "
                                   "polynomial H_n(x) (NaN past n = 512, as torch).")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "The probabilists' Hermite "
                                    "polynomial He_n(x) (NaN past n = 512, as torch).")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "The Laguerre polynomial L_n(x).")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "The Legendre polynomial P_n(x).")


def zeta(input, other, *, out=None) -> Tensor:
    """The Hurwitz zeta function zeta(x, q) = sum over k >= 0 of (q + k)^-x, for x = input and
    q = other (tensors or numbers, broadcast): inf at x = 1, NaN below. Differentiable in q
    (d/dq = -x zeta(x + 1, q)); torch has no derivative in x.

    Example:
        >>> ember.special.zeta(ember.tensor([2.0]), 1.0)
        tensor([1.6449])
    """
    r = _Zeta.apply(input, other)
    return check_out(out, r, "special_zeta") if out is not None else r


class _Zeta(Function):
    @staticmethod
    def forward(ctx, x, q):
        ctx.save_for_backward(*(v for v in (x, q) if isinstance(v, Tensor)))
        ctx.operands = (x, q)
        return _run_special("zeta", x, q)

    @staticmethod
    def backward(ctx, grad):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        saved = iter(ctx.saved_tensors)
        x, q = (next(saved) if isinstance(v, Tensor) else v for v in ctx.operands)
        return None, grad * -x * zeta(x + 1, q)


# torch's newer names, which (unlike ember's) have no gradient
modified_bessel_i0 = i0
modified_bessel_i1 = i1


def ndtr(input: Tensor) -> Tensor:
    """The standard normal distribution's CDF: (1 + erf(x / sqrt 2)) / 2."""
    return (1 + erf(input * math.sqrt(0.5))) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr: sqrt 2 * erfinv(2p - 1)."""
    return erfinv(input * 2 - 1) * math.sqrt(2)


# below this, log_ndtr takes its asymptotic series (5 terms: relative error ~1e-10 here)
_FAR_TAIL = -20.0


def log_ndtr(input: Tensor) -> Tensor:
    """log(ndtr(x)), accurate in both tails, computed in float64: log1p(-erfc(x / sqrt 2) / 2)
    above 0, log(erfc(-x / sqrt 2) / 2) below, and past -20, where erfc underflows,
    -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8)."""
    x = input.double()
    tail = x < _FAR_TAIL
    # each branch sees a stand-in where the other is taken, so no inf or NaN reaches a
    # gradient that where then discards
    near = where(tail, _FAR_TAIL, x) * math.sqrt(0.5)
    upper, lower = where(near > 0, near, 1.0), where(near > 0, -1.0, near)
    body = where(near > 0, log1p(erfc(upper) * -0.5), (erfc(-lower) * 0.5).log())
    far = where(tail, x, _FAR_TAIL)
    z = 1 / (far * far)
    series = (far * far * -0.5 - (-far).log() - 0.5 * math.log(2 * math.pi) +
              log1p(z * (-1 + z * (3 + z * (-15 + z * 105)))))
    return where(tail, series, body).to(input.dtype if input.is_floating_point() else
                                        D.get_default_dtype())


def entr(input: Tensor) -> Tensor:
    """-x log x elementwise: 0 at 0, -inf below 0, NaN at NaN."""
    x = input if input.is_floating_point() else input.float()
    # x at 0 and below takes a stand-in of 1 so that no log(0) reaches the gradient
    safe = where(x > 0, x, 1.0)
    return where(x > 0, -safe * safe.log(), where(x == 0, 0.0, where(x < 0, -math.inf, x)))


def xlog1py(input, other) -> Tensor:
    """input * log1p(other), 0 where input is 0 (unless other is NaN); either may be a
    number."""
    x = input if isinstance(input, Tensor) else tensor(input)
    y = other if isinstance(other, Tensor) else tensor(other)
    return where((x == 0) & ~y.isnan(), 0.0, x * log1p(y))


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma of dimension p: p(p-1)/4 log(pi) + sum over i < p of
    lgamma(x - i/2)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input.is_floating_point() else input.float()
    total = lgamma(x)
    for i in range(1, p):
        total = total + lgamma(x - i / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _log_softmax(input, dim, dtype)
