"""CatTransform, StackTransform, CorrCholeskyTransform, PositiveDefiniteTransform and
CumulativeDistributionTransform against torch's: forward, inverse, round trips,
log_abs_det_jacobian, gradients through them, shapes, constraints, caching, equality,
their biject_to / transform_to registrations and log_prob of distributions pushed
through them (float64, random inputs with batch and event dims)."""

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

R = np.random.default_rng(7)
TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def _np(t):
    return np.asarray(t.detach().cpu().tolist())


def _pair(a, grad=False):
    """The same float64 array as an ember and a torch tensor."""
    e = ember.tensor(a, dtype=ember.float64, requires_grad=grad)
    t = torch.tensor(a, dtype=torch.float64, requires_grad=grad)
    return e, t


def _close(got, want, **tol):
    np.testing.assert_allclose(_np(got), want.detach().numpy(), **(tol or TIGHT))


def _check_against_torch(te, tt, a, weights_shape=None, inv_tol=None):
    """Forward, inverse, round trip and log-det of te vs tt at a, then the gradient of
    a weighted sum of y plus the log-det with respect to x."""
    xe, xt = _pair(a, grad=True)
    ye, yt = te(xe), tt(xt)
    assert tuple(ye.shape) == tuple(yt.shape)
    _close(ye, yt)
    _close(te.inv(ye), tt.inv(yt), **(inv_tol or TIGHT))
    np.testing.assert_allclose(_np(te.inv(ye)), a, rtol=1e-8, atol=1e-9)
    le, lt = te.log_abs_det_jacobian(xe, ye), tt.log_abs_det_jacobian(xt, yt)
    assert tuple(le.shape) == tuple(lt.shape)
    _close(le, lt, rtol=1e-9, atol=1e-11)
    w = R.normal(size=tuple(yt.shape))
    we, wt = _pair(w)
    ((ye * we).sum() + le.sum()).backward()
    ((yt * wt).sum() + lt.sum()).backward()
    _close(xe.grad, xt.grad, rtol=1e-8, atol=1e-10)
    assert te.bijective == tt.bijective
    return ye


# ---------------------------------------------------------------- CorrCholeskyTransform

