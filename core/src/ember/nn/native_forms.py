"""torch's top-level spellings of nn.functional ops, whose signatures differ from
nn.functional's: ``torch.dropout(input, p, train)``, ``torch.embedding(weight, indices)``,
losses taking an integer reduction (0 none, 1 mean, 2 sum), the ``native_*`` forms that also
return their saved statistics, the recurrent cells and whole recurrent layers (``torch.lstm``
and kin, on a padded batch or on a PackedSequence's data and batch_sizes). Each one calls
the nn.functional op (or composes ops), so it is the same op on every device, with the same
gradients.

Example:
    >>> x = ember.ones(2, 3)
    >>> ember.dropout(x, 0.5, False).sum().item()
    6.0
    >>> ember.kl_div(ember.zeros(2), ember.ones(2), 2).item()
    0.0
"""

from __future__ import annotations

import ember

from .._tensor import Tensor
from . import functional as F
from .modules.rnn import repack, run_layers, unpack
from .utils.rnn import PackedSequence

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction: int) -> str:
    """torch's Reduction enum as nn.functional's name."""
    if reduction.__class__ is not int or not 0 <= reduction <= 2:
        raise ValueError(f"{reduction} is not a valid value for reduction (0: none, 1: mean, "
                         "2: sum)")
    return _REDUCTIONS[reduction]


# ---- dropout ---------------------------------------------------------------------------

def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Dropout of whole channels: dim 1 of an (N, C, ...) input."""
    return _feature_dropout(input, p, train, False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _feature_dropout(input, p, train, True)


def _feature_dropout(input, p, train, inplace):
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return F._feature_dropout(input, p, train, inplace, 2)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def native_dropout(input: Tensor, p: float, train: bool | None):
    """(output, keep mask); train None counts as training, and outside training the output
    is a copy with an all-True mask."""
    if train is False or p == 0:
        return input.clone(), ember.ones(input.shape, dtype=ember.bool, device=input.device)
    keep = ember.empty(input.shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    scale = 0.0 if p == 1 else 1.0 / (1 - p)
    return input * keep * scale, keep.bool()


# ---- normalization ---------------------------------------------------------------------

def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enable: bool = True) -> Tensor:
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def native_layer_norm(input: Tensor, normalized_shape, weight: Tensor | None,
                      bias: Tensor | None, eps: float):
    """(output, mean, 1/std) with the statistics kept over the normalized dims."""
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    mean = input.mean(dims, keepdim=True)
    rstd = (input.var(dims, unbiased=False, keepdim=True) + eps).rsqrt()
    return F.layer_norm(input, normalized_shape, weight, bias, eps), mean, rstd


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                        eps)


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float):
    """(output, batch mean, 1/batch std) in training; outside it the statistics are empty."""
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = ember.empty(0, dtype=input.dtype, device=input.device)
        return out, empty, empty.clone()
    dims = (0,) + tuple(range(2, input.dim()))
    mean = input.mean(dims)
    return out, mean, (input.var(dims, unbiased=False) + eps).rsqrt()


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enabled: bool = True) -> Tensor:
    return F.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    return F.rms_norm(input, normalized_shape, weight, eps)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The pow-norm of v over every dim but dim, kept as size-1 dims (weight norm's g);
    dim -1: over all of v."""
    if dim == -1:
        return ember.linalg.vector_norm(v, pow)
    others = tuple(d for d in range(v.dim()) if d != dim % v.dim())
    return ember.linalg.vector_norm(v, pow, others, keepdim=True)


# ---- embedding, padding, convolution, sampling -----------------------------------------

