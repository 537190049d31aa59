"""Matrix decompositions and what is built on them: ``linalg.qr``, ``svd``, ``svdvals``,
``eigh``, ``eigvalsh``, ``lu_factor``, ``lu_factor_ex``, ``lu``, ``lu_solve``, ``pinv``,
``matrix_rank``, ``cond``, plus the small compositions ``multi_dot``, ``vecdot``,
``vander``, ``diagonal``, ``tensorinv`` and ``tensorsolve``, and torch's packed Householder
forms ``geqrf``, ``orgqr`` and ``ormqr`` (LAPACK's layout: on the CPU the reflector code of
csrc/linalg.c's QR; with gradients, and on CUDA, ormqr applies the reflectors with
differentiable ops, as householder_product does).

The factorizations run the kernels of the operands' device (on the CPU the C kernels of
csrc/linalg.c, on CUDA cuSOLVER's through backends/cuda/linalg.py) on fresh contiguous
float32/float64 copies (Householder QR; one-sided Jacobi SVD; cyclic Jacobi for the symmetric
eigenproblem; LU with partial pivoting, square or rectangular; cuSOLVER's gesvd/gesvdj,
syevd/syevj, getrf and geqrf on CUDA). Singular and eigen
vectors are unique only up to sign, so they may differ from torch's (LAPACK's) by the
sign of a column; the values, reconstructions and gauge-invariant quantities agree.
``qr`` follows LAPACK's sign convention, so its Q and R match torch's.

Backwards are torch's formulas written with differentiable ember ops (matmul,
solve_triangular, tril/triu), so gradients of gradients work:

* svd: gradients of U and Vh need distinct singular values (and, for a rectangular A,
  nonzero ones), as in torch. With ``full_matrices=True`` the gradients of the columns of
  U (rows of Vh) past ``min(m, n)`` are ignored, as torch does: they span an arbitrary
  basis.
* eigh: gradients of the eigenvectors need distinct eigenvalues; the gradient is the full
  symmetric matrix, as torch's, though only one triangle of A is read.
* qr: ``mode='reduced'`` (any shape) and ``'complete'`` with ``m <= n``; ``'r'`` and
  ``'complete'`` with ``m > n`` raise torch's errors on backward.
* lu_factor/lu: square, tall and wide; lu_solve is a composition of triangular solves.
* pinv: Golub and Pereyra's formula for the derivative of the pseudoinverse (torch's),
  valid where the rank does not change.

As in ops/solve.py, the kernels are those of the operands' device (C on the CPU,
cuSOLVER through CuPy on CUDA), and complex and half-precision inputs are not supported.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import broadcast_shapes, cast, check_out, pretty_dtype
from .creation import eye, from_numpy, ones, zeros
from .elementwise import maximum, where
from .join import cat, diag_embed
from .linalg import matrix_norm
from .solve import (_backend, _dname, _host, _float, _fresh, _int64, _kernels, _matrix, _square,
                    inv_ex, solve, solve_triangular)

__all__ = ["qr", "svd", "svdvals", "eigh", "eigvalsh", "pinv", "matrix_rank", "cond",
           "lu_factor", "lu_factor_ex", "lu", "lu_solve", "multi_dot", "vecdot", "vander",
           "diagonal", "tensorinv", "tensorsolve", "geqrf", "orgqr", "ormqr"]

qr_result = namedtuple("linalg_qr", ["Q", "R"])
svd_result = namedtuple("linalg_svd", ["U", "S", "Vh"])
eigh_result = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
lu_factor_result = namedtuple("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
lu_result = namedtuple("linalg_lu", ["P", "L", "U"])
geqrf_result = namedtuple("geqrf", ["a", "tau"])

_QR_MODES = ("reduced", "complete", "r")


def _needs_grad(*tensors: Tensor) -> bool:
    return STATE.enabled and any(t.requires_grad for t in tensors)


def _eps(dtype: D.dtype) -> float:
    return 2.0 ** -52 if dtype == D.float64 else 2.0 ** -23


# ---- raw factorizations (no graph) ---------------------------------------------------------

def _svd_raw(A: Tensor, full_matrices: bool):
    """U, S, Vh of A (*, m, n) without a graph: the kernel orthogonalizes the rows of A (or of
    A^T when A is tall), so that the rows it works on are the shorter side."""
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k, big = min(m, n), max(m, n)
    tall = m > n
    a = _fresh(A.mT if tall else A, batch, k, big)
    nb = a.shape[0]
    s = _empty((nb, k), A.dtype, A.device)
    u = _empty((nb, k, k), A.dtype, A.device)
    vt = _empty((nb, big if full_matrices else k, big), A.dtype, A.device)
    _backend(a).svd(a, s, u, vt)
    if tall:  # A^T = u s vt  <=>  A = vt^T s u^T
        u, vt = vt.mT.contiguous(), u.mT.contiguous()
    return (u.view(*batch, *u.shape[1:]), s.view(*batch, k), vt.view(*batch, *vt.shape[1:]))


def _eigh_raw(A: Tensor, upper: bool, vectors: bool):
    """Eigenvalues (ascending) and eigenvectors (columns, or None) of the symmetric matrices
    whose lower (upper) triangles A holds, without a graph."""
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    # the kernel reads the lower triangle: A's upper one is A^T's lower
    a = _fresh(A.mT if upper else A, batch, n, n)
    w = _empty((a.shape[0], n), A.dtype, A.device)
    v = _empty(a.shape, A.dtype, A.device) if vectors else None
    _backend(a).eigh(a, w, v)
    return w.view(*batch, n), (v.view(*batch, n, n) if vectors else None)


def _lu_raw(A: Tensor):
    """(LU, 0-based int64 pivots, int64 info), batched as A, without a graph."""
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k = min(m, n)
    lu = _fresh(A, batch, m, n)
    piv, info = _int64(lu.shape[0], k, device=A.device), _int64(lu.shape[0], device=A.device)
    _backend(lu).lu_factor(lu, piv, info)
    return lu.view(*batch, m, n), piv.view(*batch, k), info.view(*batch)


def _permutation(piv0: Tensor, m: int, dtype: D.dtype) -> Tensor:
    """P with A = P L U for the row swaps piv0 (*, k) (0-based: row j swapped with piv0[j]
    at step j): column i of P is e_perm[i], where row i of P^T A is row perm[i] of A. On
    the CPU from NumPy; on CUDA the device's kernel builds it."""
    if piv0.device.type != "cpu":
        P = _empty(tuple(piv0.shape[:-1]) + (m, m), dtype, piv0.device)
        _backend(piv0).lu_permutation(piv0, P)
        return P
    piv0 = piv0._np()
    batch, k = piv0.shape[:-1], piv0.shape[-1]
    nb = math.prod(batch)
    flat = piv0.reshape(nb, k)
    perm = np.tile(np.arange(m), (nb, 1))
    rows = np.arange(nb)
    for j in range(k):
        pj = flat[:, j]
        held = perm[rows, j].copy()
        perm[rows, j] = perm[rows, pj]
        perm[rows, pj] = held
    P = np.zeros((nb, m, m), dtype=np.float64 if dtype == D.float64 else np.float32)
    P[rows[:, None], perm, np.arange(m)[None, :]] = 1
    return from_numpy(P.reshape(*batch, m, m))


