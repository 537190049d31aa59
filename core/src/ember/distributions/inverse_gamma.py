"""Inverse-gamma distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """The law of 1/X for X ~ Gamma(concentration, rate).

    Example:
        >>> InverseGamma(ember.tensor(3.0), ember.tensor(2.0)).mean
        tensor(1.)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None):
        g = Gamma(concentration, rate, validate_args=validate_args)
        flip = PowerTransform(-g.rate.new_ones(()))
        super().__init__(g, flip, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, self._get_checked_instance(InverseGamma, _instance))

    concentration = property(lambda self: self.base_dist.concentration)
    rate = property(lambda self: self.base_dist.rate)

    @property
    def mean(self):
        a = self.concentration
        return ember.where(a > 1, self.rate / (a - 1), math.inf)

    mode = property(lambda self: self.rate / (self.concentration + 1))

    @property
    def variance(self):
        a = self.concentration
        return ember.where(a > 2, self.rate.square() / ((a - 2) * (a - 1).square()), math.inf)

    def entropy(self):
        a = self.concentration
        return a + a.lgamma() + self.rate.log() - (a + 1) * a.digamma()
