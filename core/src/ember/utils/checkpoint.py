"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory.

A checkpointed function runs forward without keeping its intermediate activations;
backward runs it again (with the forward's RNG and autocast state, so dropout masks
and precisions match) and differentiates that recomputation.

Two variants, as in torch:

* reentrant (``use_reentrant=True``): one autograd Function whose backward recomputes
  under ``enable_grad`` and calls ``ember.autograd.backward`` on the recomputed graph
  (a backward inside the backward). Gradients reach the inputs through the Function and
  the parameters used inside through that inner backward; like torch's, it cannot serve
  ``autograd.grad`` or ``backward(inputs=...)``, and it needs an input requiring grad.
* non-reentrant (``use_reentrant=False``): ember has no saved-tensor hooks, so the
  forward runs once with grad enabled only to find where the function's graph meets the
  outside (the inputs, the parameters and any outer tensors it closes over); that graph
  is then dropped and one node stands for it, with those edges as its inputs. Its
  backward recomputes the function and runs the engine on the recomputed graph, capturing
  the gradients at those edges (nothing is accumulated there), and returns them. So it
  works with ``autograd.grad``, keyword arguments, inputs that don't require grad and
  gradients that reach parameters only. Unlike torch's, it cannot be differentiated twice
  (a double backward raises), and only tensors returned directly or in a tuple/list are
  differentiable outputs.

Selective checkpointing (``create_selective_checkpoint_contexts`` as ``context_fn``) is
accepted with torch's signature and gives the same gradients, but ember has no dispatch
layer through which single ops could be seen: the policy is never consulted, no op
output is kept, and the backward recomputes every op of the function. Likewise the
recomputation always runs the whole function, so ``early_stop`` (and
``set_checkpoint_early_stop``) change nothing but are accepted.
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from typing import Any, Callable, ContextManager, Iterable

from .. import _generator
from ..amp import autocast_mode
from ..autograd import function as _function
from ..autograd.engine import is_checkpoint_valid, run_backward
from ..autograd.function import AccumulateGrad, Function, once_differentiable
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from .._tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "get_device_states",
           "set_device_states", "noop_context_fn", "set_checkpoint_early_stop",
           "DefaultDeviceType", "set_checkpoint_debug_enabled", "CheckpointPolicy",
           "SelectiveCheckpointContext", "create_selective_checkpoint_contexts"]

_DETERMINISM_CHECKS = ("default", "none")
_debug_override: bool | None = None  # set_checkpoint_debug_enabled's value, over debug=
_early_stop_override: bool | None = None


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None):
    """Inside the block, ``enabled`` replaces every non-reentrant checkpoint's ``debug``
    argument (None: each call's own argument counts).

    Example:
        >>> with set_checkpoint_debug_enabled(True):
        ...     y = checkpoint(fn, x, use_reentrant=False)   # as with debug=True
    """
    global _debug_override
    before, _debug_override = _debug_override, enabled
    try:
        yield
    finally:
        _debug_override = before


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """Inside the block, ``enable`` replaces checkpoint's ``early_stop`` argument. Ember's
    recomputation always runs the whole function, so the value has no effect on what is
    computed; the context is here for code written against torch.

    Example:
        >>> with set_checkpoint_early_stop(False):
        ...     y = checkpoint(fn, x, use_reentrant=False)
    """
    global _early_stop_override
    before, _early_stop_override = _early_stop_override, enable
    try:
        yield
    finally:
        _early_stop_override = before


class DefaultDeviceType:
    """The device type whose RNG state checkpointing saves when no argument is on an
    accelerator: the current accelerator's ("cuda") if there is one, else "cpu", until
    ``set_device_type`` picks another.

    Example:
        >>> DefaultDeviceType.set_device_type("cuda")
        >>> DefaultDeviceType.get_device_type()
        'cuda'
    """

    _default_device_type: str | None = None

    @staticmethod
    def set_device_type(device: str = "cuda") -> None:
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type() -> str:
        if not DefaultDeviceType._default_device_type:
            from .. import accelerator
            acc = accelerator.current_accelerator(True)
            DefaultDeviceType._default_device_type = acc.type if acc is not None else "cpu"
        return DefaultDeviceType._default_device_type


