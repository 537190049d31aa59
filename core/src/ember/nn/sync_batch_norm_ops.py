"""The pieces SyncBatchNorm is built from, as torch's top-level ops: per-process channel
statistics (``batch_norm_stats``), merging every process's statistics into the global
ones (``batch_norm_gather_stats_with_counts``), normalizing with them
(``batch_norm_elemt``), and the backward pass split the same way
(``batch_norm_backward_reduce``, ``batch_norm_backward_elemt``). Channels are dim 1 and
statistics cover every other dim. Half-precision inputs keep float32 statistics.

torch runs all but batch_norm_update_stats on CUDA only; ember runs them on every device.

Example:
    >>> x = ember.randn(8, 3, 5)
    >>> mean, invstd = ember.batch_norm_stats(x, 1e-5)
    >>> y = ember.batch_norm_elemt(x, None, None, mean, invstd, 1e-5)
"""

from __future__ import annotations

import ember

from .. import _dtype as D
from .._tensor import Tensor


def _stat_input(input: Tensor) -> Tensor:
    """input in the dtype its statistics are kept in (float32 for half precision)."""
    return input.float() if input.dtype in (D.float16, D.bfloat16) else input


def _other_dims(input: Tensor) -> tuple:
    return (0,) + tuple(range(2, input.dim()))


def _per_channel(stat: Tensor, input: Tensor) -> Tensor:
    """A (C,) statistic shaped to broadcast along dim 1 of input."""
    return stat.reshape((1, -1) + (1,) * (input.dim() - 2))


def batch_norm_stats(input: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """(mean, 1/sqrt(biased var + eps)) of each channel.

    Example:
        >>> ember.batch_norm_stats(ember.tensor([[1.0], [3.0]]), 0.0)
        (tensor([2.]), tensor([1.]))
    """
    x = _stat_input(input)
    dims = _other_dims(x)
    return x.mean(dims), (x.var(dims, unbiased=False) + eps).rsqrt()


def batch_norm_elemt(input: Tensor, weight: Tensor | None, bias: Tensor | None, mean: Tensor,
                     invstd: Tensor, eps: float, *, out: Tensor | None = None) -> Tensor:
    """(input - mean) * invstd, scaled by weight and shifted by bias, per channel."""
    y = (_stat_input(input) - _per_channel(mean, input)) * _per_channel(invstd, input)
    if weight is not None:
        y = y * _per_channel(weight, input)
    if bias is not None:
        y = y + _per_channel(bias, input)
    y = y.to(input.dtype)
    return y if out is None else out.copy_(y)


def batch_norm_gather_stats_with_counts(input: Tensor, mean: Tensor, invstd: Tensor,
                                        running_mean: Tensor | None,
                                        running_var: Tensor | None, momentum: float,
                                        eps: float, counts: Tensor) -> tuple[Tensor, Tensor]:
    """The global (mean, invstd) of W groups' (W, C) means and invstds, each group of
    counts[w] samples; running_mean/running_var, when given, move toward the global mean
    and unbiased variance by momentum, in place. input only shows the data's dtype.

    Example:
        >>> m, s = ember.tensor([[0.0], [2.0]]), ember.tensor([[1.0], [1.0]])
        >>> ember.batch_norm_gather_stats_with_counts(
        ...     ember.empty(0), m, s, None, None, 0.1, 0.0, ember.tensor([1.0, 1.0]))
        (tensor([1.]), tensor([0.7071]))
    """
    weights = counts.to(mean.dtype).reshape(-1, 1)
    total = weights.sum()
    global_mean = (mean * weights).sum(0) / total
    group_var = invstd.reciprocal().square() - eps
    spread = (group_var + (mean - global_mean).square()) * weights
    global_var = spread.sum(0) / total
    with ember.no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(global_mean.to(running_mean.dtype),
                                                 alpha=momentum)
        if running_var is not None:
            unbiased = global_var * total / (total - 1)
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype),
                                                alpha=momentum)
    return global_mean, (global_var + eps).rsqrt()


def batch_norm_gather_stats(input: Tensor, mean: Tensor, invstd: Tensor,
                            running_mean: Tensor | None, running_var: Tensor | None,
                            momentum: float, eps: float, count: int) -> tuple[Tensor, Tensor]:
    """batch_norm_gather_stats_with_counts with count samples in every group."""
    counts = ember.full((mean.shape[0],), count, dtype=mean.dtype, device=mean.device)
    return batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var,
                                               momentum, eps, counts)


def batch_norm_backward_reduce(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor,
                               weight: Tensor | None, input_g: bool, weight_g: bool,
                               bias_g: bool):
    """(sum_dy, sum_dy_xmu, grad_weight, grad_bias) per channel: the sums of grad_out and
    of grad_out * (input - mean) that batch_norm_backward_elemt needs (when input_g),
    and the weight's and bias's gradients (when weight_g, bias_g); None where not asked."""
    x, dy = _stat_input(input), _stat_input(grad_out)
    dims = _other_dims(x)
    sum_dy = dy.sum(dims)
    sum_dy_xmu = (dy * (x - _per_channel(mean, x))).sum(dims)
    param_dtype = weight.dtype if weight is not None else mean.dtype
    grad_weight = (sum_dy_xmu * invstd).to(param_dtype) if weight_g else None
    grad_bias = sum_dy.to(param_dtype) if bias_g else None
    if not input_g:
        sum_dy = sum_dy_xmu = None
    return sum_dy, sum_dy_xmu, grad_weight, grad_bias


def batch_norm_backward_elemt(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor,
                              weight: Tensor | None, sum_dy: Tensor, sum_dy_xmu: Tensor,
                              count: Tensor) -> Tensor:
    """The input's gradient from every process's summed sum_dy and sum_dy_xmu, count
    holding each process's number of samples per channel."""
    x, dy = _stat_input(input), _stat_input(grad_out)
    total = count.to(mean.dtype).sum()
    centred = x - _per_channel(mean, x)
    slope = invstd.square() * sum_dy_xmu / total
    scale = invstd if weight is None else invstd * weight.to(invstd.dtype)
    grad = (dy - _per_channel(sum_dy / total, x) - centred * _per_channel(slope, x))
    return (grad * _per_channel(scale, x)).to(input.dtype)


def batch_norm_update_stats(input: Tensor, running_mean: Tensor | None,
                            running_var: Tensor | None, momentum: float) -> tuple[Tensor, Tensor]:
    """(mean, biased var) of each channel; running_mean/running_var, when given, move
    toward the mean and the unbiased variance by momentum, in place.

    Example:
        >>> ember.batch_norm_update_stats(ember.tensor([[1.0], [3.0]]), None, None, 0.1)
        (tensor([2.]), tensor([1.]))
    """
    x = _stat_input(input)
    dims = _other_dims(x)
    mean, var = x.mean(dims), x.var(dims, unbiased=False)
    count = x.numel() // max(x.shape[1], 1)
    with ember.no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype), alpha=momentum)
        if running_var is not None:
            unbiased = var * count / max(count - 1, 1)
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype),
                                                alpha=momentum)
    return mean, var


__all__ = ["batch_norm_stats", "batch_norm_elemt", "batch_norm_gather_stats",
           "batch_norm_gather_stats_with_counts", "batch_norm_backward_reduce",
           "batch_norm_backward_elemt", "batch_norm_update_stats"]
