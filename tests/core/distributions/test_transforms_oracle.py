"""Transforms and TransformedDistribution against torch: forward, inverse,
log_abs_det_jacobian, shapes, composition and log_prob of transformed distributions."""

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions
pytestmark = pytest.mark.oracle

R = np.random.default_rng(2)
X = R.normal(size=(2, 3))
XP = R.uniform(0.2, 2.0, (2, 3))

CASES = [
    ("ExpTransform", (), X),
    ("SigmoidTransform", (), X),
    ("TanhTransform", (), X),
    ("SoftplusTransform", (), X),
    ("AffineTransform", (0.5, 2.0), X),
    ("AffineTransform", (0.5, -3.0), X),
    ("PowerTransform", (2.5,), XP),
    ("StickBreakingTransform", (), X),
]


def _t(lib, name, args):
    args = [lib.tensor(a, dtype=lib.float64) if isinstance(a, float) and name == "PowerTransform"
            else a for a in args]
    return getattr(lib.distributions.transforms, name)(*args)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_transform_matches_torch(case):
    name, args, x = case
    te, tt = _t(ember, name, args), _t(torch, name, args)
    xe, xt = ember.tensor(x, dtype=ember.float64), torch.tensor(x, dtype=torch.float64)
    ye, yt = te(xe), tt(xt)
    np.testing.assert_allclose(ye.tolist(), yt.numpy(), rtol=1e-10)
    np.testing.assert_allclose(te.inv(ye).tolist(), tt.inv(yt).numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(te.log_abs_det_jacobian(xe, ye).tolist(),
                               tt.log_abs_det_jacobian(xt, yt).numpy(), rtol=1e-8, atol=1e-10)
    assert tuple(te.forward_shape((2, 3))) == tuple(tt.forward_shape((2, 3)))
    assert te.bijective == tt.bijective
    assert te.event_dim == tt.event_dim


def test_softmax_transform():
    x = ember.tensor(X)
    np.testing.assert_allclose(ED.transforms.SoftmaxTransform()(x).tolist(),
                               TD.transforms.SoftmaxTransform()(torch.tensor(X)).numpy(),
                               rtol=1e-10)


def test_compose_and_cache():
    parts = lambda lib: [lib.distributions.transforms.AffineTransform(1.0, 2.0),  # noqa: E731
                         lib.distributions.transforms.ExpTransform()]
    ce = ED.transforms.ComposeTransform(parts(ember))
    ct = TD.transforms.ComposeTransform(parts(torch))
    xe, xt = ember.tensor(X), torch.tensor(X)
    np.testing.assert_allclose(ce(xe).tolist(), ct(xt).numpy(), rtol=1e-10)
    np.testing.assert_allclose(ce.log_abs_det_jacobian(xe, ce(xe)).tolist(),
                               ct.log_abs_det_jacobian(xt, ct(xt)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(ce.inv(ce(xe)).tolist(), X, rtol=1e-10)
    cached = ED.transforms.ExpTransform(cache_size=1)
    y = cached(xe)
    assert cached.inv(y) is xe
    assert ED.transforms.ExpTransform() == ED.transforms.ExpTransform()


def _td(lib):
    tr = lib.distributions.transforms
    base = lib.distributions.Normal(lib.tensor(X[0]), lib.tensor(XP[0]))
    return lib.distributions.TransformedDistribution(
        base, [tr.AffineTransform(0.3, 1.7), tr.SigmoidTransform()])


def test_transformed_distribution():
    de, dt = _td(ember), _td(torch)
    v = R.uniform(0.05, 0.95, (4, 3))
    np.testing.assert_allclose(de.log_prob(ember.tensor(v)).tolist(),
                               dt.log_prob(torch.tensor(v)).numpy(), rtol=1e-8)
    np.testing.assert_allclose(de.cdf(ember.tensor(v)).tolist(),
                               dt.cdf(torch.tensor(v)).numpy(), rtol=1e-8)
    q = np.full((3,), 0.3)
    np.testing.assert_allclose(de.icdf(ember.tensor(q)).tolist(),
                               dt.icdf(torch.tensor(q)).numpy(), rtol=1e-8)
    assert tuple(de.sample((5,)).shape) == (5, 3)
    assert de.has_rsample
    assert tuple(de.expand((2, 3)).batch_shape) == (2, 3)


def test_transformed_distribution_event_dims():
    base_e = ED.Normal(ember.zeros(2, 3), ember.ones(2, 3))
    base_t = TD.Normal(torch.zeros(2, 3), torch.ones(2, 3))
    de = ED.TransformedDistribution(base_e, ED.transforms.StickBreakingTransform())
    dt = TD.TransformedDistribution(base_t, TD.transforms.StickBreakingTransform())
    assert tuple(de.batch_shape) == tuple(dt.batch_shape)
    assert tuple(de.event_shape) == tuple(dt.event_shape)
    v = R.dirichlet(np.ones(4), 2)
    np.testing.assert_allclose(de.log_prob(ember.tensor(v, dtype=ember.float32)).tolist(),
                               dt.log_prob(torch.tensor(v, dtype=torch.float32)).numpy(),
                               rtol=1e-4)