@pytest.mark.parametrize("side", [2, 3, 5])
@pytest.mark.parametrize("batch", [(), (3,), (2, 4)])
def test_corr_cholesky_matches_torch(side, batch):
    a = R.normal(scale=1.5, size=batch + (side * (side - 1) // 2,))
    te, tt = ED.CorrCholeskyTransform(), TD.CorrCholeskyTransform()
    y = _check_against_torch(te, tt, a)
    assert bool(ED.constraints.corr_cholesky.check(y).all())
    assert tuple(te.forward_shape(a.shape)) == tuple(tt.forward_shape(a.shape))
    assert tuple(te.inverse_shape(y.shape)) == tuple(tt.inverse_shape(torch.Size(y.shape)))


def test_corr_cholesky_attributes_and_errors():
    te, tt = ED.CorrCholeskyTransform(), TD.CorrCholeskyTransform()
    assert (te.domain.event_dim, te.codomain.event_dim) == (tt.domain.event_dim,
                                                            tt.codomain.event_dim)
    assert te.codomain is ED.constraints.corr_cholesky
    assert (te == ED.CorrCholeskyTransform()) == (tt == TD.CorrCholeskyTransform())
    for t in (te, tt):
        with pytest.raises(ValueError):
            t.event_dim  # noqa: B018  (domain and codomain differ in event dims)
        with pytest.raises(NotImplementedError):
            t.sign  # noqa: B018
        with pytest.raises(ValueError):
            t.forward_shape((2, 4))  # 4 is no triangular number
        with pytest.raises(ValueError):
            t.forward_shape(())
        with pytest.raises(ValueError):
            t.inverse_shape((3, 4))
        with pytest.raises(ValueError):
            t.inverse_shape((3,))


def test_corr_cholesky_cache_and_with_cache():
    t = ED.CorrCholeskyTransform(cache_size=1)
    x = ember.tensor(R.normal(size=(2, 3)))
    y = t(x)
    assert t.inv(y) is x
    plain = t.with_cache(0)
    assert isinstance(plain, ED.CorrCholeskyTransform) and plain._cache_size == 0
    assert plain.inv(y) is not x


def test_lkj_cholesky_pushed_back_to_vectors():
    """Log density of the unconstrained vector behind an LKJCholesky sample."""
    conc = R.uniform(0.5, 3.0, size=(2,))
    de = ED.TransformedDistribution(ED.LKJCholesky(4, ember.tensor(conc)),
                                    [ED.CorrCholeskyTransform().inv])
    dt = TD.TransformedDistribution(TD.LKJCholesky(4, torch.tensor(conc)),
                                    [TD.CorrCholeskyTransform().inv])
    assert tuple(de.event_shape) == tuple(dt.event_shape) == (6,)
    xe, xt = _pair(R.normal(size=(5, 2, 6)))
    _close(de.log_prob(xe), dt.log_prob(xt), rtol=1e-9, atol=1e-10)


def test_normal_pushed_onto_corr_cholesky():
    loc = R.normal(size=(3, 3))
    de = ED.TransformedDistribution(ED.Normal(ember.tensor(loc), 1.0),
                                    [ED.CorrCholeskyTransform()])
    dt = TD.TransformedDistribution(TD.Normal(torch.tensor(loc), 1.0),
                                    [TD.CorrCholeskyTransform()])
    assert tuple(de.batch_shape) == tuple(dt.batch_shape) == (3,)
    assert tuple(de.event_shape) == tuple(dt.event_shape) == (3, 3)
    L = TD.CorrCholeskyTransform()(torch.tensor(R.normal(size=(4, 3, 3))))
    _close(de.log_prob(ember.tensor(L.numpy())), dt.log_prob(L), rtol=1e-9, atol=1e-10)


# ------------------------------------------------------------ PositiveDefiniteTransform

@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (2, 1, 4, 4)])
def test_positive_definite_matches_torch(shape):
    a = R.normal(size=shape)
    te, tt = ED.PositiveDefiniteTransform(), TD.PositiveDefiniteTransform()
    xe, xt = _pair(a, grad=True)
    ye, yt = te(xe), tt(xt)
    _close(ye, yt)
    assert bool(ED.constraints.positive_definite.check(ye).all())
    _close(te.inv(ye), tt.inv(yt), rtol=1e-9, atol=1e-11)
    # the round trip gives back the lower triangle (the upper one is ignored)
    np.testing.assert_allclose(_np(te.inv(ye)), np.tril(a), rtol=1e-8, atol=1e-10)
    w = R.normal(size=shape)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    _close(xe.grad, xt.grad, rtol=1e-10, atol=1e-11)


def test_positive_definite_attributes():
    te, tt = ED.PositiveDefiniteTransform(), TD.PositiveDefiniteTransform()
    assert te == ED.PositiveDefiniteTransform() and tt == TD.PositiveDefiniteTransform()
    assert te != ED.LowerCholeskyTransform()
    assert te.event_dim == tt.event_dim == 2
    assert te.bijective == tt.bijective
    assert te.codomain is ED.constraints.positive_definite
    x = ember.eye(2)
    for t, arg in ((te, x), (tt, torch.eye(2))):
        with pytest.raises(NotImplementedError):
            t.log_abs_det_jacobian(arg, arg)
    cached = te.with_cache()
    assert cached._cache_size == 1 and cached.inv(cached(x)) is x


# ------------------------------------------------------------------------ CatTransform

