"""Constraints: the sets that parameters and samples of distributions live in. Each
has ``check(value)``, a boolean tensor over the batch (event dims reduced away).

Design: scalar ranges (reals, half-lines, intervals, integer ranges) share one class,
``_Range``, configured by which ends exist, whether each is closed and whether values
must be whole numbers; the public range names are thin subclasses of it so they can
still be called with their usual arguments and used in ``isinstance`` checks. Fixed
event-level sets (simplex, one-hot, matrix families) are ``_Predicate`` instances
wrapping a check function.
"""

from __future__ import annotations

import ember

__all__ = ["Constraint", "boolean", "cat", "corr_cholesky", "dependent", "dependent_property",
           "greater_than", "greater_than_eq", "independent", "integer_interval", "interval",
           "half_open_interval", "is_dependent", "less_than", "lower_cholesky",
           "lower_triangular", "MixtureSameFamilyConstraint", "multinomial", "nonnegative",
           "nonnegative_integer", "one_hot",
           "positive", "positive_semidefinite", "positive_definite", "positive_integer",
           "real", "real_vector", "simplex", "square", "stack", "symmetric", "unit_interval"]


class Constraint:
    """A set of valid values. ``check(value)`` answers elementwise over the batch;
    ``event_dim`` says how many rightmost dims form one event (they are reduced by
    ``check``) and ``is_discrete`` whether the set is countable.

    Example:
        >>> constraints.positive.check(ember.tensor([1.0, -1.0]))
        tensor([ True, False])
    """

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self) -> str:
        # private subclasses are named "_Thing"; show them as "Thing()"
        return type(self).__name__[1:] + "()"


_UNKNOWN = NotImplemented  # marks "not fixed in advance" for dependent constraints


class _ParamDependent(Constraint):
    """Stands for a set that is only known from a distribution's parameters (e.g.
    Uniform's support); it has no ``check``. Calling it makes a copy with
    ``is_discrete`` / ``event_dim`` filled in."""

    def __init__(self, *, is_discrete=_UNKNOWN, event_dim=_UNKNOWN):
        self._is_discrete = is_discrete
        self._event_dim = event_dim
        super().__init__()

    def _known(self, attr):
        value = getattr(self, "_" + attr)
        if value is _UNKNOWN:
            raise NotImplementedError(f".{attr} cannot be determined statically")
        return value

    @property
    def is_discrete(self) -> bool:
        return self._known("is_discrete")

    @property
    def event_dim(self) -> int:
        return self._known("event_dim")

    def __call__(self, *, is_discrete=_UNKNOWN, event_dim=_UNKNOWN):
        return _ParamDependent(
            is_discrete=self._is_discrete if is_discrete is _UNKNOWN else is_discrete,
            event_dim=self._event_dim if event_dim is _UNKNOWN else event_dim)

    def check(self, x):
        raise ValueError("Cannot determine validity of dependent constraint")

    def __repr__(self) -> str:
        return "Dependent()"


def is_dependent(constraint) -> bool:
    """Whether constraint is a dependent (uncheckable) constraint."""
    return isinstance(constraint, _ParamDependent)


class _ParamDependentProperty(property, _ParamDependent):
    """Decorator for a property whose value is a constraint built from parameters: read
    on an instance it runs the function, read on the class it is a dependent
    constraint (so e.g. ``Uniform.support`` can be inspected without an instance)."""

    def __init__(self, fn=None, *, is_discrete=_UNKNOWN, event_dim=_UNKNOWN):
        property.__init__(self, fn)
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    def __call__(self, fn):
        return _ParamDependentProperty(fn, is_discrete=self._is_discrete,
                                       event_dim=self._event_dim)

    def __repr__(self) -> str:
        return "DependentProperty()"


