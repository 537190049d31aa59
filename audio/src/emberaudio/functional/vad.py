"""Voice activity detection: SoX's ``vad`` effect as torchaudio implements it (front trimming).

The detector measures cepstral power in overlapping frames (``measure_freq`` per second),
after an adaptive noise estimate is subtracted from a smoothed magnitude spectrum. Once the
running mean of the measurements reaches ``trigger_level``, it searches back up to
``search_time`` seconds for quieter bursts (allowing gaps of ``allowed_gap``) and returns the
waveform from there on.

Not differentiable (neither is torchaudio's): the output is a slice chosen by thresholds.
"""

from __future__ import annotations

import math
import struct
import warnings

import ember

from ._util import pad_last
from .windows import hann_window

__all__ = ["vad"]

# Frames are measured in chunks so their FFTs run batched; the first chunk is small because
# a trigger early in the clip makes the rest of the chunk wasted work.
_FIRST_CHUNK, _MAX_CHUNK = 8, 64


def _f32(value: float) -> float:
    """Rounds to float32: torchaudio keeps measures and their running mean in float32
    tensors, and the trigger comparisons must see the same rounded values."""
    return struct.unpack("f", struct.pack("f", value))[0]


class _Detector:
    """Per-frame measurement state (smoothed spectrum, noise estimate) for all channels."""

    def __init__(self, x: ember.Tensor, sample_rate: int, measure_len: int, dft_len: int,
                 spectrum_range: tuple[int, int], cepstrum_range: tuple[int, int],
                 noise_reduction_amount: float, smooth_mult: float, noise_up_mult: float,
                 noise_down_mult: float, boot_count_max: int) -> None:
        self.dft_len = dft_len
        self.spectrum_start, self.spectrum_end = spectrum_range
        self.cepstrum_start, self.cepstrum_end = cepstrum_range
        n_bins = self.spectrum_end - self.spectrum_start
        # SoX scales its Hann windows by 2 / sqrt(length) (lsx_apply_hann on a constant)
        self.spectrum_window = (hann_window(measure_len, dtype=ember.float32, device=x.device)
                                * (2.0 / math.sqrt(measure_len)))
        self.cepstrum_window = (hann_window(n_bins, dtype=ember.float32, device=x.device)
                                * (2.0 / math.sqrt(n_bins)))
        self.noise_reduction_amount = noise_reduction_amount
        self.smooth_mult = smooth_mult
        self.noise_up_mult, self.noise_down_mult = noise_up_mult, noise_down_mult
        self.boot_count, self.boot_count_max = 0, boot_count_max
        self.spectrum = ember.zeros(x.shape[0], n_bins, device=x.device)
        self.noise = ember.zeros(x.shape[0], n_bins, device=x.device)

    def measure(self, frames: ember.Tensor) -> list[list[float]]:
        """Measurements of ``frames`` (channels, n, measure_len), in order; returns one list
        of n floats per channel and advances the state past the last frame."""
        windowed = (frames * self.spectrum_window).to(ember.float32)
        magnitude = ember.fft.rfft(windowed, n=self.dft_len).abs()
        magnitude = magnitude[..., self.spectrum_start:self.spectrum_end]
        cleaned = []
        # The noise estimate's update branches on the data frame by frame (up or down time
        # constant), so this recursion is a Python loop over frames, as torchaudio's whole
        # measurement is; each step is a few vector ops over all channels and bins.
        for f in range(frames.shape[1]):
            boot = self.boot_count
            mult = boot / (1.0 + boot) if boot >= 0 else self.smooth_mult
            self.spectrum = self.spectrum * mult + magnitude[:, f] * (1 - mult)
            power = self.spectrum ** 2
            if boot >= 0:  # during boot the noise estimate is the power itself
                self.noise = power
            else:
                rising = power > self.noise
                up = ember.full_like(power, self.noise_up_mult)
                down = ember.full_like(power, self.noise_down_mult)
                noise_mult = ember.where(rising, up, down)
                self.noise = self.noise * noise_mult + power * (1 - noise_mult)
            cleaned.append(ember.sqrt(ember.clamp(
                power - self.noise_reduction_amount * self.noise, min=0.0)))
            if boot >= 0:
                self.boot_count = -1 if boot == self.boot_count_max else boot + 1
        lifted = ember.stack(cleaned, 1) * self.cepstrum_window
        half = self.dft_len // 2
        lifted = pad_last(lifted, self.spectrum_start, half - self.spectrum_end)
        cepstrum = ember.fft.rfft(lifted)[..., self.cepstrum_start:self.cepstrum_end]
        power_sums = (cepstrum.abs() ** 2).sum(-1).tolist()
        width = self.cepstrum_end - self.cepstrum_start
        return [[max(0.0, 21.0 + math.log(total / width)) if total > 0 else 0.0
                 for total in row] for row in power_sums]


