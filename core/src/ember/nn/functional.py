"""``nn.functional``: the stateless layer operations behind the nn modules.

Hot paths run fused C kernels (conv via im2col + GEMM, pooling, softmax,
cross entropy, layer/batch norm); the rest is composed from differentiable ember
ops. Signatures, defaults and error messages follow torch.nn.functional.

Example:
    >>> x = ember.randn(2, 3, 8, 8)
    >>> w = ember.randn(4, 3, 3, 3)
    >>> F.conv2d(x, w, padding="same").shape
    ember.Size([2, 4, 8, 8])
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import ember

from .. import _dtype as D
from .._tensor import Tensor
from ..amp.autocast_mode import cast_fp32, cast_low
from ..autograd.grad_mode import no_grad
from ..ops._util import inplace as _core_inplace
from ..ops._util import pretty_dtype as _pretty_dtype
from ..ops.pad import pad
from ..ops.resample import linear_resample2d as _linear_resample2d
from ..ops.resample import resample2d as _resample2d
from .attention._kernel_choice import check_a_kernel_can_run as _check_a_kernel_can_run
from .attention.bias import CausalBias as _CausalBias
from ..ops.sampling import affine_grid, grid_sample  # noqa: F401  (public in F)
from ..ops import conv as _conv
from ..ops import pool as _pool
from ..ops import volumetric as _vol
from ..ops.activation import softmax as _softmax
from ..ops.elementwise import hardshrink, prelu  # noqa: F401  (public in F)
from ..ops.linalg import Linear as _Linear
from ..ops.loss import CrossEntropy as _CrossEntropy
from ..ops.norm import BatchNorm as _BatchNorm
from ..ops.norm import LayerNorm as _LayerNorm

# ---- helpers ---------------------------------------------------------------------


def _ntuple(v, n: int, name: str = "") -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _check_tensor(x, name: str, arg: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


# ---- linear ----------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias.

    Example:
        >>> F.linear(ember.ones(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    if input.shape[-1] != weight.shape[-1] if weight.dim() else False:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({input.numel() // max(input.shape[-1], 1)}x{input.shape[-1]} and "
                           f"{weight.shape[-1]}x{weight.shape[0]})")
    input, weight, bias = cast_low(input, weight, bias)  # autocast: low precision
    if (weight.dim() == 2 and input.dim() >= 1 and input.dtype.is_floating_point
            and (bias is None or bias.dim() == 1)):  # the common case in one node
        return _Linear.apply(input, weight, bias)
    out = input.matmul(weight.t()) if weight.dim() == 2 else input.matmul(weight)
    return out + bias if bias is not None else out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_k = x1 @ W_k @ x2 + b_k for weight (out, in1, in2)."""
    y = ember.einsum("...i,kij,...j->...k", input1, weight, input2)
    return y + bias if bias is not None else y


# ---- convolution -------------------------------------------------------------------


def _same_padding(ksize, dilation):
    """'same': total padding d*(k-1) per dim; torch puts the odd extra on the right."""
    total = [d * (k - 1) for k, d in zip(ksize, dilation)]
    left = [t // 2 for t in total]
    return left, [t - lft for t, lft in zip(total, left)]


def _convnd(input, weight, bias, stride, padding, dilation, groups, n: int, name: str):
    _check_tensor(input, name)
    input, weight, bias = cast_low(input, weight, bias)  # autocast: low precision
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.dim() == n + 1
    if unbatched:
        input = input.unsqueeze(0)
    stride = _ntuple(stride, n, "stride")
    dilation = _ntuple(dilation, n, "dilation")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    C = input.shape[1]
    if weight.dim() != n + 2:
        raise RuntimeError(f"weight should have {n + 2} dimensions, got {weight.dim()}")
    if C != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(input.shape)} to have "
                           f"{weight.shape[1] * groups} channels, but got {C} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    ksize = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            left, right = _same_padding(ksize, dilation)
            if left != right:
                pads = []
                for lft, rgt in zip(reversed(left), reversed(right)):
                    pads += [0, rgt - lft]
                input = pad(input, pads)
            padding = tuple(left)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    padding = _ntuple(padding, n, "padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    for i in range(n):
        eff = dilation[i] * (ksize[i] - 1) + 1
        if input.shape[2 + i] + 2 * padding[i] < eff:
            raise RuntimeError(
                f"Calculated padded input size per channel: "
                f"({' x '.join(str(input.shape[2 + j] + 2 * padding[j]) for j in range(n))}). "
                "Kernel size: "
                f"({' x '.join(str(dilation[j] * (ksize[j] - 1) + 1) for j in range(n))}). "
                "Kernel size can't be greater than actual input size")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"Input type ({input.type()}) and weight type ({weight.type()}) "
                           "should be the same")
    if bias is not None:
        _check_bias(input, weight, bias, weight.shape[0], "")
    if n == 1:
        y = _conv.Convolution.apply(input.unsqueeze(2), weight.unsqueeze(2), bias,
                                    (1,) + stride, (0,) + padding, (1,) + dilation,
                                    groups).squeeze(2)
    elif n == 3:
        y = _vol.conv3d(input, weight, stride, padding, dilation, groups)
        if bias is not None:
            y = y + bias.reshape(1, -1, 1, 1, 1)
    else:
        y = _conv.Convolution.apply(input, weight, bias, stride, padding, dilation, groups)
    return y.squeeze(0) if unbatched else y


