"""nn.utils.parametrizations.spectral_norm and orthogonal, linalg.matrix_exp and
householder_product against torch: state_dict keys, outputs and gradients from the same
weights (and the same power-iteration vectors), train/eval behaviour, torch state_dicts
loaded into Ember."""

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

P, TP = nn.utils.parametrizations, torch.nn.utils.parametrizations
RNG = np.random.default_rng(0)


def E(t, requires_grad=False):
    """The ember twin of a torch tensor (on the default device)."""
    out = ember.tensor(t.detach().numpy())
    return out.requires_grad_() if requires_grad else out


def A(t):
    return np.asarray(t.detach().cpu())


def close(e, t, tol=1e-10):
    np.testing.assert_allclose(A(e), t.detach().numpy(), rtol=tol, atol=tol)


def load_torch(em, tm):
    """Loads torch module tm's state_dict into the ember module em (keys must match)."""
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: E(v) for k, v in tm.state_dict().items()})


def _pair(kind, dtype=torch.float64):
    torch.manual_seed(3)
    if kind == "linear":
        e, t, x = nn.Linear(5, 4), torch.nn.Linear(5, 4), torch.randn(3, 5)
    elif kind == "tall":
        e, t, x = nn.Linear(3, 6), torch.nn.Linear(3, 6), torch.randn(2, 3)
    elif kind == "conv":
        e, t, x = nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3), torch.randn(2, 2, 5, 5)
    else:
        e, t, x = (nn.ConvTranspose2d(3, 2, 3, stride=2), torch.nn.ConvTranspose2d(3, 2, 3,
                   stride=2), torch.randn(1, 3, 4, 4))
    if dtype == torch.float64:
        e, t = e.double(), t.double()
    return e, t, x.to(dtype)