def get_device_states(*args) -> tuple[list[int], list[Tensor]]:
    """(the device index of each accelerator tensor among args, nested containers
    included, and the RNG state of each of those devices). CUDA draws come from ember's
    default generator, so each state is that generator's.

    Example:
        >>> devices, states = get_device_states(ember.ones(2, device="cuda"))
        >>> devices
        [0]
    """
    from .. import cuda
    from ._pytree import tree_leaves
    devices = [t.get_device() for t in tree_leaves(args)
               if isinstance(t, Tensor) and t.device.type not in ("cpu", "meta")]
    return devices, [cuda.get_rng_state(i) for i in devices]


def set_device_states(devices, states, *, device_type: str | None = None) -> None:
    """Restores the RNG state of each device of ``devices`` from ``states`` (what
    ``get_device_states`` returned).

    Example:
        >>> devices, states = get_device_states(x)
        >>> set_device_states(devices, states)
    """
    device_type = device_type or DefaultDeviceType.get_device_type()
    if device_type == "meta":
        return
    from .. import cuda
    for index, state in zip(devices, states):
        cuda.set_rng_state(state, index)


class CheckpointPolicy(enum.Enum):
    """What a selective-checkpoint policy says of an op's output: keep it from the forward
    (``*_SAVE``), compute it again in backward (``*_RECOMPUTE``) or keep it on the CPU
    (``*_CPU_OFFLOAD``); ``MUST_`` values are not to be overridden by other systems.
    Ember recomputes every op whatever the policy (see the module docstring).
    """

    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3
    MUST_CPU_OFFLOAD = 4
    PREFER_CPU_OFFLOAD = 5


class SelectiveCheckpointContext:
    """What a policy function receives first: whether the op runs in the recomputation
    (``is_recompute``) and, where known, the op's output."""

    def __init__(self, *, is_recompute: bool, op_output=None) -> None:
        self.is_recompute = is_recompute
        self.op_output = op_output


class _SelectiveCheckpointMode:
    """One of the two contexts create_selective_checkpoint_contexts returns (forward,
    recomputation). Entering it changes nothing: ember cannot see single ops, so the
    policy is only kept (see the module docstring)."""

    def __init__(self, policy_fn: Callable, is_recompute: bool,
                 allow_cache_entry_mutation: bool) -> None:
        self.policy_fn = policy_fn
        self.is_recompute = is_recompute
        self.allow_cache_entry_mutation = allow_cache_entry_mutation

    def __enter__(self) -> _SelectiveCheckpointMode:
        return self

    def __exit__(self, *exc_info) -> None:
        return None


def create_selective_checkpoint_contexts(policy_fn_or_list,
                                         allow_cache_entry_mutation: bool = False
                                         ) -> tuple[ContextManager, ContextManager]:
    """The (forward, recomputation) contexts for ``checkpoint(..., context_fn=...)`` that
    would save the outputs of chosen ops: a list of ops (kept, the others recomputed) or a
    ``policy_fn(ctx, op, *args, **kwargs) -> CheckpointPolicy``. Gradients are those of
    plain checkpointing; ember recomputes every op (see the module docstring).

    Example:
        >>> import functools
        >>> context_fn = functools.partial(create_selective_checkpoint_contexts, [ember.mm])
        >>> y = checkpoint(fn, x, use_reentrant=False, context_fn=context_fn)
    """
    if isinstance(policy_fn_or_list, (list, tuple)):
        ops = list(policy_fn_or_list)
        for op in ops:
            if not callable(op):
                raise ValueError(f"Expected op in `op_list` to be an OpOverload but got: {op} "
                                 f"of type {type(op)}. ")

        def policy_fn(ctx, op, *args, **kwargs):
            return CheckpointPolicy.MUST_SAVE if op in ops else CheckpointPolicy.PREFER_RECOMPUTE
    elif callable(policy_fn_or_list):
        policy_fn = policy_fn_or_list
    else:
        raise TypeError("policy_fn_or_list must be either a function or a list of ops.")
    return (_SelectiveCheckpointMode(policy_fn, False, allow_cache_entry_mutation),
            _SelectiveCheckpointMode(policy_fn, True, allow_cache_entry_mutation))


