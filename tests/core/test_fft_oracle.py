"""ember.fft, complex tensors, windows and stft/istft against torch (values and gradients)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

SIZES = [1, 4, 7, 12, 17, 30, 97, 128, 1000]
NORMS = [None, "backward", "ortho", "forward"]


def _pair(x, requires_grad=False, device="cpu"):
    """The same data as an ember leaf (on device) and a torch leaf."""
    return (ember.tensor(x, device=device, requires_grad=requires_grad),
            torch.tensor(x, requires_grad=requires_grad))


def _close(e, t, tol=1e-9):
    if t is None:  # no gradient reached this input in torch either
        assert e is None
        return
    t = t.detach().resolve_conj().numpy()
    np.testing.assert_allclose(e.detach().cpu().numpy(), t, rtol=tol, atol=tol * max(1.0, np.abs(t).max()))


def _rand(shape, seed=0, complex_=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


def _check_grad(e_fn, t_fn, x, tol=1e-9, device="cpu"):
    """Values and gradients of a real loss sum(w * |f(x)|^2 or w * f(x)) against torch."""
    ex, tx = _pair(x, True, device)
    ey, ty = e_fn(ex), t_fn(tx)
    assert ey.device.type == device
    _close(ey, ty, tol)
    w = _rand(tuple(ty.shape), seed=9)
    if ty.is_complex():
        ew = ember.tensor(w, device=device)
        el = (ey.abs() * ew).sum() + (ey.real * ew).sum()
        tl = (ty.abs() * torch.tensor(w)).sum() + (ty.real * torch.tensor(w)).sum()
    else:
        el, tl = (ey * ember.tensor(w, device=device)).sum(), (ty * torch.tensor(w)).sum()
    el.backward()
    tl.backward()
    _close(ex.grad, tx.grad, tol)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("norm", NORMS)
def test_fft_ifft_complex(n, norm, on_device):
    x = _rand((2, n), complex_=True)
    _check_grad(lambda t: ember.fft.fft(t, norm=norm), lambda t: torch.fft.fft(t, norm=norm),
                x, device=on_device)
    _check_grad(lambda t: ember.fft.ifft(t, norm=norm), lambda t: torch.fft.ifft(t, norm=norm),
                x, device=on_device)


@pytest.mark.parametrize("n", SIZES)
def test_fft_of_real_input(n, on_device):
    x = _rand((3, n))
    _check_grad(ember.fft.fft, torch.fft.fft, x, device=on_device)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("norm", NORMS)
def test_rfft(n, norm, on_device):
    x = _rand((2, n))
    _check_grad(lambda t: ember.fft.rfft(t, norm=norm), lambda t: torch.fft.rfft(t, norm=norm),
                x, device=on_device)


@pytest.mark.parametrize("m,n", [(5, None), (5, 8), (5, 9), (4, 6), (9, 5), (2, 1), (17, 31)])
@pytest.mark.parametrize("norm", NORMS)
def test_irfft(m, n, norm, on_device):
    x = _rand((3, m), complex_=True)
    _check_grad(lambda t: ember.fft.irfft(t, n=n, norm=norm),
                lambda t: torch.fft.irfft(t, n=n, norm=norm), x, device=on_device)


@pytest.mark.parametrize("n_arg", [3, 10, 16])
def test_n_pads_and_trims_with_gradients(n_arg, on_device):
    x = _rand((2, 9), complex_=True)
    _check_grad(lambda t: ember.fft.fft(t, n=n_arg), lambda t: torch.fft.fft(t, n=n_arg),
                x, device=on_device)
    xr = _rand((2, 9))
    _check_grad(lambda t: ember.fft.rfft(t, n=n_arg), lambda t: torch.fft.rfft(t, n=n_arg),
                xr, device=on_device)


def test_dims_and_nd_transforms_with_gradients(on_device):
    x = _rand((3, 4, 5))
    _check_grad(lambda t: ember.fft.fft(t, dim=0), lambda t: torch.fft.fft(t, dim=0),
                x, device=on_device)
    _check_grad(lambda t: ember.fft.rfft(t, dim=1, norm="ortho"),
                lambda t: torch.fft.rfft(t, dim=1, norm="ortho"), x, device=on_device)
    _check_grad(ember.fft.fft2, torch.fft.fft2, x, device=on_device)
    _check_grad(ember.fft.rfft2, torch.fft.rfft2, x, device=on_device)
    _check_grad(lambda t: ember.fft.fftn(t, s=(4, 6)), lambda t: torch.fft.fftn(t, s=(4, 6)),
                x, device=on_device)
    _check_grad(lambda t: ember.fft.rfftn(t, dim=(0, 2)), lambda t: torch.fft.rfftn(t, dim=(0, 2)),
                x, device=on_device)
    xc = _rand((3, 4, 3), complex_=True)
    _check_grad(lambda t: ember.fft.irfftn(t, s=(4, 4)), lambda t: torch.fft.irfftn(t, s=(4, 4)),
                xc, device=on_device)
    _check_grad(ember.fft.ifftn, torch.fft.ifftn, xc, device=on_device)


def test_float32_matches_torch(on_device):
    x = _rand((4, 97), complex_=True).astype(np.complex64)
    e, t = ember.fft.fft(ember.tensor(x, device=on_device)), torch.fft.fft(torch.tensor(x))
    assert e.dtype is ember.complex64 and t.dtype == torch.complex64
    _close(e, t, 2e-5)
    xr = _rand((4, 64)).astype(np.float32)
    _close(ember.fft.rfft(ember.tensor(xr, device=on_device)), torch.fft.rfft(torch.tensor(xr)),
           2e-5)


def test_freqs_and_shifts_match_torch():
    for n in (1, 4, 5, 8, 11):
        _close(ember.fft.fftfreq(n, 0.1), torch.fft.fftfreq(n, 0.1), 1e-7)
        _close(ember.fft.rfftfreq(n, 2.0), torch.fft.rfftfreq(n, 2.0), 1e-7)
        _close(ember.fft.fftfreq(n, dtype=ember.float64), torch.fft.fftfreq(n, dtype=torch.float64))
    x = np.arange(30.0).reshape(5, 6)
    _check_grad(ember.fft.fftshift, torch.fft.fftshift, x)
    _check_grad(lambda t: ember.fft.ifftshift(t, dim=0), lambda t: torch.fft.ifftshift(t, dim=0), x)


# ---- complex tensors ------------------------------------------------------------------------

def test_complex_promotion_matches_torch():
    pairs = [(ember.float32, ember.complex64, torch.float32, torch.complex64),
             (ember.float64, ember.complex64, torch.float64, torch.complex64),
             (ember.int64, ember.complex128, torch.int64, torch.complex128),
             (ember.float16, ember.complex64, torch.float16, torch.complex64)]
    for ea, eb, ta, tb in pairs:
        assert str(ember.promote_types(ea, eb)).split(".")[1] == \
            str(torch.promote_types(ta, tb)).split(".")[1]
    for scalar in (2, 2.5, 1j):
        for edt, tdt in ((ember.float32, torch.float32), (ember.float64, torch.float64),
                         (ember.complex64, torch.complex64), (ember.int32, torch.int32)):
            e = (ember.ones(2, dtype=edt) * scalar).dtype
            t = (torch.ones(2, dtype=tdt) * scalar).dtype
            assert e.name == str(t).split(".")[1]


def test_complex_ops_values_and_gradients():
    a, b = _rand((3, 4), 1, True), _rand((3, 4), 2, True)
    ops = [lambda m, x, y: x + y, lambda m, x, y: x - 2 * y, lambda m, x, y: x * y,
           lambda m, x, y: x / y, lambda m, x, y: m.conj(x) * y,
           lambda m, x, y: x @ y.mT, lambda m, x, y: (x * 1j).sum(0),
           lambda m, x, y: m.view_as_real(x) * m.view_as_real(y).flip(-1),
           lambda m, x, y: m.angle(x) + x.imag * y.real]
    for op in ops:
        ea, ta = _pair(a, True)
        eb, tb = _pair(b, True)
        ey, ty = op(ember, ea, eb), op(torch, ta, tb)
        _close(ey, ty)
        el = ey.abs().sum() if ey.is_complex() else ey.sum()
        tl = ty.abs().sum() if ty.is_complex() else ty.sum()
        el.backward()
        tl.backward()
        _close(ea.grad, ta.grad)
        _close(eb.grad, tb.grad)


def test_polar_view_as_complex_and_repr():
    r, th = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -2.0])
    _close(ember.polar(ember.tensor(r), ember.tensor(th)), torch.polar(torch.tensor(r),
                                                                      torch.tensor(th)))
    x = _rand((3, 2))
    _check_grad(ember.view_as_complex, torch.view_as_complex, x)
    for data in ([1 + 2j, 3 - 1j], [0.5 + 1e-3j, 100 - 2.25j], [[1 + 1j, -2 - 1j]]):
        assert repr(ember.tensor(data)) == repr(torch.tensor(data)).replace("torch", "ember")


def test_unsupported_complex_op_raises():
    z = torch.tensor([1 + 2j])
    with pytest.raises(RuntimeError):
        torch.maximum(z, z)
    with pytest.raises(TypeError, match="maximum"):
        ember.maximum(ember.tensor([1 + 2j]), ember.tensor([1 + 2j]))


# ---- windows, stft, istft ------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 5, 16, 400])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(n, periodic):
    for name in ("hann_window", "hamming_window", "blackman_window", "bartlett_window",
                 "kaiser_window"):
        e = getattr(ember, name)(n, periodic)
        t = getattr(torch, name)(n, periodic)
        assert e.shape == tuple(t.shape)
        np.testing.assert_allclose(e.numpy(), t.numpy(), atol=2e-6, err_msg=name)
    e = ember.kaiser_window(n, periodic, beta=5.0, dtype=ember.float64)
    np.testing.assert_allclose(e.numpy(), torch.kaiser_window(n, periodic, beta=5.0,
                                                              dtype=torch.float64).numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("kw", [dict(n_fft=64), dict(n_fft=64, hop_length=10, win_length=50),
                                dict(n_fft=31, hop_length=7, normalized=True),
                                dict(n_fft=32, center=False), dict(n_fft=32, onesided=False),
                                dict(n_fft=40, pad_mode="constant")])
def test_stft_istft_match_torch(kw):
    x = _rand((2, 300))
    win = kw.get("win_length", kw["n_fft"])
    ew, tw = ember.hann_window(win, dtype=ember.float64), torch.hann_window(win,
                                                                           dtype=torch.float64)
    ex, tx = _pair(x, True)
    es = ember.stft(ex, window=ew, return_complex=True, **kw)
    ts = torch.stft(tx, window=tw, return_complex=True, **kw)
    _close(es, ts)
    (es.abs().sum()).backward()
    (ts.abs().sum()).backward()
    _close(ex.grad, tx.grad)
    ikw = {k: v for k, v in kw.items() if k != "pad_mode"}
    if ikw.get("center", True):
        ey = ember.istft(es.detach(), window=ew, length=300, **ikw)
        ty = torch.istft(ts.detach(), window=tw, length=300, **ikw)
        _close(ey, ty)
        np.testing.assert_allclose(ey.numpy(), x, atol=1e-9)


def test_istft_gradient_matches_torch():
    spec = torch.stft(torch.tensor(_rand(200)), 32, window=torch.hann_window(32,
                      dtype=torch.float64), return_complex=True).detach()
    ew = ember.hann_window(32, dtype=ember.float64)
    tw = torch.hann_window(32, dtype=torch.float64)
    _check_grad(lambda s: ember.istft(s, 32, window=ew), lambda s: torch.istft(s, 32, window=tw),
                spec.numpy())


@pytest.mark.parametrize("norm", NORMS)
def test_hermitian_transforms_match_torch(norm, on_device):
    xc = _rand((3, 5), complex_=True)
    for n in (None, 8, 9, 4):
        _check_grad(lambda t, n=n: ember.fft.hfft(t, n=n, norm=norm),
                    lambda t, n=n: torch.fft.hfft(t, n=n, norm=norm), xc, device=on_device)
    xr = _rand((3, 7))
    for n in (None, 6, 10):
        _check_grad(lambda t, n=n: ember.fft.ihfft(t, n=n, norm=norm),
                    lambda t, n=n: torch.fft.ihfft(t, n=n, norm=norm), xr, device=on_device)
    xc3 = _rand((2, 4, 3), complex_=True)
    _check_grad(lambda t: ember.fft.hfft2(t, norm=norm), lambda t: torch.fft.hfft2(t, norm=norm),
                xc3, device=on_device)
    _check_grad(lambda t: ember.fft.hfftn(t, s=(4, 6), norm=norm),
                lambda t: torch.fft.hfftn(t, s=(4, 6), norm=norm), xc3, device=on_device)
    xr3 = _rand((2, 4, 6))
    _check_grad(lambda t: ember.fft.ihfft2(t, norm=norm),
                lambda t: torch.fft.ihfft2(t, norm=norm), xr3, device=on_device)
    _check_grad(lambda t: ember.fft.ihfftn(t, dim=(0, 2), norm=norm),
                lambda t: torch.fft.ihfftn(t, dim=(0, 2), norm=norm), xr3, device=on_device)
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        ember.fft.hfft(ember.tensor(xc, device=on_device), norm="bogus")
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match="Only supports floating-point dtypes, but found: "
                                               "ComplexDouble"):
            m.fft.ihfftn(m.tensor(xc))
