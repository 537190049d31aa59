"""ember.compiler: torch.compiler's switches and markers over ember's eager execution.

``ember.compile`` hands back what it is given (see ``_compile.py``), so no code ever runs
compiled: ``is_compiling()`` is always False, ``disable``, ``allow_in_graph`` and
``assume_constant_result`` leave the function they mark as it is, and ``reset`` and
``cudagraph_mark_step_begin`` have nothing to clear or mark, and ``set_stance`` only
checks its arguments.

Example:
    >>> @ember.compiler.disable
    ... def debug_hook(x):
    ...     return x
    >>> with ember.compiler.set_stance("force_eager"):
    ...     ember.compiler.is_compiling()
    False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ._compile import compile  # noqa: A004  (torch.compiler.compile is torch.compile)

__all__ = ["allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin",
           "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset",
           "set_stance"]

_F = TypeVar("_F", bound=Callable)

_STANCES = ("default", "force_eager", "eager_on_recompile", "fail_on_recompile",
            "eager_then_compile", "aot_eager_then_compile")


def is_compiling() -> bool:
    """Always False: ember runs every op eagerly.

    Example:
        >>> ember.compiler.is_compiling()
        False
    """
    return False


def is_dynamo_compiling() -> bool:
    """Always False: ember has no bytecode tracer."""
    return False


def is_exporting() -> bool:
    """Always False: ember never exports a graph."""
    return False


def reset() -> None:
    """Nothing to clear: ember keeps no compiled code or guards.

    Example:
        >>> ember.compiler.reset()
    """


def _check_callable(fn: Any) -> None:
    if not callable(fn):
        raise AssertionError("fn must be callable")


def disable(fn: _F | None = None, recursive: bool = True, *,
            reason: str | None = None) -> _F | Callable[[_F], _F]:
    """fn itself, since nothing is compiled to keep it out of; called without fn, a
    decorator that does the same (``@disable()``, ``@disable(recursive=False)``).

    Example:
        >>> @ember.compiler.disable(reason="prints")
        ... def log(x):
        ...     print(x)
    """
    if fn is None:
        def decorator(inner: _F) -> _F:
            _check_callable(inner)
            return inner
        return decorator
    _check_callable(fn)
    return fn


def allow_in_graph(fn: _F | list | tuple) -> _F | list:
    """fn unchanged (a compiler would call it as one node of its graph); a list or tuple of
    functions comes back as a list of them.

    Example:
        >>> fn = ember.compiler.allow_in_graph(ember.sin)
    """
    if isinstance(fn, (list, tuple)):
        return [allow_in_graph(f) for f in fn]
    if not callable(fn):
        raise AssertionError("allow_in_graph expects a callable")
    return fn


def assume_constant_result(fn: _F) -> _F:
    """fn unchanged (a compiler would bake its result into the graph as a constant).

    Example:
        >>> @ember.compiler.assume_constant_result
        ... def world_size():
        ...     return 1
    """
    return fn


def cudagraph_mark_step_begin() -> None:
    """Nothing to mark: ember does not replay CUDA graphs between steps.

    Example:
        >>> ember.compiler.cudagraph_mark_step_begin()
    """


class set_stance:
    """How compiled code should run, as a call, a context manager or a decorator. ember
    runs everything eagerly whatever the stance, so this only checks its arguments as
    torch does (an unknown stance already here rather than at the next compiled call).

    Example:
        >>> @ember.compiler.set_stance("force_eager")
        ... def evaluate(model, x):
        ...     return model(x)
    """

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False,
                 force_backend: str | Callable | None = None) -> None:
        if force_backend is not None and stance != "default":
            raise RuntimeError("non-default stance cannot have force_backend set")
        if stance not in _STANCES:
            raise RuntimeError(f"invalid torch.compile stance '{stance}': expected one of "
                               f"{', '.join(_STANCES)}")
        self.stance = stance

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, fn: _F) -> _F:
        return fn
