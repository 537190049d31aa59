"""``ember.profiler.profile``: the profiler with activities, a step schedule and a
callback per finished cycle, as torch.profiler.profile; it records through
``ember.autograd.profiler`` (see there for what is timed)."""

from __future__ import annotations

import enum
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterable

from ..autograd.profiler import EventList, record_function
from ..autograd.profiler import profile as _recorder


class ProfilerActivity(enum.Enum):
    """What a profile measures: CPU time, and GPU time on ``CUDA``."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What the profiler does during a step, as a schedule returns it."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4  # torch's, set by its profiler itself; ember's never is


def supported_activities() -> set[ProfilerActivity]:
    """CPU, and CUDA where a GPU is usable."""
    from .. import cuda
    return {ProfilerActivity.CPU} | ({ProfilerActivity.CUDA} if cuda.is_available() else set())


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """A step -> ProfilerAction function: after skip_first steps, cycles of wait idle steps,
    warmup steps and active recorded ones (the last of which saves), repeat times (0:
    without end). skip_first_wait drops the first cycle's wait.

    Example:
        >>> s = ember.profiler.schedule(wait=1, warmup=1, active=2)
        >>> [s(i).name for i in range(4)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
                             f"warmup={warmup} (need >= 0), active={active} (need > 0), "
                             f"repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        # position counted from the end of skip_first; skip_first_wait starts past a wait
        pos = step - skip_first + (wait if skip_first_wait else 0)
        if repeat and pos >= repeat * cycle:
            return ProfilerAction.NONE
        phase = pos % cycle
        if phase < wait:
            return ProfilerAction.NONE
        if phase < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD_AND_SAVE if phase == cycle - 1 else ProfilerAction.RECORD

    return action


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """An on_trace_ready callback writing each cycle's Chrome trace into dir_name as
    ``<worker_name>.<ns timestamp>.pt.trace.json[.gz]``, for TensorBoard's profiler
    plugin; worker_name defaults to "<hostname>_<pid>".

    Example:
        >>> ember.profiler.profile(schedule=s, on_trace_ready=tensorboard_trace_handler("log"))
    """
    def write(prof: profile) -> None:
        try:
            os.makedirs(dir_name, exist_ok=True)
        except OSError as e:
            raise RuntimeError("Can't create directory: " + dir_name) from e
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))

    return write


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class profile:
    """Profiles the steps a schedule marks (every step without one), calling
    on_trace_ready(self) when a recording cycle ends; ``step()`` ends a step. With a
    schedule, each step is also a ``ProfilerStep#<n>`` range.

    activities default to supported_activities(); CUDA adds GPU time per range.
    record_shapes and with_stack are kept per op; profile_memory, with_flops and
    with_modules are accepted and measure nothing in ember.

    Example:
        >>> with ember.profiler.profile(activities=[ember.profiler.ProfilerActivity.CPU],
        ...                             schedule=ember.profiler.schedule(wait=1, warmup=1,
        ...                                                              active=2)) as prof:
        ...     for batch in loader:
        ...         train_step(batch)
        ...         prof.step()
        >>> print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    """

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[[profile], object] | None = None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, use_cuda: bool | None = None) -> None:
        chosen = set(activities) if activities is not None else supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            chosen = chosen | {ProfilerActivity.CUDA} if use_cuda else \
                chosen - {ProfilerActivity.CUDA}
        if not chosen:
            raise AssertionError("No valid profiler activities found")
        self.activities = chosen
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.on_trace_ready = on_trace_ready
        self.record_steps = schedule is not None
        self.schedule = schedule if schedule is not None else (lambda step: ProfilerAction.RECORD)
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.profiler: _recorder | None = None
        self._live: _recorder | None = None
        self._step_range: record_function | None = None

    # ---- the cycle -------------------------------------------------------------------
    def _start_recording(self) -> None:
        self._live = _recorder(use_cuda=ProfilerActivity.CUDA in self.activities,
                               record_shapes=self.record_shapes, with_stack=self.with_stack)
        self._live.__enter__()

    def _stop_recording(self) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self.profiler, self._live = self._live, None

    def _transit(self, prev: ProfilerAction, cur: ProfilerAction | None) -> None:
        """Moves from prev's action to cur's (None: the profile ends)."""
        recording = prev in _RECORDING
        if prev is ProfilerAction.RECORD_AND_SAVE or (recording and cur is None):
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
            recording = False
        elif recording and cur in (ProfilerAction.NONE, ProfilerAction.WARMUP):
            warnings.warn(f"Incorrect schedule: RECORD followed by {cur.name}", stacklevel=3)
            self._stop_recording()
            recording = False
        elif prev is ProfilerAction.WARMUP and cur in (ProfilerAction.NONE, None):
            if cur is ProfilerAction.NONE:
                warnings.warn("Incorrect schedule: WARMUP followed by NONE", stacklevel=3)
            # a warmup that never reached its recording leaves an empty profile
            self._start_recording()
            self._stop_recording()
        if cur in _RECORDING and not recording:
            self._start_recording()

    def _enter_step_range(self) -> None:
        if self.record_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _exit_step_range(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def start(self) -> None:
        self._transit(ProfilerAction.NONE, self.current_action)
        self._enter_step_range()

    def stop(self) -> None:
        self._exit_step_range()
        self._transit(self.current_action, None)

    def step(self) -> None:
        """Ends the current step and begins the next, acting on the schedule's verdict."""
        self._exit_step_range()
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(prev, self.current_action)
        self._enter_step_range()

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- results of the last finished recording ----------------------------------------
    def events(self) -> EventList:
        """Every event of the last finished recording cycle."""
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before getting events")
        return self.profiler.function_events

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """The last cycle's events averaged per name (see EventList.key_averages)."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        """Writes the last cycle's events to path as Chrome trace JSON (.gz: compressed)."""
        self.events().export_chrome_trace(path)
