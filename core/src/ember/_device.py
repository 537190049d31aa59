"""Devices: ``ember.device('cpu')``, ``ember.device('cuda:0')``."""

from __future__ import annotations


class device:
    """Where a tensor's memory lives, as ``torch.device``.

    Example:
        >>> ember.device("cuda:1").index
        1
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or int, got {type.__class__.__name__}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"type (string) must not include an index because index was "
                                 f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                f"Expected one of cpu, cuda, meta device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        """``with ember.device('cuda'):`` makes this the default device inside the block."""
        _previous.append(get_default_device())
        set_default_device(self)
        return self

    def __exit__(self, *exc) -> None:
        set_default_device(_previous.pop())


CPU = device("cpu")
_default = CPU
_previous: list[device] = []


def set_default_device(d) -> None:
    """Sets where factory functions (``zeros``, ``tensor``, ``randn``...) put tensors when
    they are given no ``device``; ``None`` restores the CPU.

    Example:
        >>> ember.set_default_device("cuda")
        >>> ember.zeros(2).device
        device(type='cuda', index=0)
    """
    global _default
    _default = CPU if d is None else device(d)


def get_default_device() -> device:
    """The device factory functions use when given none (the CPU unless set)."""
    return _default


def as_device(d) -> device:
    """Normalises None/str/int/device to a device (None means the default device)."""
    if d is None:
        return _default
    if isinstance(d, device):
        return d
    return device(d)


_Device = device  # the class, for functions whose torch argument is named device


def get_device_module(device: _Device | str | None = None):
    """The module of a device type: ``ember.cuda`` for a CUDA device, ``ember.cpu`` for the
    CPU; with no device, that of the accelerator when there is one, else the CPU's.

    Example:
        >>> ember.get_device_module("cuda:0") is ember.cuda
        True
    """
    import importlib

    if isinstance(device, _Device):
        kind = device.type
    elif isinstance(device, str):
        kind = _Device(device).type
    elif device is None:
        from . import cuda
        kind = "cuda" if cuda.is_available() else "cpu"
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect ember.device, str, or "
                           "None")
    name = f"ember.{kind}"
    try:
        # by name: ember.cpu is imported on first use
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered "
                           f"as '{name}'.") from None
