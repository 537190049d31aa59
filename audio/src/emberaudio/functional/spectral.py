"""Short-time Fourier analysis on real tensors: DFT by matmul, STFT parts, spectrograms.

Ember has no complex dtype and no ``ember.fft`` yet, so the DFT here multiplies frames by a
cached ``[cos | -sin]`` basis (one GEMM gives real and imaginary parts as two real tensors).
That costs O(n_fft^2) per frame instead of an FFT's O(n_fft log n_fft): fine up to
n_fft = 2048 (a 2048 x 2050 float32 basis is 16 MB), wasteful beyond. Everything is ember
ops, so gradients flow to the waveform and the window. When the core gains complex tensors
and ``ember.fft.rfft``/``ember.stft`` this module should call them instead.
"""

from __future__ import annotations

import math
from functools import lru_cache

import ember

from ._util import pad_last

__all__ = ["real_dft", "stft_parts", "spectrogram", "spectral_centroid"]

_MAX_N_FFT = 1 << 14


@lru_cache(maxsize=32)
def _dft_basis(n_fft: int, n_freq: int, dtype: ember.dtype) -> ember.Tensor:
    """(n_fft, 2 * n_freq): columns ``cos(2 pi k n / N)`` then ``-sin(2 pi k n / N)``."""
    n = ember.arange(n_fft, dtype=ember.int64)
    k = ember.arange(n_freq, dtype=ember.int64)
    # reduce k * n modulo N in integers first, so large products keep full angle precision
    angle = (ember.outer(n, k) % n_fft).to(ember.float64) * (2 * math.pi / n_fft)
    return ember.cat([ember.cos(angle), -ember.sin(angle)], dim=1).to(dtype)


def _check_n_fft(n_fft: int) -> None:
    if n_fft <= 0 or n_fft > _MAX_N_FFT:
        raise ValueError(f"n_fft must be in [1, {_MAX_N_FFT}] for the matmul DFT, got {n_fft}")


def real_dft(x: ember.Tensor, onesided: bool = True) -> tuple[ember.Tensor, ember.Tensor]:
    """DFT of real input along the last dimension: returns ``(real, imag)``.

    Equals ``torch.fft.rfft(x)`` (``onesided=True``) or ``torch.fft.fft(x)`` split into real
    and imaginary parts. Differentiable.

    Example:
        >>> re, im = real_dft(ember.tensor([1.0, 0.0, -1.0, 0.0]))
        >>> re.tolist(), im.abs().max().item() < 1e-6
        ([0.0, 2.0, 0.0], True)
    """
    if not x.dtype.is_floating_point:
        x = x.to(ember.get_default_dtype())
    n_fft = x.shape[-1]
    _check_n_fft(n_fft)
    n_freq = n_fft // 2 + 1 if onesided else n_fft
    out = ember.matmul(x, _dft_basis(n_fft, n_freq, x.dtype))
    return out[..., :n_freq], out[..., n_freq:]