def _check_bias(input, weight, bias, channels: int, transposed: str) -> None:
    """torch's checks of a convolution's bias: one value per output channel, input's dtype."""
    if bias.dim() != 1 or bias.shape[0] != channels:
        raise RuntimeError(f"Given {transposed}weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {channels} elements, but got bias "
                           f"of size {list(bias.shape)} instead")
    if bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_pretty_dtype(input.dtype).lower()}) and bias type "
                           f"({_pretty_dtype(bias.dtype).lower()}) should be the same")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-d convolution over (N, C, L) (or unbatched (C, L)) inputs."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-d convolution over (N, C, H, W) (or unbatched (C, H, W)) inputs.

    Example:
        >>> F.conv2d(ember.ones(1, 1, 4, 4), ember.ones(1, 1, 3, 3)).flatten().tolist()
        [9.0, 9.0, 9.0, 9.0]
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-d convolution over (N, C, D, H, W) (or unbatched (C, D, H, W)) inputs.

    Example:
        >>> F.conv3d(ember.ones(1, 1, 3, 3, 3), ember.ones(1, 1, 3, 3, 3)).flatten().tolist()
        [27.0]
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation,
                      n: int, name: str, output_size=None):
    _check_tensor(input, name)
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.dim() == n + 1
    if unbatched:
        input = input.unsqueeze(0)
    stride = _ntuple(stride, n, "stride")
    padding = _ntuple(padding, n, "padding")
    dilation = _ntuple(dilation, n, "dilation")
    output_padding = _ntuple(output_padding, n, "output_padding")
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but got "
                           f"{input.shape[1]} channels instead")
    for i in range(n):
        if output_padding[i] >= stride[i] and output_padding[i] >= dilation[i]:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding: {output_padding}, stride: {stride}, "
                               f"dilation: {dilation}")
    if bias is not None:
        _check_bias(input, weight, bias, weight.shape[1] * groups, "transposed=1, ")
    ksize = weight.shape[2:]
    out = [(input.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (ksize[i] - 1)
           + output_padding[i] + 1 for i in range(n)]
    if n == 1:
        y = _conv.ConvTranspose.apply(input.unsqueeze(2), weight.unsqueeze(2), (1,) + stride,
                                      (0,) + padding, (1,) + dilation, groups,
                                      (1, out[0])).squeeze(2)
    elif n == 3:
        y = _vol.conv_transpose3d(input, weight, stride, padding, dilation, groups, tuple(out))
    else:
        y = _conv.ConvTranspose.apply(input, weight, stride, padding, dilation, groups,
                                      tuple(out))
    if bias is not None:
        y = y + bias.reshape((1, -1) + (1,) * n)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-d convolution (the gradient of conv1d w.r.t. its input)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-d convolution (the gradient of conv2d w.r.t. its input)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2, "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-d convolution (the gradient of conv3d w.r.t. its input)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 3, "conv_transpose3d")


def _sliding_blocks(spatial: tuple, kernel: tuple, dilation: tuple, padding: tuple,
                    stride: tuple) -> tuple:
    """How many sliding blocks fit along each spatial dim, with torch's checks of the
    arguments of unfold and fold."""
    for name, value, least in (("kernel_size", kernel, 1), ("dilation", dilation, 1),
                               ("padding", padding, 0), ("stride", stride, 1)):
        if min(value) < least:
            rule = "greater than zero" if least else "non-negative"
            raise RuntimeError(f"{name} should be {rule}, but got {name}: {value}")
    blocks = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                   for n, k, d, p, s in zip(spatial, kernel, dilation, padding, stride))
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(spatial)}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the "
                           f"array of sliding blocks as {blocks}, but its components must be "
                           f"at least one.")
    return blocks


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of (N, C, H, W) as (N, C*KH*KW, L) columns (im2col)."""
    if input.dim() != 4:
        raise NotImplementedError(f"Input Error: Only 4D input Tensors are supported (got "
                                  f"{input.dim()}D)")
    k, d, p, s = (_ntuple(a, 2) for a in (kernel_size, dilation, padding, stride))
    _sliding_blocks(input.shape[2:], k, d, p, s)
    return _conv.Im2Col.apply(input, k, s, p, d)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sums (N, C*KH*KW, L) columns back into (N, C, H, W) (col2im)."""
    if input.dim() not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    out, k, d, p, s = (_ntuple(a, 2) for a in (output_size, kernel_size, dilation, padding,
                                               stride))
    blocks = _sliding_blocks(out, k, d, p, s)
    channels, length = input.shape[-2:]
    if channels % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension {input.dim() - 2} to be "
                           f"divisible by the product of kernel_size, but got "
                           f"input.size({input.dim() - 2})={channels} and kernel_size={k}")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size={out}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension "
                           f"{input.dim() - 1} to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size({input.dim() - 1})={length}.")
    unbatched = input.dim() == 2
    if unbatched:
        input = input.unsqueeze(0)
    y = _conv.Col2Im.apply(input, out, k, s, p, d)
    return y.squeeze(0) if unbatched else y


# ---- pooling ---------------------------------------------------------------------------


def _pool_out(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _pool_args(kernel_size, stride, padding, dilation, n):
    k = _ntuple(kernel_size, n, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _ntuple(stride, n, "stride")
    return k, s, _ntuple(padding, n, "padding"), _ntuple(dilation, n, "dilation")


def _as_planes(input, n, name):
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"{name}: Expected {n + 1}D or {n + 2}D input tensor, but got "
                           f"{list(input.shape)}")
    return input.unsqueeze(-2) if n == 1 else input


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n,
                name):
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, n)
    for i in range(n):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    x = _as_planes(input, n, name)
    if n == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    out = tuple(_pool_out(x.shape[-2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: {tuple(input.shape)}. Calculated output size: "
                           f"{out}. Output size is too small")
    y, idx = _pool.MaxPool2d.apply(x, k, s, p, d, out)
    if n == 1:
        y, idx = y.squeeze(-2), idx.squeeze(-2)
    return (y, idx) if return_indices else y


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows; return_indices gives flat per-plane argmax positions.

    Example:
        >>> F.max_pool2d(ember.arange(16.).reshape(1, 1, 4, 4), 2).flatten().tolist()
        [5.0, 7.0, 13.0, 15.0]
    """
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       2, "max_pool2d")


def _batched5d(input, name):
    if input.dim() not in (4, 5):
        raise RuntimeError(f"{name}: Expected 4D or 5D input tensor, but got {list(input.shape)}")
    return input if input.dim() == 5 else input.unsqueeze(0)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding 3-d windows of (N, C, D, H, W); indices are flat over D*H*W."""
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, 3)
    for i in range(3):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    x = _batched5d(input, "max_pool3d")
    if not x.is_floating_point():
        raise NotImplementedError(f"\"max_pool3d\" not implemented for '{x.dtype}'")
    out = tuple(_pool_out(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: {tuple(input.shape)}. Calculated output size: "
                           f"{out}. Output size is too small")
    y, idx = _vol.max_pool3d(x, k, s, p, d, out)
    if input.dim() == 4:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


max_pool1d_with_indices = max_pool1d
max_pool2d_with_indices = max_pool2d
max_pool3d_with_indices = max_pool3d

# the partial inverses of max pooling (one scatter each; see ops/unpool.py)
from ..ops.unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: E402,F401


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override, n, name):
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, n)
    for i in range(n):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation=1")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x = _as_planes(input, n, name)
    if n == 1:
        k, s, p = (1,) + k, (1,) + s, (0,) + p
    out = tuple(_pool_out(x.shape[-2 + i], k[i], s[i], p[i], 1, ceil_mode) for i in range(2))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: {tuple(input.shape)}. Calculated output size: "
                           f"{out}. Output size is too small")
    y = _pool.AvgPool2d.apply(x, k, s, p, bool(count_include_pad), divisor_override or 0, out)
    return y.squeeze(-2) if n == 1 else y


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                       1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows."""
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 2, "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding 3-d windows of (N, C, D, H, W)."""
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, 3)
    for i in range(3):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation=1")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x = _batched5d(input, "avg_pool3d")
    out = tuple(_pool_out(x.shape[2 + i], k[i], s[i], p[i], 1, ceil_mode) for i in range(3))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: {tuple(input.shape)}. Calculated output size: "
                           f"{out}. Output size is too small")
    y = _vol.avg_pool3d(x, k, s, p, out, bool(count_include_pad), divisor_override)
    return y.squeeze(0) if input.dim() == 4 else y


