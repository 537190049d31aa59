"""Reductions (sum, mean, max, var, norm, ...) and scans (cumsum, cummax, ...)."""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

from .. import _dtype as D
from .._C import lib
from .._sparse_coo_tensor import SparseCooTensor, unsupported
from .._tensor import Tensor, _empty, contiguous_strides
from ..autograd.function import Function
from ..backends import cpu as _cpu
from ._util import backend_of, cast, check_out, normalize_dims, wrap_dim

# torch.return_types equivalents
values_indices = namedtuple("values_indices", ["values", "indices"])
min_max = namedtuple("aminmax", ["min", "max"])


def _kept_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if d in dims else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in dims)


def _run_reduce(code, x: Tensor, dims: tuple, keepdim: bool, out_dtype) -> Tensor:
    if x._dtype.is_complex:
        _no_complex(x, {lib.EM_RPROD: "prod", lib.EM_RMAX: "max", lib.EM_RMIN: "min",
                        lib.EM_RALL: "all", lib.EM_RANY: "any"}.get(code, "reduction"))
    if (out_dtype is x._dtype and not keepdim and len(dims) == len(x._shape) and
            x._storage.__class__ is _cpu.Storage and code not in (lib.EM_RALL, lib.EM_RANY) and
            x.numel() and x._stride == contiguous_strides(x._shape)):
        # everything of a contiguous tensor: skip the layout work (small losses, per-op cost)
        return Tensor._make(_cpu.reduce_all_contiguous(code, x), (), (), 0, out_dtype)
    logical = code == lib.EM_RALL or code == lib.EM_RANY
    src = x if logical else cast(x, out_dtype)
    out = _empty(_kept_shape(x._shape, dims, False), D.bool_ if logical else out_dtype, x.device)
    if not x._shape:
        backend_of(x).copy(src, out)
    else:
        backend_of(x).reduce(code, src, dims, out)
    if keepdim:
        kept = _kept_shape(x._shape, dims, True)
        out = Tensor._make(out._storage, kept, contiguous_strides(kept), 0, out._dtype)
    return out


