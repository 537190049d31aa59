"""Dense linear algebra on CUDA tensors: the linalg entry points of backends/cpu.py
(``lu_factor``, ``lu_solve``, ``lu_det``, ``cholesky``, ``triangular_solve``, ``lstsq``,
``svdvals``, ``svd``, ``eigh``, ``qr``, ``copy``) with the same in/out contracts, computed
on the GPU by cuSOLVER and cuBLAS through CuPy. ops/solve.py and ops/decompositions.py
pick this module or backends.cpu by the operands' device; nothing here copies a value to
the host.

Operands are fresh contiguous row-major (batch, rows, cols) float32/float64 tensors that
may be overwritten; pivots, infos and ranks are contiguous int64 tensors on the same
device. cuSOLVER is column-major: a row-major matrix is its transpose there, so LU goes
through a column-major copy per matrix, while Cholesky factors the row-major lower
triangle in place as the column-major upper one. Where CuPy has no batched routine the
batch is a Python loop of per-matrix calls (getrf, getrs, potrf, geqrf/orgqr).

Conventions, as the CPU kernels: LU pivots 0-based here (the ops add 1: LAPACK's 1-based
int32 pivots), info LAPACK's (the 1-based column of the first exactly zero pivot, or the
order of the first leading minor that is not positive definite). QR is cuSOLVER's
Householder geqrf, LAPACK's convention (R_ii = -sign(a_ii) * norm), so Q and R are
torch's. Singular and eigen vectors are unique up to sign only (as torch's CUDA ones).
The pivoted least-squares drivers (gelsy, gelsd, gelss) solve through the SVD here: the
rank counts the singular values above ``rcond * s_max`` (or is ``rank_in``), and a
rank-deficient problem gets the minimum-norm solution, as on the CPU.
"""

from __future__ import annotations

import numpy as np

from . import _cp, _on, copy, view

__all__ = ["copy", "lu_factor", "lu_solve", "lu_det", "lu_permutation", "cholesky",
           "triangular_solve", "lstsq", "svdvals", "svd", "eigh", "qr", "eig", "eig_available"]

_FILL_LOWER, _FILL_UPPER = 0, 1  # cublasFillMode_t
_OP_N = 0  # cublasOperation_t


def _cusolver():
    """CuPy's cuSOLVER bindings and the current device's handle."""
    cp = _cp()
    return cp.cuda.cusolver, cp.cuda.device.get_cusolver_handle()


def _cupyx_linalg():
    """cupyx.scipy.linalg (solve_triangular, batched over cuBLAS trsmBatched)."""
    import cupyx.scipy.linalg
    return cupyx.scipy.linalg


def _routine(lib, name: str, dtype):
    """lib's s<name> or d<name> for a float32 or float64 array."""
    return getattr(lib, ("s" if np.dtype(dtype) == np.float32 else "d") + name)


# ---- LU -------------------------------------------------------------------------------

def lu_factor(a, piv, info) -> None:
    """a (batch, m, n) = P L U in place (L unit lower below the diagonal, U on and above
    it); piv (batch, min(m, n)) the 0-based row swapped with row j at step j; info (batch):
    0 or the 1-based column of the first exactly zero pivot (cuSOLVER getrf, one matrix at
    a time through a column-major copy)."""
    nb, m, n = a._shape
    if nb == 0:
        return
    cp = _cp()
    k = min(m, n)
    with _on(a):
        A, I = view(a), view(info)
        if k == 0:
            I[...] = 0
            return
        lib, handle = _cusolver()
        getrf_size, getrf = (_routine(lib, "getrf_bufferSize", A.dtype),
                             _routine(lib, "getrf", A.dtype))
        f = cp.empty((n, m), A.dtype)  # C-order n x m: the column-major m x n matrix
        ipiv = cp.empty((nb, k), np.int32)
        dinfo = cp.empty((nb,), np.int32)
        work = cp.empty(max(1, getrf_size(handle, m, n, f.data.ptr, m)), A.dtype)
        for i in range(nb):
            f[...] = A[i].T
            getrf(handle, m, n, f.data.ptr, m, work.data.ptr, ipiv[i].data.ptr,
                  dinfo[i:i + 1].data.ptr)
            A[i] = f.T
        view(piv)[...] = ipiv - 1
        I[...] = dinfo


