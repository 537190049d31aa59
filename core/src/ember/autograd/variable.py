"""``Variable``: the pre-0.4 wrapper torch kept for old code. A Variable is a Tensor, and
constructing one returns a new leaf over the same memory, requiring grad when asked.

Example:
    >>> from ember.autograd import Variable
    >>> x = Variable(ember.ones(2), requires_grad=True)
    >>> isinstance(x, ember.Tensor) and isinstance(ember.zeros(1), Variable)
    True
"""

from __future__ import annotations


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from .._tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Variable(data, requires_grad=False): a leaf alias of data (see the module's
    docstring)."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from .._tensor import Tensor
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
