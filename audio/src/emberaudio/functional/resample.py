"""Band-limited resampling with a windowed-sinc polyphase filter (torchaudio's algorithm).

For ``orig -> new`` (reduced by their gcd) there are ``new`` phases; phase ``j`` is a
windowed sinc sampled at the input positions around output sample ``j``. Applying them is
one strided sliding window over the input (``unfold`` with step ``orig``) times the
``(taps, new)`` kernel matrix: a single GEMM, the phases interleaving into the output.
When no autograd graph is recorded on the CPU, ``csrc/resample.c`` runs each phase over
its band of nonzero taps only (35 of 475 for 44.1 -> 16 kHz) instead of the GEMM.
"""

from __future__ import annotations

import math

import ember

from .. import _native
from ._util import i0, pad_last

__all__ = ["resample"]

_DEFAULT_KAISER_BETA = 14.769656459379492


def sinc_resample_kernel(orig_freq: int, new_freq: int, gcd: int, lowpass_filter_width: int = 6,
                         rolloff: float = 0.99, resampling_method: str = "sinc_interp_hann",
                         beta: float | None = None, dtype: ember.dtype | None = None
                         ) -> tuple[ember.Tensor, int]:
    """The ``(new, 2 * width + orig)`` polyphase kernel (reduced rates) and its half width."""
    if not (int(orig_freq) == orig_freq and int(new_freq) == new_freq):
        raise Exception("Frequencies must be of integer type to ensure quality resampling "
                        "computation. To work around this, manually convert both frequencies "
                        "to integer values that maintain their resampling rate ratio before "
                        "passing them into the function.")
    if resampling_method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"Invalid resampling method: {resampling_method}")
    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    base_freq = min(orig, new) * rolloff  # cutoff below both Nyquists, with a margin
    width = math.ceil(lowpass_filter_width * orig / base_freq)
    # torchaudio's precisions: the taps in `dtype` (float64 when None), the output phases'
    # offsets in `dtype` (the default float32 when None), Kaiser's beta as a float32 number
    # and its normaliser i0(beta) a float32 number
    idx = ember.arange(-width, width + orig, dtype=dtype or ember.float64).unsqueeze(0) / orig
    t = -ember.arange(new, dtype=dtype or ember.float32).unsqueeze(1) / new + idx
    t = ember.clamp(t * base_freq, -lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = ember.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta32 = ember.tensor(_DEFAULT_KAISER_BETA if beta is None else float(beta))
        arg = beta32.to(t.dtype) * ember.sqrt(1 - (t / lowpass_filter_width) ** 2)
        # i0(beta) correctly rounded to float32, as torch's float32 i0 gives it
        window = i0(arg) / i0(beta32.double()).float().to(t.dtype)
    t = t * math.pi
    safe = ember.where(t == 0, ember.ones_like(t), t)
    kernels = ember.where(t == 0, ember.ones_like(t), ember.sin(safe) / safe)
    kernels = kernels * (window * (base_freq / orig))
    return kernels.to(dtype or ember.float32), width


def _fast(x: ember.Tensor, kernel: ember.Tensor) -> bool:
    """Whether the banded C kernel may run: CPU float32/float64 and no graph to record."""
    if x.device.type != "cpu" or kernel.device.type != "cpu":
        return False
    if x.dtype not in (ember.float32, ember.float64):
        return False
    return not (ember.is_grad_enabled() and (x.requires_grad or kernel.requires_grad))


def _band(kernel: ember.Tensor) -> tuple[ember.Tensor, ember.Tensor]:
    """Each phase's taps that matter: ``(new, K)`` values from ``start[j]`` (int64), K the
    widest phase's span. The taps left out are the sinc window's clamped ends: zeros up to
    rounding, below 1e-10 (float32) or 1e-17 (float64) of the largest tap, so even all
    475 of them together stay below the type's rounding error."""
    taps = kernel.shape[-1]
    tiny = 1e-10 if kernel.dtype == ember.float32 else 1e-17
    keep = kernel.abs() > kernel.abs().amax() * tiny
    idx = ember.arange(taps)
    first = ember.where(keep, idx, ember.full_like(idx, taps)).amin(-1)
    last = ember.where(keep, idx, ember.full_like(idx, -1)).amax(-1)
    span = max(int((last - first).amax().item()) + 1, 1)
    start = ember.clamp(first, max=taps - span)
    band = kernel.gather(1, start.unsqueeze(1) + ember.arange(span))
    return band, start


def apply_sinc_resample_kernel(waveform: ember.Tensor, orig_freq: int, new_freq: int, gcd: int,
                               kernel: ember.Tensor, width: int) -> ember.Tensor:
    """Runs the polyphase kernel from :func:`sinc_resample_kernel` over the last dim."""
    if not waveform.dtype.is_floating_point:
        raise TypeError(f"Expected floating point type for waveform tensor, but received "
                        f"{waveform.dtype}.")
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    length = x.shape[-1]
    x = pad_last(x, width, width + orig)
    if _fast(x, kernel):
        band, start = _band(kernel.to(x.dtype))
        out = _native.resample(x, band, start, orig, new, math.ceil(new * length / orig))
        return out.reshape(*shape[:-1], out.shape[-1])
    frames = x.unfold(-1, kernel.shape[-1], orig)  # (n, n_out, taps)
    out = ember.matmul(frames, kernel.to(x.dtype).t())  # (n, n_out, new): phases interleave
    out = out.reshape(out.shape[0], -1)[:, :math.ceil(new * length / orig)]
    return out.reshape(*shape[:-1], out.shape[-1])


def resample(waveform: ember.Tensor, orig_freq: int, new_freq: int,
             lowpass_filter_width: int = 6, rolloff: float = 0.99,
             resampling_method: str = "sinc_interp_hann", beta: float | None = None
             ) -> ember.Tensor:
    """Resamples the last dim from ``orig_freq`` to ``new_freq`` (band-limited sinc).

    ``lowpass_filter_width`` is the number of zero crossings on each side (sharper and
    slower when larger); ``rolloff`` is the cutoff as a fraction of the lower Nyquist rate;
    ``beta`` shapes the Kaiser window of ``"sinc_interp_kaiser"``.

    Example:
        >>> y = resample(ember.randn(1, 4410), 44100, 16000)
        >>> y.shape
        ember.Size([1, 1600])
    """
    if orig_freq <= 0.0 or new_freq <= 0.0:
        raise ValueError("Original frequency and desired frequecy should be positive")
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width, rolloff,
                                         resampling_method, beta, waveform.dtype)
    return apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width)
