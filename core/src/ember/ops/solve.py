"""Dense solvers and factorizations: ``linalg.solve``, ``inv``, ``det``, ``slogdet``,
``cholesky``, ``solve_triangular``, ``lstsq`` (and the ``_ex`` forms), plus torch's
top-level ``inverse``, ``det``, ``logdet``, ``slogdet``, ``cholesky_solve`` and
``cholesky_inverse``.

Forwards run the kernels of the operands' device on fresh contiguous float32/float64
copies of the operands broadcast to their common batch: on the CPU the C kernels of
csrc/linalg.c (LU with partial pivoting, Cholesky, triangular substitution, Householder
QR, Jacobi singular values), on CUDA those of backends/cuda/linalg.py (cuSOLVER and cuBLAS
through CuPy; nothing is copied to the host). Operands on different devices raise torch's
error. Backwards are written with these same differentiable ops and matmul, so gradients
of gradients work. A factorization that fails on the input's values raises
``LinAlgError`` with torch's message. Complex and half-precision matrices are not
supported: those raise NotImplementedError naming the op.

``lstsq`` drivers (the default is torch's CPU one, ``gelsy``, on either device; on CUDA
the pivoted drivers solve through the SVD, see backends/cuda/linalg.py):

* ``gels``: Householder QR of ``A`` (``m >= n``) or of ``A^H`` (``m < n``, minimum-norm
  solution); ``A`` must have full rank, else ``LinAlgError`` as torch. ``rank`` and
  ``singular_values`` are empty; ``residuals`` when ``m > n``.
* ``gelsy``: QR with column pivoting; the rank counts the leading ``|R_ii|`` above
  ``rcond * |R_00|`` (LAPACK estimates the condition of ``R_11`` incrementally instead:
  the same rank unless a singular value sits at the threshold); a rank-deficient or
  wide problem is finished as the minimum-norm solution of ``[R_11 R_12] y = c``, as
  LAPACK's complete orthogonal factorization does. No residuals, as torch. torch's CPU
  gelsy does not pivot (it marks every column fixed for LAPACK), so where a leading
  column is zero or nearly dependent torch finds a smaller rank (0 for a zero first
  column, hence a zero solution); ember pivots and returns the minimum-norm solution
  (gelsd's) there. Full-rank inputs, and rank deficiency in trailing columns, agree.
* ``gelsd``/``gelss``: the singular values (one-sided Jacobi) give the rank
  (``s_i > rcond * s_max``), then the pivoted QR above solves with that rank; LAPACK
  solves through the SVD itself, which differs only for rank-deficient inputs (the
  solutions then agree to within the discarded singular values).

Gradients at exactly singular matrices (``det``'s cofactor case), and ``lstsq``'s at
rank-deficient ones, are not implemented: torch takes an SVD there.
"""

from __future__ import annotations

import math
from collections import namedtuple

from .. import _dtype as D
from .._device import CPU
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ..backends import cpu as _cpu
from ._util import broadcast_shapes, cast, check_out, device_of, pretty_dtype, result_type
from .creation import eye
from .join import diag_embed

__all__ = ["LinAlgError", "solve", "solve_ex", "inv", "inv_ex", "det", "slogdet", "logdet",
           "cholesky", "cholesky_ex", "solve_triangular", "cholesky_solve", "cholesky_inverse",
           "lstsq", "inverse"]

solve_ex_result = namedtuple("linalg_solve_ex", ["result", "info"])
inv_ex_result = namedtuple("linalg_inv_ex", ["inverse", "info"])
cholesky_ex_result = namedtuple("linalg_cholesky_ex", ["L", "info"])
slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (``torch._C._LinAlgError``): a solve or factorization
    failed on its input's values (a singular or non positive-definite matrix). A
    RuntimeError subclass, as torch's.

    Example:
        >>> try:
        ...     ember.linalg.inv(ember.zeros(2, 2))
        ... except ember.linalg.LinAlgError as e:
        ...     print(type(e).__name__, isinstance(e, RuntimeError))
        LinAlgError True
    """

    __module__ = "ember.linalg"  # where users name it


# ---- checks --------------------------------------------------------------------------

def _dname(d: D.dtype) -> str:
    """torch's name of a dtype in error messages."""
    return {D.complex64: "ComplexFloat", D.complex128: "ComplexDouble"}.get(d) or pretty_dtype(d)


