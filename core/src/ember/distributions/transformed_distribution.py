"""A base distribution pushed through a sequence of transforms."""

from __future__ import annotations

import ember

from . import constraints
from .distribution import Distribution
from .independent import Independent
from .transforms import ComposeTransform, Transform
from .utils import _sum_last

__all__ = ["TransformedDistribution"]


def _as_transform_list(transforms):
    if isinstance(transforms, Transform):
        return [transforms]
    if not isinstance(transforms, list):
        raise ValueError(f"transforms must be a Transform or list, but was {transforms}")
    if not all(isinstance(t, Transform) for t in transforms):
        raise ValueError("transforms must be a Transform or a list of Transforms")
    return transforms


class TransformedDistribution(Distribution):
    """The law of ``f(X)`` for X ~ base_distribution and f the composition of transforms
    (applied first to last); log_prob uses the change-of-variables formula.

    Example:
        >>> from ember.distributions import Normal, transforms
        >>> d = TransformedDistribution(Normal(0.0, 1.0), [transforms.ExpTransform()])
        >>> d.log_prob(ember.tensor(1.0))
        tensor(-0.9189)
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args: bool | None = None):
        self.transforms = _as_transform_list(transforms)
        chain = ComposeTransform(self.transforms)
        in_shape = base_distribution.batch_shape + base_distribution.event_shape
        in_event = len(base_distribution.event_shape)
        need = chain.domain.event_dim
        if len(in_shape) < need:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{need}, but got {in_shape}.")
        out_shape = chain.forward_shape(in_shape)
        # transforms with parameters may broadcast the base: expand it to match
        pulled_back = chain.inverse_shape(out_shape)
        if pulled_back != in_shape:
            base_distribution = base_distribution.expand(
                pulled_back[:len(pulled_back) - in_event])
        if need > in_event:
            base_distribution = Independent(base_distribution, need - in_event)
        self.base_dist = base_distribution
        out_event = max(chain.codomain.event_dim,
                        in_event + chain.codomain.event_dim - chain.domain.event_dim)
        assert len(out_shape) >= out_event
        split = len(out_shape) - out_event
        super().__init__(out_shape[:split], out_shape[split:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(TransformedDistribution, _instance)
        batch_shape = ember.Size(batch_shape)
        shape = ComposeTransform(self.transforms).inverse_shape(batch_shape + self.event_shape)
        new.base_dist = self.base_dist.expand(shape[:len(shape) - len(self.base_dist.event_shape)])
        new.transforms = self.transforms
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        last = self.transforms[-1].codomain
        extra = len(self.event_shape) - last.event_dim
        return constraints.independent(last, extra) if extra > 0 else last

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    def _push(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def sample(self, sample_shape=ember.Size()):
        with ember.no_grad():
            return self._push(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=ember.Size()):
        return self._push(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        y = self._checked(value)
        dims = len(self.event_shape)  # event dims of the current variable
        correction = 0.0
        for t in self.transforms[::-1]:
            x = t.inv(y)
            dims += t.domain.event_dim - t.codomain.event_dim
            correction = correction + _sum_last(t.log_abs_det_jacobian(x, y),
                                                dims - t.domain.event_dim)
            y = x
        base = _sum_last(self.base_dist.log_prob(y), dims - len(self.base_dist.event_shape))
        return base - correction

    def _monotonize_cdf(self, value):
        # a decreasing overall map turns the base cdf into a survival function
        sign = ComposeTransform(self.transforms).sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for t in self.transforms[::-1]:
            value = t.inv(value)
        return self._monotonize_cdf(self.base_dist.cdf(self.base_dist._checked(value)))

    def icdf(self, value):
        return self._push(self.base_dist.icdf(self._monotonize_cdf(value)))
