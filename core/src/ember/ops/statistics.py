"""Statistics: cov, corrcoef, quantile, nanquantile, isin, histogram and histogramdd.

Each is composed of ember's tensor ops in the order torch's ATen code runs them, so the
result dtypes, shapes, corner cases and gradients come out as torch's. Where torch's CPU
kernels round once through a fused multiply-add (lerp between two quantile neighbours;
linspace, which gives the histogram's edges, does the same), the lerp here rounds once
too, so values agree with torch's to the last bit rather than to within an ulp: a
histogram count depends on which side of an edge a value falls.

Example:
    >>> ember.quantile(ember.tensor([1., 2., 4.]), 0.5)
    tensor(2.)
"""

from __future__ import annotations

import builtins
import numbers
import warnings
from collections import namedtuple

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Function
from ._util import check_out, fma, is_scalar, pretty_dtype, result_type, wrap_dim
from .complex import complex as _complex
from .complex import imag, real
from .creation import full_like, linspace, ones_like, tensor, zeros, zeros_like
from .elementwise import where
from .sort import searchsorted

# torch.return_types.histogram and histogramdd
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])
histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")
# torch keeps quantile's ranks exact in its float arithmetic (2**24: float32's significand)
_MAX_QUANTILE_SIZE = 2 ** 24


