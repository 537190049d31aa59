"""Randomized low-rank approximations: ``svd_lowrank`` and ``pca_lowrank``, as torch's.

Both follow Halko, Martinsson and Tropp (2009): multiply A by a random Gaussian (n, q)
matrix, orthonormalize the product (QR) and refine the basis with a few power
iterations (each one a product with A^H and one with A, orthonormalized again); the
small matrix Q^H A then gets an exact SVD. Everything is ember's matmul, linalg.qr and
linalg.svd, so batches, CUDA tensors and gradients come with them. The random matrix is
drawn from ember's generator: seed it (ember.manual_seed) for repeatable results; the
factors differ from torch's draw to draw, but on a matrix of rank at most q the products
U diag(S) V^H and the singular values agree.

Example:
    >>> A = ember.randn(50, 3) @ ember.randn(3, 40)
    >>> U, S, V = ember.svd_lowrank(A, q=5)
    >>> ember.allclose(U @ ember.diag_embed(S) @ V.mH, A, atol=1e-4)
    True
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from .decompositions import qr, svd
from .random import randn


def _random_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """Q with q orthonormal columns such that Q Q^H (A - M) approximates A - M, without
    forming A - M."""
    dtype = A.dtype if A.dtype.is_floating_point or A.dtype.is_complex else D.float32
    omega = randn(A.shape[-1], q, dtype=dtype, device=A.device)

    def times(X: Tensor, adjoint: bool = False) -> Tensor:
        # (A - M) X, or (A - M)^H X
        left = A.mH if adjoint else A
        product = left.matmul(X)
        if M is not None:
            product = product - (M.mH if adjoint else M).matmul(X)
        return product

    Q = qr(times(omega)).Q
    for _ in range(niter):
        Q = qr(times(Q, adjoint=True)).Q
        Q = qr(times(Q)).Q
    return Q


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,
                M: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """An approximate SVD (U, S, V) of A (*, m, n), or of A - M with M broadcast to A's
    shape: A ~ U diag(S) V^H with q columns in U (m, q) and V (n, q). q should slightly
    overestimate A's rank; niter power iterations sharpen the basis.

    Example:
        >>> U, S, V = ember.svd_lowrank(ember.randn(20, 2) @ ember.randn(2, 10), q=4)
        >>> U.shape, S.shape, V.shape
        (ember.Size([20, 4]), ember.Size([4]), ember.Size([10, 4]))
    """
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    # the random basis spans the columns: work on the tall one of A and A^H
    wide = m < n
    if wide:
        A = A.mH
        M = M.mH if M is not None else None
    Q = _random_basis(A, q, niter, M)
    B = Q.mH.matmul(A)
    if M is not None:
        B = B - Q.mH.matmul(M)
    U, S, Vh = svd(B, full_matrices=False)
    U, V = Q.matmul(U), Vh.mH
    return (V, S, U) if wide else (U, S, V)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """Principal component analysis of the rows of A (*, m, n) through svd_lowrank: V's
    columns are the principal directions, S**2 / (m - 1) the variances along them.
    center subtracts each column's mean first; q defaults to min(6, m, n).

    Example:
        >>> U, S, V = ember.pca_lowrank(ember.randn(100, 5), q=2)
        >>> V.shape
        ember.Size([5, 2])
    """
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(dim=(-2,), keepdim=True)
    return svd_lowrank(A, q, niter=niter)
