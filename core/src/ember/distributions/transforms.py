"""Invertible transforms with log-det-Jacobians, for TransformedDistribution.

Design notes: the one-slot cache lives in ``_memo`` as an (x, y) pair consulted in both
directions; parameter-free transforms derive from ``_Stateless`` (equal when of the
same type, rebuilt by ``with_cache`` without arguments); parameterized ones list their
constructor arguments in ``_rebuild_args`` so the base ``with_cache`` can recreate them.
"""

from __future__ import annotations

import math
import weakref

import ember
import ember.nn.functional as F

from . import constraints
from .utils import _sum_last, broadcast_all, tril_matrix_to_vec, vec_to_tril_matrix

__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
           "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform",
           "Transform", "identity_transform"]

_EMPTY = (None, None)


class Transform:
    """A map y = f(x) with a ``log_abs_det_jacobian`` (invertible when ``bijective``).

    With ``cache_size=1`` the last (x, y) pair is remembered, so ``t.inv(t(x))`` gives
    back the very same x object.

    Example:
        >>> t = ExpTransform()
        >>> t.inv(t(ember.tensor([0.0])))
        tensor([0.])
    """

    bijective = False
    domain = constraints.real
    codomain = constraints.real

    def __init__(self, cache_size: int = 0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._inv = None
        if cache_size:
            self._memo = _EMPTY
        super().__init__()

    def __getstate__(self):
        # a weak reference to the inverse cannot be pickled; it is rebuilt on demand
        return {**self.__dict__, "_inv": None}

    def _rebuild_args(self):
        """Positional arguments that recreate this transform (None: not supported)."""
        if type(self).__init__ is Transform.__init__:
            return ()
        return None

    @property
    def event_dim(self) -> int:
        if self.domain.event_dim != self.codomain.event_dim:
            raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")
        return self.domain.event_dim

    @property
    def inv(self):
        known = self._inv() if self._inv is not None else None
        if known is None:
            known = _InverseTransform(self)
            self._inv = weakref.ref(known)
        return known

    @property
    def sign(self):
        raise NotImplementedError

    def with_cache(self, cache_size: int = 1):
        if cache_size == self._cache_size:
            return self
        args = self._rebuild_args()
        if args is None:
            raise NotImplementedError(f"{type(self)}.with_cache is not implemented")
        return type(self)(*args, cache_size=cache_size)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return not self == other

    __hash__ = object.__hash__

    def _through_cache(self, arg, forward: bool):
        compute = self._call if forward else self._inverse
        if not self._cache_size:
            return compute(arg)
        seen_x, seen_y = self._memo
        if arg is (seen_x if forward else seen_y):
            return seen_y if forward else seen_x
        out = compute(arg)
        self._memo = (arg, out) if forward else (out, arg)
        return out

    def __call__(self, x):
        return self._through_cache(x, True)

    def _inv_call(self, y):
        return self._through_cache(y, False)

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__ + "()"

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape


class _InverseTransform(Transform):
    """Runs a transform backwards; shares the forward transform's cache."""

    def __init__(self, transform: Transform):
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    domain = property(lambda self: self._inv.codomain)
    codomain = property(lambda self: self._inv.domain)
    bijective = property(lambda self: self._inv.bijective)
    sign = property(lambda self: self._inv.sign)
    inv = property(lambda self: self._inv)

    def with_cache(self, cache_size: int = 1):
        return self._inv.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inv!r})"

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)


def _widen(constraint, event_dim):
    """constraint with extra rightmost dims folded into its event, up to event_dim."""
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


