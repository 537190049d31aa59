"""Helpers shared by the distributions: parameter broadcasting, probs/logits
conversions, cached properties, packing of lower-triangular matrices, and a few
private building blocks (enumeration grids, constant-filled moments, the probs/logits
parameter pair) that several families would otherwise repeat."""

from __future__ import annotations

from functools import update_wrapper
from numbers import Number

import ember

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Broadcasts tensors and numbers against each other; numbers become tensors of the
    tensors' dtype and device (the default dtype when there is no tensor).

    Example:
        >>> a, b = broadcast_all(ember.zeros(2, 1), 3.0)
        >>> b.shape
        ember.Size([2, 1])
    """
    def accepted(v):
        return isinstance(v, (ember.Tensor, Number)) or hasattr(v, "__torch_function__")

    if not all(map(accepted, values)):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    like = next((v for v in values if isinstance(v, ember.Tensor)), None)
    opts = ({"dtype": ember.get_default_dtype()} if like is None
            else {"dtype": like.dtype, "device": like.device})
    tensors = [v if isinstance(v, ember.Tensor) else ember.tensor(v, **opts) for v in values]
    return ember.broadcast_tensors(*tensors)


def _sum_last(x, ndims: int):
    """x summed over its last ``ndims`` dimensions (x itself when ndims is 0)."""
    return x.flatten(x.dim() - ndims).sum(-1) if ndims else x


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities from logits: a sigmoid when is_binary, else a softmax over the last dim."""
    return ember.sigmoid(logits) if is_binary else ember.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Probabilities clamped into [eps, 1 - eps] of their dtype."""
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    """Logits from probabilities (log-odds when is_binary, else log probs)."""
    p = clamp_probs(probs)
    return ember.logit(p) if is_binary else p.log()


class lazy_property:
    """A property computed on first access and then stored on the instance; accessed on
    the class it returns the wrapped function (so ``Distribution`` can inspect it)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return _lazy_class_view(self.wrapped)
        # computed values may be reused later under autograd, so always record a graph
        with ember.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


class _lazy_class_view(lazy_property, property):
    """What a lazy_property looks like on the class: also a plain property, so
    documentation tools and ``isinstance(..., property)`` see it."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def _tril_mask(n: int, diag: int, device):
    rows = ember.arange(n, device=device).view(-1, 1)
    return ember.arange(n, device=device) <= rows + diag


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle (from diagonal ``diag``) of the last two dims, row by row."""
    n = mat.shape[-1]
    if not -n <= diag < n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag: int = 0):
    """Inverse of tril_matrix_to_vec: a matrix with the vector's entries in its lower
    triangle (from diagonal ``diag``) and zeros elsewhere."""
    k = vec.shape[-1]
    # the side n solves n (n + 1) / 2 + diag n = k; take the positive root
    b = 1 + 2 * diag
    n = round((-b + (b * b + 8 * k + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2)
    if n * (n + 1) // 2 + diag * n != k:
        raise ValueError(f"The size of last dimension is {k} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    out = vec.new_zeros(vec.shape[:-1] + (n, n))
    out[..., _tril_mask(n, diag, vec.device)] = vec
    return out


def _support_grid(values, batch_shape, expand: bool):
    """Enumerated support values (first dim) laid out against batch_shape: each value
    gets singleton batch dims, broadcast out to the full batch when ``expand``."""
    n, event = values.shape[0], tuple(values.shape[1:])
    grid = values.reshape((n,) + (1,) * len(batch_shape) + event)
    return grid.expand((n,) + tuple(batch_shape) + event) if expand else grid


def _constant_moment(dist, fill, like):
    """A batch-shaped tensor of ``fill`` for moments that do not exist (nan or inf)."""
    return ember.full(dist._extended_shape(), fill, dtype=like.dtype, device=like.device)


def _one_of_probs_logits(probs, logits):
    """Which of probs/logits was given (exactly one must be) and its value."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    return ("probs", probs) if logits is None else ("logits", logits)


class _ProbsLogits:
    """Mixin for distributions parameterized by either ``probs`` or ``logits``: the one
    not given is derived on first use. ``_binary`` picks sigmoid vs softmax; subclasses
    record the given one's name in ``_given``."""

    _binary = True

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def _param(self):
        return self.__dict__[self._given]


class _ProbsLogitsShaped(_ProbsLogits):
    """_ProbsLogits plus the public ``param_shape`` and the ``_new`` tensor factory."""

    @property
    def param_shape(self):
        return self._param.size()

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)
