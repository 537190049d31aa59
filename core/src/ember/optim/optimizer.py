"""The Optimizer base class: parameter groups, per-parameter state, hooks and
state dicts in torch's layout (so checkpoints move between ember and torch).

A subclass passes its defaults to ``Optimizer.__init__`` and implements ``step``;
the base wraps every subclass's ``step`` so that step pre/post hooks run around
it and the update itself runs without recording autograd history.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Iterable

from .. import _dtype as D
from ..backends import cuda as _cuda
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, set_grad_enabled
from ..ops.creation import tensor
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a default that every param group must give (torch.optim.optimizer.required)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run before every optimizer's step."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run after every optimizer's step."""
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


def _hooked_step(step: Callable) -> Callable:
    """Wraps a subclass's step: pre hooks, the step without autograd, post hooks."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for pre_hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        differentiable = self.defaults.get("differentiable", False)
        with set_grad_enabled(bool(differentiable)):
            out = step(self, *args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(),
                               _global_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper._ember_hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers, as ``torch.optim.Optimizer``.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts
            defining parameter groups (``{"params": [...], "lr": ...}``).
        defaults: default values of the optimization options of every group.

    Example:
        >>> w = ember.randn(3, requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); opt.zero_grad()
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ember_hooked", False):
            cls.step = _hooked_step(step)

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + type(params).__name__)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- pickling and printing ------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # ---- parameter groups -----------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own options (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__module__ + "." + type(p).__name__)
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error", stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and steps --------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable[[], float] | None = None):
        """Performs one optimization step (implemented by subclasses)."""
        raise NotImplementedError

    @staticmethod
    def _run_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- hooks ----------------------------------------------------------------
    @staticmethod
    def _register(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` runs before step."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after step."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dicts ----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer state: ``{"state": {param_id: {...}}, "param_groups": [...]}``.

        Parameters are replaced by integer ids numbered across groups in order, as in
        torch, so the dict loads into a torch optimizer over the same parameters.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        out = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    @staticmethod
    def _cast_state_value(param: Tensor, value, key=None):
        """Copies a loaded state value onto the param's device and dtype, as torch does
        ("step" keeps its own dtype and stays on the CPU)."""
        if isinstance(value, Tensor):
            if key == "step":
                return value
            if param.is_floating_point() and value.is_floating_point():
                return value.to(dtype=param.dtype, device=param.device)
            return value.to(device=param.device)
        if isinstance(value, dict):
            return {k: Optimizer._cast_state_value(param, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state_value(param, v) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state dict made by :meth:`state_dict` (of ember or of torch, once its
        tensors are converted to ember tensors)."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state_value(param, v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


# ---- helpers shared by the optimizers ----------------------------------------

def _step_tensor(value: float = 0.0) -> Tensor:
    """A 0-dim float32 step counter, as torch 2.x keeps it (float64 under that default)."""
    dtype = D.float64 if D.get_default_dtype() is D.float64 else D.float32
    return tensor(value, dtype=dtype)


def _increment(step_t: Tensor) -> float:
    """step_t += 1; returns the new value as a Python float."""
    step_t.add_(1)
    return step_t.item()


# what torch's error for a sparse gradient adds, by optimizer
_SPARSE_ADVICE = {"Adam": ", please consider SparseAdam instead"}


def _grads(group: dict, name: str, sparse_ok: bool = False) -> list[tuple[Tensor, Tensor]]:
    """The (param, grad) pairs of a group that have a gradient; a sparse COO gradient raises
    torch's error unless the optimizer has an update for it (sparse_ok)."""
    out = []
    for p in group["params"]:
        g = p.grad
        if g is not None:
            if not sparse_ok and getattr(g, "is_sparse", False):
                raise RuntimeError(f"{name} does not support sparse gradients"
                                   f"{_SPARSE_ADVICE.get(name, '')}")
            out.append((p, g))
    return out


_FUSED_DTYPES = (D.float32, D.float64)


def _in_place_ok(param: Tensor, buffers) -> bool:
    """Whether the fused kernels can update param in place: every buffer (param, grad,
    states; None allowed) contiguous and of param's dtype, one the kernels take."""
    return param.dtype in _FUSED_DTYPES and all(
        t is None or (t.dtype is param.dtype and t.is_contiguous()) for t in buffers)


def _written(param: Tensor, states) -> None:
    """Counts an in-place update of param and its state buffers (autograd's checks)."""
    for t in (param, *states):
        if t is not None:
            t._storage.version += 1


def _multi_ok(param: Tensor, grad: Tensor, states: list) -> bool:
    """Whether a CUDA multi-tensor step may update param in place: param, grad and the
    state buffers of param's shape and ready for the kernels (_in_place_ok)."""
    return (param.device.type == "cuda" and _in_place_ok(param, (param, grad, *states))
            and all(t is None or t._shape == param._shape for t in (grad, *states)))


def _run_fused(group: dict, kernel: Callable, updates: list) -> None:
    """Runs kernel's fused update for each (param, grad, states, scalars) of updates.

    On CUDA the updates of one device, dtype and scalars share a launch per 64 tensors
    (the backend's <kernel>_multi: torch's foreach, its default there, unless the group
    says foreach=False); anything else, or what those kernels cannot take in place, is
    updated one parameter at a time by _fused."""
    batches: dict = {}
    multi = group.get("foreach") is not False
    for param, grad, states, scalars in updates:
        if multi and _multi_ok(param, grad, states):
            batches.setdefault((param.device, param.dtype, scalars), []).append(
                (param, grad, *states))
        else:
            _fused(kernel, param, grad, states, *scalars)
    for (_, _, scalars), batch in batches.items():
        getattr(_cuda, kernel.__name__ + "_multi")(*(list(c) for c in zip(*batch)), *scalars)
        for param, _, *states in batch:
            _written(param, states)


def _fused(kernel: Callable, param: Tensor, grad: Tensor, states: list, *args) -> None:
    """Runs a fused C update on param, grad and state buffers (None entries allowed).

    The kernels take contiguous float32/float64 memory; anything else (a strided
    param, a grad of another dtype, half precision) runs on contiguous working
    copies (float32 for half types) that are written back afterwards.
    """
    buffers = [param, grad, *states]
    for t in buffers[1:]:  # the kernels read param.numel() elements of each
        if t is not None and t._shape != param._shape:
            raise RuntimeError(f"{kernel.__name__}: a parameter of shape {list(param.shape)} "
                               f"got a gradient or state of shape {list(t.shape)}")
    if param.device.type == "cuda":  # the GPU backend's kernel of the same name
        kernel = getattr(_cuda, kernel.__name__)
    if _in_place_ok(param, buffers):
        kernel(param, grad, *states, *args)
        _written(param, states)
        return
    work_dtype = param.dtype if param.dtype in _FUSED_DTYPES else D.float32
    work = [None if t is None else t.detach().to(work_dtype).contiguous().clone()
            for t in buffers]
    kernel(*work, *args)
    for t, w in zip(buffers, work):
        if t is not None and t is not grad:
            t.copy_(w)

