"""Mixtures whose components are one batched distribution."""

from __future__ import annotations

import ember

from . import constraints
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """A mixture of the components along the rightmost batch dim of
    ``component_distribution``, weighted by the Categorical ``mixture_distribution``.

    Example:
        >>> from ember.distributions import Categorical, Normal
        >>> m = MixtureSameFamily(Categorical(ember.ones(2)), Normal(ember.tensor([-1., 1.]), 1.))
        >>> m.mean
        tensor(0.)
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution,
                 validate_args: bool | None = None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of "
                             "torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "torch.distributions.Distribution")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        mix_batch = mixture_distribution.batch_shape
        comp_batch = component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mix_batch), reversed(comp_batch)):
            if 1 not in (a, b) and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mix_batch}) is not "
                                 "compatible with `component_distribution.batch_shape`"
                                 f"({comp_batch})")
        k_mix = mixture_distribution.logits.shape[-1]
        k_comp = component_distribution.batch_shape[-1]
        if k_mix != k_comp:
            raise ValueError(f"`mixture_distribution component` ({k_mix}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_comp})")
        self._num_component = k_mix
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(comp_batch, component_distribution.event_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = ember.Size(batch_shape)
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        new._component_distribution = self._component_distribution.expand(
            batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component, new._event_ndims = self._num_component, self._event_ndims
        Distribution.__init__(new, batch_shape, new._component_distribution.event_shape,
                              validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    mixture_distribution = property(lambda self: self._mixture_distribution)
    component_distribution = property(lambda self: self._component_distribution)

    def _component_axis(self):
        return -1 - self._event_ndims

    def _weights(self):
        """Mixture probabilities shaped to broadcast against the components' moments."""
        p = self.mixture_distribution.probs
        nbatch, nmix = len(self.batch_shape), len(self.mixture_distribution.batch_shape)
        fill = 0 if nmix == 1 else nbatch - nmix
        return p.reshape(p.shape[:-1] + (1,) * fill + p.shape[-1:] + (1,) * self._event_ndims)

    def _pad(self, x):
        return x.unsqueeze(self._component_axis())

    @property
    def mean(self):
        return (self._weights() * self.component_distribution.mean).sum(self._component_axis())

    @property
    def variance(self):
        # the law of total variance: E[Var | component] + Var[E | component]
        w, comp = self._weights(), self.component_distribution
        within = (w * comp.variance).sum(self._component_axis())
        between = (w * (comp.mean - self._pad(self.mean)).pow(2.0)).sum(self._component_axis())
        return within + between

    def cdf(self, x):
        per_component = self.component_distribution.cdf(self._pad(x))
        return (per_component * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        x = self._checked(x)
        per_component = self.component_distribution.log_prob(self._pad(x))
        log_w = ember.log_softmax(self.mixture_distribution.logits, dim=-1)
        return ember.logsumexp(per_component + log_w, dim=-1)

    def sample(self, sample_shape=ember.Size()):
        with ember.no_grad():
            which = self.mixture_distribution.sample(sample_shape)  # sample + batch
            draws = self.component_distribution.sample(sample_shape)  # ... + (k,) + event
            axis = len(sample_shape) + len(self.batch_shape)
            event = tuple(self.event_shape)
            index = which.reshape(which.shape + (1,) * (1 + len(event)))
            index = index.expand(which.shape + (1,) + event)
            return draws.gather(axis, index).squeeze(axis)

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self.mixture_distribution},\n"
                f"  {self.component_distribution})")
