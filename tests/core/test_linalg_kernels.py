"""The dense linear-algebra kernels of csrc/linalg.c called directly against NumPy, below
ember.linalg, so a failure points at one layer."""

import numpy as np
import pytest

from ember._C import ffi, lib

CODES = {np.float32: lib.EM_F32, np.float64: lib.EM_F64}
TOL = {np.float32: 1e-4, np.float64: 1e-11}
DTYPES = [np.float64, np.float32]


def _p(a):
    return ffi.cast("char *", a.ctypes.data) if a is not None else ffi.NULL


def _p64(a):
    return ffi.cast("int64_t *", a.ctypes.data) if a is not None else ffi.NULL


def _rand(shape, seed, dtype):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _close(x, ref, dtype):
    tol = TOL[dtype]
    np.testing.assert_allclose(x, ref, rtol=tol, atol=tol * max(1.0, np.abs(ref).max()))


def _lu(A, dtype):
    batch, n = A.shape[0], A.shape[-1]
    lu, piv, info = A.copy(), np.empty((batch, n), np.int64), np.empty(batch, np.int64)
    assert lib.em_lu_factor(CODES[dtype], batch, n, _p(lu), _p64(piv), _p64(info)) == lib.EM_OK
    return lu, piv, info


@pytest.mark.parametrize("dtype", DTYPES)
def test_lu_solve_and_det(dtype):
    A, B = _rand((4, 6, 6), 0, dtype), _rand((4, 6, 3), 1, dtype)
    A[3, 2] = 0.0  # a zero row: an exactly zero pivot
    lu, piv, info = _lu(A, dtype)
    np.testing.assert_array_equal(info, [0, 0, 0, 6])
    X = B.copy()
    assert lib.em_lu_solve(CODES[dtype], 3, 6, 3, _p(lu), _p64(piv), _p(X)) == lib.EM_OK
    _close(X[:3], np.linalg.solve(A[:3].astype(np.float64), B[:3]), dtype)
    det, sign, logabs = (np.empty(4, dtype) for _ in range(3))
    assert lib.em_lu_det(CODES[dtype], 4, 6, _p(lu), _p64(piv), _p(det), _p(sign),
                         _p(logabs)) == lib.EM_OK
    ref_sign, ref_log = np.linalg.slogdet(A.astype(np.float64))
    _close(det, np.linalg.det(A.astype(np.float64)), dtype)
    np.testing.assert_array_equal(sign, ref_sign)
    _close(logabs[:3], ref_log[:3], dtype)
    assert logabs[3] == -np.inf


def test_lu_solve_refuses_pivots_outside_the_matrix():
    lu, b = np.eye(2), np.ones((2, 1))
    piv = np.array([0, 5], np.int64)
    assert lib.em_lu_solve(lib.EM_F64, 1, 2, 1, _p(lu), _p64(piv), _p(b)) == lib.EM_EINDEX
    assert lib.em_lu_factor(lib.EM_I32, 1, 2, _p(lu), _p64(piv), _p64(piv)) == lib.EM_EDTYPE


@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky_reads_the_lower_triangle(dtype):
    X = _rand((3, 5, 5), 2, np.float64)
    S = X @ X.transpose(0, 2, 1) + 5 * np.eye(5)
    S[2] = np.diag([1.0, 2.0, -1.0, 1.0, 1.0])  # third leading minor not positive
    L = (S + np.triu(np.full((5, 5), 9.0), 1)).astype(dtype)  # garbage above: unread
    info = np.empty(3, np.int64)
    assert lib.em_cholesky(CODES[dtype], 3, 5, _p(L), _p64(info)) == lib.EM_OK
    np.testing.assert_array_equal(info, [0, 0, 3])
    _close(L[:2], np.linalg.cholesky(S[:2]), dtype)
    assert not np.triu(L[:2], 1).any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("unit", [0, 1])
def test_triangular_solve(dtype, upper, unit):
    A = _rand((2, 5, 5), 3, dtype) + 4 * np.eye(5, dtype=dtype)
    B = _rand((2, 5, 2), 4, dtype)
    T = np.triu(A) if upper else np.tril(A)
    if unit:
        T[:, range(5), range(5)] = 1.0
    X = B.copy()
    assert lib.em_triangular_solve(CODES[dtype], 2, 5, 2, _p(A), _p(X), upper,
                                   unit) == lib.EM_OK
    _close(X, np.linalg.solve(T.astype(np.float64), B), dtype)


def _lstsq(A, B, dtype, pivot, rcond=None, rank_in=None):
    batch, m, n = A.shape
    k, big = B.shape[-1], max(m, n)
    a, b = A.copy(), np.zeros((batch, big, k), dtype)
    b[:, :m] = B
    rank, info, res = np.empty(batch, np.int64), np.empty(batch, np.int64), np.empty((batch, k),
                                                                                      dtype)
    rcond = np.finfo(dtype).eps * big if rcond is None else rcond
    assert lib.em_lstsq(CODES[dtype], batch, m, n, k, _p(a), _p(b), rcond, pivot,
                        _p64(rank_in), _p64(rank), _p(res), _p64(info)) == lib.EM_OK
    return b[:, :n], rank, res, info


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pivot", [0, 1])
@pytest.mark.parametrize("m,n", [(8, 5), (5, 8), (5, 5), (6, 1), (1, 6)])
def test_lstsq_full_rank_tall_and_wide(dtype, pivot, m, n):
    A, B = _rand((3, m, n), 5, dtype), _rand((3, m, 2), 6, dtype)
    X, rank, res, info = _lstsq(A, B, dtype, pivot)
    A64 = A.astype(np.float64)
    ref = np.stack([np.linalg.lstsq(a, b, rcond=None)[0] for a, b in zip(A64, B)])
    _close(X, ref, dtype)
    assert not info.any()
    if pivot:
        np.testing.assert_array_equal(rank, min(m, n))
    if m > n:
        _close(res, ((A64 @ X - B) ** 2).sum(1), dtype)


