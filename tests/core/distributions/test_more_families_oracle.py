"""The later families of ember.distributions against torch.distributions (float64, CPU):
log_prob and its parameter gradients, moments, entropy, cdf/icdf, shapes, expand,
sample moments and validation errors."""

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions
pytestmark = pytest.mark.oracle

R = np.random.default_rng(7)
POS = R.uniform(0.6, 2.0, (3,))
POS2 = R.uniform(0.6, 2.0, (3,))
BIG = R.uniform(5.0, 9.0, (3,))
REAL = R.normal(size=(3,))
PROB = np.array([0.2, 0.5003, 0.8])  # the middle one is inside ContinuousBernoulli's lims
W = R.normal(size=(3, 2))
A = R.normal(size=(2, 3, 3))
SPD = A @ A.transpose(0, 2, 1) + 3 * np.eye(3)


def _corr_chol(n, k):
    rng = np.random.default_rng(k)
    out = []
    for _ in range(n):
        a = rng.normal(size=(3, 3))
        c = a @ a.T + np.eye(3)
        d = np.sqrt(np.diag(c))
        out.append(np.linalg.cholesky(c / d[:, None] / d[None, :]))
    return np.stack(out)


def _spd(n, k):
    rng = np.random.default_rng(k)
    a = rng.normal(size=(n, 2, 3, 3))
    return a @ a.transpose(0, 1, 3, 2) + np.eye(3)