class ComposeTransform(Transform):
    """Applies ``parts`` in order: ``ComposeTransform([f, g])(x) == g(f(x))``.

    Example:
        >>> t = ComposeTransform([AffineTransform(0.0, 2.0), ExpTransform()])
        >>> t(ember.tensor([0.0]))
        tensor([1.])
    """

    def __init__(self, parts, cache_size: int = 0):
        if cache_size:
            parts = [p.with_cache(cache_size) for p in parts]
        super().__init__(cache_size=cache_size)
        self.parts = list(parts)

    def _rebuild_args(self):
        return (self.parts,)

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    def _input_event_dim(self):
        # walk backwards from the output: each part may need more event dims at its input
        dim = self.parts[-1].codomain.event_dim
        for p in reversed(self.parts):
            dim = max(dim + p.domain.event_dim - p.codomain.event_dim, p.domain.event_dim)
        return dim

    def _output_event_dim(self):
        dim = self.parts[0].domain.event_dim
        for p in self.parts:
            dim = max(dim + p.codomain.event_dim - p.domain.event_dim, p.codomain.event_dim)
        return dim

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        if not self.parts:
            return constraints.real
        return _widen(self.parts[0].domain, self._input_event_dim())

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        if not self.parts:
            return constraints.real
        return _widen(self.parts[-1].codomain, self._output_event_dim())

    @property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @property
    def sign(self):
        total = 1
        for p in self.parts:
            total = total * p.sign
        return total

    @property
    def inv(self):
        known = self._inv() if self._inv is not None else None
        if known is None:
            known = ComposeTransform([p.inv for p in self.parts[::-1]])
            self._inv = weakref.ref(known)
            known._inv = weakref.ref(self)
        return known

    def __call__(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return ember.zeros_like(x)
        total = None
        dim = self.domain.event_dim
        last = len(self.parts) - 1
        for i, p in enumerate(self.parts):
            out = y if i == last else p(x)
            term = _sum_last(p.log_abs_det_jacobian(x, out), dim - p.domain.event_dim)
            total = term if total is None else total + term
            dim += p.codomain.event_dim - p.domain.event_dim
            x = out
        return total

    def forward_shape(self, shape):
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for p in self.parts[::-1]:
            shape = p.inverse_shape(shape)
        return shape

    def __repr__(self) -> str:
        body = ",\n    ".join(map(repr, self.parts))
        return f"{type(self).__name__}(\n    {body}\n)"


identity_transform = ComposeTransform([])


def _need_dims(n_have, n_need):
    if n_have < n_need:
        raise ValueError("Too few dimensions on input")


class IndependentTransform(Transform):
    """Wraps a transform so that ``reinterpreted_batch_ndims`` more rightmost dims count
    as event dims; the log-det-Jacobian is summed over them.

    Example:
        >>> IndependentTransform(ExpTransform(), 1).log_abs_det_jacobian(
        ...     ember.zeros(2, 3), ember.ones(2, 3)).shape
        ember.Size([2])
    """

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int,
                 cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def _rebuild_args(self):
        return (self.base_transform, self.reinterpreted_batch_ndims)

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    bijective = property(lambda self: self.base_transform.bijective)
    sign = property(lambda self: self.base_transform.sign)

    def _call(self, x):
        _need_dims(x.dim(), self.domain.event_dim)
        return self.base_transform(x)

    def _inverse(self, y):
        _need_dims(y.dim(), self.codomain.event_dim)
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        inner = self.base_transform.log_abs_det_jacobian(x, y)
        return _sum_last(inner, self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.base_transform!r}, "
                f"{self.reinterpreted_batch_ndims})")

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)


