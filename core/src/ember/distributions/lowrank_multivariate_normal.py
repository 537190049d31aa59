"""Multivariate normal with a low-rank-plus-diagonal covariance."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .multivariate_normal import _mahalanobis_sq
from .utils import lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _with_unit_diagonal_added(m):
    return m + ember.eye(m.shape[-1], dtype=m.dtype, device=m.device)


def _capacitance_cholesky(W, D):
    """Cholesky factor of the m x m capacitance matrix I + W^T D^-1 W (Woodbury)."""
    return ember.linalg.cholesky(_with_unit_diagonal_added((W.mT / D.unsqueeze(-2)) @ W))


def _lowrank_log_det(D, cap_tril):
    # det(W W^T + D) = det(capacitance) det(D)
    return 2 * cap_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def _lowrank_mahalanobis_sq(W, D, x, cap_tril):
    """x^T (W W^T + D)^-1 x by Woodbury: x^T D^-1 x - |C^-1 W^T D^-1 x|^2, C C^T the
    capacitance."""
    projected = ((W.mT / D.unsqueeze(-2)) @ x.unsqueeze(-1)).squeeze(-1)
    return (x.pow(2) / D).sum(-1) - _mahalanobis_sq(cap_tril, projected)


class LowRankMultivariateNormal(Distribution):
    """Multivariate normal with covariance ``cov_factor @ cov_factor.mT +
    diag(cov_diag)``; densities use the Woodbury identity, so the cost grows with the
    rank m of cov_factor (n x m) rather than with n^3.

    Example:
        >>> d = LowRankMultivariateNormal(ember.zeros(2), ember.ones(2, 1), ember.ones(2))
        >>> d.covariance_matrix
        tensor([[2., 1.],
                [1., 2.]])
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args: bool | None = None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if cov_diag.shape[-1:] != loc.shape[-1:]:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {loc.shape[-1:]}")
        try:
            loc_col, self.cov_factor, diag_col = ember.broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except RuntimeError as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor "
                             f"{cov_factor.shape}, cov_diag {cov_diag.shape}") from e
        self.loc, self.cov_diag = loc_col[..., 0], diag_col[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_cholesky(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], loc.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(
            LowRankMultivariateNormal, batch_shape, _instance, ("loc", "cov_diag", "cov_factor"),
            keep=("_unbroadcasted_cov_factor", "_unbroadcasted_cov_diag", "_capacitance_tril"))

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)

    def _full(self, m, extra=()):
        return m.expand(self._batch_shape + self._event_shape + tuple(extra))

    @lazy_property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self._full(W.pow(2).sum(-1) + D)

    @lazy_property
    def scale_tril(self):
        # W W^T + D = D^1/2 (I + D^-1/2 W W^T D^-1/2) D^1/2
        root = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / root
        return self._full(root * ember.linalg.cholesky(_with_unit_diagonal_added(
            scaled @ scaled.mT)), self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return self._full(W @ W.mT + ember.diag_embed(self._unbroadcasted_cov_diag),
                          self._event_shape)

    @lazy_property
    def precision_matrix(self):
        # Woodbury: D^-1 - D^-1 W C^-T C^-1 W^T D^-1
        D = self._unbroadcasted_cov_diag
        A = ember.linalg.solve_triangular(self._capacitance_tril,
                                          self._unbroadcasted_cov_factor.mT / D.unsqueeze(-2),
                                          upper=False)
        return self._full(ember.diag_embed(D.reciprocal()) - A.mT @ A, self._event_shape)

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        W = self._unbroadcasted_cov_factor
        opts = {"dtype": self.loc.dtype, "device": self.loc.device}
        eps_w = ember.randn(shape[:-1] + W.shape[-1:], **opts)
        eps_d = ember.randn(shape, **opts)
        low_rank = (W @ eps_w.unsqueeze(-1)).squeeze(-1)
        return self.loc + low_rank + self._unbroadcasted_cov_diag.sqrt() * eps_d

    def _log_det(self):
        return _lowrank_log_det(self._unbroadcasted_cov_diag, self._capacitance_tril)

    def log_prob(self, value):
        diff = self._checked(value) - self.loc
        quad = _lowrank_mahalanobis_sq(self._unbroadcasted_cov_factor,
                                       self._unbroadcasted_cov_diag, diff,
                                       self._capacitance_tril)
        n = self._event_shape[0]
        return -0.5 * (quad + self._log_det() + n * math.log(2 * math.pi))

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * (self._log_det() + n * (1.0 + math.log(2 * math.pi)))
        return h.expand(self._batch_shape) if self._batch_shape else h