def _adaptive_size(output_size, in_hw, n):
    out = _ntuple(output_size, n, "output_size") if not (
        isinstance(output_size, (list, tuple)) and any(o is None for o in output_size)) else \
        tuple(i if o is None else int(o) for o, i in zip(output_size, in_hw))
    return out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    out = _ntuple(output_size, 1, "output_size")
    return _pool.AdaptiveAvgPool2d.apply(_as_planes(input, 1, "adaptive_avg_pool1d"),
                                         (1,) + out).squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (windows floor(i*H/O) .. ceil((i+1)*H/O))."""
    _as_planes(input, 2, "adaptive_avg_pool2d")
    return _pool.AdaptiveAvgPool2d.apply(input, _adaptive_size(output_size, input.shape[-2:], 2))


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    out = _ntuple(output_size, 1, "output_size")
    y, idx = _pool.AdaptiveMaxPool2d.apply(_as_planes(input, 1, "adaptive_max_pool1d"),
                                           (1,) + out)
    y, idx = y.squeeze(-2), idx.squeeze(-2)
    return (y, idx) if return_indices else y


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    _as_planes(input, 2, "adaptive_max_pool2d")
    y, idx = _pool.AdaptiveMaxPool2d.apply(input, _adaptive_size(output_size,
                                                                 input.shape[-2:], 2))
    return (y, idx) if return_indices else y


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) to a fixed (D, H, W) output size."""
    x = _batched5d(input, "adaptive_avg_pool3d")
    y = _vol.adaptive_avg_pool3d(x, _adaptive_size(output_size, x.shape[2:], 3))
    return y.squeeze(0) if input.dim() == 4 else y


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    x = _batched5d(input, "adaptive_max_pool3d")
    y, idx = _vol.adaptive_max_pool3d(x, _adaptive_size(output_size, x.shape[2:], 3))
    if input.dim() == 4:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    kw, kh = _ntuple(kernel_size, 2)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride=None,
              ceil_mode: bool = False) -> Tensor:
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


