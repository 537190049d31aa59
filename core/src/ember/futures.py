"""ember.futures: a result that arrives later (``torch.futures``).

A ``Future`` is completed once, with a value (``set_result``) or an exception
(``set_exception``), possibly from another thread; ``wait()`` blocks until then and gives the
value back or raises the exception. ``then(callback)`` chains work on the result into a new
Future. The async collectives' ``Work.get_future()``, DDP communication hooks and
``ember.jit.fork`` hand out these futures.

A future made by an async collective has no background thread completing it: waiting on it
(or on one chained from it by ``then``/``collect_all``) drives the collective to completion,
and ``done()`` polls it.

Example:
    >>> fut = ember.futures.Future()
    >>> doubled = fut.then(lambda f: f.value() * 2)
    >>> fut.set_result(ember.ones(2))
    >>> doubled.wait()
    tensor([2., 2.])
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import ember

__all__ = ["Future", "collect_all", "wait_all"]

T = TypeVar("T")
S = TypeVar("S")

_log = logging.getLogger(__name__)

# how a future whose result comes from a pending collective makes that collective progress:
# called with block=True it completes it, with block=False it only polls
Advance = Callable[[bool], Any]


class Future(Generic[T]):
    """A value (or an exception) that is set once and can be waited for from any thread.

    ``devices`` names the CUDA devices the value's tensors may live on, checked as torch
    checks it; ember queues GPU work on the current stream, so no extra events are recorded.

    Example:
        >>> fut = ember.futures.Future()
        >>> threading.Thread(target=fut.set_result, args=(ember.ones(2),)).start()
        >>> fut.wait()
        tensor([1., 1.])
    """

    def __init__(self, *, devices: list | None = None) -> None:
        for d in devices or ():
            if ember.device(d).index is None:
                raise ValueError(f"Expected devices to have indices, got {d}")
        self._cond = threading.Condition()
        self._done = False
        self._value: Any = None
        self._error: Exception | None = None
        self._callbacks: list[Callable[[Future[T]], Any]] = []
        self._advance: Advance | None = None

    def done(self) -> bool:
        """Whether a value or an exception has been set.

        Example:
            >>> ember.futures.Future().done()
            False
        """
        if not self._done and self._advance is not None:
            self._advance(False)
        return self._done

    def wait(self) -> T:
        """Blocks until the future completes; its value, or its exception raised.

        Example:
            >>> fut = ember.futures.Future(); fut.set_result(3)
            >>> fut.wait()
            3
        """
        if not self._done and self._advance is not None:
            self._advance(True)
        with self._cond:
            while not self._done:
                self._cond.wait()
        return self._outcome()

    def value(self) -> T:
        """The value of a completed future (its exception is raised); for use after ``wait``
        or inside a ``then`` callback.

        Example:
            >>> fut = ember.futures.Future(); fut.set_result("ok")
            >>> fut.value()
            'ok'
        """
        if not self._done:
            raise RuntimeError("Future.value() called before the Future completed: call "
                               "wait() first, or read value() inside a then() callback")
        return self._outcome()

    def _outcome(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value

    def then(self, callback: Callable[[Future[T]], S]) -> Future[S]:
        """A new future holding callback(self), run once this one completes (at once, on
        this thread, if it already has). An exception in callback completes the new future
        with a RuntimeError that names it (the original is its ``__cause__``).

        Example:
            >>> fut = ember.futures.Future()
            >>> plus_one = fut.then(lambda f: f.value() + 1)
            >>> fut.set_result(1); plus_one.wait()
            2
        """
        _require_callable(callback, "then")
        child: Future[S] = Future()
        child._advance = self._advance  # waiting on the child drives what this one waits on

        def run(fut: Future[T]) -> None:
            try:
                result = callback(fut)
            except Exception as e:
                error = RuntimeError("Got the following error when running the callback: "
                                     f"{type(e).__name__}: {e}")
                error.__cause__ = e
                child.set_exception(error)
            else:
                child.set_result(result)

        self.add_done_callback(run)
        return child

    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        """Runs callback(self) once this future completes (at once if it has). What it
        returns is dropped and an exception it raises is logged, not propagated.

        Example:
            >>> fut = ember.futures.Future()
            >>> fut.add_done_callback(lambda f: print("got", f.value()))
            >>> fut.set_result(5)
            got 5
        """
        _require_callable(callback, "add_done_callback")
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        self._run(callback)

    def set_result(self, result: T) -> None:
        """Completes the future with result and runs its callbacks (on this thread).

        Example:
            >>> fut = ember.futures.Future(); fut.set_result(ember.zeros(1))
            >>> fut.done()
            True
        """
        self._complete(result, None)

    def set_exception(self, result: Exception) -> None:
        """Completes the future with an exception, which ``wait()`` and ``value()`` raise.

        Example:
            >>> fut = ember.futures.Future(); fut.set_exception(ValueError("no data"))
            >>> fut.wait()
            Traceback (most recent call last):
            ValueError: no data
        """
        if not isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(None, result)

    def _complete(self, value: Any, error: Exception | None) -> None:
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. "
                                   "Note that a Future can only be marked completed once.")
            self._value, self._error, self._done = value, error, True
            callbacks, self._callbacks = self._callbacks, []
            self._cond.notify_all()
        # outside the lock: a callback may chain further futures or wait on others
        for callback in callbacks:
            self._run(callback)

    def _run(self, callback: Callable[[Future[T]], Any]) -> None:
        try:
            callback(self)
        except Exception:
            _log.exception("ember.futures: a done-callback raised; its exception is dropped")


def _require_callable(callback: Any, method: str) -> None:
    if not callable(callback):
        raise TypeError(f"Future.{method}() takes a callable that receives the Future, got "
                        f"{type(callback).__name__}")


def collect_all(futures: list[Future]) -> Future[list[Future]]:
    """One future that completes when every one of futures has; its value is that list.
    If some completed with an exception, it completes with the first of those (in list
    order) instead.

    Example:
        >>> a, b = ember.futures.Future(), ember.futures.Future()
        >>> both = ember.futures.collect_all([a, b])
        >>> a.set_result(1); b.set_result(2)
        >>> [f.value() for f in both.wait()]
        [1, 2]
    """
    futures = list(futures)
    for f in futures:
        if not isinstance(f, Future):
            raise TypeError(f"collect_all() takes a list of ember.futures.Future, got an item "
                            f"of type {type(f).__name__}")
    combined: Future[list[Future]] = Future()
    advances = [f._advance for f in futures if f._advance is not None]
    if advances:
        combined._advance = lambda block: [advance(block) for advance in advances]
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Future) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        error = next((f._error for f in futures if f._error is not None), None)
        if error is None:
            combined.set_result(futures)
        else:
            combined.set_exception(error)

    if not futures:
        combined.set_result([])
    for f in futures:
        f.add_done_callback(one_done)
    return combined


def wait_all(futures: list[Future]) -> list:
    """The values of futures, once all have completed; raises the first exception among
    them (in list order).

    Example:
        >>> a, b = ember.futures.Future(), ember.futures.Future()
        >>> a.set_result(1); b.set_result(2)
        >>> ember.futures.wait_all([a, b])
        [1, 2]
    """
    return [f.wait() for f in collect_all(futures).wait()]
