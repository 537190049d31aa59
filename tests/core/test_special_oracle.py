"""ember.special against torch.special: values and gradients on fresh random inputs
(several shapes, a transposed view, 0-d and empty), gradcheck in float64, and the edges
each function defines (zeros, infinities, NaN, the normal distribution's far tails)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

# name -> (call, input domain)
FUNCTIONS = {
    "expit": (lambda s, x: s.expit(x), (-6, 6)),
    "gammaln": (lambda s, x: s.gammaln(x), (0.1, 8)),
    "psi": (lambda s, x: s.psi(x), (0.1, 8)),
    "polygamma_1": (lambda s, x: s.polygamma(1, x), (0.1, 8)),
    "i0": (lambda s, x: s.i0(x), (-12, 12)),
    "i0_large": (lambda s, x: s.i0(x), (35, 80)),
    "i0e": (lambda s, x: s.i0e(x), (-80, 80)),
    "i1": (lambda s, x: s.i1(x), (-12, 12)),
    "erfcx": (lambda s, x: s.erfcx(x), (-5, 30)),
    "i1_large": (lambda s, x: s.i1(x), (-80, -35)),
    "i1e": (lambda s, x: s.i1e(x), (-80, 80)),
    "polygamma_3": (lambda s, x: s.polygamma(3, x), (0.5, 8)),
    "polygamma_2_negative": (lambda s, x: s.polygamma(2, x), (-3.9, -3.1)),
    "ndtr": (lambda s, x: s.ndtr(x), (-6, 6)),
    "ndtri": (lambda s, x: s.ndtri(x), (0.01, 0.99)),
    "log_ndtr": (lambda s, x: s.log_ndtr(x), (-20, 8)),
    "entr": (lambda s, x: s.entr(x), (0.05, 4)),
    "erfinv": (lambda s, x: s.erfinv(x), (-0.9, 0.9)),
    "xlog1py": (lambda s, x: s.xlog1py(x, x.flip(-1) if x.dim() else x), (0.1, 3)),
    "multigammaln": (lambda s, x: s.multigammaln(x, 3), (1.1, 6)),
    "logit": (lambda s, x: s.logit(x, eps=1e-3), (0.05, 0.95)),
    # 0.05 from 0, where torch's float32 derivative cancels to noise (see the mpmath test)
    "sinc": (lambda s, x: s.sinc(x + 0.05 * x.sign()), (-0.9, 0.9)),
    "softmax": (lambda s, x: s.softmax(x, -1) if x.dim() else x * 1, (-3, 3)),
    "log_softmax": (lambda s, x: s.log_softmax(x, -1) if x.dim() else x * 1, (-3, 3)),
    "logsumexp": (lambda s, x: s.logsumexp(x, -1) if x.dim() else x * 1, (-3, 3)),
}
SHAPES = [(3, 4), (2, 3, 5), (), (0, 3), "transposed"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_special_matches_torch(name, shape, dtype):
    call, (low, high) = FUNCTIONS[name]
    rng = np.random.default_rng(abs(hash((name, str(shape)))) % 2 ** 32)
    a = rng.uniform(low, high, (5, 4) if shape == "transposed" else shape)
    results = []
    for m in (ember, torch):
        x = m.tensor(a, dtype=getattr(m, dtype), requires_grad=True)
        y = call(m.special, x.t() if shape == "transposed" else x)
        weights = m.linspace(-1, 1, y.numel(), dtype=y.dtype).reshape(y.shape)
        if y.numel() and y.requires_grad:
            (y * weights).sum().backward()
        results.append((y.detach().numpy(), None if x.grad is None else x.grad.numpy()))
    # torch's float64 polygamma is good to ~1e-10 relative; ember's to ~1e-15 (mpmath)
    tol = 1e-5 if dtype == "float32" else 1e-8 if name.startswith(("polygamma", "psi")) \
        else 1e-10
    (ey, eg), (ty, tg) = results
    np.testing.assert_allclose(ey, ty, rtol=tol, atol=tol, err_msg=f"{name} values")
    if tg is not None:
        np.testing.assert_allclose(eg, tg, rtol=tol * 10, atol=tol * 10, err_msg=f"{name} grad")


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_special_gradcheck(name):
    call, (low, high) = FUNCTIONS[name]
    a = np.random.default_rng(1).uniform(low, high, (2, 3))
    x = ember.tensor(a, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: call(ember.special, t), (x,), eps=1e-6,
                                    atol=1e-5)


def test_special_edges_match_torch():
    inf, nan = float("inf"), float("nan")
    cases = [("entr", [0.0, -1.0, inf, nan, 2.0]), ("ndtr", [-inf, inf, nan, -40.0]),
             ("log_ndtr", [-40.0, -1e3, 40.0, inf, -inf]), ("ndtri", [0.0, 1.0, 0.5]),
             ("expit", [-inf, inf, 0.0]), ("i0e", [inf, -inf, 0.0, 700.0, nan]),
             ("i0", [700.0, 713.0, -39.9, 40.1, nan]),
             ("i1", [700.0, -713.0, -39.9, 40.1, 0.0, -0.0, nan]),
             ("i1e", [inf, -inf, 0.0, -700.0, 39.99, nan]),
             ("modified_bessel_i0", [-3.0, 0.0, 50.0]), ("modified_bessel_i1", [-3.0, 0.0, 50.0]),
             ("erfcx", [inf, -inf, nan, 0.0, 25.0, 24.99, 1e10, 1e300, -26.7, -20.0])]
    for name, values in cases:
        got = getattr(ember.special, name)(ember.tensor(values, dtype=ember.float64)).numpy()
        want = getattr(torch.special, name)(torch.tensor(values, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
    got = ember.special.xlog1py(ember.tensor([0.0, 0.0, 2.0]), ember.tensor([nan, -1.0, 1.0]))
    want = torch.special.xlog1py(torch.tensor([0.0, 0.0, 2.0]), torch.tensor([nan, -1.0, 1.0]))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    for m in (ember, torch):
        assert m.mvlgamma(m.tensor([3, 4]), 2).dtype == m.float32
        assert m.tensor([1.0]).polygamma(1).item() == pytest.approx(np.pi ** 2 / 6)
        with pytest.raises(RuntimeError):
            m.polygamma(-1, m.tensor([1.0]))
        with pytest.raises(RuntimeError):
            m.special.multigammaln(m.tensor([2.5]), 0)


def test_sinc_gradient_near_zero_against_mpmath(on_device):
    """torch's sinc derivative, (t cos t - sin t) / t^2, cancels near 0 (float32 keeps no
    digit at x = 1e-4); ember takes the Taylor series there, on every device."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    xs = [1e-7, -3e-5, 1e-4, 2e-3, -0.0318, 0.0319, 0.2, -0.7]
    want = [float(mpmath.diff(lambda v: mpmath.sin(mpmath.pi * v) / (mpmath.pi * v),
                              mpmath.mpf(x))) for x in xs]
    for dtype, rtol in ((ember.float32, 3e-5), (ember.float64, 1e-13)):
        x = ember.tensor(xs, dtype=dtype, device=on_device, requires_grad=True)
        got, = ember.autograd.grad(ember.sinc(x).sum(), x)
        np.testing.assert_allclose(got.cpu().numpy(), want, rtol=rtol)
    x = ember.tensor([0.0, 1e-3, -0.05, 0.3], dtype=ember.float64, device=on_device,
                     requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.sinc, (x,))


