"""Convolution and transposed convolution (2-d; 1-d runs as 2-d with height 1).

Lowering: with at least as many samples as threads, each thread gathers one sample's
windows at a time into its own (C*KH*KW, OH*OW) scratch and multiplies them while they are
in cache (csrc conv_per_sample, OpenBLAS through csrc/gemm.c); otherwise im2col in C
gathers the whole batch into a (C*KH*KW, N*OH*OW) matrix for GEMMs split across threads.
col2im scatters columns back for the transposed convolution. 1x1 and depthwise
convolutions skip the lowering; float32 3x3 stride-1 convolutions and their input
gradients run as Winograd F(2x2, 3x3) (csrc/winograd.c), and other stride-1 ones with few
channels directly (csrc conv_direct, see _direct). The three Functions close under
differentiation:

    conv(x, w)            grad_x = conv_transpose(g, w),  grad_w = conv_weight_grad(x, g)
    conv_transpose(x, w)  grad_x = conv(g, w),            grad_w = conv_weight_grad(g, x)
    conv_weight_grad(x,g) grad_x = conv_transpose(g, gg), grad_g = conv(x, gg)

so gradients of any order are convolutions again.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ..backends import blas, cpu
from .._C import lib
from ._util import backend_of, cast, expand_to, reshaped


def compute_dtype(t: Tensor):
    """Kernels run in float32/float64; half and bfloat16 compute in float32."""
    return t._dtype if t._dtype in (D.float32, D.float64) else D.float32


def dense(t: Tensor, dtype=None) -> Tensor:
    """t as a contiguous tensor of dtype (no copy when it already is one)."""
    t = cast(t, dtype or t._dtype)
    if t.is_contiguous():
        return t
    out = _empty(t._shape, t._dtype, t.device)
    backend_of(t).copy(t, out)
    return out


def _np2(t: Tensor, rows: int, cols: int, groups: int) -> np.ndarray:
    """A contiguous tensor seen as (groups, rows, cols) NumPy matrix stack."""
    return t._np().reshape(groups, rows, cols)


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _pointwise_geometry(stride, padding, groups) -> bool:
    return tuple(stride) == (1, 1) and tuple(padding) == (0, 0) and groups == 1


def _per_sample_scratch(x: Tensor, n: int, rows: int, ohw: int, filters: int, groups: int):
    """Scratch for the per-sample lowering (one slice of columns per thread), or None to
    lower the whole batch at once: with fewer samples than threads, one GEMM split across
    the threads keeps them all busy instead. So it does for a large filter bank (a million
    weights or more) over narrow outputs (under 256 positions a sample), where OpenBLAS's
    repacking of the whole bank for every sample's product dominated: 512 -> 512 3x3 at
    7x7, batch 8, 2 threads, forward and backward 59 -> 31 ms (torch 27). Smaller banks
    stay per sample, whose columns stay in cache (LeNet's 6 -> 16 5x5 at 10x10 lowered
    for the batch made its training step 1.3x slower)."""
    threads = cpu.get_num_threads()
    wide_bank = groups == 1 and ohw < 256 and rows * filters >= 1 << 20
    if not blas.HAVE_GEMM or n < threads or not rows or not ohw or wide_bank:
        return None
    return _empty((threads, rows, ohw), x._dtype)


def _swap_leading(t: Tensor, a: int, b: int, p: int) -> Tensor:
    """Contiguous t read as (a, b, p), as a contiguous (b, a, p) tensor: a batch's samples
    and channels exchanged around the batch-wide GEMMs (no copy when either is 1)."""
    if a == 1 or b == 1:
        return reshaped(t, b, a, p)
    out = _empty((b, a, p), t._dtype)
    cpu.copy(Tensor._make(t._storage, (b, a, p), (p, b * p, 1), t._offset, t._dtype), out)
    return out


def _winograd(x: Tensor, w: Tensor, stride, padding, dilation, groups) -> bool:
    """A float32 3x3 stride-1 convolution where Winograd's 2.25x fewer multiplies pay for
    its transforms (csrc/winograd.c): 16 to 256 channels each side. Measured on one thread,
    batch 8: 64 channels at 56x56 13.7 ms against 21.5 by im2col, 256 at 14x14 15.3 against
    21.2, but 512 at 7x7 29.6 against 24.8 (small GEMMs repacking large filters)."""
    return (x._dtype is D.float32 and blas.HAVE_GEMM and w._shape[2:] == (3, 3)
            and 16 <= min(w._shape[:2]) and max(w._shape[:2]) <= 256 and groups == 1
            and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1) and max(padding) <= 2)


def _direct(x: Tensor, c_in: int, c_out: int, kernel, out_w: int, stride, groups) -> bool:
    """A stride-1 convolution computed directly (csrc conv_direct), without im2col: where
    output rows fill most of its 16-lane strips and its output channels come in blocks of
    4 (or the lowered GEMM would be tiny). Measured on 2 threads against the per-sample
    lowering: LeNet's 1->6 5x5 at 28x28 1.5x, 6->16 at 14x14 1.26x, 16->16 5x5 at 32x32
    1.8x, 32->64 5x5 at 16x16 1.27x; but 8-wide outputs 0.54x and 3 or 6 output channels
    (input gradients of those layers) 0.5-0.87x, which stay lowered."""
    return (x._dtype in (D.float32, D.float64) and tuple(stride) == (1, 1) and groups == 1
            and out_w >= 10 and (c_out % 4 == 0 or c_in * kernel[0] * kernel[1] <= 64))


def _pointwise(w: Tensor, stride, padding, groups) -> bool:
    """A 1x1 convolution with stride 1, no padding and one group: a GEMM per sample."""
    return w._shape[2:] == (1, 1) and _pointwise_geometry(stride, padding, groups)


def _conv_forward(x: Tensor, w: Tensor, stride, padding, dilation, groups) -> Tensor:
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C/groups, KH, KW)); no bias."""
    if x.device.type == "cuda":
        return backend_of(x).conv_forward(x, w, stride, padding, dilation, groups)
    N, C, H, W = x._shape
    OC, Cg, KH, KW = w._shape
    OH = _out_size(H, KH, stride[0], padding[0], dilation[0])
    OW = _out_size(W, KW, stride[1], padding[1], dilation[1])
    if groups == C == OC:  # depthwise: direct, no im2col
        y = _empty((N, OC, OH, OW), x._dtype)
        cpu.depthwise_conv2d(0, x, w, y, (KH, KW), stride, padding, dilation, (H, W), (OH, OW))
        return y
    if _pointwise(w, stride, padding, groups):
        # 1x1: y[n] = W @ x[n], one GEMM per sample straight into y, no layout copies
        y = _empty((N, OC, OH, OW), x._dtype)
        blas.matmul(w._np().reshape(OC, C), x._np().reshape(N, C, H * W),
                    y._np().reshape(N, OC, H * W))
        return y
    if OH > 0 and OW > 0 and _winograd(x, w, stride, padding, dilation, groups):
        y = _empty((N, OC, OH, OW), x._dtype)
        cpu.conv2d_winograd(x, w, y, padding, adjoint=False)
        return y
    if OH > 0 and _direct(x, C, OC, (KH, KW), OW, stride, groups):
        y = _empty((N, OC, OH, OW), x._dtype)
        cpu.conv2d_direct(x, w, y, padding, dilation, adjoint=False)
        return y
    scratch = _per_sample_scratch(x, N, C * KH * KW, OH * OW, OC, groups)
    if scratch is not None:
        y = _empty((N, OC, OH, OW), x._dtype)
        cpu.conv_per_sample(0, x, w, y, groups, (KH, KW), stride, padding, dilation, scratch)
        return y
    G, OCg, L = groups, OC // groups, N * OH * OW
    cols = _empty((C * KH * KW, L), x._dtype)
    cpu.im2col(x, (KH, KW), stride, padding, dilation, (OH, OW), cols)
    if G == 1:  # one GEMM for the batch: the filters are packed once
        prod = _empty((OC, L), x._dtype)
        blas.matmul_tensors(reshaped(w, OC, C * KH * KW), cols, prod)
        return reshaped(_swap_leading(prod, OC, N, OH * OW), N, OC, OH, OW)
    y = _empty((N, OC, OH, OW), x._dtype)
    # y[n, g] = w[g] @ (sample n's columns of group g): a GEMM per sample and group written
    # straight into y, reading the columns in place (no transposed copy of the output)
    blas.matmul(_np2(w, OCg, Cg * KH * KW, G)[None],
                cols._np().reshape(G, Cg * KH * KW, N, OH * OW).transpose(2, 0, 1, 3),
                y._np().reshape(N, G, OCg, OH * OW))
    return y


