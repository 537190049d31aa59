"""The backward engine: an iterative walk of the graph in dependency order.

Each node runs once, after every gradient flowing into it has been summed; ready
nodes run latest-created first (as torch does), so the order is deterministic.
Broadcasting is undone here, in one place: a gradient whose shape differs from
its input's is summed down to that shape (and cast to the input's dtype).
"""

from __future__ import annotations

import heapq
import threading

from .anomaly import ANOMALY
from . import function as _function
from .function import AccumulateGrad, Node
from .grad_mode import STATE


class _Task(threading.local):
    # False while a backward that captures chosen inputs (autograd.grad, backward(inputs=))
    # runs: a reentrant checkpoint cannot honour those (torch's _is_checkpoint_valid).
    checkpoint_valid = True
    graph_task = None


_TASK = _Task()
_task_ids = [0]


class _GraphTask:
    """The running backward call, as hooks see it: an id, which nodes will run, and the
    callbacks queued to run when it ends."""

    __slots__ = ("id", "seen", "needed", "targets", "callbacks")

    def __init__(self, seen, needed, targets):
        _task_ids[0] += 1
        self.id = _task_ids[0]
        self.seen, self.needed, self.targets = seen, needed, targets
        self.callbacks: list = []

    def will_execute(self, node) -> bool:
        if node not in self.seen:
            return False
        return self.needed is None or node in self.needed or node in self.targets


def _current_graph_task_id() -> int:
    """The id of the backward running on this thread, or -1 outside one."""
    task = _TASK.graph_task
    return -1 if task is None else task.id


def _will_engine_execute_node(node) -> bool:
    """Whether the running backward will run node (reach it and need its gradient)."""
    task = _TASK.graph_task
    if task is None:
        raise RuntimeError("_will_engine_execute_node should only be called during the backward "
                           "pass")
    return task.will_execute(node)


def queue_callback(callback) -> None:
    """Runs callback() once the running backward has finished with its graph."""
    task = _TASK.graph_task
    if task is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    task.callbacks.append(callback)


def is_checkpoint_valid() -> bool:
    """Whether the running backward accumulates into every leaf (no grad()/inputs=)."""
    return _TASK.checkpoint_valid


def _collect(roots):
    """Dependency counts of every node reachable from roots (iteratively)."""
    deps: dict[Node, int] = {}
    seen = set()
    stack = [r for r in roots if r is not None]
    for r in stack:
        seen.add(r)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed(seen, targets):
    """Nodes from which some target node is reachable through at least one edge.

    A target itself runs only when another target lies below it: its gradient is
    captured before it would run, so running it would only waste work (and, without
    retain_graph, free saved tensors that the graph's own backward still needs).
    """
    needed = set()
    parents = {}
    for node in seen:
        for nxt, _ in node.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(node)
    stack = list(targets)
    while stack:
        n = stack.pop()
        for p in parents.get(n, ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    return needed


def _fit_grad(grad, meta):
    """Sums a broadcast gradient back to its input's shape and dtype."""
    shape, dtype, _ = meta
    if grad._shape != shape:
        grad = grad.sum_to_size(shape)
    if grad._dtype is not dtype:
        grad = grad.to(dtype)
    return grad


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool,
                 capture=None, accumulate: bool = True, allow_unused: bool = False):
    """Runs backward from (node, output_nr) roots with their gradients.

    capture maps (node, output_nr) -> slot: those gradients are returned in a list
    instead of (or as well as) being accumulated; leaves are captured at their
    AccumulateGrad node. With accumulate=False no .grad is written.
    """
    prev, prev_valid, prev_task = STATE.enabled, _TASK.checkpoint_valid, _TASK.graph_task
    STATE.enabled = create_graph
    _TASK.checkpoint_valid = capture is None
    try:
        return _run(roots, grad_roots, retain_graph, create_graph, capture, accumulate)
    finally:
        STATE.enabled, _TASK.checkpoint_valid = prev, prev_valid
        _TASK.graph_task = prev_task