def test_erfcx_against_mpmath_where_torch_rounds_x_squared():
    """torch's erfcx(x < 0) rounds x^2 before exp (6e-14 relative near -23.6); ember splits
    x^2 exactly."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    xs = [-26.5, -23.58, -20.0, -7.3, -0.5, 0.5, 3.0, 24.9, 25.1, 60.0, 1e5]
    got = ember.special.erfcx(ember.tensor(xs, dtype=ember.float64)).numpy()
    want = [float(mpmath.exp(mpmath.mpf(x) ** 2) * mpmath.erfc(mpmath.mpf(x))) for x in xs]
    np.testing.assert_allclose(got, want, rtol=4e-16)
    x = ember.tensor([-2.0, 0.1, 3.0, 26.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.special.erfcx, (x,))


IGAMMA_A = [0.0, 0.0, 1.0, 1.0, -1.0, 2.0, math.inf, 2.0, 2.0, 1e-3, 0.5, 3.0, 50.0, 9.5, 10.5,
            1e4, 1e4, math.nan, 3.0, 7.0, 0.1, 200.0]
IGAMMA_X = [0.0, 1.0, 0.0, math.inf, 1.0, -1.0, 1.0, math.inf, 2.0, 1e-3, 30.0, 0.01, 49.5,
            10.0, 10.0, 1.0001e4, 9.0e3, 1.0, math.nan, 7.0, 1e-8, 260.0]


@pytest.mark.parametrize("upper", [False, True])
def test_gammainc_matches_torch_and_mpmath(upper, on_device):
    fn = "gammaincc" if upper else "gammainc"
    a64, x64 = (np.array(v) for v in (IGAMMA_A, IGAMMA_X))
    got = getattr(ember.special, fn)(ember.tensor(a64, device=on_device),
                                     ember.tensor(x64, device=on_device)).cpu().numpy()
    want = getattr(torch.special, fn)(torch.tensor(a64), torch.tensor(x64)).numpy()
    # torch's igamma is off by ~5e-10 near x = a for large a (50, 1e4); ember is exact to
    # mpmath there (below)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300, equal_nan=True)
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for a, x, g in zip(IGAMMA_A, IGAMMA_X, got):
        if a > 0 and 0 < x < math.inf and a < math.inf:
            exact = float(mpmath.gammainc(a, x if upper else 0, math.inf if upper else x,
                                          regularized=True))
            # 1e-12: Q = 1 - P where P is near 1 (and the reverse) cancels
            assert g == pytest.approx(exact, rel=1e-12, abs=1e-300), (a, x)
    # float32 in, float32 out; broadcasting; the top-level and method spellings
    a = ember.tensor([[0.5], [2.0], [30.0]], device=on_device)
    x = ember.tensor([0.1, 1.0, 5.0, 40.0], device=on_device)
    r = getattr(ember.special, fn)(a, x)
    t = getattr(torch.special, fn)(torch.tensor([[0.5], [2.0], [30.0]]),
                                   torch.tensor([0.1, 1.0, 5.0, 40.0]))
    assert r.dtype == ember.float32 and r.shape == (3, 4)
    # torch computes float32 in float32, ember in float64 then rounds: 3e-6 apart at 1e-33
    np.testing.assert_allclose(r.cpu().numpy(), t.numpy(), rtol=1e-5)
    top = ember.igammac if upper else ember.igamma
    np.testing.assert_array_equal(top(a, x).cpu().numpy(), r.cpu().numpy())
    np.testing.assert_array_equal((a.igammac(x) if upper else a.igamma(x)).cpu().numpy(),
                                  r.cpu().numpy())


def test_gammainc_gradient_and_errors(on_device):
    x = ember.tensor([0.3, 1.5, 7.0], dtype=ember.float64, device=on_device,
                     requires_grad=True)
    a = ember.tensor([0.5, 2.0, 6.0], dtype=ember.float64, device=on_device)
    for fn in (ember.special.gammainc, ember.special.gammaincc):
        assert ember.autograd.gradcheck(lambda v, fn=fn: fn(a, v), (x,))
        assert ember.autograd.gradgradcheck(lambda v, fn=fn: fn(a, v), (x,))
    tx = torch.tensor([0.3, 1.5, 7.0], dtype=torch.float64, requires_grad=True)
    ty = torch.special.gammainc(torch.tensor([0.5, 2.0, 6.0], dtype=torch.float64), tx)
    eg, = ember.autograd.grad(ember.special.gammainc(a, x).sum(), x)
    tg, = torch.autograd.grad(ty.sum(), tx)
    np.testing.assert_allclose(eg.cpu().numpy(), tg.numpy(), rtol=1e-12)
    a.requires_grad_(True)
    with pytest.raises(NotImplementedError, match="derivative for 'igamma: input'"):
        ember.special.gammainc(a, x).sum().backward()
    with pytest.raises(NotImplementedError, match="igamma_cpu.*Long"):
        ember.special.gammainc(ember.tensor([1], device=on_device),
                               ember.tensor([1], device=on_device))
