"""CUDA source text of ember's GPU kernels, generated from tables; no CuPy needed here.

Every kernel is built from plain strings so that tests can compile each one with
``nvcc`` on a machine without a GPU (tests/core/test_cuda_sources_compile.py).
Half types are stored as their raw 16 bits (``unsigned short``) and converted by
our own device functions, so the sources need no CUDA header beyond the runtime's
math library, and behave the same under NVRTC (CuPy) and nvcc.

Example:
    >>> parts = unary_parts(0, "float32")   # EM_ABS on float32
    >>> parts.operation
    'float v = (float)x; y = (float)(fabs(v));'
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

# ---- dtypes: storage type as seen by the kernel, compute type ----------------
# Keys are ember dtype names; half types are carried as their 16 raw bits.
CTYPE = {"float32": "float", "float64": "double", "float16": "unsigned short",
         "bfloat16": "unsigned short", "int8": "signed char", "int16": "short",
         "int32": "int", "int64": "long long", "uint8": "unsigned char", "bool": "bool"}
# CuPy's name for the same storage type (ElementwiseKernel parameter types)
CUPY_NAME = {"float32": "float32", "float64": "float64", "float16": "uint16",
             "bfloat16": "uint16", "int8": "int8", "int16": "int16", "int32": "int32",
             "int64": "int64", "uint8": "uint8", "bool": "bool"}
COMPUTE = {"float32": "float", "float64": "double", "float16": "float", "bfloat16": "float",
           "int8": "long long", "int16": "long long", "int32": "long long",
           "int64": "long long", "uint8": "long long", "bool": "long long"}
FLOATS = ("float32", "float64", "float16", "bfloat16")
DTYPES = tuple(CTYPE)


def load(dtype: str, expr: str) -> str:
    """C expression converting a stored value to the compute type."""
    if dtype == "float16":
        return f"em_h2f({expr})"
    if dtype == "bfloat16":
        return f"em_bf2f({expr})"
    return f"({COMPUTE[dtype]})({expr})"


def store(dtype: str, expr: str) -> str:
    """C expression converting a compute value to the storage type (round to nearest even)."""
    if dtype == "float16":
        return f"em_f2h((float)({expr}))"
    if dtype == "bfloat16":
        return f"em_f2bf((float)({expr}))"
    if dtype == "bool":
        return f"(bool)(({expr}) != 0)"
    return f"({CTYPE[dtype]})({expr})"


# ---- shared device functions --------------------------------------------------
PREAMBLE = r"""
#ifndef EM_CUDA_PREAMBLE
#define EM_CUDA_PREAMBLE
#define EM_NAN __int_as_float(0x7fc00000)
#define EM_INF __int_as_float(0x7f800000)
__device__ __forceinline__ float em_h2f(unsigned short h) {
    unsigned int s = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, r;
    if (e == 0x1fu) {
        r = s | 0x7f800000u | (m << 13);
    } else if (e == 0) {
        if (m == 0) return __int_as_float((int)s);
        float f = (float)m * 5.9604644775390625e-08f; /* m * 2^-24 */
        return s ? -f : f;
    } else {
        r = s | ((e + 112u) << 23) | (m << 13);
    }
    return __int_as_float((int)r);
}
__device__ __forceinline__ unsigned short em_f2h(float f) {
    unsigned int x = (unsigned int)__float_as_int(f), s = (x >> 16) & 0x8000u;
    unsigned int a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return (unsigned short)(s | 0x7e00u);
    if (a >= 0x477ff000u) return (unsigned short)(s | 0x7c00u); /* rounds to inf */
    if (a < 0x38800000u) {                                        /* subnormal or zero */
        float v = __int_as_float((int)a) * 16777216.0f;            /* exact: * 2^24 */
        unsigned int q = (unsigned int)__float2uint_rn(v);
        return (unsigned short)(s | q);
    }
    unsigned int r = a + 0xfffu + ((a >> 13) & 1u) - (112u << 23);
    return (unsigned short)(s | (r >> 13));
}
__device__ __forceinline__ float em_bf2f(unsigned short b) {
    return __int_as_float((int)((unsigned int)b << 16));
}
__device__ __forceinline__ unsigned short em_f2bf(float f) {
    unsigned int x = (unsigned int)__float_as_int(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((x >> 16) | 0x40u);
    return (unsigned short)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
template <typename T> __device__ __forceinline__ T em_clamp(T v, T lo, T hi) {
    T t = v < lo ? lo : v;
    return t > hi ? hi : t;
}
template <typename T> __device__ __forceinline__ T em_softplus(T v, T beta, T thr) {
    T bv = v * beta;
    return bv > thr ? v : log1p(exp(bv)) / beta;
}
template <typename T> __device__ __forceinline__ T em_logit(T v, T eps) {
    T z = eps < 0 ? v : em_clamp(v, eps, (T)1 - eps);
    return log(z / ((T)1 - z));
}
template <typename T> __device__ __forceinline__ T em_gelu_tanh(T v) {
    const T k = (T)0.79788456080286535588;
    return (T)0.5 * v * ((T)1 + tanh(k * (v + (T)0.044715 * v * v * v)));
}
template <typename T> __device__ __forceinline__ T em_gelu_tanh_grad(T v) {
    const T k = (T)0.79788456080286535588, c = (T)0.044715;
    T t = tanh(k * (v + c * v * v * v));
    return (T)0.5 * ((T)1 + t) + (T)0.5 * v * ((T)1 - t * t) * k * ((T)1 + (T)3 * c * v * v);
}
template <typename T> __device__ __forceinline__ T em_remainder(T a, T b) {
    T m = fmod(a, b);
    return (m != 0 && ((b < 0) != (m < 0))) ? m + b : m;
}
template <typename T> __device__ __forceinline__ T em_floor_divide(T a, T b) {
    if (b == 0) return a / b;
    T m = fmod(a, b);
    T d = (a - m) / b;
    if (m != 0 && ((b < 0) != (m < 0))) d -= 1;
    if (d != 0) {
        T f = floor(d);
        if (d - f > (T)0.5) f += 1;
        return f;
    }
    return copysign((T)0, a / b);
}
__device__ __forceinline__ long long em_ipow(long long base, long long e) {
    if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    long long r = 1;
    while (e) {
        if (e & 1) r *= base;
        base *= base;
        e >>= 1;
    }
    return r;
}
__device__ __forceinline__ long long em_ifloordiv(long long a, long long b) {
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
__device__ __forceinline__ long long em_iremainder(long long a, long long b) {
    long long m = a % b;
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}
__device__ double em_erfinv_d(double y) {
    if (y <= -1) return y == -1 ? -(double)EM_INF : (double)EM_NAN;
    if (y >= 1) return y == 1 ? (double)EM_INF : (double)EM_NAN;
    double w = -log((1.0 - y) * (1.0 + y)), x;
    if (w < 5.0) {
        w -= 2.5;
        x = 2.81022636e-08;
        x = 3.43273939e-07 + x * w; x = -3.5233877e-06 + x * w;
        x = -4.39150654e-06 + x * w; x = 0.00021858087 + x * w;
        x = -0.00125372503 + x * w; x = -0.00417768164 + x * w;
        x = 0.246640727 + x * w; x = 1.50140941 + x * w;
    } else {
        w = sqrt(w) - 3.0;
        x = -0.000200214257;
        x = 0.000100950558 + x * w; x = 0.00134934322 + x * w;
        x = -0.00367342844 + x * w; x = 0.00573950773 + x * w;
        x = -0.0076224613 + x * w; x = 0.00943887047 + x * w;
        x = 1.00167406 + x * w; x = 2.83297682 + x * w;
    }
    x *= y;
    for (int i = 0; i < 2; ++i) x -= (erf(x) - y) / (1.1283791670955126 * exp(-x * x));
    return x;
}
__device__ double em_digamma_d(double x) {
    const double pi = 3.14159265358979323846;
    if (x == 0) return copysign((double)EM_INF, -x);
    double r = 0;
    if (x < 0) {
        if (x == floor(x)) return (double)EM_NAN;
        r = -pi / tan(pi * x);
        x = 1 - x;
    }
    while (x < 6) {
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    double t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 +
               f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12)))))));
    return r + log(x) - 0.5 / x + t;
}
#endif
"""

# ---- unary ops: expressions in v (compute type C) and c0..c2 (C), p0 (double) --
# Order and codes follow enum em_unary_op in core/csrc/include/ember.h.
UNARY_OPS = (
    "abs", "neg", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1",
    "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "logit",
    "erf", "erfc", "erfinv", "lgamma", "digamma", "floor", "ceil", "round",
    "trunc", "frac", "sign", "reciprocal", "relu", "gelu", "gelu_tanh", "silu",
    "mish", "softplus", "softsign", "logsigmoid", "selu", "hardsigmoid",
    "hardswish", "bitwise_not", "elu", "leaky_relu", "clamp", "hardtanh",
    "threshold", "nan_to_num", "round_decimals", "celu", "pow_scalar",
    "rpow_scalar", "gelu_grad", "gelu_tanh_grad", "add_scalar", "mul_scalar",
    "div_scalar", "rsub_scalar",
)
UNARY_CODE = {name: i for i, name in enumerate(UNARY_OPS)}

_SELU_L, _SELU_A = "(C)1.0507009873554804934", "(C)1.6732632423543772848"
UNARY_FLOAT = {
    "abs": "fabs(v)", "neg": "-v", "exp": "exp(v)", "exp2": "exp2(v)", "log": "log(v)",
    "log2": "log2(v)", "log10": "log10(v)", "log1p": "log1p(v)", "expm1": "expm1(v)",
    "sqrt": "sqrt(v)", "rsqrt": "(C)1 / sqrt(v)", "square": "v * v", "sin": "sin(v)",
    "cos": "cos(v)", "tan": "tan(v)", "asin": "asin(v)", "acos": "acos(v)", "atan": "atan(v)",
    "sinh": "sinh(v)", "cosh": "cosh(v)", "tanh": "tanh(v)", "asinh": "asinh(v)",
    "acosh": "acosh(v)", "atanh": "atanh(v)", "sigmoid": "(C)1 / ((C)1 + exp(-v))",
    "logit": "em_logit(v, c0)", "erf": "erf(v)", "erfc": "erfc(v)",
    "erfinv": "(C)em_erfinv_d((double)v)", "lgamma": "lgamma(v)",
    "digamma": "(C)em_digamma_d((double)v)", "floor": "floor(v)", "ceil": "ceil(v)",
    "round": "rint(v)", "trunc": "trunc(v)", "frac": "v - trunc(v)",
    "sign": "v != v ? (C)0 : (C)((v > 0) - (v < 0))", "reciprocal": "(C)1 / v",
    "relu": "v < 0 ? (C)0 : v",
    "gelu": "(C)0.5 * v * ((C)1 + erf(v * (C)0.70710678118654752440))",
    "gelu_tanh": "em_gelu_tanh(v)", "silu": "v / ((C)1 + exp(-v))",
    "mish": "v * tanh(em_softplus(v, (C)1, (C)20))", "softplus": "em_softplus(v, c0, c1)",
    "softsign": "v / ((C)1 + fabs(v))", "logsigmoid": "fmin(v, (C)0) - log1p(exp(-fabs(v)))",
    "selu": f"v > 0 ? {_SELU_L} * v : {_SELU_L} * {_SELU_A} * expm1(v)",
    "hardsigmoid": "v <= -3 ? (C)0 : v >= 3 ? (C)1 : v / (C)6 + (C)0.5",
    "hardswish": "v <= -3 ? (C)0 : v >= 3 ? v : v * (v + (C)3) / (C)6",
    "elu": "v > 0 ? c1 * v : c1 * c0 * expm1(v * c2)", "leaky_relu": "v > 0 ? v : v * c0",
    "clamp": "em_clamp(v, c0, c1)", "hardtanh": "em_clamp(v, c0, c1)",
    "threshold": "v <= c0 ? c1 : v",
    "nan_to_num": "v != v ? c0 : v == (C)EM_INF ? c1 : v == -(C)EM_INF ? c2 : v",
    "round_decimals": "p0 > 0 ? rint(v * c1) / c1 : rint(v / c1) * c1",
    "celu": "fmax((C)0, v) + fmin((C)0, c0 * expm1(v / c0))",
    "pow_scalar": "c0 == 2 ? v * v : pow(v, c0)", "rpow_scalar": "pow(c0, v)",
    "gelu_grad": "(C)0.5 * ((C)1 + erf(v * (C)0.70710678118654752440)) + "
                 "v * exp((C)-0.5 * v * v) * (C)0.39894228040143267794",
    "gelu_tanh_grad": "em_gelu_tanh_grad(v)", "add_scalar": "v + c0", "mul_scalar": "v * c0",
    "div_scalar": "v / c0", "rsub_scalar": "c0 - v",
}
UNARY_INT = {
    "abs": "v < 0 ? -v : v", "neg": "-v", "square": "v * v", "sign": "(C)((v > 0) - (v < 0))",
    "floor": "v", "ceil": "v", "round": "v", "trunc": "v", "frac": "(C)0",
    "relu": "v < 0 ? (C)0 : v", "clamp": "em_clamp(v, c0, c1)", "hardtanh": "em_clamp(v, c0, c1)",
    "threshold": "v <= c0 ? c1 : v", "bitwise_not": "~v",
    "pow_scalar": "em_ipow(v, c0)", "rpow_scalar": "em_ipow(c0, v)",
}
UNARY_BOOL = dict(UNARY_INT, bitwise_not="!v")

PRED_OPS = ("isnan", "isinf", "isposinf", "isneginf", "isfinite", "signbit", "logical_not",
            "nonzero")
PRED_FLOAT = {"isnan": "v != v", "isinf": "isinf(v)", "isposinf": "v == (C)EM_INF",
              "isneginf": "v == -(C)EM_INF", "isfinite": "isfinite(v)",
              "signbit": "copysign((C)1, v) < 0", "logical_not": "v == 0", "nonzero": "v != 0"}
PRED_INT = {"isnan": "false", "isinf": "false", "isposinf": "false", "isneginf": "false",
            "isfinite": "true", "signbit": "v < 0", "logical_not": "v == 0", "nonzero": "v != 0"}

BINARY_OPS = ("add", "sub", "mul", "div", "div_trunc", "div_floor", "remainder", "fmod", "pow",
              "atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "copysign",
              "bitwise_and", "bitwise_or", "bitwise_xor", "lshift", "rshift", "xlogy",
              "tanh_backward", "sigmoid_backward", "relu_backward")
BINARY_FLOAT = {
    "add": "u + k * w", "sub": "u - k * w", "mul": "u * w", "div": "u / w",
    "div_trunc": "trunc(u / w)", "div_floor": "em_floor_divide(u, w)",
    "remainder": "em_remainder(u, w)", "fmod": "fmod(u, w)", "pow": "pow(u, w)",
    "atan2": "atan2(u, w)", "hypot": "hypot(u, w)",
    "maximum": "u != u ? u : w != w ? w : (u > w ? u : w)",
    "minimum": "u != u ? u : w != w ? w : (u < w ? u : w)",
    "fmax": "fmax(u, w)", "fmin": "fmin(u, w)", "copysign": "copysign(u, w)",
    "xlogy": "w != w ? w : u == 0 ? (C)0 : u * log(w)",
    "tanh_backward": "u * ((C)1 - w * w)", "sigmoid_backward": "u * ((C)1 - w) * w",
    "relu_backward": "w <= (C)0 ? (C)0 : u",
}
BINARY_INT = {
    "add": "u + k * w", "sub": "u - k * w", "mul": "u * w",
    "maximum": "u > w ? u : w", "minimum": "u < w ? u : w",
    "div_trunc": "w == 0 ? (C)0 : u / w", "div_floor": "w == 0 ? (C)0 : em_ifloordiv(u, w)",
    "remainder": "w == 0 ? (C)0 : em_iremainder(u, w)", "fmod": "w == 0 ? (C)0 : u % w",
    "pow": "em_ipow(u, w)", "fmax": "u > w ? u : w", "fmin": "u < w ? u : w",
    "bitwise_and": "u & w", "bitwise_or": "u | w", "bitwise_xor": "u ^ w",
    "lshift": "w < 0 || w >= (C)(8 * sizeof(S)) ? (C)0 : (C)((unsigned long long)u << w)",
    "rshift": "w < 0 || w >= (C)(8 * sizeof(S)) ? (u < 0 ? (C)-1 : (C)0) : u >> w",
}
COMPARE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor")
COMPARE = {"eq": "u == w", "ne": "u != w", "lt": "u < w", "le": "u <= w", "gt": "u > w",
           "ge": "u >= w", "logical_and": "u != 0 && w != 0", "logical_or": "u != 0 || w != 0",
           "logical_xor": "(u != 0) != (w != 0)"}


class Parts(NamedTuple):
    """The pieces of a cupy.ElementwiseKernel (and of its nvcc test wrapper)."""
    name: str
    in_params: str
    out_params: str
    operation: str
    preamble: str


def _head(dtype: str) -> str:
    return f"typedef {CTYPE[dtype]} S; typedef {COMPUTE[dtype]} C; "


def unary_parts(op: int, dtype: str) -> Parts:
    """y = op(x) with scalar parameters p0..p2; raises NotImplementedError if undefined."""
    name = UNARY_OPS[op]
    table = UNARY_FLOAT if dtype in FLOATS else UNARY_BOOL if dtype == "bool" else UNARY_INT
    expr = table.get(name)
    if expr is None:
        raise NotImplementedError(f"{name} is not implemented for {dtype} on CUDA")
    if dtype == "bool" and name == "bitwise_not":
        body = "bool v = x; y = !v;"
    else:
        body = (_head(dtype) + f"C v = {load(dtype, 'x')}; "
                "C c0 = (C)p0, c1 = (C)p1, c2 = (C)p2; (void)c0; (void)c1; (void)c2; "
                f"y = {store(dtype, expr)};")
    t = CUPY_NAME[dtype]
    return Parts(f"em_unary_{name}_{dtype}", f"{t} x, float64 p0, float64 p1, float64 p2",
                 f"{t} y", body, PREAMBLE)


def pred_parts(op: int, dtype: str) -> Parts:
    name = PRED_OPS[op]
    expr = (PRED_FLOAT if dtype in FLOATS else PRED_INT)[name]
    return Parts(f"em_pred_{name}_{dtype}", f"{CUPY_NAME[dtype]} x", "bool y",
                 _head(dtype) + f"C v = {load(dtype, 'x')}; (void)v; y = ({expr});", PREAMBLE)


def binary_parts(op: int, dtype: str) -> Parts:
    """y = op(a, b); k is alpha (add/sub)."""
    name = BINARY_OPS[op]
    expr = (BINARY_FLOAT if dtype in FLOATS else BINARY_INT).get(name)
    if expr is None or (dtype == "bool" and name in ("lshift", "rshift")):
        raise NotImplementedError(f"{name} is not implemented for {dtype} on CUDA")
    t = CUPY_NAME[dtype]
    body = (_head(dtype) + f"C u = {load(dtype, 'a')}, w = {load(dtype, 'b')}; "
            f"C k = (C)alpha; (void)k; y = {store(dtype, expr)};")
    return Parts(f"em_binary_{name}_{dtype}", f"{t} a, {t} b, float64 alpha", f"{t} y", body,
                 PREAMBLE)


def compare_parts(op: int, dtype: str) -> Parts:
    name = COMPARE_OPS[op]
    t = CUPY_NAME[dtype]
    return Parts(f"em_compare_{name}_{dtype}", f"{t} a, {t} b", "bool y",
                 _head(dtype) + f"C u = {load(dtype, 'a')}, w = {load(dtype, 'b')}; "
                 f"y = ({COMPARE[name]});", PREAMBLE)


def copy_parts(src: str, dst: str) -> Parts:
    """y = x cast from src to dst (float -> int truncates like C, as the CPU does)."""
    if src == dst:
        body = "y = x;"
    elif dst == "bool":
        body = f"y = ({load(src, 'x')}) != 0;"
    elif src in FLOATS and dst not in FLOATS:
        body = f"y = ({CTYPE[dst]})(long long)({load(src, 'x')});"
    elif src in FLOATS or dst in FLOATS:
        mid = "double" if "float64" in (src, dst) else "float"
        body = f"y = {store(dst, f'({mid})({load(src, chr(120))})')};"
    else:
        body = f"y = ({CTYPE[dst]})({load(src, 'x')});"
    return Parts(f"em_copy_{src}_{dst}", f"{CUPY_NAME[src]} x", f"{CUPY_NAME[dst]} y", body,
                 PREAMBLE)


def fill_parts(dtype: str) -> Parts:
    """y = value given as a double (floats) or an int64 (integers, exact)."""
    t = CUPY_NAME[dtype]
    expr = store(dtype, "(float)fv" if dtype in ("float16", "bfloat16") else "fv")
    body = f"y = {expr};" if dtype in FLOATS else f"y = ({CTYPE[dtype]})iv;"
    return Parts(f"em_fill_{dtype}", "float64 fv, int64 iv", f"{t} y", body, PREAMBLE)


def where_parts(dtype: str) -> Parts:
    t = CUPY_NAME[dtype]
    return Parts(f"em_where_{dtype}", f"bool c, {t} a, {t} b", f"{t} y", "y = c ? a : b;", "")


def take_parts(dtype: str) -> Parts:
    t = CUPY_NAME[dtype]
    return Parts(f"em_take_{dtype}", f"raw {t} src, int64 off", f"{t} y", "y = src[off];", "")


# torch.special's Bessel, Airy, zeta and polynomial functions: the scalar code is one file
# shared with core/csrc/special.c (see there), compiled here as device functions
SPECIAL_SOURCE = ("#define EM_SF __device__\n#define EM_SF_NAN ((double)EM_NAN)\n"
                  "#define EM_SF_INF ((double)EM_INF)\n" +
                  (Path(__file__).resolve().parents[1] / "em_special_math.h").read_text())


def igamma_parts(dtype: str) -> Parts:
    """y = P(a, x), or Q(a, x) where iv is nonzero: float32/float64 operands."""
    if dtype not in ("float32", "float64"):
        raise NotImplementedError(f"igamma is not implemented for {dtype} on CUDA")
    t = CUPY_NAME[dtype]
    return Parts(f"em_igamma_{dtype}", f"{t} a, {t} x, int64 iv", f"{t} y",
                 f"y = ({C_OF_CUPY[t]})em_igamma_one((double)a, (double)x, (int)iv);",
                 PREAMBLE + SPECIAL_SOURCE)


def special_parts(arity: int, dtype: str) -> Parts:
    """y = em_special_unary_one(iv, x) (arity 1) or em_special_binary_one(iv, x, x2)
    (arity 2), iv an EM_SF_* code: float32/float64 operands, computed in double."""
    if dtype not in ("float32", "float64"):
        raise NotImplementedError(f"special functions are not implemented for {dtype} on CUDA")
    t, c = CUPY_NAME[dtype], C_OF_CUPY[CUPY_NAME[dtype]]
    if arity == 1:
        return Parts(f"em_special_unary_{dtype}", f"{t} x, int64 iv", f"{t} y",
                     f"y = ({c})em_special_unary_one((int)iv, (double)x);",
                     PREAMBLE + SPECIAL_SOURCE)
    return Parts(f"em_special_binary_{dtype}", f"{t} x, {t} x2, int64 iv", f"{t} y",
                 f"y = ({c})em_special_binary_one((int)iv, (double)x, (double)x2);",
                 PREAMBLE + SPECIAL_SOURCE)


# ElementwiseKernel parameters passed as scalars (every other parameter is an array)
SCALAR_PARAMS = ("p0", "p1", "p2", "alpha", "fv", "iv")
# C type of each CuPy storage type name
C_OF_CUPY = {"float32": "float", "float64": "double", "uint16": "unsigned short",
             "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
             "uint8": "unsigned char", "bool": "bool"}

VEC_PREAMBLE = r"""
#ifndef EM_VEC_PREAMBLE
#define EM_VEC_PREAMBLE
template <typename T> struct alignas(16) em_vec16 { T v[16 / sizeof(T)]; };
#endif
"""


def contiguous_source(p: Parts) -> str:
    """parts' operation as a raw kernel over contiguous operands of one shape: with one
    storage type (16-byte aligned), moving 16 bytes per load and store; with several (a
    casting copy), element by element.

    CuPy's ElementwiseKernel moves one element per thread and iteration: on the H200 its
    float32 add of 64M elements ran at 2.1 TB/s where torch's vectorized kernel reached
    3.7 TB/s, and each call costs ~8 us of host time. Kernel
    ``<parts.name>_vec(arrays..., out, scalars..., n)``; a grid-stride loop over 16-byte
    vectors, then the tail element by element.
    """
    arrays, scalars, out = [], [], None
    for spec in p.in_params.split(","):
        typ, var = spec.split()[-2:]
        (scalars if var in SCALAR_PARAMS else arrays).append((C_OF_CUPY[typ], var))
    out_type, out = p.out_params.split()[-2:]
    t = C_OF_CUPY[out_type]
    params = ([f"const {typ} *__restrict__ {v}_p" for typ, v in arrays] +
              [f"{t} *__restrict__ {out}_p"] + [f"{typ} {v}" for typ, v in scalars] +
              ["long long n"])
    elems = " ".join(f"{typ} {v} = {v}_p[i];" for typ, v in arrays)
    head = (p.preamble + VEC_PREAMBLE +
            f'extern "C" __global__ void {p.name}_vec({", ".join(params)}) {{\n'
            "    long long stride = (long long)gridDim.x * blockDim.x;\n"
            "    long long t0 = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n")
    def tail(start: str) -> str:  # element by element from start
        return (f"    for (long long i = {start}; i < n; i += stride) {{\n"
                f"        {elems} {t} {out}; {{ {p.operation} }} {out}_p[i] = {out};\n"
                "    }\n}\n")
    if any(typ != t for typ, _ in arrays):
        return head + tail("t0")
    vec = f"em_vec16<{t}>"
    loads = " ".join(f"{vec} {v}_v = ((const {vec} *){v}_p)[j];" for _, v in arrays)
    lanes = " ".join(f"{t} {v} = {v}_v.v[e];" for _, v in arrays)
    return (head +
            f"    const int V = 16 / sizeof({t});\n"
            "    long long nv = n / V;\n"
            f"    for (long long j = t0; j < nv; j += stride) {{\n"
            f"        {loads} {vec} {out}_v;\n"
            f"        for (int e = 0; e < V; ++e) {{ {lanes} {t} {out}; {{ {p.operation} }} "
            f"{out}_v.v[e] = {out}; }}\n"
            f"        (({vec} *){out}_p)[j] = {out}_v;\n    }}\n" +
            tail("nv * V + t0"))


def elementwise_test_source(p: Parts, scalar_types: dict | None = None) -> str:
    """A standalone CUDA translation unit wrapping one kernel's parts (for nvcc tests).

    Each parameter becomes a pointer indexed by i (scalars by value; ``raw`` ones
    indexed by the kernel itself), mirroring what CuPy's ElementwiseKernel generates.
    """
    names = C_OF_CUPY
    args, binds = [], []
    scalars = set(scalar_types or SCALAR_PARAMS)
    for spec in (p.in_params + ", " + p.out_params).split(","):
        words = spec.split()
        raw = words[0] == "raw"
        typ, var = names[words[-2]], words[-1]
        if var in scalars:
            args.append(f"{typ} {var}")
        elif raw:
            args.append(f"const {typ} *{var}")
        else:
            args.append(f"{typ} *{var}_p")
            binds.append(f"{typ} &{var} = {var}_p[i];")
    return (p.preamble + f'\nextern "C" __global__ void {p.name}({", ".join(args)}, long long n)'
            " {\n  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
            "  if (i >= n) return;\n  " + " ".join(binds) + "\n  " + p.operation + "\n}\n")


# ---- raw kernels ---------------------------------------------------------------------
# Philox4x32-10, its uniforms and the gamma/Poisson samplers: one source with
# core/csrc/random.c (backends/em_random_math.h), compiled here as device functions
RANDOM_MATH = ("#define EM_RF __device__\n#define EM_RF_NAN ((double)EM_NAN)\n"
               "#define EM_RF_INF ((double)EM_INF)\n" +
               (Path(__file__).resolve().parents[1] / "em_random_math.h").read_text())
# its constants, for the tests that replay Philox in NumPy
PHILOX_M0, PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85

RANDOM_SOURCE = PREAMBLE + RANDOM_MATH + r"""
__device__ __forceinline__ void em_store_any(int dtype, void *out, long long i, double val) {
    switch (dtype) {
    case 0: ((float *)out)[i] = (float)val; break;
    case 1: ((double *)out)[i] = val; break;
    case 2: ((unsigned short *)out)[i] = em_f2h((float)val); break;
    default: ((unsigned short *)out)[i] = em_f2bf((float)val); break;
    }
}
/* As the CPU: block k of Philox fills elements [per*k, per*k + per), per = 4 for
 * single-precision outputs and 2 for double. One thread per block. The _rn
 * intrinsics keep nvcc from contracting to an FMA the CPU does not use. */