def _conv_transpose_forward(x: Tensor, w: Tensor, stride, padding, dilation, groups,
                            out_hw) -> Tensor:
    """y (N, OC, *out_hw) = conv_transpose(x (N, C, H, W), w (C, OC/groups, KH, KW)):
    the adjoint of _conv_forward with weight w, as a map from y's shape to x's."""
    if x.device.type == "cuda":
        return backend_of(x).conv_transpose_forward(x, w, stride, padding, dilation, groups,
                                                    out_hw)
    N, C, H, W = x._shape
    _, OCg, KH, KW = w._shape
    if _pointwise(w, stride, padding, groups):  # gx[n] = W^T @ g[n]
        y = _empty((N, OCg) + tuple(out_hw), x._dtype)
        blas.matmul(w._np().reshape(C, OCg).T, x._np().reshape(N, C, H * W),
                    y._np().reshape(N, OCg, H * W))
        return y
    if groups == C and OCg == 1:  # the adjoint of a depthwise convolution
        y = _empty((N, C) + tuple(out_hw), x._dtype)
        cpu.depthwise_conv2d(1, x, w, y, (KH, KW), stride, padding, dilation, tuple(out_hw),
                             (H, W))
        return y
    G, Cg, L = groups, C // groups, N * H * W
    OC = OCg * G
    if (_winograd(x, w, stride, padding, dilation, groups)
            and tuple(out_hw) == (H + 2 - 2 * padding[0], W + 2 - 2 * padding[1])):
        # stride 1: the adjoint is a convolution by the flipped filters, padded 2 - padding
        y = _empty((N, OC) + tuple(out_hw), x._dtype)
        cpu.conv2d_winograd(x, w, y, (2 - padding[0], 2 - padding[1]), adjoint=True)
        return y
    full = ((KH - 1) * dilation[0] - padding[0], (KW - 1) * dilation[1] - padding[1])
    if (H > 0 and min(full) >= 0 and _direct(x, C, OC, (KH, KW), out_hw[1], stride, groups)
            and tuple(out_hw) == (H + full[0] - padding[0], W + full[1] - padding[1])):
        # stride 1: the adjoint is a convolution by the flipped filters, padded K - 1 - padding
        y = _empty((N, OC) + tuple(out_hw), x._dtype)
        cpu.conv2d_direct(x, w, y, full, dilation, adjoint=True)
        return y
    scratch = _per_sample_scratch(x, N, OC * KH * KW, H * W, C, groups)
    if scratch is not None:  # the adjoint of the per-sample forward, y's role played by x
        y = _empty((N, OC) + tuple(out_hw), x._dtype)
        cpu.conv_per_sample(1, y, w, x, groups, (KH, KW), stride, padding, dilation, scratch)
        return y
    cols = _empty((OC * KH * KW, L), x._dtype)
    if G == 1:  # one GEMM for the batch, as the forward's: cols = w^T @ x's channel rows
        K = OC * KH * KW
        w_t = Tensor._make(w._storage, (K, C), (1, K), w._offset, w._dtype)
        blas.matmul_tensors(w_t, reshaped(_swap_leading(x, N, C, H * W), C, L), cols)
    else:  # sample n's columns of group g = w[g]^T @ x[n, g], written in place into cols
        blas.matmul(np.swapaxes(_np2(w, Cg, OCg * KH * KW, G), 1, 2)[None],
                    x._np().reshape(N, G, Cg, H * W),
                    cols._np().reshape(G, OCg * KH * KW, N, H * W).transpose(2, 0, 1, 3))
    y = _empty((N, OC) + tuple(out_hw), x._dtype)
    cpu.col2im(cols, y, (KH, KW), stride, padding, dilation, (H, W))
    return y


