import math

import ember
import numpy as np
import pytest

from emberaudio import functional as F
from emberaudio import transforms as T

RNG = np.random.default_rng(3)


def _wave(*shape):
    return ember.tensor(RNG.standard_normal(shape).astype(np.float32))


def test_spectrogram_transform_matches_functional():
    x = _wave(2, 1000)
    t = T.Spectrogram(n_fft=128, hop_length=40, power=1.0, normalized=True)
    assert t.win_length == 128 and t.window.shape == (128,)
    ref = F.spectrogram(x, 0, F.hann_window(128), 128, 40, 128, 1.0, True)
    np.testing.assert_array_equal(t(x).numpy(), ref.numpy())
    assert T.Spectrogram(n_fft=64).hop_length == 32
    w = T.Spectrogram(n_fft=64, window_fn=F.kaiser_window, wkwargs={"beta": 5.0}).window
    np.testing.assert_allclose(w.numpy(), F.kaiser_window(64, beta=5.0).numpy())


def test_mel_spectrogram_and_buffers_follow_dtype():
    x = _wave(3, 1600)
    t = T.MelSpectrogram(16000, n_fft=256, hop_length=128, n_mels=24, f_min=50.0,
                         norm="slaney", mel_scale="slaney")
    out = t(x)
    assert out.shape == (3, 24, 13) and out.dtype == ember.float32
    spec = F.spectrogram(x, 0, F.hann_window(256), 256, 128, 256, 2.0, False)
    fb = F.melscale_fbanks(129, 50.0, 8000.0, 24, 16000, "slaney", "slaney")
    np.testing.assert_allclose(out.numpy(), (spec.mT @ fb).mT.numpy(), rtol=1e-5, atol=1e-6)
    names = {n for n, _ in t.named_buffers()}
    assert names == {"spectrogram.window", "mel_scale.fb"}
    t.double()
    assert t.mel_scale.fb.dtype == ember.float64 and t.spectrogram.window.dtype == ember.float64
    assert t(x.double()).dtype == ember.float64
    state = t.state_dict()
    assert set(state) == {"spectrogram.window", "mel_scale.fb"}
    with pytest.raises(ValueError, match="f_min"):
        T.MelScale(f_min=9000.0, sample_rate=16000)


def test_mfcc():
    x = _wave(2, 3200)
    t = T.MFCC(16000, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 40})
    out = t(x)
    assert out.shape == (2, 13, 21)
    mel = t.MelSpectrogram(x)
    db = F.amplitude_to_DB(mel, 10.0, 1e-10, 0.0, 80.0)
    ref = (db.mT @ F.create_dct(13, 40, "ortho")).mT
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-4)
    logm = T.MFCC(16000, n_mfcc=5, log_mels=True, melkwargs={"n_fft": 400, "n_mels": 10})(x)
    mel10 = T.MelSpectrogram(16000, n_fft=400, n_mels=10)(x)
    np.testing.assert_allclose(
        logm.numpy(), (ember.log(mel10 + 1e-6).mT @ F.create_dct(5, 10, "ortho")).mT.numpy(),
        rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="more MFCC"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})
    with pytest.raises(ValueError, match="DCT type"):
        T.MFCC(dct_type=3)


def test_mfcc_gradcheck():
    t = T.MFCC(8000, n_mfcc=4, melkwargs={"n_fft": 32, "hop_length": 16, "n_mels": 8}).double()
    x = ember.tensor(RNG.standard_normal((1, 64)), requires_grad=True)
    assert ember.autograd.gradcheck(t, (x,), atol=1e-4)
    mel = T.MelSpectrogram(8000, n_fft=32, hop_length=16, n_mels=6).double()
    assert ember.autograd.gradcheck(mel, (x,))


