"""Window functions and the short-time Fourier transform (stft, istft), as torch's.

Windows follow torch's formulas step by step in the requested dtype, so they agree
with torch to rounding. stft frames the (padded) signal as a strided view, multiplies
by the window and runs rfft/fft over the frames; istft inverts each frame, overlap-adds
them with index_add and divides by the summed squared window.

Example:
    >>> x = ember.randn(1000)
    >>> spec = ember.stft(x, 256, window=ember.hann_window(256), return_complex=True)
    >>> spec.shape
    ember.Size([129, 16])
"""

from __future__ import annotations

import math
import warnings

from .. import _dtype as D
from .._tensor import Tensor
from .complex import complex as _complex
from .creation import arange, ones, zeros
from .elementwise import i0
from .pad import pad

# ---- windows ---------------------------------------------------------------------------------


def _window_args(name: str, n: int, dtype):
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window length, got window_length={n}")
    dtype = dtype or D.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    return dtype


def _finish(w: Tensor, periodic: bool, requires_grad: bool) -> Tensor:
    if periodic:
        w = w[:-1]
    w = w.contiguous().detach()
    return w.requires_grad_() if requires_grad else w


def _trivial(n: int, dtype, device, requires_grad: bool):
    """torch's answers for lengths 0 and 1 (no formula)."""
    if n == 0:
        return zeros(0, dtype=dtype, device=device, requires_grad=requires_grad)
    return ones(1, dtype=dtype, device=device, requires_grad=requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """alpha - beta cos(2 pi k / (N - 1)); periodic windows use N + 1 and drop the last.

    Example:
        >>> ember.hamming_window(4)
        tensor([0.0800, 0.5400, 1.0000, 0.5400])
    """
    dtype = _window_args("hamming_window", window_length, dtype)
    if window_length <= 1:
        return _trivial(window_length, dtype, device, requires_grad)
    n = window_length + 1 if periodic else window_length
    w = arange(n, dtype=dtype, device=device) * (2.0 * math.pi / (n - 1))
    return _finish(w.cos() * -beta + alpha, periodic, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2 pi k / (N - 1)) (the Hamming form with alpha = beta = 0.5).

    Example:
        >>> ember.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    _window_args("hann_window", window_length, dtype)
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1)).

    Example:
        >>> ember.blackman_window(3, periodic=False)
        tensor([-1.4901e-08,  1.0000e+00, -1.4901e-08])
    """
    dtype = _window_args("blackman_window", window_length, dtype)
    if window_length <= 1:
        return _trivial(window_length, dtype, device, requires_grad)
    n = window_length + 1 if periodic else window_length
    w = arange(n, dtype=dtype, device=device) * (math.pi / (n - 1))
    w = (w * 4).cos() * 0.08 - (w * 2).cos() * 0.5 + 0.42
    return _finish(w, periodic, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """The triangle 1 - |2k / (N - 1) - 1|.

    Example:
        >>> ember.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    dtype = _window_args("bartlett_window", window_length, dtype)
    if window_length <= 1:
        return _trivial(window_length, dtype, device, requires_grad)
    n = window_length + 1 if periodic else window_length
    w = arange(n, dtype=dtype, device=device) * (2.0 / (n - 1))
    half = ((n - 1) >> 1) + 1
    w = w.clone()
    w[half:] = 2 - w[half:]
    return _finish(w, periodic, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta), a = (N - 1) / 2.

    Example:
        >>> ember.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """
    dtype = _window_args("kaiser_window", window_length, dtype)
    if window_length <= 1:
        return _trivial(window_length, dtype, device, requires_grad)
    n = window_length + 1 if periodic else window_length
    a = (n - 1) / 2.0
    k = arange(n, dtype=D.float64, device=device)
    r = (1 - ((k - a) / a) ** 2).clamp(min=0).sqrt()
    w = (i0(r * beta) / i0(k.new_full((), float(beta)))).to(dtype)
    return _finish(w, periodic, requires_grad)


# ---- stft / istft ---------------------------------------------------------------------------

def _padded_window(window, win_length: int, n_fft: int, dtype, device) -> Tensor:
    if window is None:
        window = ones(win_length, dtype=dtype, device=device)
    elif window.dim() != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to "
                           f"win_length={win_length}, but got window with size "
                           f"{list(window.shape)}")
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        window = pad(window, (left, n_fft - win_length - left))
    return window


def stft(input: Tensor, n_fft: int, hop_length: int | None = None,
         win_length: int | None = None, window: Tensor | None = None, center: bool = True,
         pad_mode: str = "reflect", normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None) -> Tensor:
    """Short-time Fourier transform of a 1-D (L) or 2-D (B, L) signal, as ``torch.stft``:
    (B?, n_fft // 2 + 1 or n_fft, frames) complex bins.

    Example:
        >>> ember.stft(ember.ones(64), 16, return_complex=True).shape
        ember.Size([9, 17])
    """
    from .. import fft as F
    if return_complex is None:
        if not (input.is_complex() or (window is not None and window.is_complex())):
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in "
                               "a future PyTorch release.")
        return_complex = True
    if input.dim() not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.dim()}D tensor")
    hop = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    x = input.unsqueeze(0) if input.dim() == 1 else input
    if center:
        p = n_fft // 2
        x = pad(x.unsqueeze(1), (p, p), mode=pad_mode).squeeze(1)
    length = x.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"stft: expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if win_length <= 0 or win_length > n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    real_dtype = x.dtype.to_real() if x.dtype.is_floating_point or x.is_complex() else \
        D.get_default_dtype()
    w = _padded_window(window, win_length, n_fft, real_dtype, x.device)
    frames = x.unfold(-1, n_fft, hop) * w  # (B, frames, n_fft)
    complex_in = x.is_complex() or w.is_complex()
    if onesided is None:
        onesided = not complex_in
    if onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = F.rfft(frames, dim=-1, norm=norm) if onesided else F.fft(frames, dim=-1, norm=norm)
    spec = spec.transpose(-1, -2)
    if input.dim() == 1:
        spec = spec.squeeze(0)
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch "
                      "release, stft will return complex tensors for all inputs, and "
                      "return_complex=False will raise an error.", UserWarning, stacklevel=2)
        from .complex import view_as_real
        return view_as_real(spec.contiguous())
    return spec


def _overlap_add(frames: Tensor, hop: int) -> Tensor:
    """Real frames (B, n_frames, n_fft) summed at offsets hop apart into
    (B, n_fft + hop * (n_frames - 1)). The output, seen as rows of hop samples, takes each
    hop-wide column block of the frames in one shifted add: ceil(n_fft / hop) contiguous
    passes. For 4801 frames of 400 (hop 160) that took 1.1 ms where col2im (fold), which
    scatters tap by tap at a stride of hop and needs the frames transposed first, took 3.0."""
    batch, n_frames, n_fft = frames.shape
    blocks = -(-n_fft // hop)
    y = zeros((batch, n_frames + blocks - 1, hop), dtype=frames.dtype, device=frames.device)
    for j in range(blocks):
        width = min(hop, n_fft - j * hop)
        y[:, j:j + n_frames, :width] += frames[:, :, j * hop:j * hop + width]
    return y.reshape(batch, -1)[:, :n_fft + hop * (n_frames - 1)]


def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """Inverse of stft by weighted overlap-add, as ``torch.istft``: a complex (B?, bins,
    frames) spectrogram back to the (B?, length) signal.

    Example:
        >>> x = ember.randn(64); w = ember.hann_window(16)
        >>> y = ember.istft(ember.stft(x, 16, window=w, return_complex=True), 16, window=w)
        >>> ember.allclose(x, y, atol=1e-5)
        True
    """
    from .. import fft as F
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex, but "
                           f"got {input.dim()}")
    hop = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if hop <= 0 or hop > win_length:
        raise RuntimeError("istft: expected 0 < hop_length <= win_length")
    if win_length <= 0 or win_length > n_fft:
        raise RuntimeError("istft: expected 0 < win_length <= n_fft")
    spec = input.unsqueeze(0) if input.dim() == 2 else input
    n_bins, n_frames = spec.shape[-2], spec.shape[-1]
    if onesided is None:
        onesided = n_bins != n_fft
    if onesided and n_bins != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{n_bins}")
    if not onesided and n_bins != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {n_bins}")
    if return_complex and onesided:
        raise RuntimeError("cannot have onesided output if window or input is complex")
    real_dtype = spec.dtype.to_real()
    w = _padded_window(window, win_length, n_fft, real_dtype, spec.device)
    norm = "ortho" if normalized else "backward"
    frames_in = spec.transpose(-1, -2)  # (B, frames, bins)
    if onesided:
        frames = F.irfft(frames_in, n=n_fft, dim=-1, norm=norm)
    else:
        frames = F.ifft(frames_in, n=n_fft, dim=-1, norm=norm)
        if not return_complex:
            frames = frames.real
    frames = frames * w
    total = n_fft + hop * (n_frames - 1)
    if frames.is_complex():
        y = _complex(_overlap_add(frames.real, hop), _overlap_add(frames.imag, hop))
    else:
        y = _overlap_add(frames, hop)
    env = _overlap_add((w * w).expand(1, n_frames, n_fft), hop)[0]
    start = n_fft // 2 if center else 0
    end = total
    if length is not None:
        end = start + length
    elif center:
        end = total - n_fft // 2
    end = min(end, total)
    y, env = y[:, start:end], env[start:end]
    if bool((env.abs() < 1e-11).any()):
        raise RuntimeError(f"istft: window overlap add min: {env.abs().min().item():g} (the "
                           "window must not vanish where frames overlap: NOLA)")
    y = y / env
    if length is not None and y.shape[-1] < length:
        y = pad(y, (0, length - y.shape[-1]))
    return y.squeeze(0) if input.dim() == 2 else y
