"""Continuous uniform distribution on [low, high)."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniform distribution on the half-open interval ``[low, high)``.

    Example:
        >>> Uniform(0.0, 2.0).log_prob(ember.tensor(1.0))
        tensor(-0.6931)
    """

    arg_constraints = {"low": constraints.dependent(is_discrete=False, event_dim=0),
                       "high": constraints.dependent(is_discrete=False, event_dim=0)}
    has_rsample = True

    def __init__(self, low, high, validate_args: bool | None = None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)
        if self._validate_args and not bool((self.low < self.high).all()):
            raise ValueError("Uniform is not defined when low>= high")

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Uniform, batch_shape, _instance, ("low", "high"))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def _width(self):
        return self.high - self.low

    mean = property(lambda self: 0.5 * (self.low + self.high))
    mode = property(lambda self: self.high * math.nan)  # every point is a mode
    stddev = property(lambda self: self._width / math.sqrt(12))
    variance = property(lambda self: self._width.pow(2) / 12)

    def rsample(self, sample_shape=ember.Size()):
        u = ember.rand(self._extended_shape(sample_shape), dtype=self.low.dtype,
                       device=self.low.device)
        return self.low + self._width * u

    def log_prob(self, value):
        value = self._checked(value)
        inside = (value >= self.low) & (value < self.high)
        # log of the 0/1 indicator gives -inf outside the interval
        return inside.type_as(self.low).log() - self._width.log()

    def cdf(self, value):
        return ((self._checked(value) - self.low) / self._width).clamp(min=0, max=1)

    def icdf(self, value):
        return self.low + value * self._width

    def entropy(self):
        return self._width.log()