extern "C" __global__ void em_random_uniform(int dtype, void *out, long long n,
                                             unsigned long long seed, unsigned long long counter,
                                             double low, double high) {
    long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    em_philox_block b = em_philox(seed, counter + (unsigned long long)k, 0);
    if (dtype == 1) {
        if (2 * k >= n) return;
        double span = high - low, *o = (double *)out;
        o[2 * k] = __dadd_rn(low, __dmul_rn(span, em_u01d(b.v[0], b.v[1])));
        if (2 * k + 1 < n) o[2 * k + 1] = __dadd_rn(low, __dmul_rn(span, em_u01d(b.v[2], b.v[3])));
        return;
    }
    if (4 * k >= n) return;
    float lo = (float)low, sp = (float)(high - low), hi = (float)high;
    for (int l = 0; l < 4 && 4 * k + l < n; ++l) {
        float v = __fadd_rn(lo, __fmul_rn(sp, em_u01f(b.v[l])));
        if (v >= hi && high > low) v = nextafterf(hi, lo); /* rounding must not reach high */
        em_store_any(dtype, out, 4 * k + l, (double)v);
    }
}
/* Box-Muller: a block gives two float32 pairs (cosine and sine) or one float64 pair.
 * The GPU's logf/cosf/sinf may differ from the CPU's libm by an ulp or two. */
