"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode (thread-local)."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    inference = False


STATE = _State()

# How many inference_mode blocks are open on any thread (one element, so that the backends
# can bind the list by name). While none is (nearly always), a new storage is known to be a
# normal one without reading the thread-local state, which costs ~0.1 us: 5% of making a
# small tensor.
OPEN_INFERENCE_BLOCKS = [0]
_blocks_lock = threading.Lock()


def making_inference_tensors() -> bool:
    """Whether tensors made now on this thread are inference tensors."""
    return OPEN_INFERENCE_BLOCKS[0] > 0 and STATE.inference


def is_grad_enabled() -> bool:
    """Whether ops record the graph for autograd on this thread."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _GradModeBase:
    """Shared context-manager and decorator behaviour of the grad modes."""

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeBase):
    """Context manager and decorator that disables gradient recording.

    Example:
        >>> with ember.no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev


class enable_grad(_GradModeBase):
    """Context manager and decorator that enables gradient recording inside ``no_grad``."""

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self.prev


class set_grad_enabled(_GradModeBase):
    """Sets gradient recording on or off; works as a function, context manager or decorator."""

    def __init__(self, mode: bool):
        self.prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_GradModeBase):
    """Like ``no_grad``, and tensors made inside are inference tensors
    (``Tensor.is_inference()``): their memory is never updated in place outside the mode.
    ``inference_mode(False)`` turns both off inside an enclosing block.

    Example:
        >>> with ember.inference_mode():
        ...     y = ember.ones(2) * 2
        >>> y.is_inference()
        True
    """

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self.prev = (STATE.enabled, STATE.inference)
        STATE.enabled, STATE.inference = not self.mode, bool(self.mode)
        with _blocks_lock:
            OPEN_INFERENCE_BLOCKS[0] += 1

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self.prev
        with _blocks_lock:
            OPEN_INFERENCE_BLOCKS[0] -= 1

    def clone(self):
        return self.__class__(self.mode)