class _Reinterpreted(Constraint):
    """A constraint whose ``reinterpreted_batch_ndims`` rightmost batch dims are folded
    into the event: the check must hold on all of them at once."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims: int):
        if not isinstance(base_constraint, Constraint):
            raise TypeError("base_constraint must be a Constraint")
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise ValueError("reinterpreted_batch_ndims must be a non-negative int")
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__()

    @property
    def is_discrete(self) -> bool:
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base_constraint.check(value)
        k = self.reinterpreted_batch_ndims
        if ok.dim() < k:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.dim()}")
        return ok.flatten(ok.dim() - k).all(-1) if k else ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(Constraint):
    """The support of a MixtureSameFamily: its component constraint, checked on a value
    given a singleton component dim (just left of the event dims)."""

    def __init__(self, base_constraint):
        if not isinstance(base_constraint, Constraint):
            raise AssertionError("base_constraint must be a Constraint, got "
                                 f"{type(base_constraint).__name__}")
        self.base_constraint = base_constraint
        super().__init__()

    is_discrete = property(lambda self: self.base_constraint.is_discrete)
    event_dim = property(lambda self: self.base_constraint.event_dim)

    def check(self, value):
        ok = self.base_constraint.check(value.unsqueeze(-1 - self.event_dim))
        if value.dim() < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.dim()}")
        keep = value.dim() - self.event_dim
        return ok.reshape(ok.shape[:keep] + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class _Range(Constraint):
    """Scalars between optional bounds. Class attributes configure the family:
    ``_closed`` is (lower end closed, upper end closed), ``_whole`` requires whole
    numbers, ``_shown_as`` is the name used by repr."""

    _closed = (True, True)
    _whole = False
    _shown_as = "Range"

    def __init__(self, lower_bound=None, upper_bound=None):
        if lower_bound is not None:
            self.lower_bound = lower_bound
        if upper_bound is not None:
            self.upper_bound = upper_bound
        super().__init__()

    @property
    def is_discrete(self) -> bool:
        return self._whole

    def check(self, value):
        lo, hi = getattr(self, "lower_bound", None), getattr(self, "upper_bound", None)
        ok = (value % 1 == 0) if self._whole else None
        if lo is not None:
            above = (lo <= value) if self._closed[0] else (lo < value)
            ok = above if ok is None else ok & above
        if hi is not None:
            below = (value <= hi) if self._closed[1] else (value < hi)
            ok = below if ok is None else ok & below
        return value == value if ok is None else ok  # unbounded: only NaN is excluded

    def __repr__(self) -> str:
        bounds = [f"{k}={getattr(self, k)}" for k in ("lower_bound", "upper_bound")
                  if hasattr(self, k)]
        return f"{self._shown_as}({', '.join(bounds)})"


class _RealLine(_Range):
    _shown_as = "Real"

    def __init__(self):
        super().__init__()


class _Above(_Range):
    _closed = (False, True)
    _shown_as = "GreaterThan"

    def __init__(self, lower_bound):
        super().__init__(lower_bound=lower_bound)


class _AtLeast(_Range):
    _shown_as = "GreaterThanEq"

    def __init__(self, lower_bound):
        super().__init__(lower_bound=lower_bound)


class _Below(_Range):
    _closed = (True, False)
    _shown_as = "LessThan"

    def __init__(self, upper_bound):
        super().__init__(upper_bound=upper_bound)


class _Between(_Range):
    _shown_as = "Interval"

    def __init__(self, lower_bound, upper_bound):
        super().__init__(lower_bound, upper_bound)


class _BetweenHalfOpen(_Between):
    _closed = (True, False)
    _shown_as = "HalfOpenInterval"


class _WholeBetween(_Between):
    _whole = True
    _shown_as = "IntegerInterval"


class _WholeAtLeast(_AtLeast):
    _whole = True
    _shown_as = "IntegerGreaterThan"


class _Predicate(Constraint):
    """A fixed set given by a check function over events of ``event_dim`` dims."""

    def __init__(self, shown_as, fn, event_dim=0, is_discrete=False):
        self._shown_as, self._fn = shown_as, fn
        self.event_dim, self.is_discrete = event_dim, is_discrete
        super().__init__()

    def check(self, value):
        return self._fn(value)

    def __repr__(self) -> str:
        return self._shown_as + "()"


def _zero_or_one(x):
    return (x == 0) | (x == 1)


def _all_matrix(mask):
    return mask.flatten(-2).all(-1)


def _is_lower_triangular(x):
    return _all_matrix(x.tril() == x)


def _is_lower_cholesky(x):
    return _is_lower_triangular(x) & (x.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


def _is_corr_cholesky(x):
    # rows of a correlation matrix's Cholesky factor have unit length
    tol = ember.finfo(x.dtype).eps * x.size(-1) * 10
    row_len = ember.linalg.norm(x.detach(), dim=-1)
    return _is_lower_cholesky(x) & ((row_len - 1).abs() <= tol).all(-1)


def _is_square(x):
    same = x.shape[-2] == x.shape[-1]
    return ember.full(x.shape[:-2], same, dtype=ember.bool, device=x.device)


def _when(prior, test):
    """Short-circuits matrix checks: the costlier test runs only if ``prior`` holds
    everywhere (e.g. an eigen-decomposition needs a symmetric input)."""
    def check(x):
        first = prior(x)
        return test(x) if bool(first.all()) else first
    return check


def _is_symmetric(x):
    return _all_matrix(ember.isclose(x, x.mT, atol=1e-6))


_symmetric_check = _when(_is_square, _is_symmetric)


class _Counts(Constraint):
    """Non-negative count vectors whose total is at most ``upper_bound``."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, x):
        return (x >= 0).all(dim=-1) & (x.sum(dim=-1) <= self.upper_bound)

    def __repr__(self) -> str:
        return "Multinomial()"


