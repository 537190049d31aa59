"""Decompositions against torch: linalg.qr/svd/svdvals/eigh/eigvalsh/lu_factor(_ex)/lu/
lu_solve/pinv/matrix_rank/cond and multi_dot/vecdot/vander/diagonal/tensorinv/tensorsolve
(values, gradients, errors).

Singular and eigen vectors are unique up to sign: they are compared through
reconstructions, orthogonality, sign-normalised factors and gauge-invariant losses. On the
cuda device the same cases run ember's cuSOLVER kernels against torch's CPU results.
"""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

TOL = {np.float64: 1e-9, np.float32: 2e-4}
DTYPES = [np.float64, np.float32]
SHAPES = [(3, 3), (5, 3), (3, 5), (2, 4, 4), (2, 1, 6, 3), (2, 3, 5), (1, 1), (0, 3), (3, 0),
          (2, 0, 0), (0, 4, 2)]


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _np(t):
    return np.asarray(t.detach().cpu().numpy() if hasattr(t, "detach") else t)


def _close(e, t, tol, scale=None):
    """e matches t (infs and nans in the same places) to tol relative to t's finite scale."""
    e, t = _np(e).astype(np.float64), _np(t).astype(np.float64)
    assert e.shape == t.shape
    scale = scale if scale is not None else float(np.abs(t[np.isfinite(t)]).max(initial=0))
    np.testing.assert_allclose(e, t, rtol=tol, atol=tol * max(1.0, scale))


def _eye_close(X, tol):
    """X^T X = I (X's columns orthonormal)."""
    X = _np(X).astype(np.float64)
    k = X.shape[-1]
    np.testing.assert_allclose(np.swapaxes(X, -1, -2) @ X, np.broadcast_to(np.eye(k), X.shape[
        :-2] + (k, k)), atol=10 * tol)


def _signs(X):
    """Per column of X (*, m, k): the sign of its entry of largest magnitude (1 where the
    column is zero), to bring singular/eigen vectors to a common gauge."""
    X = _np(X).astype(np.float64)
    if X.size == 0:
        return np.ones(X.shape[:-2] + (X.shape[-1],))
    idx = np.abs(X).argmax(-2)[..., None, :]
    s = np.sign(np.take_along_axis(X, idx, -2))[..., 0, :]
    return np.where(s == 0, 1.0, s)


# ---- svd -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full", [False, True])
def test_svd(device, dtype, shape, full):
    A = _rand(shape, 1, dtype)
    tol = TOL[dtype]
    U, S, Vh = ember.linalg.svd(ember.tensor(A), full_matrices=full)
    tU, tS, tVh = torch.linalg.svd(torch.tensor(A), full_matrices=full)
    assert type(ember.linalg.svd(ember.tensor(A))).__name__ == "linalg_svd"
    for e, t in ((U, tU), (S, tS), (Vh, tVh)):
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[-7:] == str(t.dtype)[-7:]
    _close(S, tS, tol)
    k = S.shape[-1]
    u, vh = _np(U)[..., :k], _np(Vh)[..., :k, :]
    _close(u @ (_np(S)[..., None] * vh), A, 10 * tol)
    _eye_close(U, tol)
    _eye_close(_np(Vh).swapaxes(-1, -2), tol)
    # distinct singular values: the vectors agree with torch's up to sign
    su, tu = _signs(u), _signs(tU.numpy()[..., :k])
    _close(u * su[..., None, :], tU.numpy()[..., :k] * tu[..., None, :], 100 * tol)
    _close(vh * su[..., :, None], tVh.numpy()[..., :k, :] * tu[..., :, None], 100 * tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (2, 3, 5), (0, 2)])
def test_svdvals(device, dtype, shape):
    A = _rand(shape, 2, dtype)
    _close(ember.linalg.svdvals(ember.tensor(A)), torch.linalg.svdvals(torch.tensor(A)),
           TOL[dtype])


def test_svd_rank_deficient():
    A = _rand((5, 4), 3)
    A[:, 3] = A[:, 0] - A[:, 1]
    A[:, 2] = 0
    U, S, Vh = ember.linalg.svd(ember.tensor(A))
    _close(S, torch.linalg.svdvals(torch.tensor(A)), 1e-9)
    _eye_close(U, 1e-9)
    _eye_close(_np(Vh).swapaxes(-1, -2), 1e-9)
    _close(_np(U)[:, :4] @ (_np(S)[:, None] * _np(Vh)), A, 1e-9)
    _eye_close(ember.linalg.svd(ember.zeros(3, 2, dtype=ember.float64)).U, 1e-12)


