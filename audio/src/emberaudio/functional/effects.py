"""Amplitude/dB and mu-law conversions, deltas, gain, dither, fades, noise, convolution, masks."""

from __future__ import annotations

import math

import ember

from ._util import pad_last
from .windows import bartlett_window

__all__ = ["amplitude_to_DB", "DB_to_amplitude", "mu_law_encoding", "mu_law_decoding",
           "compute_deltas", "gain", "dither", "fade", "add_noise", "convolve",
           "fftconvolve", "mask_along_axis", "mask_along_axis_iid"]


def amplitude_to_DB(x: ember.Tensor, multiplier: float, amin: float, db_multiplier: float,
                    top_db: float | None = None) -> ember.Tensor:
    """``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, floored at max - top_db.

    The floor is per spectrogram: over the last three dims for batched input (..., C, F, T).

    Example:
        >>> amplitude_to_DB(ember.tensor([[1.0, 100.0, 0.0]]), 10.0, 1e-10, 0.0, 80.0).tolist()
        [[0.0, 20.0, -60.0]]
    """
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        packed = shape[-3] if x_db.ndim > 2 else 1
        x_db = x_db.reshape(-1, packed, shape[-2], shape[-1])
        floor = (x_db.amax(dim=(-3, -2, -1)) - top_db).reshape(-1, 1, 1, 1)
        x_db = ember.maximum(x_db, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x: ember.Tensor, ref: float, power: float) -> ember.Tensor:
    """Inverse of :func:`amplitude_to_DB`: ``ref * (10 ** (x / 10)) ** power``.

    Example:
        >>> DB_to_amplitude(ember.tensor([0.0, 20.0]), 1.0, 1.0).tolist()
        [1.0, 100.0]
    """
    return ref * ember.pow(ember.pow(10.0, 0.1 * x), power)


def mu_law_encoding(x: ember.Tensor, quantization_channels: int) -> ember.Tensor:
    """Mu-law companding of a signal in [-1, 1] to integers in [0, channels - 1] (int64).

    Example:
        >>> mu_law_encoding(ember.tensor([-1.0, 0.0, 1.0]), 256).tolist()
        [0, 128, 255]
    """
    mu = quantization_channels - 1.0
    if not x.dtype.is_floating_point:
        x = x.to(ember.float32)
    x_mu = ember.sign(x) * ember.log1p(mu * ember.abs(x)) / math.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(ember.int64)


def mu_law_decoding(x_mu: ember.Tensor, quantization_channels: int) -> ember.Tensor:
    """Inverse of :func:`mu_law_encoding`.

    Example:
        >>> mu_law_decoding(ember.tensor([0, 255]), 256).tolist()
        [-1.0, 1.0]
    """
    mu = quantization_channels - 1.0
    if not x_mu.dtype.is_floating_point:
        x_mu = x_mu.to(ember.float32)
    x = (x_mu / mu) * 2 - 1.0
    return ember.sign(x) * (ember.exp(ember.abs(x) * math.log1p(mu)) - 1.0) / mu


def compute_deltas(specgram: ember.Tensor, win_length: int = 5, mode: str = "replicate"
                   ) -> ember.Tensor:
    """Delta coefficients along time: ``sum_n n (c[t+n] - c[t-n]) / (2 sum_n n^2)``.

    Example:
        >>> compute_deltas(ember.arange(6.0).reshape(1, 6), 3).tolist()
        [[0.5, 1.0, 1.0, 1.0, 1.0, 0.5]]
    """
    if win_length < 3:
        raise ValueError(f"Window length should be greater than or equal to 3. "
                         f"Found win_length {win_length}")
    shape = specgram.shape
    x = specgram.reshape(-1, shape[-1])
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    weights = ember.arange(-n, n + 1, dtype=x.dtype) / denom
    windows = pad_last(x, n, n, mode).unfold(-1, 2 * n + 1, 1)  # (rows, time, 2n + 1)
    return ember.matmul(windows, weights).reshape(shape)


