"""biject_to / transform_to against torch's registrations: same transform types, same
values and log-det-Jacobians, outputs inside the constraint."""

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle
X = np.random.default_rng(3).normal(size=(2, 3))


def _pairs():
    C, TC = ED.constraints, torch.distributions.constraints
    return [(C.real, TC.real), (C.positive, TC.positive), (C.nonnegative, TC.nonnegative),
            (C.unit_interval, TC.unit_interval), (C.greater_than(1.5), TC.greater_than(1.5)),
            (C.greater_than_eq(-1.0), TC.greater_than_eq(-1.0)),
            (C.less_than(2.0), TC.less_than(2.0)), (C.interval(-1.0, 3.0), TC.interval(-1.0, 3.0)),
            (C.half_open_interval(0.0, 2.0), TC.half_open_interval(0.0, 2.0)),
            (C.simplex, TC.simplex), (C.real_vector, TC.real_vector),
            (C.independent(C.positive, 1), TC.independent(TC.positive, 1))]


@pytest.mark.parametrize("which", ["biject_to", "transform_to"])
@pytest.mark.parametrize("k", range(12))
def test_registry_matches_torch(which, k):
    ce, ct = _pairs()[k]
    te = getattr(ED, which)(ce)
    tt = getattr(torch.distributions, which)(ct)
    x_e, x_t = ember.tensor(X), torch.tensor(X)
    y_e, y_t = te(x_e), tt(x_t)
    np.testing.assert_allclose(np.asarray(y_e.tolist()), y_t.numpy(), rtol=1e-10, atol=1e-12)
    assert bool(ce.check(y_e).all())
    try:
        want = tt.log_abs_det_jacobian(x_t, y_t).numpy()
    except NotImplementedError:  # softmax onto the simplex is not a bijection
        with pytest.raises(NotImplementedError):
            te.log_abs_det_jacobian(x_e, y_e)
        return
    np.testing.assert_allclose(np.asarray(te.log_abs_det_jacobian(x_e, y_e).tolist()), want,
                               rtol=1e-9, atol=1e-12)


def test_lower_cholesky_and_errors():
    m = np.random.default_rng(1).normal(size=(2, 3, 3))
    y = ED.transform_to(ED.constraints.lower_cholesky)(ember.tensor(m))
    want = torch.distributions.transform_to(torch.distributions.constraints.lower_cholesky)(
        torch.tensor(m))
    np.testing.assert_allclose(np.asarray(y.tolist()), want.numpy(), rtol=1e-12)
    for lib in (torch, ember):  # torch registers no bijection onto lower_cholesky
        with pytest.raises(NotImplementedError):
            lib.distributions.biject_to(lib.distributions.constraints.lower_cholesky)
        with pytest.raises(NotImplementedError):
            lib.distributions.biject_to(lib.distributions.constraints.boolean)
