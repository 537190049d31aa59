"""linalg.eig/eigvals and the packed Householder forms geqrf/orgqr/ormqr/
linalg.householder_product against torch (values, gradients, errors, out=).

Eigenvalues are compared order-insensitively (sorted by real, then imaginary part) and
eigenvectors up to a complex phase: A V = V diag(L), unit columns, and |<v, v_torch>| = 1
for simple eigenvalues. On the cuda device eig runs cuSOLVER's Xgeev through CuPy where
CuPy has it, and otherwise must raise NotImplementedError naming the op.
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

TOL = {np.float64: 1e-9, np.float32: 1e-4}
DTYPES = [np.float64, np.float32]


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _eig_or_skip(fn, *args, **kwargs):
    """fn's result, or on CUDA without Xgeev the NotImplementedError naming the op."""
    dev = ember.get_default_device().type if hasattr(ember, "get_default_device") else None
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as e:
        assert "linalg.eig" in str(e) and dev != "cpu", str(e)
        pytest.skip("eig is not available on this device")


def _sorted(w):
    w = np.asarray(w)
    keys = np.lexsort((np.round(w.imag, 6), np.round(w.real, 6)), axis=-1)
    return np.take_along_axis(w, keys, -1)


def _check_eig(A, dtype, L, V):
    tol = TOL[dtype]
    At = torch.from_numpy(A)
    Lt, Vt = torch.linalg.eig(At)
    assert L.dtype == (ember.complex128 if dtype == np.float64 else ember.complex64)
    assert L.shape == tuple(Lt.shape) and V.shape == tuple(Vt.shape)
    Ln, Vn, A64 = _np(L).astype(np.complex128), _np(V).astype(np.complex128), A.astype(np.float64)
    scale = max(1.0, float(np.abs(A64).max(initial=0)))
    np.testing.assert_allclose(_sorted(Ln), _sorted(Lt.numpy().astype(np.complex128)),
                               atol=tol * scale * 10, rtol=0)
    if A.shape[-1] == 0:
        return
    np.testing.assert_allclose(A64 @ Vn, Vn * Ln[..., None, :], atol=tol * scale * 10, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(Vn, axis=-2), 1, atol=tol * 10)
    # for simple, well separated eigenvalues the vectors agree with torch's up to phase
    Lt, Vt = Lt.numpy().reshape(-1, A.shape[-1]), Vt.numpy().reshape(-1, *A.shape[-2:])
    for b, (lb, vb) in enumerate(zip(Ln.reshape(-1, A.shape[-1]), Vn.reshape(Vt.shape))):
        for j, lam in enumerate(lb):
            gaps = np.abs(lb - lam)
            gaps[j] = np.inf
            if gaps.min() < 1e-2 * scale:
                continue
            k = int(np.argmin(np.abs(Lt[b] - lam)))
            assert abs(abs(np.vdot(Vt[b][:, k], vb[:, j])) - 1) < tol * 100


def _cases():
    rng = np.random.default_rng(7)
    rep = np.diag([2.0, 2.0, -1.0, 3.0])
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    sym = rng.standard_normal((5, 5))
    return {
        "1x1": np.array([[2.5]]),
        "2x2 complex pair": np.array([[1.0, -2.0], [3.0, 0.5]]),
        "5x5": _rand((5, 5), 1),
        "8x8": _rand((8, 8), 2),
        "batched": _rand((3, 4, 4), 3),
        "repeated": Q @ rep @ Q.T,
        "jordan": np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]),
        "symmetric": sym + sym.T,
        "triangular": np.triu(_rand((6, 6), 4)),
        "rotation": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
        "zero": np.zeros((4, 4)),
        "empty": np.zeros((0, 0)),
        "batch-empty": np.zeros((0, 3, 3)),
        "empty-matrices": np.zeros((2, 0, 0)),
        "20x20": _rand((20, 20), 5),
    }


CASES = _cases()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_eig_values_and_vectors(name, dtype):
    A = CASES[name].astype(dtype)
    L, V = _eig_or_skip(ember.linalg.eig, ember.tensor(A))
    if name == "jordan":  # defective: values to cbrt(eps), vectors nearly parallel
        np.testing.assert_allclose(_np(L), 1, atol=1e-4)
        return
    _check_eig(A, dtype, L, V)
    w = ember.linalg.eigvals(ember.tensor(A))
    np.testing.assert_allclose(_sorted(_np(w)), _sorted(_np(L)), atol=TOL[dtype] * 10)


def test_eig_matches_torch_on_a_simple_layout():
    A = np.array([[0.0, -1.0], [1.0, 0.0]])
    L, V = _eig_or_skip(ember.linalg.eig, ember.tensor(A))
    Lt, Vt = torch.linalg.eig(torch.from_numpy(A))
    np.testing.assert_allclose(_np(L), Lt.numpy(), atol=1e-12)
    np.testing.assert_allclose(_np(V), Vt.numpy(), atol=1e-12)