def gain(waveform: ember.Tensor, gain_db: float = 1.0) -> ember.Tensor:
    """Scales by ``gain_db`` decibels (amplitude ratio ``10 ** (gain_db / 20)``).

    Example:
        >>> gain(ember.tensor([0.1]), 20.0).tolist()
        [1.0]
    """
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)


def dither(waveform: ember.Tensor, density_function: str = "TPDF", noise_shaping: bool = False
           ) -> ember.Tensor:
    """Quantises to 16 bits with dither, as torchaudio (and its quirks) do.

    ``density_function`` is ``"TPDF"`` (a triangular ramp over time is added before rounding),
    ``"RPDF"`` or ``"GPDF"`` (a sample of the signal itself is used as the offset, drawn with
    ember's global RNG). ``noise_shaping`` feeds the quantisation error of each sample into
    the next.

    Example:
        >>> y = dither(ember.zeros(1, 8))
        >>> bool((y.abs() <= 1 / 32768).all())
        True
    """
    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    channel_size, time_size = x.shape[0] - 1, x.shape[-1] - 1

    def draw(high: int) -> int:
        return int(ember.randint(0, high, (1,)).item()) if high > 0 else 0

    random_channel, random_time = draw(channel_size), draw(time_size)
    up_scaling, down_scaling = 2 ** 15 - 2, 2 ** 15
    scaled = x * up_scaling
    if density_function == "RPDF":
        offset = x[random_channel][random_time] - 0.5
    elif density_function == "GPDF":
        offset = x[random_channel][random_time]
        for _ in range(6):
            offset = offset + x[draw(channel_size)][draw(time_size)]
    else:
        offset = bartlett_window(time_size + 1, dtype=x.dtype).repeat(channel_size + 1, 1)
    dithered = ember.round(scaled + offset) / down_scaling
    if noise_shaping:
        error = dithered - x
        dithered = dithered + pad_last(error[..., :-1], 1, 0)  # add error[t - 1] to sample t
    return dithered.reshape(shape)


def _fade_curve(length: int, shape: str, rising: bool, device) -> ember.Tensor:
    """The fade-in (``rising``) or fade-out ramp in the default dtype, with torchaudio's
    formulas (its exponential fades are ``2 ** (t - 1) * t`` and ``2 ** -t * (1 - t)``)."""
    t = ember.linspace(0, 1, length, device=device)
    if shape == "linear":
        return t if rising else -t + 1
    if shape == "exponential":
        return ember.pow(2.0, t - 1) * t if rising else ember.pow(2.0, -t) * (1 - t)
    if shape == "logarithmic":
        return ember.log10(0.1 + t) + 1 if rising else ember.log10(1.1 - t) + 1
    if shape == "quarter_sine":
        return ember.sin(t * math.pi / 2 + (0.0 if rising else math.pi / 2))
    if shape == "half_sine":
        return ember.sin(t * math.pi + (-math.pi / 2 if rising else math.pi / 2)) / 2 + 0.5
    raise ValueError(f"fade_shape must be one of linear, exponential, logarithmic, "
                     f"quarter_sine or half_sine, got {shape!r}")


def fade(waveform: ember.Tensor, fade_in_len: int = 0, fade_out_len: int = 0,
         fade_shape: str = "linear") -> ember.Tensor:
    """Fades the start (``fade_in_len`` samples) and end (``fade_out_len``) of the last dim.

    Shapes: ``"linear"``, ``"exponential"``, ``"logarithmic"``, ``"quarter_sine"``,
    ``"half_sine"``.

    Example:
        >>> fade(ember.ones(5), 3, 0).tolist()
        [0.0, 0.5, 1.0, 1.0, 1.0]
    """
    length = waveform.shape[-1]
    if fade_in_len > length or fade_out_len > length:
        raise ValueError(f"fade lengths ({fade_in_len}, {fade_out_len}) exceed the waveform "
                         f"length {length}")
    dev = waveform.device
    ones = ember.ones(length, device=dev)
    fade_in = ember.cat([_fade_curve(fade_in_len, fade_shape, True, dev), ones[fade_in_len:]])
    fade_out = ember.cat([ones[fade_out_len:], _fade_curve(fade_out_len, fade_shape, False,
                                                           dev)])
    return ember.clamp(fade_in, 0, 1) * ember.clamp(fade_out, 0, 1) * waveform


