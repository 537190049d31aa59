"""Timer: times a Python statement as torch.utils.benchmark.Timer does, with the standard
library's timeit underneath and the GPU drained before each clock reading."""

from __future__ import annotations

import contextlib
import textwrap
import time
import timeit as _timeit
from collections.abc import Callable, Iterator
from typing import Any

from ... import _threads
from ... import cuda as _cuda
from .measurement import Measurement, TaskSpec, _quantile


def timer() -> float:
    """time.perf_counter(), once the GPU (where ember has one) has finished its queued
    work, so a reading after launching kernels includes running them."""
    if _cuda.is_available():
        _cuda.synchronize()
    return time.perf_counter()


@contextlib.contextmanager
def _threads_set_to(count: int) -> Iterator[None]:
    previous = _threads.get_num_threads()
    _threads.set_num_threads(count)
    try:
        yield
    finally:
        _threads.set_num_threads(previous)


def _tidy(code: str) -> str:
    """code dedented, without the newline a triple-quoted block starts with or trailing
    space, so snippets written inside functions run and print cleanly."""
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


class Timer:
    """Times stmt (Python source) after running setup once, in a namespace made of a copy
    of globals (with ``ember`` added), on num_threads of ember's CPU threads. label,
    sub_label, description and env are for Compare's tables.

    Example:
        >>> t = Timer("x @ x", setup="x = ember.randn(64, 64)", label="matmul")
        >>> t.blocked_autorange(min_run_time=0.1).median   # seconds per run
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timer, globals: dict[str, Any] | None = None,
                 label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None,
                 num_threads: int = 1, language: str = "python") -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language in ("cpp", "c++"):
            raise NotImplementedError("ember's Timer times Python statements only: ember has "
                                      "no C++ API to time")
        if language not in ("py", "python"):
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`; put this code "
                             "in `setup`.")
        import ember

        namespace = dict(globals or {})  # a copy: running the code adds names to it
        namespace.setdefault("ember", ember)
        stmt, setup = _tidy(stmt), _tidy(setup)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=namespace)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, label=label, sub_label=sub_label,
                                   description=description, env=env, num_threads=num_threads)

    def _run(self, number: int) -> float:
        # no real statement takes under a nanosecond; this also keeps ratios finite
        return max(self._timer.timeit(number), 1e-9)

    def _measurement(self, number: int, times: list[float]) -> Measurement:
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def timeit(self, number: int = 1000000) -> Measurement:
        """One measurement of number runs, after a warm-up of a hundredth as many.

        Example:
            >>> Timer("sum(range(100))").timeit(1000).median
        """
        with _threads_set_to(self._task_spec.num_threads):
            self._run(max(number // 100, 2))
            return self._measurement(number, [self._run(number)])

    def _block_size(self, min_run_time: float) -> int:
        """Runs per measurement: the first power of ten whose block takes a thousandth of
        min_run_time with the clock's own cost under 0.01% of it (or takes all of
        min_run_time). Doubles as the warm-up."""
        overhead = _quantile(sorted(self._run(0) for _ in range(5)), 0.5)
        number = 1
        while number < 2**31 // 10:
            elapsed = self._run(number)
            if elapsed > min_run_time or (overhead / elapsed <= 1e-4
                                          and elapsed >= min_run_time / 1000):
                break
            number *= 10
        return number

    def _measure_until(self, number: int, enough: Callable[[list[float]], bool],
                       min_run_time: float, max_run_time: float | None,
                       callback: Callable[[int, float], Any] | None) -> list[float]:
        times: list[float] = []
        total = 0.0
        while True:
            times.append(self._run(number))
            total += times[-1]
            if callback is not None:
                callback(number, times[-1])
            if total >= min_run_time and enough(times):
                return times
            if max_run_time is not None and total > max_run_time:
                return times

    def blocked_autorange(self, callback: Callable[[int, float], Any] | None = None,
                          min_run_time: float = 0.2) -> Measurement:
        """Measurements of blocks of runs (sized so the clock's cost vanishes beside a
        block) until min_run_time seconds are spent; callback(number, seconds) hears each.

        Example:
            >>> m = Timer("x + x", setup="x = ember.ones(1000)").blocked_autorange()
            >>> m.number_per_run, len(m.times) > 0
        """
        with _threads_set_to(self._task_spec.num_threads):
            number = self._block_size(min_run_time)
            times = self._measure_until(number, lambda _: True, min_run_time, None, callback)
        return self._measurement(number, times)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0,
                           callback: Callable[[int, float], Any] | None = None) -> Measurement:
        """As blocked_autorange, but measuring on past min_run_time until the IQR is under
        threshold times the median (with more than 3 measurements) or max_run_time is
        spent.

        Example:
            >>> Timer("x.sum()", setup="x = ember.ones(100)").adaptive_autorange().median
        """
        def steady(times: list[float]) -> bool:
            return len(times) > 3 and self._measurement(number, times).meets_confidence(
                threshold)

        with _threads_set_to(self._task_spec.num_threads):
            number = self._block_size(0.05)
            times = self._measure_until(number, steady, min_run_time, max_run_time, callback)
        return self._measurement(number, times)
