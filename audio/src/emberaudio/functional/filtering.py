"""IIR/FIR filtering: lfilter, filtfilt, the biquad family, pre/de-emphasis.

When no autograd graph is being recorded (no input requires grad, or grad mode is off: the
inference and feature-extraction case) ``lfilter`` is one pass per row over the waveform's
own memory (numerator, denominator and clamp in one sweep, in double): the C kernel
``csrc/lfilter.c`` for CPU tensors, the CUDA kernel ``functional/_lfilter_cuda.cu`` (one
thread per row, through CuPy) for CUDA tensors.

When a graph is recorded it splits the filter in two: the feed-forward part (numerator ``b``)
is a matmul over sliding windows, the feedback recursion (denominator ``a``) runs in the same
kernel with numerator ``[1]`` on the tensors' device. The recursion is an autograd Function
whose backward is the same recursion run backwards in time, so gradients (and gradients of
gradients) reach the waveform and both coefficient sets.
"""

from __future__ import annotations

import math

import ember

from .. import _cuda, _native
from ._util import pad_last

__all__ = ["lfilter", "filtfilt", "biquad", "lowpass_biquad", "highpass_biquad",
           "bandpass_biquad", "bandreject_biquad", "allpass_biquad", "equalizer_biquad",
           "band_biquad", "bass_biquad", "treble_biquad", "deemph_biquad", "riaa_biquad",
           "preemphasis", "deemphasis"]


class _AllPole(ember.autograd.Function):
    """y[t] = x[t] - sum_{k>=1} a[k] y[t - k] on (batch, channel, time), a (channel, order)."""

    @staticmethod
    def forward(ctx, x, a):
        b = ember.zeros(a.shape, dtype=a.dtype, device=a.device)
        b[:, 0] = 1.0  # numerator [1, 0, ...]: the kernel runs the recursion alone
        y = _kernel(x)(x.detach(), a.detach(), b, False)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        a, y = ctx.saved_tensors
        # dL/dx is the same recursion run on the reversed gradient
        gx = _AllPole.apply(grad.flip(-1).contiguous(), a).flip(-1)
        ga = None
        if ctx.needs_input_grad[1]:
            order, n_time = a.shape[1], y.shape[-1]
            # windows[b, c, j, t] = y[b, c, t - (order - 1 - j)] (zero before the start)
            windows = pad_last(y, order - 1, 0).unfold(-1, n_time, 1)
            corr = (windows * gx.unsqueeze(-2)).sum(dim=(0, 3)).flip(-1)  # index k = lag
            keep = ember.ones(order, dtype=corr.dtype, device=corr.device)
            keep[0] = 0.0  # a[:, 0] is the normaliser, not part of the recursion
            ga = -corr * keep
        return gx, ga


def _fir(x: ember.Tensor, b: ember.Tensor) -> ember.Tensor:
    """sum_k b[c, k] x[b, c, t - k] on (batch, channel, time) with zero history."""
    order = b.shape[1]
    windows = pad_last(x, order - 1, 0).unfold(-1, order, 1)  # (B, C, T, order)
    return ember.matmul(windows, b.flip(-1).unsqueeze(-1)).squeeze(-1)


def _kernel(x: ember.Tensor):
    """The one-pass filter for x's device: the C kernel or the CUDA kernel."""
    return _native.lfilter if x.device.type == "cpu" else _cuda.lfilter


def _fast(*tensors: ember.Tensor) -> bool:
    """Whether the one-pass kernel may run: no autograd graph to record."""
    return not (ember.is_grad_enabled() and any(t.requires_grad for t in tensors))