def lu_solve(lu, piv, b) -> None:
    """b (batch, n, k) = A^-1 b from lu_factor's lu and (0-based) piv (cuSOLVER getrs)."""
    nb, n, k = b._shape
    if nb == 0 or n == 0 or k == 0:
        return
    cp = _cp()
    with _on(b):
        L, B = view(lu), view(b)
        lib, handle = _cusolver()
        getrs = _routine(lib, "getrs", L.dtype)
        f = cp.empty((n, n), L.dtype)
        x = cp.empty((k, n), L.dtype)  # C-order k x n: the column-major n x k right side
        ipiv = cp.empty((nb, n), np.int32)
        ipiv[...] = view(piv) + 1  # cuSOLVER's pivots are 1-based
        dinfo = cp.empty((nb,), np.int32)
        for i in range(nb):
            f[...] = L[i].T
            x[...] = B[i].T
            getrs(handle, _OP_N, n, k, f.data.ptr, n, ipiv[i].data.ptr, x.data.ptr, n,
                  dinfo[i:i + 1].data.ptr)
            B[i] = x.T


def lu_det(lu, piv, det, sign, logabsdet) -> None:
    """det, sign, logabsdet (batch; any may be None) from lu_factor's lu and piv: the
    product of U's diagonal and the parity of the swaps (sign 0, log|det| -inf for a
    singular matrix)."""
    nb, n = lu._shape[0], lu._shape[-1]
    if nb == 0:
        return
    cp = _cp()
    with _on(lu):
        L = view(lu)
        d = cp.diagonal(L, 0, 1, 2)
        swaps = (view(piv) != cp.arange(n)).sum(-1)
        sg = (1 - 2 * (swaps % 2)).astype(L.dtype)
        prod = d.prod(-1)
        if det is not None:
            view(det)[...] = sg * prod
        if sign is not None:
            view(sign)[...] = cp.where(prod == 0, 0, cp.where(prod < 0, -sg, sg))
        if logabsdet is not None:
            view(logabsdet)[...] = cp.log(cp.abs(d)).sum(-1)


def lu_permutation(piv, P) -> None:
    """P (*, m, m) = the permutation matrix with A = P L U for the 0-based row swaps piv
    (*, k): column i of P is e_perm[i]. The swaps are sequential, so the loop runs over k
    with the batch on the device."""
    m = P._shape[-1]
    k = piv._shape[-1]
    nb = P.numel() // (m * m) if m else 0
    if nb == 0:
        return
    cp = _cp()
    with _on(P):
        out = view(P).reshape(nb, m, m)
        flat = view(piv).reshape(nb, k)
        perm = cp.empty((nb, m), np.int64)
        perm[...] = cp.arange(m)
        rows = cp.arange(nb)
        for j in range(k):
            pj = flat[:, j]
            held = perm[:, j].copy()
            perm[:, j] = perm[rows, pj]
            perm[rows, pj] = held
        out[...] = 0
        out[rows[:, None], perm, cp.arange(m)[None, :]] = 1


# ---- Cholesky and triangular solves ---------------------------------------------------

def cholesky(a, info) -> None:
    """a (batch, n, n) -> its lower Cholesky factor in place (only the lower triangle is
    read; the strict upper one becomes zeros); info (batch): 0 or the order of the first
    leading minor that is not positive definite (cuSOLVER potrf per matrix: the row-major
    lower triangle is the column-major upper one, factored as U^T U)."""
    nb, n = a._shape[0], a._shape[-1]
    if nb == 0:
        return
    cp = _cp()
    with _on(a):
        A, I = view(a), view(info)
        if n == 0:
            I[...] = 0
            return
        lib, handle = _cusolver()
        potrf_size, potrf = (_routine(lib, "potrf_bufferSize", A.dtype),
                             _routine(lib, "potrf", A.dtype))
        lwork = max(1, potrf_size(handle, _FILL_UPPER, n, A[0].data.ptr, n))
        work = cp.empty(lwork, A.dtype)
        dinfo = cp.empty((nb,), np.int32)
        for i in range(nb):
            potrf(handle, _FILL_UPPER, n, A[i].data.ptr, n, work.data.ptr, lwork,
                  dinfo[i:i + 1].data.ptr)
        A[...] = cp.where(cp.tri(n, n, 0, bool), A, 0)
        I[...] = dinfo


