"""``ember.compile``: torch.compile's signature over ember's eager execution.

ember has no graph compiler: every op already runs as one C or CUDA kernel (or a fused
one) as it is called. ``compile`` hands back what it was given, so programs written for
torch.compile run unchanged, at eager speed.

Example:
    >>> model = ember.compile(ember.nn.Linear(4, 2))   # the same module
    >>> @ember.compile(mode="reduce-overhead")
    ... def step(x): return x * 2
"""

from __future__ import annotations

from typing import Any, Callable


def compile(model: Callable | None = None, *, fullgraph: bool = False,  # noqa: A001
            dynamic: bool | None = None, backend: str | Callable | None = None,
            mode: str | None = None, options: dict | None = None, name: str | None = None,
            disable: bool = False, **kwargs: Any) -> Callable:
    """model itself, or (called without one) a decorator that returns its function."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("compile() expects a callable (a module or a function), got "
                           f"{type(model).__name__}")
    return model