@pytest.mark.parametrize("rank_in", [None, 3])
def test_lstsq_rank_deficient_is_minimum_norm(rank_in):
    A = _rand((2, 7, 4), 7, np.float64)
    A[..., 2] = A[..., 0] + A[..., 3]  # rank 3
    B = _rand((2, 7, 2), 8, np.float64)
    forced = None if rank_in is None else np.full(2, rank_in, np.int64)
    X, rank, _, _ = _lstsq(A, B, np.float64, 1, rank_in=forced)
    np.testing.assert_array_equal(rank, 3)
    _close(X, np.linalg.pinv(A) @ B, np.float64)


def test_lstsq_gels_reports_rank_deficiency_and_zero_matrices():
    A = _rand((3, 6, 3), 9, np.float64)
    A[1, :, 1] = 0.0  # a zero column: R's second diagonal is exactly zero
    A[2] = 0.0  # LAPACK's quick return: a zero solution, no error
    X, _, _, info = _lstsq(A, _rand((3, 6, 1), 10, np.float64), np.float64, 0)
    np.testing.assert_array_equal(info, [0, 2, 0])
    assert not X[2].any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p,q", [(4, 9), (5, 5), (1, 3)])
def test_svdvals(dtype, p, q):
    A = _rand((3, p, q), 11, dtype)
    s = np.empty((3, p), dtype)
    assert lib.em_svdvals(CODES[dtype], 3, p, q, _p(A.copy()), _p(s)) == lib.EM_OK
    _close(s, np.linalg.svd(A.astype(np.float64), compute_uv=False), dtype)
    assert lib.em_svdvals(CODES[dtype], 1, q + 1, q, _p(A), _p(s)) == lib.EM_EINVAL


@pytest.mark.parametrize("dtype", DTYPES)
def test_eig_kernel(dtype):
    A = _rand((3, 7, 7), 5, dtype)
    A[2] = 0.0  # a zero matrix: eigenvalues 0, eigenvectors e_j
    cd = np.complex128 if dtype == np.float64 else np.complex64
    w, v = np.empty((3, 7), cd), np.empty((3, 7, 7), cd)
    info = np.full(3, -1, np.int64)
    assert lib.em_eig(CODES[dtype], 3, 7, _p(A), _p(w), _p(v), _p64(info)) == lib.EM_OK
    np.testing.assert_array_equal(info, 0)
    A64, V = A.astype(np.float64), v.astype(np.complex128)
    tol = TOL[dtype] * 10
    np.testing.assert_allclose(A64 @ V, V * w[:, None, :], atol=tol * 10)
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1, atol=tol)
    for b in range(2):
        ref = np.linalg.eigvals(A64[b])
        np.testing.assert_allclose(np.sort_complex(w[b].astype(np.complex128)),
                                   np.sort_complex(ref), atol=tol * 10)
    np.testing.assert_array_equal(w[2], 0)
    np.testing.assert_array_equal(v[2], np.eye(7))
    # values only, and a non-finite matrix: NaN eigenvalues with info 0
    B = A[:1].copy()
    B[0, 1, 1] = np.nan
    assert lib.em_eig(CODES[dtype], 1, 7, _p(B), _p(w), ffi.NULL, _p64(info)) == lib.EM_OK
    assert info[0] == 0 and np.isnan(w[0]).all()
    assert lib.em_eig(CODES[dtype], -1, 7, _p(B), _p(w), ffi.NULL, _p64(info)) == lib.EM_EINVAL


@pytest.mark.parametrize("dtype", DTYPES)
def test_orgqr_ormqr_kernels(dtype):
    A = _rand((2, 6, 4), 6, dtype)
    tau = np.empty((2, 4), dtype)
    a = A.copy()
    q_ref = np.empty((2, 6, 4), dtype)
    assert lib.em_qr(CODES[dtype], 2, 6, 4, _p(a), _p(tau), _p(q_ref), 4) == lib.EM_OK
    q = np.empty((2, 6, 4), dtype)
    assert lib.em_orgqr(CODES[dtype], 2, 6, 4, 4, _p(a), _p(tau), _p(q)) == lib.EM_OK
    np.testing.assert_array_equal(q, q_ref)
    full = np.empty((2, 6, 6), dtype)
    a2 = A.copy()
    assert lib.em_qr(CODES[dtype], 2, 6, 4, _p(a2), _p(tau), _p(full), 6) == lib.EM_OK
    C = _rand((2, 6, 3), 7, dtype)
    for trans, ref in ((0, full @ C), (1, full.transpose(0, 2, 1) @ C)):
        c = C.copy()
        assert lib.em_ormqr(CODES[dtype], 2, 6, 4, 4, _p(a), _p(tau), _p(c), 6, 3, 1,
                            trans) == lib.EM_OK
        _close(c, ref, dtype)
    assert lib.em_ormqr(CODES[dtype], 2, 6, 4, 4, _p(a), _p(tau), _p(C), 5, 3, 1,
                        0) == lib.EM_EINVAL
