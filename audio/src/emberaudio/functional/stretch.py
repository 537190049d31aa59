"""Time stretching by phase vocoder, and pitch shifting (stretch, then resample)."""

from __future__ import annotations

import math

import ember
from ember.nn import functional as NF

from .resample import resample
from .spectral import _stft

__all__ = ["phase_vocoder", "pitch_shift"]


def phase_vocoder(complex_specgrams: ember.Tensor, rate: float,
                  phase_advance: ember.Tensor) -> ember.Tensor:
    """Speeds a complex ``(..., freq, time)`` STFT up by ``rate`` without changing pitch.

    Output frame ``k`` sits at input time ``k * rate``: its magnitude interpolates the two
    neighbouring frames, its phase accumulates their phase difference (unwrapped around
    ``phase_advance``, the expected advance per hop, ``(freq, 1)``).

    Example:
        >>> spec = ember.stft(ember.randn(2000), 256, 64, window=ember.hann_window(256),
        ...                   return_complex=True)
        >>> adv = ember.linspace(0, math.pi * 64, 129).unsqueeze(-1)
        >>> phase_vocoder(spec, 2.0, adv).shape
        ember.Size([129, 16])
    """
    if rate == 1.0:
        return complex_specgrams
    shape = complex_specgrams.shape
    specs = complex_specgrams.reshape(-1, shape[-2], shape[-1])
    real_dtype = ember.real(specs).dtype
    time_steps = ember.arange(0, specs.shape[-1], rate, dtype=real_dtype, device=specs.device)
    alphas = time_steps % 1.0
    # magnitudes and angles are taken before selecting frames: both are real, and the
    # selected frames are the same either way
    norms = NF.pad(specs.abs(), (0, 2))
    angles = NF.pad(specs.angle(), (0, 2))
    idx0 = time_steps.long()
    idx1 = (time_steps + 1).long()
    angle_0, angle_1 = angles.index_select(-1, idx0), angles.index_select(-1, idx1)
    norm_0, norm_1 = norms.index_select(-1, idx0), norms.index_select(-1, idx1)
    phase = angle_1 - angle_0 - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi))
    phase = phase + phase_advance
    phase = ember.cat([angles[..., :1], phase[..., :-1]], dim=-1)
    phase_acc = ember.cumsum(phase, -1)
    mag = alphas * norm_1 + (1 - alphas) * norm_0
    stretched = ember.polar(mag, phase_acc)
    return stretched.reshape(*shape[:-2], *stretched.shape[1:])


def _stretch_waveform(waveform: ember.Tensor, n_steps: float, bins_per_octave: int, n_fft: int,
                      win_length: int | None, hop_length: int | None,
                      window: ember.Tensor | None) -> ember.Tensor:
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if window is None:
        window = ember.hann_window(win_length, dtype=waveform.dtype, device=waveform.device)
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    spec = _stft(waveform, n_fft, hop_length, win_length, window, True, "reflect", False, True)
    phase_advance = ember.linspace(0, math.pi * hop_length, spec.shape[-2],
                                   dtype=waveform.dtype, device=spec.device).unsqueeze(-1)
    stretched = phase_vocoder(spec, rate, phase_advance)
    return ember.istft(stretched, n_fft, hop_length, win_length, window,
                       length=int(round(shape[-1] / rate)))


def pitch_shift(waveform: ember.Tensor, sample_rate: int, n_steps: float,
                bins_per_octave: int = 12, n_fft: int = 512, win_length: int | None = None,
                hop_length: int | None = None,
                window: ember.Tensor | None = None) -> ember.Tensor:
    """Shifts the pitch of ``(..., time)`` audio by ``n_steps`` of ``1 / bins_per_octave``
    octave, keeping its length: phase-vocoder stretch, then resampling.

    Example:
        >>> pitch_shift(ember.randn(1, 4000), 16000, 4).shape
        ember.Size([1, 4000])
    """
    stretched = _stretch_waveform(waveform, n_steps, bins_per_octave, n_fft, win_length,
                                  hop_length, window)
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    shifted = resample(stretched, int(sample_rate / rate), sample_rate)
    ori_len = waveform.shape[-1]
    if shifted.shape[-1] > ori_len:
        shifted = shifted[..., :ori_len]
    else:
        shifted = NF.pad(shifted, (0, ori_len - shifted.shape[-1]))
    return shifted.reshape(*waveform.shape[:-1], ori_len)