def _conv_weight_grad(x: Tensor, g: Tensor, kernel, stride, padding, dilation,
                      groups) -> Tensor:
    """gw (OC, C/groups, KH, KW) = d<g, conv(x, w)>/dw."""
    if x.device.type == "cuda":
        return backend_of(x).conv_weight_grad(x, g, kernel, stride, padding, dilation, groups)
    N, C, H, W = x._shape
    _, OC, OH, OW = g._shape
    KH, KW = kernel
    if KH == KW == 1 and _pointwise_geometry(stride, padding, groups):
        # gw = sum over n of g[n] @ x[n]^T
        gw = _empty((OC, C, 1, 1), x._dtype)
        per_sample = blas.matmul(g._np().reshape(N, OC, OH * OW),
                                 np.swapaxes(x._np().reshape(N, C, H * W), 1, 2),
                                 np.empty((N, OC, C), g._dtype.np))
        np.sum(per_sample, axis=0, out=gw._np().reshape(OC, C))
        return gw
    if groups == C == OC:  # depthwise: per-channel correlation, no im2col
        gw = _empty((OC, 1, KH, KW), x._dtype)
        cpu.depthwise_conv2d(2, x, g, gw, (KH, KW), stride, padding, dilation, (H, W),
                             (OH, OW))
        return gw
    if OC < 8 and KW <= 7 and _direct(x, C, OC, kernel, OW, stride, groups):
        # a few filters (LeNet's 1->6: 1.67x): the lowered GEMMs would be 6 columns wide.
        # With more, the GEMM's cache blocking wins (0.3-0.7x for 16 to 64 filters), as
        # each direct sum streams all of x and g for one (filter, channel, kernel row).
        gw = _empty((OC, C, KH, KW), x._dtype)
        cpu.conv2d_direct_wgrad(x, g, gw, padding, dilation)
        return gw
    G, OCg, Cg, L = groups, OC // groups, C // groups, N * OH * OW
    scratch = _per_sample_scratch(x, N, C * KH * KW, OH * OW, OC, groups)
    if scratch is not None:
        gw = _empty((OC, Cg, KH, KW), x._dtype)
        partial = _empty((scratch._shape[0], C * KH * KW, OCg), x._dtype)
        cpu.conv_per_sample(2, x, gw, g, groups, (KH, KW), stride, padding, dilation, scratch,
                            partial)
        return gw
    cols = _empty((C * KH * KW, L), x._dtype)
    cpu.im2col(x, (KH, KW), stride, padding, dilation, (OH, OW), cols)
    gt = _empty((OC, N, OH * OW), x._dtype)
    cpu.copy(Tensor._make(g._storage, (OC, N, OH * OW), (OH * OW, OC * OH * OW, 1), g._offset,
                          g._dtype), gt)
    # gw[g] = g[g] @ cols[g]^T, straight into gw's layout: through csrc/gemm.c the
    # transposed operand costs nothing (512 filters, K = 4608, L = 392: 9.3 ms, where
    # cols @ g^T and a transposed copy of the result took 15)
    K = Cg * KH * KW
    gw = _empty((OC, Cg, KH, KW), x._dtype)
    blas.matmul(_np2(gt, OCg, L, G), np.swapaxes(_np2(cols, K, L, G), 1, 2), _np2(gw, OCg, K, G))
    return gw


