"""ExponentialFamily: distributions with density h(x) exp(<t(x), theta> - F(theta))."""

from __future__ import annotations

import ember

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of exponential-family distributions, whose density is
    h(x) exp(<theta, t(x)> - F(theta)). Subclasses give ``_natural_params`` (theta),
    ``_log_normalizer`` (F) and ``_mean_carrier_measure`` (E[log h(x)]); from those the
    entropy is F(theta) - <theta, grad F(theta)> - E[log h], with grad F by autograd.

    Example:
        >>> isinstance(ember.distributions.Normal(0.0, 1.0), ExponentialFamily)
        True
    """

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        theta = [t.detach().requires_grad_() for t in self._natural_params]
        F = self._log_normalizer(*theta)
        # grad F(theta) is the mean of the sufficient statistic
        grads = ember.autograd.grad(F.sum(), theta, create_graph=True)
        out = F - self._mean_carrier_measure
        for t, g in zip(theta, grads):
            out = out - (t * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return out