# ---- normalization ---------------------------------------------------------------------


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over dim 1; in training, running stats (if given) are updated
    in place with ``momentum`` (None: cumulative average is the caller's momentum)."""
    if training:
        size = input.numel() // input.shape[1] if input.dim() > 1 else input.numel()
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    if input.dim() < 2:
        raise ValueError(f"expected 2D or more input (got {input.dim()}D input)")
    if not training:
        return _BatchNorm.apply(input, weight, bias, running_mean, running_var, False, eps)
    return _BatchNorm.apply(input, weight, bias, running_mean, running_var, True, eps,
                            0.1 if momentum is None else momentum)[0]


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises over the trailing ``normalized_shape`` dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    n = len(shape)
    if tuple(input.shape[input.dim() - n:]) != shape or input.dim() < n:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    input, weight, bias = cast_fp32(input, weight, bias)  # autocast: float32
    return _LayerNorm.apply(input, weight, bias, n, eps)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the trailing dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    if eps is None:
        eps = D.finfo(input.dtype).eps
    y = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises each group of channels per sample (layer norm over (C/G, *))."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    N, C = input.shape[0], input.shape[1]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    y = _LayerNorm.apply(input.reshape(N, num_groups, -1), None, None, 1, eps)
    y = y.reshape(input.shape)
    shape = (1, C) + (1,) * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each (sample, channel) plane: batch norm of (1, N*C, *)."""
    N, C = input.shape[0], input.shape[1]
    x = input.reshape((1, N * C) + tuple(input.shape[2:]))
    rm = running_mean.repeat(N) if running_mean is not None else None
    rv = running_var.repeat(N) if running_var is not None else None
    y = batch_norm(x, rm, rv, None, None, use_input_stats, momentum, eps).reshape(input.shape)
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(rm.reshape(N, C).mean(0))
            running_var.copy_(rv.reshape(N, C).mean(0))
    shape = (1, C) + (1,) * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalises each channel by the sum of squares of `size` neighbouring channels."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    sq = input.pow(2).unsqueeze(1)
    pads = [0, 0] * (input.dim() - 2) + [size // 2, (size - 1) // 2]
    sq = pad(sq, pads)
    div = avg_pool2d(sq.reshape(sq.shape[0], 1, sq.shape[2], -1), (size, 1), stride=1)
    div = div.reshape(input.shape)
    return input / div.mul(alpha).add(k).pow(beta)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


# ---- activations -----------------------------------------------------------------------


def _inplace(input, fn, inplace):
    """fn(input), written into input when inplace (through the core's in-place path, so
    autograd keeps what fn saved from the old values)."""
    if inplace:
        return _core_inplace(input, fn)
    return fn(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.leaky_relu(input, negative_slope), inplace)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky ReLU whose negative slope is drawn uniformly from [lower, upper] per element in
    training, and is their mean in evaluation."""
    return _rrelu(input, lower, upper, training, inplace)


def _rrelu(input, lower, upper, training, inplace, generator=None):
    """rrelu, with the slopes drawn from generator (torch.rrelu takes one)."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slope = ember.empty(input.shape, dtype=input.dtype, device=input.device).uniform_(
        lower, upper, generator=generator)
    return _inplace(input, lambda input: ember.where(input >= 0, input, input * slope),
                    inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.elu(input, alpha), inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.selu(input), inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.celu(input, alpha), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    return ember.gelu(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.silu(input), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.mish(input), inplace)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return ember.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    return ember.softsign(input)


def logsigmoid(input: Tensor) -> Tensor:
    return ember.logsigmoid(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace(input, lambda input: ember.hardtanh(input, min_val, max_val), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.hardsigmoid(input), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.hardswish(input), inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda input: ember.threshold(input, threshold, value), inplace)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return ember.where(input > lambd, input - lambd,
                       ember.where(input < -lambd, input + lambd, input * 0))


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the two halves a, b of input along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} "
                           f"is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim (fused, numerically stable).

    Example:
        >>> F.softmax(ember.zeros(4), dim=0).tolist()
        [0.25, 0.25, 0.25, 0.25]
    """
    return _softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x - logsumexp(x) along dim (fused, numerically stable)."""
    return _softmax(input, dim, dtype, is_log=True)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return _softmax(-input, dim, dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    gumbels = -ember.empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = ember.zeros_like(logits).scatter(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# ---- dropout ---------------------------------------------------------------------------


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p and scales the rest by 1/(1-p) (training only)."""
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        return _inplace(input, lambda input: input * 0, inplace)
    mask = ember.empty(input.shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    return _inplace(input, lambda input: input * mask * (1.0 / (1 - p)), inplace)


def _feature_dropout(input, p, training, inplace, batched_dim):
    _check_p(p)
    if not training or p == 0:
        return input
    shape = tuple(input.shape[:batched_dim]) + (1,) * (input.dim() - batched_dim)
    mask = ember.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    scale = 0.0 if p == 1 else 1.0 / (1 - p)
    return _inplace(input, lambda input: input * mask * scale, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.dim()}D input. Note that dropout1d exists to provide "
                           "channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() - 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, max(input.dim() - 2, 1))


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, max(input.dim() - 3, 1))


_ALPHA_DROPOUT = 1.7580993408473766  # SELU's scale * alpha: where dropped units go


def _alpha_dropout(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        return _inplace(input, lambda input: input * 0, inplace)
    a = 1.0 / math.sqrt((_ALPHA_DROPOUT ** 2 * p + 1) * (1 - p))
    keep = ember.empty(mask_shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    b = (keep - 1) * (_ALPHA_DROPOUT * a) + _ALPHA_DROPOUT * a * p
    return _inplace(input, lambda input: input * (keep * a) + b, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance."""
    return _alpha_dropout(input, p, training, inplace, input.shape)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels."""
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    return _alpha_dropout(input, p, training, inplace, shape)


# ---- embedding -------------------------------------------------------------------------


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight looked up by integer indices; padding_idx rows get no gradient, and
    with sparse=True weight's gradient is a sparse COO tensor (one row per lookup)."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} instead "
                           "(while checking arguments for embedding)")
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.size(0):
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    if max_norm is not None:
        with no_grad():
            idx = input.reshape(-1).unique()
            rows = weight.index_select(0, idx)
            norms = rows.norm(norm_type, 1, keepdim=True)
            scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7),
                                ember.ones_like(norms))
            weight[idx] = rows * scale
    flat = input.reshape(-1).long()
    w = weight
    if sparse and weight.requires_grad:
        from ..sparse._embedding import sparse_row_lookup
        out = sparse_row_lookup(weight, flat, padding_idx, scale_grad_by_freq)
    elif padding_idx is not None and weight.requires_grad:
        # the padding row is looked up without gradient, like torch's embedding_backward
        keep = (flat != padding_idx).to(weight.dtype).unsqueeze(1)
        out = w.index_select(0, flat) * keep + w.detach().index_select(0, flat) * (1 - keep)
    else:
        out = w.index_select(0, flat)
    return out.reshape(tuple(input.shape) + (weight.shape[1],))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxes of bags of embedding rows, without materialising the lookups
    per bag in Python: (B, N) fixed-size bags, or a flat 1-D input split at offsets.

    The bag layout is integer bookkeeping done once in NumPy: every bag becomes a row of a
    (B, longest bag) index matrix whose empty slots (and padding_idx entries) point at one
    extra row (0 for sum/mean, -inf for max), so the whole op is one index_select and one
    reduction, and gradients flow through index_select like embedding's.

    Example:
        >>> w = ember.arange(6.).reshape(3, 2)
        >>> F.embedding_bag(ember.tensor([0, 2, 1]), w, ember.tensor([0, 2]), mode="sum")
        tensor([[4., 6.],
                [2., 3.]])
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {offsets.type()}")
        bags, per_bag = input.shape
        starts = np.arange(bags, dtype=np.int64) * per_bag
        ends = starts + per_bag
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets.detach().cpu().numpy().astype(np.int64)
        if include_last_offset:
            ends, starts = starts[1:], starts[:-1]
        else:
            ends = np.append(starts[1:], input.shape[0])
        if starts.size and (starts[0] != 0 or np.any(ends < starts)
                            or ends[-1] > input.shape[0]):
            raise RuntimeError("offsets must start at 0, be non-decreasing and not exceed the "
                               f"input length {input.shape[0]}")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    flat = input.reshape(-1)
    if max_norm is not None:
        embedding(flat, weight, max_norm=max_norm, norm_type=norm_type)  # renormalises rows
    idx = flat.detach().cpu().numpy().astype(np.int64)
    n, bags = idx.size, starts.size
    keep = np.ones(n, dtype=bool) if padding_idx is None else idx != padding_idx
    lengths = ends - starts
    width = int(lengths.max()) if bags and n else 0
    # (bags, width) positions into the looked-up rows; n is the filler row
    pos = starts[:, None] + np.arange(width)[None, :]
    valid = np.arange(width)[None, :] < lengths[:, None]
    valid &= keep[np.minimum(pos, max(n - 1, 0))] if n else valid
    gather = np.where(valid, pos, n)
    if sparse and weight.requires_grad:
        from ..sparse._embedding import sparse_row_lookup
        rows = sparse_row_lookup(weight, flat.long(), padding_idx)
    else:
        rows = weight.index_select(0, flat.long())
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    dev = weight.device
    filler = ember.full((1, weight.shape[1]), float("-inf") if mode == "max" else 0.0,
                        dtype=weight.dtype, device=dev)
    table = ember.cat([rows, filler], 0).index_select(
        0, ember.tensor(gather.reshape(-1), device=dev))
    table = table.reshape(bags, width, weight.shape[1])
    counts = valid.sum(1)
    if mode == "max":
        if width == 0:
            return ember.zeros((bags, weight.shape[1]), dtype=weight.dtype, device=dev)
        out = table.amax(1)
        return ember.where(ember.tensor(counts[:, None] > 0, device=dev), out,
                           ember.zeros_like(out))
    out = table.sum(1)
    if mode == "mean":
        out = out / ember.tensor(np.maximum(counts, 1)[:, None], dtype=weight.dtype,
                                 device=dev)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of num_classes."""
    if tensor.dtype != D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if not tensor.numel():
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel() and (int(tensor.min().item()) < 0):
        raise RuntimeError("Class values must be non-negative.")
    if tensor.numel() and int(tensor.max().item()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = ember.zeros(tuple(tensor.shape) + (num_classes,), dtype=D.int64, device=tensor.device)
    return out.scatter(-1, tensor.unsqueeze(-1), 1)


# ---- losses ----------------------------------------------------------------------------


def _check_same_size(input, target, name):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "mse_loss")
    loss = (input - target) ** 2
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = ember.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = ember.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of log-probabilities input (N, C, *) at class targets."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    unbatched = input.dim() == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    if input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    C = input.shape[1]
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    valid = target != ignore_index
    t = ember.where(valid, target, ember.zeros_like(target))
    if target.numel() and bool(((t < 0) | (t >= C)).any()):
        raise IndexError(f"Target {int(t[(t < 0) | (t >= C)][0])} is out of bounds.")
    picked = -input.gather(1, t.unsqueeze(1)).squeeze(1)
    w = weight[t] if weight is not None else ember.ones(t.shape, dtype=input.dtype,
                                                         device=input.device)
    w = w * valid.to(input.dtype)
    loss = picked * w
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / w.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax + nll_loss in one fused kernel for class-index targets; targets of
    class probabilities (same shape as input) are supported too.

    Example:
        >>> round(F.cross_entropy(ember.zeros(2, 4), ember.tensor([0, 3])).item(), 4)
        1.3863
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    input, weight = cast_fp32(input, weight)  # autocast: float32
    unbatched = input.dim() == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    C = input.shape[1]
    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise RuntimeError(f"Expected target size {list(input.shape)}, got "
                               f"{list(target.shape)}")
        logp = log_softmax(input, 1)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / C
        wshape = (1, C) + (1,) * (input.dim() - 2)
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape(wshape)
        loss = -prod.sum(1)
        if reduction == "mean":
            return loss.sum() / (input.numel() // C) if input.numel() else loss.sum() / 0
        out = _reduce(loss, reduction)
        return out.squeeze(0) if unbatched and reduction == "none" else out
    if target.dtype not in (D.int64, D.int32, D.int16, D.int8, D.uint8):
        raise RuntimeError(f"expected scalar type Long but found {target.type()}")
    if input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                           f"got {list(target.shape)}")
    x2 = input.movedim(1, -1).reshape(-1, C) if input.dim() > 2 else input
    t1 = target.reshape(-1)
    if weight is not None and weight.shape != (C,):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                           "classes but got weight tensor of shape: " + str(list(weight.shape)))
    if weight is not None and weight.requires_grad and ember.is_grad_enabled():
        raise RuntimeError("The function 'cross_entropy' is not differentiable with respect to "
                           "argument 'weight'. This input cannot have requires_grad True.")
    loss = _CrossEntropy.apply(x2, t1 if t1.dtype == D.int64 else t1.long(), weight,
                               ignore_index, label_smoothing, reduction)
    if reduction == "none":
        return loss.reshape(target.shape).squeeze(0) if unbatched else loss.reshape(target.shape)
    return loss


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)), logs clamped at -100 like torch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if input.numel() and bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp_min(-100) + (1 - target) * (1 - input).log().clamp_min(
        -100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy, computed stably from logits."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    # log(sigmoid(x)) = -softplus(-x); log(1 - sigmoid(x)) = -softplus(x)
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + lw * (-input).clamp_min(0) + lw * (
            (-input.abs()).exp().log1p())
    else:
        loss = (1 - target) * input + (-input).clamp_min(0) + (-input.abs()).exp().log1p()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target * (log target - input)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = ember.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + ember.where(target > 1, stirling, ember.zeros_like(stirling))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    if isinstance(var, numbers.Number):
        var = ember.full_like(input, float(var))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clamp_min(eps) if not var.requires_grad else var + (
        var.clamp_min(eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


_CTC_NEG = -1e30  # stands for log(0): finite, so logsumexp's gradient stays finite


def _as_lengths(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths.detach().cpu().numpy().astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss: -log of the total probability of all
    alignments of each target to its input (log_probs (T, N, C) from log_softmax).

    The forward (alpha) recursion runs over time with ember ops on all sequences and all
    2S+1 blank-extended label positions at once, so autograd gives the gradient. log(0)
    is a large negative number rather than -inf (gradients stay finite); a loss that
    reaches it is reported as inf, like torch.

    Example:
        >>> lp = F.log_softmax(ember.randn(6, 2, 4), 2)
        >>> tg = ember.tensor([[1, 2], [3, 3]])
        >>> F.ctc_loss(lp, tg, [6, 5], [2, 2]).shape
        ember.Size([])
    """
    batched = log_probs.dim() == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.dim() == 1 else targets
    steps, batch, classes = log_probs.shape
    in_lens = _as_lengths(input_lengths)
    tg_lens = _as_lengths(target_lengths)
    if in_lens.size != batch or tg_lens.size != batch:
        raise RuntimeError(f"input_lengths and target_lengths must have {batch} elements")
    if np.any(in_lens > steps):
        raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got "
                           f"value {int(in_lens.max())}")
    for name, lens in (("input_lengths", in_lens), ("target_lengths", tg_lens)):
        if np.any(lens < 0):
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                               f"{int(lens.min())}")
    tg = targets.detach().cpu().numpy().astype(np.int64)
    if tg.ndim == 2 and batched and batch and tg.shape[1] < int(tg_lens.max()):
        raise RuntimeError(f"Expected tensor to have size at least {int(tg_lens.max())} at "
                           f"dimension 1, but got size {tg.shape[1]} for argument #2 'targets'")
    if not (tg.ndim == 2 and batched) and tg.size != int(tg_lens.sum()):
        raise RuntimeError(f"Expected tensor to have size {int(tg_lens.sum())} at dimension 0, "
                           f"but got size {tg.size} for argument #2 'targets'")
    dev, dt = log_probs.device, log_probs.dtype
    longest = int(tg_lens.max()) if batch else 0
    labels = np.full((batch, longest), blank, dtype=np.int64)
    if tg.ndim == 2 and batched:
        labels[:, :min(longest, tg.shape[1])] = tg[:, :longest]
    else:
        starts = np.concatenate([[0], np.cumsum(tg_lens)[:-1]])
        for b in range(batch):
            labels[b, :tg_lens[b]] = tg.reshape(-1)[starts[b]:starts[b] + tg_lens[b]]
    width = 2 * longest + 1
    ext = np.full((batch, width), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    # a step may skip the blank between two different labels
    skip = np.zeros((batch, width), dtype=bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    lp = log_probs.gather(2, ember.tensor(ext, device=dev).unsqueeze(0).expand(steps, batch,
                                                                               width))
    neg1 = ember.full((batch, 1), _CTC_NEG, dtype=dt, device=dev)
    neg2 = ember.full((batch, 2), _CTC_NEG, dtype=dt, device=dev)
    start = np.full((batch, width), _CTC_NEG, dtype=np.float32)
    start[:, :2] = 0.0
    alpha = lp[0] + ember.tensor(start, dtype=dt, device=dev)
    skip_t = ember.tensor(skip, device=dev)
    floor = ember.full((batch, width), _CTC_NEG, dtype=dt, device=dev)
    for t in range(1, int(in_lens.max()) if batch else 0):
        stay = alpha
        step = ember.cat([neg1, alpha[:, :-1]], 1)
        jump = ember.where(skip_t, ember.cat([neg2, alpha[:, :-2]], 1), floor)
        new = ember.stack([stay, step, jump], 0).logsumexp(0) + lp[t]
        running = ember.tensor((t < in_lens)[:, None], device=dev)
        alpha = ember.where(running, new, alpha)
    last = ember.tensor(np.stack([2 * tg_lens, np.maximum(2 * tg_lens - 1, 0)], 1), device=dev)
    ends = alpha.gather(1, last)
    ends = ember.where(ember.tensor(np.stack([np.ones(batch, bool), tg_lens > 0], 1), device=dev),
                       ends, ember.full((batch, 2), _CTC_NEG, dtype=dt, device=dev))
    loss = -ends.logsumexp(1)
    impossible = loss.detach() > -_CTC_NEG / 2
    if zero_infinity:
        loss = ember.where(impossible, ember.zeros_like(loss), loss)
    else:
        loss = ember.where(impossible, ember.full_like(loss, float("inf")), loss)
    if reduction == "mean":
        return (loss / ember.tensor(np.maximum(tg_lens, 1), dtype=dt, device=dev)).mean()
    if not batched and reduction == "none":
        return loss.squeeze(0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    zeros = ember.zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    out_margin = ember.where(target != 1, margin_clamp, zeros)
    out_self = ember.where(target != -1, input, zeros)
    return _reduce(out_margin + out_self, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((-target * input).exp().log1p(), reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """For each sample, the hinge max(0, 1 - (x[j] - x[i])) over its target classes j (the
    leading entries of target before the first -1) against every other class i, over C."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape:
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: "
                           f"{list(target.shape)} for input of size: {list(input.shape)}")
    x = input.reshape(1, -1) if input.dim() <= 1 else input
    rows = target.reshape(1, -1).tolist() if target.dim() <= 1 else target.tolist()
    n, c = x.shape
    marks = []
    for row in rows:
        mark = [0.0] * c
        for k in row:
            if k < 0:
                break
            if k >= c:
                raise RuntimeError(f"multilabel_margin_loss: target index {k} is out of range "
                                   f"for {c} classes")
            mark[k] = 1.0
        marks.append(mark)
    is_target = ember.tensor(marks, dtype=x.dtype, device=x.device)
    pair = is_target.unsqueeze(2) * (1 - is_target).unsqueeze(1)  # [n, j, i]
    hinge = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)
    loss = (hinge * pair).sum((1, 2)) / c
    if input.dim() <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleaves the channels of `groups` groups: (N, g*k, ...) -> (N, k*g, ...)."""
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    return (input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
            .reshape((n, c) + rest))


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.dim() - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    eps = 1e-12
    d = input1.dim() - 1
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = ember.zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    loss = ember.where(target == 1, pos, zeros) + ember.where(target == -1, neg, zeros)
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    if weight is not None and (weight.dim() != 1 or weight.numel() != x.shape[1]):
        raise RuntimeError(f"inconsistent weight size, expected {x.shape[1]} but got "
                           f"{list(weight.shape)}")
    t = target.reshape(-1, 1)
    xt = x.gather(1, t)
    z = (margin - xt + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t]
    mask = ember.ones_like(x).scatter(1, t, 0.0)
    loss = (z * mask).sum(1) / x.shape[1]
    if input.dim() == 1:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ember.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


# ---- distances, shapes, padding, resampling -----------------------------------------------


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along dim (norms clamped at eps)."""
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    n = input.shape[0]
    i, j = ember.triu_indices(n, n, 1, device=input.device)
    return (input[i] - input[j]).norm(p, -1)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    oc = c // (r * r)
    x = input.reshape(*lead, oc, r, r, h, w)
    n = len(lead)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, oc, h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but got {h}x{w} and {r}")
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def _interp_size(input, size, scale_factor, n):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = _ntuple(size, n, "size")
        return out, [None] * n
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = scale_factor if isinstance(scale_factor, (list, tuple)) else [scale_factor] * n
    return tuple(int(math.floor(input.shape[2 + i] * scales[i])) for i in range(n)), list(scales)


def _source_coords(out: int, inp: int, scale, align_corners: bool, mode: str) -> np.ndarray:
    """Continuous source coordinate of each output position along one dim (float64)."""
    o = np.arange(out, dtype=np.float64)
    if align_corners:
        return o * ((inp - 1) / (out - 1) if out > 1 else 0.0)
    ratio = (1.0 / scale) if scale is not None else inp / out
    if mode == "nearest":
        return np.minimum(np.floor(o * ratio), inp - 1)
    if mode == "nearest-exact":
        return np.minimum(np.floor((o + 0.5) * ratio), inp - 1)
    return np.maximum((o + 0.5) * ratio - 0.5, 0.0)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resamples the spatial dims: nearest, nearest-exact, (bi/tri)linear, bicubic, area;
    ``antialias=True`` low-pass filters bilinear and bicubic downsampling (4-D input).

    Example:
        >>> F.interpolate(ember.ones(1, 1, 4, 4), scale_factor=0.5, mode="bicubic",
        ...               antialias=True).shape
        ember.Size([1, 1, 2, 2])
    """
    n = input.dim() - 2
    if n < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.dim()}D) for the modes: nearest | linear | bilinear | "
                         f"bicubic | trilinear | area | nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}.get(mode, input.dim())
    if input.dim() != needs:  # each linear mode is for one number of spatial dims
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {needs}D "
                                  f"input")
    out_size, scales = _interp_size(input, size, scale_factor, n)
    if min(input.shape[2:]) < 1 or min(out_size) < 1:
        names = ("D", "H", "W")[3 - n:]
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{a}: {b}" for a, b in zip(names, input.shape[2:])) + ") output ("
            + ", ".join(f"{a}: {b}" for a, b in zip(names, out_size)) + ")")
    if recompute_scale_factor:
        scales = [None] * n
    if antialias and not (mode in ("bilinear", "bicubic") and n == 2):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    if mode == "bicubic" and n != 2:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.dim()}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if mode == "bicubic" or antialias:
        return _resample2d(input, out_size, scales, mode, bool(align_corners), antialias)
    if (mode in ("linear", "bilinear") and input.device.type == "cpu"
            and input.dtype.is_floating_point and min(*input.shape[2:], *out_size) > 0):
        # one C pass (and its adjoint for the gradient); 1-d runs as 2-d with height 1
        if n == 2:
            return _linear_resample2d(input, tuple(out_size), tuple(scales),
                                      bool(align_corners))
        return _linear_resample2d(input.unsqueeze(2), (1, out_size[0]), (None, scales[0]),
                                  bool(align_corners)).squeeze(2)
    if mode == "area":
        if n == 1:
            return adaptive_avg_pool1d(input, out_size)
        return adaptive_avg_pool2d(input, out_size)
    out = input
    for i in range(n):
        dim = 2 + i
        inp = input.shape[dim]
        coords = _source_coords(out_size[i], inp, scales[i], bool(align_corners), mode)
        if mode in ("nearest", "nearest-exact"):
            out = out.index_select(dim, ember.tensor(coords.astype(np.int64),
                                                     device=out.device))
            continue
        if mode not in ("linear", "bilinear", "trilinear"):
            raise NotImplementedError(f"interpolate mode {mode} is not supported")
        lo = np.minimum(np.floor(coords), inp - 1).astype(np.int64)
        hi = np.minimum(lo + 1, inp - 1)
        frac = coords - lo
        shape = [1] * out.dim()
        shape[dim] = len(frac)
        f = ember.tensor(frac, dtype=out.dtype, device=out.device).reshape(shape)
        a = out.index_select(dim, ember.tensor(lo, dtype=D.int64, device=out.device))
        b = out.index_select(dim, ember.tensor(hi, dtype=D.int64, device=out.device))
        out = a + (b - a) * f
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- attention ---------------------------------------------------------------------------


