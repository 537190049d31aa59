"""Negative binomial distribution."""

from __future__ import annotations

import ember
import ember.nn.functional as F

from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import _one_of_probs_logits, _ProbsLogitsShaped, broadcast_all, lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_ProbsLogitsShaped, Distribution):
    """Number of successes before ``total_count`` failures of Bernoulli(``probs``)
    trials (total_count may be any non-negative real). Sampled as a gamma-Poisson
    mixture.

    Example:
        >>> NegativeBinomial(4.0, ember.tensor(0.5)).mean
        tensor(4.)
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None):
        self._given, value = _one_of_probs_logits(probs, logits)
        n, self.__dict__[self._given] = broadcast_all(total_count, value)
        self.total_count = n.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(NegativeBinomial, batch_shape, _instance,
                                   ("total_count", "probs", "logits"), keep=("_given",))

    mean = property(lambda self: self.total_count * self.logits.exp())
    variance = property(lambda self: self.mean / ember.sigmoid(-self.logits))

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @lazy_property
    def _gamma(self):
        # the Poisson rate: Gamma(total_count, scale p / (1 - p) = exp(logits))
        return Gamma(self.total_count, (-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=ember.Size()):
        with ember.no_grad():
            return ember.poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        k = self._checked(value)
        r = self.total_count
        kernel = r * F.logsigmoid(-self.logits) + k * F.logsigmoid(self.logits)
        # log of the binomial coefficient C(k + r - 1, k); 0 where k + r == 0
        log_coef = (r + k).lgamma() - (1.0 + k).lgamma() - r.lgamma()
        return kernel + log_coef.masked_fill(r + k == 0.0, 0.0)