def _cat_cases(lib):
    T = lib.distributions.transforms
    inner = T.CatTransform([T.ExpTransform(), T.identity_transform], 0, [2, 3])
    return [
        (T.CatTransform([T.ExpTransform(), T.identity_transform, T.SigmoidTransform()],
                        0, [2, 1, 3]), (6,)),
        (T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, -2.0)], 0, [2, 4]), (6, 3)),
        (T.CatTransform([T.TanhTransform(), T.ExpTransform()], -1, [2, 4]), (3, 6)),
        (T.CatTransform([T.SoftplusTransform(), T.ExpTransform()], 1), (4, 2, 3)),
        (T.CatTransform([inner, inner], 0, [5, 5]), (10, 2)),
        # mixed event dims along a batch dim: log-dets are joined along it
        (T.CatTransform([T.ExpTransform(), T.IndependentTransform(T.SigmoidTransform(), 1)],
                        0, [1, 2]), (3, 4)),
        # ... and along the event dim: log-dets are added
        (T.CatTransform([T.ExpTransform(), T.IndependentTransform(T.SigmoidTransform(), 1)],
                        -1, [1, 3]), (2, 3, 4)),
    ]


@pytest.mark.parametrize("k", range(7))
def test_cat_transform_matches_torch(k):
    (te, shape), (tt, _) = _cat_cases(ember)[k], _cat_cases(torch)[k]
    a = R.normal(size=shape)
    y = _check_against_torch(te, tt, a)
    assert te.event_dim == tt.event_dim
    assert te.length == tt.length
    assert te.domain.event_dim == tt.domain.event_dim
    assert te.codomain.event_dim == tt.codomain.event_dim
    _same_check(te.codomain, tt.codomain, y)
    _same_check(te.domain, tt.domain, ember.tensor(a))


def _same_check(ce, ct, value):
    """ce.check(value) holds everywhere, or fails the way torch's does: a cat of parts
    with different event dims cannot join their per-part checks."""
    try:
        want = ct.check(torch.tensor(_np(value)))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            ce.check(value)
        return
    assert bool(want.all()) and bool(ce.check(value).all())


def test_cat_transform_cache_equality_and_errors():
    T, TT = ED.transforms, TD.transforms
    parts = [T.ExpTransform(), T.AffineTransform(0.0, 3.0)]
    t = T.CatTransform(parts, 0, [1, 2])
    assert t == t and t != T.CatTransform(parts, 0, [1, 2])  # identity, as torch
    cached = t.with_cache(1)
    assert isinstance(cached, T.CatTransform) and cached._cache_size == 1
    assert (cached.dim, cached.lengths) == (0, [1, 2])
    assert all(p._cache_size == 1 for p in cached.transforms)
    assert t.with_cache(0) is t
    x = ember.tensor(R.normal(size=(3, 2)))
    assert cached.inv(cached(x)) is x
    for lib, Tl in ((ember, T), (torch, TT)):
        t = Tl.CatTransform([Tl.ExpTransform(), Tl.ExpTransform()], 0, [1, 2])
        with pytest.raises(AssertionError):
            t(lib.zeros(4))  # wrong length along dim
        with pytest.raises(AssertionError):
            Tl.CatTransform([Tl.ExpTransform()], 1)(lib.zeros(1))  # dim out of range
        with pytest.raises(AssertionError):
            t.inv(lib.zeros(2))
        with pytest.raises(AssertionError):
            Tl.CatTransform([Tl.ExpTransform()], 0, [1, 2])
        with pytest.raises(AssertionError):
            Tl.CatTransform([lambda v: v])


