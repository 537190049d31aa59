"""Half-Cauchy distribution: |X| for a centred Cauchy."""

from __future__ import annotations

import math

from .cauchy import Cauchy
from .half_normal import _FoldedAtZero
from .utils import _constant_moment

__all__ = ["HalfCauchy"]


class HalfCauchy(_FoldedAtZero):
    """|X| for X ~ Cauchy(0, scale); heavy-tailed, so its mean is infinite.

    Example:
        >>> HalfCauchy(1.0).cdf(ember.tensor(1.0))
        tensor(0.5000)
    """

    def __init__(self, scale, validate_args: bool | None = None):
        super().__init__(Cauchy(0, scale, validate_args=False), validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, self._get_checked_instance(HalfCauchy, _instance))

    mean = property(lambda self: _constant_moment(self, math.inf, self.scale))
    variance = property(lambda self: self.base_dist.variance)