def _repeat_kv_heads(key: Tensor, value: Tensor, num_query_heads: int) -> tuple[Tensor, Tensor]:
    """Grouped-query attention: each key/value head (dim -3) repeated for the consecutive
    query heads that share it."""
    group = num_query_heads // key.shape[-3]
    if group == 1:
        return key, value
    return key.repeat_interleave(group, -3), value.repeat_interleave(group, -3)


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, except that a row of only -inf gives zeros.

    As in torch's attention, a query every key is masked from attends to nothing (zeros,
    zero gradients) instead of softmax's NaN; its scores become finite first so no NaN
    reaches the backward pass either.
    """
    blocked = (scores == float("-inf")).all(-1, keepdim=True)
    return softmax(scores.masked_fill(blocked, 0.0), -1).masked_fill(blocked, 0.0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v, with the fused softmax kernel. ``attn_mask`` may
    also be a causal bias of ``ember.nn.attention.bias``.

    Example:
        >>> q = ember.randn(2, 4, 3, 8)
        >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        ember.Size([2, 4, 3, 8])
    """
    if isinstance(attn_mask, _CausalBias):
        return attn_mask._attend(query, key, value, dropout_p, is_causal, scale, enable_gqa)
    _check_a_kernel_can_run(query, key, value, dropout_p, enable_gqa)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        key, value = _repeat_kv_heads(key, value, query.shape[-3])
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        future = (ember.arange(L, device=scores.device).unsqueeze(1) <
                  ember.arange(S, device=scores.device).unsqueeze(0))
        scores = scores.masked_fill(future, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == D.bool_:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    attn = _safe_softmax(scores) if is_causal or attn_mask is not None else softmax(scores, -1)
    if dropout_p > 0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


def _canonical_mask(mask: Tensor | None, name: str, dtype) -> Tensor | None:
    """A bool mask (True = masked out) becomes an additive float mask of 0 / -inf."""
    if mask is None:
        return None
    if mask.dtype == D.bool_:
        return ember.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
            mask, float("-inf"))
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs: query (L, N, E), key/value (S, N, E)
    (or unbatched (L, E)). Returns (output (L, N, E), weights (N, L, S) averaged over heads,
    (N, H, L, S) if average_attn_weights=False, or None if need_weights=False).

    Masks: bool True / float -inf mean "do not attend"; float masks are added to the scores.

    Example:
        >>> q = ember.randn(4, 2, 8)
        >>> w_in, w_out = ember.randn(24, 8), ember.randn(8, 8)
        >>> out, w = F.multi_head_attention_forward(q, q, q, 8, 2, w_in, None, None, None,
        ...                                         False, 0.0, w_out, None)
        >>> out.shape, w.shape
        (ember.Size([4, 2, 8]), ember.Size([2, 4, 4]))
    """
    batched = query.dim() == 3
    if not batched:
        if query.dim() != 2:
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but "
                                 f"received {query.dim()}-D query tensor")
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    # is_causal is only a hint that attn_mask is causal: the mask itself is always applied
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)

    if use_separate_proj_weight:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), \
            linear(value, v_proj_weight, b_v)
    elif key is value and query is key:
        # self-attention: one GEMM for all three projections
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q = linear(query, w_q, b_q)
        if key is value:
            k, v = linear(key, ember.cat([w_k, w_v], 0),
                          None if b_k is None else ember.cat([b_k, b_v])).chunk(2, -1)
        else:
            k, v = linear(key, w_k, b_k), linear(value, w_v, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        k = ember.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ember.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = (pad(key_padding_mask, (0, 1)) if key_padding_mask is not None
                            else None)

    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (static_k if static_k is not None else
         k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    v = (static_v if static_v is not None else
         v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    if add_zero_attn:
        zeros = ember.zeros((bsz * num_heads, 1, head_dim), dtype=q.dtype, device=q.device)
        k, v = ember.cat([k, zeros], 1), ember.cat([v, zeros], 1)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = (pad(key_padding_mask, (0, 1)) if key_padding_mask is not None
                            else None)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)).matmul(k.transpose(1, 2))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = weights.matmul(v)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        mask4 = None
        if attn_mask is not None:
            per_head = attn_mask.shape[0] > 1
            mask4 = attn_mask.reshape(bsz if per_head else 1, num_heads if per_head else 1,
                                      attn_mask.shape[1], src_len)
        out = scaled_dot_product_attention(
            q.reshape(bsz, num_heads, tgt_len, head_dim),
            k.reshape(bsz, num_heads, src_len, head_dim),
            v.reshape(bsz, num_heads, src_len, head_dim), mask4, dropout_p)
        out = out.reshape(bsz * num_heads, tgt_len, head_dim)
        weights = None
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights


# ---- in-place activations, pooling forms and losses added to match torch.nn.functional ----

from .native_forms import celu_, rrelu_, selu_, threshold_  # noqa: E402,F401


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """ELU written into ``input``.

    Example:
        >>> x = ember.tensor([-1.0, 2.0])
        >>> F.elu_(x) is x
        True
    """
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Leaky ReLU written into ``input``.

    Example:
        >>> F.leaky_relu_(ember.tensor([-2.0, 3.0]), 0.5)
        tensor([-1.,  3.])
    """
    return leaky_relu(input, negative_slope, inplace=True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(values, indices) of adaptive_max_pool1d, whatever ``return_indices`` says.

    Example:
        >>> [t.shape for t in F.adaptive_max_pool1d_with_indices(ember.randn(1, 2, 6), 3)]
        [ember.Size([1, 2, 3]), ember.Size([1, 2, 3])]
    """
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(values, indices) of adaptive_max_pool2d, whatever ``return_indices`` says.

    Example:
        >>> F.adaptive_max_pool2d_with_indices(ember.randn(1, 4, 4), 2)[1].shape
        ember.Size([1, 2, 2])
    """
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(values, indices) of adaptive_max_pool3d, whatever ``return_indices`` says.

    Example:
        >>> F.adaptive_max_pool3d_with_indices(ember.randn(1, 4, 4, 4), 2)[0].shape
        ember.Size([1, 2, 2, 2])
    """
    return adaptive_max_pool3d(input, output_size, return_indices=True)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (D, H, W): (sum of x^p over each window)^(1/p).

    Example:
        >>> F.lp_pool3d(ember.ones(1, 1, 2, 2, 2), 2, 2)
        tensor([[[[[2.8284]]]]])
    """
    kd, kh, kw = _ntuple(kernel_size, 3)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kh * kw).pow(1.0 / norm_type)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with any distance function ``d`` (default
    pairwise_distance); ``swap`` uses min(d(a, n), d(p, n)) as the negative distance.

    Example:
        >>> a = ember.tensor([[0.0, 0.0]])
        >>> F.triplet_margin_with_distance_loss(a, a + 1, a + 3,
        ...     distance_function=lambda x, y: (x - y).abs().sum(-1))
        tensor(0.)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not a_dim == p_dim == n_dim:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a_dim}D, "
                           f"positive {p_dim}D, and negative {n_dim}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ember.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def _fractional_starts(u: Tensor, in_size: int, out_size: int, k: int) -> Tensor:
    """Window starts of fractional max pooling for samples u (any shape, one per plane):
    floor((i + u) * alpha) - floor(u * alpha) for i < out - 1, alpha = (in - k) / (out - 1),
    computed in u's dtype as torch's kernel does; the last window ends at the input's end."""
    shape = tuple(u.shape) + (out_size,)
    last = ember.full(shape[:-1] + (1,), in_size - k, dtype=D.int64, device=u.device)
    if out_size == 1:
        return last
    alpha = ember.tensor((in_size - k) / (out_size - 1), dtype=u.dtype, device=u.device)
    if u.dtype in (D.float32, D.float16, D.bfloat16):  # the kernel's alpha is a float
        alpha = ember.tensor(float(np.float32(in_size - k) / np.float32(out_size - 1)),
                             dtype=u.dtype, device=u.device)
    i = ember.arange(out_size - 1, dtype=u.dtype, device=u.device)
    us = u.unsqueeze(-1)
    starts = ((i + us) * alpha).trunc().long() - (us * alpha).trunc().long()
    return ember.cat([starts, last], -1)


