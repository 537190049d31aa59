"""emberaudio.functional against torchaudio 2.9.1 (the spec): the same NumPy inputs through
both, outputs compared and, for differentiable functions, the gradients of a random cotangent.

Needs torchaudio, which pins its own torch (2.9.1): it runs in its own tox env,
`tox -e torchaudio`.
"""

import math

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchaudio = pytest.importorskip("torchaudio")
pytestmark = [pytest.mark.torchaudio, pytest.mark.usefixtures("per_test_rng")]

import torchaudio.functional as TF  # noqa: E402

from emberaudio import functional as F  # noqa: E402

RNG = np.random.default_rng(2024)


def _np(t):
    """A tensor of either framework as NumPy (complex kept)."""
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t.detach().cpu().numpy())


def check(fe, ft, *arrays, rtol=1e-7, atol=1e-9, grad=True, grad_rtol=None, grad_atol=None):
    """Runs ``fe`` on ember tensors and ``ft`` on torch tensors made from ``arrays`` (NumPy;
    floating ones require grad when ``grad``), compares the outputs and then the gradients
    of ``sum(out * g)`` for a random ``g``."""
    def make(lib, a):
        if isinstance(a, np.ndarray):
            t = lib.tensor(a)
            if grad and np.issubdtype(a.dtype, np.floating):
                t.requires_grad_(True)
            return t
        return a
    te = [make(ember, a) for a in arrays]
    tt = [make(torch, a) for a in arrays]
    oe, ot = fe(*te), ft(*tt)
    assert tuple(oe.shape) == tuple(ot.shape)
    np.testing.assert_allclose(_np(oe), _np(ot), rtol=rtol, atol=atol)
    if not grad:
        return oe, ot
    g = RNG.standard_normal(tuple(ot.shape))
    (oe * ember.tensor(g, dtype=oe.dtype)).sum().backward()
    (ot * torch.tensor(g, dtype=ot.dtype)).sum().backward()
    for a, b in zip(te, tt):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            assert (a.grad is None) == (b.grad is None)
            if b.grad is not None:
                np.testing.assert_allclose(_np(a.grad), _np(b.grad),
                                           rtol=grad_rtol or rtol * 10,
                                           atol=grad_atol or atol * 10)
    return oe, ot


def _window(n):
    return np.hanning(n + 1)[:-1]


# ---- spectral ---------------------------------------------------------------------------

@pytest.mark.parametrize("n_fft,hop,win,pad", [(64, 16, 64, 0), (100, 25, 80, 3),
                                               (128, 32, 100, 0)])
@pytest.mark.parametrize("power", [None, 1.0, 2.0])
@pytest.mark.parametrize("normalized", [False, True, "frame_length", "window"])
@pytest.mark.parametrize("center,pad_mode,onesided", [(True, "reflect", True),
                                                      (True, "constant", False),
                                                      (False, "reflect", True)])
def test_spectrogram(n_fft, hop, win, pad, power, normalized, center, pad_mode, onesided):
    x = RNG.standard_normal((2, 600))
    w = _window(win)

    def run(F_, X, W):
        return F_.spectrogram(X, pad, W, n_fft, hop, win, power, normalized, center, pad_mode,
                              onesided)
    check(lambda X, W: run(F, X, W), lambda X, W: run(TF, X, W), x, w,
          grad=power is not None, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("normalized", [False, True, "frame_length", "window"])
@pytest.mark.parametrize("length,pad", [(None, 0), (600, 0), (590, 4)])
@pytest.mark.parametrize("center,onesided", [(True, True), (True, False), (False, True)])
def test_inverse_spectrogram(normalized, length, pad, center, onesided):
    n_fft, hop, win = 64, 16, 64
    # nonzero at the ends: frames without centring must overlap-add to nonzero everywhere
    w = 0.2 + torch.hann_window(win, dtype=torch.float64)
    x = torch.tensor(RNG.standard_normal((2, 600)))
    spec = TF.spectrogram(x, pad, w, n_fft, hop, win, None, normalized, center, "reflect",
                          onesided)
    ref = TF.inverse_spectrogram(spec, length, pad, w, n_fft, hop, win, normalized, center,
                                 "reflect", onesided)
    ours = F.inverse_spectrogram(ember.tensor(spec.numpy()), length, pad,
                                 ember.tensor(w.numpy()), n_fft, hop, win, normalized, center,
                                 "reflect", onesided)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-9, atol=1e-10)


