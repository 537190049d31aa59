"""Continuous Bernoulli distribution."""

from __future__ import annotations

import math

import ember
import ember.nn.functional as F

from . import constraints
from .exp_family import ExponentialFamily
from .utils import (_one_of_probs_logits, _ProbsLogitsShaped, broadcast_all, clamp_probs,
                    lazy_property, logits_to_probs)

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_ProbsLogitsShaped, ExponentialFamily):
    """The continuous Bernoulli law on [0, 1] (Loaiza-Ganem and Cunningham, 2019):
    density C(p) p^x (1 - p)^(1 - x). Near p = 1/2, inside ``lims``, the normalizer and
    the moments switch to their Taylor expansions, where the closed forms lose digits.

    Example:
        >>> ContinuousBernoulli(ember.tensor(0.2)).mean
        tensor(0.3880)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501),
                 validate_args: bool | None = None):
        self._given, value = _one_of_probs_logits(probs, logits)
        value, = broadcast_all(value)
        if self._given == "probs":
            if validate_args is not None and not bool(constraints.unit_interval.check(value).all()):
                raise ValueError("The parameter probs has invalid values")
            value = clamp_probs(value)
        self.__dict__[self._given] = value
        self._lims = lims
        super().__init__(value.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(ContinuousBernoulli, batch_shape, _instance,
                                   ("probs", "logits"), keep=("_given", "_lims"))

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    # ---- the numerically delicate region around p = 1/2 ----

    def _stable(self):
        """True where p is outside ``lims`` and the closed forms are accurate."""
        lo, hi = self._lims
        return (self.probs <= lo) | (self.probs > hi)

    def _cut(self):
        """probs, with the entries inside ``lims`` moved to its lower end (their closed
        forms are computed but not used, and must stay finite for autograd)."""
        return ember.where(self._stable(), self.probs, ember.full_like(self.probs, self._lims[0]))

    def _log_norm(self):
        p = self._cut()
        lower = ember.where(p <= 0.5, p, ember.zeros_like(p))
        upper = ember.where(p >= 0.5, p, ember.ones_like(p))
        # C(p) = 2 atanh(1 - 2p) / (1 - 2p), as |log((1 - p) / p)| / |1 - 2p|
        exact = ((-p).log1p() - p.log()).abs().log() - ember.where(
            p <= 0.5, (-2.0 * lower).log1p(), (2.0 * upper - 1.0).log())
        d2 = (self.probs - 0.5).pow(2)
        series = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * d2) * d2
        return ember.where(self._stable(), exact, series)

    @property
    def mean(self):
        p = self._cut()
        exact = p / (2.0 * p - 1.0) + 1.0 / ((-p).log1p() - p.log())
        d = self.probs - 0.5
        series = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * d.pow(2)) * d
        return ember.where(self._stable(), exact, series)

    @property
    def variance(self):
        p = self._cut()
        exact = p * (p - 1.0) / (1.0 - 2.0 * p).pow(2) + ((-p).log1p() - p.log()).pow(-2)
        d2 = (self.probs - 0.5).pow(2)
        series = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * d2) * d2
        return ember.where(self._stable(), exact, series)

    stddev = property(lambda self: self.variance.sqrt())

    def _uniforms(self, sample_shape):
        return ember.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype,
                          device=self.probs.device)

    def sample(self, sample_shape=ember.Size()):
        u = self._uniforms(sample_shape)
        with ember.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=ember.Size()):
        return self.icdf(self._uniforms(sample_shape))

    def log_prob(self, value):
        logits, x = broadcast_all(self.logits, self._checked(value))
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        return self._log_norm() - bce

    def cdf(self, value):
        x = self._checked(value)
        p = self._cut()
        inner = (p.pow(x) * (1.0 - p).pow(1.0 - x) + p - 1.0) / (2.0 * p - 1.0)
        inner = ember.where(self._stable(), inner, x)
        return ember.where(x <= 0.0, ember.zeros_like(x),
                           ember.where(x >= 1.0, ember.ones_like(x), inner))

    def icdf(self, value):
        p = self._cut()
        solved = (((2.0 * p - 1.0) * value - p).log1p() - (-p).log1p()) / (p.log() - (-p).log1p())
        return ember.where(self._stable(), solved, value)

    def entropy(self):
        log_q, log_p = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_q - log_p) - self._log_norm() - log_q

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        lo, hi = self._lims[0] - 0.5, self._lims[1] - 0.5
        stable = (x <= lo) | (x > hi)
        t = ember.where(stable, x, ember.full_like(x, lo))
        exact = ember.special.expm1(t).abs().log() - t.abs().log()
        series = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return ember.where(stable, exact, series)