def _gauge_losses(m):
    """Losses of the SVD that do not depend on the signs of the singular vectors."""
    return {
        "S": lambda U, S, Vh: (S * m.arange(1, S.shape[-1] + 1, dtype=S.dtype)).sum(),
        "U_abs": lambda U, S, Vh: (U[..., :S.shape[-1]] ** 2 * m.arange(
            1, U.shape[-2] * S.shape[-1] + 1, dtype=S.dtype).reshape(U.shape[-2],
                                                                      S.shape[-1])).sum(),
        "Vh_abs": lambda U, S, Vh: (Vh[..., :S.shape[-1], :] ** 2).cumsum(-1).sum(),
        "UVh": lambda U, S, Vh: ((U[..., :S.shape[-1]] @ Vh[..., :S.shape[-1], :]) ** 3).sum(),
        "all": lambda U, S, Vh: (S.sum() + (U[..., :, :S.shape[-1]] * U[..., :1, :S.shape[-1]])
                                 .sum() + (Vh[..., :S.shape[-1], :] ** 2).mean()),
    }


@pytest.mark.cpu_only
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 4, 3)])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("loss", list(_gauge_losses(np)))
def test_svd_grad_vs_torch(shape, full, loss):
    A = _rand(shape, 4)
    ea, ta = ember.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    _gauge_losses(ember)[loss](*ember.linalg.svd(ea, full_matrices=full)).backward()
    _gauge_losses(torch)[loss](*torch.linalg.svd(ta, full_matrices=full)).backward()
    _close(ea.grad, ta.grad, 1e-8)


# ---- eigh ----------------------------------------------------------------------------------

def _sym(shape, seed, dtype=np.float64):
    X = _rand(shape, seed)
    return (X + np.swapaxes(X, -1, -2)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 5, 5), (2, 1, 3, 3), (0, 0), (2, 0, 0),
                                   (12, 12)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(device, dtype, shape, uplo):
    A = _rand(shape, 5, dtype)  # not symmetric: only the UPLO triangle may be read
    tol = TOL[dtype]
    w, V = ember.linalg.eigh(ember.tensor(A), UPLO=uplo)
    tw, tV = torch.linalg.eigh(torch.tensor(A), UPLO=uplo)
    assert type(ember.linalg.eigh(ember.tensor(A))).__name__ == "linalg_eigh"
    _close(w, tw, tol)
    _close(ember.linalg.eigvalsh(ember.tensor(A), UPLO=uplo), tw, tol)
    _eye_close(V, tol)
    sym = np.tril(A) + np.swapaxes(np.tril(A, -1), -1, -2) if uplo == "L" else \
        np.triu(A) + np.swapaxes(np.triu(A, 1), -1, -2)
    _close(_np(V) @ (_np(w)[..., None] * _np(V).swapaxes(-1, -2)), sym, 10 * tol)
    _close(_np(V) * _signs(V)[..., None, :], tV.numpy() * _signs(tV)[..., None, :], 100 * tol)


def test_eigh_repeated_eigenvalues():
    Q = np.linalg.qr(_rand((5, 5), 6))[0]
    A = Q @ np.diag([1.0, 1.0, 2.0, 2.0, 2.0]) @ Q.T
    w, V = ember.linalg.eigh(ember.tensor(A))
    _close(w, [1, 1, 2, 2, 2], 1e-12)
    _eye_close(V, 1e-12)
    _close(_np(V) @ (_np(w)[:, None] * _np(V).T), A, 1e-12)


@pytest.mark.cpu_only
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_grad_vs_torch(shape, uplo):
    A = _rand(shape, 7)
    ea, ta = ember.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    for m, a in ((ember, ea), (torch, ta)):
        w, V = m.linalg.eigh(a, UPLO=uplo)
        ((V ** 2).cumsum(-2).sum() + (w * w).sum() + m.linalg.eigvalsh(a, UPLO=uplo)[..., 0]
         .sum()).backward()
    _close(ea.grad, ta.grad, 1e-8)


