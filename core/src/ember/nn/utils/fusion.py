"""Folding an eval-mode batch norm into the convolution or linear layer before it.

Example:
    >>> conv, bn = nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(4).eval()
    >>> fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    >>> x = ember.randn(1, 3, 8, 8)
    >>> ember.allclose(fused(x), bn(conv(x)), atol=1e-6)
    True
"""

from __future__ import annotations

import copy
from typing import TypeVar

from ..._tensor import Tensor
from ...ops.creation import ones_like, zeros_like
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]

ConvT = TypeVar("ConvT", bound=Module)
LinearT = TypeVar("LinearT", bound=Module)


def fuse_conv_bn_eval(conv: ConvT, bn: Module, transpose: bool = False) -> ConvT:
    """A copy of ``conv`` (in eval mode) that computes ``bn(conv(x))`` for an eval-mode
    batch norm ``bn``, as ``torch.nn.utils.fuse_conv_bn_eval``.

    Args:
        conv: a convolution (``ConvNd``, or ``ConvTransposeNd`` with ``transpose=True``).
        bn: a batch norm with running statistics.
        transpose: whether ``conv`` is transposed (its output channels on dim 1).

    Example:
        >>> conv, bn = nn.Conv1d(2, 3, 1).eval(), nn.BatchNorm1d(3).eval()
        >>> nn.utils.fuse_conv_bn_eval(conv, bn).bias.shape
        ember.Size([3])
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of a convolution followed by a batch norm in eval mode:
    each output channel scaled by ``bn_w / sqrt(bn_rv + bn_eps)``, and the bias shifted,
    kept in the convolution's dtypes (``torch.nn.utils.fuse_conv_bn_weights``).

    Example:
        >>> w, b = nn.utils.fuse_conv_bn_weights(ember.ones(2, 1, 3), None, ember.zeros(2),
        ...                                      ember.ones(2), 0.0, None, None)
        >>> b
        Parameter containing:
        tensor([0., 0.])
    """
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    if conv_b is None:
        conv_b = zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ones_like(bn_rm)
    if bn_b is None:
        bn_b = zeros_like(bn_rm)
    inv_std = (bn_rv + bn_eps).rsqrt()
    # the per-channel scale lines up with the output channels: dim 0, or dim 1 transposed
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.dim() - 2)
    fused_w = (conv_w * (bn_w * inv_std).reshape(shape)).to(dtype=weight_dtype)
    fused_b = ((conv_b - bn_rm) * inv_std * bn_w + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear: LinearT, bn: Module) -> LinearT:
    """A copy of ``linear`` that computes ``bn(linear(x))`` for an eval-mode batch norm,
    as ``torch.nn.utils.fuse_linear_bn_eval``.

    Example:
        >>> lin, bn = nn.Linear(4, 3).eval(), nn.BatchNorm1d(3).eval()
        >>> x = ember.randn(2, 4)
        >>> ember.allclose(nn.utils.fuse_linear_bn_eval(lin, bn)(x), bn(lin(x)), atol=1e-6)
        True
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
            f"linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor,
                           bn_b: Tensor) -> tuple[Parameter, Parameter]:
    """The weight and bias of a linear layer followed by an eval-mode batch norm
    (``torch.nn.utils.fuse_linear_bn_weights``).

    Example:
        >>> w, b = nn.utils.fuse_linear_bn_weights(ember.ones(2, 3), None, ember.zeros(2),
        ...                                        ember.full((2,), 3.0), 1.0,
        ...                                        ember.ones(2), ember.zeros(2))
        >>> w.detach()
        tensor([[0.5000, 0.5000, 0.5000],
                [0.5000, 0.5000, 0.5000]])
    """
    weight_dtype = linear_w.dtype
    bias_dtype = linear_b.dtype if linear_b is not None else weight_dtype
    if linear_b is None:
        linear_b = zeros_like(bn_rm)
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=weight_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)
