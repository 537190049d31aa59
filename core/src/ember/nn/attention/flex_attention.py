"""flex_attention: scaled dot product attention whose scores a user function rewrites and
a mask_mod masks (torch.nn.attention.flex_attention's API).

torch compiles the two functions into one fused kernel; ember has no compiler and runs
the computation as torch's unfused eager fallback does: the whole (L, S) score matrix is
built with ordinary tensor ops, so it works on every device and ordinary autograd gives
the gradients of query, key, value and of any tensor the functions capture.

``score_mod`` and ``mask_mod`` are called once, on broadcasting index tensors (see
``ember.nn.attention._block_mask``), instead of being vmapped over scalars.

Example:
    >>> from ember.nn.attention.flex_attention import create_block_mask, flex_attention
    >>> q = k = v = ember.randn(1, 2, 256, 16)
    >>> causal = create_block_mask(lambda b, h, q_idx, kv_idx: q_idx >= kv_idx,
    ...                            None, None, 256, 256, "cpu")
    >>> flex_attention(q, k, v, block_mask=causal).shape
    ember.Size([1, 2, 256, 16])
"""

from __future__ import annotations

import math
import warnings
from typing import Literal, NamedTuple, TypedDict

import ember

from ... import _dtype as D
from ..._tensor import Tensor
from ..functional import _repeat_kv_heads, _safe_softmax
from ._block_mask import (
    BlockMask,
    _index_grid,
    _mask_mod_signature,  # noqa: F401  (public type alias, as in torch)
    _score_mod_signature,
    _sliced_mask_mod_error,
    and_masks,
    create_block_mask,
    create_mask,
    noop_mask,
    or_masks,
)

__all__ = ["BlockMask", "flex_attention", "AuxOutput", "AuxRequest", "FlexKernelOptions",
           "create_block_mask", "create_mask", "or_masks", "and_masks", "noop_mask"]

_Backend = Literal["AUTO", "TRITON", "FLASH", "TRITON_DECODE"]
_BACKENDS = ("AUTO", "TRITON", "FLASH", "TRITON_DECODE")


class FlexKernelOptions(TypedDict, total=False):
    """Tuning knobs of torch's fused kernels (each may carry a ``fwd_`` or ``bwd_``
    prefix). Ember has no fused kernel: it checks ``BACKEND`` and ignores the rest.

    Example:
        >>> options: FlexKernelOptions = {"BLOCK_M": 64, "BACKEND": "AUTO"}
    """

    num_warps: int
    num_stages: int
    BLOCK_M: int
    BLOCK_N: int
    BLOCK_M1: int
    BLOCK_N1: int
    BLOCK_M2: int
    BLOCK_N2: int
    PRESCALE_QK: bool
    ROWS_GUARANTEED_SAFE: bool
    BLOCKS_ARE_CONTIGUOUS: bool
    WRITE_DQ: bool
    FORCE_USE_FLEX_ATTENTION: bool
    USE_TMA: bool
    kpack: int
    matrix_instr_nonkdim: int
    waves_per_eu: int
    BACKEND: _Backend


class AuxRequest(NamedTuple):
    """Which extra outputs ``flex_attention(..., return_aux=...)`` returns.

    Example:
        >>> AuxRequest(lse=True)
        AuxRequest(lse=True, max_scores=False)
    """

    lse: bool = False
    max_scores: bool = False


class AuxOutput(NamedTuple):
    """The extra outputs asked for by an AuxRequest (None where not asked): per query, the
    natural-log logsumexp and the maximum of its modified, masked scores.

    Example:
        >>> AuxOutput().lse is None
        True
    """

    lse: Tensor | None = None
    max_scores: Tensor | None = None