def _frame(waveform: ember.Tensor, n_fft: int, hop_length: int, center: bool,
           pad_mode: str) -> ember.Tensor:
    if center:
        waveform = pad_last(waveform, n_fft // 2, n_fft // 2, pad_mode)
    if waveform.shape[-1] < n_fft:
        raise RuntimeError(f"stft: input of length {waveform.shape[-1]} (after padding) is "
                           f"shorter than n_fft={n_fft}")
    return waveform.unfold(-1, n_fft, hop_length)  # (..., n_frames, n_fft)


def _full_window(window: ember.Tensor | None, win_length: int, n_fft: int,
                 dtype: ember.dtype) -> ember.Tensor:
    if window is None:
        window = ember.ones(win_length, dtype=dtype)
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {list(window.shape)}")
    window = window.to(dtype)
    left = (n_fft - win_length) // 2
    return pad_last(window, left, n_fft - win_length - left)


def stft_parts(waveform: ember.Tensor, n_fft: int, hop_length: int | None = None,
               win_length: int | None = None, window: ember.Tensor | None = None,
               center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
               onesided: bool = True) -> tuple[ember.Tensor, ember.Tensor]:
    """``torch.stft(..., return_complex=True)`` as ``(real, imag)``, each ``(..., freq, frames)``.

    Example:
        >>> re, im = stft_parts(ember.ones(16), n_fft=8, hop_length=4, window=ember.ones(8))
        >>> re.shape, re[0].tolist()
        (ember.Size([5, 5]), [8.0, 8.0, 8.0, 8.0, 8.0])
    """
    _check_n_fft(n_fft)
    win_length = n_fft if win_length is None else win_length
    hop_length = win_length // 4 if hop_length is None else hop_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    if hop_length <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop_length}")
    if not waveform.dtype.is_floating_point:
        raise RuntimeError(f"stft: expected a floating point input, got {waveform.dtype}")
    frames = _frame(waveform, n_fft, hop_length, center, pad_mode)
    n_freq = n_fft // 2 + 1 if onesided else n_fft
    w = _full_window(window, win_length, n_fft, waveform.dtype)
    basis = _dft_basis(n_fft, n_freq, waveform.dtype) * w.unsqueeze(1)
    if normalized:
        basis = basis * (1.0 / math.sqrt(n_fft))
    out = ember.matmul(frames, basis).transpose(-1, -2)  # (..., 2 * n_freq, n_frames)
    return out[..., :n_freq, :], out[..., n_freq:, :]


def _magnitude_power(re: ember.Tensor, im: ember.Tensor, power: float) -> ember.Tensor:
    sq = re * re + im * im
    if power == 2.0:
        return sq
    # |z|^p = (re^2 + im^2)^(p/2); like torch's complex abs, the gradient at 0 is 0, not nan
    nonzero = sq > 0
    safe = ember.where(nonzero, sq, ember.ones_like(sq))
    return ember.where(nonzero, safe ** (power / 2.0), ember.zeros_like(sq))


def spectrogram(waveform: ember.Tensor, pad: int, window: ember.Tensor, n_fft: int,
                hop_length: int, win_length: int, power: float | None, normalized: bool | str,
                center: bool = True, pad_mode: str = "reflect", onesided: bool = True,
                return_complex: bool | None = None) -> ember.Tensor:
    """Magnitude (``power=1``) or power (``power=2``) spectrogram, ``(..., freq, time)``.

    ``normalized`` is ``False``, ``True``/``"window"`` (divide by the window's L2 norm) or
    ``"frame_length"`` (divide by sqrt(n_fft)), as in torchaudio. ``power=None`` (complex
    output) needs complex tensors, which ember does not have yet: use :func:`stft_parts`.

    Example:
        >>> from emberaudio.functional import hann_window
        >>> spec = spectrogram(ember.randn(1, 400), 0, hann_window(64), 64, 16, 64, 2.0, False)
        >>> spec.shape
        ember.Size([1, 33, 26])
    """
    if power is None:
        raise NotImplementedError("complex spectrograms (power=None) need complex tensors, "
                                  "which ember does not have yet; use "
                                  "emberaudio.functional.stft_parts for real and imaginary "
                                  "parts")
    if power <= 0:
        raise ValueError(f"power must be positive, got {power}")
    if pad > 0:
        waveform = pad_last(waveform, pad, pad)
    frame_norm = normalized == "frame_length"
    window_norm = normalized is True or normalized == "window"
    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    re, im = stft_parts(flat, n_fft, hop_length, win_length, window, center, pad_mode,
                        frame_norm, onesided)
    if window_norm:
        w = window if window is not None else ember.ones(win_length, dtype=waveform.dtype)
        scale = 1.0 / ember.sqrt((w.to(waveform.dtype) ** 2).sum())
        re, im = re * scale, im * scale
    spec = _magnitude_power(re, im, float(power))
    return spec.reshape(*shape[:-1], *spec.shape[-2:])


def spectral_centroid(waveform: ember.Tensor, sample_rate: int, pad: int, window: ember.Tensor,
                      n_fft: int, hop_length: int, win_length: int) -> ember.Tensor:
    """Spectral centroid per frame (Hz), ``(..., time)``.

    Example:
        >>> from emberaudio.functional import hann_window
        >>> t = ember.arange(4000) / 8000
        >>> c = spectral_centroid(ember.sin(2 * math.pi * 1000 * t), 8000, 0,
        ...                       hann_window(256), 256, 128, 256)
        >>> round(c[5].item())
        1000
    """
    spec = spectrogram(waveform, pad, window, n_fft, hop_length, win_length, 1.0, False)
    freqs = ember.linspace(0, sample_rate // 2, 1 + n_fft // 2, dtype=spec.dtype).reshape(-1, 1)
    return (freqs * spec).sum(dim=-2) / spec.sum(dim=-2)
