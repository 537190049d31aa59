"""Causal attention biases that ``scaled_dot_product_attention`` accepts as ``attn_mask``
(torch.nn.attention.bias's API).

A bias names its pattern and sizes instead of holding a (seq_len_q, seq_len_kv) mask;
attention builds the mask only where it needs one. The two variants differ only when the
query and key lengths differ: UPPER_LEFT is ``is_causal=True``'s mask (query i sees keys
0..i), LOWER_RIGHT aligns the last query with the last key (query i sees keys
0..i + seq_len_kv - seq_len_q), as when new queries attend to a cache of earlier keys.

Example:
    >>> from ember.nn.attention.bias import causal_lower_right
    >>> q, kv = ember.randn(2, 4, 3, 8), ember.randn(2, 4, 5, 8)
    >>> F.scaled_dot_product_attention(q, kv, kv, attn_mask=causal_lower_right(3, 5)).shape
    ember.Size([2, 4, 3, 8])
"""

from __future__ import annotations

import enum
import warnings

import ember

from ..._tensor import Tensor

__all__ = ["causal_upper_left", "causal_lower_right", "CausalVariant", "CausalBias"]


class CausalVariant(enum.IntEnum):
    """Where a causal mask's triangle is anchored: UPPER_LEFT (``is_causal=True``'s) or
    LOWER_RIGHT (the last query against the last key).

    Example:
        >>> CausalVariant.LOWER_RIGHT.value
        2
    """

    UPPER_LEFT = 1
    LOWER_RIGHT = 2


class CausalBias:
    """A causal mask of ``variant`` for ``seq_len_q`` queries against ``seq_len_kv`` keys,
    given to ``scaled_dot_product_attention`` as its ``attn_mask``. Make one with
    ``causal_upper_left`` or ``causal_lower_right``.

    Unlike torch's, it is not a Tensor subclass: ember's attention recognises it directly,
    so no other op takes it.

    Example:
        >>> bias = CausalBias(CausalVariant.UPPER_LEFT, 3, 4)
        >>> bias.seq_len_kv
        4
    """

    def __init__(self, variant: CausalVariant, seq_len_q: int, seq_len_kv: int) -> None:
        if not isinstance(variant, CausalVariant):
            raise AssertionError(f"variant must be a CausalVariant, got {type(variant).__name__}")
        self.variant = variant
        self.seq_len_q = seq_len_q
        self.seq_len_kv = seq_len_kv
        if variant is CausalVariant.LOWER_RIGHT and seq_len_q > seq_len_kv:
            # the first seq_len_q - seq_len_kv queries see no key at all
            warnings.warn("Lower right causal bias will produce NaNs in the output when "
                          "seq_len_q > seq_len_kv!", UserWarning, stacklevel=2)

    def _materialize(self, device: ember.device | str | None = None) -> Tensor:
        """The bool mask (True: may attend) of shape (seq_len_q, seq_len_kv)."""
        allowed = ember.ones(self.seq_len_q, self.seq_len_kv, dtype=ember.bool,
                             device="cpu" if device is None else device)
        shift = self.seq_len_kv - self.seq_len_q if self.variant is CausalVariant.LOWER_RIGHT else 0
        return ember.tril(allowed, diagonal=shift)

    def _attend(self, query: Tensor, key: Tensor, value: Tensor, dropout_p: float,
                is_causal: bool, scale: float | None, enable_gqa: bool) -> Tensor:
        """scaled_dot_product_attention with this bias as its mask."""
        if is_causal:
            raise ValueError("CausalBias should not be used with causal=True")
        sdpa = ember.nn.functional.scaled_dot_product_attention
        if self.variant is CausalVariant.UPPER_LEFT or self.seq_len_q == self.seq_len_kv:
            return sdpa(query, key, value, None, dropout_p, True, scale, enable_gqa)
        return sdpa(query, key, value, self._materialize(query.device), dropout_p, False,
                    scale, enable_gqa)

    def __repr__(self) -> str:
        return repr(self._materialize())


def causal_upper_left(*size: int) -> CausalBias:
    """The UPPER_LEFT causal bias of ``size`` (seq_len_q, seq_len_kv): ``is_causal=True``'s.

    Example:
        >>> causal_upper_left(2, 3)
        tensor([[ True, False, False],
                [ True,  True, False]])
    """
    if len(size) != 2:
        raise AssertionError("causal_upper_left only supports 2D tensors")
    return CausalBias(CausalVariant.UPPER_LEFT, *size)


def causal_lower_right(*size: int) -> CausalBias:
    """The LOWER_RIGHT causal bias of ``size`` (seq_len_q, seq_len_kv).

    Example:
        >>> causal_lower_right(2, 3)
        tensor([[ True,  True, False],
                [ True,  True,  True]])
    """
    if len(size) != 2:
        raise AssertionError("causal_lower_right only supports 2D tensors")
    return CausalBias(CausalVariant.LOWER_RIGHT, *size)
