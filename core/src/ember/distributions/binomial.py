"""Binomial distribution."""

from __future__ import annotations

import ember

from . import constraints
from .distribution import Distribution
from .utils import _one_of_probs_logits, _ProbsLogitsShaped, _support_grid, broadcast_all

__all__ = ["Binomial"]


def _relu_half_grad(x):
    """max(x, 0) with derivative 1/2 at x = 0 (torch's convention for this term)."""
    return 0.5 * (x + x.abs())


class Binomial(_ProbsLogitsShaped, Distribution):
    """Number of successes in ``total_count`` independent trials with success
    probability ``probs`` (or sigmoid(``logits``)). Sampling counts Bernoulli draws, so
    total_count must hold whole numbers.

    Example:
        >>> Binomial(10, ember.tensor(0.5)).mean
        tensor(5.)
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None,
                 validate_args: bool | None = None):
        self._given, value = _one_of_probs_logits(probs, logits)
        n, self.__dict__[self._given] = broadcast_all(total_count, value)
        self.total_count = n.type_as(self._param)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Binomial, batch_shape, _instance,
                                   ("total_count", "probs", "logits"), keep=("_given",))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    mean = property(lambda self: self.total_count * self.probs)
    variance = property(lambda self: self.mean * (1 - self.probs))

    @property
    def mode(self):
        n = self.total_count
        return ((n + 1) * self.probs).floor().clamp(max=n)

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        k = self._checked(value)
        n, l = self.total_count, self.logits
        log_choose = (n + 1).lgamma() - (k + 1).lgamma() - (n - k + 1).lgamma()
        # k log p + (n - k) log(1 - p) = k l - n log(1 + e^l), with
        # log(1 + e^l) = max(l, 0) + log1p(e^-|l|) to avoid overflow
        log_one_plus_exp = _relu_half_grad(l) + ember.log1p((-l.abs()).exp())
        return log_choose + k * l - n * log_one_plus_exp

    def _homogeneous_count(self, what):
        n = int(self.total_count.max())
        if not bool(self.total_count.min() == n):
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return n

    def entropy(self):
        self._homogeneous_count("entropy")
        lp = self.log_prob(self.enumerate_support(False))
        return -(lp.exp() * lp).sum(0)

    def enumerate_support(self, expand: bool = True):
        n = self._homogeneous_count("enumerate_support")
        values = ember.arange(n + 1, dtype=self._param.dtype, device=self._param.device)
        return _support_grid(values, self._batch_shape, expand)

