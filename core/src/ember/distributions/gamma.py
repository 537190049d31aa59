"""Gamma distribution."""

from __future__ import annotations

import ember

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """Gamma distribution with shape ``concentration`` and inverse scale ``rate``.
    rsample is differentiable in both: in the rate through the scaling, in the
    concentration by implicit reparameterization of the standard-gamma draw.

    Example:
        >>> Gamma(ember.tensor(2.0), ember.tensor(4.0)).mean
        tensor(0.5000)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args: bool | None = None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Gamma, batch_shape, _instance, ("concentration", "rate"))

    mean = property(lambda self: self.concentration / self.rate)
    mode = property(lambda self: ((self.concentration - 1) / self.rate).clamp(min=0))
    variance = property(lambda self: self.concentration / self.rate.pow(2))

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        x = ember._standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # underflow to exactly 0 would give log_prob -inf; nudge it in place, off the graph
        x.detach().clamp_(min=ember.finfo(x.dtype).tiny)
        return x

    def log_prob(self, value):
        value = ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        x = self._checked(value)
        a, b = self.concentration, self.rate
        return ember.xlogy(a, b) - a.lgamma() + ember.xlogy(a - 1, x) - b * x

    def cdf(self, value):
        x = self._checked(ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device))
        return ember.special.gammainc(self.concentration, self.rate * x)

    def entropy(self):
        a = self.concentration
        return a + a.lgamma() + (1.0 - a) * a.digamma() - self.rate.log()

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        # a = x + 1, b = -y: log Gamma(a) - a log b
        a = x + 1
        return a.lgamma() - a * (-y).log()