def test_amplitude_to_db_transform():
    x = ember.tensor([[[1.0, 100.0], [1e-9, 0.01]]])
    np.testing.assert_allclose(T.AmplitudeToDB()(x).numpy(), [[[0, 20], [-90, -20]]],
                               atol=1e-4)
    np.testing.assert_allclose(T.AmplitudeToDB("magnitude", top_db=60)(x).numpy(),
                               [[[0, 40], [-20, -20]]], atol=1e-4)
    with pytest.raises(ValueError, match="top_db"):
        T.AmplitudeToDB(top_db=-1)


def test_resample_transform_caches_kernel():
    x = _wave(2, 4410)
    t = T.Resample(44100, 16000)
    kernel = t.kernel
    assert kernel.shape == (160, 475) and t.width == 17
    out = t(x)
    assert out.shape == (2, 1600) and t.kernel is kernel
    # as torchaudio's, the transform's kernel (dtype None) is built mostly in float64 and the
    # function's in the waveform's float32: they agree to float32 rounding of the taps
    np.testing.assert_allclose(out.numpy(), F.resample(x, 44100, 16000).numpy(), atol=2e-5)
    assert "kernel" not in t.state_dict()  # not persistent, like torchaudio
    assert T.Resample(8000, 8000)(x) is x
    k = T.Resample(16000, 8000, "sinc_interp_kaiser", beta=8.0, dtype=ember.float64)
    assert k.kernel.dtype == ember.float64


def test_mu_law_deltas_fade_vol():
    x = ember.tensor(np.linspace(-1, 1, 11), dtype=ember.float32)
    enc = T.MuLawEncoding(16)(x)
    np.testing.assert_array_equal(enc.numpy(), F.mu_law_encoding(x, 16).numpy())
    np.testing.assert_allclose(T.MuLawDecoding(16)(enc).numpy(),
                               F.mu_law_decoding(enc, 16).numpy())
    spec = _wave(2, 5, 9)
    np.testing.assert_allclose(T.ComputeDeltas(7)(spec).numpy(),
                               F.compute_deltas(spec, 7).numpy())
    np.testing.assert_allclose(T.Fade(3, 2, "half_sine")(ember.ones(8)).numpy(),
                               F.fade(ember.ones(8), 3, 2, "half_sine").numpy())
    w = ember.tensor([0.1, -0.4, 0.8])
    np.testing.assert_allclose(T.Vol(2.0)(w).numpy(), [0.2, -0.8, 1.0])
    np.testing.assert_allclose(T.Vol(20.0, "db")(w).numpy(), [1.0, -1.0, 1.0])
    np.testing.assert_allclose(T.Vol(0.25, "power")(w).numpy(), [0.05, -0.2, 0.4], rtol=1e-6)
    with pytest.raises(ValueError, match="positive"):
        T.Vol(-1.0)


def test_masking_transforms():
    spec = ember.ones(2, 10, 30)
    ember.manual_seed(5)
    out = T.FrequencyMasking(6)(spec, mask_value=-1.0)
    rows = (out == -1.0).numpy()[0].all(axis=1)
    assert rows.sum() < 6 and ((out == -1.0).numpy()[0].sum() == rows.sum() * 30)
    out = T.TimeMasking(12, p=0.2)(spec)
    cols = (out == 0).numpy()[0].all(axis=0)
    assert cols.sum() <= 6
    batch = ember.ones(8, 1, 10, 30)
    out = T.TimeMasking(15, iid_masks=True)(batch).numpy()
    widths = (out == 0).all(axis=2).sum(axis=(1, 2))
    assert widths.max() < 15 and len(set(widths.tolist())) > 1
    with pytest.raises(ValueError, match="p must be"):
        T.TimeMasking(5, p=2.0)


def test_pipeline_backward_reaches_waveform():
    x = ember.tensor(RNG.standard_normal((1, 800)).astype(np.float32), requires_grad=True)
    feats = T.AmplitudeToDB()(T.MelSpectrogram(8000, n_fft=128, n_mels=16)(x))
    feats.mean().backward()
    assert x.grad is not None and x.grad.shape == (1, 800)
    assert math.isfinite(x.grad.abs().sum().item()) and x.grad.abs().sum().item() > 0