def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight by indices (note the order: weight first); padding_idx -1 is none."""
    return F.embedding(indices, weight, padding_idx if padding_idx >= 0 else None,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def constant_pad_nd(input: Tensor, pad, value: float = 0) -> Tensor:
    return F.pad(input, tuple(pad), "constant", value)


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation,
                transposed: bool, output_padding, groups: int) -> Tensor:
    """Convolution or transposed convolution over weight.dim() - 2 spatial dims."""
    dims = weight.dim() - 2
    if not 1 <= dims <= 3:
        raise RuntimeError(f"convolution: expected a 3-D, 4-D or 5-D weight, but got "
                           f"{weight.dim()}-D weight of size {list(weight.shape)}")
    if transposed:
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[dims - 1]
        return conv(input, weight, bias, tuple(stride), tuple(padding), tuple(output_padding),
                    groups, tuple(dilation))
    conv = (F.conv1d, F.conv2d, F.conv3d)[dims - 1]
    return conv(input, weight, bias, tuple(stride), tuple(padding), tuple(dilation), groups)


_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """grid_sample with its modes as torch's enum values (0 bilinear, 1 nearest, 2 bicubic;
    0 zeros, 1 border, 2 reflection)."""
    return F.grid_sample(input, grid, _INTERPOLATION[interpolation_mode],
                         _PADDING[padding_mode], align_corners)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    return F.affine_grid(theta, list(size), align_corners)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    return F.channel_shuffle(input, groups)


# ---- pooling ---------------------------------------------------------------------------

def adaptive_max_pool1d(input: Tensor, output_size):
    """(values, indices), as torch's top-level form always returns both."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode: bool = False):
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                        return_indices=True)


# ---- activations written in place ------------------------------------------------------

def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, generator=None) -> Tensor:
    return F._rrelu(input, lower, upper, training, False, generator)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False, generator=None) -> Tensor:
    return F._rrelu(input, lower, upper, training, True, generator)


def selu_(input: Tensor) -> Tensor:
    return F.selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return F.celu(input, alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return F.threshold(input, threshold, value, inplace=True)


# ---- losses with an integer reduction --------------------------------------------------

def kl_div(input: Tensor, target: Tensor, reduction: int = 1, *,
           log_target: bool = False) -> Tensor:
    """KL divergence; reduction 1 is the mean over every element (nn.functional warns about
    that choice, the native form does not)."""
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    name = _reduction(reduction)
    return loss if name == "none" else loss.mean() if name == "mean" else loss.sum()


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 1) -> Tensor:
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction(reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: int = 1) -> Tensor:
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 1) -> Tensor:
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: int = 1) -> Tensor:
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: int = 1) -> Tensor:
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
             blank: int = 0, reduction: int = 1, zero_infinity: bool = False) -> Tensor:
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction), zero_infinity)


# ---- recurrent cells -------------------------------------------------------------------

