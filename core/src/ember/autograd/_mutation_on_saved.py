"""``allow_mutation_on_saved_tensors``: in-place ops on tensors that backward still needs.

Ordinarily backward refuses a saved tensor whose memory was written after it was saved
(the version-counter check of ``Node.saved_tensors``). Inside this context every tensor
saved for backward is saved as a copy taken at save time, so a later in-place write to the
original cannot reach what backward reads, and backward computes the gradients of the
values the forward pass saw. Torch copies lazily, at the first write to a saved tensor; ember's
in-place writes go through many kernels with no common place to intercept them before
they write, so the copy is made when the tensor is saved: the same gradients, at the
memory cost of one copy per saved tensor while the graph lives.

Example:
    >>> with ember.autograd.graph.allow_mutation_on_saved_tensors():
    ...     a = ember.ones(2, 3, requires_grad=True)
    ...     b = a.clone()
    ...     out = (b ** 2).sum()
    ...     b.sin_()
    ...     out.backward()
    >>> a.grad
    tensor([[2., 2., 2.],
            [2., 2., 2.]])
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator

from .graph import saved_tensors_hooks

# True while a context is open (one at a time, in any thread, as torch)
_enabled = False

_OUTSIDE_MESSAGE = ("Trying to backward outside of the 'allow_mutation_on_saved_tensors' "
                    "context in which the graph was originally recorded.")


class _SavedCopy:
    """What the pack hook returns: the key under which the context keeps the copy."""

    __slots__ = ("__weakref__",)


class _AllowMutationOnSavedContext:
    """The state of one ``allow_mutation_on_saved_tensors`` context: the copies of the
    tensors saved inside it, by the key the graph holds; emptied when the context closes,
    so a graph recorded inside cannot be run backward outside."""

    def __init__(self) -> None:
        self.copies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def clear(self) -> None:
        self.copies.clear()


class _save_copies(saved_tensors_hooks):
    def __init__(self, ctx: _AllowMutationOnSavedContext) -> None:
        def pack(tensor):
            key = _SavedCopy()
            # the hook runs with grad mode off: the copy is outside any graph
            ctx.copies[key] = tensor.clone()
            return key

        def unpack(key: _SavedCopy):
            if not _enabled or key not in ctx.copies:
                raise AssertionError(_OUTSIDE_MESSAGE)
            return ctx.copies[key]

        super().__init__(pack, unpack)


@contextlib.contextmanager
def allow_mutation_on_saved_tensors() -> Iterator[_AllowMutationOnSavedContext]:
    """Context manager under which tensors saved for backward may be modified in place;
    forward and backward both have to run inside it. Yields the context's state object.
    Contexts cannot be nested (RuntimeError).

    Example:
        >>> with ember.autograd.graph.allow_mutation_on_saved_tensors():
        ...     x = ember.ones(3, requires_grad=True).clone()
        ...     y = x.exp().sum()
        ...     x.mul_(2)
        ...     y.backward()
    """
    global _enabled
    state = _AllowMutationOnSavedContext()
    with _save_copies(state):
        try:
            if _enabled:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _enabled = True
            yield state
        finally:
            state.clear()
            _enabled = False
