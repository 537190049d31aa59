"""``ember.Stream`` and ``ember.Event``: torch's device-agnostic stream and event.

On a CUDA device they are ember.cuda's stream and event (ember.cuda.Stream and
ember.cuda.Event subclass these classes, so ``isinstance(s, ember.Stream)`` holds for
both). On the CPU, where kernels finish before they return, a stream is always idle and
an event always complete; recording an event there raises, as in a CPU-only torch.

Example:
    >>> s = ember.Stream("cpu")
    >>> s.query(), s.device
    (True, device(type='cpu'))
    >>> ember.Event("cpu").query()
    True
"""

from __future__ import annotations

from ._device import device as _device

# torch's DeviceType numbers, which Stream.device_type reports
_DEVICE_TYPE_CODES = {"cpu": 0, "cuda": 1, "meta": 9}


def _where(device, what: str) -> _device:
    """The device a Stream/Event is asked for: None is the current accelerator (the CPU
    without one), an int an accelerator index."""
    from . import accelerator
    if device is None:
        return accelerator.current_accelerator() or _device("cpu")
    if isinstance(device, int) and not isinstance(device, bool):
        if not accelerator.is_available():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        return _device("cuda", device)
    if not isinstance(device, (str, _device)):
        raise TypeError(f"{what}(): argument 'device' must be ember.device, not "
                        f"{type(device).__name__}")
    where = _device(device) if isinstance(device, str) else device
    if where.type not in _DEVICE_TYPE_CODES:
        raise RuntimeError(f"ember has no backend for {where.type} devices")
    return where


def _no_events(kind: str) -> RuntimeError:
    return RuntimeError(f"{kind} backend doesn't support events.")


class _BuiltForDevice(type):
    """Calling ember.Stream / ember.Event itself builds the CUDA subclass's object on a
    CUDA device; the subclasses are constructed as usual."""

    def __call__(cls, *args, **kwargs):
        if cls in (Stream, Event):
            return cls._for_device(*args, **kwargs)
        return super().__call__(*args, **kwargs)


class Stream(metaclass=_BuiltForDevice):
    """A queue of work on one device (torch.Stream).

    Example:
        >>> s = ember.Stream()            # the accelerator's, else the CPU's
        >>> s.synchronize()
    """

    _kind = "cuda"  # the CPU form sets its own
    device_index: int

    @classmethod
    def _for_device(cls, device=None, *, priority: int = 0) -> Stream:
        where = _where(device, "Stream")
        if where.type == "cuda":
            from . import cuda
            return cuda.Stream(where, priority=priority)
        stream = object.__new__(cls)
        stream._kind, stream.device_index = where.type, -1
        return stream

    @property
    def device_type(self) -> int:
        return _DEVICE_TYPE_CODES[self._kind]

    @property
    def device(self) -> _device:
        return _device(self._kind) if self.device_index < 0 else _device(self._kind,
                                                                          self.device_index)

    @property
    def stream_id(self) -> int:
        return 0

    @property
    def native_handle(self) -> int:
        raise RuntimeError("Backend doesn't support getting stream native handle.")

    def query(self) -> bool:
        """Whether all work queued on the stream has finished: always, on the CPU."""
        return True

    def synchronize(self) -> None:
        """Waits for the stream's work: none is pending on the CPU."""

    def is_capturing(self) -> bool:
        return False

    def wait_event(self, event: Event | None) -> None:
        """Makes later work wait for event: CPU events are always complete."""

    def wait_stream(self, stream: Stream) -> None:
        self.wait_event(stream.record_event())

    def record_event(self, event: Event | None = None) -> Event:
        raise _no_events(self._kind)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Stream) and self._kind == other._kind
                and self.device_index == other.device_index
                and self.stream_id == other.stream_id)

    def __hash__(self) -> int:
        return hash((self._kind, self.device_index, self.stream_id))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __repr__(self) -> str:
        return (f"ember.Stream device_type={self._kind}, device_index={self.device_index}, "
                f"stream_id={self.stream_id}")


class Event(metaclass=_BuiltForDevice):
    """A marker in a stream's work (torch.Event): ``record`` it, then ``query``,
    ``synchronize`` on it or make another stream ``wait`` for it.

    Example:
        >>> e = ember.Event("cpu", enable_timing=True)
        >>> e.query()
        True
    """

    _kind = "cuda"
    _enable_timing = False
    device_index: int

    @classmethod
    def _for_device(cls, device=None, *, enable_timing: bool = False, blocking: bool = False,
                    interprocess: bool = False) -> Event:
        where = _where(device, "Event")
        if where.type == "cuda":
            from . import cuda
            with cuda.device(where.index if where.index is not None else -1):
                return cuda.Event(enable_timing, blocking, interprocess)
        event = object.__new__(cls)
        event._kind, event.device_index = where.type, -1
        event._enable_timing = enable_timing
        return event

    @classmethod
    def from_ipc_handle(cls, device, ipc_handle: bytes) -> Event:
        raise NotImplementedError("ember.Event has no interprocess handles; share CUDA events "
                                  "through ember.cuda.Event(interprocess=True)")

    def ipc_handle(self) -> bytes:
        raise NotImplementedError("ember.Event has no interprocess handles; share CUDA events "
                                  "through ember.cuda.Event(interprocess=True)")

    @property
    def device(self) -> _device:
        return _device(self._kind) if self.device_index < 0 else _device(self._kind,
                                                                          self.device_index)

    @property
    def event_id(self) -> int:
        return 0

    def record(self, stream: Stream | None = None) -> None:
        raise _no_events(self._kind)

    def wait(self, stream: Stream | None = None) -> None:
        """Makes stream's later work wait for the event: CPU events are always complete."""

    def query(self) -> bool:
        return True

    def synchronize(self) -> None:
        """Waits for the event: a CPU event is complete."""

    def elapsed_time(self, end_event: Event) -> float:
        if not isinstance(end_event, Event):
            raise RuntimeError("expected other to be a ember.Event object")
        if not (self._enable_timing and end_event._enable_timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        raise ValueError("Both events must be recorded before calculating elapsed time.")

    def __repr__(self) -> str:
        return (f"ember.Event device_type={self._kind}, device_index={self.device_index}, "
                f"event_flag={int(self._enable_timing)}, event_id={self.event_id}")
