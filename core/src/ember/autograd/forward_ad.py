"""Forward-mode AD, as torch.autograd.forward_ad: dual tensors carry a tangent through
ops, and unpack_dual reads the tangent of any result.

Ember has one autograd engine, the reverse one, and every op's backward is written in
differentiable ember ops. So instead of a second set of derivative formulas run by every
op, tangents are computed when asked for, by the double-vjp identity: with g(u) the vjp of
the output y along a cotangent u, g is linear in u and the vjp of g along the tangent t
is J t. make_dual returns an alias of the primal that records an ordinary backward graph
(a MakeDualBackward0 node marks it); ops record as usual; unpack_dual(y) looks for the
level's dual nodes in y's graph and differentiates twice. Programs that never use forward
AD run exactly the code they ran before.

The visible differences from torch follow from that: a dual and what is computed from it
require grad (they carry the graph the tangent is read from; a backward through them reaches
the primal only where the primal itself requires grad); ops run under no_grad record
nothing, so no tangent crosses them; a value saved for backward and then overwritten in
place cannot be differentiated later (a clear error), nor can a backward marked
@once_differentiable (a NotImplementedError, as torch's for ops without forward AD).

Example:
    >>> import ember.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
    ...     fwAD.unpack_dual(x * x).tangent
    tensor([2., 0.])
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, NamedTuple

from . import function as _function
from .engine import _collect
from .function import AccumulateGrad, Function, _connect, _DelayedError
from .grad_mode import _GradModeBase, enable_grad
from .graph import GradientEdge

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

# As torch: one level at a time, process-wide, numbered from 0; -1 while none is entered.
_current_level = -1


class _Level:
    """An entered level: the tangent of each of its duals, by the dual's graph node, and
    the tangents already computed for results, by the result's id."""

    def __init__(self):
        self.tangents: dict = {}
        self.computed: dict = {}

    def clear(self) -> None:
        self.tangents.clear()
        self.computed.clear()


_active: _Level | None = None


class _MakeDual(Function):
    """The alias make_dual returns: gradients pass through it to the primal unchanged."""

    _builtin = True
    node_name = "MakeDualBackward0"

    @staticmethod
    def backward(ctx, grad):
        return grad


class UnpackedDualTensor(NamedTuple):
    """What unpack_dual returns: the primal value and its tangent (None when the tensor
    does not depend on any dual of the level).

    Example:
        >>> fwAD.unpack_dual(ember.ones(2))
        UnpackedDualTensor(primal=tensor([1., 1.]), tangent=None)
    """

    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Enters a forward AD level and makes it the default of make_dual and unpack_dual;
    returns its number. Levels do not nest (as in torch).

    Example:
        >>> level = fwAD.enter_dual_level()
        >>> fwAD.exit_dual_level(level=level)
    """
    global _current_level, _active
    if _active is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment: exit the "
                           f"active level ({_current_level}) before entering another")
    _active = _Level()
    _current_level += 1
    return _current_level


def exit_dual_level(*, level: int | None = None) -> None:
    """Leaves the innermost forward AD level; the tangents of its duals are dropped.

    Example:
        >>> fwAD.exit_dual_level(level=fwAD.enter_dual_level())
    """
    global _current_level, _active
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           f"was created (level {level}, the last is {_current_level}). This "
                           "is not supported.")
    if _active is None:
        raise RuntimeError("Dual level must be a positive number: no forward AD level was "
                           "entered")
    _active.clear()
    _active = None
    _current_level = level - 1


class dual_level(_GradModeBase):
    """Context manager (and decorator) that enters a forward AD level for its block and
    exits it after, dropping the tangents made inside.

    Example:
        >>> with fwAD.dual_level():
        ...     y = fwAD.make_dual(ember.zeros(2), ember.ones(2)).exp()
        ...     fwAD.unpack_dual(y).tangent
        tensor([1., 1.])
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()




def _duals_reached(tensor) -> tuple[list, bool]:
    """The active level's dual nodes in tensor's graph, and whether the graph also holds a
    leaf that requires grad (then results keep their graph, as torch's stay differentiable)."""
    if tensor._grad_fn is None:
        return [], tensor._requires_grad
    _, seen = _collect([tensor._grad_fn])
    duals = [node for node in _active.tangents if node in seen]
    return duals, any(isinstance(node, AccumulateGrad) for node in seen)