def _matrix(t: Tensor, op: str, arg: str = "A") -> None:
    if t.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor {arg} must have at least 2 dimensions.")


def _square(A: Tensor, op: str) -> None:
    _matrix(A, op)
    if A.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _float(A: Tensor, op: str, kernel: str) -> None:
    """Float32/float64 only: torch's errors for integers and half types; complex is ours."""
    d = A.dtype
    if d.is_complex:
        raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
    if not d.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                           f"Got {_dname(d)}")
    if d in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_dname(d)}'")


def _same_dtype(A: Tensor, B: Tensor, op: str) -> None:
    if A.dtype != B.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of "
                           f"type {_dname(A.dtype)} and B of type {_dname(B.dtype)} instead")


def _kernels(op: str, *tensors: Tensor):
    """The linalg kernels for the operands' device: backends.cpu's C kernels, or
    backends.cuda.linalg's cuSOLVER ones for CUDA tensors (nothing moves between devices:
    operands on different devices raise torch's error)."""
    dev = device_of(*tensors)
    if dev.type == "cpu":
        return _cpu
    if dev.type == "cuda":
        from ..backends.cuda import linalg
        return linalg
    raise NotImplementedError(f"{op}: not implemented for '{dev.type}' tensors in ember")


def _backend(t: Tensor):
    """The linalg kernels for t's device (operands already checked by _kernels)."""
    return _kernels("linalg", t)


def _host(t: Tensor):
    """t's values as a NumPy array, to read an info that raises: CUDA infos are copied
    (a few integers, read only where the CPU path reads them too)."""
    return (t if t.device.type == "cpu" else t.cpu())._np()


# ---- buffers and errors ---------------------------------------------------------------

def _fresh(t: Tensor, batch: tuple, rows: int, cols: int) -> Tensor:
    """A new contiguous (prod(batch), rows, cols) copy of t broadcast to batch: the kernels
    overwrite their operands."""
    shape = batch + (rows, cols)
    out = _empty(shape, t._dtype, t.device)
    if out.numel():
        _backend(out).copy(t.detach().expand(*shape), out)
    return out.view(math.prod(batch), rows, cols)


def _int64(*shape, device=CPU) -> Tensor:
    """An int64 buffer on device: pivots, infos, ranks."""
    return _empty(shape, D.int64, device)


def _check_info(info: Tensor, batch: tuple, op: str, message) -> None:
    """Raises LinAlgError for the first matrix whose info is nonzero, as torch: the batch
    element is named when the input was batched."""
    values = _host(info)
    bad = values.nonzero()[0]
    if bad.size:
        i = int(bad[0])
        where = f"(Batch element {i}): " if batch else ""
        raise LinAlgError(f"{op}: {where}{message(int(values[i]))}")


def _lu(A: Tensor, batch: tuple):
    """(lu, piv, info) of A broadcast to batch; lu is (prod(batch), n, n)."""
    n = A.shape[-1]
    lu = _fresh(A, batch, n, n)
    piv, info = _int64(lu.shape[0], n, device=A.device), _int64(lu.shape[0], device=A.device)
    _backend(lu).lu_factor(lu, piv, info)
    return lu, piv, info


def _singular_solve(i: int) -> str:
    return "The solver failed because the input matrix is singular."


def _singular_inv(i: int) -> str:
    return (f"The diagonal element {i} is zero, the inversion could not be completed because "
            "the input matrix is singular.")


def _not_pd(i: int) -> str:
    return ("The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {i} is not positive-definite).")


def _not_full_rank(i: int) -> str:
    return ("The least squares solution could not be computed because the input matrix does "
            f"not have full rank (error code: {i}).")


# ---- autograd nodes ----------------------------------------------------------------------

class Solve(Function):
    """X = A^-1 B for A (*, n, n) and B (*, n, k) (batches broadcast); also info."""

    _builtin = True
    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B, check_errors):
        batch = broadcast_shapes(A.shape[:-2], B.shape[:-2])
        n, k = A.shape[-1], B.shape[-1]
        lu, piv, info = _lu(A, batch)
        if check_errors:
            _check_info(info, batch, "torch.linalg.solve", _singular_solve)
        X = _fresh(B, batch, n, k)
        _backend(lu).lu_solve(lu, piv, X)
        X = X.view(*batch, n, k)
        info = cast(info.view(*batch), D.int32)
        ctx.save_for_backward(A, X)
        return X, info

    @staticmethod
    def backward(ctx, gX, _ginfo):
        A, X = ctx.saved_tensors
        gB = Solve.apply(A.mH, gX, True)[0]
        gA = -(gB @ X.mH) if ctx.needs_input_grad[0] else None
        return gA, gB if ctx.needs_input_grad[1] else None, None


