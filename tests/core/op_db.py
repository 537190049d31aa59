"""The list of op descriptions the oracle tests walk (like PyTorch's OpInfo).

Each OpInfo names an op, how to call it (the same lambda runs on ember and torch, given
the module), how many inputs of what shapes, which dtypes, and whether gradients are
compared. Inputs are fresh random NumPy arrays turned into both frameworks' tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

FLOATS = ("float32", "float64")
ALL_NUM = ("float32", "float64", "int32", "int64", "int16", "int8", "uint8")
HALF = ("float16", "bfloat16")

UNARY_SHAPES = [((3, 4),), ((2, 3, 5),), ((),), ((0, 3),), ((4, 6), "transposed")]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)),
                 ((0, 2), (2,)), ((4, 5), (4, 5), "transposed")]


@dataclass
class OpInfo:
    name: str
    fn: Callable                      # fn(module, *tensors) -> tensor(s)
    shapes: list = field(default_factory=lambda: UNARY_SHAPES)
    dtypes: tuple = FLOATS
    grad: bool = True
    domain: tuple | None = None       # (low, high) for inputs
    atol: float = 1e-5
    rtol: float = 1e-4
    int_high: int = 10                # integer inputs drawn from [-int_high, int_high)


def _u(name, domain=None, dtypes=FLOATS + HALF, grad=True, **kw):
    return OpInfo(name, lambda m, x: getattr(m, name)(x), dtypes=dtypes, grad=grad,
                  domain=domain, **kw)


def _b(name, dtypes=FLOATS, grad=True, domain=None, **kw):
    return OpInfo(name, lambda m, x, y: getattr(m, name)(x, y), shapes=BINARY_SHAPES,
                  dtypes=dtypes, grad=grad, domain=domain, **kw)


def _scatter_reduce(m, x, how, include_self):
    """The first 4 values reduce into themselves the next 6 (positions 0 and 2 get several,
    position 3 none)."""
    if x.numel() < 10:
        return x * 1
    flat = x.reshape(-1)
    return flat[:4].scatter_reduce(0, m.tensor([0, 0, 2, 2, 2, 1]), flat[4:10], how,
                                   include_self=include_self)


def _joined(m, outputs):
    """Several outputs compared as one: flattened, as float64, end to end."""
    return m.cat([o.reshape(-1).to(m.float64) for o in outputs])


def _act(m):
    """Activations: torch keeps them in nn.functional, ember also exports them at top level."""
    return m.nn.functional if m.__name__ == "torch" else m


OPS: list[OpInfo] = [
    # unary math
    _u("abs", dtypes=ALL_NUM + HALF), _u("neg", dtypes=("float32", "int64", "int8")),
    _u("exp"), _u("exp2"), _u("log", (0.1, 5)), _u("log2", (0.1, 5)), _u("log10", (0.1, 5)),
    _u("log1p", (-0.5, 3)), _u("expm1"), _u("sqrt", (0.1, 5)), _u("rsqrt", (0.1, 5)),
    _u("square", dtypes=FLOATS + ("int64",)), _u("sin"), _u("cos"), _u("tan", (-1, 1)),
    _u("asin", (-0.9, 0.9)), _u("acos", (-0.9, 0.9)), _u("atan"), _u("sinh"), _u("cosh"),
    _u("tanh"), _u("asinh"), _u("acosh", (1.1, 4)), _u("atanh", (-0.9, 0.9)), _u("sigmoid"),
    _u("erf"), _u("erfc"), _u("erfinv", (-0.9, 0.9)), _u("lgamma", (0.1, 5)),
    _u("digamma", (0.1, 5)), _u("floor", grad=False), _u("ceil", grad=False),
    _u("round", grad=False), _u("trunc", grad=False), _u("frac"),
    _u("sign", dtypes=FLOATS + ("int64",), grad=False), _u("reciprocal", (0.5, 3)),
    _u("relu", dtypes=FLOATS + HALF + ("int64",)),
    OpInfo("logit", lambda m, x: m.logit(x), domain=(0.05, 0.95)),
    OpInfo("logit_eps", lambda m, x: m.logit(x, eps=0.2), domain=(0.05, 0.95)),
    OpInfo("round_decimals", lambda m, x: m.round(x * 100, decimals=1), grad=False),
    _u("deg2rad", dtypes=FLOATS + ("int64",)), _u("rad2deg", dtypes=FLOATS + ("int64",)),
    # float32 derivative: (pi x cos(pi x) - sin(pi x)) cancels near 0, rounding differently
    # kept 0.05 from 0, where torch's float32 derivative cancels to noise (the accurate
    # gradient there is test_special_oracle's)
    OpInfo("sinc", lambda m, x: m.sinc(x + 0.05 * x.sign()), domain=(-0.9, 0.9),
           dtypes=FLOATS + HALF + ("int64",), atol=1e-4),
    OpInfo("sinc_at_zero", lambda m, x: m.sinc(x * 0)),
    OpInfo("nan_to_num", lambda m, x: m.nan_to_num(m.log(x)), domain=(-1, 1), grad=False),
    OpInfo("clamp", lambda m, x: m.clamp(x, -0.5, 0.7)),
    OpInfo("clamp_min", lambda m, x: m.clamp(x, min=-0.2)),
    OpInfo("clamp_int", lambda m, x: m.clamp(x, -3, 4), dtypes=("int64", "int32"), grad=False),
    OpInfo("isnan", lambda m, x: m.isnan(m.log(x)), grad=False),
    OpInfo("isinf", lambda m, x: m.isinf(m.log(m.relu(x))), grad=False),
    OpInfo("isfinite", lambda m, x: m.isfinite(m.log(x)), grad=False),
    OpInfo("isposinf", lambda m, x: m.isposinf(1 / m.relu(x)), grad=False),
    OpInfo("isneginf", lambda m, x: m.isneginf(-1 / m.relu(x)), grad=False),
    # binary
    OpInfo("add", lambda m, x, y: m.add(x, y), shapes=BINARY_SHAPES, dtypes=ALL_NUM + HALF),
    OpInfo("add_alpha", lambda m, x, y: m.add(x, y, alpha=2), shapes=BINARY_SHAPES),
    OpInfo("sub", lambda m, x, y: x - y, shapes=BINARY_SHAPES, dtypes=ALL_NUM),
    OpInfo("mul", lambda m, x, y: x * y, shapes=BINARY_SHAPES, dtypes=ALL_NUM + HALF),
    OpInfo("div", lambda m, x, y: x / y, shapes=BINARY_SHAPES, domain=(0.5, 3),
           dtypes=FLOATS + ("int64",)),
    OpInfo("div_floor", lambda m, x, y: m.div(x, y, rounding_mode="floor"),
           shapes=BINARY_SHAPES, domain=(0.5, 3), grad=False, dtypes=FLOATS),
    OpInfo("div_trunc", lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
           shapes=BINARY_SHAPES, domain=(0.5, 3), grad=False, dtypes=FLOATS),
    OpInfo("remainder", lambda m, x, y: m.remainder(x, y), shapes=BINARY_SHAPES,
           domain=(0.5, 3), dtypes=FLOATS),
    OpInfo("fmod", lambda m, x, y: m.fmod(x, y), shapes=BINARY_SHAPES, domain=(0.5, 3)),
    OpInfo("pow", lambda m, x, y: m.pow(x, y), shapes=BINARY_SHAPES, domain=(0.5, 2)),
    OpInfo("pow_scalar", lambda m, x: x ** 3), OpInfo("pow_half", lambda m, x: x.abs() ** 0.5 + x),
    OpInfo("rpow", lambda m, x: 2 ** x),
    _b("logaddexp"), _b("logaddexp2"),
    _b("gcd", dtypes=("int64", "int32", "int16", "int8", "uint8"), grad=False, int_high=40),
    _b("lcm", dtypes=("int64", "int32", "int16", "uint8"), grad=False),
    # torch's gradient of ldexp is 0 at negative exponents (its 2 ** other in integers);
    # ember's is 2 ** other there too: the exponents compared here are non-negative
    OpInfo("frexp", lambda m, x: _joined(m, m.frexp(x * 1e3)), dtypes=FLOATS + HALF),
    OpInfo("ldexp", lambda m, x, y: m.ldexp(x, (y * 3).round().abs().long()),
           shapes=BINARY_SHAPES),
    OpInfo("ldexp_negative", lambda m, x, y: m.ldexp(x, -(y * 3).round().abs().long()),
           shapes=BINARY_SHAPES, grad=False),
    OpInfo("heaviside", lambda m, x, y: m.heaviside(x.round(), y), shapes=BINARY_SHAPES,
           grad=False, dtypes=FLOATS + ("int64",)),
    _b("atan2"), _b("hypot"), _b("maximum", dtypes=FLOATS + ("int64",)),
    _b("minimum", dtypes=FLOATS + ("int64",)), _b("fmax"), _b("fmin"), _b("copysign"),
    OpInfo("xlogy", lambda m, x, y: m.xlogy(x, y), shapes=BINARY_SHAPES, domain=(0.1, 3)),
    OpInfo("lerp", lambda m, x, y: m.lerp(x, y, 0.3), shapes=BINARY_SHAPES),
    OpInfo("lerp_far", lambda m, x, y: m.lerp(x * 1e6, y, 1.0) + m.lerp(x, y, -0.75),
           shapes=BINARY_SHAPES),
    OpInfo("lerp_tensor_weight", lambda m, x, y: m.lerp(x, y, (y - x).tanh() + 0.5),
           shapes=BINARY_SHAPES),
    OpInfo("addcmul", lambda m, x, y: m.addcmul(x, x, y, value=0.5), shapes=BINARY_SHAPES),
    OpInfo("addcdiv", lambda m, x, y: m.addcdiv(x, x, y, value=0.5), shapes=BINARY_SHAPES,
           domain=(0.5, 2)),
    OpInfo("where", lambda m, x, y: m.where(x > 0, x, y), shapes=BINARY_SHAPES),
    OpInfo("where_method", lambda m, x, y: x.where(y > 0, y), shapes=BINARY_SHAPES),
    OpInfo("eq", lambda m, x, y: x == y, shapes=BINARY_SHAPES, dtypes=ALL_NUM, grad=False),
    OpInfo("lt", lambda m, x, y: x < y, shapes=BINARY_SHAPES, dtypes=ALL_NUM, grad=False),
    OpInfo("ge", lambda m, x, y: x >= y, shapes=BINARY_SHAPES, dtypes=ALL_NUM, grad=False),
    OpInfo("logical_xor", lambda m, x, y: m.logical_xor(x > 0, y > 0), shapes=BINARY_SHAPES,
           grad=False),
    OpInfo("bitwise", lambda m, x, y: (x & y) | (x ^ y), shapes=BINARY_SHAPES,
           dtypes=("int64", "int32", "uint8"), grad=False),
    OpInfo("shifts", lambda m, x: (x << 2) >> 1, dtypes=("int64", "int32"), grad=False),
    OpInfo("int_floordiv", lambda m, x, y: x // (y.abs() + 1), shapes=BINARY_SHAPES,
           dtypes=("int64", "int32"), grad=False),
    OpInfo("int_remainder", lambda m, x, y: x % (y.abs() + 1), shapes=BINARY_SHAPES,
           dtypes=("int64",), grad=False),
    OpInfo("scalar_promotion", lambda m, x: x * 2.5 + 1, dtypes=ALL_NUM, grad=False),
    # activations
    OpInfo("gelu", lambda m, x: _act(m).gelu(x), dtypes=FLOATS + HALF),
    OpInfo("gelu_tanh", lambda m, x: _act(m).gelu(x, approximate="tanh")),
    OpInfo("silu", lambda m, x: _act(m).silu(x)), OpInfo("mish", lambda m, x: _act(m).mish(x)),
    OpInfo("softplus", lambda m, x: _act(m).softplus(x, beta=2.0, threshold=1.0)),
    OpInfo("softsign", lambda m, x: _act(m).softsign(x)),
    OpInfo("logsigmoid", lambda m, x: _act(m).logsigmoid(x)),
    OpInfo("selu", lambda m, x: _act(m).selu(x)), OpInfo("celu", lambda m, x: _act(m).celu(x)),
    OpInfo("elu", lambda m, x: _act(m).elu(x, alpha=0.7)),
    OpInfo("leaky_relu", lambda m, x: _act(m).leaky_relu(x, 0.2)),
    OpInfo("hardtanh", lambda m, x: _act(m).hardtanh(x, -0.5, 0.5)),
    OpInfo("relu6", lambda m, x: _act(m).relu6(x * 8)),
    OpInfo("hardsigmoid", lambda m, x: _act(m).hardsigmoid(x * 4)),
    OpInfo("hardswish", lambda m, x: _act(m).hardswish(x * 4)),
    OpInfo("threshold", lambda m, x: _act(m).threshold(x, 0.1, -2.0)),
    # reductions
    OpInfo("sum", lambda m, x: x.sum(), dtypes=ALL_NUM),
    OpInfo("sum_dim", lambda m, x: x.sum(-1), dtypes=FLOATS + ("int64",)),
    OpInfo("sum_dims_keep", lambda m, x: x.sum((0, -1), keepdim=True) if x.dim() >= 2
           else x.sum()),
    OpInfo("mean", lambda m, x: x.mean()), OpInfo("mean_dim", lambda m, x: x.mean(0)),
    OpInfo("prod", lambda m, x: x.prod(), domain=(0.5, 1.5)),
    OpInfo("prod_dim", lambda m, x: x.prod(0), domain=(0.5, 1.5)),
    OpInfo("amax", lambda m, x: x.amax(-1) if x.numel() else x.sum()),
    OpInfo("max_dim", lambda m, x: x.max(-1)[0] if x.numel() else x.sum(),
           dtypes=FLOATS + ("int64",)),
    OpInfo("argmax", lambda m, x: x.argmax(-1) if x.numel() else x.sum(), grad=False,
           dtypes=FLOATS + ("int64",)),
    OpInfo("min_all", lambda m, x: x.min() if x.numel() else x.sum()),
    OpInfo("var", lambda m, x: x.var(0) if x.dim() and x.shape[0] > 1 else x.sum()),
    OpInfo("std", lambda m, x: x.std() if x.numel() > 1 else x.sum()),
    OpInfo("var_corr0", lambda m, x: m.var(x, correction=0) if x.numel() else x.sum()),
    OpInfo("logsumexp", lambda m, x: m.logsumexp(x, -1) if x.dim() else x.exp()),
    OpInfo("norm", lambda m, x: m.linalg.vector_norm(x, 2)),
    OpInfo("norm1", lambda m, x: x.norm(1)), OpInfo("norm_inf", lambda m, x: m.linalg.vector_norm(
        x, float("inf")) if x.numel() else x.sum()),
    OpInfo("all_any", lambda m, x: m.stack([(x > 0).all(), (x > 0).any()]), grad=False),
    OpInfo("count_nonzero", lambda m, x: m.count_nonzero(x > 0), grad=False),
    OpInfo("cumsum", lambda m, x: x.cumsum(0) if x.dim() else x.cumsum(0),
           dtypes=FLOATS + ("int64",)),
    OpInfo("cumprod", lambda m, x: x.cumprod(-1), domain=(0.5, 1.5)),
    OpInfo("cummax", lambda m, x: x.cummax(0)[0]),
    OpInfo("logcumsumexp", lambda m, x: x.logcumsumexp(0)),
    OpInfo("diff", lambda m, x: m.diff(x, 2, 0) if x.dim() else x * 1,
           dtypes=FLOATS + ("int64",)),
    OpInfo("diff_prepend_append", lambda m, x: m.diff(x, 1, -1, prepend=x, append=x * 2)
           if x.dim() else x * 1),
    OpInfo("diff_bool", lambda m, x: m.diff(x > 0) if x.dim() else x > 0, grad=False),
    OpInfo("trapezoid", lambda m, x: m.trapezoid(x) if x.dim() else x * 1,
           dtypes=FLOATS + ("int64",)),
    OpInfo("trapezoid_dx_dim0", lambda m, x: m.trapezoid(x, dx=0.25, dim=0)
           if x.dim() else x * 1),
    OpInfo("trapezoid_x", lambda m, x: m.trapezoid(x, m.arange(x.shape[-1]) ** 2)
           if x.dim() else x * 1),
    OpInfo("trapz_x_same_shape", lambda m, x: m.trapz(x, x.cumsum(-1).exp())
           if x.dim() else x * 1),
    OpInfo("cumulative_trapezoid", lambda m, x: m.cumulative_trapezoid(x, dx=2.0)
           if x.dim() else x * 1),
    # views and shapes
    OpInfo("view_T", lambda m, x: x.T * 1), OpInfo("reshape", lambda m, x: x.reshape(-1) * 1),
    OpInfo("flatten", lambda m, x: x.flatten() * 1),
    OpInfo("unsqueeze", lambda m, x: x.unsqueeze(0).squeeze() * 1),
    OpInfo("narrow", lambda m, x: x.narrow(-1, 1, 2) * 1 if x.dim() and x.shape[-1] >= 3
           else x * 1),
    OpInfo("slice_step", lambda m, x: x[..., ::2] * 1 if x.dim() else x * 1),
    OpInfo("select", lambda m, x: x[1] * 1 if x.dim() and x.shape[0] > 1 else x * 1),
    OpInfo("diagonal", lambda m, x: x.diagonal(0, -2, -1) * 1 if x.dim() >= 2 else x * 1),
    OpInfo("unfold", lambda m, x: x.unfold(-1, 2, 1) * 1 if x.dim() and x.shape[-1] >= 2
           else x * 1),
    OpInfo("expand", lambda m, x: x.expand(2, *x.shape) * 1),
    OpInfo("permute", lambda m, x: x.permute(*reversed(range(x.dim()))).contiguous()),
    OpInfo("movedim", lambda m, x: m.movedim(x, 0, -1) * 1 if x.dim() else x * 1),
    OpInfo("split", lambda m, x: m.cat(x.split(1, -1), -1) * 2 if x.dim() else x * 2),
    OpInfo("ravel", lambda m, x: x.ravel() * 1, dtypes=FLOATS + ("int64",)),
    OpInfo("hsplit", lambda m, x: m.cat([p.reshape(-1) for p in m.hsplit(x, [1, -1])])
           if x.dim() else x * 1),
    OpInfo("vsplit_dsplit", lambda m, x: m.cat([p.reshape(-1) for p in (
        m.dsplit(x, [2]) if x.dim() >= 3 else m.vsplit(x, [1]) if x.dim() == 2 else [x])])),
    OpInfo("chunk", lambda m, x: m.stack(x.chunk(2, 0)[:1]) * 2 if x.dim() and x.shape[0] else x),
    # indexing
    OpInfo("index_list", lambda m, x: x[[0, -1]] if x.dim() and x.shape[0] else x * 1),
    OpInfo("index_mask", lambda m, x: x[x > 0]),
    OpInfo("index_tensor_2d", lambda m, x: x[m.tensor([0, 1]), m.tensor([1, 0])]
           if x.dim() >= 2 and x.shape[0] >= 2 and x.shape[1] >= 2 else x * 1),
    OpInfo("index_mixed", lambda m, x: x[None, ..., [0]] if x.dim() and x.shape[-1] else x * 1),
    OpInfo("gather", lambda m, x: x.gather(-1, m.zeros(x.shape, dtype=m.long))
           if x.dim() and x.numel() else x * 1),
    OpInfo("index_select", lambda m, x: x.index_select(0, m.tensor([0, 0]))
           if x.dim() and x.shape[0] else x * 1),
    OpInfo("masked_fill", lambda m, x: x.masked_fill(x > 0.5, 2.0)),
    OpInfo("take", lambda m, x: m.take(x, m.tensor([0])) if x.numel() else x * 1),
    OpInfo("nonzero", lambda m, x: m.nonzero(x > 0), grad=False),
    OpInfo("scatter_add", lambda m, x: m.zeros(5, dtype=x.dtype).scatter_add(0, m.tensor([0, 2, 2]),
                                                              x.reshape(-1)[:3])
           if x.numel() >= 3 else x * 1),
    OpInfo("scatter", lambda m, x: m.zeros(5, dtype=x.dtype).scatter(
        0, m.tensor([4, 1, 3]), x.reshape(-1)[:3]) if x.numel() >= 3 else x * 1),
    *[OpInfo(f"scatter_reduce_{how}{'' if self_too else '_without_self'}",
             lambda m, x, how=how, self_too=self_too: _scatter_reduce(m, x, how, self_too),
             dtypes=FLOATS + ("int64",), grad=how != "mean" or self_too)
      for how in ("sum", "prod", "mean", "amax", "amin") for self_too in (True, False)],
    # without a graph, the CPU folds prod/amax/amin in C
    *[OpInfo(f"scatter_reduce_{how}{'' if self_too else '_without_self'}_no_graph",
             lambda m, x, how=how, self_too=self_too: _scatter_reduce(m, x, how, self_too),
             dtypes=FLOATS + ("int64", "int8", "uint8"), grad=False)
      for how in ("prod", "amax", "amin") for self_too in (True, False)],
    OpInfo("scatter_reduce_rows", lambda m, x: x.scatter_reduce(
        1, m.tensor([[0, 0, 3], [1, 1, 1], [2, 0, 2]]), x[:, :3] * 2, "amax",
        include_self=False)
        if tuple(x.shape) == (3, 4) else x * 1),
    # joining, reordering
    OpInfo("cat", lambda m, x, y: m.cat([x, y], -1) if x.dim() else m.stack([x, y]),
           shapes=[((3, 4), (3, 2)), ((2,), (5,)), ((), ())]),
    OpInfo("stack", lambda m, x: m.stack([x, x * 2], 0)),
    OpInfo("flip", lambda m, x: x.flip(0) if x.dim() else x * 1),
    OpInfo("roll", lambda m, x: x.roll(1, 0) if x.dim() else x * 1),
    OpInfo("rot90", lambda m, x: m.rot90(x) if x.dim() >= 2 else x * 1),
    OpInfo("repeat", lambda m, x: x.repeat(2, *([1] * x.dim()))),
    OpInfo("tile", lambda m, x: m.tile(x, (2,))),
    OpInfo("repeat_interleave", lambda m, x: x.repeat_interleave(2, 0) if x.dim() else x * 1),
    OpInfo("tril", lambda m, x: m.tril(x) if x.dim() >= 2 else x * 1),
    OpInfo("triu", lambda m, x: m.triu(x, 1) if x.dim() >= 2 else x * 1),
    OpInfo("diag", lambda m, x: m.diag(x.reshape(-1)[:3]) if x.numel() >= 3 else x * 1),
    # sorting
    OpInfo("sort", lambda m, x: x.sort(-1)[0] if x.dim() else x * 1),
    OpInfo("sort_desc_idx", lambda m, x: x.sort(0, descending=True)[1] if x.dim() else x * 0,
           grad=False),
    OpInfo("topk", lambda m, x: x.topk(2, -1)[0] if x.dim() and x.shape[-1] >= 2 else x * 1),
    OpInfo("kthvalue", lambda m, x: x.kthvalue(1, -1)[0] if x.dim() and x.shape[-1] else x * 1),
    OpInfo("unique", lambda m, x: m.unique(x.round()), grad=False),
    OpInfo("unique_inverse_counts", lambda m, x: _joined(m, m.unique(
        x.round(), return_inverse=True, return_counts=True)), grad=False),
    # slices of signs repeat often enough to group
    OpInfo("unique_dim", lambda m, x: _joined(m, m.unique(
        (x > 0).long(), dim=0, return_inverse=True, return_counts=True)) if x.dim() else x * 1,
           grad=False),
    OpInfo("unique_consecutive_dim", lambda m, x: _joined(m, m.unique_consecutive(
        (x > 0).long(), dim=-1, return_inverse=True, return_counts=True)) if x.dim() and
        x.numel() else x * 1, grad=False),
    OpInfo("median", lambda m, x: x.median() if x.numel() else x.sum(), grad=False),
    # distinct values: the smallest is the mode; rounded: ties, where torch returns the
    # smallest of the most frequent values and the last index of it
    OpInfo("mode", lambda m, x: x.mode(-1)[0] if x.dim() and x.shape[-1] else x * 1),
    OpInfo("mode_ties", lambda m, x: (lambda v, i: v + i)(*x.round().mode(0, keepdim=True))
           if x.dim() and x.shape[0] else x * 1, grad=False),
    OpInfo("searchsorted", lambda m, x: m.searchsorted(m.tensor([-1.0, 0.0, 1.0],
                                                                dtype=x.dtype), x),
           grad=False),
    # linear algebra
    OpInfo("matmul", lambda m, x, y: x @ y, shapes=[((3, 4), (4, 5)), ((2, 3, 4), (4, 2)),
                                                    ((4,), (4, 3)), ((3, 4), (4,)),
                                                    ((4,), (4,)), ((2, 1, 3, 4), (5, 4, 2))]),
    OpInfo("bmm", lambda m, x, y: m.bmm(x, y), shapes=[((2, 3, 4), (2, 4, 5))]),
    OpInfo("addmm", lambda m, x, y: m.addmm(y, x, x.T, beta=0.5, alpha=2),
           shapes=[((3, 4), (3, 3))]),
    OpInfo("einsum_bij", lambda m, x, y: m.einsum("bij,bjk->bik", x, y),
           shapes=[((2, 3, 4), (2, 4, 5))]),
    OpInfo("einsum_trace", lambda m, x: m.einsum("ii->", x), shapes=[((4, 4),)]),
    OpInfo("einsum_outer", lambda m, x, y: m.einsum("i,j->ij", x, y), shapes=[((3,), (4,))]),
    OpInfo("tensordot", lambda m, x, y: m.tensordot(x, y, dims=([1], [0])),
           shapes=[((3, 4), (4, 5))]),
    OpInfo("kron", lambda m, x, y: m.kron(x, y), shapes=[((2, 3), (3, 2))]),
    OpInfo("outer", lambda m, x, y: m.outer(x, y), shapes=[((3,), (4,))]),
    OpInfo("dist", lambda m, x, y: m.dist(x, y), shapes=BINARY_SHAPES[:4]),
    OpInfo("dist_p3", lambda m, x, y: x.dist(y, 3), shapes=BINARY_SHAPES[:2]),
    OpInfo("block_diag", lambda m, x, y: m.block_diag(x, y, x[0] if x.dim() else x),
           shapes=[((2, 3), (4,)), ((3, 2), (2, 2)), ((0, 2), (3,))], dtypes=FLOATS + ("int64",)),
    OpInfo("cartesian_prod", lambda m, x, y: m.cartesian_prod(x, y, x),
           shapes=[((3,), (4,)), ((2,), (0,))], dtypes=FLOATS + ("int64",)),
    OpInfo("combinations", lambda m, x: m.cat([m.combinations(x, 2).reshape(-1),
                                               m.combinations(x, 3, True).reshape(-1)]),
           shapes=[((5,),), ((1,),), ((0,),)], dtypes=FLOATS + ("int64",)),
    OpInfo("diagflat", lambda m, x: m.diagflat(x, -1), dtypes=FLOATS + ("int64",)),
    OpInfo("linalg_cross", lambda m, x, y: m.linalg.cross(x, y),
           shapes=[((4, 3), (4, 3)), ((2, 1, 3), (1, 5, 3)), ((3,), (3,)), ((0, 3), (0, 3)),
                   ((5, 3), (5, 3), "transposed")], dtypes=FLOATS + ("int64",)),
    OpInfo("cross_dim0", lambda m, x, y: m.cross(x, y, dim=0),
           shapes=[((3, 4), (3, 4)), ((3, 2, 2), (3, 1, 2))], dtypes=FLOATS),
    *(OpInfo(f"cdist_p{p}", lambda m, x, y, p=p: m.cdist(x, y, p=p),
             shapes=[((5, 3), (4, 3)), ((2, 5, 3), (1, 4, 3)), ((0, 3), (4, 3)),
                     ((4, 0), (2, 0)), ((6, 4), (3, 4), "transposed")])
      for p in (0, 0.5, 1, 2, 3, float("inf"))),
    OpInfo("cdist_mm", lambda m, x, y: m.cdist(x, y),
           shapes=[((30, 4), (27, 4)), ((2, 26, 3), (5, 3)), ((0, 3), (28, 3))]),
    OpInfo("cdist_mm_always", lambda m, x, y: m.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
           shapes=[((5, 3), (4, 3)), ((6, 4), (3, 4), "transposed")]),
    OpInfo("trace", lambda m, x: m.trace(x), shapes=[((4, 4),)]),
    OpInfo("matrix_norm", lambda m, x: m.linalg.matrix_norm(x), shapes=[((3, 4),)]),
    *(OpInfo(f"matrix_power_{n}".replace("-", "minus"),
             lambda m, x, n=n: m.linalg.matrix_power(x + 3 * m.eye(3, dtype=x.dtype), n),
             shapes=[((3, 3),), ((2, 3, 3),), ((0, 3, 3),)])
      for n in (0, 1, 3, -2)),
    OpInfo("matrix_power_int", lambda m, x: x.matrix_power(4), shapes=[((3, 3),)],
           dtypes=("int64",), grad=False, int_high=3),
    # decompositions whose results are unique (qr and lu with LAPACK's conventions)
    OpInfo("linalg_svdvals", lambda m, x: m.linalg.svdvals(x),
           shapes=[((3, 4),), ((2, 5, 3),), ((0, 3),), ((4, 6), "transposed")]),
    OpInfo("linalg_eigvalsh", lambda m, x: m.linalg.eigvalsh(x + x.mT),
           shapes=[((4, 4),), ((2, 3, 3),), ((0, 0),), ((5, 5), "transposed")]),
    OpInfo("linalg_pinv", lambda m, x: m.linalg.pinv(x),
           shapes=[((3, 4),), ((2, 5, 3),), ((4, 4),), ((4, 6), "transposed")]),
    OpInfo("linalg_qr", lambda m, x: _joined(m, m.linalg.qr(x)),
           shapes=[((4, 3),), ((2, 3, 3),), ((3, 5),), ((5, 4), "transposed")]),
    OpInfo("linalg_lu_factor", lambda m, x: m.linalg.lu_factor(x).LU,
           shapes=[((4, 4),), ((2, 3, 3),), ((5, 3),), ((3, 5), "transposed")]),
    OpInfo("linalg_cond", lambda m, x: m.linalg.cond(x), shapes=[((3, 3),), ((2, 4, 4),)]),
    OpInfo("linalg_cond_fro", lambda m, x: m.linalg.cond(x, "fro"),
           shapes=[((3, 3),), ((2, 4, 4),)], grad=False),
    OpInfo("linalg_matrix_rank", lambda m, x: m.linalg.matrix_rank(x),
           shapes=[((3, 4),), ((2, 3, 3),), ((0, 3),)], grad=False),
    OpInfo("linalg_multi_dot", lambda m, x, y: m.linalg.multi_dot([x, y, y.mT, x.mT]),
           shapes=[((3, 4), (4, 5)), ((2, 6), (6, 1)), ((4, 3), (3, 2), "transposed")]),
    OpInfo("linalg_vecdot", lambda m, x, y: m.linalg.vecdot(x, y),
           shapes=[((3, 4), (3, 4)), ((2, 1, 4), (3, 4)), ((0, 3), (3,)),
                   ((4, 5), (4, 5), "transposed")]),
    OpInfo("linalg_vander", lambda m, x: m.linalg.vander(x),
           shapes=[((4,),), ((2, 3),)], dtypes=FLOATS + ("int64",), int_high=4),
]
