"""Von Mises distribution on the circle."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["VonMises"]

# Polynomial approximations of the modified Bessel functions I0 and I1 (Abramowitz and
# Stegun 9.8.1-9.8.4): in (x / 3.75)^2 below 3.75, and of e^-x sqrt(x) I(x) in 3.75 / x
# above. Coefficients in ascending powers.
_BESSEL_BELOW = {
    0: (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813),
    1: (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411),
}
_BESSEL_ABOVE = {
    0: (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706,
        0.02635537, -0.01647633, 0.00392377),
    1: (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967,
        -0.02895312, 0.01787654, -0.00420059),
}


def _horner(t, coefs):
    acc = coefs[-1]
    for c in reversed(coefs[:-1]):
        acc = c + t * acc
    return acc


def _log_bessel_i(x, order: int = 0):
    """log I_order(x) for x > 0 and order 0 or 1, by the polynomial fits above."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    below = _horner((x / 3.75).pow(2), _BESSEL_BELOW[order])
    if order == 1:
        below = x.abs() * below
    above = x - 0.5 * x.log() + _horner(3.75 / x, _BESSEL_ABOVE[order]).log()
    return ember.where(x < 3.75, below.log(), above)


def _best_fisher_sample(loc, kappa, r, shape):
    """Best and Fisher's (1979) wrapped-Cauchy envelope rejection sampler, vectorized:
    every round proposes for all elements and keeps the first acceptance of each."""
    out = ember.zeros(shape, dtype=loc.dtype, device=loc.device)
    pending = ember.ones(shape, dtype=ember.bool, device=loc.device)
    while bool(pending.any()):
        u1, u2, u3 = ember.rand((3,) + tuple(shape), dtype=loc.dtype, device=loc.device).unbind()
        z = (math.pi * u1).cos()
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        take = accept & pending
        out = ember.where(take, (u3 - 0.5).sign() * f.acos(), out)
        pending = pending & ~accept
    # shift by loc and wrap into [-pi, pi)
    return (out + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """The circular normal law with mean direction ``loc`` and ``concentration`` kappa:
    density exp(kappa cos(x - loc)) / (2 pi I0(kappa)). Samples lie in [-pi, pi); they
    are drawn in float64 by rejection and not reparameterized.

    Example:
        >>> VonMises(ember.tensor(0.0), ember.tensor(1.0)).log_prob(ember.tensor(0.0))
        tensor(-1.0619)
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args: bool | None = None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, ember.Size(), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value):
        x = self._checked(value)
        k = self.concentration
        return k * (x - self.loc).cos() - math.log(2 * math.pi) - _log_bessel_i(k, 0)

    @lazy_property
    def _proposal_r(self):
        k = self.concentration.to(ember.float64)
        tau = 1 + (1 + 4 * k.pow(2)).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * k)
        # tiny kappa: (1 + rho^2) / (2 rho) cancels badly; use its expansion
        return ember.where(k < 1e-5, 1 / k + k, (1 + rho.pow(2)) / (2 * rho))

    def sample(self, sample_shape=ember.Size()):
        with ember.no_grad():
            shape = self._extended_shape(sample_shape)
            x = _best_fisher_sample(self.loc.to(ember.float64),
                                    self.concentration.to(ember.float64),
                                    self._proposal_r, shape)
            return x.to(self.loc.dtype)

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)

    @lazy_property
    def variance(self):
        # the circular variance 1 - I1(kappa) / I0(kappa)
        k = self.concentration
        return 1 - (_log_bessel_i(k, 1) - _log_bessel_i(k, 0)).exp()
