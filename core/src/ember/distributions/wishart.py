"""Wishart distribution over positive-definite matrices."""

from __future__ import annotations

import math
import warnings
from numbers import Number

import ember

from . import constraints
from .chi2 import Chi2
from .exp_family import ExponentialFamily
from .multivariate_normal import _scale_tril_from_precision
from .utils import lazy_property

__all__ = ["Wishart"]

_LOG2 = math.log(2)
_MATRIX_ARGS = ("covariance_matrix", "precision_matrix", "scale_tril")


def _multi_digamma(x, p: int):
    """The multivariate digamma: sum over i < p of digamma(x - i / 2)."""
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    half_steps = ember.arange(p, dtype=x.dtype, device=x.device) / 2
    return (x.unsqueeze(-1) - half_steps).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """Wishart law of p x p positive-definite matrices with ``df`` degrees of freedom
    (df > p - 1) and scale given by exactly one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril``. rsample uses the Bartlett decomposition
    (square roots of chi-squares on the diagonal, normals below it) and redraws samples
    that come out singular, up to ``max_try_correction`` times.

    Example:
        >>> Wishart(ember.tensor(3.0), covariance_matrix=ember.eye(2)).mean
        tensor([[3., 0.],
                [0., 3.]])
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None):
        given = [(k, v) for k, v in zip(_MATRIX_ARGS,
                                        (covariance_matrix, precision_matrix, scale_tril))
                 if v is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")
        (name, matrix), = given
        if matrix.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, Number):
            batch_shape = ember.Size(matrix.shape[:-2])
            self.df = ember.tensor(df, dtype=matrix.dtype, device=matrix.device)
        else:
            batch_shape = ember.broadcast_shapes(matrix.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        p = matrix.shape[-1]
        if bool(self.df.le(p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        if bool(self.df.lt(p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to "
                          "occur for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, matrix.shape[-2:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _scale_tril_from_precision(matrix)
        self._make_chi2()

    def _make_chi2(self):
        # Bartlett: the i-th diagonal entry squared is chi2 with df - i degrees of freedom
        L = self._unbroadcasted_scale_tril
        steps = ember.arange(self._event_shape[-1], dtype=L.dtype, device=L.device)
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - steps)

    def expand(self, batch_shape, _instance=None):
        batch_shape = ember.Size(batch_shape)
        new = self._expand_fields(Wishart, batch_shape, _instance, ("df",) + _MATRIX_ARGS)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(
            batch_shape + self._event_shape)
        new._make_chi2()
        return new

    def _full(self, m):
        return m.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._full(self._unbroadcasted_scale_tril)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._full(L @ L.mT)

    @lazy_property
    def precision_matrix(self):
        return self._full(ember.cholesky_inverse(self._unbroadcasted_scale_tril))

    def _df_as_matrix(self, x):
        return x.view(self._batch_shape + (1, 1))

    @property
    def mean(self):
        return self._df_as_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self._event_shape[-1] - 1
        factor = ember.where(factor <= 0, math.nan, factor)
        return self._df_as_matrix(factor) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        d = V.diagonal(dim1=-2, dim2=-1)
        return self._df_as_matrix(self.df) * (V.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett(self, sample_shape):
        p = self._event_shape[-1]
        diag = self._dist_chi2.rsample(sample_shape).sqrt()
        diag = diag.clamp(min=ember.finfo(diag.dtype).eps)
        rows, cols = ember.tril_indices(p, p, offset=-1)
        below = ember.randn(ember.Size(sample_shape) + self._batch_shape + (p * (p - 1) // 2,),
                            dtype=diag.dtype, device=diag.device)
        A = ember.diag_embed(diag)
        A = A.index_put((Ellipsis, rows, cols), below) if p > 1 else A
        chol = self._unbroadcasted_scale_tril @ A
        return chol @ chol.mT

    def rsample(self, sample_shape=ember.Size(), max_try_correction=None):
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = ember.Size(sample_shape)
        sample = self._bartlett(sample_shape)
        nbatch = len(self._batch_shape)

        def singular(s):
            bad = ~self.support.check(s)
            return bad.flatten(bad.dim() - nbatch).any(-1) if nbatch else bad

        bad = singular(sample)
        if bool(bad.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                fresh = self._bartlett(ember.Size(sample_shape))
                sample = ember.where(bad.reshape(bad.shape + (1,) * (nbatch + 2)), fresh, sample)
                bad = singular(sample)
                if not bool(bad.any()):
                    break
        return sample

    def _log_det_scale_half(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        X = self._checked(value)
        nu, p = self.df, self._event_shape[-1]
        trace = ember.cholesky_solve(X, self._unbroadcasted_scale_tril).diagonal(
            dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG2 / 2 + self._log_det_scale_half())
                - ember.mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * ember.linalg.slogdet(X).logabsdet - trace / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * (p * _LOG2 / 2 + self._log_det_scale_half())
                + ember.mvlgamma(nu / 2, p=p)
                - (nu - p - 1) / 2 * _multi_digamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        a = y + (p + 1) / 2
        return a * (p * _LOG2 - ember.linalg.slogdet(-2 * x).logabsdet) + ember.mvlgamma(a, p=p)
