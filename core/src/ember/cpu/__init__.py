"""ember.cpu: the CPU seen through ``ember.cuda``'s interface, as torch.cpu.

Device-agnostic code calls ``getattr(ember, device.type).synchronize()`` and the like;
for the CPU these are trivial: one device, always ready, and streams that exist only
as placeholders (CPU kernels run synchronously on the calling thread).

Example:
    >>> ember.cpu.is_available(), ember.cpu.device_count()
    (True, 1)
    >>> with ember.cpu.stream(ember.cpu.Stream()):
    ...     y = ember.ones(2) * 2
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from . import amp
from .capabilities import get_capabilities

__all__ = ["Event", "Stream", "StreamContext", "amp", "current_device", "current_stream",
           "device_count", "get_capabilities", "is_available", "is_initialized", "set_device",
           "stream", "synchronize"]


def is_available() -> bool:
    """Always True: the CPU is always there."""
    return True


def is_initialized() -> bool:
    """Always True: the CPU needs no initialization."""
    return True


def device_count() -> int:
    """The number of CPU devices (not cores): always 1."""
    return 1


def current_device() -> str:
    """The current CPU device's name: always "cpu"."""
    return "cpu"


def set_device(device) -> None:
    """Does nothing: there is only one CPU device."""


def synchronize(device=None) -> None:
    """Does nothing: CPU kernels have finished when they return."""


class Stream:
    """A stand-in for a CUDA stream on the CPU, where work runs in call order: every
    method returns at once.

    Example:
        >>> s = ember.cpu.Stream()
        >>> s.wait_stream(ember.cpu.current_stream())
    """

    def __init__(self, priority: int = -1) -> None:
        self.priority = priority

    def wait_stream(self, stream) -> None:
        """Nothing to wait for: earlier CPU work has finished."""

    def record_event(self) -> None:
        """No event to record: CPU work is complete on return."""

    def wait_event(self, event) -> None:
        """Nothing to wait for: CPU events are always complete."""


class Event:
    """A stand-in for a CUDA event on the CPU: always complete."""

    def query(self) -> bool:
        return True

    def record(self, stream=None) -> None:
        """Nothing to mark: CPU work is complete on return."""

    def synchronize(self) -> None:
        """Returns at once: the event is complete."""

    def wait(self, stream=None) -> None:
        """Returns at once: the event is complete."""


_default_stream = Stream()
_current_stream = _default_stream


def current_stream(device=None) -> Stream:
    """The stream made current by the innermost ``ember.cpu.stream`` block (else the
    default one); device is ignored."""
    return _current_stream


class StreamContext(AbstractContextManager):
    """Makes a stream the current CPU stream inside the block (None: no change).

    Example:
        >>> with ember.cpu.StreamContext(ember.cpu.Stream()):
        ...     pass
    """

    def __init__(self, stream: Stream | None):
        self.stream = stream
        self._outer = _default_stream

    def __enter__(self) -> None:
        global _current_stream
        if self.stream is not None:
            self._outer, _current_stream = _current_stream, self.stream

    def __exit__(self, *exc) -> None:
        global _current_stream
        if self.stream is not None:
            _current_stream = self._outer


def stream(stream: Stream | None) -> StreamContext:
    """``with ember.cpu.stream(s):`` makes s the current CPU stream inside the block."""
    return StreamContext(stream)