# ---- SVD -----------------------------------------------------------------------------------

class SVD(Function):
    """A (*, m, n) = U diag(S) Vh, S descending."""

    _builtin = True
    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        U, S, Vh = _svd_raw(A, full_matrices)
        ctx.set_materialize_grads(False)  # which of gU, gS, gVh exist picks the formula
        ctx.save_for_backward(U, S, Vh)
        ctx.full = full_matrices
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        if ctx.full:  # the completed columns are an arbitrary basis: their gradients go
            U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
            gU = gU.narrow(-1, 0, k) if gU is not None else None
            gVh = gVh.narrow(-2, 0, k) if gVh is not None else None
        return _svd_backward(gU, gS, gVh, U, S, Vh), None


def _svd_backward(gU, gS, gVh, U, S, Vh):
    """The gradient of A = U diag(S) Vh (thin: U m x k, Vh k x n) from those of its factors.
    The part of gU and gVh along the factors gives a k x k core (with the skew-symmetric
    parts of U^T gU and Vh gVh^T divided by S_j^2 - S_i^2); the part of gU orthogonal to U
    (tall A) or of gVh orthogonal to Vh (wide A) enters through 1 / S."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (gS.unsqueeze(-1) * Vh)
    S_row, S_col = S.unsqueeze(-2), S.unsqueeze(-1)
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = E + diag_embed(ones(S.shape, dtype=S.dtype, device=S.device))  # no 0 / 0 on the diagonal
    core = 0
    if gU is not None:
        UgU = U.mH @ gU
        core = (UgU - UgU.mH) * S_row
    if gVh is not None:
        VgV = Vh @ gVh.mH
        core = core + S_col * (VgV - VgV.mH)
    core = core / E
    if gS is not None:
        core = core + diag_embed(gS)
    if m > n and gU is not None:
        gUS = gU / S_row
        return (U @ core + gUS - U @ (U.mH @ gUS)) @ Vh
    if m < n and gVh is not None:
        SgVh = gVh / S_col
        return U @ (core @ Vh + SgVh - (SgVh @ Vh.mH) @ Vh)
    return U @ core @ Vh


def _svd_checks(A: Tensor, driver: str | None, op: str = "linalg.svd") -> None:
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    _matrix(A, op)
    _float(A, op, "linalg_svd")
    _kernels(op, A)


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None, out=None):
    """Singular value decomposition ``A = U diag(S) Vh`` of a matrix or a batch: S descending;
    U (*, m, m) and Vh (*, n, n), or (*, m, k) and (*, k, n) with ``full_matrices=False``
    (k = min(m, n)). Singular vectors are unique up to sign only (torch.linalg.svd).

    Example:
        >>> ember.linalg.svd(ember.tensor([[3.0, 0.0], [0.0, -4.0]])).S
        tensor([4., 3.])
    """
    op = "linalg.svd"
    _svd_checks(A, driver, op)
    res = svd_result(*SVD.apply(A, bool(full_matrices)))
    return _outs(out, res, op)


def svdvals(A: Tensor, *, driver: str | None = None, out=None) -> Tensor:
    """The singular values of a matrix or of each in a batch, descending
    (torch.linalg.svdvals). Differentiable everywhere the singular values are (the
    gradient is ``U diag(gS) Vh``).

    Example:
        >>> ember.linalg.svdvals(ember.tensor([[0.0, 2.0], [1.0, 0.0]]))
        tensor([2., 1.])
    """
    op = "linalg.svd"
    _svd_checks(A, driver, op)
    if _needs_grad(A):
        S = SVD.apply(A, False)[1]
    else:
        batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
        k = min(m, n)
        a = _fresh(A.mT if m > n else A, batch, k, max(m, n))
        S = _empty((a.shape[0], k), A.dtype, A.device)
        _backend(a).svdvals(a, S)
        S = S.view(*batch, k)
    return check_out(out, S, "linalg.svdvals") if out is not None else S


def _outs(out, res, op: str):
    """Copies a tuple result into out's tensors, as torch's out= for several outputs."""
    if out is None:
        return res
    if len(out) != len(res):
        raise RuntimeError(f"{op}: expected out to be a tuple of {len(res)} tensors")
    for o, r in zip(out, res):
        check_out(o, r, op)
    return type(res)(*out)


# ---- symmetric eigendecomposition ----------------------------------------------------------

class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of symmetric A, reading one triangle."""

    _builtin = True
    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, upper):
        w, V = _eigh_raw(A, upper, True)
        ctx.set_materialize_grads(False)  # no eigenvector gradient: no 1 / (l_j - l_i)
        ctx.save_for_backward(w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        if gV is None:
            return (V @ (gw.unsqueeze(-1) * V.mH) if gw is not None else None), None
        # gA = V (diag(gw) + skew(V^T gV) / 2 / (w_j - w_i)) V^T: the off-diagonal core is
        # symmetric (skew over skew), so gA is too
        VgV = V.mH @ gV
        E = w.unsqueeze(-2) - w.unsqueeze(-1)
        E = E + diag_embed(ones(w.shape, dtype=w.dtype, device=w.device))
        core = 0.5 * (VgV - VgV.mH) / E
        if gw is not None:
            core = core + diag_embed(gw)
        return V @ core @ V.mH, None


def _uplo(UPLO: str) -> bool:
    """True for the upper triangle; torch's error for anything but 'L' or 'U'."""
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper() == "U"


def _eigh_checks(A: Tensor, op: str = "linalg.eigh") -> None:
    _matrix(A, op)
    if not A.dtype.is_floating_point or A.dtype in (D.float16, D.bfloat16):
        if A.dtype.is_complex:
            raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{_dname(A.dtype)}'")
    _square(A, op)
    _kernels(op, A)


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """Eigenvalues (ascending) and eigenvectors (the columns of ``eigenvectors``) of a real
    symmetric matrix or of each in a batch; only the lower (``UPLO='L'``) or upper triangle
    is read. Eigenvectors are unique up to sign only (torch.linalg.eigh).

    Example:
        >>> ember.linalg.eigh(ember.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    upper = _uplo(UPLO)
    _eigh_checks(A)
    return _outs(out, eigh_result(*Eigh.apply(A, upper)), "linalg.eigh")


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """The eigenvalues, ascending, of a real symmetric matrix or of each in a batch (one
    triangle read, as eigh) (torch.linalg.eigvalsh).

    Example:
        >>> ember.linalg.eigvalsh(ember.tensor([[2.0, 0.0], [0.0, -1.0]]))
        tensor([-1.,  2.])
    """
    upper = _uplo(UPLO)
    _eigh_checks(A)
    w = Eigh.apply(A, upper)[0] if _needs_grad(A) else _eigh_raw(A, upper, False)[0]
    return check_out(out, w, "linalg.eigvalsh") if out is not None else w


# ---- QR ------------------------------------------------------------------------------------

class QR(Function):
    """A (*, m, n) = Q R (Householder, LAPACK's signs)."""

    _builtin = True
    node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
        k = min(m, n)
        a = _fresh(A, batch, m, n)
        nb = a.shape[0]
        tau = _empty((nb, k), A.dtype, A.device)
        qc = m if mode == "complete" else k
        q = _empty((nb, m, qc), A.dtype, A.device) if mode != "r" else None
        _backend(a).qr(a, tau, q)
        rr = qc if mode == "complete" else k
        R = a.narrow(1, 0, rr).triu().view(*batch, rr, n)
        Q = q.view(*batch, m, qc) if q is not None else _empty((0,), A.dtype, A.device)
        ctx.save_for_backward(Q, R)
        ctx.mode = mode
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        # wide: A = [X | Y] with X = Q R1 (square) and R2 = Q^T Y, so Y's gradient is
        # Q gR2 and Q also carries Y gR2^T back into X's
        R1, R2 = R.narrow(-1, 0, m), R.narrow(-1, m, n - m)
        gR1, gR2 = gR.narrow(-1, 0, m), gR.narrow(-1, m, n - m)
        gQ = gQ + (Q @ R2) @ gR2.mH  # Q R2 = Y
        return cat([_qr_backward_tall(gQ, gR1, Q, R1), Q @ gR2], -1), None


def _qr_backward_tall(gQ, gR, Q, R):
    """The gradient of A (m x n, m >= n) = Q R, reduced. With W = dA R^-1, Q^T dQ is the
    skew matrix built from the strict lower triangle of Q^T W, and dR R^-1 the rest of
    Q^T W; collecting terms, gA = (gQ + Q N) R^-T where, for M = gR R^T - Q^T gQ, N keeps
    M's upper triangle and mirrors it into the lower one (N = triu(M) + tril(M^T, -1))."""
    M = gR @ R.mH - Q.mH @ gQ
    N = M.triu() + M.mH.tril(-1)
    return solve_triangular(R.mH, gQ + Q @ N, upper=False, left=False)


def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """QR decomposition ``A = Q R`` of a matrix or a batch: Q with orthonormal columns, R
    upper triangular, with LAPACK's signs (torch's). ``mode``: ``'reduced'`` (Q (*, m, k),
    R (*, k, n), k = min(m, n)), ``'complete'`` (Q (*, m, m), R (*, m, n)) or ``'r'`` (R
    only; Q empty) (torch.linalg.qr).

    Example:
        >>> ember.linalg.qr(ember.tensor([[3.0, 1.0], [4.0, 2.0]])).R
        tensor([[-5.0000, -2.2000],
                [ 0.0000,  0.4000]])
    """
    op = "linalg.qr"
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _matrix(A, op)
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{_dname(A.dtype)}'")
    _float(A, op, "geqrf")
    _kernels(op, A)
    return _outs(out, qr_result(*QR.apply(A, mode)), op)


# ---- LAPACK's packed Householder forms: geqrf, orgqr, ormqr --------------------------------

class Geqrf(Function):
    """(a, tau): R on and above the diagonal, the reflectors below it (torch.geqrf); it has
    no derivative, as in torch."""

    _builtin = True
    node_name = "GeqrfBackward0"

    @staticmethod
    def forward(ctx, A):
        return _geqrf_raw(A)

    @staticmethod
    def backward(ctx, ga, gtau):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


def _geqrf_raw(A: Tensor):
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k = min(m, n)
    a = _fresh(A, batch, m, n)
    tau = _empty((a.shape[0], k), A.dtype, A.device)
    if a.numel():
        _backend(a).qr(a, tau, None)
    return a.view(*batch, m, n), tau.view(*batch, k)


def geqrf(input: Tensor, *, out=None):
    """QR in LAPACK's packed form (torch.geqrf): ``a`` holds R on and above the diagonal
    and the Householder vectors (unit leading entry implied) below it, ``tau`` their
    scales, with H_j = I - tau_j v_j v_j^T and Q = H_0 ... H_{k-1}; see orgqr and ormqr.

    Example:
        >>> ember.geqrf(ember.tensor([[3.0, 1.0], [4.0, 2.0]])).tau
        tensor([1.6000, 0.0000])
    """
    op = "torch.geqrf"
    if input.dim() < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    d = input.dtype
    if d.is_complex:
        raise NotImplementedError("geqrf: complex matrices are not supported by ember yet")
    if not d.is_floating_point or d in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{_dname(d)}'")
    _kernels("geqrf", input)
    res = Geqrf.apply(input) if _needs_grad(input) else _geqrf_raw(input)
    return _outs(out, geqrf_result(*res), "geqrf")


def orgqr(input: Tensor, input2: Tensor) -> Tensor:
    """The explicit Q (m x n) of geqrf's reflectors: the same as
    ``linalg.householder_product(input, input2)`` (torch.orgqr)."""
    from .matrix_funcs import householder_product
    return householder_product(input, input2)


def _reflectors(A: Tensor) -> Tensor:
    """V (*, rows, cols): column j is v_j (zero above row j, one on it, A's column below)."""
    return A.tril(-1) + eye(A.shape[-2], A.shape[-1], dtype=A.dtype, device=A.device)


def _ormqr_composed(A: Tensor, tau: Tensor, C: Tensor, left: bool, transpose: bool) -> Tensor:
    """op(Q) C or C op(Q) with differentiable ops, one reflector at a time (for gradients
    and for CUDA tensors)."""
    V, k = _reflectors(A), tau.shape[-1]
    forward = transpose if left else not transpose
    for s in range(k):
        j = s if forward else k - 1 - s
        v = V[..., :, j:j + 1]
        t = tau[..., j:j + 1].unsqueeze(-1)
        C = C - (t * v) @ (v.mT @ C) if left else C - ((C @ v) * t) @ v.mT
    return C


def ormqr(input: Tensor, input2: Tensor, input3: Tensor, left: bool = True,
          transpose: bool = False, *, out=None) -> Tensor:
    """``op(Q) @ input3`` (left) or ``input3 @ op(Q)`` for Q = H_0 ... H_{k-1} given by
    geqrf's reflectors ``input`` and scales ``input2``, ``op(Q) = Q^T`` with ``transpose``;
    Q itself is never formed (torch.ormqr).

    Example:
        >>> a, tau = ember.geqrf(ember.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> ember.ormqr(a, tau, ember.eye(2))
        tensor([[-0.6000, -0.8000],
                [-0.8000,  0.6000]])
    """
    op = "torch.ormqr"
    A, tau, C = input, input2, input3
    if A.dim() < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if C.dim() < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if C.shape[side] != A.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{side}] must be equal to input.shape[-2]")
    k = tau.shape[-1] if tau.dim() else 1
    if k != min(C.shape[side], A.shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    if A.dim() - tau.dim() != 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.dim()} and input.ndim is equal to {A.dim()}")
    if A.dim() != C.dim():
        raise RuntimeError(f"{op}: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {C.dim()} and input.ndim is "
                           f"equal to {A.dim()}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tuple(C.shape[:-2]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of other to be equal to "
                           f"input.shape[:-2], but got {list(C.shape[:-2])}")
    for name, X in (("tau", tau), ("other", C)):
        if X.dtype != A.dtype:
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but "
                               f"input has dtype{pretty_dtype(A.dtype)} and {name} has dtype "
                               f"{pretty_dtype(X.dtype)}")
    d = A.dtype
    if d.is_complex:
        raise NotImplementedError("ormqr: complex matrices are not supported by ember yet")
    if not d.is_floating_point or d in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"ormqr_cpu\" not implemented for '{_dname(d)}'")
    _kernels("ormqr", A, tau, C)
    if _needs_grad(A, tau, C) or A.device.type != "cpu":
        res = _ormqr_composed(A, tau, C, left, transpose)
    else:
        batch = tuple(A.shape[:-2])
        a = _fresh(A, batch, A.shape[-2], A.shape[-1])
        t = _fresh(tau.unsqueeze(-1), batch, k, 1).view(a.shape[0], k)
        c = _fresh(C, batch, C.shape[-2], C.shape[-1])
        if c.numel():
            _backend(c).ormqr(a, t, c, left, transpose)
        res = c.view(*C.shape)
    return check_out(out, res, "ormqr") if out is not None else res