def _prep(*ts):
    """Contiguous operands in the dtype the kernels take: cuBLAS multiplies the half types
    as they are (accumulating in float32), the C kernels compute them in float32."""
    dt = ts[0]._dtype if ts[0].device.type == "cuda" else compute_dtype(ts[0])
    return [dense(t, dt) for t in ts]


def _add_channel_bias(y: Tensor, b: Tensor) -> None:
    """y (N, C, H, W) += b (C,) in place, b broadcast over the batch and the plane."""
    view = Tensor._make(b._storage, (1, b._shape[0], 1, 1), (0, b._stride[0], 0, 0),
                        b._offset, b._dtype)
    backend_of(y).binary(lib.EM_ADD, y, expand_to(view, y._shape), y, 1.0, name="conv2d")


class Convolution(Function):
    """conv2d with an optional bias (b may be None) as one node, as torch's
    ConvolutionBackward0; params = (stride, padding, dilation, groups)."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.params = (stride, padding, dilation, groups)
        ctx.x_hw = x._shape[2:]
        ctx.save_for_backward(x, w)
        xc, wc = _prep(x, w)
        y = cast(_conv_forward(xc, wc, stride, padding, dilation, groups), x._dtype)
        if b is not None:
            _add_channel_bias(y, b)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need = ctx.needs_input_grad
        if need[0] and need[1]:
            g = g.contiguous()  # once for both passes (a sum's gradient comes expanded)
        gx = ConvTranspose.apply(g, w, stride, padding, dilation, groups, ctx.x_hw) \
            if need[0] else None
        gw = ConvWeightGrad.apply(x, g, w._shape[2:], stride, padding, dilation, groups) \
            if need[1] else None
        gb = g.sum((0, 2, 3)) if need[2] else None
        return gx, gw, gb, None, None, None, None


class ConvTranspose(Function):
    """conv_transpose2d without bias to an explicit output size (H, W)."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, w, stride, padding, dilation, groups, out_hw):
        ctx.params = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        xc, wc = _prep(x, w)
        y = _conv_transpose_forward(xc, wc, stride, padding, dilation, groups, out_hw)
        return cast(y, x._dtype)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = Convolution.apply(g, w, None, stride, padding, dilation, groups)
        if ctx.needs_input_grad[1]:
            gw = ConvWeightGrad.apply(g, x, w._shape[2:], stride, padding, dilation, groups)
        return gx, gw, None, None, None, None, None


