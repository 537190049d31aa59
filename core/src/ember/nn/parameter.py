"""``nn.Parameter`` and ``nn.Buffer``: tensors that modules register by attribute.

Example:
    >>> p = nn.Parameter(ember.zeros(2))
    >>> p.requires_grad
    True
"""

from __future__ import annotations

from .._tensor import Tensor, _empty
from ..autograd.grad_mode import no_grad


def _wrap(cls, data: Tensor | None) -> Tensor:
    """A cls instance sharing data's memory (a detached alias, like torch's _make_subclass)."""
    if data is None:
        data = _empty((0,), __import__("ember").get_default_dtype())
    if not isinstance(data, Tensor):
        raise TypeError(f"{cls.__name__} data must be a Tensor, got {type(data).__name__}")
    out = Tensor._make(data._storage, data._shape, data._stride, data._offset, data._dtype, cls)
    out._base = data._base
    return out


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a Module attribute
    registers it. ``requires_grad`` defaults to True.

    Example:
        >>> lin = nn.Linear(2, 3)
        >>> lin.weight = nn.Parameter(ember.ones(3, 2))
        >>> [name for name, _ in lin.named_parameters()]
        ['weight', 'bias']
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        out = _wrap(cls, data)
        out.requires_grad = requires_grad
        return out

    def __init__(self, data=None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        with no_grad():
            result = type(self)(self.data.clone(), self.requires_grad)
        if self._grad is not None:
            result._grad = self._grad.clone()
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """A Tensor that is a module buffer: assigning one to a Module attribute registers
    it as a buffer (``persistent=False`` keeps it out of the state_dict).

    Example:
        >>> m = nn.Module()
        >>> m.running = nn.Buffer(ember.zeros(2))
        >>> list(m.state_dict())
        ['running']
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        out = _wrap(cls, data)
        out.persistent = persistent
        return out

    def __init__(self, data=None, *, persistent: bool = True):
        pass


def is_lazy(param) -> bool:
    """ember has no uninitialized parameters: nothing is lazy."""
    return False


__all__ = ["Parameter", "Buffer"]
