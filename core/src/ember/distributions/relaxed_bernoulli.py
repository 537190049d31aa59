"""Relaxed (concrete / Gumbel-softmax) Bernoulli distribution."""

from __future__ import annotations

import ember
import ember.nn.functional as F

from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import _one_of_probs_logits, _ProbsLogitsShaped, broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(_ProbsLogitsShaped, Distribution):
    """The logit of a RelaxedBernoulli draw: (logits + L) / temperature with L standard
    logistic noise.

    Example:
        >>> LogitRelaxedBernoulli(ember.tensor(0.5), probs=ember.tensor(0.3)).batch_shape
        ember.Size([])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None):
        self.temperature = temperature
        self._given, value = _one_of_probs_logits(probs, logits)
        self.__dict__[self._given], = broadcast_all(value)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(LogitRelaxedBernoulli, batch_shape, _instance,
                                   ("probs", "logits"), keep=("temperature", "_given"))

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        p = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(ember.rand(shape, dtype=p.dtype, device=p.device))
        # logit(u) is standard logistic noise
        return (ember.logit(u) + ember.logit(p)) / self.temperature

    def log_prob(self, value):
        logits, y = broadcast_all(self.logits, self._checked(value))
        t = self.temperature
        s = logits - t * y
        # density of (logits + L) / t at y: t * sigma'(s) with log sigma'(s) = s - 2 softplus(s)
        return t.log() + s - 2 * F.softplus(s)


class RelaxedBernoulli(TransformedDistribution):
    """A continuous, reparameterizable relaxation of Bernoulli on (0, 1), given
    ``temperature`` and ``probs`` or ``logits``; low temperatures approach 0/1 draws.

    Example:
        >>> d = RelaxedBernoulli(ember.tensor(0.5), probs=ember.tensor([0.3]))
        >>> d.rsample().shape
        ember.Size([1])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None,
                 validate_args: bool | None = None):
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits), SigmoidTransform(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape,
                              self._get_checked_instance(RelaxedBernoulli, _instance))

    temperature = property(lambda self: self.base_dist.temperature)
    logits = property(lambda self: self.base_dist.logits)
    probs = property(lambda self: self.base_dist.probs)
