"""Cauchy (Lorentz) distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import _constant_moment, broadcast_all

__all__ = ["Cauchy"]


class Cauchy(Distribution):
    """Cauchy distribution with median ``loc`` and half-width ``scale``. It has no mean
    or variance: they are reported as nan and inf.

    Example:
        >>> Cauchy(0.0, 1.0).cdf(ember.tensor(0.0))
        tensor(0.5000)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Cauchy, batch_shape, _instance, ("loc", "scale"))

    mean = property(lambda self: _constant_moment(self, math.nan, self.loc))
    mode = property(lambda self: self.loc)
    variance = property(lambda self: _constant_moment(self, math.inf, self.loc))

    def rsample(self, sample_shape=ember.Size()):
        u = ember.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype,
                       device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        return -ember.log1p(z * z) - (math.pi * self.scale).log()

    def cdf(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        return 0.5 + ember.atan(z) / math.pi

    def icdf(self, value):
        return self.loc + self.scale * ember.tan(math.pi * (value - 0.5))

    def entropy(self):
        return self.scale.log() + math.log(4 * math.pi)
