"""Autograd graph nodes and ``ember.autograd.Function``.

Every differentiable op, built in or user-defined, is a Function subclass: a static
``forward(ctx, *args)`` and a static ``backward(ctx, *grads)``. The ctx of a call is
the graph node itself (an instance of the generated ``<Name>Backward0`` class), so
what forward saves is what backward reads, with nothing in between.
"""

from __future__ import annotations

import threading
import traceback
import weakref
from typing import Any

from .anomaly import ANOMALY
from .grad_mode import STATE

# The Tensor class, registered by _tensor.py once it exists (importing it here would
# be circular, and importing inside hot functions costs a microsecond per call).
Tensor = None

# Every Function subclass, by name: the op registry the tests walk.
REGISTRY: dict[str, type] = {}
_seq = [0]


class _Freed:
    """Marks saved tensors released by a backward without retain_graph."""


FREED = _Freed()


class _SavedHooksState(threading.local):
    """Per thread: the saved-tensor hook pairs in force (innermost last), the message of
    an active disable_saved_tensors_hooks, and the storage an in-place op is about to
    overwrite (tensors of it are cloned before packing, as torch saves original_self)."""

    def __init__(self):
        self.stack: list = []
        self.disabled: str | None = None
        self.inplace_storage = None


SAVED_HOOKS = _SavedHooksState()


class _Packed:
    """A saved tensor handed to a pack hook: what the hook returned, the unpack hook to
    call on it, and the graph place to give back to what unpack returns."""

    __slots__ = ("value", "unpack", "grad_fn", "output_nr", "acc", "is_output")

    def get(self, node):
        t = self.unpack(self.value)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        a = Tensor._alias(t, keep_graph=False)
        a._base = t._base
        if self.is_output:
            a._grad_fn, a._output_nr, a._requires_grad = node, self.is_output - 1, True
        elif self.grad_fn is not None:
            a._grad_fn, a._output_nr, a._requires_grad = self.grad_fn, self.output_nr, True
        elif self.acc is not None:
            a._requires_grad = True
            a._grad_acc = weakref.ref(self.acc)
        return a


def _pack(ctx, t, hooks) -> _Packed:
    """Runs the pack hook on t, one of the tensors ctx saves (grad mode off, as torch)."""
    pack, unpack = hooks
    entry = _Packed()
    entry.unpack = unpack
    entry.is_output = t._output_nr + 1 if t._grad_fn is ctx else 0
    entry.grad_fn = entry.acc = None
    entry.output_nr = t._output_nr
    if not entry.is_output:
        if t._grad_fn is not None:
            entry.grad_fn = t._grad_fn
        elif t._requires_grad:
            entry.acc = t._accumulator()
        if t._storage is SAVED_HOOKS.inplace_storage:
            # the op writing into this memory runs next: hand the hook its present values
            src = t
            t = Tensor._alias(src.detach().clone(), keep_graph=False)
            t._requires_grad, t._grad_fn = src._requires_grad, src._grad_fn
            t._output_nr = src._output_nr
    version = t._storage.version
    prev = STATE.enabled
    STATE.enabled = False
    try:
        entry.value = pack(t)
    finally:
        STATE.enabled = prev
    if t._storage.version != version:
        raise RuntimeError("A saved tensor pack hook is modifying its input in place. Tensors "
                           "provided as input to pack hook cannot be modified by in-place "
                           "operations as this can lead to unexpected side-effects. Please "
                           "open an issue if you need to perform in-place operations on the "
                           "input to a pack hook.")
    return entry


