"""Bernoulli distribution."""

from __future__ import annotations

import math

import ember
import ember.nn.functional as F

from . import constraints
from .exp_family import ExponentialFamily
from .utils import _one_of_probs_logits, _ProbsLogitsShaped, _support_grid, broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(_ProbsLogitsShaped, ExponentialFamily):
    """Coin flips: 1 with probability ``probs`` (or sigmoid(``logits``)), else 0. Give
    exactly one of the two parameters.

    Example:
        >>> Bernoulli(probs=ember.tensor([0.25])).log_prob(ember.tensor([1.0]))
        tensor([-1.3863])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        self._given, value = _one_of_probs_logits(probs, logits)
        self.__dict__[self._given], = broadcast_all(value)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Bernoulli, batch_shape, _instance, ("probs", "logits"),
                                   keep=("_given",))

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        p = self.probs
        # a fair coin has no single mode
        return ember.where(p == 0.5, math.nan, (p > 0.5).to(p))

    def sample(self, sample_shape=ember.Size()):
        with ember.no_grad():
            return ember.bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        logits, x = broadcast_all(self.logits, self._checked(value))
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True):
        values = ember.arange(2, dtype=self._param.dtype, device=self._param.device)
        return _support_grid(values, self._batch_shape, expand)

    @property
    def _natural_params(self):
        return (ember.logit(self.probs),)

    def _log_normalizer(self, x):
        return F.softplus(x)
