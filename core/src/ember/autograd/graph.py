"""Hooks on the backward graph: saved-tensor pack/unpack hooks, multi-tensor gradient
hooks, and the graph's nodes and edges (torch.autograd.graph).

Example:
    >>> x = ember.ones(3, requires_grad=True)
    >>> with ember.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
    ...     y = x.exp()          # exp saves its output: the pack hook runs now
    >>> y.sum().backward()       # and the unpack hook here
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any, Iterator, Literal, NamedTuple

from . import engine as _engine
from .function import SAVED_HOOKS
from .function import Node as _Node

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "register_multi_grad_hook", "Node", "GradientEdge", "get_gradient_edge",
           "increment_version", "allow_mutation_on_saved_tensors"]

#: The base class of every backward-graph node (what ``tensor.grad_fn`` is): ``name()``,
#: ``next_functions``, ``metadata``, ``register_hook`` and ``register_prehook``.
Node = _Node


class GradientEdge(NamedTuple):
    """Where a tensor's gradient is computed: a graph node and which of its outputs.

    Example:
        >>> x = ember.ones(2, requires_grad=True)
        >>> edge = ember.autograd.graph.get_gradient_edge(x * 2)
        >>> edge.node.name(), edge.output_nr
        ('MulBackward0', 0)
    """

    node: Node
    output_nr: int
    ownership_token: Node | None = None


def _node_of(t) -> Node:
    """t's grad_fn, or its AccumulateGrad node for a leaf (a GradientEdge's node as is)."""
    if isinstance(t, GradientEdge):
        return t.node
    if t._grad_fn is not None:
        return t._grad_fn
    if not t._requires_grad:
        raise AssertionError("Expected gradient function to be set")
    return t._accumulator()


def get_gradient_edge(tensor) -> GradientEdge:
    """The :class:`GradientEdge` at which ``tensor``'s gradient is computed.

    Example:
        >>> x = ember.ones(2, requires_grad=True)
        >>> ember.autograd.graph.get_gradient_edge(x).node.name()
        'AccumulateGrad'
    """
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node = _node_of(tensor)
    if tensor._grad_fn is None:
        tensor.__dict__["_acc_keepalive"] = node  # the edge's node lives as long as the leaf
    return GradientEdge(node, tensor._output_nr if tensor._grad_fn is not None else 0)


def increment_version(tensor) -> None:
    """Marks ``tensor`` (or each tensor of an iterable) as modified in place, so a
    backward that saved it raises.

    Example:
        >>> ember.autograd.graph.increment_version(ember.zeros(2))
    """
    tensors = tensor if isinstance(tensor, (list, tuple)) else [tensor]
    for t in tensors:
        t._storage.version += 1


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through
    ``pack_hook(tensor) -> object`` when saved and ``unpack_hook(object) -> Tensor`` when
    backward reads them. The innermost context's pair is the one used; the hooks in force
    at save time are the ones that apply, whatever is in force at backward.

    As torch: the pack hook runs with grad mode off and must not modify its input in
    place; the unpack hook must return a Tensor; and the in-place version check on saved
    tensors is not made for tensors saved through hooks.

    Example:
        >>> def pack(t):
        ...     return t.detach().clone()
        >>> def unpack(t):
        ...     return t
        >>> x = ember.randn(3, requires_grad=True)
        >>> with ember.autograd.graph.saved_tensors_hooks(pack, unpack):
        ...     y = (x * x).sum()
        >>> y.backward()
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        if SAVED_HOOKS.disabled is not None:
            raise RuntimeError(SAVED_HOOKS.disabled)
        SAVED_HOOKS.stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *args: object) -> None:
        SAVED_HOOKS.stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept in CPU memory and moved back to their device for backward.

    Example:
        >>> x = ember.randn(3, requires_grad=True)
        >>> with ember.autograd.graph.save_on_cpu(pin_memory=False):
        ...     y = x.sin().sum()
        >>> y.backward()
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor):
            if not pin_memory:
                return tensor.device, tensor.cpu()
            packed = tensor.cpu()
            if packed is tensor:
                packed = tensor.clone()
            if hasattr(packed, "pin_memory"):
                try:
                    packed = packed.pin_memory()
                except RuntimeError:  # no accelerator to pin for: plain host memory
                    pass
            return tensor.device, packed

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """Context manager under which using saved-tensor hooks raises
    ``RuntimeError(error_message)`` (as does entering it while hooks are in force).

    Example:
        >>> with ember.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        ...     pass
    """
    prev = SAVED_HOOKS.disabled
    try:
        if SAVED_HOOKS.stack:
            raise RuntimeError(error_message)
        SAVED_HOOKS.disabled = error_message
        yield
    finally:
        SAVED_HOOKS.disabled = prev


class _MultiHandle:
    """Removes every hook of a register_multi_grad_hook call."""

    def __init__(self, handles: tuple) -> None:
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_multi_grad_hook(tensors: Sequence, fn: Callable[..., None], *,
                             mode: Literal["all", "any"] = "all") -> _MultiHandle:
    """Calls ``fn`` once per backward for a group of tensors.

    ``mode="all"``: after the gradient of every tensor of the group that this backward
    computes is ready, with the list of gradients (``None`` for the tensors it does not
    reach or does not need). ``mode="any"``: at the first of their gradients, with that
    gradient. Returns a handle whose ``remove()`` unregisters it.

    Example:
        >>> a = ember.ones(2, requires_grad=True)
        >>> b = ember.ones(2, requires_grad=True)
        >>> seen = []
        >>> h = ember.autograd.graph.register_multi_grad_hook(
        ...     (a, b), lambda grads: seen.append([g is not None for g in grads]))
        >>> (a * 2).sum().backward()
        >>> seen
        [[True, False]]
    """
    modes = ("all", "any")
    if mode not in modes:
        raise ValueError(f"Expects mode to be one of {modes} but got {mode}")
    lock = threading.Lock()
    if mode == "any":
        fired: set = set()

        def first_only(grad):
            task = _engine._current_graph_task_id()
            with lock:
                if task in fired:
                    return
                fired.add(task)
            _engine.queue_callback(lambda: fired.discard(task))
            fn(grad)

        return _MultiHandle(tuple(t.register_hook(first_only) for t in tensors
                                  if t.requires_grad))

    nodes = [_node_of(t) for t in tensors]
    n = len(tensors)
    # per backward call: [gradients so far, calls so far, calls expected]
    pending: dict[int, list] = {}

    def finish(task: int) -> None:
        state = pending.pop(task, None)
        if state is not None:  # some expected gradient never came: report what did
            fn(state[0])

    def make(idx: int):
        def hook(grad):
            task = _engine._current_graph_task_id()
            with lock:
                state = pending.get(task)
                if state is None:
                    expected = sum(_engine._will_engine_execute_node(nd) for nd in nodes)
                    state = pending[task] = [[None] * n, 0, expected]
                    _engine.queue_callback(lambda: finish(task))
                state[0][idx] = grad
                state[1] += 1
                done = state[1] >= state[2]
                if done:
                    del pending[task]
            if done:
                fn(state[0])
        return hook

    return _MultiHandle(tuple(t.register_hook(make(i)) for i, t in enumerate(tensors)))


# defined in its own module, which builds on saved_tensors_hooks above
from ._mutation_on_saved import allow_mutation_on_saved_tensors  # noqa: E402
