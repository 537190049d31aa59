"""Short-time Fourier analysis and synthesis: spectrograms, their inverse, Griffin-Lim.

Everything runs through core ``ember.stft`` / ``ember.istft`` / ``ember.fft`` (the C FFT:
mixed radix, Bluestein for other lengths) on complex tensors, so gradients flow to the
waveform, the window and the spectrogram as in torchaudio.
"""

from __future__ import annotations

import warnings

import ember
from ember.nn import functional as NF

from .. import _native


__all__ = ["real_dft", "stft_parts", "spectrogram", "inverse_spectrogram", "griffinlim",
           "spectral_centroid"]


def real_dft(x: ember.Tensor, onesided: bool = True) -> tuple[ember.Tensor, ember.Tensor]:
    """DFT of real input along the last dimension: returns ``(real, imag)``.

    ``torch.fft.rfft(x)`` (``onesided=True``) or ``torch.fft.fft(x)`` split into real and
    imaginary parts. Differentiable.

    Example:
        >>> re, im = real_dft(ember.tensor([1.0, 0.0, -1.0, 0.0]))
        >>> re.tolist(), im.abs().max().item() < 1e-6
        ([0.0, 2.0, 0.0], True)
    """
    if not x.dtype.is_floating_point:
        x = x.to(ember.get_default_dtype())
    z = ember.fft.rfft(x) if onesided else ember.fft.fft(x)
    return ember.real(z), ember.imag(z)


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
    z = _stft(waveform, n_fft, hop_length, win_length, window, center, pad_mode, normalized,
              onesided)
    return ember.real(z), ember.imag(z)


def _stft(waveform: ember.Tensor, n_fft: int, hop_length: int | None, win_length: int | None,
          window: ember.Tensor | None, center: bool, pad_mode: str, normalized: bool,
          onesided: bool) -> ember.Tensor:
    """``ember.stft`` over any leading dims (torch.stft takes 1-D or 2-D only)."""
    if not waveform.dtype.is_floating_point:
        raise RuntimeError(f"stft: expected a floating point input, got {waveform.dtype}")
    shape = waveform.shape
    spec = ember.stft(waveform.reshape(-1, shape[-1]), n_fft, hop_length, win_length, window,
                      center, pad_mode, normalized, onesided, return_complex=True)
    return spec.reshape(*shape[:-1], *spec.shape[-2:])


def _spec_norms(normalized: bool | str) -> tuple[bool, bool]:
    """torchaudio's ``normalized``: ``(frame_length_norm, window_norm)``."""
    if isinstance(normalized, str):
        if normalized not in ("frame_length", "window"):
            raise ValueError(f"Invalid normalized parameter: {normalized}")
        return normalized == "frame_length", normalized == "window"
    if isinstance(normalized, bool):
        return False, normalized
    raise TypeError("Input type not supported")


def _magnitude_power(spec: ember.Tensor, power: float) -> ember.Tensor:
    """``spec.abs().pow(power)`` with torch's complex-abs gradient (0, not nan, at 0)."""
    re, im = ember.real(spec), ember.imag(spec)
    sq = re * re + im * im
    if power == 2.0:
        return sq
    nonzero = sq > 0
    safe = ember.where(nonzero, sq, ember.ones_like(sq))
    return ember.where(nonzero, safe ** (power / 2.0), ember.zeros_like(sq))


