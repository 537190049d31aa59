"""Matrix functions built from matmul: ``linalg.matrix_exp``, ``linalg.matrix_power``
and ``linalg.householder_product``.

Both are compositions of differentiable ember ops (matmul, arithmetic), so autograd gives
their gradients (and double gradients) and they run on any device without kernels of
their own. They serve the orthogonal parametrization, whose matrices are small.

* ``matrix_exp`` scales ``A`` by ``2**-s`` until its 1-norm is at most 1, sums the Taylor
  series there to the dtype's precision (degree 18 for double, 12 otherwise: the first
  term left out is below the unit roundoff), then squares ``s`` times.
* ``householder_product`` applies the reflectors ``H_i = I - tau_i v_i v_i^H`` one by one
  (right to left) to the first columns of the identity, as LAPACK's orgqr does.
"""

from __future__ import annotations

import math

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.grad_mode import STATE
from ._util import pretty_dtype
from .creation import eye, zeros
from .elementwise import where


def _orgqr_kernel(A: Tensor, tau: Tensor) -> Tensor:
    """householder_product without a graph on the CPU: csrc/linalg.c's orgqr (the reflector
    code Householder QR forms its Q with)."""
    from .solve import _backend, _fresh
    batch, (m, n), k = tuple(A.shape[:-2]), tuple(A.shape[-2:]), tau.shape[-1]
    a = _fresh(A, batch, m, n)
    t = _fresh(tau.unsqueeze(-1), batch, k, 1).view(a.shape[0], k)
    q = _empty(a.shape, A.dtype, A.device)
    if q.numel():
        _backend(q).orgqr(a, t, q)
    return q.view(*A.shape)

__all__ = ["matrix_exp", "matrix_power", "householder_product"]


def matrix_exp(A: Tensor) -> Tensor:
    """Matrix exponential of a square matrix or a batch of them (torch.linalg.matrix_exp).

    Example:
        >>> ember.linalg.matrix_exp(ember.zeros(2, 2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 "
                           "dimensions.")
    n = A.shape[-1]
    if A.shape[-2] != n:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {n} matrices")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor "
                           f"as input. Got {pretty_dtype(A.dtype)}")
    if A.numel() == 0:
        return A.clone()
    ident = eye(n, dtype=A.dtype, device=A.device)
    # one scaling for the whole batch: the largest 1-norm (a detached host number)
    norm = float(A.detach().abs().sum(-2).amax())
    s = max(0, math.ceil(math.log2(norm))) if norm > 1 else 0
    X = A / (2 ** s) if s else A
    degree = 18 if A.dtype in (D.float64, D.complex128) else 12
    P = ident + X / degree  # Horner: I + X/1 (I + X/2 (... (I + X/degree)))
    for k in range(degree - 1, 0, -1):
        P = ident + (X @ P) / k
    for _ in range(s):
        P = P @ P
    return P


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A (a square matrix or a batch of them) to the integer power n by repeated squaring;
    n = 0 gives the identity, n < 0 powers of the inverse (torch.linalg.matrix_power).

    Example:
        >>> ember.linalg.matrix_power(ember.tensor([[1, 1], [0, 1]]), 5).tolist()
        [[1, 5], [0, 1]]
    """
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        # the identity, tied to A with a zero gradient as torch's is
        identity = eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(A.shape)
        return where(zeros(A.shape, dtype=D.bool_, device=A.device), A, identity)
    if n < 0:
        from .solve import inv
        A, n = inv(A), -n
    result, square = None, A
    while True:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if not n:
            break
        square = square @ square
    return result.clone() if result is A else result


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """First ``n`` columns of ``H_1 ... H_k`` for the reflectors stored below the diagonal
    of ``A`` (m x n, as geqrf returns them) and their scales ``tau`` (k <= n)
    (torch.linalg.householder_product).

    Example:
        >>> ember.linalg.householder_product(ember.zeros(3, 2), ember.tensor([2.0, 2.0]))
        tensor([[-1., -0.],
                [-0., -1.],
                [0., 0.]])
    """
    name = "torch.linalg.householder_product"
    if A.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    k = tau.shape[-1] if tau.dim() else 0
    if k > n:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{name}: tau dtype {pretty_dtype(tau.dtype)} does not match input "
                           f"dtype {pretty_dtype(A.dtype)}")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise NotImplementedError(f"\"orgqr_cpu\" not implemented for "
                                  f"'{pretty_dtype(A.dtype)}'")
    if (A.device.type == "cpu" and A.dtype in (D.float32, D.float64) and
            not (STATE.enabled and (A.requires_grad or tau.requires_grad))):
        return _orgqr_kernel(A, tau)
    Q = eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape)
    # v_i: zero above row i, one on it, A's column i below it
    V = A.tril(-1) + eye(m, n, dtype=A.dtype, device=A.device)
    for i in range(k - 1, -1, -1):
        v = V[..., :, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        Q = Q - (t * v) @ (v.mH @ Q)
    return Q