def _frames_to_flush(measures: list[float], newest: int, trigger_level: float,
                     gap_len: int) -> int:
    """How many of the buffered measures (a ring, ``newest`` the latest) to keep before the
    trigger: walks back through bursts at or above the trigger level separated by at most
    ``gap_len`` frames, stopping at a zero measure after the last burst."""
    n = len(measures)
    j_trigger = j_zero = n
    k = newest
    for j in range(n):
        if measures[k] >= trigger_level and j <= j_trigger + gap_len:
            j_zero = j_trigger = j
        elif measures[k] == 0 and j_trigger >= j_zero:
            j_zero = j
        k = (k + n - 1) % n
    # torchaudio's loop variable ends at n - 1 (SoX's C loop ends at n); we follow torchaudio
    return min(n - 1, j_zero)


def vad(waveform: ember.Tensor, sample_rate: int, trigger_level: float = 7.0,
        trigger_time: float = 0.25, search_time: float = 1.0, allowed_gap: float = 0.25,
        pre_trigger_time: float = 0.0, boot_time: float = 0.35, noise_up_time: float = 0.1,
        noise_down_time: float = 0.01, noise_reduction_amount: float = 1.35,
        measure_freq: float = 20.0, measure_duration: float | None = None,
        measure_smooth_time: float = 0.4, hp_filter_freq: float = 50.0,
        lp_filter_freq: float = 6000.0, hp_lifter_freq: float = 150.0,
        lp_lifter_freq: float = 2000.0) -> ember.Tensor:
    """Trims silence and quiet background sound from the front of a speech recording.

    ``waveform`` is ``(time)`` or ``(channels, time)``; channels are one recording of the same
    event and are all trimmed at the earliest activity in any of them. To trim the end too,
    flip the waveform, apply ``vad`` and flip back. When nothing triggers, only the first
    ``pre_trigger_time`` seconds are returned (nothing, by default), as in SoX.

    Example:
        >>> _ = ember.manual_seed(0)
        >>> t = ember.arange(16000) / 16000.0
        >>> voiced = sum(ember.sin(2 * math.pi * 140 * k * t + k) / k for k in range(1, 31)) * 0.3
        >>> x = ember.cat([ember.randn(8000) * 1e-3, voiced])  # 0.5 s of noise, then a vowel
        >>> x.shape[0] - vad(x, 16000).shape[0]  # the noise is trimmed, up to 0.1 s
        6400
    """
    if waveform.ndim > 2:
        warnings.warn(f"Expected input tensor dimension of 1 for single channel or 2 for "
                      f"multi-channel. Got {waveform.ndim} instead. Batch semantics is not "
                      f"supported: every leading index is treated as a channel of one "
                      f"recording.", stacklevel=2)
    if measure_duration is None:
        measure_duration = 2.0 / measure_freq
    measure_len = int(sample_rate * measure_duration + 0.5)
    dft_len = 16
    while dft_len < measure_len:
        dft_len *= 2
    period = int(sample_rate / measure_freq + 0.5)
    measures_len = math.ceil(search_time * measure_freq)
    if measures_len < 1:
        raise ValueError(f"search_time * measure_freq must be positive, got search_time="
                         f"{search_time}, measure_freq={measure_freq}")
    gap_len = int(allowed_gap * measure_freq + 0.5)
    fixed_pre_trigger_len = int(pre_trigger_time * sample_rate + 0.5)
    samples_len = fixed_pre_trigger_len + measures_len * period + measure_len

    spectrum_start = max(int(hp_filter_freq / sample_rate * dft_len + 0.5), 1)
    spectrum_end = min(int(lp_filter_freq / sample_rate * dft_len + 0.5), dft_len // 2)
    cepstrum_start = math.ceil(sample_rate * 0.5 / lp_lifter_freq)
    cepstrum_end = min(math.floor(sample_rate * 0.5 / hp_lifter_freq), dft_len // 4)
    if cepstrum_end <= cepstrum_start:
        raise ValueError(f"Expected cepstrum_start to be smaller than cepstrum_end. Found: "
                         f"cepstrum_start: {cepstrum_start}, cepstrum_end: {cepstrum_end}.")
    if spectrum_end <= spectrum_start:
        raise ValueError(f"Expected the filter band to hold at least one DFT bin. Found: "
                         f"spectrum_start: {spectrum_start}, spectrum_end: {spectrum_end}.")

    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    n_channels, length = x.shape
    detector = _Detector(
        x, sample_rate, measure_len, dft_len, (spectrum_start, spectrum_end),
        (cepstrum_start, cepstrum_end), noise_reduction_amount,
        math.exp(-1.0 / (measure_smooth_time * measure_freq)),
        _f32(math.exp(-1.0 / (noise_up_time * measure_freq))),
        _f32(math.exp(-1.0 / (noise_down_time * measure_freq))),
        int(boot_time * measure_freq - 0.5))
    trigger_mult = math.exp(-1.0 / (trigger_time * measure_freq))
    trigger_mult32, trigger_level32 = _f32(trigger_mult), _f32(trigger_level)

    # frame k ends at sample measure_len + k * period, strictly before the end of the clip
    n_frames = len(range(measure_len, length, period))
    frames = x.unfold(-1, measure_len, period) if n_frames else None
    measures = [[0.0] * measures_len for _ in range(n_channels)]
    mean_meas = [0.0] * n_channels
    measures_index = flush = 0
    triggered = False
    pos = 0
    start, chunk = 0, _FIRST_CHUNK
    while start < n_frames and not triggered:
        stop = min(start + chunk, n_frames)
        values = detector.measure(frames[:, start:stop])
        for f in range(stop - start):
            pos = measure_len + (start + f) * period
            for c in range(n_channels):
                meas = values[c][f]
                measures[c][measures_index] = _f32(meas)
                mean_meas[c] = _f32(_f32(mean_meas[c] * trigger_mult32)
                                    + _f32(meas * (1.0 - trigger_mult)))
                # once one channel triggers, every later channel at this frame also
                # extends the flush (torchaudio's order)
                triggered = triggered or mean_meas[c] >= trigger_level32
                if triggered:
                    j = _frames_to_flush(measures[c], measures_index, trigger_level32, gap_len)
                    flush = min(max(flush, j), measures_len)
            measures_index = (measures_index + 1) % measures_len
            if triggered:
                break
        start, chunk = stop, min(chunk * 2, _MAX_CHUNK)

    if not triggered and length >= fixed_pre_trigger_len:
        return x[:, :fixed_pre_trigger_len].reshape(*shape[:-1], fixed_pre_trigger_len)
    flushed_len = (measures_len - flush) * period if triggered else 0
    out = x[:, max(pos - samples_len + flushed_len, 0):]
    return out.reshape(*shape[:-1], out.shape[-1])