class _Pieces(Constraint):
    """Base of cat/stack: a list of constraints applied to parts of dim ``dim``."""

    def __init__(self, cseq, dim: int = 0):
        self.cseq = list(cseq)
        if not all(isinstance(c, Constraint) for c in self.cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.dim = dim
        super().__init__()

    def _check_dim(self, value):
        if not -value.dim() <= self.dim < value.dim():
            raise AssertionError(f"dim {self.dim} out of range for value with "
                                 f"{value.dim()} dimensions")

    @property
    def is_discrete(self) -> bool:
        return any(c.is_discrete for c in self.cseq)


class _Concatenated(_Pieces):
    """Constraint ``cseq[i]`` applies to the i-th consecutive slice of ``dim``, of length
    ``lengths[i]`` (1 each by default)."""

    def __init__(self, cseq, dim: int = 0, lengths=None):
        super().__init__(cseq, dim)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match cseq "
                                 f"({len(self.cseq)})")

    @property
    def event_dim(self) -> int:
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        self._check_dim(value)
        offsets = [sum(self.lengths[:i]) for i in range(len(self.lengths))]
        parts = [c.check(value.narrow(self.dim, at, n))
                 for c, at, n in zip(self.cseq, offsets, self.lengths)]
        return ember.cat(parts, self.dim)

    def __repr__(self) -> str:
        return "Cat()"


class _Stacked(_Pieces):
    """Constraint ``cseq[i]`` applies to index i of ``dim``."""

    @property
    def event_dim(self) -> int:
        inner = max(c.event_dim for c in self.cseq)
        # a negative dim that reaches into the event adds one more event dim
        return inner + 1 if self.dim + inner < 0 else inner

    def check(self, value):
        self._check_dim(value)
        n = value.size(self.dim)
        return ember.stack([c.check(value.select(self.dim, i))
                            for i, c in zip(range(n), self.cseq)], self.dim)

    def __repr__(self) -> str:
        return "Stack()"


# public names, as torch.distributions.constraints spells them
dependent = _ParamDependent()
dependent_property = _ParamDependentProperty
independent = _Reinterpreted
boolean = _Predicate("Boolean", _zero_or_one, is_discrete=True)
one_hot = _Predicate("OneHot", lambda x: _zero_or_one(x).all(-1) & (x.sum(-1) == 1),
                     event_dim=1, is_discrete=True)
nonnegative_integer = _WholeAtLeast(0)
positive_integer = _WholeAtLeast(1)
integer_interval = _WholeBetween
real = _RealLine()
real_vector = independent(real, 1)
positive = _Above(0.0)
nonnegative = _AtLeast(0.0)
greater_than = _Above
greater_than_eq = _AtLeast
less_than = _Below
multinomial = _Counts
unit_interval = _Between(0.0, 1.0)
interval = _Between
half_open_interval = _BetweenHalfOpen
simplex = _Predicate("Simplex", lambda x: (x >= 0).all(-1) & ((x.sum(-1) - 1).abs() < 1e-6),
                     event_dim=1)
lower_triangular = _Predicate("LowerTriangular", _is_lower_triangular, event_dim=2)
lower_cholesky = _Predicate("LowerCholesky", _is_lower_cholesky, event_dim=2)
corr_cholesky = _Predicate("CorrCholesky", _is_corr_cholesky, event_dim=2)
square = _Predicate("Square", _is_square, event_dim=2)
symmetric = _Predicate("Symmetric", _symmetric_check, event_dim=2)
positive_semidefinite = _Predicate(
    "PositiveSemidefinite",
    _when(_symmetric_check, lambda x: ember.linalg.eigvalsh(x).ge(0).all(-1)), event_dim=2)
positive_definite = _Predicate(
    "PositiveDefinite",
    _when(_symmetric_check, lambda x: ember.linalg.cholesky_ex(x).info.eq(0)), event_dim=2)
cat = _Concatenated
stack = _Stacked
