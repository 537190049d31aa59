"""Masked reductions: each fills masked-out elements with its identity element and runs the
ordinary reduction, so gradients flow through ember's own ops on any device. A slice with no
valid element gets what that gives: the identity for sum/prod/amax/amin/logsumexp/norm, index
0 for argmax/argmin, NaN for mean/median/var/std."""

from __future__ import annotations

import builtins
import math

from .. import _dtype as D
from .._tensor import Tensor
from ..linalg import vector_norm
from ..ops.elementwise import logaddexp as _logaddexp
from ..ops.reduce import amax as _amax
from ..ops.reduce import amin as _amin
from ..ops.reduce import argmax as _argmax
from ..ops.reduce import argmin as _argmin
from ..ops.reduce import logsumexp as _logsumexp
from ..ops.reduce import nanmedian
from ..ops.reduce import sum as _sum
from ._mask import canonical_dims, canonical_mask, fill_masked_out

# integer and bool sums and products widen to int64 unless a dtype is given, as torch's do
_WIDENED = (D.bool_, D.uint8, D.int8, D.int16, D.int32)


def _accumulating_dtype(input: Tensor, dtype: D.dtype | None) -> D.dtype:
    if dtype is not None:
        return dtype
    return D.int64 if input.dtype in _WIDENED else input.dtype


def sum(input: Tensor, dim=None, *, keepdim: bool = False, dtype: D.dtype | None = None,
        mask: Tensor | None = None) -> Tensor:
    """Sum over dim of input's valid elements (mask True); masked-out ones count as 0.

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 4.]])
        >>> ember.masked.sum(x, 1, mask=ember.tensor([[True, False], [True, True]]))
        tensor([1., 7.])
    """
    dims = canonical_dims(dim, input.dim())
    filled = fill_masked_out("sum", input, mask)
    return _sum(filled, dims, keepdim, dtype=_accumulating_dtype(input, dtype))


def prod(input: Tensor, dim=None, *, keepdim: bool = False, dtype: D.dtype | None = None,
         mask: Tensor | None = None) -> Tensor:
    """Product over dim of input's valid elements; masked-out ones count as 1.

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 4.]])
        >>> ember.masked.prod(x, 1, mask=ember.tensor([[True, False], [True, True]]))
        tensor([ 1., 12.])
    """
    dims = canonical_dims(dim, input.dim())
    result = fill_masked_out("prod", input, mask).to(dtype=_accumulating_dtype(input, dtype))
    # one dim at a time, from the last, so a kept or dropped dim never shifts the next one
    for d in reversed(dims):
        result = result.prod(d, keepdim=keepdim)
    return result


def amax(input: Tensor, dim=None, *, keepdim: bool = False, dtype: D.dtype | None = None,
         mask: Tensor | None = None) -> Tensor:
    """Largest valid element over dim; a slice with none gives -inf (the dtype's minimum for
    integers).

    Example:
        >>> x = ember.tensor([[1., 5.], [3., 4.]])
        >>> ember.masked.amax(x, 1, mask=ember.tensor([[True, False], [False, False]]))
        tensor([  1., -inf])
    """
    filled = fill_masked_out("amax", input, mask)
    result = _amax(filled, canonical_dims(dim, filled.dim()), keepdim)
    return result.to(dtype=dtype or input.dtype)


def amin(input: Tensor, dim=None, *, keepdim: bool = False, dtype: D.dtype | None = None,
         mask: Tensor | None = None) -> Tensor:
    """Smallest valid element over dim; a slice with none gives inf (the dtype's maximum for
    integers).

    Example:
        >>> x = ember.tensor([[1., 5.], [3., 4.]])
        >>> ember.masked.amin(x, 1, mask=ember.tensor([[False, True], [True, True]]))
        tensor([5., 3.])
    """
    filled = fill_masked_out("amin", input, mask)
    result = _amin(filled, canonical_dims(dim, filled.dim()), keepdim)
    return result.to(dtype=dtype or input.dtype)