def _prepare(waveform: ember.Tensor, a_coeffs: ember.Tensor, b_coeffs: ember.Tensor,
             batching: bool) -> tuple[ember.Tensor, ember.Tensor, ember.Tensor, tuple]:
    """Checks lfilter's arguments; gives x (rows, n_filters, time) viewing the waveform where
    it can, a and b (n_filters, order + 1) in the waveform's dtype, and the output shape."""
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(f"Expected coeffs to be the same size. Found a_coeffs size: "
                         f"{list(a_coeffs.shape)}, b_coeffs size: {list(b_coeffs.shape)}")
    if a_coeffs.ndim > 2 or a_coeffs.ndim == 0:
        raise ValueError(f"Expected coeffs to be 1D or 2D, but got {a_coeffs.ndim}D.")
    if not waveform.dtype.is_floating_point:
        raise TypeError(f"lfilter expects a floating point waveform, got {waveform.dtype}")
    if waveform.dtype not in (ember.float32, ember.float64):
        waveform = waveform.to(ember.float32)
    if a_coeffs.ndim > 1:
        if batching:
            if waveform.ndim < 2 or waveform.shape[-2] != a_coeffs.shape[0]:
                raise ValueError(f"Expected waveform to have at least 2 dimensions with the "
                                 f"second-to-last dim equal to the number of filters "
                                 f"({a_coeffs.shape[0]}), got shape {list(waveform.shape)}.")
        else:  # every filter sees the whole waveform: a broadcast view, not n_filters copies
            waveform = waveform.unsqueeze(-2).expand(
                *waveform.shape[:-1], a_coeffs.shape[0], waveform.shape[-1])
        rows = math.prod(waveform.shape[:-2])
    else:
        a_coeffs, b_coeffs = a_coeffs.unsqueeze(0), b_coeffs.unsqueeze(0)
        rows = math.prod(waveform.shape[:-1])
    a_coeffs, b_coeffs = a_coeffs.to(waveform.dtype), b_coeffs.to(waveform.dtype)
    shape = waveform.shape
    return waveform.reshape(rows, a_coeffs.shape[0], shape[-1]), a_coeffs, b_coeffs, shape


def lfilter(waveform: ember.Tensor, a_coeffs: ember.Tensor, b_coeffs: ember.Tensor,
            clamp: bool = True, batching: bool = True) -> ember.Tensor:
    """IIR filter ``a[0] y[t] = sum_k b[k] x[t-k] - sum_{k>=1} a[k] y[t-k]`` along the last dim.

    Coefficients are ``(order + 1,)`` or ``(n_filters, order + 1)``; with 2-D coefficients and
    ``batching=True`` the waveform's second-to-last dim must equal n_filters (filter i applies
    to row i), otherwise every filter applies to the whole waveform. ``clamp`` clips the
    output to [-1, 1].

    Example:
        >>> x = ember.tensor([1.0, 0.0, 0.0, 0.0])
        >>> lfilter(x, ember.tensor([1.0, -0.5]), ember.tensor([1.0, 0.0])).tolist()
        [1.0, 0.5, 0.25, 0.125]
    """
    x, a, b, shape = _prepare(waveform, a_coeffs, b_coeffs, batching)
    if _fast(x, a, b):
        return _kernel(x)(x, a, b, clamp).reshape(shape)
    a0 = a[:, :1]
    y = _AllPole.apply(_fir(x, b / a0).contiguous(), a / a0)
    if clamp:
        y = ember.clamp(y, -1.0, 1.0)
    return y.reshape(shape)


def filtfilt(waveform: ember.Tensor, a_coeffs: ember.Tensor, b_coeffs: ember.Tensor,
             clamp: bool = True) -> ember.Tensor:
    """Zero-phase filtering: ``lfilter`` forward, then again over the reversed result.

    Example:
        >>> x = ember.zeros(9); x[4] = 1.0
        >>> y = filtfilt(x, ember.tensor([1.0, -0.5]), ember.tensor([0.5, 0.0]))
        >>> y.argmax().item()  # zero phase: the peak does not move
        4
    """
    x, a, b, shape = _prepare(waveform, a_coeffs, b_coeffs, True)
    if _fast(x, a, b):
        # the backward pass reads each row from its end and overwrites it in place: no flips
        y = _kernel(x)(x, a, b, False)
        return _kernel(x)(y, a, b, clamp, out=y, reverse=True).reshape(shape)
    forward = lfilter(waveform, a_coeffs, b_coeffs, clamp=False, batching=True)
    return lfilter(forward.flip(-1), a_coeffs, b_coeffs, clamp=clamp, batching=True).flip(-1)


