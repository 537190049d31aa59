"""Maps from constraints to transforms: ``biject_to(c)`` gives a bijection from the
unconstrained reals onto c, ``transform_to(c)`` any transform onto c (used to optimize
constrained parameters in unconstrained space).

Entries are registered for a constraint object (our simple constraints are shared
instances) or for a constraint class (parameterized ones: bounds, independent, cat,
stack); an object's own entry wins over its class's. A class entry serves that exact
class only, so e.g. the integer ranges, though built on the real ones, have none.

Example:
    >>> biject_to(constraints.positive)(ember.tensor(0.0))
    tensor(1.)
"""

from __future__ import annotations

from . import constraints
from . import transforms as T

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """Constraint -> factory(constraint) -> Transform."""

    def __init__(self):
        self._by_object = {}
        self._by_class = {}
        super().__init__()

    def register(self, constraint, factory=None):
        if factory is None:  # decorator use
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, constraints.Constraint):
            self._by_object[id(constraint)] = (constraint, factory)
        elif isinstance(constraint, type) and issubclass(constraint, constraints.Constraint):
            self._by_class[constraint] = factory
        else:
            raise TypeError("Expected constraint to be either a Constraint subclass or "
                            f"instance, but got {constraint}")
        return factory

    def __call__(self, constraint):
        hit = self._by_object.get(id(constraint))
        if hit is not None and hit[0] is constraint:
            return hit[1](constraint)
        factory = self._by_class.get(type(constraint))
        if factory is not None:
            return factory(constraint)
        raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(constraint, factory):
    biject_to.register(constraint, factory)
    transform_to.register(constraint, factory)


_both(constraints.real, lambda c: T.identity_transform)
_both(constraints.positive, lambda c: T.ExpTransform())
_both(constraints.nonnegative, lambda c: T.ExpTransform())
_both(constraints.corr_cholesky, lambda c: T.CorrCholeskyTransform())
transform_to.register(constraints.lower_cholesky, lambda c: T.LowerCholeskyTransform())
# L L^T is onto the positive-definite matrices only; torch offers it for both sets
transform_to.register(constraints.positive_definite, lambda c: T.PositiveDefiniteTransform())
transform_to.register(constraints.positive_semidefinite,
                      lambda c: T.PositiveDefiniteTransform())
biject_to.register(constraints.simplex, lambda c: T.StickBreakingTransform())
transform_to.register(constraints.simplex, lambda c: T.SoftmaxTransform())


def _above(c):
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(c.lower_bound, 1)])


def _below(c):
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(c.upper_bound, -1)])


def _is_number(v, target):
    return isinstance(v, (int, float)) and v == target


def _between(c):
    lo, hi = c.lower_bound, c.upper_bound
    if _is_number(lo, 0) and _is_number(hi, 1):
        return T.SigmoidTransform()
    return T.ComposeTransform([T.SigmoidTransform(), T.AffineTransform(lo, hi - lo)])


def _independent_of(registry):
    def make(c):
        inner = registry(c.base_constraint)
        return T.IndependentTransform(inner, c.reinterpreted_batch_ndims)
    return make


def _pieces_of(registry):
    def make_cat(c):
        return T.CatTransform([registry(part) for part in c.cseq], c.dim, c.lengths)

    def make_stack(c):
        return T.StackTransform([registry(part) for part in c.cseq], c.dim)
    return make_cat, make_stack


for _cls, _make in ((constraints._Above, _above), (constraints._AtLeast, _above),
                    (constraints._Below, _below), (constraints._Between, _between),
                    (constraints._BetweenHalfOpen, _between)):
    _both(_cls, _make)
for _registry in (biject_to, transform_to):
    _registry.register(constraints._Reinterpreted, _independent_of(_registry))
    _make_cat, _make_stack = _pieces_of(_registry)
    _registry.register(constraints.cat, _make_cat)
    _registry.register(constraints.stack, _make_stack)
