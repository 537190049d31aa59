"""ember.fft, complex tensors, windows and stft/istft against NumPy (no torch needed)."""

import math

import numpy as np
import pytest

import ember

SIZES = [1, 2, 3, 5, 7, 8, 12, 17, 30, 64, 97, 100, 243, 1000, 1024]


def _rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _crand(shape, dtype=np.complex128, seed=0):
    return (_rand(shape, seed=seed) + 1j * _rand(shape, seed=seed + 1)).astype(dtype)


@pytest.mark.parametrize("n", SIZES)
def test_fft_ifft_match_numpy(n):
    x = _crand((3, n))
    got = ember.fft.fft(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, np.fft.fft(x), rtol=1e-10, atol=1e-10 * n)
    got = ember.fft.ifft(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, np.fft.ifft(x), rtol=1e-10, atol=1e-12 * n)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [2, 8, 12, 30, 97, 243, 1000, 1024])
def test_many_rows_match_numpy(n, dtype, threads):
    """37 rows: enough for the kernel to transform them in groups of 8 (float32) or 4
    (float64) rows side by side, the last group short; 97 takes Bluestein row by row."""
    before = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        x = _crand((37, n), dtype)
        ref = np.fft.fft(x.astype(np.complex128))
        tol = (1e-5 if dtype == np.complex64 else 1e-12) * np.abs(ref).max()
        assert np.abs(ember.fft.fft(ember.tensor(x)).numpy() - ref).max() < tol
        back = ember.fft.ifft(ember.tensor(ref.astype(dtype))).numpy()
        assert np.abs(back - x).max() < tol / n ** 0.5
        xr = x.real.copy()
        rref = np.fft.rfft(xr.astype(np.float64))
        assert np.abs(ember.fft.rfft(ember.tensor(xr)).numpy() - rref).max() < tol
        rback = ember.fft.irfft(ember.tensor(rref.astype(dtype)), n=n).numpy()
        assert np.abs(rback - xr).max() < tol / n ** 0.5
    finally:
        ember.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [1 << 18, 5 << 16])
def test_long_transform_split_across_threads(n, dtype):
    """One row long enough for each stage to be split across threads: blocks of p in the
    early stages, (p, block of q) pairs in the late ones, vector stages from stride 8."""
    before = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        x = _crand((n,), dtype)
        ref = np.fft.fft(x.astype(np.complex128))
        tol = (1e-5 if dtype == np.complex64 else 1e-12) * np.abs(ref).max()
        assert np.abs(ember.fft.fft(ember.tensor(x)).numpy() - ref).max() < tol
    finally:
        ember.set_num_threads(before)


@pytest.mark.parametrize("n", [4, 7, 97, 1000])
def test_float32_precision(n):
    x = _crand((2, n), np.complex64)
    got = ember.fft.fft(ember.tensor(x))
    assert got.dtype is ember.complex64
    ref = np.fft.fft(x.astype(np.complex128))
    assert np.abs(got.numpy() - ref).max() < 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
@pytest.mark.parametrize("n_arg", [None, 6, 13])
def test_rfft_irfft_norms_and_n(norm, n_arg):
    x = _rand((4, 9))
    got = ember.fft.rfft(ember.tensor(x), n=n_arg, norm=norm).numpy()
    ref = np.fft.rfft(x, n=n_arg, norm=norm)
    np.testing.assert_allclose(got, ref, atol=1e-12)
    back = ember.fft.irfft(ember.tensor(ref), n=n_arg, norm=norm).numpy()
    np.testing.assert_allclose(back, np.fft.irfft(ref, n=n_arg, norm=norm), atol=1e-12)


def test_dims_and_nd_transforms():
    x = _rand((3, 4, 5))
    t = ember.tensor(x)
    np.testing.assert_allclose(ember.fft.fft(t, dim=0).numpy(), np.fft.fft(x, axis=0), atol=1e-12)
    np.testing.assert_allclose(ember.fft.rfft(t, dim=1).numpy(), np.fft.rfft(x, axis=1),
                               atol=1e-12)
    np.testing.assert_allclose(ember.fft.fft2(t).numpy(), np.fft.fft2(x), atol=1e-12)
    np.testing.assert_allclose(ember.fft.fftn(t).numpy(), np.fft.fftn(x), atol=1e-12)
    np.testing.assert_allclose(ember.fft.rfft2(t).numpy(), np.fft.rfft2(x), atol=1e-12)
    np.testing.assert_allclose(ember.fft.rfftn(t, s=(6, 8)).numpy(),
                               np.fft.rfftn(x, s=(6, 8), axes=(1, 2)), atol=1e-12)
    spec = np.fft.rfftn(x)
    np.testing.assert_allclose(ember.fft.irfftn(ember.tensor(spec), s=x.shape).numpy(), x,
                               atol=1e-12)
    np.testing.assert_allclose(ember.fft.ifftn(ember.tensor(np.fft.fftn(x))).numpy().real, x,
                               atol=1e-12)


def test_integer_input_promotes_and_bad_args_raise():
    assert ember.fft.fft(ember.tensor([1, 2, 3])).dtype is ember.complex64
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.fft(ember.ones(4), n=0)
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        ember.fft.fft(ember.ones(4), norm="bad")
    with pytest.raises(RuntimeError, match="rfft expects a real input"):
        ember.fft.rfft(ember.ones(4, dtype=ember.complex64))