def _coef(value, like: ember.Tensor) -> ember.Tensor:
    return ember.as_tensor(value, dtype=like.dtype).to(like.device)


def biquad(waveform: ember.Tensor, b0, b1, b2, a0, a1, a2) -> ember.Tensor:
    """Second-order IIR filter with the given coefficients (floats or 0-d tensors).

    Example:
        >>> biquad(ember.tensor([1.0, 0.0, 0.0]), 1.0, 0.0, 0.0, 1.0, -0.5, 0.0).tolist()
        [1.0, 0.5, 0.25]
    """
    a = ember.stack([_coef(c, waveform) for c in (a0, a1, a2)])
    b = ember.stack([_coef(c, waveform) for c in (b0, b1, b2)])
    return lfilter(waveform, a, b)


def _w0_alpha(waveform, sample_rate, freq, Q):
    w0 = 2 * math.pi * _coef(freq, waveform) / sample_rate
    return w0, ember.sin(w0) / 2 / _coef(Q, waveform)


def lowpass_biquad(waveform: ember.Tensor, sample_rate: int, cutoff_freq, Q=0.707
                   ) -> ember.Tensor:
    """Two-pole low-pass filter (RBJ Audio EQ Cookbook).

    Example:
        >>> y = lowpass_biquad(ember.ones(400) * 0.5, 8000, 1000.0)
        >>> round(y[-1].item(), 4)
        0.5
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    cos = ember.cos(w0)
    b0 = (1 - cos) / 2
    return biquad(waveform, b0, 1 - cos, b0, 1 + alpha, -2 * cos, 1 - alpha)


def highpass_biquad(waveform: ember.Tensor, sample_rate: int, cutoff_freq, Q=0.707
                    ) -> ember.Tensor:
    """Two-pole high-pass filter (RBJ Audio EQ Cookbook).

    Example:
        >>> y = highpass_biquad(ember.ones(400) * 0.5, 8000, 1000.0)
        >>> abs(y[-1].item()) < 1e-4
        True
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    cos = ember.cos(w0)
    b0 = (1 + cos) / 2
    return biquad(waveform, b0, -1 - cos, b0, 1 + alpha, -2 * cos, 1 - alpha)


def bandpass_biquad(waveform: ember.Tensor, sample_rate: int, central_freq, Q=0.707,
                    const_skirt_gain: bool = False) -> ember.Tensor:
    """Two-pole band-pass filter; ``const_skirt_gain`` gives peak gain Q instead of 0 dB.

    Example:
        >>> bandpass_biquad(ember.zeros(4), 8000, 1000.0).tolist()
        [0.0, 0.0, 0.0, 0.0]
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    cos = ember.cos(w0)
    temp = ember.sin(w0) / 2 if const_skirt_gain else alpha
    return biquad(waveform, temp, 0.0, -temp, 1 + alpha, -2 * cos, 1 - alpha)


def bandreject_biquad(waveform: ember.Tensor, sample_rate: int, central_freq, Q=0.707
                      ) -> ember.Tensor:
    """Two-pole band-reject (notch) filter.

    Example:
        >>> y = bandreject_biquad(ember.ones(400) * 0.5, 8000, 1000.0)
        >>> round(y[-1].item(), 4)
        0.5
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    cos = ember.cos(w0)
    return biquad(waveform, 1.0, -2 * cos, 1.0, 1 + alpha, -2 * cos, 1 - alpha)


def allpass_biquad(waveform: ember.Tensor, sample_rate: int, central_freq, Q=0.707
                   ) -> ember.Tensor:
    """Two-pole all-pass filter (unit magnitude, frequency-dependent phase).

    Example:
        >>> y = allpass_biquad(ember.ones(400) * 0.5, 8000, 1000.0)
        >>> round(y[-1].item(), 4)
        0.5
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    cos = ember.cos(w0)
    return biquad(waveform, 1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha)


def equalizer_biquad(waveform: ember.Tensor, sample_rate: int, center_freq, gain, Q=0.707
                     ) -> ember.Tensor:
    """Peaking equalizer: ``gain`` dB around ``center_freq``.

    Example:
        >>> y = equalizer_biquad(ember.ones(400) * 0.5, 8000, 1000.0, 6.0)
        >>> round(y[-1].item(), 3)
        0.5
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, center_freq, Q)
    cos = ember.cos(w0)
    A = ember.exp(_coef(gain, waveform) / 40.0 * math.log(10))
    return biquad(waveform, 1 + alpha * A, -2 * cos, 1 - alpha * A, 1 + alpha / A, -2 * cos,
                  1 - alpha / A)


