"""Pitch detection by normalized cross-correlation (torchaudio's ``detect_pitch_frequency``)."""

from __future__ import annotations

import math

import ember
from ember.nn import functional as NF

__all__ = ["detect_pitch_frequency"]

_EPSILON = 1e-9


def _nccf(waveform: ember.Tensor, sample_rate: int, frame_time: float,
          freq_low: int) -> ember.Tensor:
    """(rows, frames, lags): per frame, the correlation of the frame with the frame ``lag``
    samples later, divided by both frames' squared norms, for lags 1..ceil(sr / freq_low)."""
    lags = int(math.ceil(sample_rate / freq_low))
    frame_size = int(math.ceil(sample_rate * frame_time))
    length = waveform.shape[-1]
    n_frames = int(math.ceil(length / frame_size))
    waveform = NF.pad(waveform, (0, lags + n_frames * frame_size - length))
    # every frame and the lags + frame_size samples after it, once: (rows, frames, window)
    windows = waveform.unfold(-1, frame_size + lags, frame_size)[:, :n_frames]
    first = windows[..., :frame_size]
    first_energy = (_EPSILON + first.pow(2).sum(-1).sqrt()).pow(2)
    out = []
    for lag in range(1, lags + 1):
        shifted = windows[..., lag:lag + frame_size]
        energy = (_EPSILON + shifted.pow(2).sum(-1).sqrt()).pow(2)
        out.append((first * shifted).sum(-1) / first_energy / energy)
    return ember.stack(out, -1)


def _best_lag(nccf: ember.Tensor, sample_rate: int, freq_high: int) -> ember.Tensor:
    """The lag of the highest peak, preferring a peak in the first half of the lags that is
    within 1% of it (an octave error guard); +1 calibrates the lag as torchaudio does."""
    lag_min = int(math.ceil(sample_rate / freq_high))
    best_value, best_index = ember.max(nccf[..., lag_min:], -1)
    half_value, half_index = ember.max(nccf[..., lag_min:nccf.shape[-1] // 2], -1)
    index = ember.where(half_value > 0.99 * best_value, half_index, best_index)
    return index + (lag_min + 1)


def _median_smoothing(indices: ember.Tensor, win_length: int) -> ember.Tensor:
    """Running (lower) median over ``win_length`` frames; the first frame is repeated in
    front so every output has a full window."""
    pad = (win_length - 1) // 2
    if pad:
        indices = ember.cat([indices[..., :1].expand(*indices.shape[:-1], pad), indices], -1)
    return ember.median(indices.unfold(-1, win_length, 1), -1).values


def detect_pitch_frequency(waveform: ember.Tensor, sample_rate: int, frame_time: float = 1e-2,
                           win_length: int = 30, freq_low: int = 85,
                           freq_high: int = 3400) -> ember.Tensor:
    """Pitch (Hz) per frame of ``(..., time)`` audio: ``(..., frames)``.

    Each ``frame_time`` frame is correlated with itself ``lag`` samples later for pitches
    between ``freq_low`` and ``freq_high``; the best lag is median-smoothed over
    ``win_length`` frames.

    Example:
        >>> t = ember.arange(8000) / 8000
        >>> f = detect_pitch_frequency(ember.sin(2 * math.pi * 200 * t), 8000)
        >>> round(f[50].item())
        200
    """
    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    nccf = _nccf(x, sample_rate, frame_time, freq_low)
    indices = _median_smoothing(_best_lag(nccf, sample_rate, freq_high), win_length)
    freq = sample_rate / (_EPSILON + indices.to(ember.float32))
    return freq.reshape(*shape[:-1], freq.shape[-1])
