"""Geometric distribution: failures before the first success."""

from __future__ import annotations

import ember
import ember.nn.functional as F

from . import constraints
from .distribution import Distribution
from .utils import _one_of_probs_logits, _ProbsLogits, broadcast_all

__all__ = ["Geometric"]


class Geometric(_ProbsLogits, Distribution):
    """Number of failures before the first success in independent trials that each
    succeed with ``probs`` (or sigmoid(``logits``)).

    Example:
        >>> Geometric(probs=ember.tensor(0.5)).mean
        tensor(1.)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        self._given, value = _one_of_probs_logits(probs, logits)
        self.__dict__[self._given], = broadcast_all(value)
        super().__init__(self._param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            # the unit interval admits 0, but a success probability of 0 never stops
            bad = ~(self.probs > 0)
            if bool(bad.any()):
                p = self.probs
                raise ValueError(
                    f"Expected parameter probs ({type(p).__name__} of shape "
                    f"{tuple(p.shape)}) of distribution {self!r} to be positive but "
                    f"found invalid values:\n{p.data[bad]}")

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Geometric, batch_shape, _instance, ("probs", "logits"),
                                   keep=("_given",))

    mean = property(lambda self: self.probs.reciprocal() - 1.0)
    variance = property(lambda self: (self.probs.reciprocal() - 1.0) / self.probs)
    mode = property(lambda self: ember.zeros_like(self.probs))

    def sample(self, sample_shape=ember.Size()):
        p = self.probs
        with ember.no_grad():
            u = ember.rand(self._extended_shape(sample_shape), dtype=p.dtype, device=p.device)
            # inverse cdf: floor(log U / log(1 - p)); U = 0 would give inf
            u = u.clamp(min=ember.finfo(p.dtype).tiny)
            return (u.log() / ember.log1p(-p)).floor()

    def log_prob(self, value):
        k, p = broadcast_all(self._checked(value), self.probs)
        # p = 1 and k = 0: 0 * log(0) should count as 0, not nan
        p = ember.where((p == 1) & (k == 0), 0.0, p)
        return k * ember.log1p(-p) + self.probs.log()

    def entropy(self):
        bce = F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs
