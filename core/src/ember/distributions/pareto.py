"""Pareto distribution."""

from __future__ import annotations

from . import constraints
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .utils import broadcast_all

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    """Pareto (type I) law with minimum ``scale`` and tail index ``alpha``: the law of
    scale * exp(E) for E ~ Exponential(alpha).

    Example:
        >>> Pareto(ember.tensor(1.0), ember.tensor(3.0)).mean
        tensor(1.5000)
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args: bool | None = None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        self._assemble(validate_args)

    def _assemble(self, validate_args):
        chain = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        TransformedDistribution.__init__(self, Exponential(self.alpha, validate_args=validate_args),
                                         chain, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Pareto, _instance)
        new.scale, new.alpha = self.scale.expand(batch_shape), self.alpha.expand(batch_shape)
        new._assemble(False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)  # alpha <= 1: the division by zero gives inf
        return self.scale * a / (a - 1)

    mode = property(lambda self: self.scale)

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 2) * (a - 1).pow(2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        inv = self.alpha.reciprocal()
        return (self.scale * inv).log() + inv + 1