def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None):
    """One LSTM step: hx is (h, c); returns the new (h, c)."""
    h, c = hx
    gates = F.linear(input, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step; the reset gate scales the hidden state's part of the candidate."""
    x_r, x_z, x_n = F.linear(input, w_ih, b_ih).chunk(3, 1)
    h_r, h_z, h_n = F.linear(hx, w_hh, b_hh).chunk(3, 1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (hx - n)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    return (F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    return (F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)).relu()


# ---- whole recurrent layers ------------------------------------------------------------
# torch.lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
# batch_first) runs what nn.LSTM runs, with the weights as one flat list; its packed
# overload takes (data, batch_sizes, hx, params, ...) without batch_first.

def lstm(input: Tensor, hx, params, has_biases: bool, num_layers: int, dropout: float,
         train: bool, bidirectional: bool, batch_first: bool):
    """A multi-layer LSTM over input; hx is (h0, c0); returns (output, h_n, c_n). params
    holds per layer and direction w_ih, w_hh, then b_ih, b_hh when has_biases, then w_hr
    when h0's size differs from c0's (projections). The packed overload is
    ``lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
    bidirectional)``; its output is packed data too.

    Example:
        >>> w = [ember.randn(8, 3), ember.randn(8, 2)]
        >>> h0 = c0 = ember.zeros(1, 4, 2)
        >>> out, h, c = ember.lstm(ember.randn(5, 4, 3), (h0, c0), w, False, 1, 0.0, False,
        ...                        False, False)
        >>> out.shape
        ember.Size([5, 4, 2])
    """
    if isinstance(hx, Tensor):  # the packed overload: (data, batch_sizes, hx, params, ...)
        data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = (
            input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first)
        return _packed("LSTM", data, batch_sizes, hx, params, has_biases, num_layers, dropout,
                       train, bidirectional)
    return _padded("LSTM", input, hx, params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def gru(input: Tensor, hx: Tensor, params, has_biases: bool, num_layers: int,
        dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A multi-layer GRU; returns (output, h_n). params and the packed overload
    ``gru(data, batch_sizes, hx, params, ...)`` as in lstm (no projections)."""
    return _dispatch("GRU", input, hx, params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first)


def rnn_tanh(input: Tensor, hx: Tensor, params, has_biases: bool, num_layers: int,
             dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A multi-layer Elman RNN with tanh; returns (output, h_n), as gru."""
    return _dispatch("RNN_TANH", input, hx, params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first)


def rnn_relu(input: Tensor, hx: Tensor, params, has_biases: bool, num_layers: int,
             dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A multi-layer Elman RNN with relu; returns (output, h_n), as gru."""
    return _dispatch("RNN_RELU", input, hx, params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first)


def _dispatch(mode, a, b, c, has_biases, num_layers, dropout, train, bidirectional, last):
    if isinstance(c, Tensor):
        # the packed overload: every argument from the third on sits one place later
        data, batch_sizes, hx, params = a, b, c, has_biases
        out, h, _ = _packed(mode, data, batch_sizes, (hx,), params, num_layers, dropout, train,
                            bidirectional, last)
        return out, h
    out, h, _ = _padded(mode, a, (b,), c, has_biases, num_layers, dropout, train,
                        bidirectional, last)
    return out, h


def _layer_weights(mode: str, params, has_biases: bool, num_layers: int,
                   bidirectional: bool, projected: bool) -> list:
    """The flat params as [w_ih, w_hh, b_ih, b_hh, w_hr] (None where absent) per layer and
    direction."""
    per = 2 + 2 * bool(has_biases) + int(projected)
    count = num_layers * (2 if bidirectional else 1)
    if len(params) != per * count:
        raise RuntimeError(f"{mode.lower()}: expected {per * count} weight tensors ({per} for "
                           f"each of {count} layers and directions), got {len(params)}")
    weights = []
    for k in range(count):
        p = list(params[k * per:(k + 1) * per])
        biases = (p[2], p[3]) if has_biases else (None, None)
        weights.append([p[0], p[1], *biases, p[-1] if projected else None])
    return weights


def _states(mode: str, hx) -> tuple:
    """(h0, c0 or None, whether the LSTM has projections)."""
    if mode != "LSTM":
        return hx[0], None, False
    h0, c0 = hx
    return h0, c0, h0.shape[-1] != c0.shape[-1]


def _padded(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first):
    h0, c0, projected = _states(mode, hx)
    weights = _layer_weights(mode, params, has_biases, num_layers, bidirectional, projected)
    x = input.transpose(0, 1) if batch_first else input
    out, h, c = run_layers(mode, x, h0, c0, weights, num_layers, bidirectional, dropout, train,
                           None)
    return (out.transpose(0, 1) if batch_first else out), h, c


def _packed(mode, data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
            bidirectional):
    h0, c0, projected = _states(mode, hx)
    weights = _layer_weights(mode, params, has_biases, num_layers, bidirectional, projected)
    packed = PackedSequence(data, batch_sizes)
    x, running = unpack(packed)
    out, h, c = run_layers(mode, x, h0, c0, weights, num_layers, bidirectional, dropout, train,
                           running)
    return repack(out, packed).data, h, c


__all__ = ["dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
           "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
           "native_dropout", "layer_norm", "native_layer_norm", "batch_norm",
           "native_batch_norm", "group_norm", "instance_norm", "rms_norm", "norm_except_dim",
           "embedding", "constant_pad_nd", "convolution", "grid_sampler",
           "affine_grid_generator", "native_channel_shuffle", "adaptive_max_pool1d",
           "max_pool1d_with_indices", "rrelu", "rrelu_", "selu_", "celu_", "threshold_",
           "kl_div", "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "poisson_nll_loss", "binary_cross_entropy_with_logits",
           "ctc_loss", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell", "lstm", "gru",
           "rnn_tanh", "rnn_relu"]
