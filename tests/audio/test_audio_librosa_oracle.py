"""emberaudio against librosa (mel filterbanks, MFCC's DCT, resampling) and scipy (lfilter)."""

import ember
import numpy as np
import pytest

librosa = pytest.importorskip("librosa")
scipy_signal = pytest.importorskip("scipy.signal")

from emberaudio import functional as F  # noqa: E402

pytestmark = pytest.mark.oracle
RNG = np.random.default_rng(7)


@pytest.mark.parametrize("htk", [True, False])
@pytest.mark.parametrize("norm", [None, "slaney"])
@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax", [(16000, 400, 40, 0.0, 8000.0),
                                                        (22050, 2048, 128, 20.0, 11025.0),
                                                        (44100, 1024, 64, 100.0, 16000.0)])
def test_melscale_fbanks_match_librosa(htk, norm, sr, n_fft, n_mels, fmin, fmax):
    ours = F.melscale_fbanks(n_fft // 2 + 1, fmin, fmax, n_mels, sr, norm,
                             "htk" if htk else "slaney")
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                              htk=htk, norm=norm, dtype=np.float64)
    np.testing.assert_allclose(ours.numpy().T, ref, rtol=1e-5, atol=1e-7)


def test_mel_and_mfcc_match_librosa():
    ember_t = pytest.importorskip("emberaudio.transforms")
    sr = 16000
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / sr)
         + 0.05 * RNG.standard_normal(8000)).astype(np.float64)
    mel_ref = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=512, hop_length=160,
                                             win_length=400, window="hann", center=True,
                                             pad_mode="reflect", power=2.0, n_mels=40,
                                             htk=True, norm=None)
    mel = ember_t.MelSpectrogram(sr, n_fft=512, win_length=400, hop_length=160,
                                 n_mels=40).double()(ember.tensor(y))
    np.testing.assert_allclose(mel.numpy(), mel_ref, rtol=1e-5, atol=1e-8)
    db_ref = librosa.power_to_db(mel_ref, ref=1.0, amin=1e-10, top_db=80.0)
    mfcc_ref = librosa.feature.mfcc(S=db_ref, n_mfcc=20, dct_type=2, norm="ortho")
    mfcc = ember_t.MFCC(sr, n_mfcc=20, melkwargs={"n_fft": 512, "win_length": 400,
                                                  "hop_length": 160, "n_mels": 40}).double()
    np.testing.assert_allclose(mfcc(ember.tensor(y)).numpy(), mfcc_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm", [None, "ortho"])
def test_create_dct_matches_scipy_dct(norm):
    import scipy.fft
    x = RNG.standard_normal((5, 32))
    ours = (ember.tensor(x) @ F.create_dct(13, 32, norm).double()).numpy()
    ref = scipy.fft.dct(x, type=2, norm=norm, axis=-1)[:, :13]
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("orig,new", [(44100, 16000), (16000, 22050), (48000, 8000)])
@pytest.mark.parametrize("method", ["sinc_interp_hann", "sinc_interp_kaiser"])
def test_resample_matches_librosa_in_passband(orig, new, method):
    n = orig // 5
    t = np.arange(n) / orig
    y = sum(a * np.sin(2 * np.pi * f * t + p) for a, f, p in
            [(0.4, 200.0, 0.1), (0.3, 1100.0, 1.0), (0.2, 0.3 * min(orig, new), 2.0)])
    ours = F.resample(ember.tensor(y), orig, new, lowpass_filter_width=16,
                      resampling_method=method).numpy()
    ref = librosa.resample(y, orig_sr=orig, target_sr=new, res_type="soxr_vhq")
    m = min(len(ours), len(ref))
    edge = m // 10  # both filters see the signal's ends differently
    np.testing.assert_allclose(ours[edge:m - edge], ref[edge:m - edge], atol=2e-3)


@pytest.mark.parametrize("order", [1, 2, 4, 8])
@pytest.mark.parametrize("dtype,tol", [(ember.float64, 1e-10), (ember.float32, 1e-4)])
def test_lfilter_matches_scipy(order, dtype, tol):
    b, a = scipy_signal.butter(order, 0.15)
    x = RNG.standard_normal((3, 2000)) * 0.1
    ours = F.lfilter(ember.tensor(x, dtype=dtype), ember.tensor(a, dtype=dtype),
                     ember.tensor(b, dtype=dtype), clamp=False)
    if dtype == ember.float32:  # high-order direct forms are sensitive to coefficient rounding
        a, b, x32 = (v.astype(np.float32).astype(np.float64) for v in (a, b, x))
        ref = scipy_signal.lfilter(b, a, x32)
    else:
        ref = scipy_signal.lfilter(b, a, x)
    np.testing.assert_allclose(ours.numpy(), ref, atol=tol)
    ff = F.filtfilt(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False)
    fwd = scipy_signal.lfilter(b, a, x)
    ref = scipy_signal.lfilter(b, a, fwd[..., ::-1])[..., ::-1]
    np.testing.assert_allclose(ff.numpy(), ref, atol=1e-9)


def _scipy_filters(order, n_filters):
    if order == 0:
        return np.full((n_filters, 1), 2.0), RNG.standard_normal((n_filters, 1))
    bs, as_ = zip(*(scipy_signal.butter(order, 0.1 + 0.1 * i) for i in range(n_filters)))
    return 1.5 * np.stack(as_), 1.5 * np.stack(bs)  # a[0] != 1: the kernel normalises


@pytest.mark.parametrize("order", [0, 1, 2, 4, 8, 10])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("coeff_dim,batching", [(1, True), (2, True), (2, False)])
@pytest.mark.parametrize("clamp", [False, True])
def test_lfilter_fast_path_matches_scipy(order, dtype, coeff_dim, batching, clamp):
    """The one-pass kernel (no graph recorded) against scipy.signal.lfilter in float64."""
    a, b = _scipy_filters(order, 3)
    x = RNG.standard_normal((2, 3, 1500)) * (2.0 if clamp else 0.3)
    np_dtype = np.float32 if dtype == ember.float32 else np.float64
    # scipy filters the dtype's own values in float64, as the kernel does
    x, a, b = (v.astype(np_dtype).astype(np.float64) for v in (x, a, b))
    if coeff_dim == 1:
        a, b = a[0], b[0]
        ref = scipy_signal.lfilter(b, a, x)
    elif batching:
        ref = np.stack([scipy_signal.lfilter(b[i], a[i], x[:, i]) for i in range(3)], 1)
    else:
        ref = np.stack([scipy_signal.lfilter(b[i], a[i], x) for i in range(3)], -2)
    # relative to the signal; a direct form's sensitivity to rounding (either summation
    # order) grows about geometrically with the order: measured 4e-14 at 4, 1.4e-9 at 10
    tol = (1e-13 * 4.0 ** order + (1e-6 if dtype == ember.float32 else 0.0)) \
        * max(1.0, np.abs(ref).max())
    ref = np.clip(ref, -1, 1) if clamp else ref
    ours = F.lfilter(ember.tensor(x, dtype=dtype), ember.tensor(a, dtype=dtype),
                     ember.tensor(b, dtype=dtype), clamp=clamp, batching=batching)
    assert ours.shape == ref.shape and ours.dtype == dtype
    np.testing.assert_allclose(ours.numpy(), ref, atol=tol)


@pytest.mark.parametrize("length", [0, 1, 2, 513])
def test_lfilter_fast_path_short_and_strided_match_scipy(length):
    b, a = scipy_signal.butter(3, 0.3)
    base = RNG.standard_normal((length, 4)) * 0.3
    ours = F.lfilter(ember.tensor(base).t(), ember.tensor(a), ember.tensor(b), clamp=False)
    np.testing.assert_allclose(ours.numpy(), scipy_signal.lfilter(b, a, base.T), atol=1e-12)
    ours = F.filtfilt(ember.tensor(base).t()[::2], ember.tensor(a), ember.tensor(b),
                      clamp=False)
    x = base.T[::2]
    ref = scipy_signal.lfilter(b, a, scipy_signal.lfilter(b, a, x)[..., ::-1])[..., ::-1]
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12)
