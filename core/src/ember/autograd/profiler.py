"""ember.autograd.profiler: CPU (and CUDA) time per op and per named block, as
torch.autograd.profiler.

Ember has no C++ dispatcher to observe, so a profile records two kinds of ranges:
``record_function`` blocks, always, and ops, through ``autograd.Function.apply``,
which every op built on a Function passes: while a profile records, ``Function.apply``
is swapped for a timed version, so that without one the op path has no check at all.
Built-in ops appear under torch's names (``aten::matmul``, ``aten::linear``), custom
Functions under their class name.
Elementwise ops that take ember's no-autograd fast path (same-shape contiguous
operands, nothing requiring grad) skip ``apply`` and are not timed on their own: their
time counts in the enclosing range. Backward passes are not split into ops.

With ``use_cuda`` / ``use_device="cuda"`` and a GPU, each range also gets CUDA events
on the current stream, and its device time is read when the profile ends.

Example:
    >>> with ember.autograd.profiler.profile() as prof:
    ...     with ember.autograd.profiler.record_function("forward"):
    ...         y = model(x)
    >>> print(prof.key_averages().table(sort_by="cpu_time_total"))
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import threading
import time
import traceback

from . import function as _function
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]

_ids = itertools.count()
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Recording:
    """The events one profile collects between its start and its end."""

    def __init__(self, record_shapes: bool, with_stack: bool, use_cuda: bool) -> None:
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.use_cuda = use_cuda
        self.events: list[FunctionEvent] = []
        self.open = True


_active: list[_Recording] = []
_lock = threading.Lock()


class _Stack(threading.local):
    def __init__(self) -> None:
        self.ranges: list[_OpenRange] = []


_stack = _Stack()


class _OpenRange:
    """A range begun and not yet ended: where its event will go, and its children."""

    __slots__ = ("name", "category", "start_ns", "recordings", "children", "shapes", "stack",
                 "cuda_events")

    def __init__(self, name: str, category: str, inputs: tuple | None) -> None:
        self.name = name
        self.category = category
        self.recordings = tuple(_active)
        self.children: list[FunctionEvent] = []
        self.shapes = None
        if inputs is not None and any(r.record_shapes for r in self.recordings):
            self.shapes = [list(getattr(a, "shape", ())) for a in inputs]
        self.stack = None
        if any(r.with_stack for r in self.recordings):
            self.stack = _user_stack()
        self.cuda_events = None
        if any(r.use_cuda for r in self.recordings):
            from .. import cuda
            if cuda.is_available():
                self.cuda_events = (cuda.Event(enable_timing=True),
                                    cuda.Event(enable_timing=True))
                self.cuda_events[0].record()
        _stack.ranges.append(self)
        self.start_ns = time.perf_counter_ns()


# perf_counter has the resolution; this offset puts its readings on the wall clock, in us
_EPOCH_US = time.time_ns() / 1e3 - time.perf_counter_ns() / 1e3


def _end(open_range: _OpenRange) -> None:
    end_ns = time.perf_counter_ns()
    ranges = _stack.ranges
    # ranges left open inside this one (an exception skipped their end) close with it
    if open_range in ranges:
        while ranges.pop() is not open_range:
            pass
    if open_range.cuda_events is not None:
        open_range.cuda_events[1].record()
    event = FunctionEvent(next(_ids), open_range.name, threading.get_ident(),
                          _EPOCH_US + open_range.start_ns / 1e3, _EPOCH_US + end_ns / 1e3,
                          open_range.category, open_range.shapes, open_range.stack)
    event._cuda_events = open_range.cuda_events
    event.cpu_children = open_range.children
    for child in event.cpu_children:
        child.cpu_parent = event
    if ranges:
        ranges[-1].children.append(event)
    for recording in open_range.recordings:
        if recording.open:
            recording.events.append(event)


def _user_stack() -> list[str]:
    """The caller's frames outside ember, innermost first, as "file(line): function"."""
    frames = traceback.extract_stack()
    return [f"{f.filename}({f.lineno}): {f.name}" for f in reversed(frames)
            if not f.filename.startswith(_EMBER_DIR)]