def _check_inputs(query: Tensor, key: Tensor, value: Tensor, enable_gqa: bool,
                  block_mask: BlockMask | None) -> None:
    if query.device != key.device or query.device != value.device:
        raise ValueError(f"Expected query, key, and value to have the same device type, but "
                         f"got query.device: {query.device}, key.device: {key.device}, and "
                         f"value.device: {value.device} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise ValueError(f"Expected query, key, and value to all be at least 2 dimensional, "
                         f"but got query.dim: {query.dim()}, key.dim: {key.dim()} and "
                         f"value.dim: {value.dim()} instead.")
    if query.size(-1) != key.size(-1):
        raise ValueError(f"Expect query and key/value to have the same embedding dimension "
                         f"but got E={query.size(-1)} and E={key.size(-1)}.")
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise NotImplementedError("NYI: query, key, and value must be 4D tensors")
    Hq, Hkv = query.size(1), key.size(1)
    if not enable_gqa and Hq != Hkv:
        raise ValueError(f"Expect query and key/value to have the same number of heads but "
                         f"got Hq={Hq} and Hkv={Hkv}. Try setting enable_gqa=True for GQA.")
    if enable_gqa and Hq % Hkv != 0:
        raise ValueError(f"Expect number of query heads to be a multiple of kv heads for "
                         f"GQA but got Hq={Hq} and Hkv={Hkv}.")
    Bq, Bkv = query.size(0), key.size(0)
    if Bq != Bkv:
        if block_mask is None:
            raise ValueError(f"Expect query and key/value to have the same batch size, or "
                             f"non-none block_mask, but got block_mask=None, Bq={Bq}, and "
                             f"Bkv={Bkv}.")
        if block_mask.kv_num_blocks.size(0) != Bq:
            raise ValueError(f"Expect query and key/value to have the same batch size, or "
                             f"block_mask and query to have the same batch size, but got "
                             f"Bq={Bq}, Bkv={Bkv}, "
                             f"B_block_mask={block_mask.kv_num_blocks.size(0)}.")
        if Bkv != 1:
            raise RuntimeError(f"Bq and Bkv must broadcast. Got Bq={Bq} and Bkv={Bkv}")


def _check_block_mask(block_mask: BlockMask, query: Tensor, key: Tensor) -> None:
    if block_mask.mask_mod is _sliced_mask_mod_error:
        raise RuntimeError("Cannot use mask_mod from a sliced BlockMask")
    q_len, kv_len = query.size(-2), key.size(-2)
    mask_q_len, mask_kv_len = block_mask.shape[-2:]
    if q_len > mask_q_len or kv_len > mask_kv_len:
        raise ValueError(f"block_mask was created for block_mask.shape={block_mask.shape} but "
                         f"got q_len={q_len} and kv_len={kv_len}. As the block mask was "
                         "created for a smaller length than you're using it for, you likely "
                         "need to create a new block mask.")
    if (q_len, kv_len) != (mask_q_len, mask_kv_len):
        raise ValueError(f"block_mask was created for block_mask.shape={block_mask.shape} but "
                         f"got q_len={q_len} and kv_len={kv_len}. As the block mask was "
                         "created for a larger length than you're using it for, either "
                         "create a new block mask with the correct length, or crop it to the "
                         "upper left corner with block_mask._adjust(q_len, kv_len) (which "
                         "does not suit every mask_mod).")
    if query.device != block_mask.kv_num_blocks.device:
        raise RuntimeError(f"Expect q/k/v and block_mask to be on the same device but got "
                           f"{query.device} and {block_mask.kv_num_blocks.device}.")


def _check_kernel_options(kernel_options: FlexKernelOptions | None) -> None:
    options = kernel_options or {}
    if "BACKEND" not in options:
        return
    if options.get("FORCE_USE_FLEX_ATTENTION", False):
        raise RuntimeError("BACKEND cannot be combined with legacy FORCE_USE_FLEX_ATTENTION; "
                           "specify only the desired BACKEND.")
    if options["BACKEND"] not in _BACKENDS:
        raise ValueError(f"Invalid BACKEND value '{options['BACKEND']}'. "
                         f"Must be one of {_BACKENDS}")


def _modified_scores(query: Tensor, key: Tensor, score_mod: _score_mod_signature | None,
                     block_mask: BlockMask | None, scale: float) -> Tensor:
    """The (B, Hq, L, S) scores after scaling, score_mod and the mask (-inf where masked),
    in float64 for float64 queries and float32 otherwise, as torch's eager path."""
    precision = D.float64 if query.dtype == D.float64 else D.float32
    # a key batch of 1 broadcasts over the query batch in the matmul
    scores = query.to(precision).matmul(key.to(precision).transpose(-2, -1)) * scale
    shape = scores.shape
    grid = _index_grid(*shape, device=scores.device)
    if score_mod is not None:
        scores = score_mod(scores, *grid)
    if block_mask is not None:
        allowed = block_mask.mask_mod(*grid)
        scores = ember.where(allowed, scores,
                             ember.tensor(float("-inf"), dtype=scores.dtype,
                                          device=scores.device))
    # a score_mod that ignores some indices may hand back fewer dims
    return scores.expand(shape)