def _run(roots, grad_roots, retain_graph, create_graph, capture, accumulate):
    root_nodes = [n for n, _ in roots]
    deps, seen = _collect(root_nodes)
    captured = [None] * (max(capture.values()) + 1 if capture else 0)
    needed = None
    targets = {n for n, _ in capture} if capture else set()
    if not accumulate:
        needed = _needed(seen, targets)
    task = _TASK.graph_task = _GraphTask(seen, needed, targets)
    # gradient buffers: node -> list per output
    buffers: dict[Node, list] = {}

    def add(node, nr, g):
        buf = buffers.get(node)
        if buf is None:
            n_out = len(node._output_meta) if getattr(node, "_output_meta", None) else 1
            buf = buffers[node] = [None] * max(n_out, nr + 1)
        elif nr >= len(buf):
            buf.extend([None] * (nr + 1 - len(buf)))
        prev = buf[nr]
        # a sparse sum is added to a dense one, not the reverse (which torch refuses)
        buf[nr] = g if prev is None else g + prev if prev.is_sparse else prev + g

    for (node, nr), g in zip(roots, grad_roots):
        if node is not None:
            add(node, nr, g)
    ready = []
    pending = {}
    for node in set(root_nodes):
        if node is not None and deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._seq, id(node), node))
    for node in seen:
        pending[node] = deps.get(node, 0)

    while ready:
        _, _, node = heapq.heappop(ready)
        grads = buffers.pop(node, [None])
        if node._tensor_pre_hooks or node._retain_hooks or node._pre_hooks:
            # as torch, only nodes this backward runs call their hooks; a node it only
            # captures at calls its tensors' hooks, not its own pre-hooks
            runs = needed is None or node in needed
            if runs or node in targets:
                grads = _run_tensor_hooks(node, grads, runs)
        if capture:
            for nr, g in enumerate(grads):
                slot = capture.get((node, nr))
                if slot is not None:
                    captured[slot] = g if captured[slot] is None else captured[slot] + g
        skip = needed is not None and node not in needed
        if isinstance(node, AccumulateGrad):
            if accumulate and grads[0] is not None:
                node.accumulate(grads[0], create_graph)
            continue
        if skip:
            outs = (None,) * len(node.next_functions)
        else:
            outs = _call_node(node, grads, create_graph)
            if not retain_graph:
                node._release()
        for (nxt, nr), g, meta in zip(node.next_functions, outs, node._input_meta or ()):
            if nxt is None:
                continue
            if g is not None:
                if g._shape != meta[0] or g._dtype is not meta[1]:
                    g = _fit_grad(g, meta)
                add(nxt, nr, g)
            pending[nxt] -= 1
            if pending[nxt] == 0:
                heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
    while task.callbacks:
        task.callbacks.pop(0)()
    return captured


def _run_tensor_hooks(node, grads, node_hooks: bool = True):
    hooks = node._tensor_pre_hooks
    if hooks:
        for nr, fns in hooks.items():
            if nr < len(grads) and grads[nr] is not None:
                for fn in list(fns):
                    new = fn(grads[nr])
                    if new is not None:
                        grads[nr] = new
    if node._retain_hooks:
        for nr, fn in node._retain_hooks.items():
            if nr < len(grads) and grads[nr] is not None:
                fn(grads[nr])
    if node._pre_hooks and node_hooks:
        for fn in list(node._pre_hooks):
            new = fn(tuple(grads))
            if new is not None:
                grads = list(new)
    return grads


def _call_node(node, grads, create_graph):
    Tensor = _function.Tensor
    metas = node._output_meta or ()
    if node.materialize_grads and None in grads:
        from ..ops.creation import zeros
        grads = [g if g is not None or m is None else zeros(m[0], dtype=m[1], device=m[2])
                 for g, m in zip(grads, metas)] + list(grads[len(metas):])
    if metas and len(grads) != len(metas):
        grads = grads[:len(metas)]
    fn = node._fn
    outs = fn.backward(node, *grads)
    if not isinstance(outs, tuple):
        outs = (outs,)
    n_in = len(node.next_functions)
    if len(outs) < n_in:
        outs = outs + (None,) * (n_in - len(outs))
    elif len(outs) > n_in:
        extra = outs[n_in:]
        if any(e is not None for e in extra):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(outs)})")
        outs = outs[:n_in]
    if not fn._builtin:  # ember's own backward formulas return tensors or None
        for i, (g, (nxt, _)) in enumerate(zip(outs, node.next_functions)):
            if g is None or nxt is None:
                continue
            if not isinstance(g, Tensor):
                raise TypeError(f"function {node.name()} returned a gradient of type "
                                f"{type(g).__name__} at position {i}; expected a Tensor or "
                                "None")
    if node._hooks:
        for fn in list(node._hooks):
            new = fn(outs, tuple(grads))
            if new is not None:
                outs = tuple(new)
    if ANOMALY.enabled and ANOMALY.check_nan:
        for i, g in enumerate(outs):
            if g is not None and g._dtype.is_floating_point and g.isnan().any().item():
                where = f"\nThe forward call that created it:\n{node._trace}" if node._trace else ""
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                                   f"output.{where}")
    return outs
