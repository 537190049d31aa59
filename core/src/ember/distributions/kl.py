"""KL divergence KL(p || q) between distributions, dispatched on the pair of types.

Dispatch: among the registered (P, Q) pairs with type(p) a subclass of P and type(q) a
subclass of Q, the pair nearest in the method resolution orders wins; "nearest" is
ranked p-first and, as a cross-check, q-first, and a warning is raised when the two
rankings disagree on the function (the caller should register the exact pair).
"""

from __future__ import annotations

import math
import warnings

import ember
import ember.nn.functional as F

from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal, _mahalanobis_sq
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .pareto import Pareto
from .poisson import Poisson
from .uniform import Uniform
from .utils import _sum_last

__all__ = ["kl_divergence", "register_kl"]

_FORMULAS: dict = {}   # (type_p, type_q) -> fn, as registered
_RESOLVED: dict = {}   # (type(p), type(q)) -> fn or None, filled lazily
_EULER_GAMMA = 0.5772156649015329


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as the KL divergence of the pair of types;
    subclasses use it too unless a closer pair is registered.

    Example:
        >>> @register_kl(Normal, Normal)
        ... def kl_normal_normal(p, q): ...
    """
    for label, t in (("type_p", type_p), ("type_q", type_q)):
        if not isinstance(t, type):
            raise TypeError(f"Expected {label} to be a Distribution subclass but got {t}")

    def register(fn):
        _FORMULAS[type_p, type_q] = fn
        _RESOLVED.clear()
        return fn

    return register


def _resolve(tp, tq):
    ranked = []
    for (P, Q), fn in _FORMULAS.items():
        if issubclass(tp, P) and issubclass(tq, Q):
            ranked.append((tp.__mro__.index(P), tq.__mro__.index(Q), P, Q, fn))
    if not ranked:
        return None
    by_p = min(ranked, key=lambda r: (r[0], r[1]))
    by_q = min(ranked, key=lambda r: (r[1], r[0]))
    if by_p[4] is not by_q[4]:
        warnings.warn(f"Ambiguous kl_divergence({tp.__name__}, {tq.__name__}). Please "
                      f"register_kl({by_p[2].__name__}, {by_q[3].__name__})", RuntimeWarning,
                      stacklevel=3)
    return by_p[4]


def kl_divergence(p: Distribution, q: Distribution):
    """KL(p || q), batched; NotImplementedError for pairs with no registered formula.

    Example:
        >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0))
        tensor(0.5000)
    """
    key = (type(p), type(q))
    if key not in _RESOLVED:
        _RESOLVED[key] = _resolve(*key)
    fn = _RESOLVED[key]
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{p.__class__.__name__} and q type {q.__class__.__name__}")
    return fn(p, q)


def _masked(x, infinite_where, zero_where):
    """x with +inf where q gives no mass but p may, and 0 where p gives no mass."""
    x = ember.where(infinite_where, math.inf, x)
    return ember.where(zero_where, 0.0, x)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p, q):
    # with log s = -softplus(-l) and log(1 - s) = -softplus(l) for s = sigmoid(l)
    ones = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    zeros = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    return (_masked(ones, q.probs == 0, p.probs == 0)
            + _masked(zeros, q.probs == 1, p.probs == 1))


@register_kl(Categorical, Categorical)
def _kl_categorical(p, q):
    terms = p.probs * (p.logits - q.logits)
    return _masked(terms, (q.probs == 0).expand_as(terms),
                   (p.probs == 0).expand_as(terms)).sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_one_hot(p, q):
    return _kl_categorical(p._categorical, q._categorical)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet(p, q):
    # E_p[log p - log q] with E_p[log x_i] = digamma(a_i) - digamma(a_0)
    a, b = p.concentration, q.concentration
    a0 = a.sum(-1)
    log_norm_gap = (a0.lgamma() - b.sum(-1).lgamma()
                    - (a.lgamma() - b.lgamma()).sum(-1))
    expected_log_x = a.digamma() - a0.digamma().unsqueeze(-1)
    return log_norm_gap + ((a - b) * expected_log_x).sum(-1)


@register_kl(Beta, Beta)
def _kl_beta(p, q):
    return _kl_dirichlet(p._dirichlet, q._dirichlet)  # a Beta is a 2-component Dirichlet


@register_kl(Exponential, Exponential)
def _kl_exponential(p, q):
    r = q.rate / p.rate
    return r - r.log() - 1


@register_kl(Gamma, Gamma)
def _kl_gamma(p, q):
    a, b = p.concentration, p.rate
    c, d = q.concentration, q.rate
    # E_p[x] = a / b and E_p[log x] = digamma(a) - log b
    return ((a - c) * a.digamma() + c.lgamma() - a.lgamma()
            + c * (b / d).log() + a * (d - b) / b)


@register_kl(Laplace, Laplace)
def _kl_laplace(p, q):
    gap = (p.loc - q.loc).abs()
    r = p.scale / q.scale
    return gap / q.scale + r * (-gap / p.scale).exp() - r.log() - 1


def _log_det_half(tril):
    return tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    k = p.event_shape[0]
    batch = ember.broadcast_shapes(Lp.shape[:-2], Lq.shape[:-2])
    # tr(Sq^-1 Sp) = ||Lq^-1 Lp||_F^2
    whitened = ember.linalg.solve_triangular(Lq.expand(batch + (k, k)),
                                             Lp.expand(batch + (k, k)), upper=False)
    trace = whitened.pow(2).sum((-2, -1))
    return (_log_det_half(Lq) - _log_det_half(Lp)
            + 0.5 * (trace + _mahalanobis_sq(Lq, q.loc - p.loc) - k))


@register_kl(Normal, Normal)
def _kl_normal(p, q):
    r = p.scale / q.scale
    z = (p.loc - q.loc) / q.scale
    return 0.5 * (r * r + z * z - 1) - r.log()


@register_kl(Poisson, Poisson)
def _kl_poisson(p, q):
    return ember.xlogy(p.rate, p.rate) - p.rate * q.rate.log() + q.rate - p.rate


@register_kl(Pareto, Pareto)
def _kl_pareto(p, q):
    # infinite when p puts mass below q's minimum
    a_ratio = q.alpha / p.alpha
    finite = q.alpha * (p.scale / q.scale).log() - a_ratio.log() + a_ratio - 1
    return ember.where(p.scale < q.scale, math.inf, finite)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli(p, q):
    # E_p[x] (logit p - logit q) + log C(p) - log C(q) + log(1 - p) - log(1 - q)
    cross = p.mean * (p.logits - q.logits)
    return (cross + p._log_norm() - q._log_norm() + (-p.probs).log1p()
            - (-q.probs).log1p())


@register_kl(Uniform, Uniform)
def _kl_uniform(p, q):
    ratio = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return ember.where(outside, math.inf, ratio)


@register_kl(Independent, Independent)
def _kl_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_last(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    # Exponential(l) = Gamma(1, l); E[log x] = -gamma - log l, E[x] = 1 / l
    c, r = q.concentration, q.rate / p.rate
    return r + c.lgamma() - c * r.log() + (c - 1) * _EULER_GAMMA - 1


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    # E|x - m| for x ~ N(mu, s): s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / (s sqrt 2))
    d = p.loc - q.loc
    z = d / p.scale
    mean_abs = (p.scale * math.sqrt(2 / math.pi) * (-0.5 * z * z).exp()
                + d * ember.erf(z / math.sqrt(2)))
    return mean_abs / q.scale - (p.scale / q.scale).log() - 0.5 * (1 + math.log(math.pi / 2))