class Node:
    """A node of the backward graph (torch's ``grad_fn``).

    ``next_functions`` holds, per forward input, the node that produced it and
    which of that node's outputs it was, or ``(None, 0)``.
    """

    __slots__ = ("next_functions", "needs_input_grad", "_saved", "_to_save", "_input_meta",
                 "_output_meta", "_seq", "__dict__", "__weakref__")

    _fn: Any = None  # the Function class whose backward this node runs
    # Rarely set state defaults to these class attributes (a node is made per op).
    _non_differentiable = None
    _dirty = None
    materialize_grads = True
    _pre_hooks = None
    _hooks = None
    _tensor_pre_hooks = None
    _retain_hooks = None
    _trace = None

    def __init__(self):
        self.next_functions = ()
        self._saved = None
        self._to_save = None
        self._seq = _seq[0] = _seq[0] + 1

    @property
    def metadata(self) -> dict:
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self.__dict__["_metadata"] = {}
        return meta

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    # ---- what forward calls -----------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is FREED:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        if saved is None:
            return ()
        out = []
        for i, entry in enumerate(saved):
            if entry is None:
                out.append(None)
                continue
            if entry.__class__ is _Packed:
                # hooks own the data: versions cannot be followed through them (as torch)
                out.append(entry.get(self))
                continue
            t, version, is_output = entry
            if t._storage.version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}], saved by "
                    f"{self.name()} (saved tensor {i}), is at version {t._storage.version}; "
                    f"expected version {version} instead. Hint: the operation that modified it "
                    "ran after the forward pass; use .clone() before modifying it in place, or "
                    "enable ember.autograd.set_detect_anomaly(True) to find it.")
            if is_output:
                # Saved outputs are stored without their grad_fn to avoid a cycle;
                # unpacking gives them back their place in the graph.
                alias = Tensor._alias(t)
                alias._grad_fn, alias._output_nr, alias._requires_grad = self, is_output - 1, True
                t = alias
            out.append(t)
        return tuple(out)

    @property
    def saved_variables(self):
        return self.saved_tensors

    # ---- hooks ------------------------------------------------------------------
    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) -> new grad_inputs or None, after this node runs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) -> new grad_outputs or None, before this node runs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _RemovableHandle(self._pre_hooks, fn)

    def _release(self) -> None:
        if self._saved is not None:
            self._saved = FREED

    def apply(self, *grads):
        return self._fn.backward(self, *grads)


class _RemovableHandle:
    __slots__ = ("_list", "_fn")

    def __init__(self, lst, fn):
        self._list, self._fn = lst, fn

    def remove(self) -> None:
        if self._fn in self._list:
            self._list.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node that adds a leaf's gradient into its ``.grad``."""

    __slots__ = ("variable", "_post_hooks")

    def __init__(self, variable):
        super().__init__()
        self.variable = variable
        self._post_hooks = None
        self._output_meta = None
        self._input_meta = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def accumulate(self, grad, create_graph: bool) -> None:
        var = self.variable
        if var._grad is None:
            var._grad = grad if create_graph else grad.detach()
            if not create_graph and not grad.is_sparse and (var._grad._is_view_of_other(var) or (
                    not var._grad.is_contiguous() and var.is_contiguous())):
                # as torch's layout contract: .grad is laid out like its (dense) parameter,
                # which optimizers' fused kernels read in place (a transposed view of a
                # gradient made every step copy it three times)
                var._grad = var._grad.clone()
        elif var._grad.is_sparse:
            # a sparse .grad takes the sum's layout: sparse with a sparse grad, else dense
            var._grad = grad + var._grad
        elif create_graph or STATE.enabled or grad.is_sparse:
            var._grad = var._grad + grad
        else:
            var._grad.add_(grad)
        if self._post_hooks:
            for hook in list(self._post_hooks):
                hook(var)


class _NullCtx:
    """The ctx built-in forwards get when nothing is recorded: saving is a no-op and
    attributes they set are simply overwritten by the next call."""

    def __init__(self, fn):
        self._fn = fn

    def save_for_backward(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *tensors) -> None:
        pass

    def mark_dirty(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value) -> None:
        pass


