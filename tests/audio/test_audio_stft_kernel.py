"""The one-pass spectrogram kernel (csrc/stft.c) against a float64 NumPy DFT, and
``spectrogram``'s kernel path (no autograd graph) against its general path (with one)."""

import ember
import numpy as np
import pytest

from emberaudio import _native
from emberaudio import functional as F

RNG = np.random.default_rng(3)


def _ref(x, w, n_fft, hop):
    """(rows, frames, bins) complex128: windowed frames through NumPy's rfft."""
    n_frames = 1 + (x.shape[-1] - n_fft) // hop
    idx = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)
    return np.fft.rfft(x[:, idx].astype(np.float64) * w, axis=-1)


@pytest.mark.parametrize("n_fft", [2, 4, 6, 10, 16, 30, 64, 90, 400, 512])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 3e-6), (np.float64, 1e-12)])
def test_stft_kernel_matches_a_dft(n_fft, dtype, tol):
    x = RNG.standard_normal((3, 1000)).astype(dtype)
    w = RNG.uniform(0.2, 1.0, n_fft).astype(dtype)
    ref = _ref(x, w, n_fft, 7) * 0.5
    scale = np.abs(ref).max()
    for power, expect in ((None, ref), (1.0, np.abs(ref)), (2.0, np.abs(ref) ** 2)):
        out = _native.stft(ember.tensor(x), ember.tensor(w), n_fft, 7, 0.5, power)
        assert out.dtype == (ember.tensor(x).dtype if power is not None else
                             (ember.complex64 if dtype == np.float32 else ember.complex128))
        assert tuple(out.shape) == expect.shape
        np.testing.assert_allclose(out.numpy(), expect, rtol=0,
                                   atol=tol * scale ** (2 if power == 2.0 else 1))


def test_stft_kernel_checks_its_arguments():
    x, w = ember.randn(2, 100), ember.ones(14)
    assert _native.stft_supported(400) and _native.stft_supported(2)
    assert not _native.stft_supported(14) and not _native.stft_supported(15)
    with pytest.raises(ValueError, match="n_fft"):
        _native.stft(x, w, 14, 4, 1.0, 2.0)  # 7 is not a factor the kernel handles
    with pytest.raises(ValueError, match="frames of 200"):
        _native.stft(x, ember.ones(200), 200, 4, 1.0, 2.0)
    with pytest.raises(TypeError, match="one dtype"):
        _native.stft(x, ember.ones(16, dtype=ember.float64), 16, 4, 1.0, 2.0)
    with pytest.raises(ValueError, match="power"):
        _native.stft(x, ember.ones(16), 16, 4, 1.0, 3.0)


@pytest.mark.parametrize("n_fft,hop,win,pad", [(400, 160, 400, 0), (100, 25, 80, 3),
                                               (512, 128, 300, 0)])
@pytest.mark.parametrize("power", [None, 1.0, 2.0, 0.5])
@pytest.mark.parametrize("normalized", [False, True, "frame_length"])
@pytest.mark.parametrize("center,pad_mode", [(True, "reflect"), (True, "constant"),
                                             (False, "reflect")])
def test_spectrogram_kernel_path_matches_general_path(n_fft, hop, win, pad, power, normalized,
                                                      center, pad_mode):
    x = ember.tensor(RNG.standard_normal((2, 3, 900)))
    w = F.hann_window(win, dtype=ember.float64)
    fast = F.spectrogram(x, pad, w, n_fft, hop, win, power, normalized, center, pad_mode)
    # a graph to record takes the general (differentiable) path
    slow = F.spectrogram(x.clone().requires_grad_(True), pad, w, n_fft, hop, win, power,
                         normalized, center, pad_mode).detach()
    assert fast.shape == slow.shape and fast.dtype == slow.dtype
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-10,
                               atol=1e-12 * float(slow.abs().max()))
