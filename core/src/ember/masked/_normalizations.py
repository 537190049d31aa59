"""Masked normalizations along one dim: the masked-out elements are filled so that they drop
out (-inf for softmax and log_softmax, inf for softmin, 0 for cumsum and normalize, 1 for
cumprod). A slice with no valid element gives NaN from the softmaxes and zeros from
normalize."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from ..nn.functional import softmin as _softmin
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import softmax as _softmax
from ..ops.elementwise import maximum
from ..ops.reduce import cumprod as _cumprod
from ..ops.reduce import cumsum as _cumsum
from ._mask import canonical_dims, fill_masked_out
from ._reductions import norm


def _one_dim(dim: int, input: Tensor) -> int:
    return canonical_dims(dim, input.dim())[0]


def cumsum(input: Tensor, dim: int, *, dtype: D.dtype | None = None,
           mask: Tensor | None = None) -> Tensor:
    """Running sum along dim, masked-out elements adding 0.

    Example:
        >>> x = ember.tensor([1., 2., 3.])
        >>> ember.masked.cumsum(x, 0, mask=ember.tensor([True, False, True]))
        tensor([1., 1., 4.])
    """
    filled = fill_masked_out("cumsum", input, mask)
    return _cumsum(filled, _one_dim(dim, input), dtype=dtype or input.dtype)


def cumprod(input: Tensor, dim: int, *, dtype: D.dtype | None = None,
            mask: Tensor | None = None) -> Tensor:
    """Running product along dim, masked-out elements multiplying by 1.

    Example:
        >>> x = ember.tensor([2., 5., 3.])
        >>> ember.masked.cumprod(x, 0, mask=ember.tensor([True, False, True]))
        tensor([2., 2., 6.])
    """
    filled = fill_masked_out("cumprod", input, mask)
    return _cumprod(filled, _one_dim(dim, input), dtype=dtype or input.dtype)


def softmax(input: Tensor, dim: int, *, dtype: D.dtype | None = None,
            mask: Tensor | None = None) -> Tensor:
    """Softmax along dim over the valid elements; masked-out ones get probability 0.

    Example:
        >>> x = ember.tensor([1., 5., 1.])
        >>> ember.masked.softmax(x, 0, mask=ember.tensor([True, False, True]))
        tensor([0.5000, 0.0000, 0.5000])
    """
    filled = fill_masked_out("amax", input, mask)
    return _softmax(filled, _one_dim(dim, input), dtype=dtype or input.dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: D.dtype | None = None,
                mask: Tensor | None = None) -> Tensor:
    """Log of the masked softmax along dim; masked-out elements give -inf.

    Example:
        >>> x = ember.tensor([1., 5., 1.])
        >>> ember.masked.log_softmax(x, 0, mask=ember.tensor([True, False, True]))
        tensor([-0.6931,    -inf, -0.6931])
    """
    filled = fill_masked_out("amax", input, mask)
    return _log_softmax(filled, _one_dim(dim, input), dtype=dtype or input.dtype)


def softmin(input: Tensor, dim: int, *, dtype: D.dtype | None = None,
            mask: Tensor | None = None) -> Tensor:
    """Softmax of -input along dim over the valid elements; masked-out ones get 0.

    Example:
        >>> x = ember.tensor([1., -5., 1.])
        >>> ember.masked.softmin(x, 0, mask=ember.tensor([True, False, True]))
        tensor([0.5000, 0.0000, 0.5000])
    """
    filled = fill_masked_out("amin", input, mask)
    return _softmin(filled, _one_dim(dim, input), dtype=dtype or input.dtype)


def normalize(input: Tensor, ord: float, dim: int, *, eps: float = 1e-12,
              dtype: D.dtype | None = None, mask: Tensor | None = None) -> Tensor:
    """input over the masked ord-norm of its valid elements along dim (at least eps);
    masked-out elements become 0.

    Example:
        >>> x = ember.tensor([3., 9., 4.])
        >>> ember.masked.normalize(x, 2.0, 0, mask=ember.tensor([True, False, True]))
        tensor([0.6000, 0.0000, 0.8000])
    """
    filled = fill_masked_out("sum", input, mask)
    size = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return filled / maximum(size, size.new_full((), eps))
