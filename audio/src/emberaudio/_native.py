"""Access to the compiled ``emberaudio._C`` module: status codes become exceptions.

The kernels get the tensors' own memory: ``Tensor.data_ptr()`` and ``Tensor.stride()`` go
straight to C, so strided and broadcast (stride 0) inputs are read in place, not copied.
"""

from __future__ import annotations

import ember

from emberaudio._C import ffi, lib

__all__ = ["lfilter", "resample", "stft", "stft_supported"]

# dtype -> (C element type, kernel)
_KERNELS = {ember.float32: ("float *", lib.ea_lfilter_f32),
            ember.float64: ("double *", lib.ea_lfilter_f64)}


def _check(status: int, what: str) -> None:
    if status == lib.EA_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if status != lib.EA_OK:
        raise ValueError(f"{what}: invalid argument (status {status})")


def lfilter_operands(x: ember.Tensor, a: ember.Tensor, b: ember.Tensor,
                     out: ember.Tensor | None) -> ember.Tensor:
    """What both lfilter kernels (C here, CUDA in ``_cuda``) check before they run: float32
    or float64 of one dtype, x (batch, channel, time), a and b (channel, n >= 1), out like
    x, all on x's device. Returns out, made on x's device when None."""
    if x.dtype not in (ember.float32, ember.float64) or a.dtype != x.dtype or b.dtype != x.dtype:
        raise TypeError(f"lfilter kernel expects float32 or float64 tensors of one dtype, got "
                        f"{x.dtype}, {a.dtype} and {b.dtype}")
    if (x.ndim != 3 or a.ndim != 2 or a.shape != b.shape or a.shape[0] != x.shape[1]
            or a.shape[1] < 1):
        raise ValueError(f"lfilter kernel expects x (batch, channel, time) and a, b "
                         f"(channel, n >= 1), got {list(x.shape)}, {list(a.shape)} and "
                         f"{list(b.shape)}")
    if out is None:
        out = ember.empty(x.shape, dtype=x.dtype, device=x.device)
    elif out.shape != x.shape or out.dtype != x.dtype:
        raise ValueError(f"lfilter kernel: out must be {x.dtype} of shape {list(x.shape)}, got "
                         f"{out.dtype} {list(out.shape)}")
    for t in (a, b, out):
        if t.device != x.device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {x.device} and {t.device}!")
    return out


def lfilter(x: ember.Tensor, a: ember.Tensor, b: ember.Tensor, clamp: bool,
            out: ember.Tensor | None = None, reverse: bool = False) -> ember.Tensor:
    """The whole IIR filter of ``csrc/lfilter.c`` on CPU ``x`` of shape (batch, channel, time).

    ``a`` and ``b`` are (channel, n) raw coefficients (the kernel divides by ``a[:, 0]``),
    any strides in ``x``. Writes into ``out`` (same shape; ``x`` itself is allowed) or a
    new contiguous tensor. ``reverse`` filters each row from its last sample to its first.
    No autograd here.
    """
    out = lfilter_operands(x, a, b, out)
    if x.device.type != "cpu":
        raise RuntimeError(f"lfilter kernel runs on the CPU, got a tensor on {x.device}")
    entry = _KERNELS[x.dtype]
    if not (a.is_contiguous() and b.is_contiguous()):
        a, b = a.contiguous(), b.contiguous()
    n_batch, n_channel, n_time = x.shape
    ctype, fn = entry
    sx, so = x.stride(), out.stride()
    px, po = x.data_ptr(), out.data_ptr()
    if reverse and n_time > 0:  # start at the last sample and step backwards
        px += sx[2] * (n_time - 1) * x.element_size()
        po += so[2] * (n_time - 1) * out.element_size()
        sx, so = (sx[0], sx[1], -sx[2]), (so[0], so[1], -so[2])
    _check(fn(ffi.cast(ctype, px), sx[0], sx[1], sx[2], ffi.cast(ctype, po), so[0], so[1],
              so[2], ffi.cast(ctype, a.data_ptr()), ffi.cast(ctype, b.data_ptr()), n_batch,
              n_channel, n_time, a.shape[1], int(bool(clamp))), "lfilter")
    return out



_STFT = {ember.float32: ("float *", lib.ea_stft_f32), ember.float64: ("double *", lib.ea_stft_f64)}
# output mode of ea_stft by power: complex bins, magnitudes, powers
_STFT_MODES = {None: 0, 1.0: 1, 2.0: 2}