def make_dual(tensor, tangent, *, level: int | None = None):
    """An alias of tensor that carries tangent at the level (default: the active one)
    through the ops applied to it; unpack_dual reads the tangent of their results.

    Example:
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(ember.tensor([3.0]), ember.tensor([1.0]))
        ...     fwAD.unpack_dual(x.sin()).tangent
        tensor([-0.9900])
    """
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    Tensor = _function.Tensor
    for name, t in (("primal", tensor), ("tangent", tangent)):
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dual(): expected the {name} to be a Tensor, but got "
                            f"{type(t).__name__}")
        if not (t.is_floating_point() or t.is_complex()):
            raise ValueError(f"Expected {name} to be floating point or complex, but got: "
                             f"{t.dtype}")
    if _active is None:
        raise RuntimeError("Trying to access a forward AD level with an invalid index. This "
                           "index was either not created or is already deleted.")
    if level != _current_level:
        raise RuntimeError(f"Invalid level given to make_dual: {level} (the active level is "
                           f"{_current_level})")
    if tangent.shape != tensor.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than "
                           "that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if _duals_reached(tensor)[0]:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    node = _MakeDual._backward_cls()
    # always linked, even when tensor needs no gradient: the node is what unpack_dual finds
    dual = _connect(node, (tensor,), tensor.detach())
    _active.tangents[node] = tangent
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of tensor at the level (default: the active one): the primal is
    tensor's value, differentiable where tensor was; the tangent is None when tensor does
    not depend on a dual of the level, or when no level is active.

    Example:
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(ember.tensor([2.0]), ember.tensor([1.0]))
        ...     fwAD.unpack_dual(x ** 3)
        UnpackedDualTensor(primal=tensor([8.]), tangent=tensor([12.]))
    """
    if level is None:
        level = _current_level
    if level < 0 or _active is None:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, _function.Tensor):
        raise TypeError(f"unpack_dual(): expected a Tensor, but got {type(tensor).__name__}")
    if level != _current_level:
        if _duals_reached(tensor)[0]:
            raise RuntimeError(f"Invalid level given to unpack_dual: {level} (the tensor has "
                               f"a tangent at the active level, {_current_level})")
        return UnpackedDualTensor(tensor, None)
    key = id(tensor)
    entry = _active.computed.get(key)
    if (entry is None or entry[0]() is not tensor or entry[1] is not tensor._grad_fn
            or entry[2] != tensor._version):
        differentiable, tangent = _tangent(tensor)
        computed = _active.computed
        # the primal (a view of tensor) is not kept: it would keep tensor alive till exit
        alive = weakref.ref(tensor, lambda _: computed.pop(key, None))
        entry = computed[key] = (alive, tensor._grad_fn, tensor._version, differentiable,
                                 tangent)
    primal = tensor.view_as(tensor) if entry[3] else tensor.detach()
    return UnpackedDualTensor(primal, entry[4])


def _tangent(tensor) -> tuple:
    """(whether tensor's graph holds a leaf that requires grad, tensor's tangent)."""
    duals, differentiable = _duals_reached(tensor)
    if not duals:
        return differentiable, None
    tangents = [_active.tangents[node] for node in duals]
    if tensor._grad_fn in _active.tangents:  # a dual itself: its tangent as given
        return differentiable, _active.tangents[tensor._grad_fn]
    keep = differentiable or any(t.requires_grad for t in tangents)
    return differentiable, _push_forward(tensor, duals, tangents, keep)


def _refuse_once_differentiable(pulled) -> None:
    """Raises when a vjp went through a backward marked @once_differentiable: its result is
    cut from the cotangent, so the second vjp would silently give zeros."""
    _, seen = _collect([g._grad_fn for g in pulled])
    for node in seen:
        if node._fn is _DelayedError:
            raise NotImplementedError(
                "Trying to use forward AD through a function whose backward is marked "
                "@once_differentiable (a fused RNN kernel, a reentrant checkpoint...): ember "
                "computes tangents by differentiating backward, which such a function does "
                "not allow.")


def _push_forward(tensor, duals: list, tangents: list, keep: bool):
    """J t for tensor's Jacobian J w.r.t. the duals; keep: the result stays differentiable."""
    from ..ops.creation import zeros_like
    try:
        with enable_grad():
            pushed = _double_vjp(tensor, duals, tangents, keep)
    except RuntimeError as err:
        if "modified by an inplace operation" not in str(err):
            raise
        raise RuntimeError(
            "unpack_dual computes a tangent from the graph recorded since make_dual, and a "
            "value saved in that graph was overwritten in place afterwards (torch's eager "
            "forward AD allows this; ember's does not): clone the tensor before writing into "
            "it.") from err
    if pushed is None:  # the result is locally constant in the duals (sign, round...)
        return zeros_like(tensor)
    return pushed if keep else pushed.detach()


def _double_vjp(tensor, duals: list, tangents: list, keep: bool):
    """The vjp along the tangents of g(u), the vjp of tensor along a cotangent u: g is
    linear in u with the transposed Jacobian, so this is J t (None when g ignores u)."""
    from . import grad
    from ..ops.creation import zeros_like
    u = zeros_like(tensor).requires_grad_(True)
    pulled = grad([tensor], [GradientEdge(node, 0) for node in duals], [u],
                  retain_graph=True, create_graph=True, allow_unused=True)
    pairs = [(g, t.to(g.dtype)) for g, t in zip(pulled, tangents)
             if g is not None and g.requires_grad]
    if not pairs:
        return None
    _refuse_once_differentiable(g for g, _ in pairs)
    (pushed,) = grad([g for g, _ in pairs], [u], [t for _, t in pairs], retain_graph=True,
                     create_graph=keep, allow_unused=True)
    return pushed
