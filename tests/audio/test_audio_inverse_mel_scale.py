"""transforms.InverseMelScale against a NumPy reference: relu of np.linalg.lstsq on the
same filterbank (torchaudio 2.x computes relu(lstsq(fb^T, melspec).solution))."""

import warnings

import ember
import numpy as np
import pytest

from emberaudio import functional as F
from emberaudio import transforms as T

RNG = np.random.default_rng(5)


def _reference(fb: np.ndarray, mel: np.ndarray) -> np.ndarray:
    """relu(minimum-norm least squares) per batch element, in float64."""
    a = fb.T.astype(np.float64)
    flat = mel.reshape(-1, *mel.shape[-2:]).astype(np.float64)
    out = np.stack([np.linalg.lstsq(a, m, rcond=None)[0] for m in flat])
    return np.maximum(out, 0.0).reshape(*mel.shape[:-2], fb.shape[0], mel.shape[-1])


def _close(x, ref, tol):
    np.testing.assert_allclose(np.asarray(x), ref, rtol=tol, atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("driver", ["gels", "gelsy", "gelsd", "gelss"])
def test_inverse_mel_scale_matches_numpy_lstsq(driver):
    # 40 mels over 257 bins: a full-rank (wide) filterbank, so every driver applies
    t = T.InverseMelScale(257, n_mels=40, sample_rate=16000, driver=driver)
    assert t.fb.shape == (257, 40) and t.fb.dtype == ember.float32
    np.testing.assert_array_equal(t.fb.numpy(),
                                  F.melscale_fbanks(257, 0.0, 8000.0, 40, 16000).numpy())
    mel = RNG.random((2, 3, 40, 7)).astype(np.float32)
    out = t(ember.tensor(mel))
    assert out.shape == (2, 3, 257, 7) and out.dtype == ember.float32
    _close(out, _reference(t.fb.numpy(), mel), 1e-4)
    assert (out.numpy() >= 0).all()


def test_inverse_mel_scale_round_trip_and_float64():
    kw = dict(n_mels=32, sample_rate=8000, f_min=20.0, f_max=3500.0, norm="slaney",
              mel_scale="slaney")
    spec = RNG.random((3, 129, 5))
    mel = T.MelScale(n_stft=129, **kw).double()(ember.tensor(spec))
    t = T.InverseMelScale(129, **kw).double()
    assert t.fb.dtype == ember.float64
    out = t(mel)
    assert out.dtype == ember.float64 and out.shape == (3, 129, 5)
    _close(out, _reference(t.fb.numpy(), mel.numpy()), 1e-9)
    # the estimate maps back onto nearly the same mel spectrogram: lstsq solves
    # fb^T x = mel exactly, only relu's clamping of small negative bins moves it
    back = T.MelScale(n_stft=129, **kw).double()(out)
    assert np.abs(back.numpy() - mel.numpy()).max() < 0.01 * np.abs(mel.numpy()).max()


def test_inverse_mel_scale_rank_deficient_filterbank():
    """torchaudio's defaults (201 bins, 128 mels) leave empty low filters: gels refuses,
    the pivoting drivers return the minimum-norm solution."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the empty-filter warning
        gels = T.InverseMelScale(201)
        gelsd = T.InverseMelScale(201, driver="gelsd")
        gelsy = T.InverseMelScale(201, driver="gelsy")
    mel = ember.tensor(RNG.random((1, 128, 4)).astype(np.float32) + 0.5)
    with pytest.raises(ember.linalg.LinAlgError, match="does not have full rank"):
        gels(mel)
    ref = _reference(gelsd.fb.numpy(), mel.numpy())
    _close(gelsd(mel), ref, 1e-4)
    _close(gelsy(mel), ref, 1e-4)


def test_inverse_mel_scale_gradient_is_pinv_transpose():
    t = T.InverseMelScale(65, n_mels=12, sample_rate=8000).double()
    mel = ember.tensor(RNG.random((12, 3)), requires_grad=True)
    out = t(mel)
    w = RNG.standard_normal(out.shape)
    (out * ember.tensor(w)).sum().backward()
    pinv = np.linalg.pinv(t.fb.numpy().T)  # (65, 12)
    mask = out.detach().numpy() > 0
    np.testing.assert_allclose(mel.grad.numpy(), pinv.T @ (w * mask), rtol=1e-8, atol=1e-10)


def test_inverse_mel_scale_errors_and_defaults():
    t = T.InverseMelScale(33, n_mels=8, sample_rate=4000)
    assert (t.n_mels, t.sample_rate, t.f_min, t.f_max, t.driver) == (8, 4000, 0.0, 2000.0,
                                                                     "gels")
    with pytest.raises(ValueError, match="Expected an input with 8 mel bins. Found: 9"):
        t(ember.rand(9, 4))
    with pytest.raises(ValueError, match='driver must be one of'):
        T.InverseMelScale(33, n_mels=8, driver="svd")
    with pytest.raises(ValueError, match="f_min"):
        T.InverseMelScale(33, n_mels=8, sample_rate=4000, f_min=3000.0)
    assert set(t.state_dict()) == {"fb"}
    # an unbatched (n_mels, time) input comes back unbatched
    assert t(ember.rand(8, 4)).shape == (33, 4)
