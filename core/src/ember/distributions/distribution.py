"""The Distribution base class: shapes, argument and sample validation, expand."""

from __future__ import annotations

import warnings

import ember

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


class Distribution:
    """Base class of probability distributions, as ``torch.distributions.Distribution``.

    ``batch_shape`` indexes independent distributions, ``event_shape`` is the shape of
    one draw; samples have shape ``sample_shape + batch_shape + event_shape``.

    Example:
        >>> d = ember.distributions.Normal(ember.zeros(3), 1.0)
        >>> d.sample((2,)).shape
        ember.Size([2, 3])
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turns argument/sample validation on or off for distributions made afterwards."""
        if value not in (False, True):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=ember.Size(), event_shape=ember.Size(),
                 validate_args: bool | None = None):
        self._batch_shape = ember.Size(batch_shape)
        self._event_shape = ember.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()
        super().__init__()

    def _check_parameters(self) -> None:
        try:
            rules = self.arg_constraints
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set "
                          "`arg_constraints = {}` or initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=3)
            return
        for name, rule in rules.items():
            if constraints.is_dependent(rule):
                continue  # e.g. Uniform's bounds: nothing to check on their own
            lazy = isinstance(getattr(type(self), name, None), lazy_property)
            if lazy and name not in self.__dict__:
                continue  # derived from the other parameterization; forcing it costs work
            value = getattr(self, name)
            if not bool(rule.check(value).all()):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {rule!r}, but found invalid values:\n{value}")

    def expand(self, batch_shape, _instance=None):
        """A new distribution with batch dims expanded to batch_shape (no copies)."""
        raise NotImplementedError

    def _expand_fields(self, owner, batch_shape, _instance, expand=(), keep=()):
        """The body of ``expand`` for most families: tensors named in ``expand`` are
        broadcast to the new batch shape (keeping their trailing event dims), nested
        distributions are expanded, and attributes named in ``keep`` are shared as is.
        Names absent from the instance (lazy parameters not yet computed) are skipped."""
        new = self._get_checked_instance(owner, _instance)
        batch_shape = ember.Size(batch_shape)
        nbatch = len(self._batch_shape)
        for name in expand:
            if name not in self.__dict__:
                continue
            value = self.__dict__[name]
            if isinstance(value, Distribution):
                value = value.expand(batch_shape)
            else:
                value = value.expand(batch_shape + value.shape[nbatch:])
            new.__dict__[name] = value
        for name in keep:
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name]
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def batch_shape(self) -> ember.Size:
        return self._batch_shape

    @property
    def event_shape(self) -> ember.Size:
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=ember.Size()):
        """A sample (or batch of samples) without gradient."""
        with ember.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=ember.Size()):
        """A reparameterized sample: differentiable in the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int):
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning,
                      stacklevel=2)
        return self.sample(ember.Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=ember.Size()) -> ember.Size:
        return ember.Size(tuple(sample_shape)) + self._batch_shape + self._event_shape

    def _checked(self, value):
        """value, after validating it as a sample when validation is on."""
        if self._validate_args:
            self._validate_sample(value)
        return value

    def _validate_sample(self, value) -> None:
        if not isinstance(value, ember.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape, nevent = value.size(), len(self._event_shape)
        if shape[len(shape) - nevent:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{shape} vs {self._event_shape}.")
        want = self._batch_shape + self._event_shape
        if any(a != b and 1 not in (a, b) for a, b in zip(reversed(shape), reversed(want))):
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                             f"{shape} vs {want}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
            return
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is not None:
            return _instance
        if type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__() method must also define a custom .expand() method.")
        return self.__new__(type(self))

    def __repr__(self) -> str:
        def shown(t):
            return t if t.numel() == 1 else t.size()

        names = [k for k in self.arg_constraints if k in self.__dict__]
        inner = ", ".join(f"{k}: {shown(self.__dict__[k])}" for k in names)
        return f"{type(self).__name__}({inner})"