class Inv(Function):
    """A^-1 for A (*, n, n); also info."""

    _builtin = True
    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A, check_errors):
        batch, n = tuple(A.shape[:-2]), A.shape[-1]
        lu, piv, info = _lu(A, batch)
        if check_errors:
            _check_info(info, batch, "linalg.inv", _singular_inv)
        X = _fresh(eye(n, dtype=A.dtype, device=A.device), batch, n, n)
        _backend(lu).lu_solve(lu, piv, X)
        X = X.view(*batch, n, n)
        ctx.save_for_backward(X)
        return X, cast(info.view(*batch), D.int32)

    @staticmethod
    def backward(ctx, g, _ginfo):
        (X,) = ctx.saved_tensors
        return -(X.mH @ g @ X.mH), None


class Det(Function):
    _builtin = True
    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        batch = tuple(A.shape[:-2])
        lu, piv, _ = _lu(A, batch)
        det = _empty((lu.shape[0],), A.dtype, A.device)
        _backend(lu).lu_det(lu, piv, det, None, None)
        det = det.view(*batch)
        ctx.save_for_backward(A, det)
        return det

    @staticmethod
    def backward(ctx, g):
        A, det = ctx.saved_tensors
        if bool((det == 0).any()):
            raise NotImplementedError("linalg.det: the gradient at a singular matrix is not "
                                      "implemented in ember (torch computes it from an SVD)")
        # d det / dA = det A^-H
        return (g * det).unsqueeze(-1).unsqueeze(-1) * inv(A).mH


class Slogdet(Function):
    _builtin = True
    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        batch = tuple(A.shape[:-2])
        lu, piv, _ = _lu(A, batch)
        sign = _empty((lu.shape[0],), A.dtype, A.device)
        logabs = _empty((lu.shape[0],), A.dtype, A.device)
        _backend(lu).lu_det(lu, piv, None, sign, logabs)
        sign, logabs = sign.view(*batch), logabs.view(*batch)
        ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(A)
        return sign, logabs

    @staticmethod
    def backward(ctx, _gsign, glogabs):
        (A,) = ctx.saved_tensors
        # d log|det A| / dA = A^-H
        return glogabs.unsqueeze(-1).unsqueeze(-1) * inv(A).mH


class Cholesky(Function):
    """Lower L with L L^H = A, reading A's lower triangle; also info."""

    _builtin = True
    node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A, check_errors):
        batch, n = tuple(A.shape[:-2]), A.shape[-1]
        L = _fresh(A, batch, n, n)
        info = _int64(L.shape[0], device=A.device)
        _backend(L).cholesky(L, info)
        if check_errors:
            _check_info(info, batch, "linalg.cholesky", _not_pd)
        L = L.view(*batch, n, n)
        ctx.save_for_backward(L)
        return L, cast(info.view(*batch), D.int32)

    @staticmethod
    def backward(ctx, gL, _ginfo):
        (L,) = ctx.saved_tensors
        # dL = L tril_half(L^-1 dA L^-H) for symmetric dA, so with phi = tril_half(L^H gL)
        # (the lower triangle, diagonal halved) gA = L^-H phi L^-1, symmetrized.
        phi = L.mH @ gL
        phi = phi.tril() - 0.5 * diag_embed(phi.diagonal(0, -2, -1))
        gA = solve_triangular(L.mH, phi, upper=True)
        gA = solve_triangular(L, gA, upper=False, left=False)
        return 0.5 * (gA + gA.mH), None


class SolveTriangular(Function):
    """X = T^-1 B for the upper or lower triangle T of A (batches broadcast)."""

    _builtin = True
    node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, A, B, upper, unitriangular):
        batch = broadcast_shapes(A.shape[:-2], B.shape[:-2])
        n, k = A.shape[-1], B.shape[-1]
        a = _fresh(A, batch, n, n)
        X = _fresh(B, batch, n, k)
        _backend(a).triangular_solve(a, X, upper, unitriangular)
        X = X.view(*batch, n, k)
        ctx.save_for_backward(A, X)
        ctx.upper, ctx.unit = upper, unitriangular
        return X

    @staticmethod
    def backward(ctx, gX):
        A, X = ctx.saved_tensors
        upper, unit = ctx.upper, ctx.unit
        gB = SolveTriangular.apply(A.mH, gX, not upper, unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ X.mH)
            gA = gA.triu(1 if unit else 0) if upper else gA.tril(-1 if unit else 0)
        return gA, gB if ctx.needs_input_grad[1] else None, None, None