def band_biquad(waveform: ember.Tensor, sample_rate: int, central_freq, Q=0.707,
                noise: bool = False) -> ember.Tensor:
    """Two-pole band-pass filter as SoX's ``band`` effect; ``noise`` selects the mode for
    unpitched audio (constant noise power instead of constant tone gain).

    Example:
        >>> band_biquad(ember.zeros(3), 8000, 1000.0).tolist()
        [0.0, 0.0, 0.0]
    """
    central_freq = _coef(central_freq, waveform)
    w0 = 2 * math.pi * central_freq / sample_rate
    bw_hz = central_freq / _coef(Q, waveform)
    a2 = ember.exp(-2 * math.pi * bw_hz / sample_rate)
    a1 = -4 * a2 / (1 + a2) * ember.cos(w0)
    b0 = ember.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    if noise:
        b0 = ember.sqrt(((1 + a2) * (1 + a2) - a1 * a1) * (1 - a2) / (1 + a2)) / b0 * b0
    return biquad(waveform, b0, 0.0, 0.0, 1.0, a1, a2)


def _shelf(waveform, sample_rate, gain, central_freq, Q, high: bool):
    """RBJ shelving filter (low shelf, or high shelf with ``high``) as
    ``(b0, b1, b2, a0, a1, a2)``; ``Q`` is the slope's quality factor."""
    w0 = 2 * math.pi * _coef(central_freq, waveform) / sample_rate
    alpha = ember.sin(w0) / 2 / _coef(Q, waveform)
    A = ember.exp(_coef(gain, waveform) / 40 * math.log(10))
    s = 1.0 if high else -1.0  # the high shelf is the low one with cos(w0) negated
    temp1 = 2 * ember.sqrt(A) * alpha
    temp2 = (A - 1) * ember.cos(w0) * s
    temp3 = (A + 1) * ember.cos(w0)
    return (A * ((A + 1) + temp2 + temp1), -2 * s * A * ((A - 1) + s * temp3),
            A * ((A + 1) + temp2 - temp1), (A + 1) - temp2 + temp1,
            2 * s * ((A - 1) - s * temp3), (A + 1) - temp2 - temp1)


def bass_biquad(waveform: ember.Tensor, sample_rate: int, gain, central_freq=100, Q=0.707
                ) -> ember.Tensor:
    """Low-shelf filter: boosts or cuts (``gain`` dB) frequencies below ``central_freq``.

    Example:
        >>> y = bass_biquad(ember.ones(2000) * 0.1, 8000, 6.0)
        >>> round(y[-1].item() / 0.1, 2)  # DC gets the full 6 dB
        2.0
    """
    b0, b1, b2, a0, a1, a2 = _shelf(waveform, sample_rate, gain, central_freq, Q, False)
    return biquad(waveform, b0 / a0, b1 / a0, b2 / a0, a0 / a0, a1 / a0, a2 / a0)


def treble_biquad(waveform: ember.Tensor, sample_rate: int, gain, central_freq=3000, Q=0.707
                  ) -> ember.Tensor:
    """High-shelf filter: boosts or cuts (``gain`` dB) frequencies above ``central_freq``.

    Example:
        >>> y = treble_biquad(ember.ones(400) * 0.5, 8000, 6.0)
        >>> round(y[-1].item(), 4)  # DC passes unchanged
        0.5
    """
    return biquad(waveform, *_shelf(waveform, sample_rate, gain, central_freq, Q, True))


