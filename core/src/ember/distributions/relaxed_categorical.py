"""Relaxed (Gumbel-softmax / concrete) one-hot categorical distribution."""

from __future__ import annotations

import ember

from . import constraints
from .categorical import Categorical
from .one_hot_categorical import _WrapsCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_WrapsCategorical):
    """Log of a RelaxedOneHotCategorical draw: log_softmax((logits + G) / temperature)
    with G independent standard Gumbel noise.

    Example:
        >>> ExpRelaxedCategorical(ember.tensor(1.0), probs=ember.tensor([0.5, 0.5])).event_shape
        ember.Size([2])
    """

    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None):
        self.temperature = temperature
        self._setup(Categorical(probs, logits), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_as(ExpRelaxedCategorical, batch_shape, _instance,
                               keep=("temperature",))

    def rsample(self, sample_shape=ember.Size()):
        u = clamp_probs(ember.rand(self._extended_shape(sample_shape), dtype=self.logits.dtype,
                                   device=self.logits.device))
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores.log_softmax(-1)

    def log_prob(self, value):
        k = self._categorical._num_events
        logits, y = ember.broadcast_tensors(self.logits, self._checked(value))
        t = self.temperature
        # normalizer of the concrete density: (K - 1)! t^(K - 1)
        log_norm = ember.full_like(t, float(k)).lgamma() + (k - 1) * t.log()
        s = logits - t * y
        return (s - s.logsumexp(dim=-1, keepdim=True)).sum(-1) + log_norm


class RelaxedOneHotCategorical(TransformedDistribution):
    """A continuous, reparameterizable relaxation of OneHotCategorical on the simplex,
    given ``temperature`` and ``probs`` or ``logits``.

    Example:
        >>> d = RelaxedOneHotCategorical(ember.tensor(0.5), probs=ember.tensor([0.3, 0.7]))
        >>> d.rsample().sum()
        tensor(1.)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape,
                              self._get_checked_instance(RelaxedOneHotCategorical, _instance))

    temperature = property(lambda self: self.base_dist.temperature)
    logits = property(lambda self: self.base_dist.logits)
    probs = property(lambda self: self.base_dist.probs)
