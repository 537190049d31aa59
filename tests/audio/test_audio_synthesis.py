"""Spectrogram inversion, Griffin-Lim, phase vocoder, pitch shift, CMN and FFT convolution
(known values and round trips; no torch)."""

import math

import ember
import numpy as np
import pytest

from emberaudio import functional as F
from emberaudio import transforms as T

RNG = np.random.default_rng(5)


def _snr(ref, est):
    return 10 * np.log10((ref ** 2).sum() / ((ref - est) ** 2).sum())


@pytest.mark.parametrize("normalized", [False, True, "frame_length"])
@pytest.mark.parametrize("pad", [0, 7])
def test_inverse_spectrogram_round_trip(normalized, pad):
    x = ember.tensor(RNG.standard_normal((2, 3, 500)))
    spec = T.Spectrogram(64, hop_length=16, pad=pad, power=None, normalized=normalized,
                         wkwargs={"dtype": ember.float64})(x)
    assert spec.is_complex() and spec.shape == (2, 3, 33, 32 + (pad * 2 + 15) // 16)
    y = T.InverseSpectrogram(64, hop_length=16, pad=pad, normalized=normalized,
                             wkwargs={"dtype": ember.float64})(spec, 500)
    assert y.shape == (2, 3, 500)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-10)


def test_complex_spectrogram_matches_numpy_dft():
    x = RNG.standard_normal(256)
    spec = F.spectrogram(ember.tensor(x), 0, ember.ones(64, dtype=ember.float64), 64, 64, 64,
                         None, False, center=False)
    ref = np.fft.rfft(x.reshape(4, 64)).T
    np.testing.assert_allclose(ember.view_as_real(spec).numpy()[..., 0], ref.real, atol=1e-10)
    np.testing.assert_allclose(ember.view_as_real(spec).numpy()[..., 1], ref.imag, atol=1e-10)


def test_return_complex_is_deprecated():
    with pytest.warns(UserWarning, match="deprecated"):
        T.Spectrogram(32, return_complex=True)


def test_griffinlim_recovers_magnitude():
    t = np.arange(4000) / 8000
    x = np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 1250 * t)
    w = F.hann_window(256, dtype=ember.float64)
    mag = F.spectrogram(ember.tensor(x), 0, w, 256, 64, 256, 2.0, False)
    def convergence(n_iter):
        """||S - S'|| / ||S|| of magnitudes after re-analysing the reconstruction."""
        y = F.griffinlim(mag, w, 256, 64, 256, 2.0, n_iter, 0.99, 4000, True,
                         generator=ember.Generator().manual_seed(3))
        assert y.shape == (4000,)
        rebuilt = F.spectrogram(y, 0, w, 256, 64, 256, 2.0, False)
        return np.linalg.norm(np.sqrt(rebuilt.numpy()) - np.sqrt(mag.numpy())) / \
            np.linalg.norm(np.sqrt(mag.numpy()))

    start, end = convergence(0), convergence(32)
    assert start > 0.3 and end < 0.1


def test_griffinlim_generator_is_deterministic_and_errors():
    mag = T.Spectrogram(64)(ember.randn(400))
    gl = [F.griffinlim(mag, F.hann_window(64), 64, 32, 64, 2.0, 2, 0.5, None, True,
                       generator=ember.Generator().manual_seed(7)) for _ in range(2)]
    assert ember.equal(gl[0], gl[1])
    with pytest.raises(ValueError, match="momentum"):
        T.GriffinLim(momentum=1.0)


def test_griffinlim_is_differentiable():
    mag = T.Spectrogram(64, power=1.0)(ember.randn(1, 400)).requires_grad_()
    y = T.GriffinLim(64, n_iter=2, power=1.0, rand_init=False)(mag)
    y.pow(2).sum().backward()
    assert mag.grad.shape == mag.shape and bool(ember.isfinite(mag.grad).all())
    assert mag.grad.abs().sum().item() > 0


def test_phase_vocoder_rate_one_and_lengths():
    spec = T.Spectrogram(128, hop_length=32, power=None)(ember.randn(2, 1000))
    adv = ember.linspace(0, math.pi * 32, 65).unsqueeze(-1)
    assert F.phase_vocoder(spec, 1.0, adv) is spec
    for rate in (0.5, 1.5, 2.0):
        out = T.TimeStretch(32, 65)(spec, rate)
        assert out.shape == (2, 65, math.ceil(spec.shape[-1] / rate))
    with pytest.raises(ValueError, match="fixed_rate"):
        T.TimeStretch(32, 65)(spec)


