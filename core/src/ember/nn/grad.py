"""The gradients of a convolution with respect to its input or its weight, given the
gradient of its output, as ``torch.nn.grad``.

Each runs ember's convolution autograd Functions directly (``ConvTranspose`` for the input,
``ConvWeightGrad`` for the weight; 1-d as 2-d with height 1, 3-d over depth taps), so the
results are differentiable again and run on any device ember's convolutions run on.

Example:
    >>> x, w = ember.randn(1, 2, 5, 5), ember.randn(3, 2, 3, 3)
    >>> g = ember.ones(1, 3, 3, 3)
    >>> ember.nn.grad.conv2d_weight(x, w.shape, g).shape
    ember.Size([3, 2, 3, 3])
"""

from __future__ import annotations

from collections.abc import Sequence

from .._tensor import Tensor
from ..ops import conv as _conv
from ..ops import volumetric as _vol
from .modules.utils import _ntuple

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _check_rank(shape: Sequence[int], weight_shape: Sequence[int], dims: int,
                what: str) -> None:
    if len(shape) != dims + 2:
        raise RuntimeError(f"Expected {dims + 2}-dimensional {what} for {dims + 2}-dimensional "
                           f"weight {list(weight_shape)}, but got {len(shape)}-dimensional "
                           f"{what} of size {list(shape)} instead")


def _check_shapes(grad_output: Tensor, input_shape: Sequence[int],
                  weight_shape: Sequence[int], stride, padding, dilation, groups: int) -> None:
    """The input's channels must fill the weight's groups, and grad_output must have the
    shape that convolving such an input gives."""
    if input_shape[1] != weight_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight_shape)}, "
                           f"expected input{list(input_shape)} to have "
                           f"{weight_shape[1] * groups} channels, but got {input_shape[1]} "
                           "channels instead")
    expected = [weight_shape[0]] + [
        (size + 2 * p - d * (k - 1) - 1) // s + 1
        for size, k, s, p, d in zip(input_shape[2:], weight_shape[2:], stride, padding,
                                    dilation)]
    got = list(grad_output.shape)
    if got[1:] != expected:
        raise RuntimeError(f"grad_output of size {got} does not match the convolution of an "
                           f"input of size {list(input_shape)} with a weight of size "
                           f"{list(weight_shape)}, which gives [{got[0]}, "
                           f"{', '.join(map(str, expected))}]")


def _input_grad(input_size, weight: Tensor, grad_output: Tensor, stride, padding, dilation,
                groups: int, dims: int) -> Tensor:
    input_size = [int(s) for s in input_size]
    _check_rank(input_size, weight.shape, dims, "input")
    _check_rank(grad_output.shape, weight.shape, dims, "grad_output")
    stride, padding, dilation = (_ntuple(dims)(a) for a in (stride, padding, dilation))
    _check_shapes(grad_output, input_size, weight.shape, stride, padding, dilation, groups)
    spatial = input_size[2:]
    if dims == 1:
        return _conv.ConvTranspose.apply(grad_output.unsqueeze(2), weight.unsqueeze(2),
                                         (1,) + stride, (0,) + padding, (1,) + dilation,
                                         groups, (1, spatial[0])).squeeze(2)
    if dims == 3:
        return _vol.conv_transpose3d(grad_output, weight, stride, padding, dilation, groups,
                                     tuple(spatial))
    return _conv.ConvTranspose.apply(grad_output, weight, stride, padding, dilation, groups,
                                     tuple(spatial))