extern "C" __global__ void em_random_normal(int dtype, void *out, long long n,
                                            unsigned long long seed, unsigned long long counter,
                                            double mean, double std) {
    long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    em_philox_block b = em_philox(seed, counter + (unsigned long long)k, 0);
    if (dtype == 1) {
        if (2 * k >= n) return;
        double *o = (double *)out;
        double r = sqrt(-2.0 * log(1.0 - em_u01d(b.v[0], b.v[1])));
        double t = 6.283185307179586 * em_u01d(b.v[2], b.v[3]);
        o[2 * k] = mean + std * r * cos(t);
        if (2 * k + 1 < n) o[2 * k + 1] = mean + std * r * sin(t);
        return;
    }
    if (4 * k >= n) return;
    float m = (float)mean, s = (float)std, z[4];
    for (int p = 0; p < 2; ++p) {
        float r = sqrtf(-2.0f * logf(1.0f - em_u01f(b.v[2 * p])));
        float t = 6.2831853f * em_u01f(b.v[2 * p + 1]);
        z[2 * p] = m + s * r * cosf(t);
        z[2 * p + 1] = m + s * r * sinf(t);
    }
    for (int l = 0; l < 4 && 4 * k + l < n; ++l) em_store_any(dtype, out, 4 * k + l, (double)z[l]);
}/* ---- gamma and Poisson samplers, and the standard gamma's gradient ----------------
 * em_random_math.h's samplers, one thread per element: element i owns Philox counter
 * `counter + i`, as on the CPU. The module is compiled without FMA contraction, so only
 * the GPU's log/exp/cos/lgamma, a few ulps from glibc's, can make a sample differ. */