def stft_supported(n_fft: int) -> bool:
    """Whether ``csrc/stft.c`` transforms frames of ``n_fft`` samples: even, with no prime
    factor above 5 in ``n_fft / 2`` (the lengths of its Stockham FFT)."""
    if n_fft < 2 or n_fft % 2 or n_fft > 1 << 24:
        return False
    h = n_fft // 2
    for p in (2, 3, 5):
        while h % p == 0:
            h //= p
    return h == 1


def stft(x: ember.Tensor, window: ember.Tensor, n_fft: int, hop: int, scale: float,
         power: float | None) -> ember.Tensor:
    """Onesided STFT of CPU rows ``x`` (rows, length), already padded, as (rows, frames,
    n_fft // 2 + 1): complex bins (``power=None``), magnitudes (1) or powers (2), each bin
    times ``scale``. ``window`` has ``n_fft`` values. No autograd here.
    """
    entry = _STFT.get(x.dtype)
    if entry is None or window.dtype != x.dtype:
        raise TypeError(f"stft kernel expects float32 or float64 tensors of one dtype, got "
                        f"{x.dtype} and {window.dtype}")
    if x.ndim != 2 or window.shape != (n_fft,) or not stft_supported(n_fft) or hop < 1:
        raise ValueError(f"stft kernel: x (rows, length), a window of n_fft values and an "
                         f"even n_fft with factors 2, 3, 5 in n_fft / 2, got {list(x.shape)}, "
                         f"{list(window.shape)}, n_fft={n_fft}, hop={hop}")
    if power not in _STFT_MODES:
        raise ValueError(f"stft kernel: power must be None, 1 or 2, got {power}")
    rows, length = x.shape
    if length < n_fft:
        raise ValueError(f"stft kernel: frames of {n_fft} samples from rows of {length}")
    x, window = x.contiguous(), window.contiguous()
    n_frames = 1 + (length - n_fft) // hop
    bins = n_fft // 2 + 1
    dtype = x.dtype if power is not None else (
        ember.complex64 if x.dtype == ember.float32 else ember.complex128)
    out = ember.empty(rows, n_frames, bins, dtype=dtype)
    ctype, fn = entry
    _check(fn(ffi.cast(ctype, x.data_ptr()), rows, length, ffi.cast(ctype, window.data_ptr()),
              n_fft, hop, n_frames, float(scale), _STFT_MODES[power],
              ffi.cast(ctype, out.data_ptr())), "stft")
    return out


_RESAMPLE = {ember.float32: ("float *", lib.ea_resample_f32),
             ember.float64: ("double *", lib.ea_resample_f64)}


def resample(x: ember.Tensor, band: ember.Tensor, start: ember.Tensor, orig: int, new: int,
             n_out: int) -> ember.Tensor:
    """Polyphase resampling of CPU rows ``x`` (rows, length), already padded, by the banded
    kernel ``band`` (new, taps) whose phase j begins at input offset ``start[j]`` (int64):
    ``out[r, f new + j] = sum_i x[r, f orig + start[j] + i] band[j, i]``, (rows, n_out).
    No autograd here.
    """
    entry = _RESAMPLE.get(x.dtype)
    if entry is None or band.dtype != x.dtype or start.dtype != ember.int64:
        raise TypeError(f"resample kernel expects float32 or float64 x and band of one dtype "
                        f"and int64 offsets, got {x.dtype}, {band.dtype} and {start.dtype}")
    if x.ndim != 2 or band.ndim != 2 or band.shape[0] != new or start.shape != (new,):
        raise ValueError(f"resample kernel expects x (rows, length), band ({new}, taps) and "
                         f"start ({new},), got {list(x.shape)}, {list(band.shape)} and "
                         f"{list(start.shape)}")
    x, band, start = x.contiguous(), band.contiguous(), start.contiguous()
    out = ember.empty(x.shape[0], n_out, dtype=x.dtype)
    ctype, fn = entry
    _check(fn(ffi.cast(ctype, x.data_ptr()), x.shape[0], x.shape[1],
              ffi.cast(ctype, band.data_ptr()), ffi.cast("int64_t *", start.data_ptr()),
              band.shape[1], orig, new, n_out, ffi.cast(ctype, out.data_ptr())), "resample")
    return out
