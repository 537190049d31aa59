"""ember.jit: torch.jit's decorators and helpers, for programs that use them to run eagerly.

Ember has no TorchScript: nothing here compiles, traces or serializes a graph.
``script`` and ``trace`` give back the function or module they are handed, unchanged,
so a ``@ember.jit.script`` function or a traced model runs as plain Python with
ember's ops; ``ignore``, ``unused``, ``export`` and ``interface`` leave what they
decorate as it is; ``is_scripting()`` and ``is_tracing()`` are always False; ``fork``
runs its function at once and ``wait`` hands back that result. ``save`` and ``load``
raise NotImplementedError: save a model's ``state_dict()`` with ``ember.save``.

Example:
    >>> @ember.jit.script
    ... def scaled(x: ember.Tensor, k: float) -> ember.Tensor:
    ...     return x * k
    >>> scaled(ember.ones(2), 3.0)          # a plain call
    tensor([3., 3.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from .futures import Future

__all__ = ["Final", "Future", "annotate", "export", "fork", "ignore", "interface",
           "is_scripting", "is_tracing", "load", "save", "script", "script_if_tracing",
           "trace", "trace_module", "unused", "wait"]

_F = TypeVar("_F")


def script(obj: _F, optimize=None, _frames_up: int = 0, _rcb=None,
           example_inputs=None) -> _F:
    """obj (a function, module or class) unchanged: it runs eagerly.

    Example:
        >>> model = ember.jit.script(ember.nn.Linear(2, 2))   # the same module
    """
    return obj


def trace(func: _F, example_inputs=None, optimize=None, check_trace: bool = True,
          check_inputs=None, check_tolerance: float = 1e-5, strict: bool = True,
          example_kwarg_inputs=None) -> _F:
    """func (a function or module) unchanged, whatever the example inputs: it runs eagerly.

    Example:
        >>> traced = ember.jit.trace(model, ember.randn(1, 2))   # model itself
    """
    return func


def trace_module(mod: _F, inputs, optimize=None, check_trace: bool = True,
                 check_inputs=None, check_tolerance: float = 1e-5, strict: bool = True,
                 example_inputs_is_kwarg: bool = False) -> _F:
    """mod unchanged (see ``trace``)."""
    return mod


def script_if_tracing(fn: _F) -> _F:
    """fn unchanged: ember never traces."""
    return fn


def ignore(drop=False, **kwargs):
    """Marks a function for TorchScript to leave in Python: in ember, it stays as it is.
    Usable bare (``@ignore``) or called (``@ignore()``, ``@ignore(drop=True)``).

    Example:
        >>> @ember.jit.ignore
        ... def debug_print(x):
        ...     print(x)
    """
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: _F) -> _F:
    """fn unchanged (TorchScript would replace it with a raise)."""
    return fn


def export(fn: _F) -> _F:
    """fn unchanged (TorchScript would compile it as a module entry point)."""
    return fn


def interface(obj: _F) -> _F:
    """obj unchanged (TorchScript would take it as an interface type)."""
    return obj


def is_scripting() -> bool:
    """Always False: ember code never runs as TorchScript.

    Example:
        >>> if not ember.jit.is_scripting():
        ...     print("eager")
        eager
    """
    return False


def is_tracing() -> bool:
    """Always False: ember never traces."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """the_value: the type is a hint for TorchScript only."""
    return the_value


def fork(func: Callable, *args, **kwargs) -> Future:
    """Runs func(*args, **kwargs) now, on this thread, and gives back an ``ember.futures.Future``
    completed with its result (an exception it raises propagates at once, as in eager torch).

    Example:
        >>> fut = ember.jit.fork(ember.add, ember.ones(2), ember.ones(2))
        >>> ember.jit.wait(fut)
        tensor([2., 2.])
    """
    future: Future = Future()
    future.set_result(func(*args, **kwargs))
    return future


def wait(future: Future) -> Any:
    """The result of the call ``fork`` ran."""
    return future.wait()


def save(m, f, _extra_files=None) -> None:
    """Raises NotImplementedError: ember has no TorchScript archive to write."""
    raise NotImplementedError("ember.jit.save: ember has no TorchScript, so there is no "
                              "scripted module to save; save the weights with "
                              "ember.save(model.state_dict(), f) and rebuild the model in "
                              "Python to load them")


def load(f, map_location=None, _extra_files=None):
    """Raises NotImplementedError: ember cannot read TorchScript archives."""
    raise NotImplementedError("ember.jit.load: ember has no TorchScript and cannot run a "
                              "TorchScript archive; save weights with "
                              "ember.save(model.state_dict(), f), then build the model in "
                              "Python and call model.load_state_dict(ember.load(f))")
