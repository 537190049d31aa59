"""LKJ distribution over Cholesky factors of correlation matrices."""

from __future__ import annotations

import math

import ember

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """The LKJ law (Lewandowski, Kurowicka and Joe, 2009) on lower Cholesky factors L of
    dim x dim correlation matrices, density proportional to det(L L^T)^(concentration - 1)
    in the correlation matrix. Sampled by the onion method: row i is a uniform direction
    scaled by the square root of a Beta draw.

    Example:
        >>> LKJCholesky(3, 0.5).sample().shape
        ember.Size([3, 3])
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        self.concentration, = broadcast_all(concentration)
        eta = self.concentration
        # row i (from 1) takes Beta(i / 2, eta + (dim - 2 - (i - 1)) / 2); row 0 is unused
        rows = ember.arange(dim - 1, dtype=eta.dtype, device=eta.device)
        rows = ember.cat([rows.new_zeros((1,)), rows])
        self._beta = Beta(rows + 0.5, (eta + 0.5 * (dim - 2)).unsqueeze(-1) - 0.5 * rows)
        super().__init__(eta.size(), ember.Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = ember.Size(batch_shape)
        new = self._expand_fields(LKJCholesky, batch_shape, _instance, ("concentration",),
                                  keep=("dim",))
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        return new

    def sample(self, sample_shape=ember.Size()):
        radius_sq = self._beta.sample(sample_shape).unsqueeze(-1)
        g = ember.randn(self._extended_shape(sample_shape), dtype=radius_sq.dtype,
                        device=radius_sq.device).tril(-1)
        direction = g / g.norm(dim=-1, keepdim=True)
        direction[..., 0, :] = 0.0  # row 0 has nothing below the diagonal (0/0 above)
        w = radius_sq.sqrt() * direction
        tiny = ember.finfo(w.dtype).tiny
        return w + ember.diag_embed((1 - w.pow(2).sum(-1)).clamp(min=tiny).sqrt())

    def log_prob(self, value):
        L = self._checked(value)
        d = self.dim
        diag = L.diagonal(dim1=-1, dim2=-2)[..., 1:]
        # exponent of L_ii: 2 (eta - 1) + dim - i for i = 2..dim
        i = ember.arange(2, d + 1, device=self.concentration.device)
        power = 2 * (self.concentration - 1).unsqueeze(-1) + d - i
        kernel = (power * diag.log()).sum(-1)
        alpha = self.concentration + 0.5 * (d - 1)
        log_norm = (0.5 * (d - 1) * math.log(math.pi) + ember.mvlgamma(alpha - 0.5, d - 1)
                    - (d - 1) * alpha.lgamma())
        return kernel - log_norm
