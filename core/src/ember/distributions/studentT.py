"""Student's t distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, location ``loc`` and ``scale``;
    samples are loc + scale Z sqrt(df / V) with Z standard normal and V ~ Chi2(df).

    Example:
        >>> StudentT(ember.tensor(3.0)).variance
        tensor(3.)
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(StudentT, batch_shape, _instance,
                                   ("df", "loc", "scale", "_chi2"))

    @property
    def mean(self):
        # defined only for df > 1
        return ember.where(self.df > 1, self.loc, math.nan)

    mode = property(lambda self: self.loc)

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        undefined_or_inf = ember.where(df > 1, math.inf, math.nan)
        return ember.where(df > 2, finite, undefined_or_inf)

    def rsample(self, sample_shape=ember.Size()):
        z = ember.randn(self._extended_shape(sample_shape), dtype=self.df.dtype,
                        device=self.df.device)
        v = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * z * (self.df / v).sqrt()

    def _half_df_terms(self):
        # lgamma((df + 1) / 2) - lgamma(df / 2), shared by log_prob and entropy
        return (0.5 * (self.df + 1)).lgamma() - (0.5 * self.df).lgamma()

    def log_prob(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        log_norm = (self._half_df_terms() - self.scale.log()
                    - 0.5 * (math.log(math.pi) + self.df.log()))
        return log_norm - 0.5 * (self.df + 1) * ember.log1p(z * z / self.df)

    def entropy(self):
        df = self.df
        digamma_gap = (0.5 * (df + 1)).digamma() - (0.5 * df).digamma()
        return (self.scale.log() + 0.5 * (df + 1) * digamma_gap + 0.5 * df.log()
                + 0.5 * math.log(math.pi) - self._half_df_terms())