# ---- qr ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(device, dtype, shape, mode):
    A = _rand(shape, 8, dtype)
    tol = TOL[dtype]
    Q, R = ember.linalg.qr(ember.tensor(A), mode=mode)
    tQ, tR = torch.linalg.qr(torch.tensor(A), mode=mode)
    assert type(ember.linalg.qr(ember.tensor(A))).__name__ == "linalg_qr"
    # LAPACK's signs: the factors are torch's, not just up to sign
    _close(R, tR, 10 * tol)
    _close(Q, tQ, 10 * tol)
    if mode != "r" and A.size:
        _eye_close(Q, tol)
        _close(_np(Q) @ _np(R), A, 10 * tol)


@pytest.mark.cpu_only
@pytest.mark.parametrize("shape,mode", [((4, 4), "reduced"), ((5, 3), "reduced"),
                                        ((3, 5), "reduced"), ((2, 4, 2), "reduced"),
                                        ((3, 5), "complete"), ((2, 3, 3), "complete")])
def test_qr_grad_vs_torch(shape, mode):
    A = _rand(shape, 9)
    ea, ta = ember.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    for m, a in ((ember, ea), (torch, ta)):
        Q, R = m.linalg.qr(a, mode=mode)
        ((Q ** 3).sum() + (R * R.cumsum(-1)).sum()).backward()
    _close(ea.grad, ta.grad, 1e-8)


@pytest.mark.cpu_only
def test_qr_backward_errors():
    for shape, mode in (((4, 3), "r"), ((4, 3), "complete")):
        a, t = ember.tensor(_rand(shape, 10), requires_grad=True), \
            torch.tensor(_rand(shape, 10), requires_grad=True)
        with pytest.raises(RuntimeError) as te:
            torch.linalg.qr(t, mode=mode).R.sum().backward()
        with pytest.raises(RuntimeError) as ee:
            ember.linalg.qr(a, mode=mode).R.sum().backward()
        assert str(ee.value) == str(te.value)


# ---- lu ------------------------------------------------------------------------------------

LU_SHAPES = [(3, 3), (5, 3), (3, 5), (2, 4, 4), (2, 1, 5, 2), (1, 1), (0, 3), (2, 0, 0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", LU_SHAPES)
def test_lu_factor_and_lu(device, dtype, shape):
    A = _rand(shape, 11, dtype)
    tol = TOL[dtype]
    # partial pivoting picks the same rows as LAPACK: the factors are torch's
    e, t = ember.linalg.lu_factor_ex(ember.tensor(A)), torch.linalg.lu_factor_ex(torch.tensor(A))
    assert type(e).__name__ == "linalg_lu_factor_ex"
    _close(e.LU, t.LU, 10 * tol)
    assert e.pivots.dtype == ember.int32 and e.info.dtype == ember.int32
    np.testing.assert_array_equal(_np(e.pivots), t.pivots.numpy())
    np.testing.assert_array_equal(_np(e.info), t.info.numpy())
    assert type(ember.linalg.lu_factor(ember.tensor(A))).__name__ == "linalg_lu_factor"
    P, L, U = ember.linalg.lu(ember.tensor(A))
    tP, tL, tU = torch.linalg.lu(torch.tensor(A))
    for x, y in ((P, tP), (L, tL), (U, tU)):
        _close(x, y, 10 * tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 3)),
                                             ((4, 4), (2, 4, 1)), ((2, 1, 3, 3), (5, 3, 2))])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve(device, dtype, a_shape, b_shape, left, adjoint):
    A, B = _rand(a_shape, 12, dtype), _rand(b_shape, 13, dtype)
    if not left:
        B = np.swapaxes(B, -1, -2).copy()
    grad = dtype == np.float64
    ea, eb = ember.tensor(A, requires_grad=grad), ember.tensor(B, requires_grad=grad)
    ta, tb = torch.tensor(A, requires_grad=grad), torch.tensor(B, requires_grad=grad)
    eX = ember.linalg.lu_solve(*ember.linalg.lu_factor(ea), eb, left=left, adjoint=adjoint)
    tX = torch.linalg.lu_solve(*torch.linalg.lu_factor(ta), tb, left=left, adjoint=adjoint)
    _close(eX, tX, 10 * TOL[dtype])
    if grad:
        w = _rand(tuple(tX.shape), 14)
        (eX * ember.tensor(w)).sum().backward()
        (tX * torch.tensor(w)).sum().backward()
        _close(ea.grad, ta.grad, 1e-8)
        _close(eb.grad, tb.grad, 1e-8)


