"""ember.distributions against torch.distributions (float64, CPU): log_prob, entropy,
moments, cdf/icdf and log_prob gradients in every parameter; rsample gradients through
the reparameterization with the same base noise; shapes, expand, validation errors and
sample moments over many draws (the RNG streams differ, so samples are compared
statistically)."""

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions
pytestmark = pytest.mark.oracle

R = np.random.default_rng(0)
POS = R.uniform(0.5, 2.0, (3,))
POS2 = R.uniform(0.5, 2.0, (3,))
REAL = R.normal(size=(3,))
PROB = R.uniform(0.1, 0.9, (3,))
SIMPLEX = R.dirichlet(np.ones(4), 3)
LOGITS = R.normal(size=(3, 4))
A = R.normal(size=(3, 3))
COV = A @ A.T + 3 * np.eye(3)

# name, parameters (keyword -> array), values, has cdf/icdf
CASES = [
    ("Normal", {"loc": REAL, "scale": POS}, R.normal(size=(2, 3))),
    ("Uniform", {"low": REAL - 1, "high": REAL + 1}, REAL + R.uniform(-0.9, 0.9, (2, 3))),
    ("Exponential", {"rate": POS}, R.uniform(0.1, 3, (2, 3))),
    ("Laplace", {"loc": REAL, "scale": POS}, R.normal(size=(2, 3))),
    ("Cauchy", {"loc": REAL, "scale": POS}, R.normal(size=(2, 3))),
    ("Gumbel", {"loc": REAL, "scale": POS}, R.normal(size=(2, 3))),
    ("LogNormal", {"loc": REAL, "scale": POS}, R.uniform(0.1, 3, (2, 3))),
    ("HalfNormal", {"scale": POS}, R.uniform(0.1, 3, (2, 3))),
    ("HalfCauchy", {"scale": POS}, R.uniform(0.1, 3, (2, 3))),
    ("Gamma", {"concentration": POS, "rate": POS2}, R.uniform(0.1, 3, (2, 3))),
    ("Chi2", {"df": POS * 2}, R.uniform(0.1, 3, (2, 3))),
    ("Beta", {"concentration1": POS, "concentration0": POS2}, R.uniform(0.05, 0.95, (2, 3))),
    ("StudentT", {"df": POS * 3, "loc": REAL, "scale": POS2}, R.normal(size=(2, 3))),
    ("Dirichlet", {"concentration": SIMPLEX * 5 + 0.5}, R.dirichlet(np.ones(4), (2, 3))),
    ("Bernoulli", {"probs": PROB}, R.integers(0, 2, (2, 3)).astype(float)),
    ("Bernoulli", {"logits": REAL}, R.integers(0, 2, (2, 3)).astype(float)),
    ("Geometric", {"probs": PROB}, R.integers(0, 5, (2, 3)).astype(float)),
    ("Poisson", {"rate": POS * 3}, R.integers(0, 6, (2, 3)).astype(float)),
    ("Binomial", {"total_count": np.full(3, 7.0), "probs": PROB},
     R.integers(0, 8, (2, 3)).astype(float)),
    ("Binomial", {"total_count": np.full(3, 7.0), "logits": REAL},
     R.integers(0, 8, (2, 3)).astype(float)),
    ("Categorical", {"probs": SIMPLEX}, R.integers(0, 4, (2, 3))),
    ("Categorical", {"logits": LOGITS}, R.integers(0, 4, (2, 3))),
    ("OneHotCategorical", {"logits": LOGITS}, np.eye(4)[R.integers(0, 4, (2, 3))]),
    ("Multinomial", {"total_count": 5, "probs": SIMPLEX},
     np.stack([R.multinomial(5, p) for p in SIMPLEX]).astype(float)),
    ("MultivariateNormal", {"loc": REAL, "covariance_matrix": COV}, R.normal(size=(2, 3))),
    ("MultivariateNormal", {"loc": REAL, "scale_tril": np.linalg.cholesky(COV)},
     R.normal(size=(2, 3))),
    ("MultivariateNormal", {"loc": REAL, "precision_matrix": np.linalg.inv(COV)},
     R.normal(size=(2, 3))),
    ("RelaxedBernoulli", {"temperature": np.array(0.7), "probs": PROB},
     R.uniform(0.05, 0.95, (2, 3))),
    ("RelaxedOneHotCategorical", {"temperature": np.array(0.7), "probs": SIMPLEX},
     R.dirichlet(np.ones(4), (2, 3))),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
GRAD_SKIP = {"total_count", "temperature"}


def _make(case, requires_grad=False):
    name, params, _ = case
    e_kw, t_kw = {}, {}
    for k, v in params.items():
        if isinstance(v, int):
            e_kw[k] = t_kw[k] = v
            continue
        rg = requires_grad and k not in GRAD_SKIP
        e_kw[k] = ember.tensor(v, dtype=ember.float64, requires_grad=rg)
        t_kw[k] = torch.tensor(v, dtype=torch.float64, requires_grad=rg)
    return getattr(ED, name)(**e_kw), getattr(TD, name)(**t_kw), e_kw, t_kw


def _value(case, lib):
    v = case[2]
    if case[0] == "Categorical":
        return lib.tensor(v)
    return lib.tensor(v, dtype=lib.float64)


def _close(a, b, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(np.asarray(a.detach().tolist(), dtype=float),
                               b.detach().numpy().astype(float), rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_and_grad(case):
    e, t, e_kw, t_kw = _make(case, requires_grad=True)
    le, lt = e.log_prob(_value(case, ember)), t.log_prob(_value(case, torch))
    _close(le, lt)
    le.sum().backward()
    lt.sum().backward()
    for k in e_kw:
        if isinstance(e_kw[k], ember.Tensor) and e_kw[k].requires_grad:
            _close(e_kw[k].grad, t_kw[k].grad, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("attr", ["mean", "variance", "stddev", "mode", "entropy"])
def test_moments_and_entropy(case, attr):
    e, t, _, _ = _make(case)
    try:
        want = getattr(t, attr)
        want = want() if callable(want) else want
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            got = getattr(e, attr)
            got() if callable(got) else got
        return
    got = getattr(e, attr)
    got = got() if callable(got) else got
    assert tuple(got.shape) == tuple(want.shape)
    _close(got, want)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cdf_icdf(case):
    e, t, _, _ = _make(case)
    v = _value(case, torch)
    try:
        want = t.cdf(v)
    except NotImplementedError:
        return
    _close(e.cdf(_value(case, ember)), want)
    q = np.linspace(0.05, 0.95, 6).reshape(2, 3)
    try:
        want = t.icdf(torch.tensor(q, dtype=torch.float64))
    except NotImplementedError:  # Gamma and Chi2 have a cdf but no icdf
        with pytest.raises(NotImplementedError):
            e.icdf(ember.tensor(q, dtype=ember.float64))
        return
    _close(e.icdf(ember.tensor(q, dtype=ember.float64)), want, rtol=1e-6)


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
    assert e.has_enumerate_support == t.has_enumerate_support


MOMENT_CASES = [c for c in CASES if c[0] not in ("Cauchy", "HalfCauchy", "RelaxedBernoulli",
                                                 "Categorical", "LogNormal",
                                                 "RelaxedOneHotCategorical")]


@pytest.mark.parametrize("case", MOMENT_CASES, ids=[f"{c[0]}-{'-'.join(c[1])}"
                                                     for c in MOMENT_CASES])
def test_sample_moments(case):
    ember.manual_seed(1)
    e, t, _, _ = _make(case)
    n = 20000
    s = e.sample((n,)).double()
    mean = t.mean.numpy()
    var = t.variance.numpy()
    se = np.sqrt(var / n)
    got = np.asarray(s.mean(0).tolist())
    ok = np.isfinite(var)
    assert np.all(np.abs(got - mean)[ok] < 6 * se[ok] + 1e-9), (got, mean)
    gv = np.asarray(s.var(0).tolist())
    ok = np.isfinite(var)  # StudentT with df <= 2 has no finite variance
    np.testing.assert_allclose(gv[ok], var[ok], rtol=0.15, atol=1e-9)


def test_rsample_reparameterized_gradients():
    """rsample(loc, scale) = loc + scale * eps: gradients equal torch's for the same eps."""
    loc = ember.tensor(REAL, requires_grad=True)
    scale = ember.tensor(POS, requires_grad=True)
    ember.manual_seed(3)
    x = ED.Normal(loc, scale).rsample((4,))
    ember.manual_seed(3)
    eps = ember.randn(4, 3, dtype=ember.float64)
    (x * x).sum().backward()
    tl = torch.tensor(REAL, requires_grad=True)
    ts = torch.tensor(POS, requires_grad=True)
    tx = tl + torch.tensor(eps.tolist(), dtype=torch.float64) * ts
    (tx * tx).sum().backward()
    _close(loc.grad, tl.grad)
    _close(scale.grad, ts.grad)


@pytest.mark.parametrize("name", ["Laplace", "Gumbel", "Cauchy", "Exponential", "Uniform",
                                  "LogNormal", "MultivariateNormal"])
def test_rsample_has_gradients(name):
    case = next(c for c in CASES if c[0] == name)
    e, _, e_kw, _ = _make(case, requires_grad=True)
    e.rsample((3,)).sum().backward()
    for v in e_kw.values():
        assert v.grad is not None and bool(v.grad.isfinite().all())


def test_mvn_rsample_matches_transform():
    loc = ember.tensor(REAL, requires_grad=True)
    L = ember.tensor(np.linalg.cholesky(COV), requires_grad=True)
    ember.manual_seed(5)
    x = ED.MultivariateNormal(loc, scale_tril=L).rsample((7,))
    ember.manual_seed(5)
    eps = ember.randn(7, 3, dtype=ember.float64)
    x.pow(2).sum().backward()
    tl = torch.tensor(REAL, requires_grad=True)
    tL = torch.tensor(np.linalg.cholesky(COV), requires_grad=True)
    (tl + torch.tensor(eps.tolist(), dtype=torch.float64) @ tL.T).pow(2).sum().backward()
    _close(loc.grad, tl.grad)
    _close(L.grad, tL.grad)


def test_broadcasting_of_parameters():
    d = ED.Normal(ember.zeros(3, 1), ember.ones(4))
    assert tuple(d.batch_shape) == (3, 4)
    assert tuple(ED.Normal(0.0, 1.0).batch_shape) == ()
    assert tuple(ED.Normal(0.0, 1.0).sample((2,)).shape) == (2,)


def test_sampling_reproducible_under_manual_seed():
    d = ED.Gamma(ember.tensor([0.5, 3.0]), ember.tensor([1.0, 2.0]))
    ember.manual_seed(7)
    a = d.sample((10,))
    ember.manual_seed(7)
    b = d.sample((10,))
    assert a.tolist() == b.tolist()


def test_enumerate_support():
    for make in (lambda lib: lib.distributions.Categorical(logits=lib.zeros(2, 3)),
                 lambda lib: lib.distributions.Bernoulli(probs=lib.full((2,), 0.3)),
                 lambda lib: lib.distributions.OneHotCategorical(logits=lib.zeros(2, 3)),
                 lambda lib: lib.distributions.Binomial(3, probs=lib.full((2,), 0.3))):
        for expand in (True, False):
            e, t = make(ember).enumerate_support(expand), make(torch).enumerate_support(expand)
            assert tuple(e.shape) == tuple(t.shape)
            assert e.tolist() == t.tolist()


@pytest.mark.parametrize("make", [
    lambda lib: lib.distributions.Normal(lib.tensor([0.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.Bernoulli(probs=lib.tensor([1.5])),
    lambda lib: lib.distributions.Categorical(probs=lib.tensor([-0.1, 1.1])),
    lambda lib: lib.distributions.Exponential(lib.tensor([0.0])),
    lambda lib: lib.distributions.Uniform(lib.tensor([1.0]), lib.tensor([0.0])),
    lambda lib: lib.distributions.Gamma(lib.tensor([1.0]), lib.tensor([-2.0])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), -lib.eye(2)),
])
def test_invalid_parameters_raise_like_torch(make):
    with pytest.raises(ValueError):
        make(torch)
    with pytest.raises(ValueError):
        make(ember)


def test_validate_sample_errors():
    for lib in (torch, ember):
        d = lib.distributions.Exponential(lib.tensor([1.0, 2.0]))
        with pytest.raises(ValueError, match="within the support"):
            d.log_prob(lib.tensor([-1.0, 1.0]))
        with pytest.raises(ValueError, match="must be a Tensor"):
            d.log_prob(1.0)
        with pytest.raises(ValueError, match="broadcastable"):
            d.log_prob(lib.ones(3))
        with pytest.raises(ValueError, match="not both"):
            lib.distributions.Bernoulli(probs=lib.tensor(0.5), logits=lib.tensor(0.0))
        d = lib.distributions.Exponential(lib.tensor([1.0]), validate_args=False)
        d.log_prob(lib.tensor([-1.0]))  # no check


def test_set_default_validate_args():
    try:
        ED.Distribution.set_default_validate_args(False)
        ED.Normal(ember.tensor(0.0), ember.tensor(-1.0))  # accepted
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Normal(ember.tensor(0.0), ember.tensor(-1.0))
    with pytest.raises(ValueError):
        ED.Distribution.set_default_validate_args(2)


def test_independent():
    base_e = ED.Normal(ember.tensor(np.tile(REAL, (2, 1))), ember.tensor(np.tile(POS, (2, 1))))
    base_t = TD.Normal(torch.tensor(np.tile(REAL, (2, 1))), torch.tensor(np.tile(POS, (2, 1))))
    e, t = ED.Independent(base_e, 1), TD.Independent(base_t, 1)
    assert tuple(e.batch_shape) == (2,) and tuple(e.event_shape) == (3,)
    v = R.normal(size=(5, 2, 3))
    _close(e.log_prob(ember.tensor(v)), t.log_prob(torch.tensor(v)))
    _close(e.entropy(), t.entropy())
    with pytest.raises(ValueError):
        ED.Independent(base_e, 3)


def test_constraints_check():
    C, TC = ED.constraints, TD.constraints
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    for name in ["real", "positive", "nonnegative", "unit_interval", "boolean",
                 "nonnegative_integer", "positive_integer"]:
        assert getattr(C, name).check(ember.tensor(x)).tolist() == \
            getattr(TC, name).check(torch.tensor(x)).tolist(), name
    assert C.interval(0, 1).check(ember.tensor(x)).tolist() == \
        TC.interval(0, 1).check(torch.tensor(x)).tolist()
    assert C.simplex.check(ember.tensor(SIMPLEX)).tolist() == \
        TC.simplex.check(torch.tensor(SIMPLEX)).tolist()
    assert C.positive_definite.check(ember.tensor(COV)).item()
    assert not C.positive_definite.check(-ember.tensor(COV)).item()
    assert C.lower_cholesky.check(ember.tensor(np.linalg.cholesky(COV))).item()
    assert C.independent(C.positive, 1).check(ember.tensor([[1.0, 2.0], [1.0, -1.0]])).tolist() \
        == [True, False]
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