def add_noise(waveform: ember.Tensor, noise: ember.Tensor, snr: ember.Tensor,
              lengths: ember.Tensor | None = None) -> ember.Tensor:
    """Adds ``noise`` scaled so the signal-to-noise ratio is ``snr`` dB (per leading index).

    ``waveform`` and ``noise`` are ``(..., L)``, ``snr`` (and ``lengths``, the valid length of
    each signal) are ``(...)``.

    Example:
        >>> x = ember.tensor([[1.0, -1.0, 1.0, -1.0]])
        >>> y = add_noise(x, ember.tensor([[0.5, 0.5, 0.5, 0.5]]), ember.tensor([20.0]))
        >>> [round(v, 3) for v in (y - x)[0].tolist()]
        [0.1, 0.1, 0.1, 0.1]
    """
    if not (waveform.ndim - 1 == noise.ndim - 1 == snr.ndim
            and (lengths is None or lengths.ndim == snr.ndim)):
        raise ValueError("Input leading dimensions don't match.")
    L = waveform.shape[-1]
    if L != noise.shape[-1]:
        raise ValueError(f"Length dimensions of waveform and noise don't match (got {L} and "
                         f"{noise.shape[-1]}).")
    if lengths is not None:
        mask = ember.arange(0, L).expand(*waveform.shape) < lengths.unsqueeze(-1)
        masked_waveform, masked_noise = waveform * mask, noise * mask
    else:
        masked_waveform, masked_noise = waveform, noise
    energy_signal = (masked_waveform * masked_waveform).sum(-1)
    energy_noise = (masked_noise * masked_noise).sum(-1)
    original_snr_db = 10 * (ember.log10(energy_signal) - ember.log10(energy_noise))
    scale = 10 ** ((original_snr_db - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise


def convolve(x: ember.Tensor, y: ember.Tensor, mode: str = "full") -> ember.Tensor:
    """Linear convolution of ``x`` and ``y`` along the last dim (leading dims broadcast).

    ``mode``: ``"full"`` (length N + M - 1), ``"valid"`` (max - min + 1), ``"same"`` (N, x's
    length). Direct form: sliding windows times the reversed shorter signal, one batched
    matmul (cost N * M; an FFT method waits for ``ember.fft``).

    Example:
        >>> convolve(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([0.0, 1.0, 0.5])).tolist()
        [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    if mode not in ("full", "valid", "same"):
        raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of 'full', "
                         f"'valid', 'same'.")
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("x and y must have at least one dimension")
    x_size, y_size = x.shape[-1], y.shape[-1]
    if x_size < y_size:
        x, y = y, x
    lead = ember.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    x = x.broadcast_to((*lead, x.shape[-1]))
    y = y.broadcast_to((*lead, y.shape[-1]))
    m = y.shape[-1]
    windows = pad_last(x, m - 1, m - 1).unfold(-1, m, 1)  # (..., N + M - 1, M)
    out = ember.matmul(windows, y.flip(-1).unsqueeze(-1)).squeeze(-1)
    if mode == "full":
        return out
    target = x_size if mode == "same" else max(x_size, y_size) - min(x_size, y_size) + 1
    start = (out.shape[-1] - target) // 2
    return out[..., start:start + target]


def fftconvolve(x: ember.Tensor, y: ember.Tensor, mode: str = "full") -> ember.Tensor:
    """Linear convolution along the last dim via FFTs: ``irfft(rfft(x) * rfft(y))``.

    Same modes and broadcasting as :func:`convolve`; cost O((N + M) log(N + M)), the better
    choice for long kernels.

    Example:
        >>> y = fftconvolve(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([0.0, 1.0, 0.5]))
        >>> [round(v, 4) for v in y.tolist()]
        [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    if x.ndim != y.ndim:
        raise ValueError(f"The operands must be the same dimension (got {x.ndim} and {y.ndim}).")
    for xi, yi in zip(x.shape[:-1], y.shape[:-1]):
        if not (xi == yi or xi == 1 or yi == 1):
            raise ValueError(f"Leading dimensions of x and y are not broadcastable (got "
                             f"{x.shape} and {y.shape}).")
    if mode not in ("full", "valid", "same"):
        raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of "
                         f"['full', 'valid', 'same'].")
    x_size, y_size = x.shape[-1], y.shape[-1]
    n = x_size + y_size - 1
    out = ember.fft.irfft(ember.fft.rfft(x, n=n) * ember.fft.rfft(y, n=n), n=n)
    if mode == "full":
        return out
    target = x_size if mode == "same" else max(x_size, y_size) - min(x_size, y_size) + 1
    start = (n - target) // 2
    return out[..., start:start + target]


def _mask_param(mask_param: int, p: float, axis_length: int) -> int:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def mask_along_axis(specgram: ember.Tensor, mask_param: int, mask_value: float, axis: int,
                    p: float = 1.0) -> ember.Tensor:
    """One random band ``[v0, v0 + v)`` (``v ~ U[0, mask_param)``) filled with ``mask_value``.

    ``axis`` is ``ndim - 2`` (frequency) or ``ndim - 1`` (time); every leading index shares
    the band. ``p`` caps the width at ``p * axis_length``.

    Example:
        >>> _ = ember.manual_seed(0)
        >>> y = mask_along_axis(ember.ones(1, 4, 10), 5, 0.0, 2)
        >>> int((y == 0).sum().item()) % 4
        0
    """
    dim = specgram.ndim
    if dim < 2:
        raise ValueError(f"Spectrogram must have at least two dimensions ({dim} given).")
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"Only Frequency and Time masking are supported (axis {dim - 2} and "
                         f"axis {dim - 1} supported; {axis} given).")
    mask_param = _mask_param(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    size = specgram.shape[axis]
    # float32 draws and arithmetic, as torchaudio's, so equal draws give equal bands
    value = ember.rand(1) * mask_param
    min_value = ember.rand(1) * (size - value)
    start = int(min_value.long().item())
    end = start + int(value.long().item())
    positions = ember.arange(size, device=specgram.device)
    mask = (positions >= start) & (positions < end)
    if axis == dim - 2:
        mask = mask.unsqueeze(-1)
    return specgram.masked_fill(mask, mask_value)


def mask_along_axis_iid(specgrams: ember.Tensor, mask_param: int, mask_value: float, axis: int,
                        p: float = 1.0) -> ember.Tensor:
    """Like :func:`mask_along_axis` with an independent band per leading index.

    ``specgrams`` is ``(batch, channel, freq, time)`` or ``(batch, freq, time)``.

    Example:
        >>> y = mask_along_axis_iid(ember.ones(3, 1, 4, 10), 5, 0.0, 3)
        >>> y.shape
        ember.Size([3, 1, 4, 10])
    """
    dim = specgrams.ndim
    if dim < 3:
        raise ValueError(f"Spectrogram must have at least three dimensions ({dim} given).")
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"Only Frequency and Time masking are supported (axis {dim - 2} and "
                         f"axis {dim - 1} supported; {axis} given).")
    mask_param = _mask_param(mask_param, p, specgrams.shape[axis])
    if mask_param < 1:
        return specgrams
    dtype = specgrams.dtype if specgrams.dtype.is_floating_point else ember.float32
    lead = specgrams.shape[:dim - 2]
    value = ember.rand(*lead, dtype=dtype, device=specgrams.device) * mask_param
    min_value = ember.rand(*lead, dtype=dtype, device=specgrams.device) * (
        specgrams.shape[axis] - value)
    start = min_value.to(ember.int64).unsqueeze(-1).unsqueeze(-1)
    end = (min_value.to(ember.int64) + value.to(ember.int64)).unsqueeze(-1).unsqueeze(-1)
    positions = ember.arange(specgrams.shape[axis], device=specgrams.device)
    moved = specgrams.transpose(axis, -1)
    masked = moved.masked_fill((positions >= start) & (positions < end), mask_value)
    return masked.transpose(axis, -1)
