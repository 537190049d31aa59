"""3-d convolution and pooling, computed as 2-d ones over depth slices.

A 3-d window is a stack of KD 2-d windows, one per depth tap ``kd``; the input planes
that tap ``kd`` reads for the OD output depths are the depth-strided slice
``x[:, :, kd*dilation :: stride][:OD]``. Folding those OD planes into the batch turns each
tap into one batched 2-d op (our C/CUDA kernels, with their backward), and the taps
combine with a sum (convolution, average pooling) or a max (max pooling). Autograd
differentiates the composition, so gradients of every order follow from the 2-d ops.

The functions here take validated, batched (N, C, D, H, W) inputs and normalized
argument tuples; ``ember.nn.functional`` checks arguments and handles unbatched inputs.
"""

from __future__ import annotations

from .._tensor import Tensor
from . import conv as _conv
from . import pool as _pool
from .creation import arange, tensor, zeros
from .join import stack
from .pad import pad


def _taps(x: Tensor, kd: int, dilation: int, stride: int, out_depth: int) -> Tensor:
    """The (N*OD, C, H, W) planes that depth tap kd reads, output depth folded into batch."""
    n, c, _, h, w = x.shape
    start = kd * dilation
    planes = x[:, :, start:start + (out_depth - 1) * stride + 1:stride]
    return planes.transpose(1, 2).reshape(n * out_depth, c, h, w)


def _unfold_batch(y: Tensor, n: int, depth: int) -> Tensor:
    """(N*D, C, H, W) back to (N, C, D, H, W)."""
    return y.reshape((n, depth) + tuple(y.shape[1:])).transpose(1, 2).contiguous()


def conv3d(x: Tensor, weight: Tensor, stride, padding, dilation, groups: int) -> Tensor:
    """Cross-correlation of x (N, C, D, H, W) with weight (OC, C/groups, KD, KH, KW)."""
    n, kd_size = x.shape[0], weight.shape[2]
    if padding[0]:
        x = pad(x, (0, 0, 0, 0, padding[0], padding[0]))
    out_depth = (x.shape[2] - dilation[0] * (kd_size - 1) - 1) // stride[0] + 1
    y = None
    for kd in range(kd_size):
        t = _conv.Convolution.apply(_taps(x, kd, dilation[0], stride[0], out_depth),
                                    weight[:, :, kd], None, stride[1:], padding[1:],
                                    dilation[1:], groups)
        y = t if y is None else y + t
    return _unfold_batch(y, n, out_depth)


def conv3d_weight_grad(x: Tensor, g: Tensor, kernel, stride, padding, dilation,
                       groups: int) -> Tensor:
    """The gradient (OC, C/groups, KD, KH, KW) of <g, conv3d(x, w)> with respect to w, for
    x (N, C, D, H, W) and g (N, OC, OD, OH, OW): depth tap kd's slice of it is the 2-d
    weight gradient between the planes that tap reads and g, output depth folded into
    the batch on both sides."""
    n, out_depth = x.shape[0], g.shape[2]
    if padding[0]:
        x = pad(x, (0, 0, 0, 0, padding[0], padding[0]))
    g_planes = g.transpose(1, 2).reshape((n * out_depth,) + tuple(g.shape[1:2] + g.shape[3:]))
    taps = [_conv.ConvWeightGrad.apply(_taps(x, kd, dilation[0], stride[0], out_depth),
                                       g_planes, tuple(kernel[1:]), stride[1:], padding[1:],
                                       dilation[1:], groups)
            for kd in range(kernel[0])]
    return stack(taps, 2)


def conv_transpose3d(x: Tensor, weight: Tensor, stride, padding, dilation, groups: int,
                     out_size) -> Tensor:
    """The adjoint of conv3d: x (N, C, D, H, W), weight (C, OC/groups, KD, KH, KW), output
    (N, OC) + out_size. Each depth tap scatters its 2-d transposed convolution to output
    depths d*stride + kd*dilation; padding then crops the ends."""
    n, depth = x.shape[0], x.shape[2]
    kd_size = weight.shape[2]
    full_depth = out_size[0] + 2 * padding[0]
    planes = x.transpose(1, 2).reshape((n * depth,) + tuple(x.shape[1:2] + x.shape[3:]))
    y = None
    for kd in range(kd_size):
        t = _conv.ConvTranspose.apply(planes, weight[:, :, kd], stride[1:], padding[1:],
                                      dilation[1:], groups, tuple(out_size[1:]))
        t = t.reshape((n, depth) + tuple(t.shape[1:]))
        if y is None:
            y = zeros((n, full_depth) + tuple(t.shape[2:]), dtype=t.dtype, device=t.device)
        y = y.index_add(1, arange(depth, device=t.device) * stride[0] + kd * dilation[0], t)
    y = y[:, padding[0]:padding[0] + out_size[0]]
    return y.transpose(1, 2).contiguous()


