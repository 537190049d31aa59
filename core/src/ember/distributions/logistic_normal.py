"""Logistic-normal distribution."""

from __future__ import annotations

from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """A point of the simplex from a Gaussian vector of one fewer coordinate, mapped by
    stick breaking (``StickBreakingTransform``).

    Example:
        >>> LogisticNormal(ember.zeros(2), ember.ones(2)).sample().shape
        ember.Size([3])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        gauss = Normal(loc, scale, validate_args=validate_args)
        if not gauss.batch_shape:  # a lone number still makes a one-coordinate vector
            gauss = gauss.expand([1])
        super().__init__(gauss, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape,
                              self._get_checked_instance(LogisticNormal, _instance))

    loc = property(lambda self: self.base_dist.base_dist.loc)
    scale = property(lambda self: self.base_dist.base_dist.scale)