# ---- LU ------------------------------------------------------------------------------------

class LUFactor(Function):
    """A (*, m, n) = P L U, packed as LU; pivots (1-based int32) and info are not
    differentiable."""

    _builtin = True
    node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, A):
        lu, piv0, info = _lu_raw(A)
        P = _permutation(piv0, A.shape[-2], A.dtype)
        pivots = cast(piv0 + 1, D.int32)
        info = cast(info, D.int32)
        ctx.mark_non_differentiable(pivots, info)
        ctx.save_for_backward(lu, P)
        return lu, pivots, info

    @staticmethod
    def backward(ctx, gLU, _gpiv, _ginfo):
        LU, P = ctx.saved_tensors
        L, U = _unpack(LU)
        return _lu_backward(gLU, P, L, U)


def _unpack(LU: Tensor):
    """L (m x k, unit lower) and U (k x n, upper) from the packed m x n LU, differentiably."""
    m, n = LU.shape[-2], LU.shape[-1]
    k = min(m, n)
    L = LU.narrow(-1, 0, k).tril(-1) + eye(m, k, dtype=LU.dtype, device=LU.device)
    U = LU.narrow(-2, 0, k).triu()
    return L, U


def _lu_backward(gLU, P, L, U):
    """The gradient of A = P L U from that of the packed LU (gL below the diagonal, gU on and
    above). Square: P^T dA = dL U + L dU, so gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T))
    U^-T. Wide (U = [U1 U2]): U2 = L^-1 P^T A2 adds P L^-T gU2 for A2 and -gU2 U2^T to the
    square core. Tall (L = [L1; L2]): L2 = (P^T A)2 U^-1 adds gL2 U^-T and -L2^T gL2."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    gL, gU = _unpack_grad(gLU, k)
    if m == n:
        core = (L.mH @ gL).tril(-1) + (gU @ U.mH).triu()
        gA = solve_triangular(L.mH, core, upper=True, unitriangular=True)
        return P @ solve_triangular(U.mH, gA, upper=False, left=False)
    if m < n:
        U1, U2, gU1, gU2 = U.narrow(-1, 0, k), U.narrow(-1, k, n - k), gU.narrow(-1, 0, k), \
            gU.narrow(-1, k, n - k)
        core = (L.mH @ gL - gU2 @ U2.mH).tril(-1) + (gU1 @ U1.mH).triu()
        gA1 = solve_triangular(U1.mH, core, upper=False, left=False)
        gA = solve_triangular(L.mH, cat([gA1, gU2], -1), upper=True, unitriangular=True)
        return P @ gA
    L1, L2, gL1, gL2 = L.narrow(-2, 0, k), L.narrow(-2, k, m - k), gL.narrow(-2, 0, k), \
        gL.narrow(-2, k, m - k)
    core = (L1.mH @ gL1).tril(-1) + (gU @ U.mH - L2.mH @ gL2).triu()
    gA1 = solve_triangular(L1.mH, core, upper=True, unitriangular=True)
    gA = solve_triangular(U.mH, cat([gA1, gL2], -2), upper=False, left=False)
    return P @ gA


def _unpack_grad(gLU, k: int):
    """gL (m x k, strictly lower) and gU (k x n, upper) of the packed gradient."""
    return gLU.narrow(-1, 0, k).tril(-1), gLU.narrow(-2, 0, k).triu()


def _lu_checks(A: Tensor, pivot: bool, op: str) -> None:
    if A.dim() < 2:
        op = "torch.lu_factor" if "lu_factor" in op else op  # as torch names it here
        raise RuntimeError(f"{op}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if not A.dtype.is_floating_point or A.dtype in (D.float16, D.bfloat16):
        if A.dtype.is_complex:
            raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_dname(A.dtype)}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    _kernels(op, A)


def _check_pivots(info: Tensor, batch: tuple, op: str) -> None:
    """torch's error for the first matrix with a zero on U's diagonal: a plain RuntimeError
    (not LinAlgError, as torch), naming LAPACK's 1-based info as the index."""
    values = _host(info.reshape(-1))
    bad = values.nonzero()[0]
    if bad.size:
        b = int(bad[0])
        i = int(values[b])
        where_ = f"(Batch element {b}): " if batch else ""
        raise RuntimeError(f"{op}: {where_}U[{i},{i}] is zero and using it on lu_solve would "
                           "result in a division by zero. If you still want to perform the "
                           "factorization, consider calling linalg.lu(A, pivot) or "
                           "linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """LU factorization with partial pivoting of a matrix or a batch (m x n, any shape), as
    (LU, pivots, info): L (unit lower) and U packed in LU, pivots 1-based int32 row swaps
    (LAPACK's), info the 1-based index of the first zero pivot or 0; raises only with
    check_errors, with a RuntimeError as torch (torch.linalg.lu_factor_ex).

    Example:
        >>> ember.linalg.lu_factor_ex(ember.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots
        tensor([2, 2], dtype=ember.int32)
    """
    op = "torch.linalg.lu_factor_ex"
    _lu_checks(A, pivot, op)
    LU, pivots, info = LUFactor.apply(A)
    if check_errors:
        _check_pivots(info, tuple(A.shape[:-2]), op)
    return _outs(out, lu_factor_ex_result(LU, pivots, info), op)


def lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """LU factorization with partial pivoting, as (LU, pivots) (see lu_factor_ex); raises a
    RuntimeError, as torch, when U has a zero on its diagonal (torch.linalg.lu_factor).

    Example:
        >>> ember.linalg.lu_factor(ember.tensor([[1.0, 2.0], [3.0, 4.0]])).LU
        tensor([[3.0000, 4.0000],
                [0.3333, 0.6667]])
    """
    op = "torch.linalg.lu_factor"
    _lu_checks(A, pivot, op)
    LU, pivots, info = LUFactor.apply(A)
    _check_pivots(info, tuple(A.shape[:-2]), op)
    return _outs(out, lu_factor_result(LU, pivots), op)


def lu(A: Tensor, *, pivot: bool = True, out=None):
    """``A = P L U`` for a matrix or a batch (m x n): P a permutation matrix, L (m x k)
    unit lower triangular, U (k x n) upper triangular, k = min(m, n) (torch.linalg.lu).

    Example:
        >>> P, L, U = ember.linalg.lu(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> (P @ L @ U).tolist()
        [[1.0, 2.0], [3.0, 4.0]]
    """
    op = "linalg.lu"
    _lu_checks(A, pivot, op)
    LU, pivots, _ = LUFactor.apply(A)
    L, U = _unpack(LU)
    P = _permutation(cast(pivots, D.int64) - 1, A.shape[-2], A.dtype)
    return _outs(out, lu_result(P, L, U), op)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False, out=None) -> Tensor:
    """The solution X of ``A X = B`` (``X A = B`` when ``left=False``; ``A^H`` for A with
    ``adjoint=True``) from lu_factor's (LU, pivots) of A. Batches broadcast
    (torch.linalg.lu_solve).

    Example:
        >>> A = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> LU, piv = ember.linalg.lu_factor(A)
        >>> ember.linalg.lu_solve(LU, piv, A @ ember.ones(2, 1))
        tensor([[1.],
                [1.]])
    """
    op = "linalg.lu_solve"
    # torch's order of checks, so that each bad input gets torch's message
    if pivots.dtype != D.int32:
        raise RuntimeError(f"{op}: pivots should be a Tensor of scalar type torch.int32")
    if LU.dim() < 2:
        raise RuntimeError(f"torch.{op}: The input tensor A must have at least 2 dimensions.")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"{op}: Expected LU and B to have the same dtype, but found LU of "
                           f"type {_dname(LU.dtype)} and B of type {_dname(B.dtype)} instead")
    if LU.shape[-2] != LU.shape[-1]:
        raise RuntimeError(f"torch.{op}: A must be batches of square matrices, but they are "
                           f"{LU.shape[-2]} by {LU.shape[-1]} matrices")
    _matrix(B, op, "B")
    n = LU.shape[-1]
    if left and B.shape[-2] != n or not left and B.shape[-1] != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if pivots.dim() < 1 or pivots.shape[-1] != n:
        raise RuntimeError(f"{op}: Number of pivots per batch should be same as the dimension "
                           "of the matrix")
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise RuntimeError(f"{op}: Expected LU.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    _float(LU, op, "lu_solve")
    broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    _kernels(op, LU, pivots, B)
    piv0 = cast(pivots, D.int64) - 1
    if piv0.numel() and bool(((piv0 < 0) | (piv0 >= n)).any()):
        raise RuntimeError(f"{op}: pivots must be in the range [1, {n}]")
    P = _permutation(piv0, n, LU.dtype)
    L, U = _unpack(LU)
    # A = P L U: every case is two triangular solves and a permutation, all differentiable
    if left and not adjoint:  # X = U^-1 L^-1 P^T B
        X = solve_triangular(L, P.mT @ B, upper=False, unitriangular=True)
        X = solve_triangular(U, X, upper=True)
    elif left:  # A^H X = B: X = P L^-H U^-H B
        X = solve_triangular(U.mH, B, upper=False)
        X = P @ solve_triangular(L.mH, X, upper=True, unitriangular=True)
    elif not adjoint:  # X A = B: X = B U^-1 L^-1 P^T
        X = solve_triangular(U, B, upper=True, left=False)
        X = solve_triangular(L, X, upper=False, left=False, unitriangular=True) @ P.mT
    else:  # X A^H = B: X = B P L^-H U^-H
        X = solve_triangular(L.mH, B @ P, upper=True, left=False, unitriangular=True)
        X = solve_triangular(U.mH, X, upper=False, left=False)
    return check_out(out, X, op) if out is not None else X


# ---- pseudoinverse, rank, condition number -------------------------------------------------

def _tolerance(S_max: Tensor, atol, rtol, m: int, n: int, dtype: D.dtype) -> Tensor:
    """torch's threshold max(atol, rtol * S_max) (per matrix): rtol defaults to eps * max(m,
    n), or to 0 where only a positive atol is given."""
    def as_tensor(x):
        return x if isinstance(x, Tensor) else zeros((), dtype=dtype) + float(x)
    default = _eps(dtype) * max(m, n)
    if atol is None and rtol is None:
        return S_max * default
    a = as_tensor(0.0 if atol is None else atol)
    if rtol is None:
        r = where(a > 0, zeros((), dtype=dtype), zeros((), dtype=dtype) + default)
    else:
        r = as_tensor(rtol)
    return maximum(cast(a, dtype), cast(r, dtype) * S_max)


def _pinv_checks(A: Tensor, op: str) -> None:
    if A.dim() < 2 or A.dtype not in (D.float32, D.float64):
        if A.dtype.is_complex:
            raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
        raise RuntimeError(f"{op}({pretty_dtype(A.dtype)}{{{list(A.shape)}}}): expected a "
                           "tensor with 2 or more dimensions of float, double, cfloat or "
                           "cdouble types")
    _kernels(op, A)


class Pinv(Function):
    """The Moore-Penrose pseudoinverse, singular values (|eigenvalues| when hermitian) at or
    under the threshold tol (per matrix) taken as zero."""

    _builtin = True
    node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        m, n = A.shape[-2], A.shape[-1]
        if hermitian:
            w, V = _eigh_raw(A, False, True)
            S = w.abs()
            tol = _tolerance(S.amax(-1) if S.numel() else S.sum(-1), atol, rtol, m, n, A.dtype)
            w_inv = where(S > tol.unsqueeze(-1), 1 / w, zeros((), dtype=A.dtype))
            X = V @ (w_inv.unsqueeze(-1) * V.mH)
        else:
            U, S, Vh = _svd_raw(A, False)
            S_max = S.narrow(-1, 0, 1).squeeze(-1) if S.shape[-1] else S.sum(-1)
            tol = _tolerance(S_max, atol, rtol, m, n, A.dtype)
            S_inv = where(S > tol.unsqueeze(-1), 1 / S, zeros((), dtype=A.dtype))
            X = Vh.mH @ (S_inv.unsqueeze(-1) * U.mH)
        X = X.contiguous()
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, G):
        from .solve import _pinv_backward
        A, X = ctx.saved_tensors
        return _pinv_backward(G, X, A), None, None, None


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """The Moore-Penrose pseudoinverse of a matrix or of each in a batch, from its SVD (or,
    with ``hermitian=True``, the eigendecomposition of its lower triangle): singular values
    at or under ``max(atol, rtol * S_max)`` count as zero; rtol defaults to
    ``eps * max(m, n)``, or 0 where only a positive atol is given (torch.linalg.pinv).

    Example:
        >>> ember.linalg.pinv(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    op = "linalg.pinv"
    _pinv_checks(A, op)
    if hermitian:
        _square(A, "linalg.eigh")
    X = Pinv.apply(A, atol, rtol, bool(hermitian))
    return check_out(out, X, op) if out is not None else X


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None,
                out=None) -> Tensor:
    """The number of singular values (|eigenvalues| with ``hermitian=True``) above
    ``max(atol, rtol * S_max)``, per matrix, as int64; the thresholds default as pinv's.
    ``tol`` is torch's older spelling of atol (with rtol 0) (torch.linalg.matrix_rank).

    Example:
        >>> ember.linalg.matrix_rank(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    op = "torch.linalg.matrix_rank"
    if A.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor input must have at least 2 dimensions.")
    if A.dtype not in (D.float32, D.float64):
        if A.dtype.is_complex:
            raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    m, n = A.shape[-2], A.shape[-1]
    A = A.detach()
    if hermitian:
        _eigh_checks(A)
        S = _eigh_raw(A, False, False)[0].abs()
        S_max = S.amax(-1) if S.shape[-1] else S.sum(-1)
    else:
        S = svdvals(A)
        S_max = S.narrow(-1, 0, 1).squeeze(-1) if S.shape[-1] else S.sum(-1)
    tol_t = _tolerance(S_max, atol, rtol, m, n, A.dtype)
    r = (S > tol_t.unsqueeze(-1)).sum(-1)
    return check_out(out, r, "linalg.matrix_rank") if out is not None else r


_COND_NORMS = (1, -1, math.inf, -math.inf, "fro", "nuc")


def cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """The condition number of a matrix or of each in a batch in the norm p: the ratio of
    the extreme singular values for p = None/2 (largest over smallest) or -2, any shape;
    ``norm(A, p) * norm(inv(A), p)`` for p in 1, -1, inf, -inf, 'fro', 'nuc' (square A;
    inf where A is exactly singular, except for 'nuc', which is computed from the singular
    values, as torch's) (torch.linalg.cond).

    Example:
        >>> ember.linalg.cond(ember.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    op = "linalg.cond"
    if A.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor must have at least 2 dimensions.")
    if not isinstance(p, str) and p is not None and p not in (2, -2) + _COND_NORMS:
        raise RuntimeError(f"{op} got an invalid norm type: {p}")
    if p is None or p in (2, -2) and not isinstance(p, str):
        S = svdvals(A)
        if S.shape[-1] == 0:
            r = zeros(S.shape[:-1], dtype=A.dtype, device=A.device)
        else:
            big, small = S.narrow(-1, 0, 1), S.narrow(-1, S.shape[-1] - 1, 1)
            r = (small / big if p == -2 else big / small).squeeze(-1)
        return check_out(out, r, op) if out is not None else r
    if A.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{op}(ord={p}): A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if p not in _COND_NORMS:
        raise RuntimeError(f"{op} got an invalid norm type: {p}")
    if A.shape[-1] == 0:
        r = zeros(A.shape[:-2], dtype=A.dtype, device=A.device)
    elif p == "nuc":  # the singular values of A^-1 are A's reciprocals (torch's route too)
        S = svdvals(A)
        r = S.sum(-1) * (1 / S).sum(-1)
    else:
        Ainv, info = inv_ex(A)
        r = matrix_norm(A, p) * matrix_norm(Ainv, p)
        r = where(info > 0, zeros((), dtype=r.dtype) + math.inf, r)
    return check_out(out, r, op) if out is not None else r


# ---- compositions ------------------------------------------------------------------------

def _chain_order(dims: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (the textbook matrix
    chain dynamic programme over the dims d_0 x d_1, d_1 x d_2, ...)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def multi_dot(tensors, *, out=None) -> Tensor:
    """The product of two or more matrices, multiplied in the order that costs the fewest
    scalar multiplications; the first may be a row vector and the last a column vector (1-D
    tensors), which are dropped from the result's shape (torch.linalg.multi_dot).

    Example:
        >>> ember.linalg.multi_dot([ember.ones(2), ember.ones(2, 3), ember.ones(3)])
        tensor(6.)
    """
    op = "multi_dot()"
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"{op}: expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    if first.dim() not in (1, 2):
        raise RuntimeError(f"{op}: the first tensor must be 1D or 2D but got {first.dim()}D")
    if last.dim() not in (1, 2):
        raise RuntimeError(f"{op}: the last tensor must be 1D or 2D but got {last.dim()}D")
    for i in range(1, n - 1):
        if tensors[i].dim() != 2:
            raise RuntimeError(f"{op}: tensor {i} must be 2D but got {tensors[i].dim()}D")
    for i in range(1, n):
        if tensors[i].dtype != first.dtype:
            raise RuntimeError(f"{op}: all tensors must have be the same dtype but tensor 0 is "
                               f"{_cname(first.dtype)} and tensor {i} {_cname(tensors[i].dtype)}")
    mats = list(tensors)
    mats[0] = first.unsqueeze(0) if first.dim() == 1 else first
    mats[-1] = last.unsqueeze(-1) if last.dim() == 1 else last
    for i in range(n - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"{op}: tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    dims = [mats[0].shape[0]] + [t.shape[1] for t in mats]
    split = _chain_order(dims)

    def product(i, j):
        if i == j:
            return mats[i]
        s = split[i][j]
        return product(i, s) @ product(s + 1, j)
    r = product(0, n - 1)
    if first.dim() == 1:
        r = r.squeeze(0)
    if last.dim() == 1:
        r = r.squeeze(-1)
    return check_out(out, r, "linalg.multi_dot") if out is not None else r


def _cname(d: D.dtype) -> str:
    """The C type name torch's multi_dot prints for a dtype."""
    return {D.float32: "float", D.float64: "double", D.int64: "long int", D.int32: "int",
            D.int16: "short int", D.int8: "signed char", D.uint8: "unsigned char"}.get(
                d, pretty_dtype(d))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """The dot product of x and y along dim, their other dims broadcast
    (torch.linalg.vecdot).

    Example:
        >>> ember.linalg.vecdot(ember.tensor([[1.0, 2.0], [3.0, 4.0]]), ember.ones(2))
        tensor([3., 7.])
    """
    op = "linalg.vecdot"
    if x.dtype != y.dtype:
        raise RuntimeError(f"{op}: Expected x and y to have the same dtype, but found x of type "
                           f"{_dname(x.dtype)} and y of type {_dname(y.dtype)} instead")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_dname(x.dtype)}")
    r = ((x.conj() if x.dtype.is_complex else x) * y).sum(dim)
    return check_out(out, r, op) if out is not None else r


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x (*, n): (*, n, N) with columns x^0, x^1, ..., x^(N-1);
    N defaults to n (torch.linalg.vander).

    Example:
        >>> ember.linalg.vander(ember.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [1, 2, 4],
                [1, 3, 9]])
    """
    if x.dtype == D.bool_:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           "tensors, but got Bool")
    if x.dim() < 1:
        raise RuntimeError("N must be greater than 1.")
    if N is None:
        N = x.shape[-1]
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)
    return cat([ones(*x.shape, 1, dtype=powers.dtype, device=x.device), powers], -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal (offset above it, or below for negative offsets) of the matrices formed
    by dims dim1 and dim2, as a view; defaults suited to batches of matrices
    (torch.linalg.diagonal).

    Example:
        >>> ember.linalg.diagonal(ember.tensor([[1, 2], [3, 4]]))
        tensor([1, 4])
    """
    return A.diagonal(offset, dim1, dim2)


def tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """The inverse of A for tensordot over its first ind dims: A reshaped to a
    prod(shape[:ind]) x prod(shape[ind:]) matrix (square), inverted, shaped
    shape[ind:] + shape[:ind] (torch.linalg.tensorinv).

    Example:
        >>> ember.linalg.tensorinv(ember.eye(4).reshape(4, 2, 2), ind=1).shape
        ember.Size([2, 2, 4])
    """
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    from .solve import inv
    r = inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])
    return check_out(out, r, "linalg.tensorinv") if out is not None else r


def tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """The X with ``tensordot(A, X, X.ndim) = B``: A's leading B.ndim dims against B, its
    rest X's shape; dims (of A) are moved to the end first (torch.linalg.tensorsolve).

    Example:
        >>> ember.linalg.tensorsolve(ember.eye(6).reshape(2, 3, 6), ember.ones(2, 3)).shape
        ember.Size([6])
    """
    if dims is not None:
        dims = [dims] if isinstance(dims, int) else list(dims)
        A = A.movedim(dims, list(range(A.dim() - len(dims), A.dim())))
    k = B.dim()
    rows, cols = math.prod(A.shape[k:]), B.numel()
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:])"
                           f" == prod(self.shape[:other.ndim]), but got {rows} != {cols}")
    r = solve(A.reshape(cols, rows), B.reshape(cols)).reshape(*A.shape[k:])
    return check_out(out, r, "linalg.tensorsolve") if out is not None else r


