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


_GUARDED = ("_storage", "_shape", "_stride", "_offset")
_SLOTS = {name: Tensor.__dict__[name] for name in _GUARDED}


def _raw(t: Tensor, name: str):
    """A tensor field read past the guard of an uninitialized tensor."""
    return _SLOTS[name].__get__(t, Tensor)


def _use_error(obj) -> ValueError:
    import os
    import sys
    root = os.path.dirname(os.path.dirname(__file__))
    frame, caller = sys._getframe(2), "an operation"
    while frame is not None and frame.f_code.co_filename.startswith(root):
        caller = frame.f_code.co_qualname  # the outermost ember function: the one called
        frame = frame.f_back
    return ValueError(
        f"Attempted to use an uninitialized parameter in {caller}. This error happens when "
        "you are using a `LazyModule` or explicitly manipulating "
        f"`torch.nn.parameter.{type(obj).__name__}` objects. When using LazyModules Call "
        "`forward` with a dummy batch to initialize the parameters before calling torch "
        "functions")


def _guard(name: str) -> property:
    slot = _SLOTS[name]

    def get(self):
        raise _use_error(self)

    def set(self, value) -> None:
        slot.__set__(self, value)

    return property(get, set)


def _converter(name: str):
    def convert(self, *args, **kwargs):
        plain = self._plain()
        out = getattr(plain, name)(*args, **kwargs)
        if out is plain:
            return self
        return self._like(out.device, out.dtype)
    convert.__name__ = name
    convert.__doc__ = f"``Tensor.{name}`` for a tensor that holds no data yet: the result is " \
                      "uninitialized too, on the new device and with the new dtype."
    return convert


class UninitializedTensorMixin:
    """What UninitializedParameter and UninitializedBuffer share: a tensor whose shape is
    not known yet. Reading its data (any op on it) raises ValueError, its ``shape``
    raises RuntimeError; only changing device/dtype and ``materialize`` are allowed.

    Example:
        >>> p = nn.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', ember.Size([2, 3]))
    """

    cls_to_become: type

    _storage = _guard("_storage")
    _shape = _guard("_shape")
    _stride = _guard("_stride")
    _offset = _guard("_offset")

    def _plain(self) -> Tensor:
        """The (empty) placeholder tensor it holds."""
        return Tensor._make(_raw(self, "_storage"), _raw(self, "_shape"),
                            _raw(self, "_stride"), _raw(self, "_offset"), self._dtype)

    def _like(self, device, dtype):
        return type(self)(self.requires_grad, device, dtype)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Gives it storage of ``shape`` (on its device and with its dtype unless given),
        uninitialized, and turns it into ``cls_to_become``.

        Example:
            >>> b = nn.UninitializedBuffer()
            >>> b.materialize(4, dtype=ember.float64)
            >>> type(b).__name__, b.dtype
            ('Tensor', ember.float64)
        """
        import ember
        plain = self._plain()
        device = plain.device if device is None else device
        dtype = plain.dtype if dtype is None else dtype
        self.data = ember.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    @property
    def device(self):
        return _raw(self, "_storage").device

    @property
    def data(self):
        return type(self)(False, self.device, self.dtype)

    @data.setter
    def data(self, value: Tensor) -> None:
        if is_lazy(value):
            value = value._plain()
        for name in _GUARDED:
            _SLOTS[name].__set__(self, getattr(value, name))
        self._dtype = value._dtype

    def size(self, dim: int | None = None):
        return self._plain().size(dim)

    def get_device(self) -> int:
        return self._plain().get_device()

    def copy_(self, src, non_blocking: bool = False):
        """Copying between two uninitialized tensors moves nothing (neither holds data)."""
        if is_lazy(src):
            return self
        raise _use_error(self)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    to = _converter("to")
    cpu = _converter("cpu")
    cuda = _converter("cuda")
    half = _converter("half")
    float = _converter("float")
    double = _converter("double")
    bfloat16 = _converter("bfloat16")
    char = _converter("char")
    short = _converter("short")
    int = _converter("int")
    long = _converter("long")
    type = _converter("type")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self._like(self.device, self.dtype)
        return memo[id(self)]


def is_lazy(param) -> bool:
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer.

    Example:
        >>> nn.parameter.is_lazy(nn.UninitializedParameter()), nn.parameter.is_lazy(None)
        (True, False)
    """
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (what lazy modules hold before their
    first forward); ``materialize`` turns it into a Parameter.

    Example:
        >>> p = nn.UninitializedParameter(dtype=ember.float64)
        >>> p
        <UninitializedParameter>
        >>> p.materialize((3,))
        >>> type(p).__name__, p.shape, p.dtype
        ('Parameter', ember.Size([3]), ember.float64)
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        import ember
        out = _wrap(cls, ember.empty(0, device=device, dtype=dtype))
        out.requires_grad = requires_grad
        return out

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet; ``materialize`` turns it into a Tensor.

    Example:
        >>> b = nn.UninitializedBuffer()
        >>> b.materialize((2, 2))
        >>> type(b).__name__, b.shape
        ('Tensor', ember.Size([2, 2]))
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True):
        import ember
        out = _wrap(cls, ember.empty(0, device=device, dtype=dtype))
        out.requires_grad = requires_grad
        out.persistent = persistent
        return out

    def __init__(self, requires_grad: bool = False, device=None, dtype=None,
                 persistent: bool = True) -> None:
        pass

    def _like(self, device, dtype):
        return type(self)(self.requires_grad, device, dtype,
                          self.__dict__.get("persistent", True))


__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "is_lazy"]