class CholeskySolve(Function):
    """X = A^-1 B from A's Cholesky factor (L lower, A = L L^H; or U upper, A = U^H U).

    The factor's gradient is torch's: that of X = (L L^H)^-1 B with every entry of L free
    (a full matrix, though the forward reads one triangle), so cholesky_inverse's too."""

    _builtin = True
    node_name = "CholeskySolveBackward0"

    @staticmethod
    def forward(ctx, B, L, upper):
        batch = broadcast_shapes(B.shape[:-2], L.shape[:-2])
        n, k = L.shape[-1], B.shape[-1]
        f = _fresh(L, batch, n, n)
        X = _fresh(B, batch, n, k)
        # A^-1 = L^-H L^-1, or U^-1 U^-H: two triangular solves in place
        if upper:
            f = _fresh(f.mT, (f.shape[0],), n, n)  # U^T, lower: solve U^T Y = B first
            _backend(f).triangular_solve(f, X, False, False)
            f = _fresh(f.mT, (f.shape[0],), n, n)
            _backend(f).triangular_solve(f, X, True, False)
        else:
            _backend(f).triangular_solve(f, X, False, False)
            f = _fresh(f.mT, (f.shape[0],), n, n)
            _backend(f).triangular_solve(f, X, True, False)
        X = X.view(*batch, n, k)
        ctx.save_for_backward(L, X)
        ctx.upper = upper
        return X

    @staticmethod
    def backward(ctx, gX):
        L, X = ctx.saved_tensors
        gB = CholeskySolve.apply(gX, L, ctx.upper)
        gL = None
        if ctx.needs_input_grad[1]:
            # dX = -A^-1 dA X with dA = dL L^H + L dL^H (or dU^H U + U^H dU)
            S = gB @ X.mH
            S = S + S.mH
            gL = -(L @ S) if ctx.upper else -(S @ L)
        return gB if ctx.needs_input_grad[0] else None, gL, None


class Lstsq(Function):
    """Least squares X = pinv(A) B for A (*, m, n), B (*, m, k) (batches broadcast), with
    torch's residuals, rank and singular values per driver."""

    _builtin = True
    node_name = "LinalgLstsqBackward0"

    @staticmethod
    def forward(ctx, A, B, rcond, driver):
        batch = broadcast_shapes(A.shape[:-2], B.shape[:-2])
        m, n, k = A.shape[-2], A.shape[-1], B.shape[-1]
        p, big = min(m, n), max(m, n)
        a = _fresh(A, batch, m, n)
        nb = a.shape[0]
        b = _empty(batch + (big, k), A.dtype, A.device)
        if nb and m and k:
            _backend(b).copy(B.detach().expand(*batch, m, k), b.narrow(-2, 0, m))
        b = b.view(nb, big, k)
        sv = rank_in = None
        if driver in ("gelsd", "gelss"):
            # rows of the p x q matrix (A or A^H) are what the Jacobi sweeps orthogonalize
            sv = _empty((nb, p), A.dtype, A.device)
            _backend(sv).svdvals(_fresh(A.mH if m > n else A, batch, p, big), sv)
            rank_in = (sv > rcond * sv.narrow(-1, 0, 1)).sum(-1) if p else None
        rank, info = _int64(nb, device=A.device), _int64(nb, device=A.device)
        res = _empty((nb, k), A.dtype, A.device) if m > n and driver != "gelsy" else None
        _backend(a).lstsq(a, b, rcond, driver != "gels", rank_in, rank, res, info)
        if driver == "gels":  # torch names the batch element only when A is a batch
            _check_info(info, batch if math.prod(A.shape[:-2]) > 1 else (),
                        "torch.linalg.lstsq", _not_full_rank)
        X = b.narrow(1, 0, n)
        X = (X.contiguous() if m > n else X).view(*batch, n, k)
        empty = _empty((0,), A.dtype, A.device)
        full_rank = driver == "gels" or (nb > 0 and bool((rank == n).all()))
        residuals = res.view(*batch, k) if res is not None and full_rank else empty
        a_batch = tuple(A.shape[:-2])  # rank and singular values are per matrix of A
        rank = (_of_batch(rank.view(*batch), a_batch) if driver != "gels"
                else _int64(0, device=A.device))
        sv = (_of_batch(sv.view(*batch, p), a_batch) if sv is not None
              else _empty((0,), A.dtype, A.device))
        ctx.mark_non_differentiable(sv)
        ctx.save_for_backward(A, B, X)
        ctx.rcond, ctx.driver = rcond, driver
        return X, residuals, rank, sv

    @staticmethod
    def backward(ctx, gX, gres, _grank, _gsv):
        A, B, X = ctx.saved_tensors
        m = A.shape[-2]
        ident = eye(m, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, m)
        P = Lstsq.apply(A, ident, ctx.rcond, ctx.driver)[0]  # pinv(A), differentiable
        gA = _pinv_backward(gX @ B.mH, P, A) if ctx.needs_input_grad[0] else None
        gB = P.mH @ gX if ctx.needs_input_grad[1] else None
        if gres is not None and gres.numel():
            # r = ||A X - B||^2 per column; at the optimum dr = 2 <A X - B, dA X - dB>
            R2 = 2 * (A @ X - B) * gres.unsqueeze(-2)
            gA = gA + R2 @ X.mH if gA is not None else None
            gB = gB - R2 if gB is not None else None
        return gA, gB, None, None