def test_freqs_and_shifts():
    for n in (1, 4, 5, 8):
        np.testing.assert_allclose(ember.fft.fftfreq(n, 0.5).numpy(), np.fft.fftfreq(n, 0.5),
                                   rtol=1e-6)
        np.testing.assert_allclose(ember.fft.rfftfreq(n).numpy(), np.fft.rfftfreq(n), rtol=1e-6)
    x = np.arange(15).reshape(3, 5)
    np.testing.assert_array_equal(ember.fft.fftshift(ember.tensor(x)).numpy(), np.fft.fftshift(x))
    np.testing.assert_array_equal(ember.fft.ifftshift(ember.tensor(x), dim=1).numpy(),
                                  np.fft.ifftshift(x, axes=1))


def test_fft_backward_matches_finite_differences():
    x = ember.tensor(_rand((2, 7)), requires_grad=True)
    w = ember.tensor(_rand((2, 4)))

    def loss(t):
        return (ember.fft.rfft(t).abs() * w).sum()
    loss(x).backward()
    eps, base = 1e-6, x.detach().numpy().copy()
    num = np.zeros_like(base)
    for i in np.ndindex(*base.shape):
        p, m = base.copy(), base.copy()
        p[i] += eps
        m[i] -= eps
        num[i] = (loss(ember.tensor(p)).item() - loss(ember.tensor(m)).item()) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), num, atol=1e-6)


# ---- complex dtype ---------------------------------------------------------------------------

def test_complex_creation_views_and_repr():
    z = ember.tensor([1 + 2j, 3 - 1j])
    assert z.dtype is ember.complex64 and z.is_complex()
    assert repr(z) == "tensor([1.+2.j, 3.-1.j])"
    r = ember.view_as_real(z)
    assert r.shape == (2, 2) and r.dtype is ember.float32
    r[0, 1] = 5.0  # a view: writes show through
    assert z.imag.tolist() == [5.0, -1.0]
    back = ember.view_as_complex(r)
    assert back.tolist() == [1 + 5j, 3 - 1j]
    assert ember.zeros(2, dtype=ember.complex128).tolist() == [0j, 0j]
    assert ember.promote_types(ember.float64, ember.complex64) is ember.complex128
    assert (ember.ones(2) + z).dtype is ember.complex64
    assert (ember.ones(2, dtype=ember.float64) * 1j).dtype is ember.complex128
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        ember.view_as_complex(ember.ones(3))


def test_complex_arithmetic_matches_numpy():
    a, b = _crand((3, 4)), _crand((3, 4), seed=5)
    ta, tb = ember.tensor(a), ember.tensor(b)
    for got, ref in ((ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b),
                     (ta * 2.5, a * 2.5), (1j - ta, 1j - a), (ta.conj(), a.conj()),
                     (ta.sum(0), a.sum(0)), (ta @ tb.mT, a @ b.T), (-ta, -a)):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(ta.abs().numpy(), np.abs(a), rtol=1e-12)
    np.testing.assert_allclose(ta.angle().numpy(), np.angle(a), rtol=1e-12)
    p = ember.polar(ember.tensor([2.0]), ember.tensor([math.pi / 2]))
    np.testing.assert_allclose(p.numpy(), [2j], atol=1e-6)


def test_complex_unsupported_ops_raise_type_error_naming_the_op():
    z = ember.tensor([1 + 2j])
    with pytest.raises(TypeError, match="sigmoid"):
        ember.sigmoid(z)
    with pytest.raises(TypeError, match="maximum"):
        ember.maximum(z, z)
    for name in ("prod", "max", "cumsum"):  # kernels that would drop the imaginary parts
        with pytest.raises(TypeError, match="complex"):
            getattr(z, name)(0) if name == "cumsum" else getattr(z, name)()
    assert ember.tensor([1 + 2j, 3 - 1j]).mean().item() == 2 + 0.5j


def test_complex_autograd_real_loss():
    z = ember.tensor([1 + 2j, -0.5 + 0.25j], dtype=ember.complex128, requires_grad=True)
    (z.abs() ** 2).sum().backward()
    # torch's convention: grad of |z|^2 is 2 z
    np.testing.assert_allclose(z.grad.numpy(), 2 * z.detach().numpy(), rtol=1e-12)


# ---- windows and stft ------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 5, 16])
def test_windows_match_numpy(n):
    np.testing.assert_allclose(ember.hann_window(n, periodic=False).numpy(),
                               np.hanning(n), atol=1e-6)
    np.testing.assert_allclose(ember.hamming_window(n, periodic=False).numpy(),
                               np.hamming(n), atol=1e-6)
    np.testing.assert_allclose(ember.blackman_window(n, periodic=False).numpy(),
                               np.blackman(n), atol=1e-6)
    np.testing.assert_allclose(ember.bartlett_window(n, periodic=False).numpy(),
                               np.bartlett(n), atol=1e-6)
    np.testing.assert_allclose(ember.kaiser_window(n, periodic=False, beta=8.0).numpy(),
                               np.kaiser(n, 8.0), atol=1e-6)
    periodic = np.hanning(n + 1)[:-1] if n > 1 else [1.0]  # torch: length 1 is [1.]
    np.testing.assert_allclose(ember.hann_window(n).numpy(), periodic, atol=1e-6)


def test_stft_frames_are_windowed_rffts_and_istft_inverts():
    x = _rand(200)
    w = np.hanning(33)[:-1]
    spec = ember.stft(ember.tensor(x), 32, hop_length=8, window=ember.tensor(w),
                      return_complex=True)
    padded = np.pad(x, 16, mode="reflect")
    frames = np.stack([padded[i:i + 32] * w for i in range(0, len(padded) - 31, 8)])
    np.testing.assert_allclose(spec.numpy(), np.fft.rfft(frames).T, atol=1e-10)
    y = ember.istft(spec, 32, hop_length=8, window=ember.tensor(w), length=200)
    np.testing.assert_allclose(y.numpy(), x, atol=1e-10)
    with pytest.raises(RuntimeError, match="return_complex"):
        ember.stft(ember.tensor(x), 32)