def _backward_and_compare(em, tm, x, tol):
    ty, ey = tm(x), em(E(x))
    close(ey, ty, tol)
    g = torch.randn(ty.shape, dtype=ty.dtype)
    ty.backward(g)
    ey.backward(E(g))
    for (name, ep), (tname, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert name == tname
        close(ep.grad, tp.grad, tol)


# ---- spectral_norm -------------------------------------------------------------------


@pytest.mark.parametrize("kind,kw", [("linear", {}), ("linear", dict(n_power_iterations=3)),
                                     ("tall", dict(dim=1)), ("conv", {}),
                                     ("conv", dict(dim=-1, eps=1e-3)), ("convt", {})])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
def test_spectral_norm(kind, kw, dtype):
    em, tm, x = _pair(kind, dtype)
    tm = TP.spectral_norm(tm, **kw)
    em = P.spectral_norm(em, **kw)
    assert type(em).__name__ == type(tm).__name__
    tol = 1e-10 if dtype == torch.float64 else 2e-5
    load_torch(em, tm)  # the same original weight and u, v vectors
    t_sn, e_sn = tm.parametrizations.weight[0], em.parametrizations.weight[0]
    for _ in range(2):  # training: every access runs the power iteration in place
        _backward_and_compare(em, tm, x, tol)
        close(e_sn._u, t_sn._u, tol)
        close(e_sn._v, t_sn._v, tol)
    em.eval()
    tm.eval()
    u = A(e_sn._u).copy()
    close(em.weight, tm.weight, tol)
    np.testing.assert_array_equal(A(e_sn._u), u)  # eval: no power iteration
    em.zero_grad()
    tm.zero_grad()
    _backward_and_compare(em, tm, x, tol)
    nn.utils.parametrize.remove_parametrizations(em, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    assert list(em.state_dict()) == list(tm.state_dict())
    close(em.weight, tm.weight, tol)


def test_spectral_norm_estimate_and_two_forwards():
    """sigma converges to the top singular value; a graph over two forwards (a GAN's
    D(real) - D(fake)) backpropagates although the buffers changed in between."""
    ember.manual_seed(0)  # power iteration's speed depends on the gap of the two top values
    em = P.spectral_norm(nn.Linear(6, 4).double())
    w = A(em.parametrizations.weight.original)
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(A(em.weight), compute_uv=False)[0], 1.0,
                               rtol=1e-6)
    np.testing.assert_allclose(A(em.weight), w / sigma, rtol=1e-6, atol=1e-8)
    x = ember.randn(2, 6, dtype=ember.float64)
    loss = em(x).sum() - em(2 * x).sum()
    loss.backward()
    assert em.parametrizations.weight.original.grad is not None


def test_spectral_norm_vector_and_errors():
    torch.manual_seed(0)
    tm, em = torch.nn.Linear(3, 4).double(), nn.Linear(3, 4).double()
    load_torch(em, tm)
    TP.spectral_norm(tm, "bias")
    P.spectral_norm(em, "bias")
    assert list(em.state_dict()) == list(tm.state_dict())  # a vector has no u, v
    close(em.bias, tm.bias)
    lin = nn.Linear(3, 4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        P.spectral_norm(lin, dim=2)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        P.spectral_norm(lin, n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        P.spectral_norm(lin, "nope")


# ---- orthogonal ------------------------------------------------------------------------


ORTH = [(kind, m, triv) for kind in ("linear", "tall", "conv")
        for m in (None, "matrix_exp", "cayley", "householder") for triv in (True, False)]


@pytest.mark.parametrize("kind,orthogonal_map,triv", ORTH)
def test_orthogonal(kind, orthogonal_map, triv):
    em, tm, x = _pair(kind)
    load_torch(em, tm)  # the same weights before registration
    tm = TP.orthogonal(tm, orthogonal_map=orthogonal_map, use_trivialization=triv)
    em = P.orthogonal(em, orthogonal_map=orthogonal_map, use_trivialization=triv)
    assert list(em.state_dict()) == list(tm.state_dict())
    # registration orthogonalized the same weights alike (a tall base's completion is random)
    close(em.weight, tm.weight, 1e-9)
    w = A(em.weight).reshape(-1, *em.weight.shape[-2:])
    wide = w.shape[-2] < w.shape[-1]
    gram = w @ w.swapaxes(-1, -2) if wide else w.swapaxes(-1, -2) @ w
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(gram.shape[-1]), gram.shape),
                               atol=1e-12)
    # a trained state (original moved away from -Id) loaded from torch gives torch's weight
    with torch.no_grad():
        tm.parametrizations.weight.original.add_(0.3 * torch.randn_like(tm.weight))
    load_torch(em, tm)
    close(em.weight, tm.weight, 1e-9)
    _backward_and_compare(em, tm, x, 1e-9)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_float32_and_assignment(orthogonal_map):
    em, tm, x = _pair("linear", torch.float32)
    load_torch(em, tm)
    tm = TP.orthogonal(tm, orthogonal_map=orthogonal_map)
    em = P.orthogonal(em, orthogonal_map=orthogonal_map)
    load_torch(em, tm)
    with torch.no_grad():
        tm.parametrizations.weight.original.add_(0.5 * torch.randn_like(tm.weight))
    load_torch(em, tm)
    _backward_and_compare(em, tm, x, 2e-5)
    # assigning: an orthogonal matrix becomes the weight, a general one is orthogonalized;
    # the base completes the (transposed) 5x4 matrix with a random column: compare the rest
    for q in (torch.linalg.qr(torch.randn(5, 4))[0].T.contiguous(), torch.randn(4, 5)):
        with torch.no_grad():
            tm.weight = q
        em.weight = E(q)
        close(em.weight, tm.weight, 2e-5)
        close(em.parametrizations.weight[0].base[:, :4],
              tm.parametrizations.weight[0].base[:, :4], 2e-5)
    # a square orthogonal matrix is kept as the base as it is (no QR)
    sq = P.orthogonal(nn.Linear(3, 3).double(), orthogonal_map=orthogonal_map)
    q = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    sq.weight = ember.tensor(q)
    np.testing.assert_array_equal(A(sq.parametrizations.weight[0].base), q)
    np.testing.assert_allclose(A(sq.weight), q, atol=1e-14)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        P.orthogonal(nn.Linear(3, 4), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of'):
        P.orthogonal(nn.Linear(3, 4), orthogonal_map="qr")
    m = P.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = ember.eye(3)
    m = P.orthogonal(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        m.parametrizations.weight[0].right_inverse(ember.eye(2))


# ---- the matrix functions it is built on ----------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shape,scale", [((4, 4), 0.3), ((2, 5, 5), 3.0), ((3, 3), 20.0),
                                         ((1, 1), 2.0)])
def test_matrix_exp(shape, scale, dtype):
    a = (RNG.standard_normal(shape) * scale).astype(dtype)
    g = RNG.standard_normal(shape).astype(dtype)
    ae, at = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = ember.linalg.matrix_exp(ae), torch.linalg.matrix_exp(at)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    tol = 1e-13 if dtype == np.float64 else 1e-5
    for e, t in ((ye, yt), (ae.grad, at.grad)):
        t = t.detach().numpy()
        np.testing.assert_allclose(A(e), t, rtol=tol, atol=tol * np.abs(t).max())
    assert ember.matrix_exp is ember.linalg.matrix_exp
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        ember.linalg.matrix_exp(ember.zeros(3, 2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("m,n,k", [(5, 3, 3), (4, 4, 2), (3, 3, 3)])
def test_householder_product(m, n, k, dtype):
    a = RNG.standard_normal((2, m, n)).astype(dtype)
    tau = RNG.standard_normal((2, k)).astype(dtype)
    ae, te = ember.tensor(a, requires_grad=True), ember.tensor(tau, requires_grad=True)
    at, tt = torch.tensor(a, requires_grad=True), torch.tensor(tau, requires_grad=True)
    ye, yt = ember.linalg.householder_product(ae, te), torch.linalg.householder_product(at, tt)
    g = RNG.standard_normal(tuple(yt.shape)).astype(dtype)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for e, t in ((ye, yt), (ae.grad, at.grad), (te.grad, tt.grad)):
        t = t.detach().numpy()
        np.testing.assert_allclose(A(e), t, rtol=tol, atol=tol * np.abs(t).max())
    with pytest.raises(RuntimeError, match="must be greater than or equal to tau.shape"):
        ember.linalg.householder_product(ae, ember.zeros(2, n + 1))