def _fractional_max_pool(input: Tensor, kernel_size, output_size, output_ratio,
                         return_indices: bool, samples, n: int, name: str):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    spatial = tuple(input.shape[-n:])
    if output_size is None:
        ratio = (tuple(output_ratio) if isinstance(output_ratio, (list, tuple))
                 else (output_ratio,) * n)
        output_size = [int(s * r) for s, r in zip(spatial, ratio)]
    out = _ntuple(output_size, n)
    ks = _ntuple(kernel_size, n)
    batched = input.dim() == n + 2
    x = input if batched else input.unsqueeze(0)
    nb, c = x.shape[0], x.shape[1]
    if samples is None:
        samples = ember.rand(nb, c, n, dtype=input.dtype, device=input.device)
    for d, label in enumerate(("time", "height", "width")[3 - n:]):
        if out[d] + ks[d] - 1 > spatial[d]:
            raise RuntimeError(f"{name}_out(): pool {label} {ks[d]} too large relative to "
                               f"input {label} {spatial[d]}")
    # the kernel pairs sample 0 with the last (width) dimension in 2-d, with time in 3-d
    order = (1, 0) if n == 2 else (0, 1, 2)
    flat = None
    for d in range(n):
        u = samples[:, :, order[d]]
        pos = (_fractional_starts(u, spatial[d], out[d], ks[d]).unsqueeze(-1)
               + ember.arange(ks[d], device=input.device))  # (N, C, out_d, k_d)
        # broadcast to (N, C, out_0..out_{n-1}, k_0..k_{n-1}) with position d filled
        view = [nb, c] + [1] * (2 * n)
        view[2 + d], view[2 + n + d] = out[d], ks[d]
        stride = math.prod(spatial[d + 1:])
        term = pos.reshape(view) * stride
        flat = term if flat is None else flat + term
    flat = flat.expand(nb, c, *out, *ks).reshape(nb, c, -1)
    values = x.reshape(nb, c, -1).gather(-1, flat).reshape(nb, c, *out, math.prod(ks))
    y, k = values.max(-1)
    idx = flat.reshape(nb, c, *out, math.prod(ks)).gather(-1, k.unsqueeze(-1)).squeeze(-1)
    if not batched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Fractional max pooling over (H, W): pseudo-random windows of ``kernel_size`` whose
    starts come from ``_random_samples`` (N, C, 2) in [0, 1) (drawn if not given).

    Example:
        >>> F.fractional_max_pool2d(ember.randn(1, 2, 7, 7), 2, output_size=3).shape
        ember.Size([1, 2, 3, 3])
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples, 2, "fractional_max_pool2d")


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None) -> tuple[Tensor, Tensor]:
    """(values, indices) of fractional_max_pool2d.

    Example:
        >>> y, i = F.fractional_max_pool2d_with_indices(ember.randn(1, 1, 5, 5), 2,
        ...                                              output_ratio=0.5)
        >>> y.shape, i.dtype
        (ember.Size([1, 1, 2, 2]), ember.int64)
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, True,
                                _random_samples, 2, "fractional_max_pool2d")


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Fractional max pooling over (T, H, W); ``_random_samples`` is (N, C, 3).

    Example:
        >>> F.fractional_max_pool3d(ember.randn(1, 1, 6, 6, 6), 2, output_size=3).shape
        ember.Size([1, 1, 3, 3, 3])
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples, 3, "fractional_max_pool3d")


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None) -> tuple[Tensor, Tensor]:
    """(values, indices) of fractional_max_pool3d.

    Example:
        >>> F.fractional_max_pool3d_with_indices(ember.randn(1, 5, 5, 5), 2,
        ...                                      output_size=2)[1].shape
        ember.Size([1, 2, 2, 2])
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, True,
                                _random_samples, 3, "fractional_max_pool3d")


# defined in its own file; imported last because it builds on linear and cross_entropy above
from ._linear_cross_entropy import linear_cross_entropy  # noqa: E402,F401