def argmax(input: Tensor, dim: int | None = None, *, keepdim: bool = False,
           dtype: D.dtype | None = None, mask: Tensor | None = None) -> Tensor:
    """Index of the largest valid element over dim (None: of the flattened input). As in
    torch, the indices come back in input's dtype unless dtype says otherwise.

    Example:
        >>> x = ember.tensor([[1., 5.], [3., 4.]])
        >>> ember.masked.argmax(x, 1, mask=ember.tensor([[True, False], [True, True]]))
        tensor([0., 1.])
    """
    filled = fill_masked_out("argmax", input, mask)
    return _argmax(filled, dim, keepdim).to(dtype=dtype or input.dtype)


def argmin(input: Tensor, dim: int | None = None, *, keepdim: bool = False,
           dtype: D.dtype | None = None, mask: Tensor | None = None) -> Tensor:
    """Index of the smallest valid element over dim, in input's dtype unless dtype is given.

    Example:
        >>> x = ember.tensor([[1., 5.], [3., 4.]])
        >>> ember.masked.argmin(x, 1, mask=ember.tensor([[False, True], [True, True]]))
        tensor([1., 0.])
    """
    filled = fill_masked_out("argmin", input, mask)
    return _argmin(filled, dim, keepdim).to(dtype=dtype or input.dtype)


def _valid_count(input: Tensor, dims: tuple[int, ...], keepdim: bool,
                 mask: Tensor | None) -> Tensor | int:
    """How many valid elements each reduced slice holds."""
    if mask is None:
        return math.prod(input.shape[d] for d in dims)
    return canonical_mask(input, mask).sum(dims, keepdim=keepdim)


def mean(input: Tensor, dim=None, *, keepdim: bool = False, dtype: D.dtype | None = None,
         mask: Tensor | None = None) -> Tensor:
    """Mean of the valid elements over dim; a slice with none gives NaN (0 / 0).

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 4.]])
        >>> ember.masked.mean(x, 1, mask=ember.tensor([[True, False], [False, False]]))
        tensor([ 1., nan])
    """
    out_dtype = dtype or input.dtype
    if not (out_dtype.is_floating_point or out_dtype.is_complex):
        given = "Input" if dtype is None else "Optional"
        raise ValueError(f"mean(): Could not infer output dtype. {given} dtype must be either "
                         f"a floating point or complex dtype. Got: {out_dtype}")
    dims = canonical_dims(dim, input.dim())
    total = sum(input, dims, keepdim=keepdim, dtype=out_dtype, mask=mask)
    return total / _valid_count(input, dims, keepdim, mask)


def median(input: Tensor, dim: int = -1, *, keepdim: bool = False,
           dtype: D.dtype | None = None, mask: Tensor | None = None) -> Tensor:
    """Lower median of the valid elements along dim; a slice with none gives NaN, which an
    integer input cannot hold (ValueError then). A floating input keeps its dtype.

    Example:
        >>> x = ember.tensor([[1., 9., 2.], [3., 4., 5.]])
        >>> ember.masked.median(x, 1, mask=ember.tensor([[True, False, True], [False] * 3]))
        tensor([ 1., nan])
    """
    d = canonical_dims(dim, input.dim())[0]
    floating = input.dtype.is_floating_point
    values = input if floating else input.to(dtype=D.float32)
    result = nanmedian(fill_masked_out("median", values, mask), d, keepdim).values
    if floating:
        return result
    if result.isnan().any().item():
        raise ValueError("masked median expects no fully masked out rows if dtype is not "
                         "floating point")
    return result.to(dtype=dtype or input.dtype)


def logsumexp(input: Tensor, dim=None, *, keepdim: bool = False,
              dtype: D.dtype | None = None, mask: Tensor | None = None) -> Tensor:
    """log(sum(exp(x))) over the valid elements along dim; a slice with none gives -inf.

    Example:
        >>> x = ember.tensor([[0., 9.], [0., 0.]])
        >>> ember.masked.logsumexp(x, 1, mask=ember.tensor([[True, False], [True, True]]))
        tensor([0.0000, 0.6931])
    """
    dims = canonical_dims(dim, input.dim())
    filled = fill_masked_out("logsumexp", input, mask)
    return _logsumexp(filled, dims, keepdim=keepdim).to(dtype=dtype or input.dtype)


