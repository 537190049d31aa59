"""DFTs of CUDA tensors through cuFFT (CuPy's ``cupy.fft``), with the contract of
backends/cpu.py's ``fft``: the rows of x's last dim, read as complex values, reals or the
first half of a Hermitian spectrum, zero-padded or trimmed to n, transformed (inverse
picks exp(+2 pi i k t / n)), out_len values kept (complex, or their real parts) and
multiplied by scale. ember.fft's transforms and their backwards are built on this one
entry point, so every norm, n and dim runs on the GPU.
"""

from __future__ import annotations

from . import _cp, _on, view

_COMPLEX, _REAL, _HERMITIAN = 0, 1, 2  # backends.cpu.FFT_IN_*, csrc/fft.c's order


def _hermitian_spectrum(cp, a, n: int):
    """The length-n spectrum whose first n // 2 + 1 bins are a's (trimmed or zero-padded)
    and whose others mirror them conjugated, as the C kernel extends it."""
    full = cp.zeros(a.shape[:-1] + (n,), a.dtype)
    half = n // 2 + 1
    have = min(a.shape[-1], half)
    full[..., :have] = a[..., :have]
    if n > half:
        full[..., half:] = cp.conj(full[..., n - half:0:-1])
    return full


def fft(x, n: int, in_kind: int, out, out_real: bool, inverse: bool, scale: float) -> None:
    """out's rows = scale * DFT_n(x's rows); see the module docstring."""
    rows_out = out._shape[-1] if out._shape else 1
    if out.numel() == 0:
        return
    cp = _cp()
    with _on(out):
        a = view(x)
        if in_kind == _HERMITIAN and inverse and out_real:
            # the common irfft: cuFFT's C2R reads the first n // 2 + 1 bins, and its real
            # result is the real part of the mirrored spectrum's transform
            y = cp.fft.irfft(a, n=n, axis=-1, norm="forward")
        elif in_kind == _REAL and not inverse and not out_real and rows_out <= n // 2 + 1:
            y = cp.fft.rfft(a, n=n, axis=-1, norm="backward")
        else:
            if in_kind == _HERMITIAN:
                a = _hermitian_spectrum(cp, a, n)
            # real rows go in as they are (cuFFT reads them as complex); unscaled both
            # ways: the scale comes last, as the C kernel's
            y = (cp.fft.ifft(a, n=n, axis=-1, norm="forward") if inverse
                 else cp.fft.fft(a, n=n, axis=-1, norm="backward"))
        if out_real and cp.iscomplexobj(y):
            y = y.real
        dst = view(out)
        keep = min(rows_out, y.shape[-1])
        dst[..., :keep] = y[..., :keep] * scale
        if keep < rows_out:
            dst[..., keep:] = 0
