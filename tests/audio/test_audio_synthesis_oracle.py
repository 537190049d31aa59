"""Griffin-Lim and inverse spectrogram against librosa (torchaudio has no release for
torch 2.13, so librosa is the reference where it has the same algorithm)."""

import ember
import numpy as np
import pytest

librosa = pytest.importorskip("librosa")
pytestmark = pytest.mark.oracle

from emberaudio import functional as F  # noqa: E402
from emberaudio import transforms as T  # noqa: E402

RNG = np.random.default_rng(21)


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffinlim_matches_librosa(momentum):
    x = RNG.standard_normal(3000)
    w = F.hann_window(256, dtype=ember.float64)
    mag = F.spectrogram(ember.tensor(x), 0, w, 256, 64, 256, 1.0, False)
    got = F.griffinlim(mag, w, 256, 64, 256, 1.0, 8, momentum, 3000, False)
    # librosa's init=None starts from zero phase, as rand_init=False does
    ref = librosa.griffinlim(mag.numpy(), n_iter=8, hop_length=64, win_length=256,
                             n_fft=256, window="hann", center=True, length=3000,
                             pad_mode="reflect", momentum=momentum, init=None)
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-8)


def test_inverse_spectrogram_matches_librosa_istft():
    x = RNG.standard_normal((2, 2000))
    spec = T.Spectrogram(400, hop_length=100, power=None,
                         wkwargs={"dtype": ember.float64})(ember.tensor(x))
    got = T.InverseSpectrogram(400, hop_length=100, wkwargs={"dtype": ember.float64})(spec)
    ref = librosa.istft(ember.view_as_real(spec).numpy() @ np.array([1, 1j]), hop_length=100,
                        n_fft=400, window="hann", center=True)
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-10)