# name, parameters (number or array), values
CASES = [
    ("Pareto", {"scale": POS, "alpha": BIG}, POS + R.uniform(0.1, 2, (2, 3))),
    ("Pareto", {"scale": POS, "alpha": POS2}, POS + R.uniform(0.1, 2, (2, 3))),
    ("Weibull", {"scale": POS, "concentration": POS2 + 0.5}, R.uniform(0.1, 3, (2, 3))),
    ("Kumaraswamy", {"concentration1": POS + 0.5, "concentration0": POS2 + 0.5},
     R.uniform(0.05, 0.95, (2, 3))),
    ("FisherSnedecor", {"df1": BIG, "df2": BIG + 1}, R.uniform(0.1, 3, (2, 3))),
    ("FisherSnedecor", {"df1": POS, "df2": POS2 * 2}, R.uniform(0.1, 3, (2, 3))),
    ("InverseGamma", {"concentration": BIG, "rate": POS}, R.uniform(0.1, 3, (2, 3))),
    ("GeneralizedPareto", {"loc": REAL, "scale": POS, "concentration": np.array([0.2, 0.0, 0.3])},
     REAL + R.uniform(0.1, 2, (2, 3))),
    ("NegativeBinomial", {"total_count": BIG, "probs": PROB},
     R.integers(0, 9, (2, 3)).astype(float)),
    ("NegativeBinomial", {"total_count": BIG, "logits": REAL},
     R.integers(0, 9, (2, 3)).astype(float)),
    ("ContinuousBernoulli", {"probs": PROB}, R.uniform(0.05, 0.95, (2, 3))),
    ("ContinuousBernoulli", {"logits": REAL}, R.uniform(0.05, 0.95, (2, 3))),
    ("LogisticNormal", {"loc": REAL, "scale": POS}, R.dirichlet(np.ones(4), (2,))),
    ("LowRankMultivariateNormal", {"loc": REAL, "cov_factor": W, "cov_diag": POS},
     R.normal(size=(2, 3))),
    ("VonMises", {"loc": REAL, "concentration": np.array([0.5, 3.0, 8.0])},
     R.uniform(-3, 3, (2, 3))),
    ("Wishart", {"df": np.array([4.0, 6.5]), "covariance_matrix": SPD}, _spd(1, 3)),
    ("Wishart", {"df": np.array([4.0, 6.5]), "scale_tril": np.linalg.cholesky(SPD)},
     _spd(1, 4)),
    ("Wishart", {"df": np.array([4.0, 6.5]), "precision_matrix": np.linalg.inv(SPD)},
     _spd(1, 5)),
    ("LKJCholesky", {"dim": 3, "concentration": np.array([0.5, 1.0, 2.5])},
     _corr_chol(3, 1)[None]),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
NO_GRAD = {"dim"}
# torch's GeneralizedPareto compares its shape with a float32 zero, so float64 fails there
SINGLE = {"GeneralizedPareto"}


def _dtype(case, lib):
    return lib.float32 if case[0] in SINGLE else lib.float64


def _make(case, requires_grad=False):
    name, params, _ = case
    e_kw, t_kw = {}, {}
    for k, v in params.items():
        if isinstance(v, int):
            e_kw[k] = t_kw[k] = v
            continue
        rg = requires_grad and k not in NO_GRAD
        e_kw[k] = ember.tensor(v, dtype=_dtype(case, ember), requires_grad=rg)
        t_kw[k] = torch.tensor(v, dtype=_dtype(case, torch), requires_grad=rg)
    return getattr(ED, name)(**e_kw), getattr(TD, name)(**t_kw), e_kw, t_kw


def _close(a, b, rtol=1e-7, atol=1e-9):
    if b.dtype == torch.float32:
        rtol, atol = max(rtol, 2e-5), max(atol, 1e-5)
    np.testing.assert_allclose(np.asarray(a.detach().tolist(), dtype=float),
                               b.detach().numpy().astype(float), rtol=rtol, atol=atol,
                               equal_nan=True)


def _value(case, lib):
    return lib.tensor(case[2], dtype=_dtype(case, lib))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_and_grad(case):
    e, t, e_kw, t_kw = _make(case, requires_grad=True)
    le, lt = e.log_prob(_value(case, ember)), t.log_prob(_value(case, torch))
    _close(le, lt)
    le.sum().backward()
    lt.sum().backward()
    for k, v in e_kw.items():
        if isinstance(v, ember.Tensor) and v.requires_grad:
            assert t_kw[k].grad is not None
            _close(v.grad, t_kw[k].grad, rtol=1e-6, atol=1e-8)


def _call(obj, attr):
    v = getattr(obj, attr)
    return v() if callable(v) else v


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("attr", ["mean", "variance", "stddev", "mode", "entropy"])
def test_moments_and_entropy(case, attr):
    e, t, _, _ = _make(case)
    try:
        want = _call(t, attr)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            _call(e, attr)
        return
    got = _call(e, attr)
    assert tuple(got.shape) == tuple(want.shape)
    _close(got, want)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cdf_icdf(case):
    e, t, _, _ = _make(case)
    try:
        want = t.cdf(_value(case, torch))
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.cdf(_value(case, ember))
        return
    _close(e.cdf(_value(case, ember)), want)
    q = np.linspace(0.05, 0.95, 6).reshape(2, 3)
    try:
        want = t.icdf(torch.tensor(q, dtype=_dtype(case, torch)))
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.icdf(ember.tensor(q, dtype=_dtype(case, ember)))
        return
    _close(e.icdf(ember.tensor(q, dtype=_dtype(case, ember))), want, rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_and_expand(case):
    e, t, _, _ = _make(case)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    s = e.sample((5, 2))
    assert tuple(s.shape) == tuple(t.sample((5, 2)).shape)
    assert bool(e.support.check(s).all())
    ee, te = e.expand((4,) + tuple(e.batch_shape)), t.expand((4,) + tuple(t.batch_shape))
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert tuple(ee.sample().shape) == tuple(te.sample().shape)
    _close(ee.log_prob(_value(case, ember)[:1]), te.log_prob(_value(case, torch)[:1]))
    assert e.has_rsample == t.has_rsample
    if e.has_rsample:
        _, _, e_kw, _ = _make(case, requires_grad=True)
        d = getattr(ED, case[0])(**e_kw)
        d.rsample((3,)).sum().backward()
        assert any(v.grad is not None for v in e_kw.values() if isinstance(v, ember.Tensor))


MOMENT_CASES = [c for c in CASES if c[0] not in ("LKJCholesky", "LogisticNormal")]


@pytest.mark.parametrize("case", MOMENT_CASES, ids=[f"{c[0]}-{'-'.join(c[1])}"
                                                     for c in MOMENT_CASES])
def test_sample_moments(case):
    ember.manual_seed(2)
    e, t, _, _ = _make(case)
    n = 20000
    s = np.asarray(e.sample((n,)).double().tolist())
    mean, var = t.mean.numpy(), t.variance.numpy()
    if case[0] == "VonMises":  # the mean direction, and the circular variance
        z = np.exp(1j * s).mean(0)
        np.testing.assert_allclose(np.angle(z), mean, atol=0.05)
        np.testing.assert_allclose(1 - np.abs(z), var, atol=0.02)
        return
    ok = np.isfinite(var) & np.isfinite(mean) & (var < 50)
    se = np.sqrt(np.where(ok, var, 1) / n)
    assert np.all((np.abs(s.mean(0) - mean) < 6 * se + 1e-9)[ok])
    np.testing.assert_allclose(s.var(0)[ok], var[ok], rtol=0.2, atol=1e-9)


def test_lkj_marginals_match_torch_samples():
    """LKJ correlation matrices: their mean and elementwise variance over many draws
    against torch's sampler (statistically; the random streams differ)."""
    ember.manual_seed(4)
    torch.manual_seed(4)
    for eta in (0.5, 2.0):
        le = ED.LKJCholesky(3, eta).sample((20000,))
        lt = TD.LKJCholesky(3, eta).sample((20000,)).double()
        ce = np.asarray((le @ le.mT).tolist())
        ct = (lt @ lt.mT).numpy()
        np.testing.assert_allclose(ce.var(0), ct.var(0), atol=0.01)
        np.testing.assert_allclose(ce.mean(0), ct.mean(0), atol=0.02)


def test_mixture_same_family():
    mix_e = ED.Categorical(ember.tensor([[0.3, 0.7], [0.5, 0.5]], dtype=ember.float64))
    mix_t = TD.Categorical(torch.tensor([[0.3, 0.7], [0.5, 0.5]], dtype=torch.float64))
    loc, scale = R.normal(size=(2, 2)), R.uniform(0.5, 2, (2, 2))
    for event in (False, True):
        if event:
            ce = ED.Independent(ED.Normal(ember.tensor(loc[..., None].repeat(3, -1)),
                                          ember.tensor(scale[..., None].repeat(3, -1))), 1)
            ct = TD.Independent(TD.Normal(torch.tensor(loc[..., None].repeat(3, -1)),
                                          torch.tensor(scale[..., None].repeat(3, -1))), 1)
        else:
            ce = ED.Normal(ember.tensor(loc), ember.tensor(scale))
            ct = TD.Normal(torch.tensor(loc), torch.tensor(scale))
        e, t = ED.MixtureSameFamily(mix_e, ce), TD.MixtureSameFamily(mix_t, ct)
        assert tuple(e.batch_shape) == tuple(t.batch_shape)
        assert tuple(e.event_shape) == tuple(t.event_shape)
        v = R.normal(size=(4,) + tuple(t.batch_shape) + tuple(t.event_shape))
        _close(e.log_prob(ember.tensor(v)), t.log_prob(torch.tensor(v)))
        _close(e.mean, t.mean)
        _close(e.variance, t.variance)
        if not event:
            _close(e.cdf(ember.tensor(v)), t.cdf(torch.tensor(v)))
        s = e.sample((3, 5))
        assert tuple(s.shape) == tuple(t.sample((3, 5)).shape)
        assert bool(e.support.check(s).all())
        ee, te = e.expand((6, 2)), t.expand((6, 2))
        assert tuple(ee.sample().shape) == tuple(te.sample().shape)
        _close(ee.log_prob(ember.tensor(v[:1])), te.log_prob(torch.tensor(v[:1])))
    ember.manual_seed(0)
    big = ED.MixtureSameFamily(ED.Categorical(ember.tensor([0.25, 0.75])),
                               ED.Normal(ember.tensor([-2.0, 3.0]), ember.tensor([0.5, 1.0])))
    x = np.asarray(big.sample((20000,)).tolist())
    assert abs(x.mean() - 1.75) < 0.05 and abs(x.var() - float(big.variance)) < 0.15
    with pytest.raises(ValueError):
        ED.MixtureSameFamily(ED.Categorical(ember.ones(3)), ED.Normal(ember.zeros(2), 1.0))
    with pytest.raises(ValueError):
        ED.MixtureSameFamily(ED.Normal(0.0, 1.0), ED.Normal(ember.zeros(2), 1.0))


def test_lowrank_matrices_match_torch():
    e, t, _, _ = _make(next(c for c in CASES if c[0] == "LowRankMultivariateNormal"))
    for attr in ("covariance_matrix", "precision_matrix", "scale_tril"):
        _close(getattr(e, attr), getattr(t, attr))


@pytest.mark.parametrize("make", [
    lambda lib: lib.distributions.Pareto(lib.tensor([1.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.Weibull(lib.tensor([0.0]), lib.tensor([1.0])),
    lambda lib: lib.distributions.Kumaraswamy(lib.tensor([1.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.FisherSnedecor(lib.tensor([1.0]), lib.tensor([0.0])),
    lambda lib: lib.distributions.NegativeBinomial(lib.tensor([-1.0]), lib.tensor([0.5])),
    lambda lib: lib.distributions.NegativeBinomial(lib.tensor([2.0]), lib.tensor([1.0])),
    lambda lib: lib.distributions.ContinuousBernoulli(lib.tensor([1.5]), validate_args=True),
    lambda lib: lib.distributions.VonMises(lib.tensor([0.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.LKJCholesky(1),
    lambda lib: lib.distributions.LKJCholesky(3, lib.tensor(-1.0)),
    lambda lib: lib.distributions.Wishart(lib.tensor(1.0), lib.eye(3)),
    lambda lib: lib.distributions.GeneralizedPareto(0.0, lib.tensor(-1.0), 0.1),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(2, 1),
                                                            lib.ones(3)),
    lambda lib: lib.distributions.InverseGamma(lib.tensor(0.0), lib.tensor(1.0)),
])
def test_invalid_parameters_raise_like_torch(make):
    with pytest.raises(ValueError):
        make(torch)
    with pytest.raises(ValueError):
        make(ember)


def test_support_checks():
    for lib in (torch, ember):
        d = lib.distributions.Pareto(lib.tensor([2.0]), lib.tensor([1.0]))
        with pytest.raises(ValueError, match="within the support"):
            d.log_prob(lib.tensor([1.0]))
        g = lib.distributions.GeneralizedPareto(lib.tensor([0.0]), lib.tensor([1.0]),
                                                lib.tensor([-0.5]))
        with pytest.raises(ValueError, match="within the support"):
            g.log_prob(lib.tensor([2.5]))
