"""torch.special's Bessel, Airy, Hurwitz zeta and orthogonal-polynomial functions against
torch (values, edges, dtypes, broadcasting, autograd) and against mpmath (accuracy), on
every device (the CUDA kernels run on the host emulator with EMBER_TEST_HOST_CUDA=1)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

inf, nan = math.inf, math.nan

UNARY = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
         "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
         "spherical_bessel_j0", "airy_ai"]
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]
# torch's float64 J0, J1, Y0, Y1 and Ai are good to only ~1e-5 relative away from their
# zeros (ember's to ~1e-13, see the mpmath tests); its K and j0 to ~1e-15
TORCH_RTOL64 = {"bessel_j0": 1e-4, "bessel_j1": 1e-4, "bessel_y0": 1e-4, "bessel_y1": 1e-4,
                "airy_ai": 1e-4}


def _grid(name):
    rng = np.random.default_rng(len(name))
    if name == "airy_ai":
        return np.concatenate([rng.uniform(-30, 20, 60), [-10.5, -9.9, 0.9, 1.1, 0.0, 50.0]])
    return np.concatenate([rng.uniform(-40, 40, 40), np.exp(rng.uniform(-8, 5, 30)),
                           [1e-3, 0.999e-3, 1.0, 24.99, 25.01, 1e3, 1e5]])


def _both(name, *operands, dtype="float64", device="cpu"):
    out = []
    for m in (ember, torch):
        args = [m.tensor(v, dtype=getattr(m, dtype), device=device if m is ember else "cpu")
                if isinstance(v, np.ndarray) else v for v in operands]
        out.append(getattr(m.special, name)(*args))
    return out


def _close_to_torch(got, want, rtol, atol=0.0):
    got = got.cpu().numpy().astype(np.float64)
    want = want.numpy().astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, dtype, on_device):
    x = _grid(name)
    if dtype == "float32":  # torch's float32 phase x - pi/4 keeps no digit at 1e5
        x = x[np.abs(x) < 2e3]
    e, t = _both(name, x, dtype=dtype, device=on_device)
    assert e.dtype == getattr(ember, dtype) and e.shape == t.shape and not e.requires_grad
    want = t.numpy().astype(np.float64)
    # absolute slack near the oscillating functions' zeros, scaled by their envelope
    scale = np.nanmax(np.abs(want[np.isfinite(want)]))
    rtol = TORCH_RTOL64.get(name, 1e-12) if dtype == "float64" else 2e-5
    atol = (1e-6 if dtype == "float64" else 2e-6) * scale if name in TORCH_RTOL64 else 0
    if name.endswith("_k0") or name.endswith("_k1"):
        atol = 1e-300 if dtype == "float64" else 1e-37  # values underflowing to subnormals
    _close_to_torch(e, t, rtol, atol)


EDGES = [0.0, -0.0, -1.0, -1e-30, 1e-300, 5e-324, inf, -inf, nan, 1e300, -1e300, 700.0, 800.0,
         -3.5, 1e-3]


@pytest.mark.parametrize("name", UNARY)
def test_unary_edges_match_torch(name, on_device):
    x = np.array(EDGES)
    if name == "airy_ai":  # far out, both are noise-level (phase lost in the argument)
        x = x[np.abs(x) < 1e10]
    e, t = _both(name, x, device=on_device)
    _close_to_torch(e, t, TORCH_RTOL64.get(name, 1e-12), 1e-12)


_MPMATH = {
    "bessel_j0": lambda m, x: m.besselj(0, x), "bessel_j1": lambda m, x: m.besselj(1, x),
    "bessel_y0": lambda m, x: m.bessely(0, x), "bessel_y1": lambda m, x: m.bessely(1, x),
    "modified_bessel_k0": lambda m, x: m.besselk(0, x),
    "modified_bessel_k1": lambda m, x: m.besselk(1, x),
    "scaled_modified_bessel_k0": lambda m, x: m.besselk(0, x) * m.exp(x),
    "scaled_modified_bessel_k1": lambda m, x: m.besselk(1, x) * m.exp(x),
    "spherical_bessel_j0": lambda m, x: m.sin(x) / x, "airy_ai": lambda m, x: m.airyai(x),
}


def _envelope(name, x):
    """The size of the oscillating functions near x (so that error is measured relative to
    it, not to a value that passes through zero); the value itself for the others."""
    ax = np.abs(x)
    if name.startswith("bessel"):
        return np.maximum(np.sqrt(2 / (np.pi * np.maximum(ax, 1e-300))), 0.3)
    if name == "airy_ai":
        return np.where(x < -1, 1 / (np.sqrt(np.pi) * np.abs(x) ** 0.25), np.nan)
    if name == "spherical_bessel_j0":
        return np.where(ax > 1, 1 / ax, np.nan)
    return np.full_like(x, np.nan)


@pytest.mark.parametrize("name", UNARY)
def test_unary_accuracy_against_mpmath(name):
    """ember's float64 to ~1e-13 of mpmath's (relative, or relative to the envelope where
    the function oscillates)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rng = np.random.default_rng(7)
    if name == "airy_ai":
        x = np.concatenate([rng.uniform(-30, 25, 250), rng.uniform(-11, 2, 100)])
    elif name.startswith(("bessel_y", "modified", "scaled")):
        x = np.concatenate([rng.uniform(0, 40, 200), np.exp(rng.uniform(-10, 6, 150))])
    else:
        x = np.concatenate([rng.uniform(-40, 40, 200), np.exp(rng.uniform(-10, 6, 150))])
    want = np.array([float(_MPMATH[name](mpmath, mpmath.mpf(v))) for v in x])
    got = getattr(ember.special, name)(ember.tensor(x, dtype=ember.float64)).numpy()
    env = _envelope(name, x)
    scale = np.where(np.isnan(env), np.abs(want), np.maximum(np.abs(want), env))
    ok = scale > 1e-300
    rel = np.abs(got - want)[ok] / scale[ok]
    assert rel.max() < 1e-13, (name, rel.max(), x[ok][np.argmax(rel)])