def _expand_back(g: Tensor, in_shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    if not keepdim:
        g = g.reshape(_kept_shape(in_shape, dims, True))
    return g.expand(in_shape)


def _sum_dtype(x: Tensor, dtype):
    if dtype is not None:
        return dtype
    return x._dtype if x._dtype.is_floating_point else D.int64


class Sum(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype, code=lib.EM_RSUM):
        ctx.in_shape, ctx.dims, ctx.keepdim = x._shape, dims, keepdim
        return _run_reduce(code, x, dims, keepdim, _sum_dtype(x, dtype))

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Sum over dim (int, tuple or None for all), as ``torch.sum``.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).sum(dim=0)
        tensor([4, 6])
    """
    if input.__class__ is SparseCooTensor and out is None:
        return input.sum(dim, keepdim, dtype=dtype)
    dims = normalize_dims(dim, input.dim())
    if input._dtype.is_complex or (dtype is not None and dtype.is_complex):
        from .complex import sum as complex_sum  # the real and imaginary parts apart
        r = complex_sum(input.to(dtype) if dtype is not None else input, dims, keepdim)
        return check_out(out, r, "sum") if out is not None else r
    r = Sum.apply(input, dims, keepdim, dtype)
    return check_out(out, r, "sum") if out is not None else r


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if not input._dtype.is_floating_point:
        return sum(input, dim, keepdim, dtype=dtype)
    return sum(input.nan_to_num(0.0, math.inf, -math.inf), dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    if input.__class__ is SparseCooTensor:  # torch has no sparse mean; sum has a sparse form
        raise unsupported("mean")
    if dtype is None and not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_pretty(input._dtype)}")
    dims = normalize_dims(dim, input.dim())
    n = 1
    for d in dims:
        n *= input._shape[d] if input._shape else 1
    r = sum(input, dims if input.dim() else None, keepdim, dtype=dtype)
    r = r / n if n else r * math.nan
    return check_out(out, r, "mean") if out is not None else r


def _pretty(d):
    from ._util import pretty_dtype
    return pretty_dtype(d)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    notnan = ~input.isnan()
    return nansum(input, dim, keepdim, dtype=dtype) / notnan.sum(dim, keepdim)


class Prod(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dim, keepdim, dtype):
        out_dtype = _sum_dtype(x, dtype)
        dims = (dim,) if dim is not None else tuple(range(x.dim()))
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return _run_reduce(lib.EM_RPROD, x, dims, keepdim, out_dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.dim is None:
            flat = x.reshape(-1)
            others = _prod_of_others(flat, 0)
            return (g.reshape(()) * others).reshape(x._shape), None, None, None
        d = ctx.dim
        if not ctx.keepdim and x.dim():
            g = g.unsqueeze(d)
        return g * _prod_of_others(x, d), None, None, None


def _prod_of_others(x: Tensor, dim: int) -> Tensor:
    """Product of every element along dim except the one in place (zeros allowed)."""
    if x.dim() == 0:
        return x.new_ones(())
    n = x._shape[dim]
    if n == 0:
        return x
    ones = x.narrow(dim, 0, 1).new_ones(x.narrow(dim, 0, 1)._shape)
    left = cat([ones, x.narrow(dim, 0, n - 1).cumprod(dim)], dim) if n > 1 else ones
    rx = x.flip(dim)
    right = cat([ones, rx.narrow(dim, 0, n - 1).cumprod(dim)], dim).flip(dim) if n > 1 else ones
    return left * right


def cat(tensors, dim):
    from .join import cat as _cat
    return _cat(tensors, dim)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    d = wrap_dim(dim, input.dim()) if dim is not None else None
    return Prod.apply(input, d, keepdim, dtype)


class Amax(Function):
    """amax/amin: the gradient is shared equally among tied extremes."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, dims, keepdim, want_max):
        if x.numel() == 0:
            empty = next((d for d in dims if x._shape[d] == 0), None)
            if empty is not None:  # a reduction over non-empty dims of an empty tensor is empty
                raise IndexError(f"{'amax' if want_max else 'amin'}(): Expected reduction "
                                 f"dim {empty} to have non-zero size.")
        out = _run_reduce(lib.EM_RMAX if want_max else lib.EM_RMIN, x, dims, keepdim, x._dtype)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        y = _expand_back(y, x._shape, ctx.dims, ctx.keepdim)
        g = _expand_back(g, x._shape, ctx.dims, ctx.keepdim)
        mask = (x == y)
        count = mask.sum(ctx.dims, keepdim=True)
        return g * mask / count, None, None, None


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return Amax.apply(input, normalize_dims(dim, input.dim()), keepdim, True)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return Amax.apply(input, normalize_dims(dim, input.dim()), keepdim, False)


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    d = () if dim is None else dim
    return min_max(amin(input, d, keepdim), amax(input, d, keepdim))


class MaxDim(Function):
    _builtin = True
    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, want_max):
        if x.dim() and x._shape[dim] == 0:
            raise IndexError(f"{'max' if want_max else 'min'}(): Expected reduction dim {dim} to "
                             "have non-zero size.")
        values, indices = _arg_reduce(x, dim, keepdim, want_max, with_values=True)
        ctx.save_for_backward(indices)
        ctx.in_shape, ctx.dim, ctx.keepdim = x._shape, dim, keepdim
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        return _index_grad(g, idx, ctx.in_shape, ctx.dim, ctx.keepdim), None, None, None


def _index_grad(g, idx, in_shape, dim, keepdim):
    from .index import scatter
    if not in_shape:
        return g
    if not keepdim:
        g, idx = g.unsqueeze(dim), idx.unsqueeze(dim)
    return scatter(g.new_zeros(in_shape), dim, idx, g)


def _arg_reduce(x, dim, keepdim, want_max, with_values):
    if not x._shape:
        vals = x.clone() if with_values else None
        idx = _empty((), D.int64, x.device)
        backend_of(idx).fill(idx, 0)
        return vals, idx
    out_shape = x._shape[:dim] + x._shape[dim + 1:]
    values = _empty(out_shape, x._dtype, x.device) if with_values else None
    indices = _empty(out_shape, D.int64, x.device)
    backend_of(x).arg_reduce(want_max, x, dim, values, indices)
    if keepdim:
        ks = x._shape[:dim] + (1,) + x._shape[dim + 1:]
        indices = indices.reshape(ks)
        values = values.reshape(ks) if values is not None else None
    return values, indices