extern "C" __global__ void em_random_gamma(int dtype, const void *param, void *out, long long n,
                                           unsigned long long seed, unsigned long long counter) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    const unsigned long long ctr = counter + (unsigned long long)i;
    if (dtype == 1) ((double *)out)[i] = em_gamma_one(((const double *)param)[i], seed, ctr);
    else ((float *)out)[i] = (float)em_gamma_one((double)((const float *)param)[i], seed, ctr);
}
extern "C" __global__ void em_random_poisson(int dtype, const void *param, void *out,
                                             long long n, unsigned long long seed,
                                             unsigned long long counter) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    const unsigned long long ctr = counter + (unsigned long long)i;
    if (dtype == 1)
        ((double *)out)[i] = em_poisson_one(((const double *)param)[i], seed, ctr);
    else
        ((float *)out)[i] = (float)em_poisson_one((double)((const float *)param)[i],
                                                        seed, ctr);
}
extern "C" __global__ void em_random_binomial(int dtype, const void *count, const void *prob,
                                              void *out, long long n, unsigned long long seed,
                                              unsigned long long counter) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    const unsigned long long ctr = counter + (unsigned long long)i;
    if (dtype == 1)
        ((double *)out)[i] = em_binomial_one(((const double *)count)[i],
                                             ((const double *)prob)[i], seed, ctr);
    else
        ((float *)out)[i] = (float)em_binomial_one((double)((const float *)count)[i],
                                                   (double)((const float *)prob)[i], seed, ctr);
}
extern "C" __global__ void em_standard_gamma_grad(int dtype, const void *alpha, const void *x,
                                                  void *out, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    if (dtype == 1)
        ((double *)out)[i] = em_gamma_grad_one(((const double *)alpha)[i], ((const double *)x)[i]);
    else
        ((float *)out)[i] = (float)em_gamma_grad_one((double)((const float *)alpha)[i],
                                                     (double)((const float *)x)[i]);
}
"""

# index_put_ with accumulate: atomics per storage type; 1- and 2-byte types CAS their word.
PUT_SOURCE = PREAMBLE + r"""
template <typename S> __device__ void em_atomic_add_small(S *addr, double val,
                                                         int kind /* 0 int, 2 f16, 3 bf16 */) {
    unsigned long long a = (unsigned long long)addr;
    unsigned int *word = (unsigned int *)(a & ~3ULL);
    unsigned int shift = (unsigned int)(a & 3) * 8, mask = sizeof(S) == 1 ? 0xffu : 0xffffu;
    unsigned int old = *word, assumed;
    do {
        assumed = old;
        unsigned int bits = (assumed >> shift) & mask, nb;
        if (kind == 2) nb = em_f2h(em_h2f((unsigned short)bits) + (float)val);
        else if (kind == 3) nb = em_f2bf(em_bf2f((unsigned short)bits) + (float)val);
        else if (kind == 4) nb = (bits != 0 || val != 0) ? 1u : 0u;
        else nb = (unsigned int)((S)bits + (S)(long long)val) & mask;
        old = atomicCAS(word, assumed, (assumed & ~(mask << shift)) | ((nb & mask) << shift));
    } while (old != assumed);
}
#define EM_PUT(NAME, S, ACC)                                                           \
extern "C" __global__ void NAME(S *dst, const long long *off, const S *val, long long n,   \
                                int accumulate) {                                    \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                  \
    if (i >= n) return;                                                              \
    if (!accumulate) { dst[off[i]] = val[i]; return; }                               \
    ACC;                                                                             \
}
EM_PUT(em_put_float32, float, atomicAdd(dst + off[i], val[i]))
EM_PUT(em_put_float64, double, atomicAdd(dst + off[i], val[i]))
EM_PUT(em_put_int32, int, atomicAdd(dst + off[i], val[i]))
EM_PUT(em_put_int64, long long, atomicAdd((unsigned long long *)(dst + off[i]),
                                          (unsigned long long)val[i]))
EM_PUT(em_put_float16, unsigned short, em_atomic_add_small(dst + off[i], (double)em_h2f(val[i]), 2))
EM_PUT(em_put_bfloat16, unsigned short,
       em_atomic_add_small(dst + off[i], (double)em_bf2f(val[i]), 3))
EM_PUT(em_put_int16, short, em_atomic_add_small(dst + off[i], (double)val[i], 0))
EM_PUT(em_put_int8, signed char, em_atomic_add_small(dst + off[i], (double)val[i], 0))
EM_PUT(em_put_uint8, unsigned char, em_atomic_add_small(dst + off[i], (double)val[i], 0))
EM_PUT(em_put_bool, bool, em_atomic_add_small((unsigned char *)(dst + off[i]),
                                              (double)val[i], 4))
"""


def _float_raw(template: str, dtypes: tuple = FLOATS) -> str:
    """Instantiates a raw-kernel template (macro EM_KERNELS(S, C, LOAD, STORE, SUFFIX))."""
    inst = []
    for d in dtypes:
        ld = "em_h2f" if d == "float16" else "em_bf2f" if d == "bfloat16" else ""
        st = "em_f2h" if d == "float16" else "em_f2bf" if d == "bfloat16" else ""
        inst.append(f"EM_KERNELS({CTYPE[d]}, {COMPUTE[d]}, {ld}, {st}, {d})")
    return PREAMBLE + template + "\n".join(inst) + "\n"


# Row kernels: one block of 256 threads per row, (outer, n, inner) layout; the
# reductions go through shared memory in the compute type (float for half types).
NN_TEMPLATE = r"""
#define EM_BLOCK 256
template <typename C> __device__ C em_block_sum(C v, C *sh) {
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int s = EM_BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] += sh[t + s];
        __syncthreads();
    }
    C r = sh[0];
    __syncthreads();
    return r;
}
template <typename C> __device__ C em_block_max(C v, C *sh) {
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int s = EM_BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) { C o = sh[t + s]; if (o > sh[t] || o != o) sh[t] = o; }
        __syncthreads();
    }
    C r = sh[0];
    __syncthreads();
    return r;
}
__device__ __forceinline__ void em_pool_add(float *a, float v) { atomicAdd(a, v); }
__device__ __forceinline__ void em_pool_add(double *a, double v) { atomicAdd(a, v); }
/* im2col and col2im run one block per row of their output (a (c, kh, kw, n) row of
 * cols, an (n, c) plane of x), threads along the row: the row's coordinates are
 * decomposed once per block and each element costs one 32-bit division, where a flat
 * thread-per-element layout spent several 64-bit divisions per element. */
