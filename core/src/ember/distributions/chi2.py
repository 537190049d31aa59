"""Chi-squared distribution: Gamma(df / 2, 1 / 2)."""

from __future__ import annotations

from numbers import Number

import ember

from . import constraints
from .gamma import Gamma

__all__ = ["Chi2"]


class Chi2(Gamma):
    """Chi-squared distribution with ``df`` degrees of freedom, i.e. Gamma(df / 2, 1 / 2).

    Example:
        >>> Chi2(ember.tensor(3.0)).mean
        tensor(3.)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None):
        if isinstance(df, Number):
            df = ember.as_tensor(df)
        half = ember.tensor(0.5, dtype=df.dtype, device=df.device)
        super().__init__(df * half, half, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, self._get_checked_instance(Chi2, _instance))

    df = property(lambda self: 2 * self.concentration)