def test_time_stretch_keeps_frequency():
    """A tone stretched 2x (slower) keeps its pitch and doubles its duration."""
    sr, f0 = 8000, 500.0
    x = ember.tensor(np.sin(2 * np.pi * f0 * np.arange(4000) / sr))
    w = F.hann_window(256, dtype=ember.float64)
    spec = F.spectrogram(x, 0, w, 256, 64, 256, None, False)
    adv = ember.linspace(0, math.pi * 64, 129, dtype=ember.float64).unsqueeze(-1)
    slow = F.phase_vocoder(spec, 0.5, adv)
    y = ember.istft(slow, 256, 64, window=w, length=8000).numpy()
    assert y.shape == (8000,)
    peak = np.argmax(np.abs(np.fft.rfft(y[1000:7000]))) * sr / 6000
    assert abs(peak - f0) < 3


@pytest.mark.parametrize("n_steps", [-12, 7])
def test_pitch_shift_moves_tone(n_steps):
    sr, f0 = 8000, 400.0
    x = ember.tensor(np.sin(2 * np.pi * f0 * np.arange(8000) / sr), dtype=ember.float32)
    y = T.PitchShift(sr, n_steps)(x.unsqueeze(0))
    assert y.shape == (1, 8000) and y.dtype == ember.float32
    spec = np.abs(np.fft.rfft(y.numpy()[0, 1000:7000]))
    peak = np.argmax(spec) * sr / 6000
    np.testing.assert_allclose(peak, f0 * 2 ** (n_steps / 12), rtol=0.02)


def _kaldi_cmn(x, window, min_window, center, norm_vars):
    """Direct per-frame reference of Kaldi's sliding CMN."""
    t_len = x.shape[0]
    out = np.zeros_like(x)
    for t in range(t_len):
        if center:
            s = t - window // 2
            e = s + window
        else:
            s, e = t - window, t + 1
        if s < 0:
            e, s = e - s, 0
        if not center and e > t:
            e = max(t + 1, min_window)
        if e > t_len:
            s, e = max(s - (e - t_len), 0), t_len
        seg = x[s:e]
        out[t] = x[t] - seg.mean(0)
        if norm_vars:
            out[t] = 0 if len(seg) == 1 else out[t] / seg.std(0)
    return out


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("norm_vars", [False, True])
def test_sliding_window_cmn(center, norm_vars):
    x = RNG.standard_normal((3, 60, 5))
    got = T.SlidingWindowCmn(20, 8, center, norm_vars)(ember.tensor(x))
    ref = np.stack([_kaldi_cmn(c, 20, 8, center, norm_vars) for c in x])
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_fftconvolve_matches_numpy_and_direct(mode):
    x = RNG.standard_normal((2, 3, 40))
    y = RNG.standard_normal((1, 3, 9))
    got = T.FFTConvolve(mode)(ember.tensor(x), ember.tensor(y))
    ref = np.stack([[np.convolve(a, b, mode) for a, b in zip(row, y[0])] for row in x])
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-10)
    direct = F.convolve(ember.tensor(x), ember.tensor(y), mode)
    np.testing.assert_allclose(got.numpy(), direct.numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="mode"):
        F.fftconvolve(ember.tensor(x), ember.tensor(y), "circular")
    with pytest.raises(ValueError, match="broadcastable"):
        F.fftconvolve(ember.randn(2, 5), ember.randn(3, 5))


def test_fftconvolve_gradient():
    x = ember.tensor(RNG.standard_normal((2, 12)), requires_grad=True)
    y = ember.tensor(RNG.standard_normal((2, 5)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: F.fftconvolve(a, b, "same"), (x, y))


def test_lfcc_is_dct_of_db_linear_filterbank():
    x = ember.tensor(RNG.standard_normal((1, 1600)), dtype=ember.float32)
    lfcc = T.LFCC(16000, n_filter=24, n_lfcc=10, speckwargs={"n_fft": 128})
    out = lfcc(x)
    assert out.shape == (1, 10, 26)
    spec = T.Spectrogram(128)(x).numpy()[0]
    fb = F.linear_fbanks(65, 0.0, 8000.0, 24, 16000).numpy()
    db = 10 * np.log10(np.maximum(fb.T @ spec, 1e-10))
    db = np.maximum(db, db.max() - 80)
    ref = F.create_dct(10, 24, "ortho").numpy().T @ db
    np.testing.assert_allclose(out.numpy()[0], ref, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="LFCC"):
        T.LFCC(n_lfcc=500, speckwargs={"n_fft": 256})