def _fast_stft(waveform: ember.Tensor, window: ember.Tensor, n_fft: int, hop_length: int,
               win_length: int, center: bool, pad_mode: str, onesided: bool) -> bool:
    """Whether the one-pass C kernel (``csrc/stft.c``) may compute the spectrogram: CPU
    float32/float64 audio and window of one dtype, no autograd graph to record, onesided
    bins of an even ``n_fft`` whose half has no prime factor above 5 (400, 512, 1024, ...),
    and enough samples for one frame (otherwise the general path raises torch's error)."""
    if waveform.device.type != "cpu" or window.device.type != "cpu":
        return False
    if ember.is_grad_enabled() and (waveform.requires_grad or window.requires_grad):
        return False
    if waveform.dtype not in (ember.float32, ember.float64) or window.dtype != waveform.dtype:
        return False
    if not onesided or window.ndim != 1 or window.shape[0] != win_length:
        return False
    if not 0 < win_length <= n_fft or hop_length <= 0 or not _native.stft_supported(n_fft):
        return False
    length = waveform.shape[-1]
    if center:
        # reflect padding needs more samples than it adds: that error is the general path's
        if pad_mode not in ("reflect", "constant") or (pad_mode == "reflect"
                                                       and n_fft // 2 >= length):
            return False
        length += 2 * (n_fft // 2)
    return waveform.ndim >= 1 and length >= n_fft and waveform.numel() > 0


def _spectrogram_kernel(waveform: ember.Tensor, window: ember.Tensor, n_fft: int,
                        hop_length: int, win_length: int, power: float | None,
                        frame_norm: bool, window_norm: bool, center: bool,
                        pad_mode: str) -> ember.Tensor:
    """``spectrogram`` through ``csrc/stft.c``: the frames are windowed, transformed and
    turned into magnitudes or powers in one pass (the general path makes four passes, the
    power alone three). Returns the kernel's (frames, bins) rows as the (bins, frames)
    view torch's stft gives."""
    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    if center:
        x = NF.pad(x.unsqueeze(1), (n_fft // 2, n_fft // 2), mode=pad_mode).squeeze(1)
    left = (n_fft - win_length) // 2  # torch centres a shorter window in the frame
    w = NF.pad(window, (left, n_fft - win_length - left)) if win_length < n_fft else window
    scale = 1.0
    if frame_norm:
        scale /= n_fft ** 0.5
    if window_norm:
        scale /= float(window.pow(2.0).sum().sqrt())
    kernel_power = power if power in (None, 1.0, 2.0) else 1.0
    out = _native.stft(x, w, n_fft, hop_length, scale, kernel_power)
    out = out.reshape(*shape[:-1], *out.shape[-2:]).transpose(-1, -2)
    if power is not None and power not in (1.0, 2.0):
        out = out.pow(float(power))
    return out


def spectrogram(waveform: ember.Tensor, pad: int, window: ember.Tensor, n_fft: int,
                hop_length: int, win_length: int, power: float | None, normalized: bool | str,
                center: bool = True, pad_mode: str = "reflect", onesided: bool = True,
                return_complex: bool | None = None) -> ember.Tensor:
    """Spectrogram of ``(..., time)`` audio, ``(..., freq, time)``, as torchaudio's.

    ``power=None`` returns the complex STFT; otherwise ``|STFT| ** power``. ``normalized``
    is ``False``, ``True``/``"window"`` (divide by the window's L2 norm) or
    ``"frame_length"`` (divide by sqrt(n_fft)). ``return_complex`` is deprecated and unused.

    Example:
        >>> from emberaudio.functional import hann_window
        >>> spec = spectrogram(ember.randn(1, 400), 0, hann_window(64), 64, 16, 64, 2.0, False)
        >>> spec.shape
        ember.Size([1, 33, 26])
    """
    if return_complex is not None:
        warnings.warn("`return_complex` argument is now deprecated and is not effective."
                      "`torchaudio.functional.spectrogram(power=None)` always returns a tensor "
                      "with complex dtype. Please remove the argument in the function call.",
                      stacklevel=2)
    if pad > 0:
        waveform = NF.pad(waveform, (pad, pad), "constant")
    frame_norm, window_norm = _spec_norms(normalized)
    if _fast_stft(waveform, window, n_fft, hop_length, win_length, center, pad_mode, onesided):
        return _spectrogram_kernel(waveform, window, n_fft, hop_length, win_length, power,
                                   frame_norm, window_norm, center, pad_mode)
    spec = _stft(waveform, n_fft, hop_length, win_length, window, center, pad_mode,
                 frame_norm, onesided)
    if window_norm:
        spec = spec / window.pow(2.0).sum().sqrt()
    if power is None:
        return spec
    return _magnitude_power(spec, float(power))


def inverse_spectrogram(spectrogram: ember.Tensor, length: int | None, pad: int,
                        window: ember.Tensor, n_fft: int, hop_length: int, win_length: int,
                        normalized: bool | str, center: bool = True, pad_mode: str = "reflect",
                        onesided: bool = True) -> ember.Tensor:
    """Least-squares waveform ``(..., time)`` of a complex ``(..., freq, time)`` STFT.

    Undoes :func:`spectrogram` with ``power=None`` and the same arguments; ``pad`` is
    removed only when ``length`` is given, and ``pad_mode`` is unused (as in torchaudio).

    Example:
        >>> from emberaudio.functional import hann_window
        >>> w = hann_window(64); x = ember.randn(2, 640)
        >>> spec = spectrogram(x, 0, w, 64, 16, 64, None, False)
        >>> y = inverse_spectrogram(spec, 640, 0, w, 64, 16, 64, False)
        >>> bool(ember.allclose(x, y, atol=1e-5))
        True
    """
    frame_norm, window_norm = _spec_norms(normalized)
    if not spectrogram.is_complex():
        raise ValueError("Expected `spectrogram` to be complex dtype.")
    if window_norm:
        spectrogram = spectrogram * window.pow(2.0).sum().sqrt()
    shape = spectrogram.shape
    spectrogram = spectrogram.reshape(-1, shape[-2], shape[-1])
    waveform = ember.istft(spectrogram, n_fft, hop_length, win_length, window, center,
                           frame_norm, onesided,
                           length + 2 * pad if length is not None else None)
    if length is not None and pad > 0:
        waveform = waveform[:, pad:-pad]
    return waveform.reshape(*shape[:-2], waveform.shape[-1])


def griffinlim(specgram: ember.Tensor, window: ember.Tensor, n_fft: int, hop_length: int,
               win_length: int, power: float, n_iter: int, momentum: float,
               length: int | None, rand_init: bool, *,
               generator: ember.Generator | None = None) -> ember.Tensor:
    """Waveform ``(..., time)`` from a magnitude (``power=1``) or power spectrogram.

    Fast Griffin-Lim: alternately invert with the current phases and re-analyse, with
    ``momentum`` (0 gives plain Griffin-Lim). ``rand_init`` draws the initial phases
    (real and imaginary parts uniform in [0, 1), as ``torch.rand`` of a complex dtype),
    else they start at 1. ``generator`` (an ember extension) seeds that draw.

    Example:
        >>> from emberaudio.functional import hann_window
        >>> w = hann_window(64)
        >>> mag = spectrogram(ember.randn(640), 0, w, 64, 16, 64, 1.0, False)
        >>> griffinlim(mag, w, 64, 16, 64, 1.0, 4, 0.99, 640, False).shape
        ember.Size([640])
    """
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in range [0, 1). Found: {momentum}")
    momentum = momentum / (1 + momentum)
    shape = specgram.shape
    specgram = specgram.reshape(-1, shape[-2], shape[-1]).pow(1 / power)
    if rand_init:
        parts = ember.rand(*specgram.shape, 2, dtype=specgram.dtype, device=specgram.device,
                           generator=generator)
        angles = ember.complex(parts[..., 0], parts[..., 1])
    else:
        angles = ember.complex(ember.ones_like(specgram), ember.zeros_like(specgram))
    tprev = None
    for _ in range(n_iter):
        inverse = ember.istft(specgram * angles, n_fft, hop_length, win_length, window,
                              length=length)
        rebuilt = _stft(inverse, n_fft, hop_length, win_length, window, True, "reflect",
                        False, True)
        angles = rebuilt
        if momentum and tprev is not None:
            angles = angles - tprev * momentum
        angles = angles / (_magnitude_power(angles, 1.0) + 1e-16)
        tprev = rebuilt
    waveform = ember.istft(specgram * angles, n_fft, hop_length, win_length, window,
                           length=length)
    return waveform.reshape(*shape[:-2], waveform.shape[-1])


def spectral_centroid(waveform: ember.Tensor, sample_rate: int, pad: int, window: ember.Tensor,
                      n_fft: int, hop_length: int, win_length: int) -> ember.Tensor:
    """Spectral centroid per frame (Hz), ``(..., time)``.

    Example:
        >>> import math
        >>> from emberaudio.functional import hann_window
        >>> t = ember.arange(4000) / 8000
        >>> c = spectral_centroid(ember.sin(2 * math.pi * 1000 * t), 8000, 0,
        ...                       hann_window(256), 256, 128, 256)
        >>> round(c[5].item())
        1000
    """
    spec = spectrogram(waveform, pad, window, n_fft, hop_length, win_length, 1.0, False)
    freqs = ember.linspace(0, sample_rate // 2, 1 + n_fft // 2, dtype=spec.dtype,
                           device=spec.device).reshape(-1, 1)
    return (freqs * spec).sum(dim=-2) / spec.sum(dim=-2)
