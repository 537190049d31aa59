"""Kumaraswamy distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all

__all__ = ["Kumaraswamy"]

_EULER_GAMMA = 0.5772156649015329


def _raw_moment(a, b, n):
    """E[X^n] = b B(1 + n/a, b), through log-gammas."""
    s = 1 + n / a
    return b * (s.lgamma() + b.lgamma() - (s + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy law on (0, 1) with density a b x^(a-1) (1 - x^a)^(b-1), a =
    ``concentration1``, b = ``concentration0``; sampled by inverting its cdf,
    x = (1 - U^(1/b))^(1/a).

    Example:
        >>> Kumaraswamy(ember.tensor(1.0), ember.tensor(1.0)).mean
        tensor(0.5000)
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        self._assemble(validate_args)

    def _assemble(self, validate_args):
        b = self.concentration0
        unit = Uniform(ember.zeros_like(b), ember.ones_like(b), validate_args=validate_args)
        chain = [PowerTransform(exponent=b.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                 PowerTransform(exponent=self.concentration1.reciprocal())]
        TransformedDistribution.__init__(self, unit, chain, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        new._assemble(False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return _raw_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        # ((a - 1) / (a b - 1))^(1/a), written in logs; undefined unless a, b >= 1
        log_mode = (-b).log1p() / b - (-a * b).log1p()
        return ember.where((a < 1) | (b < 1), math.nan, log_mode).exp()

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _raw_moment(a, b, 2) - self.mean.pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic = (b + 1).digamma() + _EULER_GAMMA  # H_b
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()
