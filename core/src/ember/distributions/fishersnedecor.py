"""Fisher-Snedecor (F) distribution."""

from __future__ import annotations

import math
from numbers import Number

import ember

from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all

__all__ = ["FisherSnedecor"]


def _nan_unless(cond, x):
    return ember.where(cond, x, math.nan)


class FisherSnedecor(Distribution):
    """The F law with ``df1`` and ``df2`` degrees of freedom: the ratio of two
    independent chi-squares, each over its degrees of freedom (sampled as a ratio of
    gammas, so differentiably).

    Example:
        >>> FisherSnedecor(ember.tensor(4.0), ember.tensor(6.0)).mean
        tensor(1.5000)
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args: bool | None = None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        # Gamma(d / 2, rate d) is chi2(d) / (2 d); the factor 2 cancels in the ratio
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        scalar = isinstance(df1, Number) and isinstance(df2, Number)
        super().__init__(ember.Size() if scalar else self.df1.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(FisherSnedecor, batch_shape, _instance,
                                   ("df1", "df2", "_gamma1", "_gamma2"))

    @property
    def mean(self):
        d2 = self.df2
        return _nan_unless(d2 > 2, d2 / (d2 - 2))

    @property
    def mode(self):
        d1, d2 = self.df1, self.df2
        return _nan_unless(d1 > 2, (d1 - 2) / d1 * d2 / (d2 + 2))

    @property
    def variance(self):
        d1, d2 = self.df1, self.df2
        v = 2 * d2.pow(2) * (d1 + d2 - 2) / (d1 * (d2 - 2).pow(2) * (d2 - 4))
        return _nan_unless(d2 > 4, v)

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        num = self._gamma1.rsample(sample_shape).view(shape)
        den = self._gamma2.rsample(sample_shape).view(shape)
        tiny = ember.finfo(den.dtype).tiny
        ratio = num / den.clamp(min=tiny)
        return ratio.clamp(min=tiny)

    def log_prob(self, value):
        x = self._checked(value)
        h1, h2 = self.df1 * 0.5, self.df2 * 0.5
        r = self.df1 / self.df2
        log_beta = h1.lgamma() + h2.lgamma() - (h1 + h2).lgamma()
        return h1 * r.log() + (h1 - 1) * x.log() - (h1 + h2) * (r * x).log1p() - log_beta