def max_pool3d(x: Tensor, kernel, stride, padding, dilation, out_size) -> tuple[Tensor, Tensor]:
    """Max over 3-d windows of x (N, C, D, H, W) -> values and flat D*H*W argmax indices.

    Depth padding is -inf (never the max: every window holds an input element); ties
    keep the first tap in (d, h, w) order, as torch's kernel does.
    """
    n, _, depth, h, w = x.shape
    od, oh, ow = out_size
    need = (od - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
    right = max(0, need - depth - padding[0])
    xp = pad(x, (0, 0, 0, 0, padding[0], right), value=float("-inf")) \
        if padding[0] or right else x
    vals, idxs = [], []
    for kd in range(kernel[0]):
        v, i = _pool.MaxPool2d.apply(_taps(xp, kd, dilation[0], stride[0], od), kernel[1:],
                                     stride[1:], padding[1:], dilation[1:], (oh, ow))
        vals.append(v)
        idxs.append(i)
    best, tap = stack(vals, 0).max(0)
    plane_idx = stack(idxs, 0).gather(0, tap.unsqueeze(0)).squeeze(0)
    # the input depth each output depth's chosen tap read
    d_in = (arange(od, device=x.device) * stride[0] - padding[0]).reshape(1, 1, od, 1, 1)
    depth_of = _unfold_batch(tap, n, od) * dilation[0] + d_in
    return _unfold_batch(best, n, od), depth_of * (h * w) + _unfold_batch(plane_idx, n, od)


def _window_sizes(size: int, k: int, s: int, p: int, out: int, include_pad: bool) -> list:
    """Elements each window along one dim averages over (torch's divisor factors)."""
    sizes = []
    for o in range(out):
        start = o * s - p
        end = min(start + k, size + p)
        sizes.append(end - start if include_pad else min(end, size) - max(start, 0))
    return sizes


def avg_pool3d(x: Tensor, kernel, stride, padding, out_size, count_include_pad: bool,
               divisor_override: int | None) -> Tensor:
    """Mean over 3-d windows of x (N, C, D, H, W): the taps' 2-d window sums, divided by
    the window's element count (a product of per-dim counts, as torch's kernel computes)."""
    n, _, depth, h, w = x.shape
    od = out_size[0]
    right = max(0, (od - 1) * stride[0] + kernel[0] - depth - padding[0])
    xp = pad(x, (0, 0, 0, 0, padding[0], right)) if padding[0] or right else x
    total = None
    for kd in range(kernel[0]):
        # divisor 1: the 2-d kernel returns plain window sums (padding reads zero)
        t = _pool.AvgPool2d.apply(_taps(xp, kd, 1, stride[0], od), kernel[1:], stride[1:],
                                  padding[1:], True, 1, tuple(out_size[1:]))
        total = t if total is None else total + t
    total = _unfold_batch(total, n, od)
    if divisor_override:
        return total / divisor_override
    counts = [_window_sizes(size, k, s, p, o, count_include_pad)
              for size, k, s, p, o in zip((depth, h, w), kernel, stride, padding, out_size)]
    divisor = tensor(counts[0], dtype=x.dtype, device=x.device).reshape(-1, 1, 1) * \
        tensor(counts[1], dtype=x.dtype, device=x.device).reshape(-1, 1) * \
        tensor(counts[2], dtype=x.dtype, device=x.device)
    return total / divisor


def _adaptive_windows(size: int, out: int) -> list:
    """[start, end) of each adaptive window: floor(i*size/out) .. ceil((i+1)*size/out)."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_avg_pool3d(x: Tensor, out_size) -> Tensor:
    """Adaptive average pooling of x (N, C, D, H, W): per output depth, the mean over its
    depth window, then 2-d adaptive pooling (the windows are boxes, so this is exact)."""
    planes = [_pool.AdaptiveAvgPool2d.apply(x[:, :, start:end].mean(2), tuple(out_size[1:]))
              for start, end in _adaptive_windows(x.shape[2], out_size[0])]
    return stack(planes, 2)


def adaptive_max_pool3d(x: Tensor, out_size) -> tuple[Tensor, Tensor]:
    """Adaptive max pooling of x (N, C, D, H, W) -> values and flat D*H*W indices; each
    depth plane is pooled in 2-d first, so ties keep the first in (d, h, w) order."""
    h, w = x.shape[3], x.shape[4]
    vals, idxs = [], []
    for start, end in _adaptive_windows(x.shape[2], out_size[0]):
        pooled = [_pool.AdaptiveMaxPool2d.apply(x[:, :, d], tuple(out_size[1:]))
                  for d in range(start, end)]
        best, pick = stack([v for v, _ in pooled], 0).max(0)
        plane_idx = stack([i for _, i in pooled], 0).gather(0, pick.unsqueeze(0)).squeeze(0)
        vals.append(best)
        idxs.append((pick + start) * (h * w) + plane_idx)
    return stack(vals, 2), stack(idxs, 2)
