"""ember._standard_gamma and ember.poisson (C samplers in csrc/random.c): moments over
1e5 draws for small and large parameters, same seed -> same numbers, identical results
on 1 and 2 threads, and the implicit-reparameterization gradient against
torch._standard_gamma_grad and mpmath."""

import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle
N = 100_000


@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0, 2.5, 30.0, 1e4])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_gamma_moments(alpha, dtype):
    ember.manual_seed(0)
    x = ember._standard_gamma(ember.full((N,), alpha, dtype=dtype))
    assert x.dtype == dtype
    s = np.asarray(x.tolist(), dtype=np.float64)
    assert (s > 0).all()
    se = math.sqrt(alpha / N)
    assert abs(s.mean() - alpha) < 6 * se
    np.testing.assert_allclose(s.var(), alpha, rtol=0.06)


@pytest.mark.parametrize("rate", [0.0, 0.1, 2.0, 9.5, 10.0, 37.0, 1e4])
def test_poisson_moments(rate):
    ember.manual_seed(0)
    x = ember.poisson(ember.full((N,), rate, dtype=ember.float64))
    s = np.asarray(x.tolist())
    assert (s == np.floor(s)).all() and (s >= 0).all()
    if rate == 0:
        assert (s == 0).all()
        return
    assert abs(s.mean() - rate) < 6 * math.sqrt(rate / N)
    np.testing.assert_allclose(s.var(), rate, rtol=0.05)


def test_poisson_pmf_small_rate():
    ember.manual_seed(1)
    s = np.asarray(ember.poisson(ember.full((N,), 1.5)).tolist())
    for k in range(5):
        p = math.exp(-1.5) * 1.5 ** k / math.factorial(k)
        assert abs((s == k).mean() - p) < 6 * math.sqrt(p * (1 - p) / N)


@pytest.mark.parametrize("fn", [ember._standard_gamma, ember.poisson])
def test_same_seed_same_numbers_and_threads(fn):
    rates = ember.tensor(np.tile([0.2, 1.0, 3.0, 15.0, 200.0], 30_000))
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        ember.manual_seed(11)
        a = fn(rates).tolist()
        ember.set_num_threads(2)
        ember.manual_seed(11)
        b = fn(rates).tolist()
    finally:
        ember.set_num_threads(old)
    assert a == b
    c = fn(rates).tolist()
    assert a != c
    g = ember.Generator().manual_seed(11)
    assert fn(rates, generator=g).tolist() == a


def test_poisson_errors_like_torch():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError):
            lib.poisson(lib.tensor([-1.0]))


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.9, 1.0, 3.7, 12.0, 150.0])
def test_gamma_grad_vs_torch(alpha):
    qs = np.linspace(0.02, 0.98, 9)
    from scipy.stats import gamma as sg  # noqa: PLC0415
    x = sg.ppf(qs, alpha)
    a = np.full_like(x, alpha)
    got = ember._standard_gamma_grad(ember.tensor(a), ember.tensor(x))
    want = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x))
    # torch approximates (series, asymptotics, a fitted rational); ember is exact to ~1e-12
    np.testing.assert_allclose(got.tolist(), want.numpy(), rtol=5e-3, atol=1e-12)


@pytest.mark.parametrize("alpha,x", [(0.3, 0.01), (0.3, 2.0), (2.0, 0.5), (2.0, 6.0),
                                     (50.0, 48.0), (50.0, 70.0), (1e3, 1010.0)])
def test_gamma_grad_vs_mpmath(alpha, x):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    dP = mp.diff(lambda a: mp.gammainc(a, 0, x, regularized=True), alpha)
    dens = mp.exp((alpha - 1) * mp.log(x) - x - mp.loggamma(alpha))
    want = float(-dP / dens)
    got = ember._standard_gamma_grad(ember.tensor([alpha], dtype=ember.float64),
                                     ember.tensor([x], dtype=ember.float64)).item()
    assert got == pytest.approx(want, rel=1e-10)


def test_gamma_rsample_gradient_flows():
    alpha = ember.tensor([0.5, 2.0, 10.0], dtype=ember.float64, requires_grad=True)
    ember.manual_seed(2)
    x = ember._standard_gamma(alpha)
    x.sum().backward()
    want = ember._standard_gamma_grad(alpha.detach(), x.detach())
    assert alpha.grad.tolist() == want.tolist()
    # Gamma(concentration, rate).rsample: d/d rate = -x / rate
    conc = ember.tensor([2.0], requires_grad=True)
    rate = ember.tensor([3.0], requires_grad=True)
    y = ember.distributions.Gamma(conc, rate).rsample()
    y.sum().backward()
    assert rate.grad.item() == pytest.approx(-y.item() / 3.0, rel=1e-5)
    assert conc.grad is not None


def test_mean_of_gamma_gradient():
    """E[d x/d alpha] = d E[x]/d alpha = 1 for Gamma(alpha, 1)."""
    alpha = ember.full((N,), 1.7, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(4)
    ember._standard_gamma(alpha).sum().backward()
    g = np.asarray(alpha.grad.tolist())
    assert abs(g.mean() - 1.0) < 6 * g.std() / math.sqrt(N)


def test_samplers_run_on_every_device(device):
    """The CUDA twins (fuller checks in gpu/test_cuda_device.py) give the CPU's numbers."""
    rates = ember.tensor([0.3, 2.0, 25.0] * 50, dtype=ember.float64)
    for fn in (ember._standard_gamma, ember.poisson):
        ember.manual_seed(6)
        want = fn(rates)
        ember.manual_seed(6)
        got = fn(rates.to(device))
        assert got.device.type == device
        np.testing.assert_allclose(np.asarray(got.cpu().tolist()), np.asarray(want.tolist()),
                                   rtol=1e-9)
