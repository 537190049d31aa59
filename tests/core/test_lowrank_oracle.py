"""ember.svd_lowrank and ember.pca_lowrank against torch's and against the exact SVD.

The random projection differs from torch's, so the factors themselves are compared only
where they do not depend on it: on a matrix of rank at most q the reconstruction
U diag(S) V^H is the matrix and the singular values are exact; with q = n on a tall
matrix of full column rank the basis spans every column whatever the draw, so gradients
are deterministic and compared with torch's."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _low_rank(shape, rank, seed):
    rng = np.random.default_rng(seed)
    *batch, m, n = shape
    return rng.standard_normal((*batch, m, rank)) @ rng.standard_normal((*batch, rank, n))


def _np(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("shape", [(30, 20), (20, 30), (3, 25, 18)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_svd_lowrank_reconstructs_like_torch(device, shape, dtype):
    a = _low_rank(shape, 3, 0).astype(dtype)
    ember.manual_seed(0)
    U, S, V = ember.svd_lowrank(ember.tensor(a, device=device), q=5)
    Ut, St, Vt = torch.svd_lowrank(torch.tensor(a), q=5)
    assert U.shape == tuple(Ut.shape) and S.shape == tuple(St.shape)
    assert V.shape == tuple(Vt.shape) and U.dtype.name == dtype
    tol = 1e-3 if dtype == "float32" else 1e-9
    scale = np.abs(a).max()
    rebuilt = _np(U @ ember.diag_embed(S) @ V.mH)
    np.testing.assert_allclose(rebuilt, a, atol=tol * scale)
    np.testing.assert_allclose(rebuilt, _np(Ut @ torch.diag_embed(St) @ Vt.mH), atol=tol * scale)
    exact = np.linalg.svd(a, compute_uv=False)[..., :3]
    np.testing.assert_allclose(_np(S)[..., :3], exact, rtol=tol)
    np.testing.assert_allclose(_np(S)[..., :3], _np(St)[..., :3], rtol=tol)
    # U and V have orthonormal columns
    eye = np.broadcast_to(np.eye(5), _np(U.mH @ U).shape)
    np.testing.assert_allclose(_np(U.mH @ U), eye, atol=tol * 10)
    np.testing.assert_allclose(_np(V.mH @ V), eye, atol=tol * 10)


@pytest.mark.parametrize("niter", [0, 2])
def test_svd_lowrank_with_mean_and_pca_match_torch(device, niter):
    a = _low_rank((40, 12), 3, 1) + 5.0
    mean = a.mean(0, keepdims=True)
    _, S, _ = ember.svd_lowrank(ember.tensor(a, device=device), q=4, niter=niter,
                                M=ember.tensor(mean, device=device))
    _, St, _ = torch.svd_lowrank(torch.tensor(a), q=4, niter=niter, M=torch.tensor(mean))
    np.testing.assert_allclose(_np(S)[:3], _np(St)[:3], rtol=1e-9)
    for center in (True, False):
        U, S, V = ember.pca_lowrank(ember.tensor(a, device=device), q=4, center=center,
                                    niter=niter)
        Ut, St, Vt = torch.pca_lowrank(torch.tensor(a), q=4, center=center, niter=niter)
        rank = 3 if center else 4
        np.testing.assert_allclose(_np(S)[:rank], _np(St)[:rank], rtol=1e-9)
        np.testing.assert_allclose(_np(U @ ember.diag_embed(S) @ V.mH),
                                   _np(Ut @ torch.diag_embed(St) @ Vt.mH), atol=1e-9)
    U, S, V = ember.pca_lowrank(ember.tensor(a, device=device))  # q = min(6, m, n)
    assert U.shape == (40, 6) and S.shape == (6,) and V.shape == (12, 6)


def test_gradients_match_torch(device):
    a = np.random.default_rng(2).standard_normal((9, 5))
    w = np.random.default_rng(3).standard_normal((9, 5))
    at = torch.tensor(a, requires_grad=True)
    Ut, St, Vt = torch.svd_lowrank(at, q=5, niter=1)
    (St.sum() + ((Ut * St) @ Vt.mH * torch.tensor(w)).sum()).backward()
    ae = ember.tensor(a, device=device, requires_grad=True)
    U, S, V = ember.svd_lowrank(ae, q=5, niter=1)
    (S.sum() + ((U * S) @ V.mH * ember.tensor(w, device=device)).sum()).backward()
    np.testing.assert_allclose(_np(ae.grad), at.grad.numpy(), atol=1e-8)


def test_errors_match_torch():
    a = np.ones((6, 4))
    for kwargs in ({"q": 5}, {"q": -1}, {"niter": -1}):
        with pytest.raises(ValueError):
            torch.pca_lowrank(torch.tensor(a), **kwargs)
        with pytest.raises(ValueError):
            ember.pca_lowrank(ember.tensor(a), **kwargs)