def test_zeta_matches_torch_and_mpmath(on_device):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(1.01, 30, 150), [1.5, 2, 3, 4.5, 9, 60, 200]])
    q = np.concatenate([np.exp(rng.uniform(-5, 6, 150)), [0.5, 1, 2, 3, 10, 1e3, 7]])
    # mpmath.zeta(x, q) itself is off by up to 1e-9 for q in the hundreds (even at 80
    # digits), so the reference is 300 terms summed at 60 digits plus Euler-Maclaurin's tail
    bern = [mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) for j in range(1, 16)]

    def reference(s, a):
        s, a = mpmath.mpf(s), mpmath.mpf(a)
        head = mpmath.fsum((a + k) ** -s for k in range(300))
        a += 300
        return float(head + a ** (1 - s) / (s - 1) + a ** -s / 2 + mpmath.fsum(
            b * mpmath.rf(s, 2 * j + 1) * a ** (-s - 2 * j - 1) for j, b in enumerate(bern)))
    want = np.array([reference(a, b) for a, b in zip(x, q)])
    got = ember.special.zeta(ember.tensor(x, dtype=ember.float64, device=on_device),
                             ember.tensor(q, dtype=ember.float64, device=on_device))
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-13)
    # torch agrees (its Euler-Maclaurin has a fixed 9 terms: ~1e-14)
    t = torch.special.zeta(torch.tensor(x), torch.tensor(q))
    _close_to_torch(got, t, 1e-12)
    # negative q with integer x, and every edge torch defines
    xs = np.array([2.0, 3.0, 1.0, 0.5, -1.0, inf, nan, 1.5, 100.0, 4.0])
    qs = np.array([1.0, 0.0, -1.0, -1.5, -2.5, 0.5, inf, nan, 2.0, -0.25, 1e-300, 1e300])
    for dtype in ("float32", "float64"):
        e, t = _both("zeta", xs[:, None], qs[None, :], dtype=dtype, device=on_device)
        _close_to_torch(e, t, 1e-12 if dtype == "float64" else 1e-5)


