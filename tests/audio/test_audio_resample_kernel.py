"""The banded polyphase kernel (csrc/resample.c), taken when no autograd graph is recorded,
against resample's general path (a GEMM with the full kernel), and its argument checks."""

import ember
import numpy as np
import pytest

from emberaudio import _native
from emberaudio import functional as F
from emberaudio.functional.resample import _band, sinc_resample_kernel

RNG = np.random.default_rng(9)


@pytest.mark.parametrize("orig,new", [(44100, 16000), (16000, 44100), (8000, 12000),
                                      (48000, 44100), (3, 7), (5, 2)])
@pytest.mark.parametrize("method,beta", [("sinc_interp_hann", None),
                                         ("sinc_interp_kaiser", None),
                                         ("sinc_interp_kaiser", 8.0)])
@pytest.mark.parametrize("dtype,tol", [(ember.float32, 3e-6), (ember.float64, 1e-12)])
def test_banded_kernel_matches_the_gemm(orig, new, method, beta, dtype, tol):
    x = ember.tensor(RNG.standard_normal((2, 3, 441)), dtype=dtype)
    for width, rolloff in ((6, 0.99), (16, 0.9), (3, 0.8)):
        fast = F.resample(x, orig, new, width, rolloff, method, beta)
        slow = F.resample(x.clone().requires_grad_(True), orig, new, width, rolloff, method,
                          beta).detach()
        assert fast.shape == slow.shape and fast.dtype == dtype
        np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=0, atol=tol)


def test_band_keeps_the_sinc_window():
    kernel, width = sinc_resample_kernel(44100, 16000, 100)
    band, start = _band(kernel)
    assert kernel.shape == (160, 2 * width + 441) and band.shape == (160, 34)
    # the band holds every tap above rounding; the rest are zeros up to rounding
    full = np.zeros(kernel.shape, np.float32)
    for j, s in enumerate(start.tolist()):
        full[j, s:s + band.shape[1]] = band[j].numpy()
    np.testing.assert_allclose(full, kernel.numpy(), rtol=0, atol=1e-10)


def test_resample_kernel_checks_its_arguments():
    x = ember.randn(1, 100)
    band, start = ember.ones(2, 10), ember.tensor([0, 5])
    assert _native.resample(x, band, start, 3, 2, 40).shape == (1, 40)
    with pytest.raises(ValueError, match="invalid argument"):
        _native.resample(x, band, ember.tensor([0, 95]), 3, 2, 40)  # reads past the row
    with pytest.raises(ValueError, match="invalid argument"):
        _native.resample(x, band, start, 3, 2, 80)  # too many frames for the row
    with pytest.raises(TypeError, match="int64"):
        _native.resample(x, band, start.int(), 3, 2, 40)
    with pytest.raises(ValueError, match="band"):
        _native.resample(x, band, start, 3, 3, 40)