class FunctionMeta(type):
    """Gives each Function subclass its backward-node class, named like torch's."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node_name = attrs.get("node_name") or f"{name}Backward0"
        cls._backward_cls = type(node_name, (Node,), {"__slots__": (), "_fn": cls})
        cls._null_ctx = _NullCtx(cls)
        if bases and bases != (object,):
            REGISTRY.setdefault(name, cls)


class Function(metaclass=FunctionMeta):
    """Base of differentiable operations; subclass it for custom ops.

    Example:
        >>> class Exp(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (y,) = ctx.saved_tensors
        ...         return grad * y
        >>> Exp.apply(ember.ones(2, requires_grad=True)).sum().backward()
    """

    # Built-in ops compute with the C/CuPy backends directly and never record a
    # graph inside forward, so they skip the no_grad switch around it.
    _builtin = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("jvp is not implemented; ember computes jvp by double backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        record = False
        if STATE.enabled:
            for a in args:
                if a.__class__ is not bool and isinstance(a, Tensor) and a._requires_grad:
                    record = True
                    break
        if cls._builtin:
            if not record:
                return cls.forward(cls._null_ctx, *args, **kwargs)
            ctx = cls._backward_cls()
            out = cls.forward(ctx, *args, **kwargs)
        else:
            ctx = cls._backward_cls()
            uses_setup = cls.setup_context is not Function.setup_context
            prev = STATE.enabled
            STATE.enabled = False
            try:
                if uses_setup:
                    out = cls.forward(*args, **kwargs)
                    cls.setup_context(ctx, args, out)
                else:
                    out = cls.forward(ctx, *args, **kwargs)
            finally:
                STATE.enabled = prev
        if not record:
            ctx._to_save = None
            return out
        return _connect(ctx, args, out)


def _connect(ctx: Node, args: tuple, out):
    """Links a node into the graph: inputs become next_functions, outputs get grad_fn."""
    nexts, needs, meta = [], [], []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            fn = a._grad_fn
            nexts.append((fn, a._output_nr) if fn is not None else (a._accumulator(), 0))
            needs.append(True)
            meta.append((a._shape, a._dtype, a._storage.device))
        else:
            nexts.append((None, 0))
            needs.append(False)
            meta.append(None)
    ctx.next_functions = tuple(nexts)
    ctx.needs_input_grad = tuple(needs)
    ctx._input_meta = tuple(meta)
    single = not isinstance(out, tuple)
    if (single and ctx._non_differentiable is None and ctx._dirty is None and
            isinstance(out, Tensor) and out._dtype.is_floating_point):
        # the common case, one float output: the loop below without its bookkeeping
        if out._grad_fn is not None or any(out is a for a in args):
            out = Tensor._alias(out)
        out._grad_fn, out._output_nr, out._requires_grad = ctx, 0, True
        ctx._output_meta = ((out._shape, out._dtype, out._storage.device),)
        _save(ctx)
        return out
    outs = (out,) if single else out
    skip = {id(t) for t in ctx._non_differentiable or ()}
    dirty = {id(t) for t in ctx._dirty or ()}
    ometa = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            ometa.append(None)
            continue
        ometa.append((o._shape, o._dtype, o._storage.device))
        if id(o) in skip or not (o._dtype.is_floating_point or o._dtype.is_complex):
            continue
        if id(o) in dirty:
            o._check_inplace_allowed()
        elif o._grad_fn is not None or any(o is a for a in args):
            # An input returned as is: give autograd a distinct view of it.
            o = Tensor._alias(o)
            outs = outs[:i] + (o,) + outs[i + 1:]
        o._grad_fn, o._output_nr, o._requires_grad = ctx, i, True
    ctx._output_meta = tuple(ometa)
    _save(ctx)
    return outs[0] if single else outs


def _save(ctx: Node) -> None:
    """Turns the tensors given to save_for_backward into (tensor, version, output index)."""
    to_save = ctx._to_save
    if to_save is not None and SAVED_HOOKS.stack:
        hooks = SAVED_HOOKS.stack[-1]
        ctx._saved = tuple(None if t is None else _pack(ctx, t, hooks) for t in to_save)
        ctx._to_save = None
    elif to_save is not None:
        saved = []
        for t in to_save:
            if t is None:
                saved.append(None)
            elif t._grad_fn is ctx:  # one of this node's outputs
                alias = Tensor._alias(t, keep_graph=False)
                # t's own base, not t: the node would otherwise keep its output alive in a
                # reference cycle, freed only by the garbage collector
                alias._base = t._base
                saved.append((alias, t._storage.version, t._output_nr + 1))
            else:
                saved.append((t, t._storage.version, 0))
        ctx._saved = tuple(saved)
        ctx._to_save = None
    if ANOMALY.enabled:
        ctx._trace = "".join(traceback.format_stack()[:-4])


class once_differentiable:
    """Decorator for a backward that cannot itself be differentiated: it runs under
    no_grad and marks its results so a double backward raises a clear error."""

    def __new__(cls, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(ctx, *args):
            from .grad_mode import no_grad
            with no_grad():
                outputs = fn(ctx, *args)
            if not STATE.enabled:
                return outputs
            # create_graph was asked for: results carry a node that refuses to differentiate
            err = RuntimeError("trying to differentiate twice a function that was marked with "
                               "@once_differentiable")
            outs = outputs if isinstance(outputs, tuple) else (outputs,)
            wrapped = tuple(_DelayedError.apply(o.detach().requires_grad_(), err)
                            if o is not None and o.dtype.is_floating_point else o for o in outs)
            return wrapped if isinstance(outputs, tuple) else wrapped[0]

        return wrapper


class _DelayedError(Function):
    node_name = "DelayedError"

    @staticmethod
    def forward(ctx, x, err):
        ctx.err = err
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        raise ctx.err

FunctionCtx = Node