def _weight_grad(input: Tensor, weight_size, grad_output: Tensor, stride, padding, dilation,
                 groups: int, dims: int) -> Tensor:
    weight_size = [int(s) for s in weight_size]
    _check_rank(input.shape, weight_size, dims, "input")
    _check_rank(grad_output.shape, weight_size, dims, "grad_output")
    stride, padding, dilation = (_ntuple(dims)(a) for a in (stride, padding, dilation))
    _check_shapes(grad_output, input.shape, weight_size, stride, padding, dilation, groups)
    kernel = tuple(weight_size[2:])
    if dims == 1:
        return _conv.ConvWeightGrad.apply(input.unsqueeze(2), grad_output.unsqueeze(2),
                                          (1,) + kernel, (1,) + stride, (0,) + padding,
                                          (1,) + dilation, groups).squeeze(2)
    if dims == 3:
        return _vol.conv3d_weight_grad(input, grad_output, kernel, stride, padding, dilation,
                                       groups)
    return _conv.ConvWeightGrad.apply(input, grad_output, kernel, stride, padding, dilation,
                                      groups)


def conv1d_input(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0,
                 dilation=1, groups: int = 1) -> Tensor:
    """The gradient of conv1d with respect to an input of shape input_size (N, C, L).

    Example:
        >>> g = ember.nn.grad.conv1d_input((1, 2, 6), ember.randn(4, 2, 3), ember.ones(1, 4, 4))
        >>> g.shape
        ember.Size([1, 2, 6])
    """
    return _input_grad(input_size, weight, grad_output, stride, padding, dilation, groups, 1)


def conv1d_weight(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0,
                  dilation=1, groups: int = 1) -> Tensor:
    """The gradient of conv1d with respect to a weight of shape weight_size (OC, C/groups, K).

    Example:
        >>> x = ember.randn(1, 2, 6)
        >>> ember.nn.grad.conv1d_weight(x, (4, 2, 3), ember.ones(1, 4, 4)).shape
        ember.Size([4, 2, 3])
    """
    return _weight_grad(input, weight_size, grad_output, stride, padding, dilation, groups, 1)


def conv2d_input(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0,
                 dilation=1, groups: int = 1) -> Tensor:
    """The gradient of conv2d with respect to an input of shape input_size (N, C, H, W).

    Example:
        >>> w, g = ember.randn(4, 2, 3, 3), ember.ones(1, 4, 3, 3)
        >>> ember.nn.grad.conv2d_input((1, 2, 5, 5), w, g).shape
        ember.Size([1, 2, 5, 5])
    """
    return _input_grad(input_size, weight, grad_output, stride, padding, dilation, groups, 2)


def conv2d_weight(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0,
                  dilation=1, groups: int = 1) -> Tensor:
    """The gradient of conv2d with respect to a weight of shape weight_size
    (OC, C/groups, KH, KW).

    Example:
        >>> x, g = ember.randn(1, 2, 5, 5), ember.ones(1, 4, 3, 3)
        >>> ember.nn.grad.conv2d_weight(x, (4, 2, 3, 3), g).shape
        ember.Size([4, 2, 3, 3])
    """
    return _weight_grad(input, weight_size, grad_output, stride, padding, dilation, groups, 2)


def conv3d_input(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0,
                 dilation=1, groups: int = 1) -> Tensor:
    """The gradient of conv3d with respect to an input of shape input_size
    (N, C, D, H, W).

    Example:
        >>> w, g = ember.randn(4, 2, 2, 2, 2), ember.ones(1, 4, 3, 3, 3)
        >>> ember.nn.grad.conv3d_input((1, 2, 4, 4, 4), w, g).shape
        ember.Size([1, 2, 4, 4, 4])
    """
    return _input_grad(input_size, weight, grad_output, stride, padding, dilation, groups, 3)


def conv3d_weight(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0,
                  dilation=1, groups: int = 1) -> Tensor:
    """The gradient of conv3d with respect to a weight of shape weight_size
    (OC, C/groups, KD, KH, KW).

    Example:
        >>> x, g = ember.randn(1, 2, 4, 4, 4), ember.ones(1, 4, 3, 3, 3)
        >>> ember.nn.grad.conv3d_weight(x, (4, 2, 2, 2, 2), g).shape
        ember.Size([4, 2, 2, 2, 2])
    """
    return _weight_grad(input, weight_size, grad_output, stride, padding, dilation, groups, 3)