class ReshapeTransform(Transform):
    """Reshapes the rightmost ``in_shape`` dims into ``out_shape`` (volume preserving).

    Example:
        >>> ReshapeTransform((4,), (2, 2))(ember.zeros(3, 4)).shape
        ember.Size([3, 2, 2])
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = ember.Size(in_shape), ember.Size(out_shape)
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    def _rebuild_args(self):
        return (self.in_shape, self.out_shape)

    @constraints.dependent_property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @constraints.dependent_property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    @staticmethod
    def _swap_tail(shape, old, new):
        return ember.Size(shape[:len(shape) - len(old)]) + new

    def _call(self, x):
        return x.reshape(self._swap_tail(x.shape, self.in_shape, self.out_shape))

    def _inverse(self, y):
        return y.reshape(self._swap_tail(y.shape, self.out_shape, self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        return x.new_zeros(x.shape[:x.dim() - len(self.in_shape)])

    def forward_shape(self, shape):
        return self._swap_tail(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._swap_tail(shape, self.out_shape, self.in_shape)


class _Stateless(Transform):
    """Base of transforms without parameters: all instances of a class are equal."""

    def __eq__(self, other):
        return isinstance(other, type(self))

    __hash__ = object.__hash__


class ExpTransform(_Stateless):
    """y = exp(x).

    Example:
        >>> ExpTransform()(ember.tensor([0.0]))
        tensor([1.])
    """

    codomain = constraints.positive
    bijective = True
    sign = +1
    _call = staticmethod(ember.exp)
    _inverse = staticmethod(ember.log)

    def log_abs_det_jacobian(self, x, y):
        return x  # d exp(x)/dx = exp(x), whose log is x


def _squeeze_into_unit(p):
    """p kept strictly inside (0, 1) in its dtype, so logs of p and 1 - p stay finite."""
    info = ember.finfo(p.dtype)
    return p.clamp(min=info.tiny, max=1.0 - info.eps)


class SigmoidTransform(_Stateless):
    """y = sigmoid(x), kept strictly inside (0, 1).

    Example:
        >>> SigmoidTransform()(ember.tensor([0.0]))
        tensor([0.5000])
    """

    codomain = constraints.unit_interval
    bijective = True
    sign = +1

    def _call(self, x):
        return _squeeze_into_unit(x.sigmoid())

    def _inverse(self, y):
        return ember.logit(_squeeze_into_unit(y))

    def log_abs_det_jacobian(self, x, y):
        # sigmoid' = sigmoid(x) sigmoid(-x); log sigmoid(t) = -softplus(-t)
        return -(F.softplus(x) + F.softplus(-x))


class SoftplusTransform(_Stateless):
    """y = log(1 + exp(x)).

    Example:
        >>> SoftplusTransform()(ember.tensor([0.0]))
        tensor([0.6931])
    """

    codomain = constraints.positive
    bijective = True
    sign = +1
    _call = staticmethod(F.softplus)

    def _inverse(self, y):
        # x = log(exp(y) - 1) = y + log(1 - exp(-y)), stable for large y
        return y + ember.log(-ember.expm1(-y))

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)  # log sigmoid(x)


def _log_tanh_slope(x):
    # log(1 - tanh^2 x) = 2 log(2 e^-x / (1 + e^-2x)), written without overflow
    return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class TanhTransform(_Stateless):
    """y = tanh(x).

    Example:
        >>> TanhTransform()(ember.tensor([0.0]))
        tensor([0.])
    """

    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = +1
    _call = staticmethod(ember.tanh)
    _inverse = staticmethod(ember.atanh)

    def log_abs_det_jacobian(self, x, y):
        return _log_tanh_slope(x)


class AbsTransform(_Stateless):
    """y = |x|; not bijective, its inverse returns the non-negative preimage.

    Example:
        >>> AbsTransform()(ember.tensor([-2.0]))
        tensor([2.])
    """

    codomain = constraints.positive
    _call = staticmethod(ember.abs)

    def _inverse(self, y):
        return y


def _same_value(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return bool((ember.as_tensor(a) == ember.as_tensor(b)).all())


def _shape_of(v):
    return getattr(v, "shape", ())


class PowerTransform(Transform):
    """y = x ** exponent on the positive reals.

    Example:
        >>> PowerTransform(2.0)(ember.tensor([3.0]))
        tensor([9.])
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.exponent = broadcast_all(exponent)[0]

    def _rebuild_args(self):
        return (self.exponent,)

    @property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and _same_value(self.exponent, other.exponent)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(self.exponent.reciprocal())

    def log_abs_det_jacobian(self, x, y):
        # dy/dx = k x^(k-1) = k y / x
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return ember.broadcast_shapes(shape, _shape_of(self.exponent))

    inverse_shape = forward_shape


class AffineTransform(Transform):
    """y = loc + scale * x, acting on ``event_dim`` rightmost dims as one event.

    Example:
        >>> AffineTransform(1.0, 2.0)(ember.tensor([1.0]))
        tensor([3.])
    """

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    def _rebuild_args(self):
        return (self.loc, self.scale, self._event_dim)

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return _widen(constraints.real, self._event_dim)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return _widen(constraints.real, self._event_dim)

    def __eq__(self, other):
        return (isinstance(other, AffineTransform) and _same_value(self.loc, other.loc)
                and _same_value(self.scale, other.scale))

    __hash__ = object.__hash__

    @property
    def sign(self):
        s = self.scale
        if isinstance(s, (int, float)):
            return (s > 0) - (s < 0)
        return s.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        s = self.scale
        if isinstance(s, (int, float)):
            per_elem = ember.full_like(x, math.log(abs(s)))
        else:
            per_elem = s.abs().log()
        k = self._event_dim
        target = x.shape[:x.dim() - k] if k else x.shape
        return _sum_last(per_elem, k).expand(target)

    def forward_shape(self, shape):
        return ember.broadcast_shapes(shape, _shape_of(self.loc), _shape_of(self.scale))

    inverse_shape = forward_shape


def _vector_shape_check(shape):
    _need_dims(len(shape), 1)