def test_eig_out_and_dtypes():
    A = _rand((3, 3), 9)
    L0, V0 = _eig_or_skip(ember.linalg.eig, ember.tensor(A))
    oL, oV = ember.empty(0, dtype=ember.complex128), ember.empty(0, dtype=ember.complex128)
    r = ember.linalg.eig(ember.tensor(A), out=(oL, oV))
    assert r.eigenvalues is oL and r.eigenvectors is oV
    np.testing.assert_allclose(_np(oL), _np(L0))
    ow = ember.empty(0, dtype=ember.complex128)
    assert ember.linalg.eigvals(ember.tensor(A), out=ow) is ow
    np.testing.assert_allclose(_sorted(_np(ow)), _sorted(_np(L0)))
    At = torch.from_numpy(A)
    for fn, tfn, out, tout in [
        (ember.linalg.eig, torch.linalg.eig, (ember.empty(0, dtype=ember.complex128),
                                              ember.empty(0)),
         (torch.empty(0, dtype=torch.complex128), torch.empty(0))),
        (ember.linalg.eigvals, torch.linalg.eigvals, ember.empty(0, dtype=ember.float64),
         torch.empty(0, dtype=torch.float64)),
        (ember.linalg.eig, torch.linalg.eig, (ember.empty(0, dtype=ember.complex64),
                                              ember.empty(0, dtype=ember.complex64)),
         (torch.empty(0, dtype=torch.complex64), torch.empty(0, dtype=torch.complex64)))]:
        try:
            tfn(At, out=tout)
            terr = None
        except RuntimeError as e:
            terr = str(e)
        if terr is None:
            fn(ember.tensor(A), out=out)
        else:
            with pytest.raises(RuntimeError) as e:
                fn(ember.tensor(A), out=out)
            assert str(e.value) == terr


@pytest.mark.parametrize("fn", ["eig", "eigvals"])
def test_eig_errors(fn):
    e_fn, t_fn = getattr(ember.linalg, fn), getattr(torch.linalg, fn)
    for a in [np.ones((2, 3), np.float32), np.ones(3, np.float32), np.ones((2, 2), np.int64)]:
        with pytest.raises(RuntimeError) as te:
            t_fn(torch.from_numpy(a))
        with pytest.raises(RuntimeError) as ee:
            e_fn(ember.tensor(a))
        assert str(ee.value) == str(te.value)
    with pytest.raises(NotImplementedError, match="linalg_eig_out_cpu"):
        e_fn(ember.ones(2, 2, dtype=ember.float16))
    with pytest.raises(NotImplementedError, match=f"linalg.{fn}"):
        e_fn(ember.ones(2, 2, dtype=ember.complex64))


def test_eig_nonfinite():
    A = np.array([[np.inf, 1.0], [1.0, 1.0]])
    w = _eig_or_skip(ember.linalg.eigvals, ember.tensor(A))
    assert np.isnan(_np(w)).all() and np.isnan(torch.linalg.eigvals(torch.from_numpy(A)).numpy()).all()
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        ember.linalg.eig(ember.tensor(A))


def _eig_loss(lib, L, V, w):
    """Invariant under the eigenvector phases and the eigenvalue order."""
    return ((L.real ** 3).sum() + (L.imag ** 2).sum() +
            ((V.real ** 2 + V.imag ** 2) * w).sum())


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (6, 6)])
def test_eig_gradient_against_torch(shape):
    A = _rand(shape, 11)
    w = _rand(shape[:-1] + (1,), 12)
    ea = ember.tensor(A, requires_grad=True)
    L, V = _eig_or_skip(ember.linalg.eig, ea)
    _eig_loss(ember, L, V, ember.tensor(w)).backward()
    ta = torch.tensor(A, requires_grad=True)
    Lt, Vt = torch.linalg.eig(ta)
    _eig_loss(torch, Lt, Vt, torch.tensor(w)).backward()
    np.testing.assert_allclose(_np(ea.grad), ta.grad.numpy(), atol=1e-8, rtol=1e-8)
    # eigvals alone
    ea = ember.tensor(A, requires_grad=True)
    ember.linalg.eigvals(ea).abs().sum().backward()
    ta = torch.tensor(A, requires_grad=True)
    torch.linalg.eigvals(ta).abs().sum().backward()
    np.testing.assert_allclose(_np(ea.grad), ta.grad.numpy(), atol=1e-8, rtol=1e-8)


def test_eig_gradient_of_a_phase_dependent_loss_raises():
    ea = ember.tensor(_rand((3, 3), 13), requires_grad=True)
    L, V = _eig_or_skip(ember.linalg.eig, ea)
    with pytest.raises(RuntimeError, match="e\\^\\{i phi\\}"):
        V.real.sum().backward()