def deemph_biquad(waveform: ember.Tensor, sample_rate: int) -> ember.Tensor:
    """CD-style de-emphasis (a high shelf of about -9.5 dB above 5 kHz); ``sample_rate`` must
    be 44100 or 48000.

    Example:
        >>> deemph_biquad(ember.zeros(3), 44100).tolist()
        [0.0, 0.0, 0.0]
    """
    if sample_rate == 44100:
        central_freq, width_slope, gain = 5283, 0.4845, -9.477
    elif sample_rate == 48000:
        central_freq, width_slope, gain = 5356, 0.479, -9.62
    else:
        raise ValueError("Sample rate must be 44100 (audio-CD) or 48000 (DAT)")
    w0 = 2 * math.pi * central_freq / sample_rate
    A = math.exp(gain / 40.0 * math.log(10))
    alpha = math.sin(w0) / 2 * math.sqrt((A + 1 / A) * (1 / width_slope - 1) + 2)
    temp1, temp2, temp3 = 2 * math.sqrt(A) * alpha, (A - 1) * math.cos(w0), \
        (A + 1) * math.cos(w0)
    return biquad(waveform, A * ((A + 1) + temp2 + temp1), -2 * A * ((A - 1) + temp3),
                  A * ((A + 1) + temp2 - temp1), (A + 1) - temp2 + temp1,
                  2 * ((A - 1) - temp3), (A + 1) - temp2 - temp1)


# RIAA playback equalisation: (zeros, poles) of the bilinear-transformed curve per rate
_RIAA = {44100: ((-0.2014898, 0.9233820), (0.7083149, 0.9924091)),
         48000: ((-0.1766069, 0.9321590), (0.7396325, 0.9931330)),
         88200: ((-0.1168735, 0.9648312), (0.8590646, 0.9964002)),
         96000: ((-0.1141486, 0.9676817), (0.8699137, 0.9966946))}


def riaa_biquad(waveform: ember.Tensor, sample_rate: int) -> ember.Tensor:
    """RIAA vinyl playback equalisation, 0 dB at 1 kHz; ``sample_rate`` 44.1/48/88.2/96 kHz.

    Example:
        >>> riaa_biquad(ember.zeros(3), 44100).tolist()
        [0.0, 0.0, 0.0]
    """
    if sample_rate not in _RIAA:
        raise ValueError("Sample rate must be 44.1k, 48k, 88.2k, or 96k")
    (z0, z1), (p0, p1) = _RIAA[sample_rate]
    b = [1.0, -(z0 + z1), z0 * z1]
    a = [1.0, -(p0 + p1), p0 * p1]
    # the magnitude of b(e^-jw) / a(e^-jw) at 1 kHz, made 1
    w = 2 * math.pi * 1000 / sample_rate
    b_re, a_re = (sum(c * math.cos(-k * w) for k, c in enumerate(v)) for v in (b, a))
    b_im, a_im = (sum(c * math.sin(-k * w) for k, c in enumerate(v)) for v in (b, a))
    g = 1 / math.sqrt((b_re ** 2 + b_im ** 2) / (a_re ** 2 + a_im ** 2))
    return biquad(waveform, b[0] * g, b[1] * g, b[2] * g, *a)


def preemphasis(waveform: ember.Tensor, coeff: float = 0.97) -> ember.Tensor:
    """``y[t] = x[t] - coeff * x[t - 1]`` along the last dim (``y[0] = x[0]``).

    Example:
        >>> preemphasis(ember.tensor([1.0, 1.0, 1.0]), 0.5).tolist()
        [1.0, 0.5, 0.5]
    """
    return ember.cat([waveform[..., :1], waveform[..., 1:] - coeff * waveform[..., :-1]], -1)


def deemphasis(waveform: ember.Tensor, coeff: float = 0.97) -> ember.Tensor:
    """Inverse of :func:`preemphasis`: ``y[t] = x[t] + coeff * y[t - 1]``, clamped to
    [-1, 1] as torchaudio's (it runs ``lfilter`` with its default ``clamp=True``).

    Example:
        >>> deemphasis(ember.tensor([1.0, 0.5, 0.5]), 0.5).tolist()
        [1.0, 1.0, 1.0]
    """
    a = ember.tensor([1.0, -coeff], dtype=waveform.dtype, device=waveform.device)
    b = ember.tensor([1.0, 0.0], dtype=waveform.dtype, device=waveform.device)
    return lfilter(waveform, a, b)