def triangular_solve(a, b, upper: bool, unit: bool) -> None:
    """b (batch, n, k) = T^-1 b for the upper or lower triangle T of a (batch, n, n); unit:
    T's diagonal taken as ones (cupyx.scipy.linalg.solve_triangular: cuBLAS trsmBatched).
    A zero on the diagonal gives inf/nan."""
    nb, n, k = b._shape
    if nb == 0 or n == 0 or k == 0:
        return
    with _on(b):
        B = view(b)
        B[...] = _cupyx_linalg().solve_triangular(view(a), B, lower=not upper,
                                                  unit_diagonal=unit, overwrite_b=False,
                                                  check_finite=False)


# ---- QR and least squares -------------------------------------------------------------

def qr(a, tau, q) -> None:
    """a (batch, m, n) -> R on and above the diagonal and the Householder vectors below it
    (LAPACK's geqrf layout), tau (batch, min(m, n)); unless q is None, q (batch, m, c) the
    first c columns of Q (c = min(m, n) or m). One cupy.linalg.qr per matrix: mode 'raw'
    for the reflectors, and 'reduced' or 'complete' for Q."""
    nb, m, n = a._shape
    if nb == 0:
        return
    cp = _cp()
    k = min(m, n)
    qc = q._shape[-1] if q is not None else 0
    with _on(a):
        A, T = view(a), view(tau)
        Q = view(q) if q is not None else None
        if k == 0:
            if Q is not None and qc:
                Q[...] = cp.eye(m, qc, dtype=A.dtype)
            return
        mode = "complete" if qc > k else "reduced"
        for i in range(nb):
            if Q is not None:
                Q[i] = cp.linalg.qr(A[i], mode=mode)[0]
            h, t = cp.linalg.qr(A[i], mode="raw")  # h: the factored matrix, transposed
            A[i] = h.T
            T[i] = t


def _qr_each(A, mode: str):
    """cupy.linalg.qr of each matrix of the stack A (nb, m, n): Q (nb, m, c), R (nb, c, n)."""
    cp = _cp()
    nb, m, n = A.shape
    c = m if mode == "complete" else min(m, n)
    Q, R = cp.empty((nb, m, c), A.dtype), cp.empty((nb, c, n), A.dtype)
    for i in range(nb):
        Q[i], R[i] = cp.linalg.qr(A[i], mode=mode)
    return Q, R


def _first_zero(d):
    """Per row of d (nb, p): 0, or the 1-based index of its first exact zero."""
    cp = _cp()
    zero = d == 0
    return cp.where(zero.any(-1), zero.argmax(-1) + 1, 0)


def lstsq(a, b, rcond: float, pivot: bool, rank_in, rank, residuals, info) -> None:
    """Least squares of a (batch, m, n) against b (batch, max(m, n), k): the solution
    comes back in b's first n rows, as em_lstsq.

    pivot = False (gels): a QR of a (m >= n) or of a^T (m < n, minimum-norm solution);
    info is the 1-based index of a zero on R's diagonal. pivot = True (gelsy, gelsd,
    gelss): the SVD; the rank is rank_in when given (per matrix), else the number of
    singular values above rcond * s_max; the minimum-norm solution at that rank.
    residuals (batch, k; may be None): ||b - A x||^2 per column when m > n (used by the
    ops only at full rank). A zero matrix gives a zero solution, rank 0 and info 0, as
    LAPACK's quick return."""
    nb, m, n = a._shape
    k = b._shape[-1]
    if nb == 0:
        return
    cp = _cp()
    with _on(a):
        A, B = view(a), view(b)
        R_out, I_out = view(rank), view(info)
        res = view(residuals) if residuals is not None else None
        R_out[...] = 0
        I_out[...] = 0
        if res is not None:
            res[...] = 0
        if m == 0 or n == 0:
            B[...] = 0
            return
        Bm = B[:, :m].copy()
        nonzero = (A != 0).any(-1).any(-1)
        solve = _cupyx_linalg().solve_triangular
        if not pivot:
            if m >= n:
                Qf, Rf = _qr_each(A, "reduced")  # Q (nb, m, n), R (nb, n, n)
                c = cp.matmul(Qf.swapaxes(-1, -2), Bm)
                x = solve(Rf, c, lower=False, check_finite=False) if k else c
                fit = cp.matmul(Qf, c)
            else:  # minimum norm: A^T = Q R, R^T y = b, x = Q y
                Qf, Rf = _qr_each(A.swapaxes(-1, -2), "reduced")  # Q (nb, n, m), R (nb, m, m)
                y = (solve(Rf.swapaxes(-1, -2), Bm, lower=True, check_finite=False) if k
                     else Bm)
                x = cp.matmul(Qf, y)
                fit = Bm
            I_out[...] = cp.where(nonzero, _first_zero(cp.diagonal(Rf, 0, 1, 2)), 0)
        else:
            U, s, Vh = cp.linalg.svd(A, full_matrices=False)  # U (nb, m, p), Vh (nb, p, n)
            p = s.shape[-1]
            if rank_in is not None:
                r = cp.minimum(view(rank_in), p)
            else:
                r = (s > max(float(rcond), 0.0) * s[:, :1]).sum(-1)
            r = cp.where(nonzero, r, 0)
            keep = cp.arange(p)[None, :] < r[:, None]
            s_inv = cp.where(keep, 1 / cp.where(keep, s, 1), 0).astype(A.dtype)
            c = cp.matmul(U.swapaxes(-1, -2), Bm)
            x = cp.matmul(Vh.swapaxes(-1, -2), s_inv[:, :, None] * c)
            fit = cp.matmul(U, c)
            R_out[...] = r
        if res is not None and m > n:
            res[...] = cp.where(nonzero[:, None], ((Bm - fit) ** 2).sum(-2), 0)
        B[:, :n] = cp.where(nonzero[:, None, None], x, 0)


