"""The shared rules of the masked operations: a mask's canonical form, each reduction's
identity element, and the canonical list of reduced dims."""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor
from ..ops.creation import tensor
from ..ops.elementwise import where
from ..ops.views import broadcast_to


def canonical_mask(input: Tensor, mask: Tensor) -> Tensor:
    """mask as a bool tensor of input's shape (it broadcasts, but never has more dims)."""
    if tuple(mask.shape) != tuple(input.shape):
        if mask.dim() > input.dim():
            raise IndexError(f"masked operations expect a mask broadcastable to the input, but "
                             f"the mask has {mask.dim()} dims and the input {input.dim()}")
        mask = broadcast_to(mask, input.shape)
    return mask.to(dtype=D.bool_)


def identity(op: str, input: Tensor, ord: float = 2.0) -> float:
    """The value x with op(x, v) == v for every v of input's dtype: what masked-out elements
    become before the unmasked reduction runs."""
    dtype = input.dtype
    integral = dtype.is_signed or dtype == D.uint8
    if op in ("sum", "cumsum"):
        return 0
    if op in ("prod", "cumprod"):
        return 1
    if op in ("amax", "argmax", "logaddexp", "logsumexp"):
        if dtype.is_floating_point:
            return -math.inf
        if integral and not dtype.is_complex:
            return D.iinfo(dtype).min
    elif op in ("amin", "argmin"):
        if dtype.is_floating_point:
            return math.inf
        if integral and not dtype.is_complex:
            return D.iinfo(dtype).max
    elif op == "norm":
        if ord == -math.inf:
            if not dtype.is_floating_point:
                raise AssertionError(f"the -inf norm needs a floating point input, got {dtype}")
            return math.inf
        return 0
    elif op == "median":
        # nanmedian skips NaN, so NaN stands for a masked-out element
        return math.nan
    raise NotImplementedError(f"masked {op} has no identity element for {dtype} input")


def fill_masked_out(op: str, input: Tensor, mask: Tensor | None, ord: float = 2.0) -> Tensor:
    """input with its masked-out elements replaced by op's identity (input itself when no
    mask is given); where's backward sends them no gradient."""
    if mask is None:
        return input
    fill = tensor(identity(op, input, ord), dtype=input.dtype, device=input.device)
    return where(canonical_mask(input, mask), input, fill)


def canonical_dims(dim, ndim: int) -> tuple[int, ...]:
    """dim (None, an int or a sequence; () means every dim, as in torch) as sorted, wrapped
    dims; a 0-d input counts as having one dim to index."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    bound = max(ndim, 1)
    dims: list[int] = []
    for d in (dim,) if isinstance(dim, int) else dim:
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if not -bound <= d < bound:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-bound}, {bound - 1}], but got {d})")
        dims.append(d % bound)
    return tuple(sorted(dims))