class ConvWeightGrad(Function):
    """The weight gradient of Convolution, itself differentiable."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, g, kernel, stride, padding, dilation, groups):
        ctx.params = (stride, padding, dilation, groups)
        ctx.x_hw = x._shape[2:]
        ctx.save_for_backward(x, g)
        xc, gc = _prep(x, g)
        return cast(_conv_weight_grad(xc, gc, kernel, stride, padding, dilation, groups),
                    x._dtype)

    @staticmethod
    def backward(ctx, gg):
        x, g = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        gx = gg_ = None
        if ctx.needs_input_grad[0]:
            gx = ConvTranspose.apply(g, gg, stride, padding, dilation, groups, ctx.x_hw)
        if ctx.needs_input_grad[1]:
            gg_ = Convolution.apply(x, gg, None, stride, padding, dilation, groups)
        return gx, gg_, None, None, None, None, None


class Im2Col(Function):
    """unfold: (N, C, H, W) -> (N, C*KH*KW, L); its adjoint is Col2Im."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        ctx.args = (kernel, stride, padding, dilation, x._shape[2:])
        (xc,) = _prep(x)
        N, C, H, W = xc._shape
        OH = _out_size(H, kernel[0], stride[0], padding[0], dilation[0])
        OW = _out_size(W, kernel[1], stride[1], padding[1], dilation[1])
        cols = _empty((C * kernel[0] * kernel[1], N, OH * OW), xc._dtype, xc.device)
        backend_of(xc).im2col(xc, kernel, stride, padding, dilation, (OH, OW), cols)
        return cast(dense(cols.permute(1, 0, 2)), x._dtype)

    @staticmethod
    def backward(ctx, g):
        kernel, stride, padding, dilation, hw = ctx.args
        return Col2Im.apply(g, hw, kernel, stride, padding, dilation), None, None, None, None


class Col2Im(Function):
    """fold: (N, C*KH*KW, L) -> (N, C, H, W), summing overlaps; adjoint of Im2Col."""

    _builtin = True

    @staticmethod
    def forward(ctx, cols, out_hw, kernel, stride, padding, dilation):
        ctx.args = (kernel, stride, padding, dilation)
        (cc,) = _prep(cols)
        N, CKK, L = cc._shape
        KH, KW = kernel
        OH = _out_size(out_hw[0], KH, stride[0], padding[0], dilation[0])
        OW = _out_size(out_hw[1], KW, stride[1], padding[1], dilation[1])
        if CKK % (KH * KW) or L != OH * OW:  # the kernel reads exactly that many columns
            raise RuntimeError(f"col2im: {CKK} x {L} columns do not hold the {KH}x{KW} "
                               f"windows of an output of {OH}x{OW} blocks")
        ct = dense(cc.permute(1, 0, 2))
        x = _empty((N, CKK // (KH * KW)) + tuple(out_hw), cc._dtype, cc.device)
        backend_of(cc).col2im(ct, x, kernel, stride, padding, dilation, (OH, OW))
        return cast(x, cols._dtype)

    @staticmethod
    def backward(ctx, g):
        kernel, stride, padding, dilation = ctx.args
        return Im2Col.apply(g, kernel, stride, padding, dilation), None, None, None, None, None


__all__ = ["Convolution", "ConvTranspose", "ConvWeightGrad", "Im2Col", "Col2Im"]