def _need_tensor(x, fn: str, arg: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


class _Lerp(Function):
    """torch's CPU lerp: start + w * (end - start) below w = 0.5, end - (1 - w) * (end -
    start) from there, each one fused multiply-add; the gradients of torch.lerp."""

    @staticmethod
    def forward(ctx, start: Tensor, end: Tensor, weight: Tensor) -> Tensor:
        ctx.save_for_backward(start, end, weight)
        small = weight.abs() < 0.5
        return fma(where(small, weight, weight - 1), end - start, where(small, start, end))

    @staticmethod
    def backward(ctx, grad: Tensor):
        start, end, weight = ctx.saved_tensors
        return (grad * (1 - weight) if ctx.needs_input_grad[0] else None,
                grad * weight if ctx.needs_input_grad[1] else None,
                grad * (end - start) if ctx.needs_input_grad[2] else None)


# ---- covariance ---------------------------------------------------------------------------------

def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance matrix of the variables in input's rows (observations in its columns), as
    ``torch.cov``: fweights are integer repeat counts of the observations, aweights their
    float importance, and correction the degrees of freedom subtracted (1: Bessel's).

    Example:
        >>> ember.cov(ember.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _need_tensor(input, "cov", "input")
    if isinstance(correction, bool) or not isinstance(correction, numbers.Integral):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if input.dtype is D.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        _need_tensor(fweights, "cov", "fweights")
        kind = fweights.dtype
        _check_weights(fweights, n, "fweights", "integral",
                       not (kind.is_floating_point or kind.is_complex or kind is D.bool_))
        w = fweights
    if aweights is not None:
        _need_tensor(aweights, "cov", "aweights")
        _check_weights(aweights, n, "aweights", "floating point",
                       aweights.dtype.is_floating_point)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = tensor(n, dtype=D.int64, device=x.device)
    else:
        w_sum = w.sum()
        if not (w_sum != 0).item():
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum

    if w is None:
        norm = tensor(n - correction, dtype=D.int64, device=x.device)
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        # torch's special case: one observation, its weighted mean is itself
        norm = tensor(0, dtype=D.int64, device=x.device)
    else:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    if (norm <= 0).item():
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = zeros_like(norm)

    if n == 1 and (fweights is None) != (aweights is None):
        # torch's special case: one observation with one kind of weight deviates from its
        # mean by exactly 0. torch zeroes its input in place; this zero leaves the caller's
        # tensor alone but keeps it in the graph (with a zero gradient), as torch's does
        x = x.masked_fill(ones_like(x, dtype=D.bool_), 0)
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            x = x.to(D.float32)  # what the subtraction of a mean would have made it
    else:
        x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t().conj())
    return (c / norm).squeeze()


def _check_weights(w: Tensor, n: int, name: str, kind: str, kind_ok: bool) -> None:
    if w.dim() > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.dim()} dimensions")
    if not kind_ok:
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                           f"{pretty_dtype(w.dtype)} dtype")
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n}")
    if n and not (w.min() >= 0).item():  # NaN fails this as well, as in torch
        raise RuntimeError(f"cov(): {name} cannot be negative")


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in input's rows, as
    ``torch.corrcoef``: cov scaled by the standard deviations, clipped to [-1, 1].

    Example:
        >>> ember.corrcoef(ember.tensor([[0., 1., 2.], [4., 2., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _need_tensor(input, "corrcoef", "input")
    if input.dim() > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c  # one variable: 1, or NaN where its variance is 0, inf or NaN
    d = c.diagonal()
    std = (real(d) if d.dtype.is_complex else d).sqrt()
    c = c / std.reshape(-1, 1)
    c = c / std.reshape(1, -1)
    # rounding can leave a coefficient just outside [-1, 1]
    if c.dtype.is_complex:
        return _complex(real(c).clip(-1, 1), imag(c).clip(-1, 1))
    return c.clip(-1, 1)


# ---- quantiles ----------------------------------------------------------------------------------

def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear", out: Tensor | None = None) -> Tensor:
    """The q-th quantiles of input (flattened, or along dim), as ``torch.quantile``.

    q is a float or a 1-D tensor of floats in [0, 1]; a tensor q puts its quantiles first
    in the result. Between two neighbours of the sorted data, interpolation picks 'linear',
    'lower', 'higher', 'midpoint' or 'nearest' (ties to even). A NaN in a row makes its
    quantiles NaN.

    Example:
        >>> ember.quantile(ember.tensor([0., 1., 2., 3.]), ember.tensor([0.25, 0.5]))
        tensor([0.7500, 1.5000])
    """
    return _quantile(input, q, dim, keepdim, interpolation, out, ignore_nan=False)


def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear", out: Tensor | None = None) -> Tensor:
    """quantile ignoring NaNs: each row's quantiles of its other values (NaN if all are NaN),
    as ``torch.nanquantile``.

    Example:
        >>> ember.nanquantile(ember.tensor([1., float("nan"), 3.]), 0.5)
        tensor(2.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, out, ignore_nan=True)


def _quantile(input, q, dim, keepdim, interpolation, out, ignore_nan: bool) -> Tensor:
    # the checks in torch's order, which decides the error when several apply
    name = "nanquantile" if ignore_nan else "quantile"
    _need_tensor(input, name, "input")
    if not isinstance(q, Tensor):
        if not is_scalar(q) or isinstance(q, builtins.complex):
            raise TypeError(f"{name}(): argument 'q' must be Tensor or float, not "
                            f"{type(q).__name__}")
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    if not isinstance(keepdim, bool):
        raise TypeError(f"{name}(): argument 'keepdim' must be bool, not "
                        f"{type(keepdim).__name__}")
    if not isinstance(interpolation, str):
        raise TypeError(f"{name}(): argument 'interpolation' must be str, not "
                        f"{type(interpolation).__name__}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not isinstance(q, Tensor):
        # torch rounds a Python q to input's dtype before it meets the data
        q = tensor(float(q), dtype=input.dtype, device=input.device)
    if q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    if q.device != input.device:
        raise RuntimeError("quantile() q tensor must be on the same device as the input tensor")
    d = wrap_dim(dim if dim is not None else 0, input.dim())
    if not ((q >= 0) & (q <= 1)).all().item():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")

    # rows to take quantiles of, sorted along the last dim, in the result's layout
    if dim is not None and input.dim():
        reduced = list(input.shape)
        if keepdim:
            reduced[d] = 1
        else:
            del reduced[d]
    else:
        reduced = [1] * input.dim() if keepdim else []
    if dim is None:
        rows = input.reshape(-1)
    elif d == input.dim() - 1:
        rows = input
    else:
        rows = input.unsqueeze(-1).transpose(d, -1)
    size = rows.shape[-1] if rows.dim() else 1
    if size > _MAX_QUANTILE_SIZE:
        raise RuntimeError("quantile() input tensor is too large")
    rows = rows.sort()[0].reshape(*reduced, size)

    # q in [0, 1] to ranks in [0, size): of the non-NaN values for nanquantile (rank 0, a
    # NaN, when there are none); the last, a NaN, for quantile of a row holding one
    if ignore_nan:
        ranks = q * (rows.isnan().logical_not().sum(-1, keepdim=True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        last = size - 1
        ranks = q * last
        has_nan = rows.isnan().any(-1, keepdim=True)
        ranks = ranks.expand(*has_nan.shape[:-1], ranks.numel() if ranks.dim() else 1)
        ranks = ranks.masked_fill(has_nan, last)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()

    below = ranks.long()
    result = rows.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        above = rows.gather(-1, ranks.ceil().long())
        result = _Lerp.apply(result, above, weights)

    if q.dim() == 0:
        result = result.squeeze(-1)
    else:
        result = result.unsqueeze(0).transpose(0, -1).squeeze(-1)
    return check_out(out, result, name) if out is not None else result


# ---- membership ---------------------------------------------------------------------------------

def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False,
         out: Tensor | None = None) -> Tensor:
    """Whether each of elements is among test_elements (either may be a Python number), as
    ``torch.isin``: a bool tensor of elements' shape; invert=True asks for "not among".
    Both are compared in their promoted dtype.

    Example:
        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([3, 1]))
        tensor([ True, False,  True])
    """
    e_tensor, t_tensor = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (e_tensor or t_tensor) or not (e_tensor or is_scalar(elements)) or not (
            t_tensor or is_scalar(test_elements)):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    for x in (elements, test_elements):
        kind = x.dtype if isinstance(x, Tensor) else (
            D.bool_ if isinstance(x, bool) else D.complex128 if isinstance(
                x, builtins.complex) else None)
        if kind is D.bool_ or (kind is not None and kind.is_complex):
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{pretty_dtype(kind)}")
    if not t_tensor:
        # one test value: an elementwise comparison, as torch does it
        r = elements != test_elements if invert else elements == test_elements
        return check_out(out, r, "isin") if out is not None else r
    common = result_type(elements, test_elements)
    if not e_tensor:
        elements = tensor(elements, dtype=common, device=test_elements.device)
    values = elements.detach().to(common)
    # assume_unique changes nothing here: the search finds a value among duplicates too,
    # where torch's result for duplicates is undefined
    pool = test_elements.detach().reshape(-1).to(common)
    if common.is_floating_point:
        # a NaN equals nothing, and the binary search needs a sequence ordered by <
        pool = pool[~pool.isnan()]
    if pool.numel() == 0:
        found = zeros(values.shape, dtype=D.bool_, device=values.device)
    elif pool.numel() == 1:
        found = values == pool.reshape(())
    else:
        # sorting the test values and binary-searching each element costs
        # O((n + m) log m), where comparing every pair would cost n * m
        pool = pool.sort()[0]
        at = searchsorted(pool, values).clamp_(max=pool.numel() - 1)
        found = pool.take(at) == values
    r = ~found if invert else found
    return check_out(out, r, "isin") if out is not None else r


# ---- histogram ----------------------------------------------------------------------------------

class _Histogram(Function):
    """Counts (or sums of weights) of input's values per bin of edges. torch defines no
    derivative for histogram: its results carry a node whose backward refuses."""

    @staticmethod
    def forward(ctx, input: Tensor, edges: Tensor, weight: Tensor | None, density: bool):
        values = input.reshape(-1)
        bins = edges.numel() - 1
        # every bin holds its left edge, the last its right one too; NaNs fall in none
        keep = (values >= edges[0]) & (values <= edges[-1])
        kept = values[keep]
        at = (searchsorted(edges, kept, right=True) - 1).clamp_(0, bins - 1)
        # half and bfloat16 count in float32, not in their own few bits
        acc = input.dtype if input.dtype in (D.float32, D.float64) else D.float32
        add = (weight.reshape(-1)[keep].to(acc) if weight is not None
               else ones_like(kept, dtype=acc))
        hist = zeros(bins, dtype=acc, device=input.device).scatter_add_(0, at, add)
        hist = hist.to(input.dtype)
        if density:
            hist = hist / hist.sum().item() / edges.diff()
        return hist, edges.clone()

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("derivative for aten::histogram is not implemented")


def histogram(input: Tensor, bins=100, *, range=None, weight: Tensor | None = None,
              density: bool = False, out=None):
    """Histogram of input's values, as ``torch.histogram``: a named tuple (hist, bin_edges).

    bins is a number of equal bins spanning range (by default input's smallest to largest
    value) or a 1-D tensor of increasing edges. Each bin holds its left edge, the last one
    its right edge too; values outside the edges (and NaNs) are not counted. weight gives
    each value's weight, and density=True divides by the total and the bins' widths.

    Example:
        >>> ember.histogram(ember.tensor([1., 2., 1.]), bins=4, range=(0., 3.)).hist
        tensor([0., 2., 1., 0.])
    """
    _need_tensor(input, "histogram", "input")
    if weight is not None:
        _need_tensor(weight, "histogram", "weight")
    if not isinstance(density, bool):
        raise TypeError(f"histogram(): argument 'density' must be bool, not "
                        f"{type(density).__name__}")
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): range= goes with a number of bins, not with a "
                            "tensor of bin edges")
        edges = bins
        _check_histogram(input, edges, weight)
        if edges.numel() < 2:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got "
                               f"{edges.numel() - 1} for dimension 0")
    else:
        if isinstance(bins, bool) or not is_scalar(bins) or int(bins) != bins or isinstance(
                bins, float):
            raise TypeError(f"histogram(): argument 'bins' must be int or Tensor, not "
                            f"{type(bins).__name__}")
        bins = int(bins)
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               f"dimension 0")
        lo, hi = _outer_edges(input, range)
        if not input.dtype.is_floating_point:
            raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                      f"'{pretty_dtype(input.dtype)}'")
        edges = linspace(lo, hi, bins + 1, dtype=input.dtype, device=input.device)
        _check_histogram(input, edges, weight)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                  f"'{pretty_dtype(input.dtype)}'")
    if out is None:
        return histogram_result(*_Histogram.apply(input, edges, weight, density))
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("histogram(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    # no gradient to lose: torch lets out= take results of inputs that require grad
    hist, edges = _Histogram.apply(input.detach(), edges.detach(),
                                   None if weight is None else weight.detach(), density)
    return histogram_result(check_out(out[0], hist, "histogram"),
                            check_out(out[1], edges, "histogram"))


class _HistogramDD(Function):
    """Counts (or sums of weights) of input's points (rows of its last dim) per cell of the
    grid of edges; like histogram, no derivative."""

    @staticmethod
    def forward(ctx, input: Tensor, weight: Tensor | None, density: bool, *edges: Tensor):
        points = input.reshape(-1, len(edges))
        sizes = [e.numel() - 1 for e in edges]
        keep = ones_like(points[:, 0], dtype=D.bool_)
        cell = zeros(points.shape[0], dtype=D.int64, device=input.device)
        for d, (e, n) in enumerate(zip(edges, sizes)):
            values = points[:, d].contiguous()
            # as in histogram: a bin holds its left edge, the last its right one too
            keep &= (values >= e[0]) & (values <= e[-1])
            at = (searchsorted(e, values, right=True) - 1).clamp_(0, n - 1)
            cell = cell * n + at
        acc = input.dtype if input.dtype in (D.float32, D.float64) else D.float32
        add = (weight.reshape(-1)[keep].to(acc) if weight is not None
               else ones_like(cell[keep], dtype=acc))
        total = 1
        for n in sizes:
            total *= n
        hist = zeros(total, dtype=acc, device=input.device).scatter_add_(0, cell[keep], add)
        hist = hist.reshape(sizes).to(input.dtype)
        if density:
            hist = hist / hist.sum().item()
            for d, e in enumerate(edges):
                hist = hist / e.diff().reshape([-1 if k == d else 1
                                                for k in builtins.range(len(edges))])
        return (hist, *(e.clone() for e in edges))

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("derivative for aten::_histogramdd_from_bin_cts is not implemented")


def histogramdd(input: Tensor, bins, *, range=None, weight: Tensor | None = None,
                density: bool = False):
    """Multi-dimensional histogram, as ``torch.histogramdd``: input's last dim holds the N
    coordinates of each point; returns a named tuple (hist, bin_edges) with hist shaped
    by the bins of each dimension and bin_edges a tuple of N edge tensors.

    bins is one number of bins for every dimension, a sequence of N numbers (equal bins
    spanning range's (min, max) pair of that dimension, by default the points' extremes)
    or a sequence of N 1-D tensors of increasing edges. As in histogram, a bin holds its
    left edge and the last bin its right edge too; weight (input's shape without its last
    dim) weighs each point, and density=True divides by the total and the cells' volumes.

    Example:
        >>> pts = ember.tensor([[0., 0.], [1., 1.], [1., 0.]])
        >>> ember.histogramdd(pts, bins=2).hist
        tensor([[1., 0.],
                [1., 1.]])
    """
    _need_tensor(input, "histogramdd", "input")
    if input.dim() < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    if not isinstance(density, bool):
        raise TypeError(f"histogramdd(): argument 'density' must be bool, not "
                        f"{type(density).__name__}")
    dims = input.shape[-1]
    counts = _histogramdd_bins(bins, dims)
    if counts is None:
        edges = list(bins)
        for d, e in enumerate(edges):
            _check_histogram(input, e, None, d)
            if e.numel() < 2:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got "
                                   f"{e.numel() - 1} for dimension {d}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"histogramdd" not implemented for '
                                  f"'{pretty_dtype(input.dtype)}'")
    if counts is not None:
        points = input.detach().reshape(-1, dims)
        edges = []
        for d, (n, pair) in enumerate(zip(counts, _range_pairs(range, dims))):
            lo, hi = _edge_span(points[:, d], pair, d)
            edges.append(linspace(lo, hi, n + 1, dtype=input.dtype, device=input.device))
    if weight is not None:
        _need_tensor(weight, "histogramdd", "weight")
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor "
                               f"and weight tensor should have the same dtype, but got "
                               f"input({pretty_dtype(input.dtype)}), and "
                               f"weight({pretty_dtype(weight.dtype)})")
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have "
                               f"the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape {list(input.shape)} and "
                               f"weight with shape {list(weight.shape)}")
    hist, *edges = _HistogramDD.apply(input, weight, density, *edges)
    return histogramdd_result(hist, tuple(edges))


def _histogramdd_bins(bins, dims: int) -> list[int] | None:
    """The number of bins of each dimension, or None when bins are edge tensors."""
    if isinstance(bins, (tuple, list)) and bins and all(isinstance(b, Tensor) for b in bins):
        if len(bins) != dims:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                               "dimension of the input.")
        return None
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        counts = [int(bins)] * dims
    elif isinstance(bins, (tuple, list)) and all(
            isinstance(b, numbers.Integral) and not isinstance(b, bool) for b in bins):
        counts = [int(b) for b in bins]
    elif isinstance(bins, (tuple, list)) and any(isinstance(b, Tensor) for b in bins):
        at = next(i for i, b in enumerate(bins) if not isinstance(b, Tensor))
        raise TypeError(f"expected Tensor as element {at} in argument 1, but got "
                        f"{type(bins[at]).__name__}")
    else:
        raise TypeError(f"histogramdd(): argument 'bins' must be int, tuple of ints or tuple "
                        f"of Tensors, not {type(bins).__name__}")
    if len(counts) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    for d, n in enumerate(counts):
        if n <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for "
                               f"dimension {d}")
    return counts


def _outer_edges(input: Tensor, range) -> tuple[float, float]:
    """The first and last bin edges for a number of bins: range, else input's extremes
    ([0, 1] when empty), widened by 0.5 each way when they meet."""
    return _edge_span(input, _range_pairs(range, 1)[0], 0)


def _range_pairs(range, dims: int) -> list:
    """range as one (min, max) pair per dimension (None for each when range is None)."""
    if range is None:
        return [None] * dims
    if not isinstance(range, (tuple, list)) or not all(
            is_scalar(r) and not isinstance(r, (bool, builtins.complex)) for r in range):
        raise TypeError(f"histogram(): argument 'range' must be tuple of floats, not "
                        f"{type(range).__name__}")
    if len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should "
                           f"have {2 * dims} elements, but got {len(range)}")
    return [(float(range[2 * d]), float(range[2 * d + 1])) for d in builtins.range(dims)]


def _edge_span(values: Tensor, pair: tuple | None, dim: int) -> tuple[float, float]:
    """The outer edges of dimension dim: pair, else values' extremes ([0, 1] when there
    are none), widened by 0.5 each way when they meet."""
    if pair is not None:
        lo, hi = pair
    elif values.numel():
        if values.dtype not in (D.float32, D.float64):
            raise NotImplementedError(f'"histogramdd" not implemented for '
                                      f"'{pretty_dtype(values.dtype)}'")
        lo, hi = (t.item() for t in values.detach().aminmax())
    else:
        lo, hi = 0.0, 1.0
    if not (abs(lo) < float("inf") and abs(hi) < float("inf")):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{lo:g}, {hi:g}] is not "
                           f"finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} "
                           f"max {hi:g} for dimension {dim}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _check_histogram(input: Tensor, edges: Tensor, weight: Tensor | None, dim: int = 0) -> None:
    if edges.dtype is not input.dtype:
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input with dtype {pretty_dtype(input.dtype)} "
                           f"and bins for dimension {dim} with dtype {pretty_dtype(edges.dtype)}")
    if edges.dim() != 1:
        raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{edges.dim()} dimensions in the bins tensor for dimension {dim}")
    if edges.numel() == 0:
        raise RuntimeError(f"torch.histogramdd: bins tensor should have at least 1 element, but "
                           f"got 0 elements in the bins tensor for dimension {dim}")
    if weight is not None:
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor "
                               f"and weight tensor should have the same dtype, but got "
                               f"input({pretty_dtype(input.dtype)}), and "
                               f"weight({pretty_dtype(weight.dtype)})")
        if weight.numel() != input.numel():
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have "
                               f"the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape [{input.numel()}, 1] and "
                               f"weight with shape [{weight.numel()}]")