#define EM_IM2COL_ROW(S, ZERO)                                                           \
    long long row = blockIdx.x, n = row % N, r = row / N;                               \
    int kw = (int)(r % KW), kh = (int)((r / KW) % KH);                                  \
    long long c = r / ((long long)KW * KH);                                             \
    int P = (int)(OH * OW);                                                             \
    const S *xp = x + (n * Cc + c) * H * W;                                             \
    S *out = cols + row * P;                                                            \
    for (int p = threadIdx.x; p < P; p += blockDim.x) {                                 \
        int oh = p / (int)OW, ow = p - oh * (int)OW;                                    \
        int h = oh * SH - PH + kh * DH, w = ow * SW - PW + kw * DW;                     \
        out[p] = (h >= 0 && h < H && w >= 0 && w < W) ? xp[(long long)h * W + w] : ZERO; }
#define EM_COL2IM_PLANE(C, LOAD, STORE)                                                 \
    long long plane = blockIdx.x, n = plane / Cc, c = plane % Cc;                       \
    int HW = (int)(H * W), P = (int)(OH * OW);                                          \
    for (int q = threadIdx.x; q < HW; q += blockDim.x) {                                \
        int h = q / (int)W, w = q - h * (int)W;                                         \
        C s = 0;                                                                        \
        for (int kh = 0; kh < KH; ++kh) {                                               \
            int th = h + PH - kh * DH, oh = th;                                         \
            if (th < 0 || (SH != 1 && (th % SH || (oh = th / SH, false)))) continue;    \
            if (oh >= OH) continue;                                                     \
            for (int kw = 0; kw < KW; ++kw) {                                           \
                int tw = w + PW - kw * DW, ow = tw;                                     \
                if (tw < 0 || (SW != 1 && (tw % SW || (ow = tw / SW, false)))) continue; \
                if (ow >= OW) continue;                                                 \
                long long r = ((long long)c * KH + kh) * KW + kw;                       \
                s += (C)LOAD(cols[(r * N + n) * P + oh * OW + ow]); } }                 \
        x[plane * HW + q] = STORE(s); }
/* Batch norm reduces each channel over N rows of L elements, one row per sample. The
 * grid is (P, C): block p of channel c takes every (P*8)th segment of up to 1024 elements
 * of one row, a warp per segment with its lanes along the row, so any L keeps every SM
 * busy and indices need one division per segment, not per element. Partial results go
 * to `part` in double and are combined per channel in a fixed order (deterministic). */
#define EM_BN_SEG 1024
#define EM_BN_SEGMENTS(S, BODY)                                                         \
    {   long long c_ = blockIdx.y, per_row = (L + EM_BN_SEG - 1) / EM_BN_SEG;          \
        long long segs = N * per_row, stride = (long long)gridDim.x * (EM_BLOCK / 32);  \
        int lane = threadIdx.x & 31;                                                    \
        for (long long s_ = blockIdx.x * (long long)(EM_BLOCK / 32) + (threadIdx.x >> 5); \
             s_ < segs; s_ += stride) {                                                 \
            long long n_ = s_ / per_row, l0 = (s_ - n_ * per_row) * EM_BN_SEG;          \
            long long l1 = l0 + EM_BN_SEG < L ? l0 + EM_BN_SEG : L;                     \
            const S *row = x + (n_ * Cn + c_) * L;                                      \
            for (long long l = l0 + lane; l < l1; l += 32) { BODY } } }