def test_inverse_spectrogram_gradient():
    n_fft, hop = 64, 16
    w = np.hanning(n_fft + 1)[:-1]
    spec = torch.stft(torch.tensor(RNG.standard_normal(400)), n_fft, hop,
                      window=torch.tensor(w), return_complex=True).numpy()
    se = ember.tensor(spec, requires_grad=True)
    st = torch.tensor(spec, requires_grad=True)
    ye = F.inverse_spectrogram(se, 400, 0, ember.tensor(w), n_fft, hop, n_fft, False)
    yt = TF.inverse_spectrogram(st, 400, 0, torch.tensor(w), n_fft, hop, n_fft, False)
    g = RNG.standard_normal(400)
    (ye * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(se.grad.numpy(), st.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("momentum", [0.0, 0.99])
@pytest.mark.parametrize("power,length", [(2.0, None), (1.0, 600)])
def test_griffinlim(momentum, power, length):
    n_fft, hop = 64, 16
    w = _window(n_fft)
    x = torch.tensor(RNG.standard_normal((2, 600)))
    spec = TF.spectrogram(x, 0, torch.tensor(w), n_fft, hop, n_fft, power, False).numpy()
    check(lambda S, W: F.griffinlim(S, W, n_fft, hop, n_fft, power, 5, momentum, length, False),
          lambda S, W: TF.griffinlim(S, W, n_fft, hop, n_fft, power, 5, momentum, length,
                                     False),
          spec, w, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("pad", [0, 5])
def test_spectral_centroid(pad):
    x = RNG.standard_normal((2, 800))
    w = _window(128)
    check(lambda X, W: F.spectral_centroid(X, 16000, pad, W, 128, 32, 128),
          lambda X, W: TF.spectral_centroid(X, 16000, pad, W, 128, 32, 128), x, w,
          rtol=1e-9, atol=1e-7)


def test_phase_vocoder():
    spec = torch.stft(torch.tensor(RNG.standard_normal((2, 2000))), 256, 64,
                      window=torch.hann_window(256, dtype=torch.float64),
                      return_complex=True).numpy()
    adv = np.linspace(0, math.pi * 64, 129)[:, None]
    # rates whose multiples below the frame count are not near integers: torch.arange's
    # vector lanes round k * rate differently from start + k * step by an ulp, and the
    # frame index is its floor
    for rate in (0.73, 1.37, 2.0):
        ours = F.phase_vocoder(ember.tensor(spec), rate, ember.tensor(adv))
        ref = TF.phase_vocoder(torch.tensor(spec), rate, torch.tensor(adv))
        assert tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-9, atol=1e-9)


def test_phase_vocoder_gradient():
    spec = torch.stft(torch.tensor(RNG.standard_normal(1000)), 64, 16,
                      window=torch.hann_window(64, dtype=torch.float64),
                      return_complex=True).numpy()
    adv = np.linspace(0, math.pi * 16, 33)[:, None]
    se, st = ember.tensor(spec, requires_grad=True), torch.tensor(spec, requires_grad=True)
    ye = F.phase_vocoder(se, 1.37, ember.tensor(adv))
    yt = TF.phase_vocoder(st, 1.37, torch.tensor(adv))
    g_re, g_im = RNG.standard_normal(tuple(yt.shape)), RNG.standard_normal(tuple(yt.shape))
    (ember.real(ye) * ember.tensor(g_re) + ember.imag(ye) * ember.tensor(g_im)).sum().backward()
    (yt.real * torch.tensor(g_re) + yt.imag * torch.tensor(g_im)).sum().backward()
    np.testing.assert_allclose(se.grad.numpy(), st.grad.numpy(), rtol=1e-7, atol=1e-9)


# ---- filterbanks --------------------------------------------------------------------------

@pytest.mark.parametrize("mel_scale", ["htk", "slaney"])
@pytest.mark.parametrize("norm", [None, "slaney"])
@pytest.mark.parametrize("n_freqs,f_min,f_max,n_mels,sr", [(201, 0.0, 8000.0, 40, 16000),
                                                            (1025, 20.0, 11025.0, 128, 22050),
                                                            (513, 100.0, 16000.0, 64, 44100)])
def test_melscale_fbanks(mel_scale, norm, n_freqs, f_min, f_max, n_mels, sr):
    ours = F.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sr, norm, mel_scale)
    ref = TF.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sr, norm, mel_scale)
    assert ours.dtype == ember.float32 and tuple(ours.shape) == tuple(ref.shape)
    # ours are computed in float64 and rounded once; torchaudio's in float32, which moves
    # the filters' edges by up to ~2e-5 (relative to a peak of 1 or 2 / bandwidth)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-4,
                               atol=3e-5 * float(np.abs(ref.numpy()).max()))


