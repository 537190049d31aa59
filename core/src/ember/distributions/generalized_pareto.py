"""Generalized Pareto distribution."""

from __future__ import annotations

import math
from numbers import Number

import ember

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Generalized Pareto law with ``loc``, ``scale`` and shape ``concentration`` xi:
    survival (1 + xi z)^(-1/xi) for z = (x - loc) / scale, the exponential law at xi = 0
    (shapes within isclose of zero count as zero). Sampled by inverting the cdf.

    Example:
        >>> GeneralizedPareto(0.0, 1.0, 0.0).mean
        tensor(1.)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args: bool | None = None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        scalar = all(isinstance(v, Number) for v in (loc, scale, concentration))
        super().__init__(ember.Size() if scalar else self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(GeneralizedPareto, batch_shape, _instance,
                                   ("loc", "scale", "concentration"))

    def _shape_split(self):
        """(xi is ~0, xi with the ~0 entries replaced by 1 so both branches stay finite)."""
        xi = self.concentration
        at_zero = ember.isclose(xi, ember.zeros_like(xi))
        return at_zero, ember.where(at_zero, ember.ones_like(xi), xi)

    def rsample(self, sample_shape=ember.Size()):
        u = ember.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype,
                       device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        at_zero, xi = self._shape_split()
        power = 1 / xi + ember.ones_like(z)
        tail = ember.where(power == 0, power, power * (xi * z).log1p())
        return -self.scale.log() - ember.where(at_zero, z, tail)

    def log_survival_function(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        at_zero, xi = self._shape_split()
        return ember.where(at_zero, -z, -(xi * z).log1p() / xi)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        at_zero, xi = self._shape_split()
        log_q = (-value).log1p()  # log of the survival probability
        general = self.loc + self.scale / xi * (-xi * log_q).expm1()
        return ember.where(at_zero, self.loc - self.scale * log_q, general)

    @property
    def mean(self):
        xi = self.concentration
        ok = xi < 1
        safe = ember.where(ok, xi, 0.5)
        return ember.where(ok, self.loc + self.scale / (1 - safe), math.nan)

    @property
    def variance(self):
        xi = self.concentration
        ok = xi < 0.5
        safe = ember.where(ok, xi, 0.25)
        return ember.where(ok, self.scale.pow(2) / ((1 - safe).pow(2) * (1 - 2 * safe)), math.nan)

    mode = property(lambda self: self.loc)

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).broadcast_to(self._batch_shape)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        xi = self.concentration
        top = ember.where(xi < 0, self.loc - self.scale / xi, math.inf)
        return constraints.interval(self.loc, top)