@functools.lru_cache(maxsize=None)
def _op_name(cls: type) -> str:
    if not cls._builtin:
        return cls.__name__
    # Matmul -> aten::matmul, MaxPool2d -> aten::max_pool2d
    return "aten::" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()


# the untimed classmethod, restored when the last profile stops
_UNTIMED_APPLY = _function.Function.__dict__["apply"]


def _timed_apply(cls, *args, **kwargs):
    open_range = _OpenRange(_op_name(cls), "cpu_op", args)
    try:
        return _UNTIMED_APPLY.__func__(cls, *args, **kwargs)
    finally:
        _end(open_range)


def _start(recording: _Recording) -> None:
    with _lock:
        _active.append(recording)
        _function.Function.apply = classmethod(_timed_apply)


def _stop(recording: _Recording) -> None:
    with _lock:
        recording.open = False
        _active.remove(recording)
        if not _active:
            _function.Function.apply = _UNTIMED_APPLY
    if any(e._cuda_events is not None for e in recording.events):
        from .. import cuda
        cuda.synchronize()
        for e in recording.events:
            if e._cuda_events is not None:
                start, end = e._cuda_events
                e.device_time_total = start.elapsed_time(end) * 1e3


class record_function:
    """Times the block (or each call of the decorated function) under name, as a
    ``user_annotation`` range of the running profiles; without one it costs almost
    nothing.

    Example:
        >>> with ember.profiler.record_function("data"):
        ...     batch = next(loader)
        >>> @ember.profiler.record_function("step")
        ... def train_step(batch): ...
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._open: _OpenRange | None = None

    def __enter__(self) -> record_function:
        if _active:
            self._open = _OpenRange(self.name, "user_annotation", None)
        return self

    def __exit__(self, *exc) -> None:
        if self._open is not None:
            _end(self._open)
            self._open = None

    def __call__(self, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return timed


class profile:
    """Records the ops and ``record_function`` blocks run inside it (all threads).

    use_cuda / use_device="cuda" adds GPU time per range (with a GPU); record_shapes keeps
    ops' input shapes, with_stack the caller's frames. with_flops, profile_memory and
    with_modules are accepted and measure nothing in ember.

    Example:
        >>> with ember.autograd.profiler.profile(record_shapes=True) as prof:
        ...     y = ember.matmul(a, b)
        >>> prof.key_averages(group_by_input_shape=True).table()
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 use_device: str | None = None, record_shapes: bool = False,
                 with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False,
                 use_kineto: bool = False, use_cpu: bool = True) -> None:
        if use_device not in (None, "cuda"):
            raise AssertionError(f"{use_device} is not a valid device for ember's profiler")
        self.enabled = enabled
        self.use_cuda = use_cuda or use_device == "cuda"
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.function_events: EventList | None = None
        self._recording: _Recording | None = None

    def __enter__(self) -> profile:
        if self.enabled:
            if self._recording is not None:
                raise RuntimeError("Profiler context manager is not reentrant")
            self._recording = _Recording(self.record_shapes, self.with_stack, self.use_cuda)
            _start(self._recording)
        return self

    def __exit__(self, *exc) -> None:
        if self._recording is not None:
            _stop(self._recording)
            self.function_events = EventList(
                sorted(self._recording.events, key=lambda e: (e.start_us, -e.end_us)))
            self._recording = None

    def _events(self) -> EventList:
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """The events averaged per name (see EventList.key_averages)."""
        return self._events().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs) -> str:
        """The events as a text table (see EventList.table)."""
        return self._events().table(*args, **kwargs)

    def export_chrome_trace(self, path: str) -> None:
        """Writes the events to path as Chrome trace JSON."""
        self._events().export_chrome_trace(path)

    def total_average(self) -> FunctionEventAvg:
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._events().self_cpu_time_total

    def __str__(self) -> str:
        return self.table() if self.function_events is not None else repr(self)