def _max_like(want_max, input, dim=None, keepdim=False, other=None, out=None):
    from .elementwise import maximum, minimum
    if isinstance(dim, Tensor):
        return (maximum if want_max else minimum)(input, dim)
    if other is not None:
        return (maximum if want_max else minimum)(input, other)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{'max' if want_max else 'min'}(): Expected reduction dim to be "
                               "specified for input.numel() == 0. Specify the reduction dim "
                               "with the 'dim' argument.")
        return Amax.apply(input, tuple(range(input.dim())), False, want_max) if input.dim() \
            else input.clone()
    d = wrap_dim(dim, input.dim())
    return values_indices(*MaxDim.apply(input, d, keepdim, want_max))


def max(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """Largest element, or (values, indices) along dim, or elementwise max with a tensor."""
    return _max_like(True, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    return _max_like(False, input, dim, keepdim)


def _arg_extreme(input: Tensor, dim, keepdim: bool, want_max: bool) -> Tensor:
    name = "argmax" if want_max else "argmin"
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0.")
        _, idx = _arg_reduce(input.reshape(-1), 0, False, want_max, False)
        return idx.reshape((1,) * input.dim()) if keepdim else idx
    d = wrap_dim(dim, input.dim())
    if input.dim() and input._shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return _arg_reduce(input, d, keepdim, want_max, False)[1]


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (the first one among ties), over dim or all."""
    return _arg_extreme(input, dim, keepdim, True)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(input, dim, keepdim, False)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    dims = normalize_dims(dim, input.dim())
    return _run_reduce(lib.EM_RALL, input, dims, keepdim, input._dtype)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    dims = normalize_dims(dim, input.dim())
    return _run_reduce(lib.EM_RANY, input, dims, keepdim, input._dtype)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    return sum(input != 0, dim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool):
        dim, unbiased = unbiased, None
    c = _correction(unbiased, correction)
    dims = normalize_dims(dim, input.dim())
    n = 1
    for d in dims:
        n *= input._shape[d] if input._shape else 1
    mu = mean(input, dims if input.dim() else None, keepdim=True)
    diff = input - mu
    ss = sum(diff * diff, dims if input.dim() else None, keepdim)
    return ss / builtins.max(n - c, 0)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    dims = normalize_dims(dim, input.dim())
    if not input._dtype.is_floating_point:
        input = input.to(D.get_default_dtype())
    if input.numel() == 0:
        return sum(input.exp(), dims, keepdim).log()
    m = amax(input.detach(), dims, keepdim=True)
    m = m.masked_fill(m.isinf(), 0.0)
    r = (input - m).exp().sum(dims, keepdim=True).log() + m
    return r if keepdim else r.squeeze(dims) if dims else r


class Norm2(Function):
    """Euclidean norm with a zero subgradient at zero, as torch's."""

    _builtin = True
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        sq = _run_reduce(lib.EM_RSUM, x * x, dims, keepdim, x._dtype)
        y = sq.sqrt()
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = dims, keepdim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        y = _expand_back(y, x._shape, ctx.dims, ctx.keepdim)
        g = _expand_back(g, x._shape, ctx.dims, ctx.keepdim)
        return (g * x / y).masked_fill(y == 0, 0.0), None, None


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_pretty(x._dtype)}")
    if x._dtype in (D.float16, D.bfloat16) and ord not in (math.inf, -math.inf, 0):
        # as torch: powers and sums of half-precision inputs in float32, rounded once
        return vector_norm(x.float(), ord, dim, keepdim).to(x._dtype)
    dims = normalize_dims(dim, x.dim())
    if ord == 2:
        return Norm2.apply(x, dims, keepdim)
    a = x.abs()
    if ord == math.inf:
        return amax(a, dims, keepdim)
    if ord == -math.inf:
        return amin(a, dims, keepdim)
    if ord == 0:
        return sum((a != 0).to(x._dtype), dims, keepdim)
    if ord == 1:
        return sum(a, dims, keepdim)
    return sum(a ** ord, dims, keepdim) ** (1.0 / ord)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        from .linalg import matrix_norm
        return matrix_norm(input if dtype is None else input.to(dtype), "nuc",
                           (-2, -1) if dim is None else dim, keepdim)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """The 2-norm over dim (torch's older spelling of ``linalg.vector_norm``)."""
    return vector_norm(input, 2, dim, keepdim)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along dim whose p-norm exceeds maxnorm, scaled down to norm maxnorm.

    Example:
        >>> ember.tensor([[3., 4.], [0.3, 0.4]]).renorm(2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = wrap_dim(dim, input.dim())
    norms = vector_norm(input, p, tuple(i for i in range(input.dim()) if i != d), keepdim=True)
    # torch's 1e-7 keeps the scaled norm a hair under maxnorm and the division finite
    from .elementwise import where
    return input * where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def sum_to_size(x: Tensor, *size) -> Tensor:
    """Sums x down to size (the inverse of broadcasting)."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if tuple(x._shape) == tuple(size):
        return x
    lead = x.dim() - len(size)
    inner = tuple(lead + i for i, s in enumerate(size) if s == 1 and x._shape[lead + i] != 1)
    if not inner:  # only leading dims go (a bias's gradient): the sum has size's shape
        return sum(x, tuple(range(lead)))
    r = sum(x, tuple(range(lead)) + inner, keepdim=True)
    return r.reshape(size) if lead else r


# ---- scans -----------------------------------------------------------------------------------

def _no_complex(x: Tensor, what: str) -> None:
    """Complex tensors reach only sum/mean (ops/complex.py); the real kernels would cast
    them to their real parts, so refuse by name instead."""
    if x._dtype.is_complex:
        from .complex import unsupported
        raise unsupported(what, x._dtype)


def _scan(code, x: Tensor, dim: int, dtype=None, with_indices=False):
    _no_complex(x, "scan (cumsum/cumprod/cummax/...)")
    d = wrap_dim(dim, x.dim())
    src = x.movedim(d, -1).contiguous() if x.dim() else x.reshape(1)
    if dtype is not None:
        src = cast(src, dtype)
    out = _empty(src._shape, src._dtype, x.device)
    idx = _empty(src._shape, D.int64, x.device) if with_indices else None
    backend_of(x).scan(code, src, out, idx)
    back = (lambda t: t.movedim(-1, d).contiguous()) if x.dim() else (lambda t: t.reshape(()))
    return (back(out), back(idx)) if with_indices else back(out)


class Cumsum(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        if dtype is None and not x._dtype.is_floating_point:
            dtype = D.int64
        return _scan(lib.EM_CUMSUM, x, dim, dtype)

    @staticmethod
    def backward(ctx, g):
        if g.dim() == 0:
            return g, None, None
        return g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None, None


def cumsum(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    r = Cumsum.apply(input, wrap_dim(dim, input.dim()), dtype)
    return check_out(out, r, "cumsum") if out is not None else r


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along dim (for bools: whether neighbours differ), after
    prepend and append are joined to input along dim.

    Example:
        >>> ember.diff(ember.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
    """
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.dim())
    parts = [t for t in (prepend, input, append) if t is not None]
    for t in parts:
        if t.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = x._shape[d]
        if size == 0:
            break
        later, earlier = x.narrow(d, 1, size - 1), x.narrow(d, 0, size - 1)
        x = later != earlier if x._dtype is D.bool_ else later - earlier
    return x


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """Central differences of input along each of dim (all dims by default), one-sided at
    the edges (first or second order): one tensor per dim. spacing: one number for every
    dim, a number per dim, or a 1-D tensor of coordinates per dim.

    Example:
        >>> ember.gradient(ember.tensor([1., 4., 9., 16.]))
        (tensor([3., 4., 6., 7.]),)
    """
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(builtins.range(input.dim()))
    else:
        dims = [wrap_dim(d, input.dim()) for d in ((dim,) if isinstance(dim, int) else dim)]
    if isinstance(spacing, (tuple, list)):
        if len(spacing) != len(dims):
            raise RuntimeError(
                f"torch.gradient expected spacing to be unspecified, a scalar, or a list of "
                f"length equal to 'self.dim() = {input.dim()}', since dim argument was not "
                f"given, but got a list of length {len(spacing)}" if dim is None else
                f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing "
                f"and dim arguments to have the same length, but got a spacing argument of "
                f"length {len(spacing)} and a dim argument of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    if builtins.any(input._shape[d] < edge_order + 1 for d in dims):
        raise RuntimeError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1")
    f = input if input._dtype.is_floating_point else input.to(D.get_default_dtype())
    return tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(dims, spacings))


def _gradient_along(f: Tensor, d: int, h, edge_order: int) -> Tensor:
    """One dim of gradient: h a number (uniform steps) or the coordinates along d."""
    from .join import cat
    n = f._shape[d]

    def part(start, stop):  # f[start:stop] along d
        return f.narrow(d, start, stop - start)
    if isinstance(h, Tensor):
        if h.dim() != 1 or h.shape[0] != n:
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device "
                               f"and to have {n} coordinates along dim {d}, got shape "
                               f"{list(h.shape)}")
        shape = [1] * f.dim()
        shape[d] = n - 1
        step = (h[1:] - h[:-1]).to(f.dtype).reshape(shape)  # the widths between coordinates
        hl, hr = step.narrow(d, 0, n - 2), step.narrow(d, 1, n - 2)
        # the quadratic through three neighbours, differentiated at the middle one
        inner = (part(0, n - 2) * (-hr / (hl * (hl + hr))) +
                 part(1, n - 1) * ((hr - hl) / (hl * hr)) + part(2, n) * (hl / (hr * (hl + hr))))
        h0, h1 = step.narrow(d, 0, 1), step.narrow(d, n - 2, 1)
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / h0
            last = (part(n - 1, n) - part(n - 2, n - 1)) / h1
        else:
            a, b = h0, step.narrow(d, 1, 1)
            first = (part(0, 1) * (-(2 * a + b) / (a * (a + b))) +
                     part(1, 2) * ((a + b) / (a * b)) + part(2, 3) * (-a / (b * (a + b))))
            a, b = step.narrow(d, n - 3, 1), h1
            last = (part(n - 3, n - 2) * (b / (a * (a + b))) +
                    part(n - 2, n - 1) * (-(a + b) / (a * b)) +
                    part(n - 1, n) * ((2 * b + a) / (b * (a + b))))
    else:
        inner = (part(2, n) - part(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / h
            last = (part(n - 1, n) - part(n - 2, n - 1)) / h
        else:
            first = (part(0, 1) * -1.5 + part(1, 2) * 2 - part(2, 3) * 0.5) / h
            last = (part(n - 3, n - 2) * 0.5 - part(n - 2, n - 1) * 2 + part(n - 1, n) * 1.5) / h
    return cat([first, inner, last], d)


def _trapezoid_parts(y: Tensor, x, dx, dim: int, name: str) -> Tensor:
    """The area of each interval along dim: (y_i + y_{i+1}) / 2 times its width."""
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received both x and dx: pass one of them")
    d = wrap_dim(dim, y.dim())
    size = y._shape[d]
    intervals = builtins.max(size - 1, 0)
    heights = y.narrow(d, 1 if size else 0, intervals) + y.narrow(d, 0, intervals)
    if x is None:
        return heights * ((1.0 if dx is None else dx) / 2)
    if x.dim() == 1:
        if x._shape[0] != size:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[d] = intervals
        return heights * diff(x).reshape(shape) / 2
    return heights * diff(x, dim=d) / 2


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The integral of y along dim by the trapezoidal rule, at points x or spacing dx (1).

    Example:
        >>> ember.trapezoid(ember.tensor([1.0, 2.0, 4.0]))
        tensor(4.5000)
    """
    return _trapezoid_parts(y, x, dx, dim, "trapezoid").sum(dim)


trapz = trapezoid


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
                         dim: int = -1) -> Tensor:
    """The running integral of y along dim by the trapezoidal rule (one value fewer).

    Example:
        >>> ember.cumulative_trapezoid(ember.tensor([1.0, 2.0, 4.0]))
        tensor([1.5000, 4.5000])
    """
    return _trapezoid_parts(y, x, dx, dim, "cumulative_trapezoid").cumsum(dim)


class Cumprod(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dim, dtype):
        if dtype is None and not x._dtype.is_floating_point:
            dtype = D.int64
        y = _scan(lib.EM_CUMPROD, x, dim, dtype)
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if g.dim() == 0:
            return g, None, None
        d = ctx.dim
        # sum_{j>=i} g_j * y_j / x_i; exact where x has no zeros
        return (g * y).flip(d).cumsum(d).flip(d) / x, None, None


def cumprod(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    r = Cumprod.apply(input, wrap_dim(dim, input.dim()), dtype)
    return check_out(out, r, "cumprod") if out is not None else r


class Cummax(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dim, want_max):
        values, indices = _scan(lib.EM_CUMMAX if want_max else lib.EM_CUMMIN, x, dim,
                                with_indices=True)
        ctx.save_for_backward(indices)
        ctx.dim, ctx.in_shape = dim, x._shape
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        from .index import scatter_add
        if g.dim() == 0:
            return g, None, None
        return scatter_add(g.new_zeros(ctx.in_shape), ctx.dim, idx, g), None, None


def cummax(input: Tensor, dim: int):
    return values_indices(*Cummax.apply(input, wrap_dim(dim, input.dim()),
                                        True))


def cummin(input: Tensor, dim: int):
    return values_indices(*Cummax.apply(input, wrap_dim(dim, input.dim()),
                                        False))


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    d = wrap_dim(dim, input.dim())
    m = input.detach().amax(d, keepdim=True) if input.numel() else input.detach()
    m = m.masked_fill(m.isinf(), 0.0)
    return (input - m).exp().cumsum(d).log() + m


def median(input: Tensor, dim=None, keepdim: bool = False):
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return input.new_full((), math.nan)
        v, _ = flat.sort()
        k = (flat.numel() - 1) // 2
        if input._dtype.is_floating_point and flat.isnan().any().item():
            return input.new_full((), math.nan)
        return v[k]
    d = wrap_dim(dim, input.dim())
    n = input._shape[d] if input.dim() else 1
    v, i = input.sort(d) if input.dim() else (input, input.new_zeros((), dtype=D.int64))
    k = (n - 1) // 2
    if input._dtype.is_floating_point and input.dim():
        nan_any = input.isnan().any(d, keepdim=True)
        first_nan = n - input.isnan().sum(d, keepdim=True)
        pos = nan_any.long() * first_nan + (~nan_any).long() * k
    else:
        pos = None
    if pos is None:
        values = v.narrow(d, k, 1) if input.dim() else v
        indices = i.narrow(d, k, 1) if input.dim() else i
    else:
        from .index import gather
        values = gather(v, d, pos)
        indices = gather(i, d, pos)
    if not keepdim and input.dim():
        values, indices = values.squeeze(d), indices.squeeze(d)
    return values_indices(values, indices)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    if dim is None:
        flat = input.reshape(-1)
        keep = flat[~flat.isnan()]
        return median(keep) if keep.numel() else input.new_full((), math.nan)
    if input.dim() == 0 or not input._dtype.is_floating_point:
        return median(input, dim, keepdim)
    d = wrap_dim(dim, input.dim())
    # sort puts NaN last, so a slice's lower median of its numbers sits at (count - 1) // 2;
    # an all-NaN slice takes its first entry, a NaN
    v, i = input.sort(d)
    count = (~input.isnan()).sum(d, keepdim=True)
    pos = ((count - 1) // 2).clamp_min(0)
    from .index import gather
    values, indices = gather(v, d, pos), gather(i, d, pos)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return values_indices(values, indices)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """Most frequent value along dim (the smallest among ties) and an index of it."""
    d = wrap_dim(dim, input.dim())
    if input.dim() == 0:
        return values_indices(input.clone(), input.new_zeros((), dtype=D.int64))
    from .sort import run_lengths  # (sort.py imports this module)
    moved = input.movedim(d, -1)
    n = moved._shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    # runs of equal values in each sorted row (NaN != NaN: each NaN is a run of its own)
    sv, si = moved.detach().reshape(-1, n).sort(-1, stable=True)
    starts = sv.new_ones(sv._shape, dtype=D.bool_)
    starts[:, 1:] = sv[:, 1:] != sv[:, :-1]
    run = starts.long().cumsum(-1) - 1
    lengths = run_lengths(run, 1)
    best = lengths.argmax(-1, keepdim=True)  # the longest run; among ties the smallest value
    first = (lengths.cumsum(-1) - lengths).gather(1, best)
    # the stable sort keeps equal values in their original order: the run's last element
    # holds the value's last index, which torch returns
    last = first + lengths.gather(1, best) - 1
    indices = si.gather(1, last).reshape(moved._shape[:-1]).unsqueeze(d)
    values = input.gather(d, indices)  # differentiable, as torch's values are
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return values_indices(values, indices)