@pytest.mark.parametrize("n_freqs,f_min,f_max,n_filter,sr", [(201, 0.0, 8000.0, 40, 16000),
                                                              (513, 50.0, 10000.0, 30, 22050)])
def test_linear_fbanks(n_freqs, f_min, f_max, n_filter, sr):
    ours = F.linear_fbanks(n_freqs, f_min, f_max, n_filter, sr)
    ref = TF.linear_fbanks(n_freqs, f_min, f_max, n_filter, sr)
    assert ours.dtype == ember.float32 and tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


def _dct_float64(n_mfcc, n_mels, norm):
    """torchaudio's DCT-II matrix formula evaluated in float64."""
    n, k = np.arange(n_mels), np.arange(n_mfcc)[:, None]
    dct = np.cos(np.pi / n_mels * (n + 0.5) * k)
    if norm is None:
        return (dct * 2.0).T
    dct[0] *= 1.0 / np.sqrt(2.0)
    return (dct * np.sqrt(2.0 / n_mels)).T


@pytest.mark.parametrize("norm", [None, "ortho"])
@pytest.mark.parametrize("n_mfcc,n_mels", [(13, 40), (20, 80), (40, 40)])
def test_create_dct(norm, n_mfcc, n_mels):
    ours = F.create_dct(n_mfcc, n_mels, norm)
    ref = TF.create_dct(n_mfcc, n_mels, norm)
    assert ours.dtype == ember.float32
    # ours are cos() in float64 rounded once; torchaudio's argument n * k * pi / n_mels is
    # rounded in float32 first (up to ~1e-5 off at k ~ 40)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, atol=3e-5)
    np.testing.assert_allclose(ours.numpy(), _dct_float64(n_mfcc, n_mels, norm), rtol=1e-6,
                               atol=1e-7)


# ---- amplitude, mu-law, deltas -------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 7), (2, 5, 7), (3, 2, 5, 7)])
@pytest.mark.parametrize("multiplier", [10.0, 20.0])
@pytest.mark.parametrize("top_db", [None, 20.0])
def test_amplitude_to_DB(shape, multiplier, top_db):
    x = RNG.uniform(1e-4, 10.0, shape)
    db_mult = math.log10(max(1e-10, 1.0))
    check(lambda X: F.amplitude_to_DB(X, multiplier, 1e-10, db_mult, top_db),
          lambda X: TF.amplitude_to_DB(X, multiplier, 1e-10, db_mult, top_db), x)


@pytest.mark.parametrize("ref,power", [(1.0, 1.0), (2.0, 0.5)])
def test_DB_to_amplitude(ref, power):
    x = RNG.uniform(-40, 20, (3, 8))
    check(lambda X: F.DB_to_amplitude(X, ref, power),
          lambda X: TF.DB_to_amplitude(X, ref, power), x, rtol=1e-12)