def test_zeta_numbers_dtypes_and_gradient(on_device):
    for args in ((2.0, np.array([1.0, 2.0])), (np.array([2.0, 3.0]), 1.5)):
        for dtype in ("float32", "float64"):
            e, t = _both("zeta", *args, dtype=dtype, device=on_device)
            assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
            _close_to_torch(e, t, 1e-6)
    assert ember.special.zeta(ember.tensor([2, 3]), ember.tensor([1, 2])).dtype == ember.float32
    # d/dq zeta(x, q) = -x zeta(x + 1, q), with q broadcast against x
    grads = []
    for m in (ember, torch):
        kw = {"device": on_device} if m is ember else {}
        x = m.tensor([[2.0], [3.5]], dtype=m.float64, **kw)
        q = m.tensor([0.5, 1.0, 4.0], dtype=m.float64, requires_grad=True, **kw)
        y = m.special.zeta(x, q)
        assert y.requires_grad
        y.sum().backward()
        grads.append(q.grad.cpu().numpy() if m is ember else q.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    for m in (ember, torch):
        x = m.tensor([2.0], requires_grad=True)
        with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not"):
            m.special.zeta(x, m.tensor([1.0])).sum().backward()


X_POLY = np.array([-2.5, -1.0, -0.999, -0.7, -0.3, 0.0, 0.2, 0.5, 0.75, 0.999, 1.0, 1.3, 3.0,
                   inf, -inf])
N_POLY = np.array([-3.0, -0.5, 0.0, 0.7, 1.0, 2.0, 2.9, 3.0, 5.0, 6.0, 7.0, 8.0, 9.0, 12.0, 25.0,
                   inf, -inf, nan, 1e30])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomial_matches_torch(name, dtype, on_device):
    """x and n broadcast (a column against a row), over torch's conventions: n truncated,
    0 for negative (and NaN or infinite) n, the closed forms at |x| = 1."""
    x, n = X_POLY[:, None], N_POLY[None, :]
    if dtype == "float32" and name.startswith(("hermite", "shifted")):
        x = x[np.abs(x[:, 0]) < 2]  # torch's float32 recurrence overflows to NaN where ember's is inf
    e, t = _both(name, x, n, dtype=dtype, device=on_device)
    got, want = e.cpu().numpy().astype(np.float64), t.numpy().astype(np.float64)
    assert e.dtype == getattr(ember, dtype) and e.shape == t.shape
    finite = np.isfinite(want) & (np.abs(want) < (1e30 if dtype == "float32" else 1e300))
    # the recurrences lose a few ulps per step; torch's float32 runs in float32
    tol = 1e-11 if dtype == "float64" else 2e-4
    np.testing.assert_allclose(got[finite], want[finite], rtol=tol,
                               atol=tol * np.maximum(1, np.abs(want[finite])).max() * 1e-3)
    np.testing.assert_array_equal(np.isnan(got[~finite]), np.isnan(want[~finite]))


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomial_against_mpmath_and_nan(name):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    exact = {
        "chebyshev_polynomial_t": lambda x, n: mpmath.chebyt(n, x),
        "chebyshev_polynomial_u": lambda x, n: mpmath.chebyu(n, x),
        "chebyshev_polynomial_v": lambda x, n: (mpmath.chebyu(n, x) - mpmath.chebyu(n - 1, x)
                                                if n else 1),
        "chebyshev_polynomial_w": lambda x, n: (mpmath.chebyu(n, x) + mpmath.chebyu(n - 1, x)
                                                if n else 1),
        "hermite_polynomial_h": lambda x, n: mpmath.hermite(n, x),
        "hermite_polynomial_he": lambda x, n: mpmath.hermite(n, x / mpmath.sqrt(2)) *
        mpmath.mpf(2) ** (-mpmath.mpf(n) / 2),
        "laguerre_polynomial_l": lambda x, n: mpmath.laguerre(n, 0, x),
        "legendre_polynomial_p": lambda x, n: mpmath.legendre(n, x),
    }
    base = name.replace("shifted_", "")
    rng = np.random.default_rng(11)
    x, n = rng.uniform(-1, 1, 200), rng.integers(0, 30, 200).astype(np.float64)
    if name.startswith("shifted"):
        x = (x + 1) / 2
    want = np.array([float(exact[base](mpmath.mpf(2 * a - 1 if base != name else a), int(k)))
                     for a, k in zip(x, n)])
    got = getattr(ember.special, name)(ember.tensor(x, dtype=ember.float64),
                                       ember.tensor(n, dtype=ember.float64)).numpy()
    scale = np.maximum(np.abs(want), 1)  # relative near the polynomials' zeros is meaningless
    assert (np.abs(got - want) / scale).max() < 1e-12
    # NaN x: NaN for every n >= 1 (torch's U, W, L and P return an uninitialized value at
    # n = 2 for a NaN x; ember returns NaN there)
    y = getattr(ember.special, name)(ember.tensor([nan] * 4, dtype=ember.float64),
                                     ember.tensor([0.0, 1.0, 2.0, 9.0], dtype=ember.float64))
    assert y[0].item() == 1 and np.isnan(y[1:].numpy()).all()


def test_shapes_numbers_and_dtypes(on_device):
    """Transposed and 0-d inputs, empty ones, numbers for x or n, integer promotion, out=,
    and torch's errors for half and complex inputs."""
    a = np.random.default_rng(5).uniform(0.1, 3, (4, 3))
    for m_args in ((a.T,), (a[0, 0],), (np.zeros((0, 3)),)):
        for name in ("bessel_j0", "modified_bessel_k1"):
            e = getattr(ember.special, name)(ember.tensor(m_args[0], device=on_device).T
                                             if m_args[0].ndim == 2 else
                                             ember.tensor(m_args[0], device=on_device))
            t = getattr(torch.special, name)(torch.tensor(m_args[0]).T if m_args[0].ndim == 2
                                             else torch.tensor(m_args[0]))
            assert e.shape == t.shape
            _close_to_torch(e, t, 1e-4)
    xt = ember.tensor(a, device=on_device).t()
    e = ember.special.legendre_polynomial_p(xt, 3)
    t = torch.special.legendre_polynomial_p(torch.tensor(a).t(), 3)
    _close_to_torch(e, t, 1e-12)
    e = ember.special.hermite_polynomial_h(0.5, ember.tensor([0, 1, 2, 3], device=on_device))
    t = torch.special.hermite_polynomial_h(0.5, torch.tensor([0, 1, 2, 3]))
    assert e.dtype == ember.float32
    _close_to_torch(e, t, 1e-6)
    assert ember.special.bessel_y0(ember.tensor([1, 2])).dtype == ember.float32
    assert ember.special.chebyshev_polynomial_t(ember.tensor([1, 2]), 2).dtype == ember.float32
    assert ember.special.airy_ai(ember.tensor(1.0, dtype=ember.float64)).shape == ()
    out = ember.empty(3, dtype=ember.float64, device=on_device)
    r = ember.special.bessel_j1(ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64,
                                             device=on_device), out=out)
    assert r is out
    np.testing.assert_allclose(out.cpu().numpy(), torch.special.bessel_j1(
        torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).numpy(), rtol=1e-4)
    for m in (ember, torch):
        with pytest.raises(NotImplementedError, match="not implemented for 'Half'"):
            m.special.bessel_j0(m.tensor([1.0], dtype=m.float16))
        with pytest.raises(NotImplementedError, match="not implemented for 'ComplexFloat'"):
            m.special.chebyshev_polynomial_t(m.tensor([1j]), 2)
        x = m.tensor([0.5], requires_grad=True)
        assert not m.special.airy_ai(x).requires_grad
        assert not m.special.laguerre_polynomial_l(x, 3).requires_grad


def test_top_level_names_follow_torch():
    for name in UNARY + POLYNOMIALS + ["zeta"]:
        assert hasattr(ember.special, name)
        assert hasattr(ember, name) == hasattr(torch, name), name