def logaddexp(input: Tensor, other: Tensor, *, dtype: D.dtype | None = None,
              input_mask: Tensor | None = None, other_mask: Tensor | None = None) -> Tensor:
    """Elementwise log(exp(input) + exp(other)), each side's masked-out elements counting
    as -inf.

    Example:
        >>> a, b = ember.tensor([0., 0.]), ember.tensor([0., 5.])
        >>> ember.masked.logaddexp(a, b, other_mask=ember.tensor([True, False]))
        tensor([0.6931, 0.0000])
    """
    a = fill_masked_out("logaddexp", input, input_mask)
    b = fill_masked_out("logaddexp", other, other_mask)
    return _logaddexp(a, b).to(dtype=dtype or input.dtype)


def norm(input: Tensor, ord: float | None = 2.0, dim=None, *, keepdim: bool = False,
         dtype: D.dtype | None = None, mask: Tensor | None = None) -> Tensor:
    """Vector ord-norm of the valid elements over dim; masked-out ones count as 0 (as inf
    for ord=-inf).

    Example:
        >>> x = ember.tensor([[3., 7.], [3., 4.]])
        >>> ember.masked.norm(x, 2.0, 1, mask=ember.tensor([[True, False], [True, True]]))
        tensor([3., 5.])
    """
    filled = fill_masked_out("norm", input, mask, ord)
    return vector_norm(filled, ord, canonical_dims(dim, input.dim()), keepdim,
                       dtype=dtype or input.dtype)


def _variance(input: Tensor, dim, unbiased: bool | None, correction, keepdim: bool,
              dtype: D.dtype | None, mask: Tensor | None) -> Tensor:
    """Variance of the valid elements: the squared deviations from their mean, over their
    count less correction (at least 0, so a slice too small gives inf or NaN)."""
    if unbiased is not None and correction is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    if correction is None:
        correction = 1.0 if unbiased is None or unbiased else 0.0
    out_dtype = dtype or input.dtype
    if not (out_dtype.is_floating_point or out_dtype.is_complex):
        out_dtype = D.float32
    dims = canonical_dims(dim, input.dim())
    count = _valid_count(input, dims, True, mask)
    deviation = input - sum(input, dims, keepdim=True, dtype=out_dtype, mask=mask) / count
    squares = deviation * deviation.conj()
    total = sum(squares, dims, keepdim=keepdim, dtype=out_dtype, mask=mask)
    if isinstance(count, Tensor):
        count = count.reshape(total.shape)
    if correction != 0:
        real = D.float32 if out_dtype == D.complex64 else (
            D.float64 if out_dtype == D.complex128 else out_dtype)
        if isinstance(count, Tensor):
            count = (count.to(dtype=real) - correction).clamp_min(0)
        else:
            count = builtins.max(count - correction, 0)
    return (total / count).to(dtype=out_dtype)


def var(input: Tensor, dim=None, unbiased: bool | None = None, *, correction=None,
        keepdim: bool = False, dtype: D.dtype | None = None,
        mask: Tensor | None = None) -> Tensor:
    """Variance of the valid elements over dim (correction 1 unless unbiased=False or
    correction says otherwise); a slice with no valid element gives NaN.

    Example:
        >>> x = ember.tensor([[1., 3., 100.], [2., 2., 2.]])
        >>> ember.masked.var(x, 1, mask=ember.tensor([[True, True, False], [True] * 3]))
        tensor([2., 0.])
    """
    return _variance(input, dim, unbiased, correction, keepdim, dtype, mask)


def std(input: Tensor, dim=None, unbiased: bool | None = None, *, correction=None,
        keepdim: bool = False, dtype: D.dtype | None = None,
        mask: Tensor | None = None) -> Tensor:
    """Standard deviation of the valid elements over dim: the square root of masked var.

    Example:
        >>> x = ember.tensor([[1., 3., 100.], [2., 2., 2.]])
        >>> ember.masked.std(x, 1, correction=0, mask=ember.tensor([[True, True, False],
        ...                                                        [True] * 3]))
        tensor([1., 0.])
    """
    return _variance(input, dim, unbiased, correction, keepdim, dtype, mask).sqrt()