# ---- SVD and the symmetric eigenproblem -----------------------------------------------

def svdvals(a, s) -> None:
    """s (batch, p) = the singular values, descending, of a (batch, p, q), p <= q."""
    nb, p, _ = a._shape
    if nb == 0 or p == 0:
        return
    with _on(a):
        view(s)[...] = _cp().linalg.svd(view(a), full_matrices=False, compute_uv=False)


def svd(a, s, u, vt) -> None:
    """a (batch, p, q), p <= q, = u diag(s) vt[:, :p]: s (batch, p) descending, u (batch,
    p, p), vt (batch, r, q) with r = p or q orthonormal rows (past p: a completed basis)
    (cupy.linalg.svd, batched: gesvdj or gesvd)."""
    nb, p, q = a._shape
    r = vt._shape[1]
    if nb == 0:
        return
    with _on(a):
        U, S, Vh = _cp().linalg.svd(view(a), full_matrices=r > p)
        view(s)[...] = S
        view(u)[...] = U
        view(vt)[...] = Vh[:, :r]


def eigh(a, w, v) -> None:
    """w (batch, n) ascending eigenvalues and, unless v is None, v (batch, n, n)
    eigenvectors as columns, of the symmetric matrices in a's lower triangles
    (cupy.linalg.eigh / eigvalsh with UPLO='L': syevd, or syevj for a batch)."""
    nb, n = a._shape[0], a._shape[-1]
    if nb == 0 or n == 0:
        return
    cp = _cp()
    with _on(a):
        A = view(a)
        if v is None:
            view(w)[...] = cp.linalg.eigvalsh(A, UPLO="L")
        else:
            W, V = cp.linalg.eigh(A, UPLO="L")
            view(w)[...] = W
            view(v)[...] = V


# ---- the general eigenproblem ----------------------------------------------------------

def eig_available() -> bool:
    """Whether this CuPy has cupy.linalg.eig (CuPy 14: cuSOLVER's Xgeev, CUDA 12.6 or
    later); without it ops/eigen.py raises NotImplementedError for CUDA tensors."""
    return hasattr(_cp().linalg, "eig")


def eig(a, w, v, info) -> None:
    """w (batch, n) eigenvalues and, unless v is None, v (batch, n, n) unit right
    eigenvectors (columns), complex, of the real matrices a (batch, n, n): cupy.linalg.eig
    (cuSOLVER Xgeev, which normalizes as LAPACK's geev) one matrix at a time. A matrix with
    a non-finite entry gets NaN results, as the CPU kernel; info is 0 (CuPy raises on a
    failed Xgeev itself)."""
    nb, n = a._shape[0], a._shape[-1]
    if nb == 0:
        return
    cp = _cp()
    with _on(a):
        A, W, I = view(a), view(w), view(info)
        V = view(v) if v is not None else None
        I[...] = 0
        if n == 0:
            return
        finite = cp.isfinite(A).all(axis=(1, 2)).get()
        for i in range(nb):
            if not finite[i]:
                W[i] = np.nan
                if V is not None:
                    V[i] = np.nan
                continue
            wi, vi = cp.linalg.eig(A[i])
            W[i] = wi.astype(W.dtype, copy=False)
            if V is not None:
                V[i] = vi.astype(V.dtype, copy=False)
