"""emberaudio's spectral core against torch (windows, stft, gradients)."""

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

from emberaudio import functional as F  # noqa: E402

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "kaiser"])
@pytest.mark.parametrize("n", [0, 1, 5, 256, 401])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, n, periodic):
    ours = getattr(F, f"{name}_window")(n, periodic)
    ref = getattr(torch, f"{name}_window")(n, periodic)
    assert ours.dtype == ember.float32 and tuple(ours.shape) == tuple(ref.shape)
    # torch evaluates float32 windows in float32; ours are float64 rounded once
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=1.5e-6)
    ours64 = getattr(F, f"{name}_window")(n, periodic, dtype=ember.float64)
    ref64 = getattr(torch, f"{name}_window")(n, periodic, dtype=torch.float64)
    np.testing.assert_allclose(ours64.numpy(), ref64.numpy(), atol=1e-12)


@pytest.mark.parametrize("n_fft,hop,win", [(400, 160, 400), (512, 128, 300), (2048, 512, 2048)])
@pytest.mark.parametrize("center,pad_mode", [(True, "reflect"), (True, "constant"),
                                             (False, "reflect")])
@pytest.mark.parametrize("onesided", [True, False])
def test_stft_parts_match_torch(n_fft, hop, win, center, pad_mode, onesided):
    x = RNG.standard_normal((2, 4000))
    w = RNG.uniform(0.5, 1.0, win)
    re, im = F.stft_parts(ember.tensor(x), n_fft, hop, win, ember.tensor(w), center, pad_mode,
                          False, onesided)
    ref = torch.stft(torch.tensor(x), n_fft, hop, win, torch.tensor(w), center, pad_mode, False,
                     onesided, return_complex=True)
    np.testing.assert_allclose(re.numpy(), ref.real.numpy(), atol=1e-8)
    np.testing.assert_allclose(im.numpy(), ref.imag.numpy(), atol=1e-8)


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_spectrogram_gradient_matches_torch(power):
    x = RNG.standard_normal((1, 600))
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    w = np.hanning(256 + 1)[:-1]
    ours = F.spectrogram(xe, 0, ember.tensor(w), 256, 64, 256, power, False)
    ref = torch.stft(xt, 256, 64, 256, torch.tensor(w), True, "reflect",
                     return_complex=True).abs().pow(power)
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-9,
                               atol=1e-9)
    g = RNG.standard_normal(tuple(ref.shape))
    ours.backward(ember.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-8)