class CheckpointError(RuntimeError):
    """The recomputation in backward did not reproduce the forward (torch's CheckpointError)."""


def noop_context_fn() -> tuple[ContextManager, ContextManager]:
    """The default ``context_fn``: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple) -> tuple:
    """Detaches each tensor of a tuple, keeping its ``requires_grad``; other items pass."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def check_backward_validity(inputs: Iterable[Any]) -> None:
    """Warns (as torch) when no tensor input requires grad: no gradient will reach them."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


# ---- the state a recomputation must reproduce --------------------------------------------

class _ForwardState:
    """The RNG and autocast state at the forward, re-entered around the recomputation.

    CUDA tensors draw from ember's default generator too (see ``ember.cuda.manual_seed``),
    so its state covers random ops on both devices.
    """

    __slots__ = ("rng", "autocast")

    def __init__(self, preserve_rng_state: bool):
        self.rng = _generator.get_rng_state() if preserve_rng_state else None
        self.autocast = [(dev, autocast_mode.is_autocast_enabled(dev),
                          autocast_mode.get_autocast_dtype(dev)) for dev in ("cpu", "cuda")]

    @contextlib.contextmanager
    def restored(self):
        outer_rng = None
        if self.rng is not None:
            outer_rng = _generator.get_rng_state()
            _generator.set_rng_state(self.rng)
        try:
            with contextlib.ExitStack() as stack:
                for dev, enabled, dtype in self.autocast:
                    stack.enter_context(autocast_mode.autocast(dev, dtype, enabled=enabled))
                yield
        finally:
            if outer_rng is not None:
                _generator.set_rng_state(outer_rng)


def _as_tuple(outputs) -> tuple:
    return outputs if isinstance(outputs, tuple) else (outputs,)


# ---- reentrant variant ----------------------------------------------------------------

class CheckpointFunction(Function):
    """The reentrant checkpoint: forward under no_grad, backward recomputes and backprops."""

    node_name = "CheckpointFunctionBackward"  # torch's name for it

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.state = _ForwardState(preserve_rng_state)
        # Tensors go through save_for_backward (version-checked); other args stay as they are.
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_indices))
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if not is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        inputs = list(ctx.inputs)
        for idx, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[idx] = t
        with ctx.state.restored():
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = _as_tuple(ctx.run_function(*detached))
        with_grad = [(o, g) for o, g in zip(outputs, grads)
                     if isinstance(o, Tensor) and o.requires_grad]
        if not with_grad:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        from ..autograd import backward
        backward([o for o, _ in with_grad], [g for _, g in with_grad])
        return (None, None) + tuple(d.grad if isinstance(d, Tensor) else None
                                    for d in detached)


# ---- non-reentrant variant --------------------------------------------------------------

def _fresh(t: Tensor) -> Tensor:
    """A graph-free tensor on t's memory that, unlike ``detach()``, keeps no reference to
    t (whose grad_fn would keep the whole dropped graph alive)."""
    return Tensor._make(t._storage, t._shape, t._stride, t._offset, t._dtype)


class _Frame:
    """What the non-reentrant node needs to recompute: the function, its arguments, the
    forward's state and the edges (inputs, parameters, outer tensors) where its graph met
    the outside, as ("input", i) / ("leaf", tensor) / ("node", node, output_nr)."""

    __slots__ = ("fn", "args", "kwargs", "state", "context", "edges", "out_meta", "check",
                 "debug", "differentiable")


def _detach(v):
    if isinstance(v, Tensor):
        d = v.detach()
        if v.requires_grad:
            d.requires_grad_()
        return d
    return v


def _detached_call_args(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    """Detached copies of args and kwargs (requires_grad kept), and their tensors in order."""
    d_args = tuple(_detach(a) for a in args)
    d_kwargs = {k: _detach(v) for k, v in kwargs.items()}
    tensors = [a for a in d_args if isinstance(a, Tensor)]
    tensors += [v for v in d_kwargs.values() if isinstance(v, Tensor)]
    return d_args, d_kwargs, tensors


def _boundary(outputs: tuple, inputs: list, start_seq: int) -> list:
    """The outside edges of the graph made since start_seq that outputs reach, each once:
    ("input", i) for inputs[i], ("leaf", tensor) for other leaves (parameters), and
    ("node", node, nr, meta) for outer non-leaf tensors the function closed over."""
    input_ids = {id(t): i for i, t in enumerate(inputs)}
    found: dict = {}
    seen = set()
    stack = []

    def visit(node, nr, meta):
        if isinstance(node, AccumulateGrad):
            var = node.variable
            if id(var) not in found:
                i = input_ids.get(id(var))
                found[id(var)] = ("input", i) if i is not None else ("leaf", var)
        elif node._seq <= start_seq:
            key = (id(node), nr)
            if key not in found:
                found[key] = ("node", node, nr, meta)
        elif node not in seen:
            seen.add(node)
            stack.append(node)

    for o in outputs:
        if isinstance(o, Tensor) and o.requires_grad:
            node = o.grad_fn if o.grad_fn is not None else o._accumulator()
            visit(node, o._output_nr, (o._shape, o._dtype, o._storage.device))
    while stack:
        node = stack.pop()
        for (nxt, nr), meta in zip(node.next_functions, node._input_meta or ()):
            if nxt is not None:
                visit(nxt, nr, meta)
    return list(found.values())


def _meta(outputs: tuple) -> list:
    return [(tuple(o.shape), o.dtype, o.device) if isinstance(o, Tensor) else None
            for o in outputs]


class _NonReentrantCheckpoint(Function):
    """One node for a whole checkpointed call; its inputs are the boundary edges."""

    node_name = "CheckpointBackward"

    @staticmethod
    def forward(ctx, frame, outputs, *edge_tensors):
        ctx.frame = frame
        ctx.mark_non_differentiable(*(o for o, d in zip(outputs, frame.differentiable)
                                      if isinstance(o, Tensor) and not d))
        return outputs

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        frame = ctx.frame
        args, kwargs, tensors = _detached_call_args(frame.args, frame.kwargs)
        with frame.state.restored(), frame.context, enable_grad():
            outputs = _as_tuple(frame.fn(*args, **kwargs))
        _check_recomputed(frame, outputs)
        capture, slots = {}, []
        for edge in frame.edges:
            if edge[0] == "node":
                key = (edge[1], edge[2])
            else:
                leaf = tensors[edge[1]] if edge[0] == "input" else edge[1]
                key = (leaf._accumulator(), 0)
            slots.append(capture.setdefault(key, len(capture)))
        roots, root_grads = [], []
        for o, g in zip(outputs, grads):
            if isinstance(o, Tensor) and o.requires_grad and g is not None:
                roots.append((o.grad_fn, o._output_nr) if o.grad_fn is not None
                             else (o._accumulator(), 0))
                root_grads.append(g)
        if not roots:
            return (None, None) + (None,) * len(frame.edges)
        got = run_backward(roots, root_grads, retain_graph=False, create_graph=False,
                           capture=capture, accumulate=False)
        return (None, None) + tuple(got[s] for s in slots)


def _check_recomputed(frame: _Frame, outputs: tuple) -> None:
    if not frame.check:
        return
    now = _meta(outputs)
    if now != frame.out_meta:
        detail = (f"\nforward outputs: {frame.out_meta}\nrecomputed outputs: {now}"
                  if frame.debug else " Pass debug=True to see the outputs of both runs.")
        raise CheckpointError(
            "ember.utils.checkpoint: Recomputed values have different metadata (shape, dtype, "
            "device) than during the forward pass, so the function is not deterministic."
            + detail)


def _stand_in(node, nr: int, meta) -> Tensor:
    """A tensor standing for output nr of an outer node (a tensor the function closed
    over), so the checkpoint node can take that edge as an input. It holds one element."""
    from ..ops.creation import zeros
    shape, dtype, device = meta
    t = zeros((), dtype=dtype, device=device).expand(shape)
    t._grad_fn, t._output_nr, t._requires_grad = node, nr, True
    return t


def _checkpoint_non_reentrant(function, preserve, context_fn, determinism_check, debug,
                              args, kwargs):
    if _debug_override is not None:
        debug = _debug_override
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, "
                         f"but got {determinism_check}")
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    frame = _Frame()
    frame.fn, frame.args, frame.kwargs = function, args, kwargs
    frame.state = _ForwardState(preserve)
    frame.context = recompute_context
    frame.check, frame.debug = determinism_check == "default", bool(debug)
    d_args, d_kwargs, tensors = _detached_call_args(args, kwargs)
    start_seq = _function._seq[0]
    with forward_context:
        result = function(*d_args, **d_kwargs)
    outputs = _as_tuple(result)
    kind = type(result) if isinstance(result, (tuple, list)) else None
    frame.out_meta = _meta(outputs)
    frame.differentiable = [isinstance(o, Tensor) and o.requires_grad for o in outputs]
    edges = _boundary(outputs, tensors, start_seq)
    # Keep the outputs' memory but not their graph: the activations are freed here.
    outputs = tuple(_fresh(o) if isinstance(o, Tensor) else o for o in outputs)
    del result, d_args, d_kwargs, tensors
    originals = [a for a in args if isinstance(a, Tensor)]
    originals += [v for v in kwargs.values() if isinstance(v, Tensor)]
    edge_tensors = [originals[e[1]] if e[0] == "input" else
                    e[1] if e[0] == "leaf" else _stand_in(*e[1:]) for e in edges]
    frame.edges = [e[:3] for e in edges]
    out = _NonReentrantCheckpoint.apply(frame, outputs, *edge_tensors)
    if kind is None:
        return out[0]
    return out if kind is tuple else kind(out)


# ---- public API ----------------------------------------------------------------------

def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               context_fn: Callable[[], tuple[ContextManager, ContextManager]] = noop_context_fn,
               determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, **kwargs):
    """Runs ``function(*args, **kwargs)`` without keeping its activations; backward
    recomputes them.

    ``use_reentrant`` should be passed explicitly (None warns and means True, as in torch
    2.13); ``use_reentrant=False`` is recommended: it supports keyword arguments,
    ``autograd.grad`` and inputs that don't require grad. ``preserve_rng_state=True``
    (a keyword) replays the forward's random numbers in the recomputation. ``context_fn``,
    ``determinism_check`` and ``debug`` apply to the non-reentrant variant only (see
    ``set_checkpoint_debug_enabled``); ``early_stop`` is accepted for torch's signature (the
    recomputation always runs whole).

    Example:
        >>> lin = ember.nn.Linear(4, 4)
        >>> x = ember.randn(2, 4, requires_grad=True)
        >>> y = checkpoint(lambda t: lin(t).relu(), x, use_reentrant=False)
        >>> y.sum().backward()          # lin(t).relu() runs again here
    """
    if use_reentrant is None:
        warnings.warn(
            "ember.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_non_reentrant(function, preserve, context_fn, determinism_check, debug,
                                     args, kwargs)


def checkpoint_sequential(functions, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs) -> Tensor:
    """Runs a sequence of modules/functions in ``segments`` chunks, checkpointing all but
    the last chunk (whose activations backward needs at once anyway).

    Example:
        >>> model = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.ReLU(),
        ...                             ember.nn.Linear(4, 4), ember.nn.ReLU())
        >>> x = ember.randn(2, 4, requires_grad=True)
        >>> checkpoint_sequential(model, 2, x, use_reentrant=False).sum().backward()
    """
    if use_reentrant is None:
        warnings.warn(
            "ember.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start: int, end: int) -> Callable:
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