def _logsumexp_of_rows(scores: Tensor) -> Tensor:
    """logsumexp over the last dim, -inf (with zero gradients, not NaN) for a row of only
    -inf."""
    blocked = (scores == float("-inf")).all(-1)
    finite = scores.masked_fill(blocked.unsqueeze(-1), 0.0)
    return ember.logsumexp(finite, -1).masked_fill(blocked, float("-inf"))


def flex_attention(query: Tensor, key: Tensor, value: Tensor,
                   score_mod: _score_mod_signature | None = None,
                   block_mask: BlockMask | None = None, scale: float | None = None,
                   enable_gqa: bool = False, return_lse: bool = False,
                   kernel_options: FlexKernelOptions | None = None, *,
                   return_aux: AuxRequest | None = None
                   ) -> Tensor | tuple[Tensor, Tensor] | tuple[Tensor, AuxOutput]:
    """softmax(score_mod(q k^T * scale), masked by block_mask) v for query (B, Hq, L, E),
    key (B, Hkv, S, E) and value (B, Hkv, S, Ev), giving (B, Hq, L, Ev).

    ``score_mod(score, b, h, q_idx, kv_idx)`` rewrites the scaled scores; it is called
    once with the (B, Hq, L, S) scores and int64 index tensors shaped (B,1,1,1),
    (1,Hq,1,1), (1,1,L,1) and (1,1,1,S), so elementwise code (``bias[h, q_idx, kv_idx]``,
    ``ember.where(q_idx >= kv_idx, score, -inf)``, ``ember.tanh``) works as under torch's
    vmap. ``block_mask``'s ``mask_mod`` is evaluated the same way over the whole score
    matrix; its block layout is not used to skip work. A query that every key is masked
    from gives zeros and a logsumexp of -inf. Key and value heads are shared by groups of
    query heads with ``enable_gqa``, and keys with batch 1 are shared by every batch when
    a block mask gives the batch size. ``scale`` defaults to 1/sqrt(E).

    ``return_aux=AuxRequest(lse=True, max_scores=True)`` also returns an AuxOutput of the
    per-query natural-log logsumexp and maximum of the final scores (B, Hq, L), in float32
    (float64 for float64 queries); ``return_lse=True`` is its deprecated form. Unlike
    torch's eager path, gradients and ``max_scores`` are available on the CPU too.
    ``kernel_options`` tune torch's fused kernels; ember only checks their ``BACKEND``.

    Example:
        >>> q, k, v = ember.randn(2, 4, 8, 16), ember.randn(2, 2, 8, 16), ember.randn(2, 2, 8, 16)
        >>> def relative_position(score, b, h, q_idx, kv_idx):
        ...     return score + (q_idx - kv_idx)
        >>> out, aux = flex_attention(q, k, v, relative_position, enable_gqa=True,
        ...                           return_aux=AuxRequest(lse=True))
        >>> out.shape, aux.lse.shape
        (ember.Size([2, 4, 8, 16]), ember.Size([2, 4, 8]))
    """
    _check_inputs(query, key, value, enable_gqa, block_mask)
    if block_mask is not None:
        _check_block_mask(block_mask, query, key)
    if scale is None:
        scale = 1.0 / math.sqrt(query.size(-1))
    if return_lse and return_aux is not None:
        raise ValueError("Cannot specify both return_lse and return_aux. return_lse is "
                         "deprecated, please use return_aux=AuxRequest(lse=True) instead.")
    if return_lse:
        warnings.warn("return_lse is deprecated and will be removed in v2.10. Please use "
                      "return_aux=AuxRequest(lse=True) instead.", FutureWarning, stacklevel=2)
    _check_kernel_options(kernel_options)

    key, value = _repeat_kv_heads(key, value, query.size(1))
    scores = _modified_scores(query, key, score_mod, block_mask, scale)
    out = _safe_softmax(scores).to(query.dtype).matmul(value.to(query.dtype))

    want_lse = return_lse or (return_aux is not None and return_aux.lse)
    lse = _logsumexp_of_rows(scores) if want_lse else None
    if return_aux is not None:
        max_scores = scores.amax(-1) if return_aux.max_scores else None
        return out, AuxOutput(lse, max_scores)
    return (out, lse) if return_lse else out
