"""Categorical distribution over {0, ..., K-1}."""

from __future__ import annotations

import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import _constant_moment, _one_of_probs_logits, _ProbsLogitsShaped, _support_grid

__all__ = ["Categorical"]


class Categorical(_ProbsLogitsShaped, Distribution):
    """Draws an index in {0, ..., K-1}, K being the size of the last dim of ``probs``
    (non-negative weights, normalized here) or ``logits`` (unnormalized log weights).

    Example:
        >>> Categorical(probs=ember.tensor([0.25, 0.75])).log_prob(ember.tensor(1))
        tensor(-0.2877)
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True
    _binary = False

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        self._given, value = _one_of_probs_logits(probs, logits)
        if value.dim() < 1:
            raise ValueError(f"`{self._given}` parameter must be at least one-dimensional.")
        if self._given == "probs":
            self.probs = value / value.sum(-1, keepdim=True)
        else:
            self.logits = value - value.logsumexp(dim=-1, keepdim=True)
        self._num_events = value.shape[-1]
        super().__init__(value.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_fields(Categorical, batch_shape, _instance, ("probs", "logits"),
                                   keep=("_given", "_num_events"))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    mean = property(lambda self: _constant_moment(self, math.nan, self.probs))
    variance = property(lambda self: _constant_moment(self, math.nan, self.probs))
    mode = property(lambda self: self.probs.argmax(dim=-1))

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        draws = ember.Size(tuple(sample_shape)).numel()
        # one row of weights per batch element; multinomial draws down each row
        rows = self.probs.reshape(-1, self._num_events)
        return ember.multinomial(rows, draws, True).T.reshape(shape)

    def log_prob(self, value):
        idx = self._checked(value).long().unsqueeze(-1)
        idx, table = ember.broadcast_tensors(idx, self.logits)
        return table.gather(-1, idx[..., :1]).squeeze(-1)

    def entropy(self):
        # clamp -inf logits so that 0 * log 0 contributes 0 rather than nan
        logits = self.logits.clamp(min=ember.finfo(self.logits.dtype).min)
        return -(self.probs * logits).sum(-1)

    def enumerate_support(self, expand: bool = True):
        values = ember.arange(self._num_events, dtype=ember.long, device=self._param.device)
        return _support_grid(values, self._batch_shape, expand)
