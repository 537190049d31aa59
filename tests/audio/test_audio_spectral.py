import math

import ember
import numpy as np
import pytest

from emberaudio import functional as F

RNG = np.random.default_rng(1)


def _ref_window(name, n, periodic):
    m = n + 1 if periodic else n
    k = np.arange(n, dtype=np.float64)
    if n == 1:
        return np.ones(1)
    x = 2 * np.pi * k / (m - 1)
    return {"hann": 0.5 - 0.5 * np.cos(x), "hamming": 0.54 - 0.46 * np.cos(x),
            "blackman": 0.42 - 0.5 * np.cos(x) + 0.08 * np.cos(2 * x),
            "bartlett": 1 - np.abs(2 * k / (m - 1) - 1),
            "kaiser": np.i0(12.0 * np.sqrt(np.clip(1 - (2 * k / (m - 1) - 1) ** 2, 0, None)))
            / np.i0(12.0)}[name]


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "kaiser"])
@pytest.mark.parametrize("n", [1, 2, 7, 400])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, n, periodic):
    w = getattr(F, f"{name}_window")(n, periodic)
    assert w.dtype == ember.float32 and w.shape == (n,)
    np.testing.assert_allclose(w.numpy(), _ref_window(name, n, periodic), atol=1e-6)
    w64 = getattr(F, f"{name}_window")(n, periodic, dtype=ember.float64)
    np.testing.assert_allclose(w64.numpy(), _ref_window(name, n, periodic), atol=1e-12)


def test_window_defaults_and_errors():
    assert F.hann_window(0).shape == (0,)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.hann_window(-1)
    assert F.hann_window(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("n", [1, 8, 9, 400])
@pytest.mark.parametrize("onesided", [True, False])
def test_real_dft_matches_numpy(n, onesided):
    x = RNG.standard_normal((3, n))
    re, im = F.real_dft(ember.tensor(x), onesided=onesided)
    ref = np.fft.rfft(x) if onesided else np.fft.fft(x)
    np.testing.assert_allclose(re.numpy(), ref.real, atol=1e-9)
    np.testing.assert_allclose(im.numpy(), ref.imag, atol=1e-9)


def _np_stft(x, n_fft, hop, win_length, window, center, pad_mode, onesided):
    w = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    w[left:left + win_length] = window
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)],
                   mode={"reflect": "reflect", "constant": "constant", "replicate": "edge",
                         "circular": "wrap"}[pad_mode])
    n_frames = 1 + (x.shape[-1] - n_fft) // hop
    frames = np.stack([x[..., i * hop:i * hop + n_fft] for i in range(n_frames)], -2)
    spec = np.fft.rfft(frames * w) if onesided else np.fft.fft(frames * w)
    return np.swapaxes(spec, -1, -2)


@pytest.mark.parametrize("center,pad_mode", [(True, "reflect"), (False, "reflect"),
                                             (True, "constant"), (True, "replicate"),
                                             (True, "circular")])
@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
@pytest.mark.parametrize("normalized", [False, True, "frame_length"])
def test_spectrogram_matches_numpy(center, pad_mode, power, normalized):
    x = RNG.standard_normal((2, 3, 700))
    win = _ref_window("hann", 150, True)
    got = F.spectrogram(ember.tensor(x), 2, ember.tensor(win), 256, 64, 150, power, normalized,
                        center, pad_mode, True)
    ref = _np_stft(np.pad(x, [(0, 0), (0, 0), (2, 2)]), 256, 64, 150, win, center, pad_mode,
                   True)
    if normalized == "frame_length":
        ref = ref / math.sqrt(256)
    elif normalized:
        ref = ref / math.sqrt((win ** 2).sum())
    ref = np.abs(ref) ** power
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-8, atol=1e-9)


def test_spectrogram_float32_twosided_and_stft_parts():
    x = RNG.standard_normal(500).astype(np.float32)
    w = F.hamming_window(128)
    got = F.spectrogram(ember.tensor(x), 0, w, 128, 32, 128, 2.0, False, onesided=False)
    assert got.dtype == ember.float32 and got.shape == (128, 16)
    ref = np.abs(_np_stft(x.astype(np.float64), 128, 32, 128, w.numpy(), True, "reflect",
                          False)) ** 2
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-4, atol=1e-3)
    re, im = F.stft_parts(ember.tensor(x), 128, 32, window=w)
    cref = _np_stft(x.astype(np.float64), 128, 32, 128, w.numpy(), True, "reflect", True)
    np.testing.assert_allclose(re.numpy(), cref.real, atol=2e-4)
    np.testing.assert_allclose(im.numpy(), cref.imag, atol=2e-4)


def test_spectrogram_errors():
    x = ember.randn(100)
    with pytest.raises(ValueError, match="Invalid normalized"):
        F.spectrogram(x, 0, F.hann_window(32), 32, 8, 32, 2.0, "energy")
    with pytest.raises(TypeError, match="not supported"):
        F.spectrogram(x, 0, F.hann_window(32), 32, 8, 32, 2.0, 1.0)
    with pytest.raises(RuntimeError, match="win_length"):
        F.spectrogram(x, 0, F.hann_window(16), 32, 8, 40, 2.0, False)
    with pytest.raises(RuntimeError, match="window"):
        F.spectrogram(x, 0, F.hann_window(16), 32, 8, 32, 2.0, False)
    with pytest.raises(RuntimeError, match="Padding size"):
        F.spectrogram(ember.randn(10), 0, F.hann_window(32), 32, 8, 32, 2.0, False)
    with pytest.raises(ValueError, match="complex"):
        F.inverse_spectrogram(x, None, 0, F.hann_window(32), 32, 8, 32, False)


def test_spectrogram_gradcheck():
    x = ember.tensor(RNG.standard_normal((2, 40)), requires_grad=True)
    w = ember.tensor(_ref_window("hann", 16, True), requires_grad=True)
    for power in (1.0, 2.0):
        assert ember.autograd.gradcheck(
            lambda x, w, p=power: F.spectrogram(x, 1, w, 16, 5, 16, p, True), (x, w))


def test_magnitude_gradient_is_zero_at_silence():
    x = ember.zeros(64, dtype=ember.float64, requires_grad=True)
    F.spectrogram(x, 0, F.hann_window(16, dtype=ember.float64), 16, 4, 16, 1.0, False).sum() \
        .backward()
    assert x.grad.abs().max().item() == 0.0


def test_spectral_centroid_of_tones():
    sr = 8000
    t = np.arange(4000) / sr
    for freq in (500.0, 1500.0):
        x = ember.tensor(np.sin(2 * np.pi * freq * t))
        c = F.spectral_centroid(x, sr, 0, F.hann_window(512, dtype=ember.float64), 512, 256,
                                512)
        assert c.shape == (16,)
        np.testing.assert_allclose(c[2:-2].numpy(), freq, rtol=0.02)