@pytest.mark.cpu_only
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
def test_lu_grad_vs_torch(shape):
    A = _rand(shape, 15)
    ea, ta = ember.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    for m, a in ((ember, ea), (torch, ta)):
        P, L, U = m.linalg.lu(a)
        LU = m.linalg.lu_factor(a).LU
        ((L ** 3).sum() + (U * U.cumsum(-1)).sum() + (LU ** 2).sum()).backward()
    _close(ea.grad, ta.grad, 1e-8)


# ---- pinv, matrix_rank, cond ---------------------------------------------------------------

def _low_rank(shape, rank, seed):
    X, Y = _rand(shape[:-1] + (rank,), seed), _rand(shape[:-2] + (rank, shape[-1]), seed + 1)
    return X @ Y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3), (0, 3), (2, 0, 0)])
def test_pinv_and_rank(device, dtype, shape):
    A = _rand(shape, 16, dtype)
    tol = TOL[dtype]
    ea, ta = ember.tensor(A), torch.tensor(A)
    _close(ember.linalg.pinv(ea), torch.linalg.pinv(ta), 100 * tol)
    r = ember.linalg.matrix_rank(ea)
    assert r.dtype == ember.int64
    np.testing.assert_array_equal(_np(r), torch.linalg.matrix_rank(ta).numpy())
    if shape[-1] == shape[-2]:
        S = (A + np.swapaxes(A, -1, -2)).astype(dtype)
        es, ts = ember.tensor(S), torch.tensor(S)
        _close(ember.linalg.pinv(es, hermitian=True), torch.linalg.pinv(ts, hermitian=True),
               100 * tol)
        np.testing.assert_array_equal(_np(ember.linalg.matrix_rank(es, hermitian=True)),
                                      torch.linalg.matrix_rank(ts, hermitian=True).numpy())


@pytest.mark.cpu_only
def test_pinv_rank_deficient_and_tolerances():
    A = _low_rank((2, 5, 4), 2, 17)
    ea, ta = ember.tensor(A), torch.tensor(A)
    _close(ember.linalg.pinv(ea), torch.linalg.pinv(ta), 1e-8)
    kw_list = [dict(atol=0.5), dict(rtol=0.3), dict(atol=0.1, rtol=0.2), dict(atol=0.0),
               dict(atol=ember.tensor([0.5, 50.0]), rtol=None)]
    for kw in kw_list:
        tkw = {k: torch.tensor(_np(v)) if isinstance(v, ember.Tensor) else v
               for k, v in kw.items()}
        _close(ember.linalg.pinv(ea, **kw), torch.linalg.pinv(ta, **tkw), 1e-8)
        np.testing.assert_array_equal(_np(ember.linalg.matrix_rank(ea, **kw)),
                                      torch.linalg.matrix_rank(ta, **tkw).numpy())
    np.testing.assert_array_equal(_np(ember.linalg.matrix_rank(ea, 3.0)),
                                  torch.linalg.matrix_rank(ta, 3.0).numpy())


@pytest.mark.cpu_only
def test_pinv_grad_vs_torch():
    A = _rand((2, 5, 3), 18)
    ea, ta = ember.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    w = _rand((2, 3, 5), 19)
    (ember.linalg.pinv(ea) * ember.tensor(w)).sum().backward()
    (torch.linalg.pinv(ta) * torch.tensor(w)).sum().backward()
    _close(ea.grad, ta.grad, 1e-8)


@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, float("inf"), -float("inf"), "fro", "nuc"])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (0, 0)])
def test_cond(device, p, shape):
    A = _rand(shape, 20)
    ea, ta = ember.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    e, t = ember.linalg.cond(ea, p), torch.linalg.cond(ta, p)
    _close(e, t, 1e-9)
    # torch's backward fails for the norms through inv (an in-place op on inv's output);
    # ember's gradients there are gradchecked below
    if A.size and p in (None, 2, -2, "nuc"):
        e.sum().backward()
        t.sum().backward()
        _close(ea.grad, ta.grad, 1e-7)


@pytest.mark.cpu_only
def test_cond_singular_and_rectangular():
    Z = np.zeros((2, 3, 3))
    Z[0] = np.eye(3)
    for p in (None, 2, -2, "fro", "nuc", 1):
        _close(ember.linalg.cond(ember.tensor(Z), p), torch.linalg.cond(torch.tensor(Z), p), 1e-9)
    R = _rand((3, 5), 21)
    for p in (None, 2, -2):
        _close(ember.linalg.cond(ember.tensor(R), p), torch.linalg.cond(torch.tensor(R), p), 1e-9)


