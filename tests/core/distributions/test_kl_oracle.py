"""kl_divergence against torch for the registered pairs (float64 values and gradients),
and NotImplementedError for unregistered pairs."""

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions
pytestmark = pytest.mark.oracle

R = np.random.default_rng(1)
P = lambda *s: R.uniform(0.5, 2.0, s)  # noqa: E731
N = lambda *s: R.normal(size=s)  # noqa: E731
A, B = N(3, 3), N(3, 3)
COV1, COV2 = A @ A.T + 2 * np.eye(3), B @ B.T + 2 * np.eye(3)

PAIRS = [
    ("Normal", {"loc": N(4), "scale": P(4)}, "Normal", {"loc": N(4), "scale": P(4)}),
    ("Bernoulli", {"probs": R.uniform(0.1, 0.9, 4)}, "Bernoulli", {"logits": N(4)}),
    ("Categorical", {"logits": N(2, 5)}, "Categorical", {"probs": R.dirichlet(np.ones(5), 2)}),
    ("OneHotCategorical", {"logits": N(2, 5)}, "OneHotCategorical", {"logits": N(2, 5)}),
    ("Uniform", {"low": np.zeros(3), "high": np.ones(3)}, "Uniform",
     {"low": -P(3), "high": 1 + P(3)}),
    ("Exponential", {"rate": P(4)}, "Exponential", {"rate": P(4)}),
    ("Laplace", {"loc": N(4), "scale": P(4)}, "Laplace", {"loc": N(4), "scale": P(4)}),
    ("Gamma", {"concentration": P(4), "rate": P(4)}, "Gamma",
     {"concentration": P(4), "rate": P(4)}),
    ("Beta", {"concentration1": P(4), "concentration0": P(4)}, "Beta",
     {"concentration1": P(4), "concentration0": P(4)}),
    ("Dirichlet", {"concentration": P(2, 4)}, "Dirichlet", {"concentration": P(2, 4)}),
    ("Poisson", {"rate": P(4)}, "Poisson", {"rate": P(4)}),
    ("MultivariateNormal", {"loc": N(3), "covariance_matrix": COV1}, "MultivariateNormal",
     {"loc": N(2, 3), "scale_tril": np.linalg.cholesky(COV2)}),
    ("Exponential", {"rate": P(4)}, "Gamma", {"concentration": P(4), "rate": P(4)}),
    ("Normal", {"loc": N(4), "scale": P(4)}, "Laplace", {"loc": N(4), "scale": P(4)}),
    ("Pareto", {"scale": np.array([1.0, 2.0, 0.5, 1.5]), "alpha": P(4)}, "Pareto",
     {"scale": np.array([0.8, 2.5, 0.5, 1.0]), "alpha": P(4)}),
    ("ContinuousBernoulli", {"probs": np.array([0.2, 0.5002, 0.7, 0.9])}, "ContinuousBernoulli",
     {"logits": N(4)}),
]


def _build(lib, name, kw, rg):
    ts = {k: lib.tensor(v, dtype=lib.float64, requires_grad=rg) for k, v in kw.items()}
    return getattr(lib.distributions, name)(**ts), ts


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{p[0]}-{p[2]}" for p in PAIRS])
def test_kl_matches_torch(pair):
    pe, pe_kw = _build(ember, pair[0], pair[1], True)
    qe, qe_kw = _build(ember, pair[2], pair[3], True)
    pt, pt_kw = _build(torch, pair[0], pair[1], True)
    qt, qt_kw = _build(torch, pair[2], pair[3], True)
    ke, kt = ED.kl_divergence(pe, qe), TD.kl_divergence(pt, qt)
    assert tuple(ke.shape) == tuple(kt.shape)
    np.testing.assert_allclose(ke.tolist(), kt.detach().numpy(), rtol=1e-7, atol=1e-10)
    if np.isfinite(kt.detach().numpy()).all():
        ke.sum().backward()
        kt.sum().backward()
        for e_kw, t_kw in ((pe_kw, pt_kw), (qe_kw, qt_kw)):
            for k in e_kw:
                np.testing.assert_allclose(e_kw[k].grad.tolist(), t_kw[k].grad.numpy(),
                                           rtol=1e-6, atol=1e-9)


def test_kl_independent():
    pe = ED.Independent(ED.Normal(ember.zeros(2, 3), ember.ones(2, 3)), 1)
    qe = ED.Independent(ED.Normal(ember.ones(2, 3), 2 * ember.ones(2, 3)), 1)
    pt = TD.Independent(TD.Normal(torch.zeros(2, 3), torch.ones(2, 3)), 1)
    qt = TD.Independent(TD.Normal(torch.ones(2, 3), 2 * torch.ones(2, 3)), 1)
    np.testing.assert_allclose(ED.kl_divergence(pe, qe).tolist(),
                               TD.kl_divergence(pt, qt).numpy(), rtol=1e-6)


def test_unregistered_pair_raises():
    with pytest.raises(NotImplementedError):
        TD.kl_divergence(TD.Cauchy(0.0, 1.0), TD.Gumbel(0.0, 1.0))
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(ED.Cauchy(0.0, 1.0), ED.Gumbel(0.0, 1.0))


def test_register_kl_dispatches_to_subclasses():
    class MyNormal(ED.Normal):
        pass

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(0.0, 1.0)).item() == 42.0
    assert ED.kl_divergence(ED.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 0.0
