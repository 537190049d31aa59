"""The general (nonsymmetric) eigenproblem: ``linalg.eig`` and ``linalg.eigvals``.

A real float32/float64 matrix (or batch) has complex eigenvalues and eigenvectors in
general, so the results are complex64/complex128 as torch's. On the CPU the C kernel
csrc/eig.c computes them: Householder reduction to Hessenberg form, Francis double-shift
QR to the real Schur form, back substitution for the eigenvectors of the quasi-triangular
form and the back-transformation, each vector scaled to unit 2-norm with (for a complex
pair) its largest component real, as LAPACK's geev. On CUDA, cuSOLVER's Xgeev through
CuPy's ``cupy.linalg.eig`` where CuPy has it (CuPy 14 with CUDA 12.6 or later); otherwise
CUDA tensors raise NotImplementedError naming the op.

Eigenvalues come in the order of the Schur form's diagonal (geev's order, but the Schur
form itself, hence the order, may differ from LAPACK's: ember does not balance), and
eigenvectors are unique only up to a complex phase (a sign for the real ones), so compare
them through ``A V = V diag(L)`` or up to phase. A matrix whose QR iteration does not
converge raises LinAlgError with torch's message; a non-finite input raises for ``eig``
(torch's error) and gives NaN eigenvalues from ``eigvals`` (as torch).

The backward is torch's: with ``E_ij = conj(L_j - L_i)`` off the diagonal,
``gA = V^-H (diag(gL) + (V^H gV - V^H V Re diag(V^H gV)) / E) V^H`` (its real part for a
real A), written with differentiable ember ops; the complex solve by ``V^H`` goes through
the equivalent real system of twice the order. A loss that depends on the eigenvectors'
phases is ill-defined and raises torch's error. Complex inputs are not supported yet.
"""

from __future__ import annotations

from collections import namedtuple

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import check_out, pretty_dtype
from .complex import complex as _complex
from .complex import imag, real
from .creation import full
from .join import cat, diag_embed
from .solve import LinAlgError, _dname, _fresh, _host, _int64, _kernels, _matrix, solve

__all__ = ["eig", "eigvals"]

eig_result = namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])


def _cdtype(d: D.dtype) -> D.dtype:
    return D.complex128 if d == D.float64 else D.complex64


def _checks(A: Tensor, op: str) -> None:
    """torch's errors, in its order: rank, dtype, squareness; then the device's kernels."""
    _matrix(A, op)
    d = A.dtype
    if d.is_complex:
        raise NotImplementedError(f"{op}: complex matrices are not supported by ember yet")
    if not d.is_floating_point:
        raise RuntimeError(f"Unknown Complex ScalarType for {_dname(d)}")
    if d in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"linalg_eig_out_cpu\" not implemented for '{_dname(d)}'")
    if A.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    backend = _kernels(op, A)
    if not hasattr(backend, "eig") or not backend.eig_available():
        raise NotImplementedError(f"{op}: not implemented for CUDA tensors in ember (this CuPy "
                                  "has no cuSOLVER Xgeev)")


def _eig_raw(A: Tensor, vectors: bool):
    """(eigenvalues, eigenvectors or None, info) of A (*, n, n), complex, without a graph."""
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    a = _fresh(A, batch, n, n)
    nb, cd = a.shape[0], _cdtype(A.dtype)
    w = _empty((nb, n), cd, A.device)
    v = _empty((nb, n, n), cd, A.device) if vectors else None
    info = _int64(nb, device=A.device)
    if nb and n:
        _kernels("linalg.eig", a).eig(a, w, v, info)
    else:
        info.zero_() if info.numel() else None
    return (w.view(*batch, n), v.view(*batch, n, n) if vectors else None, info)


def _check_converged(info: Tensor, batch: tuple, op: str) -> None:
    values = _host(info)
    bad = values.nonzero()[0]
    if bad.size:
        i = int(bad[0])
        where = f"(Batch element {i}): " if batch else ""
        raise LinAlgError(f"{op}: {where}The algorithm failed to converge because the input "
                          "matrix is ill-conditioned or has too many repeated eigenvalues "
                          f"(error code: {int(values[i])}).")


def _finite(A: Tensor) -> bool:
    return bool(A.detach().isfinite().all().item()) if A.numel() else True


# ---- complex helpers for the backward (on real and imaginary parts) ---------------------

def _ch(X: Tensor) -> Tensor:
    """The conjugate transpose X^H (differentiable)."""
    return _complex(real(X).mT, -imag(X).mT)