# ---- torch's older top-level forms -----------------------------------------------------
# Kept by torch for old programs, with their own argument orders and result fields.

svd_legacy_result = namedtuple("svd", ["U", "S", "V"])
qr_legacy_result = namedtuple("qr", ["Q", "R"])
triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
lu_unpack_result = namedtuple("lu_unpack", ["P", "L", "U"])


def svd_legacy(input: Tensor, some: bool = True, compute_uv: bool = True):
    """(U, S, V) with V, not its transpose (torch.svd); without compute_uv, U and V are
    zeros of shapes (m, m) and (n, n)."""
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        return svd_legacy_result(zeros(*batch, m, m, dtype=input.dtype, device=input.device),
                                 svdvals(input),
                                 zeros(*batch, n, n, dtype=input.dtype, device=input.device))
    U, S, Vh = svd(input, full_matrices=not some)
    return svd_legacy_result(U, S, Vh.mH)


def qr_legacy(input: Tensor, some: bool = True):
    """torch.qr: the reduced factorization, or the complete one with some=False."""
    return qr_legacy_result(*qr(input, "reduced" if some else "complete"))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse, singular values under rcond times the largest counted as zero."""
    return pinv(input, rtol=rcond)


def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False):
    """torch.lu: (LU, pivots), and the infos with get_infos."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return LU, pivots, info
    _check_pivots(info, tuple(A.shape[:-2]), "lu")
    return LU, pivots


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """torch.lu_solve: the right-hand side first."""
    return lu_solve(LU_data, LU_pivots, b)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True):
    """(P, L, U) from lu_factor's packed result; a part not unpacked comes back empty."""
    empty = zeros(0, dtype=LU_data.dtype, device=LU_data.device)
    L, U = _unpack(LU_data) if unpack_data else (empty, empty)
    P = (_permutation(cast(LU_pivots, D.int64) - 1, LU_data.shape[-2], LU_data.dtype)
         if unpack_pivots else empty)
    return lu_unpack_result(P, L, U)


def cholesky_legacy(input: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky: the lower factor, or the upper one with upper=True."""
    from .solve import cholesky
    return cholesky(input, upper=upper)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False):
    """torch.triangular_solve: (X with op(A) X = b, a copy of A), op transposing with
    transpose."""
    from .solve import solve_triangular
    T = A.mT if transpose else A
    X = solve_triangular(T, b, upper=upper != transpose, unitriangular=unitriangular)
    return triangular_solve_result(X, A.clone())


def vander_legacy(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """torch.vander: powers decreasing along each row unless increasing."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is not None and N < 0:
        raise RuntimeError("N must be non-negative.")
    powers = vander(x, N=N)
    return powers if increasing else powers.flip(-1)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of the matrices in the cheapest order (torch's older multi_dot)."""
    return multi_dot(list(matrices))


def nuclear_norm(input: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """The sum of the singular values over the two dims (torch.nuclear_norm(input, keepdim)
    takes keepdim second when dim is left out)."""
    if isinstance(dim, bool):
        dim, keepdim = (-2, -1), dim
    return matrix_norm(input, "nuc", dim, keepdim)