def _of_batch(t: Tensor, a_batch: tuple) -> Tensor:
    """t (broadcast batch + rest) cut down to a_batch + rest: the values along the dims A
    was broadcast over are copies, so the first one stands for all."""
    for d, size in enumerate(a_batch):
        if size == 1:
            t = t.narrow(d, 0, 1)
    return t.contiguous()


def _pinv_backward(G: Tensor, P: Tensor, A: Tensor) -> Tensor:
    """The gradient of pinv at A (P = pinv(A)) given G, the gradient of P, from
    dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P (Golub and Pereyra)."""
    Ph, Gh = P.mH, G.mH
    return (-(Ph @ G @ Ph) + (Gh - A @ (P @ Gh)) @ (P @ Ph)
            + (Ph @ P) @ (Gh - (Gh @ P) @ A))


# ---- public functions ----------------------------------------------------------------------

def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """torch's rule: B is a (batch of) vector(s) when 1-D or shaped as A without its last
    dim."""
    return B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _solve(A: Tensor, B: Tensor, left: bool, check_errors: bool):
    op = "linalg.solve"
    _matrix(A, op)
    _float(A, op, "lu")
    _same_dtype(A, B, op)
    _square(A, op)
    vector = _is_vector_rhs(A, B)
    B2 = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if left and B2.shape[-2] != n or not left and B2.shape[-1] != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B2.shape[-2]}x{B2.shape[-1]})")
    broadcast_shapes(B2.shape[:-2], A.shape[:-2])  # torch's error for batches that clash
    _kernels(op, A, B)
    if left:
        X, info = Solve.apply(A, B2, check_errors)
    else:  # X A = B  <=>  A^T X^T = B^T
        X, info = Solve.apply(A.mT, B2.mT, check_errors)
        X = X.mT
    return (X.squeeze(-1) if vector else X), info


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """The solution X of ``A X = B`` (``X A = B`` when ``left=False``) for square A; B may
    be a (batch of) vector(s). Batches broadcast (torch.linalg.solve).

    Example:
        >>> ember.linalg.solve(ember.tensor([[2.0, 0.0], [0.0, 4.0]]), ember.tensor([2.0, 2.0]))
        tensor([1.0000, 0.5000])
    """
    X = _solve(A, B, left, True)[0]
    return check_out(out, X, "linalg.solve") if out is not None else X


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None):
    """solve that also returns info (0, or the first zero pivot's 1-based index per matrix)
    and raises only with check_errors (torch.linalg.solve_ex).

    Example:
        >>> ember.linalg.solve_ex(ember.eye(2), ember.ones(2)).info
        tensor(0, dtype=ember.int32)
    """
    return solve_ex_result(*_solve(A, B, left, check_errors))


def _inv(A: Tensor, check_errors: bool):
    op = "linalg.inv"
    _matrix(A, op)
    if A.dtype in (D.float16, D.bfloat16):
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {_dname(A.dtype)}")
    _float(A, op, "lu")
    _square(A, op)
    _kernels(op, A)
    return Inv.apply(A, check_errors)


def inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of a square matrix or of each in a batch (torch.linalg.inv).

    Example:
        >>> ember.linalg.inv(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    X = _inv(A, True)[0]
    return check_out(out, X, "linalg.inv") if out is not None else X


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """inv that also returns info and raises only with check_errors (torch.linalg.inv_ex).

    Example:
        >>> ember.linalg.inv_ex(ember.zeros(2, 2)).info
        tensor(1, dtype=ember.int32)
    """
    return inv_ex_result(*_inv(A, check_errors))


def inverse(input: Tensor, *, out=None) -> Tensor:
    """torch.inverse: ember.linalg.inv under its older name.

    Example:
        >>> ember.inverse(ember.tensor([[4.0]]))
        tensor([[0.2500]])
    """
    return inv(input, out=out)


def _det_checks(A: Tensor, op: str) -> None:
    _matrix(A, op)
    _float(A, op, "lu")
    _square(A, op)
    _kernels(op, A)


def det(A: Tensor, *, out=None) -> Tensor:
    """Determinant of a square matrix or of each in a batch, from its LU factorization
    (torch.linalg.det, torch.det).

    Example:
        >>> ember.linalg.det(ember.tensor([[4.0, 2.0], [2.0, 3.0]]))
        tensor(8.)
    """
    _det_checks(A, "linalg.det")
    d = Det.apply(A)
    return check_out(out, d, "linalg.det") if out is not None else d


def slogdet(A: Tensor, *, out=None):
    """(sign, log|det|) of a square matrix or of each in a batch: stays finite where det
    would overflow (torch.linalg.slogdet, torch.slogdet).

    Example:
        >>> ember.linalg.slogdet(ember.tensor([[-2.0, 0.0], [0.0, 1.0]])).sign
        tensor(-1.)
    """
    _det_checks(A, "linalg.slogdet")
    return slogdet_result(*Slogdet.apply(A))


def logdet(input: Tensor) -> Tensor:
    """log det of a square matrix or of each in a batch: nan for a negative determinant,
    -inf for a zero one (torch.logdet).

    Example:
        >>> ember.logdet(ember.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(0.)
    """
    _det_checks(input, "logdet")
    sign, logabs = Slogdet.apply(input)
    return logabs.masked_fill(sign == -1, math.nan)


def _cholesky(A: Tensor, upper: bool, check_errors: bool):
    op = "linalg.cholesky"
    _matrix(A, op)
    _float(A, op, "cholesky")
    _square(A, op)
    _kernels(op, A)
    if not upper:
        return Cholesky.apply(A, check_errors)
    # U = L^H for the L of A^T: reads A's upper triangle, as LAPACK's potrf('U')
    L, info = Cholesky.apply(A.mT, check_errors)
    return L.mH, info


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """The Cholesky factor L (lower, ``L L^H = A``; or ``U = L^H`` with upper=True) of a
    symmetric positive-definite matrix; only the triangle of A on L's side is read
    (torch.linalg.cholesky).

    Example:
        >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    L = _cholesky(A, upper, True)[0]
    return check_out(out, L, "linalg.cholesky") if out is not None else L


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """cholesky that also returns info (0, or the order of the first leading minor that is
    not positive-definite) and raises only with check_errors (torch.linalg.cholesky_ex).

    Example:
        >>> ember.linalg.cholesky_ex(-ember.eye(2)).info
        tensor(1, dtype=ember.int32)
    """
    return cholesky_ex_result(*_cholesky(A, upper, check_errors))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False, out=None) -> Tensor:
    """The solution X of ``T X = B`` (``X T = B`` when ``left=False``) for the upper or
    lower triangle T of A; ``unitriangular`` takes T's diagonal as ones. Batches
    broadcast; a zero on T's diagonal gives inf/nan, as torch (torch.linalg.solve_triangular).

    Example:
        >>> A = ember.tensor([[2.0, 1.0], [0.0, 1.0]])
        >>> ember.linalg.solve_triangular(A, ember.tensor([[3.0], [1.0]]), upper=True)
        tensor([[1.],
                [1.]])
    """
    op = "linalg.solve_triangular"
    _matrix(A, op)
    _matrix(B, op, "B")
    _square(A, op)
    dtype = result_type(A, B)
    if not dtype.is_floating_point or dtype in (D.float16, D.bfloat16) or dtype.is_complex:
        _float(cast(A, dtype), op, "triangular_solve")
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for "
                                  f"'{_dname(dtype)}'")
    A, B = cast(A, dtype), cast(B, dtype)
    n = A.shape[-1]
    if left and B.shape[-2] != n or not left and B.shape[-1] != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    broadcast_shapes(B.shape[:-2], A.shape[:-2])
    _kernels(op, A, B)
    if left:
        X = SolveTriangular.apply(A, B, upper, unitriangular)
    else:  # X T = B  <=>  T^T X^T = B^T, and T^T is triangular on the other side
        X = SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT
    return check_out(out, X, op) if out is not None else X


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """The solution X of ``A X = B`` given the Cholesky factor of A (L lower with
    ``A = L L^H``, or U upper with ``A = U^H U`` when upper=True) (torch.cholesky_solve).

    Example:
        >>> L = ember.tensor([[2.0, 0.0], [1.0, 2.0]])
        >>> ember.cholesky_solve(L @ L.mT @ ember.ones(2, 1), L)
        tensor([[1.],
                [1.]])
    """
    if B.dim() < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B.dim()} dimensions "
                           "instead")
    if L.dim() < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {L.dim()} dimensions "
                           "instead")
    if B.dtype != L.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_dname(B.dtype)} and A of type {_dname(L.dtype)} instead.")
    if L.shape[-1] != L.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are "
                           f"{L.shape[-2]} by {L.shape[-1]} matrices")
    if L.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{L.shape[-1]} by {L.shape[-1]} but each b matrix is "
                           f"{B.shape[-2]} by {B.shape[-1]}")
    if not L.dtype.is_floating_point or L.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"cholesky_solve_cpu\" not implemented for "
                                  f"'{_dname(L.dtype)}'")
    broadcast_shapes(B.shape[:-2], L.shape[:-2])
    _kernels("cholesky_solve", B, L)
    X = CholeskySolve.apply(B, L, upper)
    return check_out(out, X, "cholesky_solve") if out is not None else X


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """The inverse of A from its Cholesky factor (L lower, or U upper when upper=True)
    (torch.cholesky_inverse).

    Example:
        >>> ember.cholesky_inverse(ember.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([[0.2500, 0.0000],
                [0.0000, 1.0000]])
    """
    op = "cholesky_inverse"
    _matrix(L, op)
    _square(L, op)
    n = L.shape[-1]
    ident = eye(n, dtype=L.dtype, device=L.device).expand(*L.shape)
    X = cholesky_solve(ident, L, upper)
    return check_out(out, X, op) if out is not None else X


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None):
    """Least-squares solution of ``A X = B`` for A (*, m, n) and B (*, m, k) or (*, m):
    (solution, residuals, rank, singular_values) as torch.linalg.lstsq, with what each
    driver computes (see the module docstring: gels, gelsy (default), gelsd, gelss).
    ``rcond`` (default: machine epsilon times max(m, n)) sets the rank threshold.

    Example:
        >>> A = ember.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> ember.linalg.lstsq(A, ember.tensor([1.0, 1.0, 2.0])).solution
        tensor([1.0000, 1.0000])
    """
    op = "torch.linalg.lstsq"
    if A.dim() < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if B.dim() < 1:
        raise RuntimeError(f"{op}: other must have at least 1 dimension.")
    if A.dtype != B.dtype:
        raise RuntimeError(f"{op}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_dname(A.dtype)} and other's dtype "
                           f"{_dname(B.dtype)}")
    if A.dtype not in (D.float32, D.float64):
        if A.dtype.is_complex:
            raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
        raise RuntimeError("This function doesn't handle types other than float and double")
    dim_diff = A.dim() - B.dim()
    if not 0 <= dim_diff <= 1:
        raise RuntimeError(f"{op}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = dim_diff == 1
    B2 = B.unsqueeze(-1) if vector else B
    if B2.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"{op}: input.size(-2) should match other.size(-2)")
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of "
                           f"({', '.join(_DRIVERS)})")
    broadcast_shapes(A.shape[:-2], B2.shape[:-2])
    _kernels(op, A, B)
    m, n = A.shape[-2], A.shape[-1]
    if rcond is None:
        rcond = (2.0 ** -52 if A.dtype == D.float64 else 2.0 ** -23) * max(m, n)
    X, residuals, rank, sv = Lstsq.apply(A, B2, float(rcond), driver)
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank, sv)