# ---- geqrf / orgqr / ormqr / householder_product ----------------------------------------

QR_SHAPES = [(5, 3), (3, 3), (3, 5), (2, 4, 2), (1, 1), (0, 3), (2, 0, 0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", QR_SHAPES)
def test_geqrf_orgqr_match_torch(shape, dtype):
    A = _rand(shape, 21, dtype)
    a, tau = ember.geqrf(ember.tensor(A))
    ta, ttau = torch.geqrf(torch.from_numpy(A))
    tol = TOL[dtype]
    np.testing.assert_allclose(_np(a), ta.numpy(), atol=tol, rtol=tol)
    np.testing.assert_allclose(_np(tau), ttau.numpy(), atol=tol, rtol=tol)
    assert ember.tensor(A).geqrf()[1].shape == tuple(ttau.shape)
    if shape[-2] >= shape[-1]:
        tq = torch.linalg.householder_product(ta, ttau).numpy()
        for q in (ember.linalg.householder_product(a, tau), ember.orgqr(a, tau), a.orgqr(tau)):
            np.testing.assert_allclose(_np(q), tq, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (3, 5), (2, 4, 3)])
def test_ormqr_matches_torch(shape, left, transpose, dtype):
    A = _rand(shape, 31, dtype)
    m = shape[-2]
    cshape = shape[:-2] + ((m, 2) if left else (3, m))
    C = _rand(cshape, 32, dtype)
    ta, ttau = torch.geqrf(torch.from_numpy(A))
    ref = torch.ormqr(ta, ttau, torch.from_numpy(C), left, transpose).numpy()
    a, tau = ember.tensor(ta.numpy()), ember.tensor(ttau.numpy())
    tol = TOL[dtype]
    got = ember.ormqr(a, tau, ember.tensor(C), left=left, transpose=transpose)
    np.testing.assert_allclose(_np(got), ref, atol=tol, rtol=tol)
    got = a.ormqr(tau, ember.tensor(C), left, transpose)
    np.testing.assert_allclose(_np(got), ref, atol=tol, rtol=tol)
    out = ember.empty(0, dtype=a.dtype)
    assert ember.ormqr(a, tau, ember.tensor(C), left, transpose, out=out) is out
    np.testing.assert_allclose(_np(out), ref, atol=tol, rtol=tol)


def test_householder_gradients_against_torch():
    A, C = _rand((5, 3), 41), _rand((5, 2), 42)
    ta0, ttau0 = torch.geqrf(torch.from_numpy(A))
    grads = []
    for lib, mk in ((ember, lambda x: ember.tensor(x.numpy(), requires_grad=True)),
                    (torch, lambda x: x.clone().requires_grad_())):
        a, tau, c = mk(ta0), mk(ttau0), mk(torch.from_numpy(C))
        loss = (lib.linalg.householder_product(a, tau) ** 2 * 0.5).sum() + \
            (lib.ormqr(a, tau, c, True, True) ** 3).sum()
        loss.backward()
        grads.append([_np(x.grad) if lib is ember else x.grad.numpy() for x in (a, tau, c)])
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, atol=1e-10, rtol=1e-10)
    x = ember.tensor(A, requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'geqrf'"):
        ember.geqrf(x)[0].sum().backward()


def test_householder_errors():
    cases = [
        (torch.geqrf, ember.geqrf, (np.ones(3),)),
        (torch.geqrf, ember.geqrf, (np.ones((2, 2), np.int64),)),
        (torch.ormqr, ember.ormqr, (_rand((3, 2)), _rand(2), _rand((4, 3)))),
        (torch.ormqr, ember.ormqr, (_rand((3, 2)), _rand(1), _rand((3, 4)))),
        (torch.ormqr, ember.ormqr, (_rand((3,)), _rand(2), _rand((3, 4)))),
        (torch.ormqr, ember.ormqr, (_rand((3, 2)), _rand(2), _rand((3,)))),
        (torch.ormqr, ember.ormqr, (_rand((2, 3, 2)), _rand((4, 2)), _rand((2, 3, 4)))),
        (torch.ormqr, ember.ormqr, (_rand((2, 3, 2)), _rand((2, 2)), _rand((4, 3, 4)))),
        (torch.ormqr, ember.ormqr, (_rand((3, 2)), _rand(2).astype(np.float32), _rand((3, 4)))),
        (torch.ormqr, ember.ormqr, (_rand((2, 3, 2)), _rand((2, 2)), _rand((3, 4)))),
    ]
    for tfn, efn, args in cases:
        with pytest.raises((RuntimeError, NotImplementedError)) as te:
            tfn(*(torch.from_numpy(x) for x in args))
        with pytest.raises(te.type) as ee:
            efn(*(ember.tensor(x) for x in args))
        assert str(ee.value) == str(te.value)
