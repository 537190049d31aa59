"""Elementwise functions of one sparse COO tensor that keep zero at zero (sin, sqrt, relu,
pow with a nonzero scalar exponent, rounding, nan_to_num, the isnan family...): the dense
function maps the stored values of the coalesced tensor and the indices stay, as torch's.
Functions that would fill the unstored zeros (exp, cos, sigmoid...) raise."""

from __future__ import annotations

import numbers
from typing import Callable

from .._sparse_coo_tensor import SparseCooTensor, unsupported
from ._structure import coalesce, from_parts, values_of

ZERO_PRESERVING = frozenset((
    "abs absolute sin tan tanh asin arcsin atan arctan sinh asinh arcsinh atanh arctanh sqrt "
    "relu sign sgn floor ceil round trunc fix frac expm1 log1p square deg2rad rad2deg "
    "nan_to_num erf erfinv signbit isnan isinf isposinf isneginf pow div").split())


def map_values(fn: Callable, name: str, s: SparseCooTensor, *args, **kwargs) -> SparseCooTensor:
    """fn applied to s's values after summing its duplicates (fn(a + b) is not
    fn(a) + fn(b)); differentiable in s through its values."""
    if name not in ZERO_PRESERVING:
        raise unsupported(f"{name} (it does not keep zero at zero)")
    c = coalesce(s)
    values = fn(values_of(c), *args, **kwargs)
    return from_parts(c._sparse_indices, values, c._shape, True)


def sparse_unary(fn: Callable, name: str, s: SparseCooTensor, out=None) -> SparseCooTensor:
    """An ember elementwise function (fn, torch's name) of a sparse tensor."""
    if out is not None:
        raise unsupported(f"{name} with out=")
    if name in ("neg", "negative"):
        return s.neg()  # linear: the duplicates can stay
    return map_values(fn, name, s)


def sparse_pow(fn: Callable, base, exponent) -> SparseCooTensor:
    """base ** exponent for a sparse base and a number exponent other than zero."""
    if not isinstance(base, SparseCooTensor) or not isinstance(exponent, numbers.Number):
        raise unsupported("pow with a tensor exponent or a sparse exponent")
    if exponent == 0:
        raise RuntimeError("pow: cannot raise to zeroth power on sparse tensor; it would make "
                           "the result tensor dense")
    return map_values(fn, "pow", base, exponent)
