"""``F.linear_cross_entropy``: cross entropy of linearly projected inputs, optionally
computed a chunk of rows at a time so the whole logits matrix never exists at once."""

from __future__ import annotations

import math
import warnings

import ember

from .. import _dtype as D
from .._tensor import Tensor
from ..utils.checkpoint import checkpoint
from .functional import cross_entropy, linear
from .modules.linear_cross_entropy_options import LinearCrossEntropyOptions

__all__ = ["linear_cross_entropy"]


def _check_shapes(input: Tensor, linear_weight: Tensor, linear_bias: Tensor | None) -> None:
    if not 1 <= input.dim() <= 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    logical_bias = tuple(linear_weight.shape[:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != logical_bias:
        raise RuntimeError(f"expected linear_bias shape {logical_bias}, got "
                           f"{tuple(linear_bias.shape)}")
    if linear_weight.dim() > 2 and input.dim() == 1:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, "
                           f"(N, {input.shape[-1]}), got unbatched input with shape "
                           f"{tuple(input.shape)}")


def _whole(input, linear_weight, target, linear_bias, weight, reduction, ignore_index,
           label_smoothing) -> Tensor:
    """All logits at once: linear, then cross entropy over the class dimension (dim 1 of
    (N, C, *out_features), as the weight's (C, *out_features, in) shape lays them out)."""
    num_classes, *out_features, in_features = linear_weight.shape
    flat_out = math.prod(out_features) * num_classes
    logits = linear(input, linear_weight.reshape(flat_out, in_features),
                    None if linear_bias is None else linear_bias.reshape(flat_out))
    logits = logits.reshape(*input.shape[:-1], num_classes, *out_features)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)


def _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index,
             options: LinearCrossEntropyOptions) -> Tensor:
    """Rows a chunk at a time; when gradients are needed each chunk is checkpointed, so
    backward recomputes one chunk's logits at a time instead of keeping them all."""
    unbatched = input.dim() == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    rows, in_features = input.shape
    num_classes = linear_weight.shape[0]
    chunk = options._chunk_rows(rows, in_features, num_classes, input.dtype, input.device.type)
    compute_dtype = options._compute_dtype(input.dtype)
    per_chunk = "none" if reduction == "none" else "sum"

    def chunk_loss(x, w, b, t):
        b = None if b is None else b.to(compute_dtype)
        return cross_entropy(linear(x.to(compute_dtype), w.to(compute_dtype), b), t,
                             weight=weight, reduction=per_chunk, ignore_index=ignore_index)

    needs_grad = ember.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in (input, linear_weight, linear_bias))
    losses = []
    for start in range(0, rows, chunk):
        args = (input[start:start + chunk], linear_weight, linear_bias,
                target[start:start + chunk])
        losses.append(checkpoint(chunk_loss, *args, use_reentrant=False) if needs_grad
                      else chunk_loss(*args))
    if reduction == "none":
        loss = ember.cat(losses) if losses else input.new_zeros(0, dtype=compute_dtype)
        return (loss.squeeze(0) if unbatched else loss).to(input.dtype)
    loss = ember.stack(losses).sum() if losses else input.new_zeros((), dtype=compute_dtype)
    if reduction == "mean":
        counted = target != ignore_index
        if weight is None:
            loss = loss / counted.sum()
        else:
            class_weight = weight.to(compute_dtype)[target.masked_fill(~counted, 0)]
            loss = loss / (class_weight * counted).sum()
    return loss.to(input.dtype)


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``, as
    ``torch.nn.functional.linear_cross_entropy``.

    ``linear_weight`` is (C, in_features) or (C, d_1, ..., d_K, in_features) for a
    K-dimensional loss (batched input only). ``target`` holds class indices, or class
    probabilities when it has the logits' shape (then ``ignore_index`` must stay None;
    otherwise None means -100). With ``options`` (a :class:`LinearCrossEntropyOptions`)
    class-index int64 targets, a 2D weight and no label smoothing are computed a chunk
    of rows at a time; other calls warn and compute the whole logits.

    Example:
        >>> x, w = ember.randn(8, 16, requires_grad=True), ember.randn(100, 16)
        >>> F.linear_cross_entropy(x, w, ember.randint(0, 100, (8,))).backward()
    """
    _check_shapes(input, linear_weight, linear_bias)
    out_features = tuple(linear_weight.shape[1:-1])
    logits_shape = (*input.shape[:-1], linear_weight.shape[0], *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        chunkable = (not out_features and reduction in ("mean", "sum", "none")
                     and label_smoothing == 0.0 and target.dtype == D.int64)
        if chunkable:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                            ignore_index, options)
        bias_shape = None if linear_bias is None else tuple(linear_bias.shape)
        warnings.warn("linear_cross_entropy: ``options`` ignored; chunked path needs "
                      "reduction in {'mean','sum','none'}, label_smoothing == 0, target.dtype"
                      " == int64, out_features == (). Got "
                      f"reduction={reduction!r}, label_smoothing={label_smoothing}, "
                      f"target.dtype={target.dtype}, out_features={out_features}, "
                      f"linear_bias.shape={bias_shape}.", stacklevel=2)
    return _whole(input, linear_weight, target, linear_bias, weight, reduction, ignore_index,
                  label_smoothing)
