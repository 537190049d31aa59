"""Half-normal distribution: |X| for a centred Normal."""

from __future__ import annotations

import math

import ember

from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfNormal"]

_LOG2 = math.log(2.0)


class _FoldedAtZero(TransformedDistribution):
    """|X| for X symmetric about 0 (shared by HalfNormal and HalfCauchy): the density
    doubles on [0, inf), and cdf/icdf map onto the upper half of the base's."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, base, validate_args):
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    scale = property(lambda self: self.base_dist.scale)
    mode = property(lambda self: ember.zeros_like(self.scale))

    def log_prob(self, value):
        value = self._checked(value)
        scale = self.base_dist.scale
        value = ember.as_tensor(value, dtype=scale.dtype, device=scale.device)
        return ember.where(value >= 0, self.base_dist.log_prob(value) + _LOG2, -math.inf)

    def cdf(self, value):
        return 2 * self.base_dist.cdf(self._checked(value)) - 1

    def icdf(self, prob):
        return self.base_dist.icdf(0.5 * (1 + prob))

    def entropy(self):
        return self.base_dist.entropy() - _LOG2


class HalfNormal(_FoldedAtZero):
    """|X| for X ~ Normal(0, scale).

    Example:
        >>> HalfNormal(1.0).log_prob(ember.tensor(0.0))
        tensor(-0.2258)
    """

    def __init__(self, scale, validate_args: bool | None = None):
        super().__init__(Normal(0, scale, validate_args=False), validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, self._get_checked_instance(HalfNormal, _instance))

    mean = property(lambda self: math.sqrt(2 / math.pi) * self.scale)
    variance = property(lambda self: (1 - 2 / math.pi) * self.scale.pow(2))
