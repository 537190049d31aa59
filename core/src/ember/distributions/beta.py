"""Beta distribution."""

from __future__ import annotations

from numbers import Number

import ember

from . import constraints
from .dirichlet import Dirichlet
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Beta"]


class Beta(ExponentialFamily):
    """Beta distribution on [0, 1] with ``concentration1`` (alpha, the weight of x) and
    ``concentration0`` (beta, the weight of 1 - x); implemented as the first coordinate
    of a two-component Dirichlet.

    Example:
        >>> Beta(ember.tensor(1.0), ember.tensor(3.0)).mean
        tensor(0.2500)
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None):
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            pair = ember.tensor([float(concentration1), float(concentration0)])
        else:
            pair = ember.stack(broadcast_all(concentration1, concentration0), -1)
        self._dirichlet = Dirichlet(pair, validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Beta, batch_shape, _instance, ("_dirichlet",))

    def _component(self, i):
        part = self._dirichlet.concentration[..., i]
        return ember.tensor([part]) if isinstance(part, Number) else part

    concentration1 = property(lambda self: self._component(0))
    concentration0 = property(lambda self: self._component(1))

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        n = a + b
        return a * b / (n * n * (n + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        x = self._checked(value)
        return self._dirichlet.log_prob(ember.stack([x, 1.0 - x], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def _natural_params(self):
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return x.lgamma() + y.lgamma() - (x + y).lgamma()
