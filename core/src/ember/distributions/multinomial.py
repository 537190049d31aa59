"""Multinomial distribution."""

from __future__ import annotations

import math

import ember

from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .one_hot_categorical import _WrapsCategorical
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(_WrapsCategorical):
    """Category counts after ``total_count`` independent draws from a Categorical given
    by ``probs`` or ``logits``.

    Example:
        >>> Multinomial(4, ember.tensor([0.5, 0.5])).mean
        tensor([2., 2.])
    """

    total_count: int

    def __init__(self, total_count: int = 1, probs=None, logits=None,
                 validate_args: bool | None = None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        cat = Categorical(probs=probs, logits=logits)
        # each category's count is Binomial(total_count, p_k); entropy needs it
        self._binomial = Binomial(total_count=total_count, probs=cat.probs)
        self._setup(cat, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_as(Multinomial, batch_shape, _instance,
                               keep=("total_count", "_binomial"))

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    mean = property(lambda self: self.total_count * self.probs)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape=ember.Size()):
        sample_shape = ember.Size(sample_shape)
        draws = self._categorical.sample(ember.Size((self.total_count,)) + sample_shape)
        # draws: (total_count, *sample, *batch); move the draw axis last, then count
        draws = draws.movedim(0, -1)
        counts = draws.new_zeros(self._extended_shape(sample_shape))
        counts.scatter_add_(-1, draws, ember.ones_like(draws))
        return counts.type_as(self.probs)

    def entropy(self):
        # H = -log n! + n H(cat) + sum_k E[log x_k!], with x_k ~ Binomial(n, p_k)
        n = ember.tensor(self.total_count)
        ks = self._binomial.enumerate_support(expand=False)[1:]
        expected_log_fact = (self._binomial.log_prob(ks).exp() * (ks + 1).lgamma()).sum([0, -1])
        return n * self._categorical.entropy() - (n + 1).lgamma() + expected_log_fact

    def log_prob(self, value):
        logits, x = broadcast_all(self.logits, self._checked(value))
        # zero counts of impossible categories contribute 0, not 0 * -inf
        logits = ember.where((x == 0) & (logits == -math.inf), 0.0, logits)
        return ((x.sum(-1) + 1).lgamma() - (x + 1).lgamma().sum(-1)
                + (logits * x).sum(-1))
