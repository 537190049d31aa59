"""Dirichlet distribution."""

from __future__ import annotations

import ember
import ember.nn.functional as F

from . import constraints
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Dirichlet distribution on the simplex with ``concentration`` (last dim = K).
    rsample normalizes independent gamma draws, so it is differentiable by implicit
    reparameterization.

    Example:
        >>> Dirichlet(ember.tensor([1.0, 3.0])).mean
        tensor([0.2500, 0.7500])
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args: bool | None = None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Dirichlet, batch_shape, _instance, ("concentration",))

    def rsample(self, sample_shape=()):
        info = ember.finfo(self.concentration.dtype)
        g = ember._standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        g = g.clamp(min=info.tiny)
        return (g / g.sum(-1, keepdim=True)).clamp(min=info.tiny, max=1 - info.eps)

    def _log_beta(self):
        a = self.concentration
        return a.lgamma().sum(-1) - a.sum(-1).lgamma()

    def log_prob(self, value):
        x = self._checked(value)
        return ember.xlogy(self.concentration - 1.0, x).sum(-1) - self._log_beta()

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        a = self.concentration
        shifted = (a - 1).clamp(min=0.0)
        out = shifted / shifted.sum(-1, keepdim=True)
        # with every a_i < 1 the density peaks at a vertex: the largest a_i's
        corner = (a < 1).all(dim=-1)
        out[corner] = F.one_hot(out[corner].argmax(dim=-1), a.shape[-1]).to(out)
        return out

    @property
    def variance(self):
        a = self.concentration
        a0 = a.sum(-1, keepdim=True)
        return a * (a0 - a) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        a = self.concentration
        a0 = a.sum(-1)
        k = a.size(-1)
        return (self._log_beta() + (a0 - k) * a0.digamma()
                - ((a - 1.0) * a.digamma()).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
