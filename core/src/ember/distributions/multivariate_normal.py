"""Multivariate normal distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["MultivariateNormal"]


def _mahalanobis_sq(L, d):
    """d^T (L L^T)^-1 d for lower-triangular L, batched: the squared norm of L^-1 d."""
    n = d.size(-1)
    batch = ember.broadcast_shapes(L.shape[:-2], d.shape[:-1])
    w = ember.linalg.solve_triangular(L.expand(batch + (n, n)),
                                      d.expand(batch + (n,)).unsqueeze(-1), upper=False)
    return w.squeeze(-1).pow(2).sum(-1)


def _scale_tril_from_precision(P):
    # With J the exchange matrix, J P J = U U^T (U lower) gives P = V V^T for the upper
    # V = J U J; then the covariance P^-1 = V^-T V^-1, and V^-T is lower triangular.
    flip = (-2, -1)
    V = ember.flip(ember.linalg.cholesky(ember.flip(P, flip)), flip)
    eye = ember.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    return ember.linalg.solve_triangular(V.mT, eye, upper=False)


_MATRIX_ARGS = ("covariance_matrix", "precision_matrix", "scale_tril")


class MultivariateNormal(Distribution):
    """Multivariate Gaussian with mean vector ``loc`` and exactly one of
    ``covariance_matrix``, ``precision_matrix`` or ``scale_tril`` (the lower Cholesky
    factor of the covariance). Everything is computed from that Cholesky factor.

    Example:
        >>> d = MultivariateNormal(ember.zeros(2), ember.eye(2))
        >>> d.log_prob(ember.zeros(2))
        tensor(-1.8379)
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = {k: v for k, v in zip(_MATRIX_ARGS,
                                      (covariance_matrix, precision_matrix, scale_tril))
                 if v is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        (name, matrix), = given.items()
        if matrix.dim() < 2:
            label = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{label} must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        batch_shape = ember.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _scale_tril_from_precision(matrix)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(MultivariateNormal, batch_shape, _instance,
                                   ("loc",) + _MATRIX_ARGS, keep=("_unbroadcasted_scale_tril",))

    def _full_matrix(self, m):
        return m.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._full_matrix(self._unbroadcasted_scale_tril)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._full_matrix(L @ L.mT)

    @lazy_property
    def precision_matrix(self):
        return self._full_matrix(ember.cholesky_inverse(self._unbroadcasted_scale_tril))

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)

    @property
    def variance(self):
        # diag(L L^T) is the squared norm of each row of L
        rows_sq = self._unbroadcasted_scale_tril.pow(2).sum(-1)
        return rows_sq.expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=ember.Size()):
        noise = ember.randn(self._extended_shape(sample_shape), dtype=self.loc.dtype,
                            device=self.loc.device)
        L = self._unbroadcasted_scale_tril
        return self.loc + (L @ noise.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        d = self._checked(value) - self.loc
        k = self._event_shape[0]
        quad = _mahalanobis_sq(self._unbroadcasted_scale_tril, d)
        return -0.5 * (quad + k * math.log(2 * math.pi)) - self._half_log_det()

    def entropy(self):
        k = self._event_shape[0]
        h = self._half_log_det() + 0.5 * k * (1.0 + math.log(2 * math.pi))
        return h.expand(self._batch_shape) if self._batch_shape else h
