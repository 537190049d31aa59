"""Gumbel (type-I extreme value) distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Gumbel"]

_EULER = 0.57721566490153286061


class Gumbel(Distribution):
    """Gumbel distribution with ``loc`` and ``scale``: loc - scale log(-log U).

    Example:
        >>> Gumbel(0.0, 1.0).mean
        tensor(0.5772)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Gumbel, batch_shape, _instance, ("loc", "scale"))

    def rsample(self, sample_shape=ember.Size()):
        info = ember.finfo(self.loc.dtype)
        u = ember.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype,
                       device=self.loc.device)
        return self.icdf(u.clamp(min=info.tiny, max=1 - info.eps))

    def log_prob(self, value):
        z = (self.loc - self._checked(value)) / self.scale
        return z - z.exp() - self.scale.log()

    def cdf(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        return (-(-z).exp()).exp()

    def icdf(self, value):
        return self.loc - self.scale * (-value.log()).log()

    mean = property(lambda self: self.loc + _EULER * self.scale)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale * (math.pi / math.sqrt(6)))
    variance = property(lambda self: self.stddev.pow(2))

    def entropy(self):
        return self.scale.log() + (1 + _EULER)