class SoftmaxTransform(_Stateless):
    """Unconstrained vectors to the simplex by exponentiating and normalizing (not
    bijective: adding a constant to x gives the same y).

    Example:
        >>> SoftmaxTransform()(ember.zeros(2))
        tensor([0.5000, 0.5000])
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        w = (x - x.amax(-1, keepdim=True)).exp()
        return w / w.sum(-1, keepdim=True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        _vector_shape_check(shape)
        return shape

    inverse_shape = forward_shape


def _stick_offsets(like, k):
    # log of (k, k-1, ..., 1): centres each break at an even split of the remainder
    return ember.arange(k, 0, -1, dtype=like.dtype, device=like.device).log()


class StickBreakingTransform(_Stateless):
    """R^(K-1) to the K-simplex by stick breaking: entry i takes a sigmoid fraction of
    what the earlier entries left over (bijective).

    Example:
        >>> StickBreakingTransform()(ember.zeros(1))
        tensor([0.5000, 0.5000])
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def _call(self, x):
        frac = _squeeze_into_unit((x - _stick_offsets(x, x.shape[-1])).sigmoid())
        left = (1 - frac).cumprod(-1)
        return F.pad(frac, [0, 1], value=1) * F.pad(left, [1, 0], value=1)

    def _inverse(self, y):
        head = y[..., :-1]
        remaining = (1 - head.cumsum(-1)).clamp(min=ember.finfo(y.dtype).tiny)
        return head.log() - remaining.log() + _stick_offsets(y, head.shape[-1])

    def log_abs_det_jacobian(self, x, y):
        z = x - _stick_offsets(x, x.shape[-1])
        return (F.logsigmoid(z) - z + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        _vector_shape_check(shape)
        return shape[:-1] + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        _vector_shape_check(shape)
        return shape[:-1] + (shape[-1] - 1,)


def _map_diagonal(m, fn):
    return m.tril(-1) + fn(m.diagonal(dim1=-2, dim2=-1)).diag_embed()


class LowerCholeskyTransform(_Stateless):
    """Square matrices to lower-triangular ones with a positive diagonal: the strict
    lower triangle is kept and the diagonal exponentiated.

    Example:
        >>> LowerCholeskyTransform()(ember.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return _map_diagonal(x, ember.exp)

    def _inverse(self, y):
        return _map_diagonal(y, ember.log)


class PositiveDefiniteTransform(_Stateless):
    """Square matrices to positive-definite ones: L L^T with L from
    ``LowerCholeskyTransform`` (the upper triangle of the input is ignored).

    Example:
        >>> PositiveDefiniteTransform()(ember.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        factor = LowerCholeskyTransform()(x)
        return factor @ factor.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(ember.linalg.cholesky(y))


def _triangle_side(n_entries: int) -> int:
    """D with D (D - 1) / 2 == n_entries (strict lower triangle of a D x D matrix)."""
    side = round(0.5 + (0.25 + 2 * n_entries) ** 0.5)
    if side * (side - 1) // 2 != n_entries:
        raise ValueError("Input is not a flattened lower-diagonal number")
    return side


class CorrCholeskyTransform(Transform):
    """Unconstrained vectors of length D (D - 1) / 2 to Cholesky factors of D x D
    correlation matrices (lower triangular, positive diagonal, rows of unit length).

    The vector fills the strict lower triangle row by row and is squashed by tanh into
    (-1, 1); each row is then a signed stick breaking: entry j keeps the fraction
    tanh(x_ij)^2 of the squared length the earlier entries left, and the diagonal takes
    the remainder.

    Example:
        >>> CorrCholeskyTransform()(ember.zeros(1))
        tensor([[1., 0.],
                [0., 1.]])
    """

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        edge = 1 - ember.finfo(x.dtype).eps
        r = vec_to_tril_matrix(x.tanh().clamp(min=-edge, max=edge), diag=-1)
        # sqrt(1 - r^2) per entry, accumulated along the row: the length still unused
        unused = (1 - r * r).sqrt().cumprod(-1)
        side = r.shape[-1]
        # the unit diagonal times the unused length before it is the diagonal entry
        r = r + ember.eye(side, dtype=r.dtype, device=r.device)
        return r * F.pad(unused[..., :-1], [1, 0], value=1)

    @staticmethod
    def _unused_sq(y):
        """1 - (sum of squares of y up to and including each column), row by row."""
        return 1 - (y * y).cumsum(-1)

    def _inverse(self, y):
        before = F.pad(self._unused_sq(y)[..., :-1], [1, 0], value=1)
        frac = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(before, diag=-1).sqrt()
        return ember.atanh(frac)

    def log_abs_det_jacobian(self, x, y):
        # the Jacobian is taken against the strict lower triangle of y, read as a
        # vector; diagonal -2 of the unused lengths lines up each entry with the
        # squared length that was left just before it
        unused_sq = tril_matrix_to_vec(self._unused_sq(y), diag=-2)
        return 0.5 * unused_sq.log().sum(-1) + _log_tanh_slope(x).sum(-1)

    def forward_shape(self, shape):
        _need_dims(len(shape), 1)
        side = _triangle_side(shape[-1])
        return shape[:-1] + (side, side)

    def inverse_shape(self, shape):
        _need_dims(len(shape), 2)
        side = shape[-1]
        if shape[-2] != side:
            raise ValueError("Input is not square")
        return shape[:-2] + (side * (side - 1) // 2,)


def _check_axis(value, name: str, dim: int, size: int, what: str):
    """Cat/Stack inputs must have ``dim`` and it must be ``size`` long."""
    rank = value.dim()
    if not -rank <= dim < rank:
        raise AssertionError(f"dim {dim} out of range for {name} with {rank} dimensions")
    if value.size(dim) != size:
        raise AssertionError(f"{name}.size({dim}) = {value.size(dim)} must equal {what} {size}")


class _PiecewiseTransform(Transform):
    """Base of Cat/Stack: ``transforms[i]`` acts on the i-th piece of ``dim``; the
    subclasses say how a tensor is split into pieces and how pieces are joined."""

    def __init__(self, tseq, dim: int, cache_size: int):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        super().__init__(cache_size=cache_size)
        self.transforms = [t.with_cache(cache_size) if cache_size else t for t in tseq]
        self.dim = dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    def _split(self, value, name):
        raise NotImplementedError

    def _join(self, pieces, dim):
        raise NotImplementedError

    def _call(self, x):
        pieces = self._split(x, "x")
        return self._join([t(p) for t, p in zip(self.transforms, pieces)], self.dim)

    def _inverse(self, y):
        pieces = self._split(y, "y")
        return self._join([t.inv(p) for t, p in zip(self.transforms, pieces)], self.dim)

    def _piece_log_dets(self, x, y):
        pairs = zip(self.transforms, self._split(x, "x"), self._split(y, "y"))
        return [t.log_abs_det_jacobian(a, b) for t, a, b in pairs]


class CatTransform(_PiecewiseTransform):
    """Applies ``tseq[i]`` to the i-th run of ``lengths[i]`` consecutive slices along
    ``dim`` (one slice each by default), matching ``ember.cat``.

    Example:
        >>> t = CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 2])
        >>> t(ember.zeros(3))
        tensor([1., 0., 0.])
    """

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        super().__init__(tseq, dim, cache_size)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms "
                                 f"({len(self.transforms)})")

    def _rebuild_args(self):
        return (self.transforms, self.dim, self.lengths)

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    @constraints.dependent_property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @constraints.dependent_property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _split(self, value, name):
        _check_axis(value, name, self.dim, self.length, "length")
        starts = [sum(self.lengths[:i]) for i in range(len(self.lengths))]
        return [value.narrow(self.dim, at, n) for at, n in zip(starts, self.lengths)]

    def _join(self, pieces, dim):
        return ember.cat(pieces, dim)

    def log_abs_det_jacobian(self, x, y):
        k = self.event_dim
        # pieces with fewer event dims are summed down to this transform's event
        terms = [_sum_last(term, k - t.event_dim)
                 for t, term in zip(self.transforms, self._piece_log_dets(x, y))]
        # counted from the right, dim either survives in the log-det's batch shape
        # (join the pieces along it) or lies inside the event (add them up)
        from_right = (self.dim if self.dim < 0 else self.dim - x.dim()) + k
        return ember.cat(terms, from_right) if from_right < 0 else sum(terms)


class StackTransform(_PiecewiseTransform):
    """Applies ``tseq[i]`` to index i along ``dim``, matching ``ember.stack``.

    Example:
        >>> t = StackTransform([ExpTransform(), identity_transform], dim=1)
        >>> t(ember.zeros(1, 2))
        tensor([[1., 0.]])
    """

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        super().__init__(tseq, dim, cache_size)

    def _rebuild_args(self):
        return (self.transforms, self.dim)

    @constraints.dependent_property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @constraints.dependent_property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _split(self, value, name):
        _check_axis(value, name, self.dim, len(self.transforms), "len(transforms)")
        return value.unbind(self.dim)

    def _join(self, pieces, dim):
        return ember.stack(pieces, dim)

    def log_abs_det_jacobian(self, x, y):
        return ember.stack(self._piece_log_dets(x, y), self.dim)


class CumulativeDistributionTransform(Transform):
    """y = F(x) with F the cdf of ``distribution``: its support onto the unit interval
    (the inverse is the icdf, the log-det-Jacobian the log density).

    Example:
        >>> from ember.distributions import Normal
        >>> CumulativeDistributionTransform(Normal(0.0, 1.0))(ember.tensor([0.0]))
        tensor([0.5000])
    """

    codomain = constraints.unit_interval
    bijective = True
    sign = +1

    def __init__(self, distribution, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    def _rebuild_args(self):
        return (self.distribution,)

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)
