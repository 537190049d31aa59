"""Ready-made parametrizations (torch.nn.utils.parametrizations), built on parametrize:
weight_norm, spectral_norm and orthogonal.

Example:
    >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(20, 40))
    >>> sorted(m.state_dict())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

import ember

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.matrix_funcs import householder_product, matrix_exp
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from . import parametrize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """weight = g * v / ||v||, from (original0, original1) = (g, v)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalization as a parametrization: ``module.<name>`` is recomputed on each
    access from ``parametrizations.<name>.original0`` (magnitude g, the norm over every dim
    but ``dim``) and ``original1`` (direction v). State dicts of the hook-based
    ``nn.utils.weight_norm`` (keys ``<name>_g``/``<name>_v``) load into it.

    Example:
        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape
        ember.Size([40, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ---- spectral_norm ---------------------------------------------------------------------


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of weight (as a matrix over dim)
    estimated by power iteration on the buffers ``_u`` and ``_v``."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:  # a vector is normalized exactly, without power iteration
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # start from a good estimate of the singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # u and v are updated in place (torch's out=): replicas sharing the buffers see the
        # new estimate, and forward clones them before use so that a graph built by an
        # earlier forward keeps the values it saved
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(ember.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(ember.mv(weight_mat.mH, self._u), dim=0,
                                          eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = ember.vdot(u, ember.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Spectral normalization as a parametrization: ``module.<name>`` is the original
    (``parametrizations.<name>.original``) divided by its largest singular value, estimated
    by ``n_power_iterations`` steps of power iteration on the buffers
    ``parametrizations.<name>.0._u``/``_v`` at every access in training mode (none in eval
    mode). ``dim`` defaults to 1 for transposed convolutions, else 0.

    Example:
        >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(20, 40))
        >>> [k for k in m.state_dict() if k.endswith(("_u", "_v"))]
        ['parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---- orthogonal ------------------------------------------------------------------------


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _is_orthogonal(Q: Tensor) -> bool:
    n, k = Q.shape[-2], Q.shape[-1]
    ident = ember.eye(k, dtype=Q.dtype, device=Q.device)
    eps = 10.0 * n * ember.finfo(Q.dtype).eps
    return ember.allclose(Q.mH @ Q, ident, atol=eps)


def _host(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().cpu())


def _signs(d: np.ndarray) -> np.ndarray:
    """sgn of the diagonal of R: d / |d|, and 0 where d is 0 (torch's sgn)."""
    mag = np.abs(d)
    return np.where(mag == 0, 0, d / np.where(mag == 0, 1, mag))


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q factor of the tall A = QR with diag(R) real and non-negative."""
    # a QR when the parametrization is registered or assigned to (never in forward):
    # LAPACK's through numpy on the host, as nn.init.orthogonal_ does
    q, r = np.linalg.qr(_host(A))
    q = q * _signs(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    return ember.tensor(q, dtype=A.dtype, device=A.device)


def _householder_reflectors(Q: Tensor) -> Tensor:
    """geqrf's reflectors of the tall Q, the diagonal replaced by diag(R)'s signs."""
    h, tau = np.linalg.qr(_host(Q), mode="raw")  # LAPACK geqrf, stored transposed
    a = np.array(np.swapaxes(h, -1, -2))
    diag = np.diagonal(a, axis1=-2, axis2=-1)
    # LAPACK leaves tau = 0 when it skips a reflection: that column keeps R's sign flipped
    signs = np.sign(diag) * np.where(tau == 0.0, -1, 1)
    idx = np.arange(diag.shape[-1])
    a[..., idx, idx] = signs
    return ember.tensor(a, dtype=Q.dtype, device=Q.device)


def _cayley(A: Tensor) -> Tensor:
    """(I - A/2)^-1 (I + A/2) for skew-symmetric A, by Gauss-Jordan elimination.

    No pivoting: the symmetric part of I - A/2 is the identity (A is skew), so every
    pivot has a real part of at least 1 and elimination is stable as it stands. Built from
    differentiable ops, so autograd differentiates it on any device.
    """
    n = A.shape[-1]
    ident = ember.eye(n, dtype=A.dtype, device=A.device)
    M = ember.cat([ident - A / 2, (ident + A / 2).expand(*A.shape)], dim=-1)
    for j in range(n):
        row = M[..., j:j + 1, :] / M[..., j:j + 1, j:j + 1]
        # rows i != j lose M[i, j] times the pivot row; row j becomes the pivot row
        M = M - (M[..., :, j:j + 1] - ident[:, j:j + 1]) * row
    return M[..., n:]


class _Orthogonal(Module):
    """An orthogonal (or unitary) matrix, or batch of them, from an unconstrained one through
    the matrix exponential, the Cayley map or Householder reflectors; with
    ``use_trivialization`` it is multiplied by the buffer ``base`` (dynamic trivialization)."""

    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # n*k - k(k-1)/2 parameters: the lower triangle, embedded in a square matrix
            X = X.tril()
            if n != k:
                X = ember.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH  # skew-symmetric (skew-Hermitian)
            Q = matrix_exp(A) if self.orthogonal_map == _OrthMaps.matrix_exp else _cayley(A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            # X's diagonal holds the signs (+-1): no gradient flows into it
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        with no_grad():
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the "
                        "Cayley parametrizations when use_trivialization=False.")
                A = _householder_reflectors(Q)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q to an n x n orthogonal matrix
                N = ember.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype,
                                device=Q.device)
                Q = _make_orthogonal(ember.cat([Q, N], dim=-1))
            self.base = Q
            # -Id: the Householder map of zeros with these signs is the identity
            neg_id = ember.zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Makes ``module.<name>`` (a matrix or a batch of matrices) orthogonal: orthonormal
    columns if it is tall, orthonormal rows if it is wide. ``orthogonal_map`` is
    ``"matrix_exp"`` (default for square matrices), ``"cayley"`` or ``"householder"``
    (default otherwise). With ``use_trivialization`` the matrix starts at the original
    (orthogonalized by QR when it is not orthogonal) and
    ``parametrizations.<name>.0.base`` holds that starting point.

    Example:
        >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(4, 3))
        >>> bool(ember.allclose(m.weight @ m.weight.T, ember.eye(3), atol=1e-6))
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
