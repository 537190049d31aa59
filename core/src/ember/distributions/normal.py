"""Normal (Gaussian) distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Normal"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(ExponentialFamily):
    """Gaussian with mean ``loc`` and standard deviation ``scale`` (broadcast together).

    Example:
        >>> m = Normal(ember.tensor([0.0]), ember.tensor([1.0]))
        >>> m.log_prob(ember.tensor([0.0]))
        tensor([-0.9189])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Normal, batch_shape, _instance, ("loc", "scale"))

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale)
    variance = property(lambda self: self.scale.pow(2))

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=ember.Size()):
        noise = ember.randn(self._extended_shape(sample_shape), dtype=self.loc.dtype,
                            device=self.loc.device)
        return self.loc + noise * self.scale

    def _z(self, value):
        return (value - self.loc) / self.scale

    def log_prob(self, value):
        z = self._z(self._checked(value))
        return -0.5 * z * z - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        return ember.special.ndtr(self._z(self._checked(value)))

    def icdf(self, value):
        return self.loc + self.scale * ember.special.ndtri(value)

    def entropy(self):
        return self.scale.log() + (0.5 + _LOG_SQRT_2PI)

    @property
    def _natural_params(self):
        precision = self.scale.pow(-2)
        return (self.loc * precision, -0.5 * precision)

    def _log_normalizer(self, x, y):
        # with x = mu / s^2 and y = -1 / (2 s^2): mu^2 / (2 s^2) + log(s sqrt(2 pi))
        return 0.5 * ember.log(-math.pi / y) - 0.25 * x * x / y