def _csolve(M: Tensor, B: Tensor) -> Tensor:
    """M^-1 B for complex M (*, n, n) and B (*, n, k) through the real system
    [[Mr, -Mi], [Mi, Mr]] [Xr; Xi] = [Br; Bi] (ember's solve is real)."""
    Mr, Mi, Br, Bi = real(M), imag(M), real(B), imag(B)
    n = M.shape[-1]
    big = cat([cat([Mr, -Mi], -1), cat([Mi, Mr], -1)], -2)
    X = solve(big, cat([Br, Bi], -2))
    return _complex(X.narrow(-2, 0, n), X.narrow(-2, n, n))


def _eig_backward(gL, gV, L: Tensor, V: Tensor, real_input: bool) -> Tensor:
    Vh = _ch(V)
    if gV is None:
        core = diag_embed(gL)
    else:
        VhgV = Vh @ gV
        d = VhgV.diagonal(0, -2, -1)
        if bool((imag(d).abs() > 1e-2 * (1 + real(d).abs())).any().item()):
            raise RuntimeError("linalg_eig_backward: The eigenvectors in the complex case are "
                               "specified up to multiplication by e^{i phi}. The specified "
                               "loss function depends on this quantity, so it is ill-defined.")
        # project onto the tangent space of unit vectors
        VhgV = VhgV - Vh @ (V * real(d).unsqueeze(-2))
        Lc = _complex(real(L), -imag(L))
        E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
        one = diag_embed(full(L.shape, 1.0, dtype=real(L).dtype, device=L.device))
        E = E + one  # diagonal: 1 (the diagonal of the quotient is replaced below)
        off = VhgV / E
        off = off - diag_embed(off.diagonal(0, -2, -1))
        core = off if gL is None else off + diag_embed(gL)
    gA = _csolve(Vh, core @ Vh)
    return real(gA) if real_input else gA


class Eig(Function):
    """Eigenvalues and eigenvectors of a real square A (complex results)."""

    _builtin = True
    node_name = "LinalgEigBackward0"

    @staticmethod
    def forward(ctx, A):
        L, V, info = _eig_raw(A, True)
        _check_converged(info, tuple(A.shape[:-2]), "linalg.eig")
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(L, V)
        ctx.real_input = not A.dtype.is_complex
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        if gL is None and gV is None:
            return None
        return _eig_backward(gL, gV, L, V, ctx.real_input)


def _outs(out, res, op: str, names):
    if out is None:
        return res
    if not isinstance(out, (tuple, list)) or len(out) != len(res):
        got = len(out) if isinstance(out, (tuple, list)) else 1
        raise TypeError(f"expected tuple of {len(res)} elements but got {got}")
    for o, r, name in zip(out, res, names):
        _castable(o, r, op, name)
        check_out(o, r, op)
    return type(res)(*out)


def _castable(o: Tensor, r: Tensor, op: str, name: str) -> None:
    if isinstance(o, Tensor) and not o.dtype.is_complex:
        raise RuntimeError(f"torch.{op}: Expected {name} to be safely castable from "
                           f"{pretty_dtype(r.dtype)} dtype, but got {name} with dtype "
                           f"{pretty_dtype(o.dtype)}")


def eig(A: Tensor, *, out=None):
    """Eigenvalues and right eigenvectors (the columns of ``eigenvectors``) of a real square
    matrix or of each in a batch, as complex tensors; each eigenvector has unit 2-norm
    (torch.linalg.eig). Eigenvectors are unique up to a complex phase only.

    Example:
        >>> ember.linalg.eig(ember.tensor([[0.0, -1.0], [1.0, 0.0]])).eigenvalues
        tensor([0.+1.j, 0.-1.j])
    """
    op = "linalg.eig"
    _checks(A, op)
    if not _finite(A):
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    if STATE.enabled and A.requires_grad:
        res = eig_result(*Eig.apply(A))
    else:
        L, V, info = _eig_raw(A, True)
        _check_converged(info, tuple(A.shape[:-2]), op)
        res = eig_result(L, V)
    return _outs(out, res, op, ("eigenvalues", "eigenvectors"))


def eigvals(A: Tensor, *, out=None) -> Tensor:
    """The eigenvalues of a real square matrix or of each in a batch, complex, in the order
    eig gives them (torch.linalg.eigvals). A non-finite matrix gives NaN eigenvalues.

    Example:
        >>> ember.linalg.eigvals(ember.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor([2.+0.j, 3.+0.j])
    """
    op = "linalg.eigvals"
    _checks(A, op)
    if STATE.enabled and A.requires_grad:
        L = Eig.apply(A)[0]
    else:
        L, _, info = _eig_raw(A, False)
        _check_converged(info, tuple(A.shape[:-2]), op)
    if out is not None:
        _castable(out, L, op, "eigenvalues")
        return check_out(out, L, op)
    return L