/* (n, mean, m2) of two sets merged (Chan, Golub and LeVeque), in double */
__device__ __forceinline__ void em_welford_merge(double &n, double &mean, double &m2,
                                                 double nb, double mb, double m2b) {
    if (nb == 0) return;
    double tot = n + nb, d = mb - mean, f = nb / tot;
    mean += d * f; m2 += m2b + d * d * n * f; n = tot;
}
/* merges every thread's (n, mean, m2) and writes the block's to out[0..2] */
__device__ void em_welford_block(double n, double mean, double m2, double *out) {
    __shared__ double sn[EM_BLOCK], sm[EM_BLOCK], sq[EM_BLOCK];
    int t = threadIdx.x;
    sn[t] = n; sm[t] = mean; sq[t] = m2;
    __syncthreads();
    for (int s = EM_BLOCK / 2; s > 0; s >>= 1) {
        if (t < s) em_welford_merge(sn[t], sm[t], sq[t], sn[t + s], sm[t + s], sq[t + s]);
        __syncthreads();
    }
    if (t == 0) { out[0] = sn[0]; out[1] = sm[0]; out[2] = sq[0]; }
}
#define EM_KERNELS(S, C, LOAD, STORE, SUFFIX)                                           \
extern "C" __global__ void em_sum_all_##SUFFIX(const S *x, long long n, C *partials) {     \
    /* block b's grid-strided share of x, summed: a fixed partition, so deterministic */ \
    __shared__ C sh[EM_BLOCK];                                                          \
    C s = 0;                                                                            \
    for (long long i = blockIdx.x * (long long)EM_BLOCK + threadIdx.x; i < n;             \
         i += (long long)gridDim.x * EM_BLOCK)                                           \
        s += (C)LOAD(x[i]);                                                             \
    s = em_block_sum(s, sh);                                                            \
    if (threadIdx.x == 0) partials[blockIdx.x] = s;                                     \
}                                                                                       \
extern "C" __global__ void em_sum_partials_##SUFFIX(const C *partials, long long count,   \
                                                    S *y) {                             \
    __shared__ C sh[EM_BLOCK];                                                          \
    C s = 0;                                                                            \
    for (long long i = threadIdx.x; i < count; i += EM_BLOCK) s += partials[i];        \
    s = em_block_sum(s, sh);                                                            \
    if (threadIdx.x == 0) y[0] = STORE(s);                                              \
}                                                                                       \
extern "C" __global__ void em_softmax_##SUFFIX(int is_log, const S *x, long long n,       \
                                               long long inner, S *y) {                  \
    __shared__ C sh[EM_BLOCK];                                                          \
    long long row = blockIdx.x, o = row / inner, in = row % inner;                      \
    const S *xr = x + o * n * inner + in; S *yr = y + o * n * inner + in;              \
    C m = -(C)EM_INF;                                                                   \
    for (long long j = threadIdx.x; j < n; j += EM_BLOCK) {                             \
        C v = (C)LOAD(xr[j * inner]); if (v > m || v != v) m = v; }                     \
    m = em_block_max(m, sh);                                                            \
    C s = 0;                                                                            \
    for (long long j = threadIdx.x; j < n; j += EM_BLOCK)                               \
        s += exp((C)LOAD(xr[j * inner]) - m);                                           \
    s = em_block_sum(s, sh);                                                            \
    C ls = log(s);                                                                      \
    for (long long j = threadIdx.x; j < n; j += EM_BLOCK) {                             \
        C v = (C)LOAD(xr[j * inner]) - m;                                               \
        yr[j * inner] = STORE(is_log ? v - ls : exp(v) / s); }                          \
}                                                                                       \
extern "C" __global__ void em_softmax_backward_##SUFFIX(int is_log, const S *y,            \
        const S *gy, long long n, long long inner, S *gx) {                              \
    __shared__ C sh[EM_BLOCK];                                                          \
    long long row = blockIdx.x, base = (row / inner) * n * inner + row % inner;         \
    C s = 0;                                                                            \
    for (long long j = threadIdx.x; j < n; j += EM_BLOCK) {                             \
        long long k = base + j * inner;                                                 \
        s += is_log ? (C)LOAD(gy[k]) : (C)LOAD(gy[k]) * (C)LOAD(y[k]); }                 \
    s = em_block_sum(s, sh);                                                            \
    for (long long j = threadIdx.x; j < n; j += EM_BLOCK) {                             \
        long long k = base + j * inner;                                                 \
        C yv = (C)LOAD(y[k]), g = (C)LOAD(gy[k]);                                       \
        gx[k] = STORE(is_log ? g - exp(yv) * s : yv * (g - s)); }                        \
}                                                                                       \
extern "C" __global__ void em_layer_norm_##SUFFIX(const S *x, const S *w, const S *b,      \
        long long N, double eps, S *y, S *mean, S *rstd) {                               \
    __shared__ C sh[EM_BLOCK];                                                          \
    const S *xr = x + blockIdx.x * N; S *yr = y + blockIdx.x * N;                       \
    C s = 0;                                                                            \
    for (long long j = threadIdx.x; j < N; j += EM_BLOCK) s += (C)LOAD(xr[j]);          \
    C mu = em_block_sum(s, sh) / (C)N;                                                  \
    C q = 0;                                                                            \
    for (long long j = threadIdx.x; j < N; j += EM_BLOCK) {                             \
        C d = (C)LOAD(xr[j]) - mu; q += d * d; }                                        \
    C r = (C)1 / sqrt(em_block_sum(q, sh) / (C)N + (C)eps);                             \
    for (long long j = threadIdx.x; j < N; j += EM_BLOCK) {                             \
        C v = ((C)LOAD(xr[j]) - mu) * r;                                                \
        if (w) v *= (C)LOAD(w[j]);                                                      \
        if (b) v += (C)LOAD(b[j]);                                                      \
        yr[j] = STORE(v); }                                                             \
    if (threadIdx.x == 0) { mean[blockIdx.x] = STORE(mu); rstd[blockIdx.x] = STORE(r); } \
}                                                                                       \
extern "C" __global__ void em_layer_norm_backward_##SUFFIX(const S *x, const S *gy,        \
        const S *w, const S *mean, const S *rstd, long long N, S *gx) {                  \
    __shared__ C sh[EM_BLOCK];                                                          \
    long long base = blockIdx.x * N;                                                    \
    C mu = (C)LOAD(mean[blockIdx.x]), r = (C)LOAD(rstd[blockIdx.x]), a = 0, c = 0;      \
    for (long long j = threadIdx.x; j < N; j += EM_BLOCK) {                             \
        C g = (C)LOAD(gy[base + j]) * (w ? (C)LOAD(w[j]) : (C)1);                       \
        C xh = ((C)LOAD(x[base + j]) - mu) * r;                                         \
        a += g; c += g * xh; }                                                          \
    a = em_block_sum(a, sh) / (C)N;                                                     \
    c = em_block_sum(c, sh) / (C)N;                                                     \
    for (long long j = threadIdx.x; j < N; j += EM_BLOCK) {                             \
        C g = (C)LOAD(gy[base + j]) * (w ? (C)LOAD(w[j]) : (C)1);                       \
        C xh = ((C)LOAD(x[base + j]) - mu) * r;                                         \
        gx[base + j] = STORE(r * (g - a - xh * c)); }                                   \
}                                                                                       \
extern "C" __global__ void em_cross_entropy_##SUFFIX(const S *x, const long long *target,   \
        const S *weight, long long K, long long ignore_index, double eps, S *loss,       \
        S *stats, int *bad) {                                                            \
    /* the CPU's formula (csrc/templates/loss.inc); stats = (max, lse of x - max) */    \
    __shared__ C sh[EM_BLOCK];                                                          \
    const S *xr = x + blockIdx.x * K;                                                   \
    long long t = target[blockIdx.x];                                                   \
    C m = -(C)EM_INF;                                                                   \
    for (long long j = threadIdx.x; j < K; j += EM_BLOCK) {                             \
        C v = (C)LOAD(xr[j]); if (v > m || v != v) m = v; }                             \
    m = em_block_max(m, sh);                                                            \
    C s = 0;                                                                            \
    for (long long j = threadIdx.x; j < K; j += EM_BLOCK) s += exp((C)LOAD(xr[j]) - m);  \
    s = em_block_sum(s, sh);                                                            \
    C ls = log(s), sm = 0;                                                              \
    if (eps > 0) {                                                                      \
        for (long long j = threadIdx.x; j < K; j += EM_BLOCK)                           \
            sm += (weight ? (C)LOAD(weight[j]) : (C)1) * (((C)LOAD(xr[j]) - m) - ls);    \
        sm = em_block_sum(sm, sh); }                                                    \
    if (threadIdx.x != 0) return;                                                       \
    stats[2 * blockIdx.x] = STORE(m);                                                   \
    stats[2 * blockIdx.x + 1] = STORE(ls);                                              \
    if (t == ignore_index) { loss[blockIdx.x] = STORE((C)0); return; }                  \
    if (t < 0 || t >= K) { atomicExch(bad, 1); loss[blockIdx.x] = STORE((C)0); return; }\
    C wt = weight ? (C)LOAD(weight[t]) : (C)1;                                          \
    double l = -(double)(wt * (C)(1 - eps)) * (double)(((C)LOAD(xr[t]) - m) - ls);      \
    if (eps > 0) l -= eps / (double)K * (double)sm;                                     \
    loss[blockIdx.x] = STORE((C)l);                                                     \
}                                                                                       \
extern "C" __global__ void em_cross_entropy_backward_##SUFFIX(const S *x, const S *stats,  \
        const long long *target, const S *weight, const S *grad, long long K,             \
        long long ignore_index, double eps, double wsum, S *gx) {                        \
    long long row = blockIdx.x, t = target[row];                                        \
    const S *xr = x + row * K; S *gr = gx + row * K;                                    \
    if (t == ignore_index) {                                                            \
        for (long long j = threadIdx.x; j < K; j += EM_BLOCK) gr[j] = STORE((C)0);      \
        return; }                                                                       \
    C gi = (C)LOAD(grad[row]), m = (C)LOAD(stats[2 * row]), l = (C)LOAD(stats[2 * row + 1]); \
    C a = (C)((weight ? (double)LOAD(weight[t]) : 1.0) * (1 - eps)), b = (C)(eps / K);  \
    C pa = gi * (a + b * (C)wsum);                                                      \
    for (long long j = threadIdx.x; j < K; j += EM_BLOCK) {                             \
        C v = pa * exp(((C)LOAD(xr[j]) - m) - l) - gi * b * (weight ? (C)LOAD(weight[j]) : (C)1); \
        if (j == t) v -= gi * a;                                                        \
        gr[j] = STORE(v); }                                                             \
}                                                                                       \
extern "C" __global__ void em_batch_norm_stats_##SUFFIX(const S *x, long long N,           \
        long long Cn, long long L, double *part) {                                       \
    C n = 0, mean = 0, m2 = 0;                                                          \
    EM_BN_SEGMENTS(S, C v = (C)LOAD(row[l]); n += 1; C d = v - mean; mean += d / n;        \
                   m2 += d * (v - mean);)                                               \
    em_welford_block((double)n, (double)mean, (double)m2,                               \
                     part + (blockIdx.y * (long long)gridDim.x + blockIdx.x) * 3);     \
}                                                                                       \
extern "C" __global__ void em_batch_norm_stats_finish_##SUFFIX(const double *part,        \
        long long P, long long Cn, double eps, double momentum, C *mean, C *var,         \
        C *invstd, C *running_mean, C *running_var) {                                   \
    long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (c >= Cn) return;                                                                \
    double n = 0, mu = 0, m2 = 0;                                                       \
    for (long long p = 0; p < P; ++p) {                                                 \
        const double *q = part + (c * P + p) * 3;                                       \
        em_welford_merge(n, mu, m2, q[0], q[1], q[2]); }                                \
    double nan = 0.0 / 0.0;  /* an empty channel: torch's NaN statistics */             \
    C biased = (C)(n > 0 ? m2 / n : nan);                                              \
    mean[c] = (C)(n > 0 ? mu : nan); var[c] = biased;                                   \
    invstd[c] = (C)(1.0 / sqrt((double)(biased + (C)eps)));                             \
    C keep = (C)(1 - momentum);                                                         \
    if (running_mean) running_mean[c] = running_mean[c] * keep + (C)momentum * (C)mu;   \
    if (running_var) running_var[c] = running_var[c] * keep +                           \
        (C)(momentum * n / (n > 1 ? n - 1 : 1)) * biased;                               \
}                                                                                       \
extern "C" __global__ void em_batch_norm_apply_##SUFFIX(const S *x, const C *mean,         \
        const C *invstd, const C *w, const C *b, long long Cn, long long L, long long total, \
        S *y) {                                                                         \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= total) return;                                                             \
    long long c = (i / L) % Cn;                                                         \
    C v = ((C)LOAD(x[i]) - mean[c]) * invstd[c];                                        \
    if (w) v *= w[c];                                                                   \
    if (b) v += b[c];                                                                   \
    y[i] = STORE(v);                                                                    \
}                                                                                       \
extern "C" __global__ void em_batch_norm_grad_sums_##SUFFIX(const S *x, const S *gy,      \
        const C *mean, long long N, long long Cn, long long L, double *part) {           \
    __shared__ double sh[EM_BLOCK];                                                     \
    C mu = mean[blockIdx.y], sg = 0, sgx = 0;                                           \
    EM_BN_SEGMENTS(S, C g = (C)LOAD(gy[row - x + l]); sg += g;                             \
                   sgx += g * ((C)LOAD(row[l]) - mu);)                                  \
    double *out = part + (blockIdx.y * (long long)gridDim.x + blockIdx.x) * 2;         \
    double t0 = em_block_sum((double)sg, sh), t1 = em_block_sum((double)sgx, sh);      \
    if (threadIdx.x == 0) { out[0] = t0; out[1] = t1; }                                 \
}                                                                                       \
extern "C" __global__ void em_batch_norm_grad_finish_##SUFFIX(const double *part,         \
        long long P, long long Cn, const C *invstd, double *sums, C *gw, C *gb) {        \
    long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (c >= Cn) return;                                                                \
    double sg = 0, sgx = 0;                                                             \
    for (long long p = 0; p < P; ++p) { sg += part[(c * P + p) * 2];                    \
                                        sgx += part[(c * P + p) * 2 + 1]; }             \
    sgx *= (double)invstd[c];                                                           \
    sums[2 * c] = sg; sums[2 * c + 1] = sgx;                                            \
    if (gw) gw[c] = (C)sgx;                                                             \
    if (gb) gb[c] = (C)sg;                                                              \
}                                                                                       \
extern "C" __global__ void em_batch_norm_backward_##SUFFIX(const S *x, const S *gy,        \
        const C *mean, const C *invstd, const C *w, const double *sums, int training,    \
        long long N, long long Cn, long long L, S *gx) {                                 \
    long long total = N * Cn * L, cnt = N * L;                                          \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;     \
         i += (long long)gridDim.x * blockDim.x) {                                      \
        long long c = (i / L) % Cn;                                                     \
        C r = invstd[c], g = (C)LOAD(gy[i]);                                            \
        C v = training ? g - (C)(sums[2 * c] / cnt)                                     \
                         - ((C)LOAD(x[i]) - mean[c]) * r * (C)(sums[2 * c + 1] / cnt)        \
                       : g;                                                             \
        gx[i] = STORE(v * r * (w ? w[c] : (C)1)); }                                     \
}                                                                                       \
extern "C" __global__ void em_im2col_##SUFFIX(const S *x, long long N, long long Cc,       \
        long long H, long long W, int KH, int KW, int SH, int SW, int PH, int PW, int DH,  \
        int DW, long long OH, long long OW, S *cols) {                                   \
    /* cols (C*KH*KW, N, OH*OW); grid: one block per (c, kh, kw, n) row */             \
    EM_IM2COL_ROW(S, STORE((C)0))                                                       \
}                                                                                       \
extern "C" __global__ void em_col2im_##SUFFIX(const S *cols, long long N, long long Cc,    \
        long long H, long long W, int KH, int KW, int SH, int SW, int PH, int PW, int DH,  \
        int DW, long long OH, long long OW, S *x) {                                      \
    /* gather form, grid: one block per (n, c) plane of x; each pixel sums the window    \
     * columns that read it */                                                          \
    EM_COL2IM_PLANE(C, LOAD, STORE)                                                     \
}                                                                                       \
extern "C" __global__ void em_max_pool2d_##SUFFIX(const S *x, long long Pn, long long H,   \
        long long W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW,       \
        long long OH, long long OW, S *y, long long *idx) {                              \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= Pn * OH * OW) return;                                                      \
    long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);                       \
    C best = -(C)EM_INF; long long bi = -1;                                             \
    for (int kh = 0; kh < KH; ++kh) {                                                   \
        long long h = oh * SH - PH + kh * DH; if (h < 0 || h >= H) continue;            \
        for (int kw = 0; kw < KW; ++kw) {                                               \
            long long w = ow * SW - PW + kw * DW; if (w < 0 || w >= W) continue;        \
            C v = (C)LOAD(x[(p * H + h) * W + w]);                                      \
            if (bi < 0 || v > best || v != v) { best = v; bi = h * W + w;               \
                if (v != v) { kh = KH; break; } } } }                                   \
    y[i] = STORE(best);                                                                 \
    if (idx) idx[i] = bi;                                                               \
}                                                                                       \
extern "C" __global__ void em_max_pool_backward_##SUFFIX(const S *gy, const long long *idx, \
        long long Pn, long long in_n, long long out_n, C *gx) {                          \
    /* gx is zeroed by the caller; half types accumulate into a float buffer */         \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= Pn * out_n) return;                                                        \
    long long p = i / out_n;                                                            \
    em_pool_add(gx + p * in_n + idx[i], (C)LOAD(gy[i]));                                \
}                                                                                       \
extern "C" __global__ void em_gather_planes_##SUFFIX(const S *x, const long long *idx,     \
        long long Pn, long long in_n, long long out_n, S *y) {                           \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= Pn * out_n) return;                                                        \
    y[i] = x[(i / out_n) * in_n + idx[i]];                                              \
}                                                                                       \
extern "C" __global__ void em_avg_pool2d_##SUFFIX(const S *x, long long Pn, long long H,   \
        long long W, int KH, int KW, int SH, int SW, int PH, int PW, int include_pad,      \
        int divisor, long long OH, long long OW, S *y) {                                 \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= Pn * OH * OW) return;                                                      \
    long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);                       \
    long long h0 = oh * SH - PH, w0 = ow * SW - PW;                                     \
    long long h1 = min(h0 + KH, H + PH), w1 = min(w0 + KW, W + PW);                     \
    long long area = (h1 - h0) * (w1 - w0);                                             \
    long long hs = max(h0, 0LL), ws = max(w0, 0LL), he = min(h1, H), we = min(w1, W);   \
    C s = 0;                                                                            \
    for (long long h = hs; h < he; ++h)                                                 \
        for (long long w = ws; w < we; ++w) s += (C)LOAD(x[(p * H + h) * W + w]);       \
    long long d = divisor ? divisor : include_pad ? area : (he - hs) * (we - ws);       \
    y[i] = STORE(s / (C)d);                                                             \
}                                                                                       \
extern "C" __global__ void em_avg_pool2d_backward_##SUFFIX(S *x, long long Pn, long long H, \
        long long W, int KH, int KW, int SH, int SW, int PH, int PW, int include_pad,      \
        int divisor, long long OH, long long OW, const S *y) {                           \
    /* x = the adjoint of avg_pool2d applied to y: each input pixel gathers the        \
       windows that cover it, each divided by that window's divisor */                 \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= Pn * H * W) return;                                                        \
    long long w = i % W, h = (i / W) % H, p = i / (W * H);                              \
    long long oh0 = h + PH - KH + 1, ow0 = w + PW - KW + 1;                             \
    oh0 = oh0 <= 0 ? 0 : (oh0 + SH - 1) / SH; ow0 = ow0 <= 0 ? 0 : (ow0 + SW - 1) / SW; \
    long long oh1 = min((h + PH) / SH, OH - 1), ow1 = min((w + PW) / SW, OW - 1);      \
    C s = 0;                                                                            \
    for (long long oh = oh0; oh <= oh1; ++oh)                                           \
        for (long long ow = ow0; ow <= ow1; ++ow) {                                     \
            long long h0 = oh * SH - PH, w0 = ow * SW - PW;                             \
            long long h1 = min(h0 + KH, H + PH), w1 = min(w0 + KW, W + PW);             \
            long long area = (h1 - h0) * (w1 - w0);                                     \
            long long hs = max(h0, 0LL), ws = max(w0, 0LL);                             \
            long long he = min(h1, H), we = min(w1, W);                                 \
            long long d = divisor ? divisor : include_pad ? area : (he - hs) * (we - ws); \
            s += (C)LOAD(y[(p * OH + oh) * OW + ow]) / (C)d; }                           \
    x[i] = STORE(s);                                                                    \
}                                                                                       \
extern "C" __global__ void em_adaptive_pool2d_##SUFFIX(int mode, S *x, long long Pn,       \
        long long H, long long W, long long OH, long long OW, S *y, long long *idx) {    \
    /* mode 0: y = adaptive avg of x; 1: y, idx = adaptive max; 2: x = adjoint of avg */ \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (mode == 2) {                                                                    \
        if (i >= Pn * H * W) return;                                                    \
        long long w = i % W, h = (i / W) % H, p = i / (W * H);                          \
        C s = 0;                                                                        \
        for (long long oh = (h * OH) / H; oh < OH && (oh * H) / OH <= h; ++oh) {        \
            long long hs = (oh * H) / OH, he = ((oh + 1) * H + OH - 1) / OH;            \
            if (h < hs || h >= he) continue;                                            \
            for (long long ow = (w * OW) / W; ow < OW && (ow * W) / OW <= w; ++ow) {    \
                long long ws = (ow * W) / OW, we = ((ow + 1) * W + OW - 1) / OW;        \
                if (w < ws || w >= we) continue;                                        \
                s += (C)LOAD(y[(p * OH + oh) * OW + ow]) / (C)((he - hs) * (we - ws)); } } \
        x[i] = STORE(s);                                                                \
        return;                                                                         \
    }                                                                                   \
    if (i >= Pn * OH * OW) return;                                                      \
    long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);                       \
    long long hs = (oh * H) / OH, he = ((oh + 1) * H + OH - 1) / OH;                    \
    long long ws = (ow * W) / OW, we = ((ow + 1) * W + OW - 1) / OW;                    \
    C s = 0, best = 0; long long bi = -1;                                               \
    for (long long h = hs; h < he; ++h)                                                 \
        for (long long w = ws; w < we; ++w) {                                           \
            C v = (C)LOAD(x[(p * H + h) * W + w]);                                      \
            s += v;                                                                     \
            if (bi < 0 || v > best || (v != v && best == best)) { best = v; bi = h * W + w; } } \
    if (mode == 1) { y[i] = STORE(best); idx[i] = bi; }                                 \
    else y[i] = STORE(s / (C)((he - hs) * (we - ws)));                                  \
}
"""

def nn_source() -> str:
    """Fused nn kernels (softmax, layer_norm, cross_entropy, batch_norm, im2col, pooling)."""
    return _float_raw(NN_TEMPLATE)


NN_KERNELS = ("sum_all", "sum_partials", "softmax", "softmax_backward", "layer_norm",
              "layer_norm_backward",
              "cross_entropy", "cross_entropy_backward", "batch_norm_stats",
              "batch_norm_stats_finish", "batch_norm_apply", "batch_norm_grad_sums",
              "batch_norm_grad_finish",
              "batch_norm_backward", "im2col", "col2im", "max_pool2d", "max_pool_backward",
              "gather_planes", "avg_pool2d", "avg_pool2d_backward", "adaptive_pool2d")


# Row-sequential scans for the ops cupy has no kernel for (cummax/cummin with indices,
# logcumsumexp): one thread per row, exact and simple; rows are short in practice.
# Instantiated for every dtype (logcumsumexp is only called for floats).
SCAN_TEMPLATE = r"""
#define EM_KERNELS(S, C, LOAD, STORE, SUFFIX)                                           \
extern "C" __global__ void em_scan_##SUFFIX(int op, long long rows, long long n,           \
        const S *x, S *y, long long *idx) {                                             \
    long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (r >= rows) return;                                                              \
    const S *xr = x + r * n; S *yr = y + r * n;                                         \
    C acc = 0; long long best = 0;                                                      \
    for (long long j = 0; j < n; ++j) {                                                 \
        C v = (C)LOAD(xr[j]);                                                           \
        if (j == 0) { acc = v; best = 0; }                                              \
        else if (op == 2) { if (v >= acc || v != v) { if (acc == acc) { acc = v; best = j; } } } \
        else if (op == 3) { if (v <= acc || v != v) { if (acc == acc) { acc = v; best = j; } } } \
        else if (op == 4) { C hi = acc > v ? acc : v, lo = acc > v ? v : acc;           \
            acc = hi == -(C)EM_INF ? hi : (C)(hi + log1p(exp((double)(lo - hi)))); }     \
        else if (op == 0) acc += v; else acc *= v;                                      \
        yr[j] = STORE(acc);                                                             \
        if (idx) idx[r * n + j] = best; }                                               \
}                                                                                       \
extern "C" __global__ void em_searchsorted_##SUFFIX(const S *seq, long long seq_rows,      \
        long long n, const S *v, long long total, long long m, int right, long long *out) { \
    /* binary search with torch's tests (a NaN value lands after everything) */          \
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;                     \
    if (i >= total) return;                                                             \
    const S *row = seq + (seq_rows == 1 ? 0 : i / m) * n;                               \
    C x = (C)LOAD(v[i]);                                                                \
    long long lo = 0, hi = n;                                                           \
    while (lo < hi) {                                                                   \
        long long mid = lo + (hi - lo) / 2;                                             \
        C y = (C)LOAD(row[mid]);                                                        \
        if (right ? !(y > x) : !(y >= x)) lo = mid + 1; else hi = mid; }                \
    out[i] = lo;                                                                        \
}
"""


def scan_source() -> str:
    return _float_raw(SCAN_TEMPLATE, DTYPES)


# Fused optimizer steps (float32/float64 params, contiguous), the CPU's formulas.
# EmTensorList: a multi-tensor step's operands passed by value, up to EM_LIST tensors a
# launch with five pointer columns and the sizes (3 KB: CUDA's kernel parameters hold 4);
# the launch's blockIdx.y picks the tensor
TENSOR_LIST = 64
TENSOR_LIST_COLUMNS = 5

# Each fused optimizer update is one device function over element i of the parameter p,
# its gradient g and up to three state buffers c, d, e (null where unused), followed by
# its scalars. A per-tensor kernel em_<step>_<S>(n, p, g, c, d, e, scalars...) and a
# multi-tensor one em_<step>_multi_<S>(EmTensorList, scalars...) are generated from it.
OPTIM_UPDATES = {
    # buf = c
    "sgd_step": ("double lr, double wd, double momentum, double dampening, int nesterov, "
                 "int maximize, int init_buf", r"""
    S x = maximize ? -g[i] : g[i];
    if (wd != 0) x += (S)wd * p[i];
    if (momentum != 0) {
        S b = init_buf ? x : (S)momentum * c[i] + (S)(1 - dampening) * x;
        c[i] = b;
        x = nesterov ? x + (S)momentum * b : b; }
    p[i] -= (S)lr * x;"""),
    # exp_avg = c, exp_avg_sq = d, max_exp_avg_sq = e
    "adam_step": ("double lr, double b1, double b2, double eps, double wd, int decoupled, "
                  "int maximize, long long step", r"""
    S x = maximize ? -g[i] : g[i];
    if (wd != 0) { if (decoupled) p[i] *= (S)(1 - lr * wd); else x += (S)wd * p[i]; }
    c[i] += (x - c[i]) * (S)(1 - b1);
    d[i] = d[i] * (S)b2 + x * x * (S)(1 - b2);
    double bc1 = 1 - pow(b1, (double)step), bc2 = 1 - pow(b2, (double)step);
    S vv = d[i];
    if (e) { e[i] = e[i] > vv ? e[i] : vv; vv = e[i]; }
    S denom = sqrt(vv) / (S)sqrt(bc2) + (S)eps;
    p[i] -= (S)(lr / bc1) * c[i] / denom;"""),
    # square_avg = c, grad_avg = d, momentum_buffer = e
    "rmsprop_step": ("double lr, double alpha, double eps, double wd, double momentum, "
                     "int maximize", r"""
    S x = maximize ? -g[i] : g[i];
    if (wd != 0) x = fma((S)wd, p[i], x);
    S sa = fma((S)(1 - alpha) * x, x, c[i] * (S)alpha);
    c[i] = sa;
    S avg;
    if (d) {  /* torch.lerp's two forms, as on the CPU */
        S w = (S)(1 - alpha), diff = x - d[i];
        S ga = fabs(w) < (S)0.5 ? fma(w, diff, d[i]) : fma(w - (S)1, diff, x);
        d[i] = ga;
        avg = sqrt(fma(-ga, ga, sa));
    } else {
        avg = sqrt(sa);
    }
    avg = avg + (S)eps;
    if (e) {
        S b = e[i] * (S)momentum + x / avg;
        e[i] = b;
        p[i] = fma((S)(-lr), b, p[i]);
    } else {
        p[i] = p[i] + (S)(-lr) * x / avg;
    }"""),
    # sum = c
    "adagrad_step": ("double clr, double wd, double eps, int maximize", r"""
    S x = maximize ? -g[i] : g[i];
    if (wd != 0) x = fma((S)wd, p[i], x);
    S acc = fma(x, x, c[i]);
    c[i] = acc;
    p[i] = p[i] + (S)(-clr) * x / (sqrt(acc) + (S)eps);"""),
}


def _optim_source() -> str:
    out = [f"#define EM_LIST {TENSOR_LIST}",
           "struct EmTensorList {",
           "    unsigned long long a[EM_LIST], b[EM_LIST], c[EM_LIST], d[EM_LIST], e[EM_LIST];",
           "    long long n[EM_LIST];", "};"]
    for S in ("float", "double"):
        for step, (scalars, body) in OPTIM_UPDATES.items():
            names = ", ".join(p.split()[-1] for p in scalars.split(","))
            update = f"em_{step}_update_{S}"
            out.append(f"__device__ __forceinline__ void {update}(long long i, {S} *p, "
                       f"const {S} *g, {S} *c, {S} *d, {S} *e, {scalars}) {{\n"
                       f"    typedef {S} S;{body}\n}}")
            out.append(f'extern "C" __global__ void em_{step}_{S}(long long n, {S} *p, '
                       f"const {S} *g, {S} *c, {S} *d, {S} *e, {scalars}) {{\n"
                       "    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
                       f"    if (i < n) {update}(i, p, g, c, d, e, {names});\n}}")
            # tensor blockIdx.y of the list: a (params), b (grads), c, d, e, n (sizes)
            out.append(f'extern "C" __global__ void em_{step}_multi_{S}(EmTensorList list, '
                       f"{scalars}) {{\n    int t = blockIdx.y;\n"
                       "    for (long long i = blockIdx.x * (long long)blockDim.x + "
                       "threadIdx.x; i < list.n[t];\n"
                       "         i += (long long)gridDim.x * blockDim.x)\n"
                       f"        {update}(i, ({S} *)list.a[t], (const {S} *)list.b[t], "
                       f"({S} *)list.c[t], ({S} *)list.d[t],\n"
                       f"                 ({S} *)list.e[t], {names});\n}}")
    return "\n".join(out) + "\n"


OPTIM_SOURCE = _optim_source()


def all_sources() -> dict:
    """name -> a complete CUDA translation unit, for every kernel source ember builds.

    Elementwise families are listed for every (op, dtype) they define.
    """
    out = {}
    for d in DTYPES:
        for op in range(len(UNARY_OPS)):
            try:
                p = unary_parts(op, d)
            except NotImplementedError:
                continue
            out[p.name] = elementwise_test_source(p)
            out[p.name + "_vec"] = contiguous_source(p)
        for op in range(len(BINARY_OPS)):
            try:
                p = binary_parts(op, d)
            except NotImplementedError:
                continue
            out[p.name] = elementwise_test_source(p)
            out[p.name + "_vec"] = contiguous_source(p)
        for op in range(len(PRED_OPS)):
            p = pred_parts(op, d)
            out[p.name] = elementwise_test_source(p)
        for op in range(len(COMPARE_OPS)):
            p = compare_parts(op, d)
            out[p.name] = elementwise_test_source(p)
        for s in DTYPES:
            p = copy_parts(s, d)
            out[p.name] = elementwise_test_source(p)
            out[p.name + "_vec"] = contiguous_source(p)
        for p in (fill_parts(d), where_parts(d), take_parts(d)):
            out[p.name] = elementwise_test_source(p)
        if d in ("float32", "float64"):
            for p in (igamma_parts(d), special_parts(1, d), special_parts(2, d)):
                out[p.name] = elementwise_test_source(p)
    out["random"] = RANDOM_SOURCE
    out["put"] = PUT_SOURCE
    out["nn"] = nn_source()
    out["scan"] = scan_source()
    out["optim"] = OPTIM_SOURCE
    return out
