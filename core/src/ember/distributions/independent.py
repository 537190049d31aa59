"""Independent: reinterprets batch dims of a distribution as event dims."""

from __future__ import annotations

import ember

from . import constraints
from .distribution import Distribution
from .utils import _sum_last

__all__ = ["Independent"]


class Independent(Distribution):
    """Folds the rightmost ``reinterpreted_batch_ndims`` batch dims of
    base_distribution into its event, so log_prob and entropy add up over them (e.g. a
    batch of univariate Normals viewed as one diagonal multivariate Normal).

    Example:
        >>> from ember.distributions import Normal
        >>> d = Independent(Normal(ember.zeros(3), ember.ones(3)), 1)
        >>> d.batch_shape, d.event_shape
        (ember.Size([]), ember.Size([3]))
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None):
        nbatch = len(base_distribution.batch_shape)
        if reinterpreted_batch_ndims > nbatch:
            raise ValueError("Expected reinterpreted_batch_ndims <= "
                             f"len(base_distribution.batch_shape), actual "
                             f"{reinterpreted_batch_ndims} vs {nbatch}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        full = base_distribution.batch_shape + base_distribution.event_shape
        split = nbatch - reinterpreted_batch_ndims
        super().__init__(full[:split], full[split:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Independent, _instance)
        batch_shape = ember.Size(batch_shape)
        folded = self.event_shape[:self.reinterpreted_batch_ndims]
        new.base_dist = self.base_dist.expand(batch_shape + folded)
        new.reinterpreted_batch_ndims = self.reinterpreted_batch_ndims
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    has_rsample = property(lambda self: self.base_dist.has_rsample)

    @property
    def has_enumerate_support(self):
        # enumerating a product space is not supported, only the untouched base
        return not self.reinterpreted_batch_ndims and self.base_dist.has_enumerate_support

    @constraints.dependent_property
    def support(self):
        inner, k = self.base_dist.support, self.reinterpreted_batch_ndims
        return constraints.independent(inner, k) if k else inner

    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def sample(self, sample_shape=ember.Size()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=ember.Size()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return _sum_last(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return _sum_last(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True):
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_dist}, {self.reinterpreted_batch_ndims})"
