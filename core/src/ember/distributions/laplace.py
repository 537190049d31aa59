"""Laplace distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Laplace"]


class Laplace(Distribution):
    """Laplace (double exponential) distribution: density exp(-|x - loc| / scale) / (2 scale).

    Example:
        >>> Laplace(0.0, 1.0).log_prob(ember.tensor(0.0))
        tensor(-0.6931)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Laplace, batch_shape, _instance, ("loc", "scale"))

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: math.sqrt(2) * self.scale)
    variance = property(lambda self: 2 * self.scale.pow(2))

    def _from_centered(self, t):
        # quantile at 1/2 + t for t in (-1/2, 1/2): loc - scale sign(t) log(1 - 2|t|)
        return self.loc - self.scale * t.sign() * ember.log1p(-2 * t.abs())

    def rsample(self, sample_shape=ember.Size()):
        info = ember.finfo(self.loc.dtype)
        t = ember.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype,
                       device=self.loc.device) - 0.5
        # t = -1/2 would put log1p(-1) = -inf into the sample
        return self._from_centered(t.clamp(min=0.5 * (info.eps - 1)))

    def log_prob(self, value):
        dist = (self._checked(value) - self.loc).abs()
        return -dist / self.scale - (2 * self.scale).log()

    def cdf(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        return 0.5 - 0.5 * z.sign() * ember.expm1(-z.abs())

    def icdf(self, value):
        return self._from_centered(value - 0.5)

    def entropy(self):
        return (2 * self.scale).log() + 1