def test_normal_through_cat_transform():
    def build(lib):
        T = lib.distributions.transforms
        cat = T.CatTransform([T.ExpTransform(), T.AffineTransform(2.0, 0.5),
                              T.SigmoidTransform()], -1, [2, 1, 2])
        loc = lib.tensor(np.linspace(-1, 1, 10).reshape(2, 5), dtype=lib.float64)
        return lib.distributions.TransformedDistribution(lib.distributions.Normal(loc, 1.3),
                                                         [cat])
    de, dt = build(ember), build(torch)
    y = dt.sample((3,))
    _close(de.log_prob(ember.tensor(y.numpy())), dt.log_prob(y), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- StackTransform

def _stack_cases(lib):
    T = lib.distributions.transforms
    three = [T.ExpTransform(), T.identity_transform, T.AffineTransform(-1.0, 2.0)]
    both = [T.IndependentTransform(T.ExpTransform(), 1),
            T.IndependentTransform(T.SigmoidTransform(), 1)]
    return [
        (T.StackTransform(three), (3,)),
        (T.StackTransform(three, 0), (3, 4)),
        (T.StackTransform(three, 1), (2, 3)),
        (T.StackTransform(three, -1), (4, 2, 3)),
        (T.StackTransform(both, 0), (2, 5, 3)),
        (T.StackTransform(both, -2), (5, 2, 3)),
    ]


@pytest.mark.parametrize("k", range(6))
def test_stack_transform_matches_torch(k):
    (te, shape), (tt, _) = _stack_cases(ember)[k], _stack_cases(torch)[k]
    a = R.normal(size=shape)
    y = _check_against_torch(te, tt, a)
    assert te.event_dim == tt.event_dim
    assert te.domain.event_dim == tt.domain.event_dim
    assert bool(te.codomain.check(y).all())


def test_stack_transform_cache_and_errors():
    T = ED.transforms
    t = T.StackTransform([T.ExpTransform(), T.TanhTransform()], dim=1)
    cached = t.with_cache()
    assert isinstance(cached, T.StackTransform) and cached.dim == 1
    assert all(p._cache_size == 1 for p in cached.transforms)
    x = ember.tensor(R.normal(size=(3, 2)))
    assert cached.inv(cached(x)) is x and t.inv(t(x)) is not x
    assert not T.StackTransform([T.ExpTransform(), T.AbsTransform()]).bijective
    for lib in (ember, torch):
        Tl = lib.distributions.transforms
        t = Tl.StackTransform([Tl.ExpTransform(), Tl.ExpTransform()], dim=1)
        with pytest.raises(AssertionError):
            t(lib.zeros(2, 3))
        with pytest.raises(AssertionError):
            t(lib.zeros(2))
        with pytest.raises(AssertionError):
            Tl.StackTransform([Tl.ExpTransform(), 3])


def test_normal_through_stack_transform():
    def build(lib):
        T = lib.distributions.transforms
        # dim counts from the left of the whole value, so no sample dims are added
        stack = T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.identity_transform],
                                 dim=0)
        loc = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=lib.float64)
        return lib.distributions.TransformedDistribution(lib.distributions.Normal(loc, 0.7),
                                                         [stack])
    de, dt = build(ember), build(torch)
    y = dt.sample()
    _close(de.log_prob(ember.tensor(y.numpy())), dt.log_prob(y), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------- CumulativeDistributionTransform

@pytest.mark.parametrize("family", ["Normal", "Laplace", "Cauchy"])
@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_cdf_transform_matches_torch(family, shape):
    loc, scale = R.normal(size=(4,)), R.uniform(0.5, 2.0, size=(4,))
    te = ED.CumulativeDistributionTransform(
        getattr(ED, family)(ember.tensor(loc), ember.tensor(scale)))
    tt = TD.CumulativeDistributionTransform(
        getattr(TD, family)(torch.tensor(loc), torch.tensor(scale)))
    y = _check_against_torch(te, tt, R.normal(size=shape), inv_tol={"rtol": 1e-8,
                                                                   "atol": 1e-9})
    assert bool(ED.constraints.unit_interval.check(y).all())
    assert te.sign == tt.sign == 1 and te.event_dim == tt.event_dim == 0
    assert te.domain is te.distribution.support


def test_cdf_transform_cache_and_equality():
    base = ED.Normal(0.0, 1.0)
    t = ED.CumulativeDistributionTransform(base)
    assert t != ED.CumulativeDistributionTransform(base)  # identity, as torch
    cached = t.with_cache()
    assert cached.distribution is base and cached._cache_size == 1
    x = ember.tensor([0.3, -1.0])
    assert cached.inv(cached(x)) is x


def test_gaussian_copula_log_prob():
    """A multivariate normal pushed through the standard normal cdf (a Gaussian copula)."""
    L = R.normal(size=(3, 3)) * 0.3 + np.eye(3)
    L = np.tril(L)
    np.fill_diagonal(L, np.abs(np.diag(L)) + 0.5)

    def build(lib):
        D = lib.distributions
        mvn = D.MultivariateNormal(lib.zeros(3, dtype=lib.float64),
                                   scale_tril=lib.tensor(L, dtype=lib.float64))
        return D.TransformedDistribution(
            mvn, [D.CumulativeDistributionTransform(D.Normal(0.0, 1.0))])
    de, dt = build(ember), build(torch)
    u = dt.sample((5,))
    _close(de.log_prob(ember.tensor(u.numpy())), dt.log_prob(u), rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------- registry

def _registry_pairs():
    C, TC = ED.constraints, TD.constraints
    return [
        ("biject_to", C.corr_cholesky, TC.corr_cholesky, (2, 6)),
        ("transform_to", C.corr_cholesky, TC.corr_cholesky, (3,)),
        ("transform_to", C.positive_definite, TC.positive_definite, (2, 3, 3)),
        ("transform_to", C.positive_semidefinite, TC.positive_semidefinite, (3, 3)),
        ("biject_to", C.cat([C.positive, C.interval(-1.0, 2.0)], 0, [2, 3]),
         TC.cat([TC.positive, TC.interval(-1.0, 2.0)], 0, [2, 3]), (5, 2)),
        ("transform_to", C.cat([C.simplex, C.real_vector], -1, [3, 2]),
         TC.cat([TC.simplex, TC.real_vector], -1, [3, 2]), (4, 5)),
        ("biject_to", C.stack([C.positive, C.less_than(1.0)], 1),
         TC.stack([TC.positive, TC.less_than(1.0)], 1), (3, 2)),
        ("transform_to", C.stack([C.unit_interval, C.real], -1),
         TC.stack([TC.unit_interval, TC.real], -1), (4, 2)),
        ("biject_to", C.interval(0, 1), TC.interval(0, 1), (3,)),
        ("transform_to", C.half_open_interval(0.0, 1.0), TC.half_open_interval(0.0, 1.0), (3,)),
    ]


@pytest.mark.parametrize("k", range(10))
def test_registry_entries_match_torch(k):
    which, ce, ct, shape = _registry_pairs()[k]
    te, tt = getattr(ED, which)(ce), getattr(TD, which)(ct)
    assert type(te).__name__ == type(tt).__name__
    xe, xt = _pair(R.normal(size=shape))
    ye, yt = te(xe), tt(xt)
    _close(ye, yt)
    assert bool(ce.check(ye).all())
    try:
        want = tt.log_abs_det_jacobian(xt, yt)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            te.log_abs_det_jacobian(xe, ye)
        return
    _close(te.log_abs_det_jacobian(xe, ye), want, rtol=1e-9, atol=1e-11)


def test_registry_refusals_match_torch():
    for lib in (ember, torch):
        D = lib.distributions
        for c in (D.constraints.positive_definite, D.constraints.positive_semidefinite):
            with pytest.raises(NotImplementedError):
                D.biject_to(c)
        for c in (D.constraints.nonnegative_integer, D.constraints.integer_interval(0, 3)):
            with pytest.raises(NotImplementedError):
                D.transform_to(c)
    assert ED.biject_to(ED.LKJCholesky.support).codomain is ED.constraints.corr_cholesky


def test_cat_and_stack_constraint_errors_match_torch():
    for lib in (ember, torch):
        C = lib.distributions.constraints
        with pytest.raises(AssertionError):
            C.cat([C.real, C.positive], 0, [1])
        with pytest.raises(AssertionError):
            C.stack([C.real, 1.0])
        with pytest.raises(AssertionError):
            C.cat([C.real], 2).check(lib.zeros(3))
        with pytest.raises(AssertionError):
            C.stack([C.real, C.real], -3).check(lib.zeros(2, 2))


def test_exported_names_match_torch():
    names = ["CatTransform", "StackTransform", "CorrCholeskyTransform",
             "CumulativeDistributionTransform", "PositiveDefiniteTransform"]
    for n in names:
        assert n in ED.transforms.__all__ and n in ED.__all__
        assert getattr(ED, n) is getattr(ED.transforms, n)
    assert sorted(ED.transforms.__all__) == sorted(TD.transforms.__all__)