# ---- compositions ------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(5,), (5, 2), (2, 7), (7, 3)],
                                    [(4, 10), (10, 1), (1, 9), (9,)], [(3,), (3,)],
                                    [(2, 0), (0, 3), (3, 2)]])
def test_multi_dot(shapes):
    arrays = [_rand(s, 22 + i) for i, s in enumerate(shapes)]
    et = [ember.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    e, t = ember.linalg.multi_dot(et), torch.linalg.multi_dot(tt)
    _close(e, t, 1e-10)
    if t.numel():
        e.sum().backward()
        t.sum().backward()
        for x, y in zip(et, tt):
            _close(x.grad, y.grad, 1e-10)


def test_vecdot_vander_diagonal():
    x, y = _rand((2, 3, 4), 23), _rand((3, 1), 24)
    for dim in (-1, 1, 0):
        yy = y if dim == -1 else _rand((3, 4), 25)
        _close(ember.linalg.vecdot(ember.tensor(x), ember.tensor(yy), dim=dim),
               torch.linalg.vecdot(torch.tensor(x), torch.tensor(yy), dim=dim), 1e-12)
    v = _rand((2, 4), 26)
    for N in (None, 2, 6):
        _close(ember.linalg.vander(ember.tensor(v), N=N), torch.linalg.vander(torch.tensor(v), N=N),
               1e-12)
    iv = ember.linalg.vander(ember.tensor([1, 2, 3], dtype=ember.int32))
    tv = torch.linalg.vander(torch.tensor([1, 2, 3], dtype=torch.int32))
    assert str(iv.dtype)[-5:] == str(tv.dtype)[-5:]
    np.testing.assert_array_equal(_np(iv), tv.numpy())
    for kw in (dict(), dict(offset=1), dict(offset=-1, dim1=0, dim2=2)):
        _close(ember.linalg.diagonal(ember.tensor(x), **kw),
               torch.linalg.diagonal(torch.tensor(x), **kw), 0)


def test_tensorinv_tensorsolve():
    A = _rand((4, 6, 8, 3), 27)
    for ind in (1, 2):
        if ind == 1:
            A2 = _rand((24, 2, 3, 4), 28)
        else:
            A2 = A
        _close(ember.linalg.tensorinv(ember.tensor(A2), ind=ind),
               torch.linalg.tensorinv(torch.tensor(A2), ind=ind), 1e-8)
    A3, B3 = _rand((2, 3, 6), 29), _rand((2, 3), 30)
    _close(ember.linalg.tensorsolve(ember.tensor(A3), ember.tensor(B3)),
           torch.linalg.tensorsolve(torch.tensor(A3), torch.tensor(B3)), 1e-8)
    A4 = _rand((6, 2, 3), 31)
    _close(ember.linalg.tensorsolve(ember.tensor(A4), ember.tensor(B3), dims=(0,)),
           torch.linalg.tensorsolve(torch.tensor(A4), torch.tensor(B3), dims=(0,)), 1e-8)


# ---- gradcheck / gradgradcheck (float64) ---------------------------------------------------

def _gradchecks():
    sym = lambda x: x + x.mT  # noqa: E731
    return {
        "svd_tall": (lambda a: tuple(ember.linalg.svd(a, full_matrices=False)), [(4, 3)]),
        "svd_wide_full": (lambda a: (ember.linalg.svd(a)[0][..., :2].abs().sum(),
                                     ember.linalg.svd(a)[1]), [(2, 2, 3)]),
        "svd_square_gauge": (lambda a: (lambda U, S, Vh: (U @ Vh, S))(*ember.linalg.svd(a)),
                             [(3, 3)]),
        "svdvals": (ember.linalg.svdvals, [(2, 3, 4)]),
        # eigh reads one triangle, but its gradient is symmetric (torch's): symmetric inputs
        "eigh": (lambda a: (lambda w, V: (w, V @ V.mT * 2, V.abs()))(*ember.linalg.eigh(sym(a))),
                 [(2, 3, 3)]),
        "eigh_upper": (lambda a: ember.linalg.eigh(sym(a), UPLO="U").eigenvectors.abs(),
                       [(3, 3)]),
        "eigvalsh": (lambda a: ember.linalg.eigvalsh(sym(a)), [(4, 4)]),
        "qr_square": (lambda a: tuple(ember.linalg.qr(a)), [(3, 3)]),
        "qr_tall": (lambda a: tuple(ember.linalg.qr(a)), [(2, 4, 3)]),
        "qr_wide": (lambda a: tuple(ember.linalg.qr(a)), [(3, 5)]),
        "lu_factor": (lambda a: ember.linalg.lu_factor(a).LU, [(2, 3, 3)]),
        "lu_tall": (lambda a: tuple(ember.linalg.lu(a)[1:]), [(5, 3)]),
        "lu_wide": (lambda a: tuple(ember.linalg.lu(a)[1:]), [(3, 5)]),
        "lu_solve": (lambda a, b: ember.linalg.lu_solve(*ember.linalg.lu_factor(a), b),
                     [(3, 3), (3, 2)]),
        "lu_solve_adjoint_right": (lambda a, b: ember.linalg.lu_solve(
            *ember.linalg.lu_factor(a), b, left=False, adjoint=True), [(2, 3, 3), (2, 3)]),
        "pinv": (ember.linalg.pinv, [(4, 3)]),
        "pinv_wide": (ember.linalg.pinv, [(2, 2, 4)]),
        "pinv_hermitian": (lambda a: ember.linalg.pinv(sym(a), hermitian=True), [(3, 3)]),
        "cond": (ember.linalg.cond, [(3, 3)]),
        "cond_fro": (lambda a: ember.linalg.cond(a, "fro"), [(3, 3)]),
        "multi_dot": (lambda a, b, c: ember.linalg.multi_dot([a, b, c]), [(2, 3), (3, 4), (4,)]),
        "vecdot": (lambda a, b: ember.linalg.vecdot(a, b), [(2, 3), (3,)]),
        "vander": (lambda a: ember.linalg.vander(a), [(2, 4)]),
        "tensorinv": (lambda a: ember.linalg.tensorinv(a.reshape(2, 3, 6)
                                                         + ember.eye(6, dtype=a.dtype).reshape(
                                                             2, 3, 6) * 3, ind=2), [(36,)]),
    }


@pytest.mark.cpu_only
@pytest.mark.parametrize("name", list(_gradchecks()))
def test_gradcheck_and_gradgradcheck(name):
    fn, shapes = _gradchecks()[name]
    args = [ember.tensor(_rand(s, 40 + i) + (2 * np.eye(s[-1]) if i == 0 and len(s) > 1 and
                                             s[-1] == s[-2] else 0), requires_grad=True)
            for i, s in enumerate(shapes)]
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


# ---- errors --------------------------------------------------------------------------------

def _same_error(e_fn, t_fn, *arrays, message=True):
    """Both raise the same exception type (ember's LinAlgError for torch's _LinAlgError),
    with torch's message unless message=False."""
    with pytest.raises(Exception) as te:
        t_fn(*[torch.tensor(a) for a in arrays])
    with pytest.raises(Exception) as ee:
        e_fn(*[ember.tensor(a) for a in arrays])
    expected = (ember.linalg.LinAlgError if te.type.__name__ == "_LinAlgError" else te.type)
    assert ee.type is expected, (ee.value, te.value)
    if message:
        assert str(ee.value) == str(te.value)


@pytest.mark.cpu_only
def test_errors():
    f, i, v = _rand((3, 4)), np.ones((3, 3), np.int64), _rand((3,))
    for name in ("qr", "svd", "svdvals", "eigh", "eigvalsh", "pinv", "matrix_rank", "cond",
                 "lu_factor", "lu"):
        for a in (i, v):
            _same_error(getattr(ember.linalg, name), getattr(torch.linalg, name), a)
    for name in ("qr", "svd", "eigh", "lu_factor"):
        _same_error(lambda x, n=name: getattr(ember.linalg, n)(x.half()),
                    lambda x, n=name: getattr(torch.linalg, n)(x.half()), _rand((3, 3)))
    _same_error(lambda x: ember.linalg.qr(x, mode="x"), lambda x: torch.linalg.qr(x, mode="x"), f)
    _same_error(lambda x: ember.linalg.svd(x, driver="gesvd"),
                lambda x: torch.linalg.svd(x, driver="gesvd"), f)
    for name in ("eigh", "eigvalsh"):
        _same_error(getattr(ember.linalg, name), getattr(torch.linalg, name), f)
        _same_error(lambda x, n=name: getattr(ember.linalg, n)(x, UPLO="X"),
                    lambda x, n=name: getattr(torch.linalg, n)(x, UPLO="X"), _rand((3, 3)))
    _same_error(lambda x: ember.linalg.pinv(x, hermitian=True),
                lambda x: torch.linalg.pinv(x, hermitian=True), f)
    _same_error(lambda x: ember.linalg.lu_factor(x, pivot=False),
                lambda x: torch.linalg.lu_factor(x, pivot=False), _rand((3, 3)))
    # singular: LinAlgError naming U[i,i] (and the batch element)
    S = np.ones((2, 2))
    _same_error(ember.linalg.lu_factor, torch.linalg.lu_factor, S)
    _same_error(ember.linalg.lu_factor, torch.linalg.lu_factor, np.stack([np.eye(2), S]))
    _same_error(lambda x: ember.linalg.lu_factor_ex(x, check_errors=True),
                lambda x: torch.linalg.lu_factor_ex(x, check_errors=True), np.zeros((3, 3)))
    # lu_solve's arguments
    A = _rand((3, 3))

    def lus(mod, b, pivots=None, a=A, **kw):
        LU, piv = mod.linalg.lu_factor(mod.tensor(a))
        return mod.linalg.lu_solve(LU, piv if pivots is None else pivots(mod, piv), b, **kw)
    for b, kw, piv in (((4, 2), {}, None), ((3,), {}, None), ((3, 2), {"left": False}, None),
                       ((3, 2), {}, lambda m, p: p.long()),
                       ((3, 2), {}, lambda m, p: p[:2])):
        B = _rand(b, 1)
        _same_error(lambda x, p=piv, k=kw: lus(ember, x, p, **k),
                    lambda x, p=piv, k=kw: lus(torch, x, p, **k), B)
    _same_error(lambda x: ember.linalg.lu_solve(x, ember.ones(3, dtype=ember.int32),
                                                ember.ones(3, 2)),
                lambda x: torch.linalg.lu_solve(x, torch.ones(3, dtype=torch.int32),
                                                torch.ones(3, 2)), f)
    _same_error(lambda x: lus(ember, x.double(), a=A.astype(np.float32)),
                lambda x: lus(torch, x.double(), a=A.astype(np.float32)), _rand((3, 2)))
    # compositions
    g = _rand((4, 5))
    for ts in ([f], [_rand((2, 3, 4)), f], [f, v], [f, _rand((4, 2, 2)), g], [f, f]):
        _same_error(lambda *x: ember.linalg.multi_dot(x), lambda *x: torch.linalg.multi_dot(x),
                    *ts)
    _same_error(lambda x, y: ember.linalg.multi_dot([x, y.float()]),
                lambda x, y: torch.linalg.multi_dot([x, y.float()]), f, g)
    _same_error(lambda x, y: ember.linalg.vecdot(x, y.float()),
                lambda x, y: torch.linalg.vecdot(x, y.float()), f, f)
    _same_error(ember.linalg.vecdot, torch.linalg.vecdot, i, i)
    _same_error(lambda x: ember.linalg.vander(x, N=1), lambda x: torch.linalg.vander(x, N=1), v)
    _same_error(lambda x: ember.linalg.vander(x > 0), lambda x: torch.linalg.vander(x > 0), v)
    T = _rand((4, 6, 8, 3))
    _same_error(lambda x: ember.linalg.tensorinv(x, ind=0),
                lambda x: torch.linalg.tensorinv(x, ind=0), T)
    _same_error(lambda x: ember.linalg.tensorinv(x, ind=1),
                lambda x: torch.linalg.tensorinv(x, ind=1), T)
    _same_error(ember.linalg.tensorsolve, torch.linalg.tensorsolve, _rand((2, 3, 6)), v[:1])
    for p in ("fro", "xx", 3):
        _same_error(lambda x, p=p: ember.linalg.cond(x, p), lambda x, p=p: torch.linalg.cond(x, p),
                    f)
    _same_error(lambda x: ember.linalg.cond(x, 3), lambda x: torch.linalg.cond(x, 3),
                _rand((3, 3)))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_older_top_level_forms_and_tensor_methods_match_torch():
    """torch.svd (V, not Vh), qr(some), pinverse(rcond), lu/lu_solve/lu_unpack (b first),
    triangular_solve, cholesky(upper), vander(increasing), chain_matmul, nuclear_norm and
    the matrix norms built on singular values."""
    rng = np.random.default_rng(50)
    a = rng.standard_normal((4, 3))
    e, t = ember.tensor(a), torch.tensor(a)
    U, S, V = ember.svd(e)
    np.testing.assert_allclose((U @ ember.diag(S) @ V.t()).cpu().numpy(), a, atol=1e-12)
    np.testing.assert_allclose(S.cpu().numpy(), torch.svd(t).S.cpu().numpy(), rtol=1e-12)
    assert tuple(ember.svd(e, some=False).U.shape) == (4, 4)
    empty_uv = ember.svd(e, compute_uv=False)
    assert tuple(empty_uv.U.shape) == (4, 4) and tuple(empty_uv.V.shape) == (3, 3)
    assert not empty_uv.U.cpu().numpy().any()
    for got, want in ((ember.qr(e, some=False), torch.qr(t, some=False)), (e.qr(), t.qr()),
                      (ember.pinverse(e, 1e-10), torch.pinverse(t, 1e-10)),
                      (ember.chain_matmul(e, e.t(), e), torch.chain_matmul(t, t.t(), t)),
                      (ember.nuclear_norm(e, True), torch.nuclear_norm(t, True))):
        for x, y in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(x.cpu().numpy(), y.cpu().numpy(), rtol=1e-10, atol=1e-12)
    square, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    LU, piv = ember.lu(ember.tensor(square))
    LUt, pivt = torch.lu(torch.tensor(square))
    np.testing.assert_allclose(LU.cpu().numpy(), LUt.cpu().numpy(), rtol=1e-12)
    assert piv.tolist() == pivt.tolist() and len(ember.lu(ember.tensor(square),
                                                         get_infos=True)) == 3
    np.testing.assert_allclose(ember.lu_solve(ember.tensor(b), LU, piv).cpu().numpy(),
                               torch.lu_solve(torch.tensor(b), LUt, pivt).cpu().numpy(), rtol=1e-10)
    for x, y in zip(ember.lu_unpack(LU, piv), torch.lu_unpack(LUt, pivt)):
        np.testing.assert_allclose(x.cpu().numpy(), y.cpu().numpy(), rtol=1e-12)
    tri = np.triu(square) + 3 * np.eye(3)
    for upper, transpose in ((True, False), (True, True), (False, True)):
        T = tri if upper else tri.T
        got = ember.triangular_solve(ember.tensor(b), ember.tensor(T), upper, transpose)
        want = torch.triangular_solve(torch.tensor(b), torch.tensor(T), upper, transpose)
        np.testing.assert_allclose(got.solution.cpu().numpy(), want.solution.cpu().numpy(), rtol=1e-10)
        np.testing.assert_array_equal(got.cloned_coefficient.cpu().numpy(), T)
    spd = a.T @ a + np.eye(3)
    np.testing.assert_allclose(ember.tensor(spd).cholesky(upper=True).cpu().numpy(),
                               torch.tensor(spd).cholesky(upper=True).cpu().numpy(), rtol=1e-12)
    x = [1, 2, 3]
    assert ember.vander(ember.tensor(x)).tolist() == torch.vander(torch.tensor(x)).tolist()
    assert ember.vander(ember.tensor(x), 2, True).tolist() == torch.vander(
        torch.tensor(x), 2, True).tolist()
    batch = rng.standard_normal((2, 3, 4))
    for ord in (2, -2, "nuc"):
        ge = ember.tensor(batch, requires_grad=True)
        gt = torch.tensor(batch, requires_grad=True)
        re = ember.linalg.matrix_norm(ge, ord, dim=(0, 2), keepdim=True)
        rt = torch.linalg.matrix_norm(gt, ord, dim=(0, 2), keepdim=True)
        np.testing.assert_allclose(re.detach().cpu().numpy(), rt.detach().cpu().numpy(), rtol=1e-10)
        re.sum().backward()
        rt.sum().backward()
        np.testing.assert_allclose(ge.grad.cpu().numpy(), gt.grad.cpu().numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ember.norm(e, "nuc").cpu().numpy(), torch.norm(t, "nuc").cpu().numpy())
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        ember.linalg.matrix_norm(e, 3)