@pytest.mark.parametrize("channels", [256, 16])
def test_mu_law(channels):
    x = RNG.uniform(-1, 1, (2, 500)).astype(np.float32)
    enc_e = F.mu_law_encoding(ember.tensor(x), channels)
    enc_t = TF.mu_law_encoding(torch.tensor(x), channels)
    assert enc_e.dtype == ember.int64
    np.testing.assert_array_equal(enc_e.numpy(), enc_t.numpy())
    dec_e = F.mu_law_decoding(enc_e, channels)
    dec_t = TF.mu_law_decoding(enc_t, channels)
    assert dec_e.dtype == ember.float32
    np.testing.assert_allclose(dec_e.numpy(), dec_t.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("win_length", [3, 5, 9])
@pytest.mark.parametrize("mode", ["replicate", "constant", "reflect"])
def test_compute_deltas(win_length, mode):
    x = RNG.standard_normal((2, 4, 30))
    check(lambda X: F.compute_deltas(X, win_length, mode),
          lambda X: TF.compute_deltas(X, win_length, mode), x, rtol=1e-10, atol=1e-12)


# ---- resampling ----------------------------------------------------------------------------

@pytest.mark.parametrize("orig,new", [(44100, 16000), (16000, 44100), (8000, 12000),
                                      (48000, 44100), (16000, 8000)])
@pytest.mark.parametrize("method,beta", [("sinc_interp_hann", None),
                                         ("sinc_interp_kaiser", None),
                                         ("sinc_interp_kaiser", 8.0)])
@pytest.mark.parametrize("width,rolloff", [(6, 0.99), (16, 0.9), (3, 0.8)])
def test_resample(orig, new, method, beta, width, rolloff):
    x = RNG.standard_normal((2, 441))
    # torchaudio divides the Kaiser window by torch.i0 of a float32 beta, a few float32
    # ulps (2e-7 relative) from the correctly rounded value that ours uses for beta=8
    tol = 1e-9 if beta is None else 5e-7
    check(lambda X: F.resample(X, orig, new, width, rolloff, method, beta),
          lambda X: TF.resample(X, orig, new, width, rolloff, method, beta), x,
          rtol=tol, atol=tol)


def test_resample_float32():
    x = RNG.standard_normal((1, 3, 800)).astype(np.float32)
    check(lambda X: F.resample(X, 16000, 22050), lambda X: TF.resample(X, 16000, 22050), x,
          rtol=1e-4, atol=1e-5)


# ---- filtering -----------------------------------------------------------------------------

def _stable(order, n_filters=None):
    shape = (order,) if n_filters is None else (n_filters, order)
    poles = 0.9 * RNG.uniform(-1, 1, shape)
    a = np.poly(poles) if n_filters is None else np.stack([np.poly(p) for p in poles])
    return 1.3 * a, 0.4 * RNG.standard_normal(a.shape)


@pytest.mark.parametrize("order", [1, 2, 4, 9])
@pytest.mark.parametrize("clamp", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lfilter_1d_coeffs(order, clamp, dtype):
    a, b = _stable(order)
    x = (0.5 * RNG.standard_normal((2, 3, 300))).astype(dtype)
    # torchaudio runs a float32 filter's recursion in float32, ours in float64 (then
    # rounds): high orders drift apart by more than float32's epsilon, so float32 is also
    # compared with torchaudio's float64 result below
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-3, atol=1e-4)
    if dtype == np.float32:
        ours = F.lfilter(ember.tensor(x), ember.tensor(a.astype(dtype)),
                         ember.tensor(b.astype(dtype)), clamp)
        ref64 = TF.lfilter(torch.tensor(x, dtype=torch.float64),
                           torch.tensor(a.astype(dtype), dtype=torch.float64),
                           torch.tensor(b.astype(dtype), dtype=torch.float64), clamp)
        np.testing.assert_allclose(ours.numpy(), ref64.numpy(), rtol=1e-6, atol=1e-7)
    # without grad: the one-pass C kernel
    check(lambda X, A, B: F.lfilter(X, A, B, clamp), lambda X, A, B: TF.lfilter(X, A, B, clamp),
          x, a.astype(dtype), b.astype(dtype), grad=False, **tol)
    # with grad: the differentiable path
    check(lambda X, A, B: F.lfilter(X, A, B, clamp), lambda X, A, B: TF.lfilter(X, A, B, clamp),
          x, a.astype(dtype), b.astype(dtype), **tol)


@pytest.mark.parametrize("batching", [True, False])
def test_lfilter_2d_coeffs(batching):
    a, b = _stable(3, n_filters=3)
    x = 0.5 * RNG.standard_normal((2, 3, 200))
    for grad in (False, True):
        check(lambda X, A, B: F.lfilter(X, A, B, False, batching),
              lambda X, A, B: TF.lfilter(X, A, B, False, batching), x, a, b, grad=grad,
              rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("clamp", [True, False])
def test_filtfilt(clamp):
    a, b = _stable(2)
    x = 0.5 * RNG.standard_normal((2, 300))
    for grad in (False, True):
        check(lambda X, A, B: F.filtfilt(X, A, B, clamp),
              lambda X, A, B: TF.filtfilt(X, A, B, clamp), x, a, b, grad=grad,
              rtol=1e-9, atol=1e-10)


BIQUADS = [
    ("biquad", (0.4, 0.2, 0.1, 1.2, -0.3, 0.2)),
    ("lowpass_biquad", (16000, 1500.0)),
    ("lowpass_biquad", (16000, 3000.0, 1.5)),
    ("highpass_biquad", (16000, 700.0)),
    ("bandpass_biquad", (16000, 2000.0)),
    ("bandpass_biquad", (16000, 2000.0, 2.0, True)),
    ("bandreject_biquad", (16000, 2500.0)),
    ("allpass_biquad", (16000, 1200.0)),
    ("equalizer_biquad", (16000, 1000.0, 6.0)),
    ("equalizer_biquad", (16000, 3000.0, -4.0, 1.2)),
    ("band_biquad", (16000, 1000.0)),
    ("band_biquad", (16000, 1000.0, 1.5, True)),
    ("bass_biquad", (16000, 6.0)),
    ("bass_biquad", (16000, -3.0, 250.0, 0.9)),
    ("treble_biquad", (16000, 4.0)),
    ("treble_biquad", (16000, -6.0, 4000.0, 1.1)),
    ("deemph_biquad", (44100,)),
    ("deemph_biquad", (48000,)),
    ("riaa_biquad", (44100,)),
    ("riaa_biquad", (96000,)),
]


@pytest.mark.parametrize("name,args", BIQUADS, ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(BIQUADS)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_biquads(name, args, dtype):
    x = (0.3 * RNG.standard_normal((2, 400))).astype(dtype)
    tol = dict(rtol=1e-8, atol=1e-10) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    for grad in (False, True):
        check(lambda X: getattr(F, name)(X, *args), lambda X: getattr(TF, name)(X, *args), x,
              grad=grad, **tol)


@pytest.mark.parametrize("coeff", [0.97, 0.5])
def test_preemphasis_deemphasis(coeff):
    x = 0.3 * RNG.standard_normal((2, 3, 100))
    check(lambda X: F.preemphasis(X, coeff), lambda X: TF.preemphasis(X, coeff), x,
          rtol=1e-12, atol=1e-14)
    for grad in (False, True):
        check(lambda X: F.deemphasis(X, coeff), lambda X: TF.deemphasis(X, coeff), x,
              grad=grad, rtol=1e-9, atol=1e-10)


# ---- effects ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine",
                                   "half_sine"])
@pytest.mark.parametrize("fade_in,fade_out", [(0, 0), (30, 0), (0, 45), (25, 60)])
def test_fade(shape, fade_in, fade_out):
    x = RNG.standard_normal((2, 100)).astype(np.float32)
    ref = torchaudio.transforms.Fade(fade_in, fade_out, shape)
    check(lambda X: F.fade(X, fade_in, fade_out, shape), ref, x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("with_lengths", [False, True])
def test_add_noise(with_lengths):
    x = RNG.standard_normal((2, 3, 50))
    noise = RNG.standard_normal((2, 3, 50))
    snr = np.array([[10.0, 3.0, -2.0], [0.0, 20.0, 5.0]])
    if with_lengths:
        lengths = np.array([[50, 20, 33], [1, 49, 50]])
        check(lambda X, N, S: F.add_noise(X, N, S, ember.tensor(lengths)),
              lambda X, N, S: TF.add_noise(X, N, S, torch.tensor(lengths)), x, noise, snr,
              rtol=1e-10, atol=1e-12)
    else:
        check(F.add_noise, TF.add_noise, x, noise, snr, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("nx,ny", [(50, 7), (7, 50), (20, 20)])
def test_convolve(mode, nx, ny):
    x = RNG.standard_normal((2, 1, nx))
    y = RNG.standard_normal((1, 3, ny))
    check(lambda X, Y: F.convolve(X, Y, mode), lambda X, Y: TF.convolve(X, Y, mode), x, y,
          rtol=1e-10, atol=1e-12)
    check(lambda X, Y: F.fftconvolve(X, Y, mode), lambda X, Y: TF.fftconvolve(X, Y, mode), x, y,
          rtol=1e-9, atol=1e-11)


class _FixedRand:
    """Stands in for ``torch.rand``/``ember.rand``: returns the given draws in order (cast to
    the requested dtype), so both frameworks cut the same masks."""

    def __init__(self, lib, draws):
        self.lib, self.draws = lib, list(draws)

    def __call__(self, *size, dtype=None, device=None, **_):
        if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)):
            size = tuple(size[0])
        value = np.asarray(self.draws.pop(0), np.float32).reshape(size)
        return self.lib.tensor(value, dtype=dtype or self.lib.float32)


@pytest.mark.parametrize("axis_from_end", [1, 2])
@pytest.mark.parametrize("draws", [(0.3, 0.6), (0.99, 0.01), (0.5, 0.999)])
@pytest.mark.parametrize("p", [1.0, 0.3])
def test_mask_along_axis(monkeypatch, axis_from_end, draws, p):
    x = RNG.standard_normal((2, 3, 20, 30)).astype(np.float32)
    axis = x.ndim - axis_from_end
    monkeypatch.setattr(ember, "rand", _FixedRand(ember, draws))
    monkeypatch.setattr(torch, "rand", _FixedRand(torch, draws))
    ours = F.mask_along_axis(ember.tensor(x), 12, -1.5, axis, p)
    ref = TF.mask_along_axis(torch.tensor(x), 12, -1.5, axis, p)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("axis_from_end", [1, 2])
def test_mask_along_axis_iid(monkeypatch, axis_from_end):
    x = RNG.standard_normal((2, 3, 20, 30)).astype(np.float32)
    axis = x.ndim - axis_from_end
    draws = [RNG.uniform(size=(2, 3)), RNG.uniform(size=(2, 3))]
    monkeypatch.setattr(ember, "rand", _FixedRand(ember, draws))
    monkeypatch.setattr(torch, "rand", _FixedRand(torch, draws))
    ours = F.mask_along_axis_iid(ember.tensor(x), 15, 0.25, axis)
    ref = TF.mask_along_axis_iid(torch.tensor(x), 15, 0.25, axis)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("freq,sr", [(220.0, 16000), (440.0, 8000), (130.0, 22050)])
def test_detect_pitch_frequency(freq, sr):
    t = np.arange(sr // 2) / sr
    x = np.stack([np.sin(2 * np.pi * freq * t), 0.5 * np.sin(2 * np.pi * 1.5 * freq * t)
                  + 0.05 * RNG.standard_normal(t.size)]).astype(np.float32)
    ours = F.detect_pitch_frequency(ember.tensor(x), sr)
    ref = TF.detect_pitch_frequency(torch.tensor(x), sr)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("cmn_window,min_cmn_window,center", [(600, 100, False), (10, 5, False),
                                                              (10, 5, True), (7, 3, True)])
@pytest.mark.parametrize("norm_vars", [False, True])
def test_sliding_window_cmn(cmn_window, min_cmn_window, center, norm_vars):
    x = RNG.standard_normal((2, 40, 6))
    # torchaudio's norm_vars scales its output in place: torch refuses its backward
    check(lambda X: F.sliding_window_cmn(X, cmn_window, min_cmn_window, center, norm_vars),
          lambda X: TF.sliding_window_cmn(X, cmn_window, min_cmn_window, center, norm_vars), x,
          rtol=1e-8, atol=1e-10, grad=not norm_vars)


def test_vad():
    sr = 8000
    t = np.arange(sr * 2) / sr
    tone = np.where(t > 0.8, 0.5 * np.sin(2 * np.pi * 300 * t), 0.0)
    x = (tone + 0.001 * RNG.standard_normal(t.size)).astype(np.float32)[None]
    ours = F.vad(ember.tensor(x), sr)
    ref = TF.vad(torch.tensor(x), sr)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
