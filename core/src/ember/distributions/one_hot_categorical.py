"""One-hot categorical distribution."""

from __future__ import annotations

import ember
import ember.nn.functional as F

from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import _support_grid

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class _WrapsCategorical(Distribution):
    """Shared plumbing of distributions defined through an inner Categorical
    (``_categorical``): parameter access, event shape of size K, expand."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def _setup(self, categorical, validate_args):
        self._categorical = categorical
        super().__init__(categorical.batch_shape, categorical.param_shape[-1:],
                         validate_args=validate_args)

    def _expand_as(self, owner, batch_shape, _instance, keep=()):
        return self._expand_fields(owner, batch_shape, _instance, ("_categorical",), keep=keep)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)
    _param = property(lambda self: self._categorical._param)

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)


class OneHotCategorical(_WrapsCategorical):
    """A Categorical whose draws are one-hot vectors of length K instead of indices.

    Example:
        >>> OneHotCategorical(probs=ember.tensor([0.25, 0.75])).event_shape
        ember.Size([2])
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        self._setup(Categorical(probs, logits), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_as(OneHotCategorical, batch_shape, _instance)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        p = self.probs
        return F.one_hot(p.argmax(dim=-1), num_classes=p.shape[-1]).to(p)

    def sample(self, sample_shape=ember.Size()):
        idx = self._categorical.sample(ember.Size(sample_shape))
        return F.one_hot(idx, self._categorical._num_events).to(self.probs)

    def log_prob(self, value):
        hot = self._checked(value).argmax(-1)
        return self._categorical.log_prob(hot)

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True):
        k = self.event_shape[0]
        rows = ember.eye(k, dtype=self._param.dtype, device=self._param.device)
        return _support_grid(rows, self.batch_shape, expand)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical with a straight-through rsample: the forward value is a hard
    one-hot draw, while gradients flow as if it were ``probs``.

    Example:
        >>> p = ember.tensor([0.2, 0.8], requires_grad=True)
        >>> OneHotCategoricalStraightThrough(probs=p).rsample().sum().backward()
    """

    has_rsample = True

    def rsample(self, sample_shape=ember.Size()):
        p = self.probs
        return self.sample(sample_shape) + (p - p.detach())
