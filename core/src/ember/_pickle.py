"""The pickle layer of checkpoints: a writer that names torch's globals, and the readers.

Writing: ``CheckpointPickler`` is the standard library's pure-Python pickler with two hooks.
Its ``reducer_override`` turns ember objects into the reduce tuples torch writes, whose
callables are ``TorchGlobal`` names (written as ``GLOBAL torch._utils _rebuild_tensor_v2``
and so on without importing torch); its ``persistent_id`` turns storages into torch's
``('storage', torch.FloatStorage, key, location, numel)`` ids. The C pickler can't be used:
it imports a global's module to check the name, and torch may not be installed.

Reading with ``weights_only=True``: ``WeightsOnlyUnpickler`` (the pure-Python unpickler, so
that every opcode that calls, builds or instantiates goes through a check here) resolves a
GLOBAL only through an allow-list of ``"module.name"`` strings, calls only allow-listed
callables, creates only allow-listed classes and sets state only on allow-listed types. Any
other global raises ``pickle.UnpicklingError`` naming it and how to allow it.
``TrustingUnpickler`` (``weights_only=False``) is the C unpickler: it runs whatever the file
says, so it must only see files from a trusted source.
"""

from __future__ import annotations

import _compat_pickle
import collections
import contextlib
import importlib
import pickle

_USER_SAFE: dict = {}  # "module.name" -> object, from add_safe_globals


class TorchGlobal:
    """A global written into the pickle by name, e.g. ``torch._utils._rebuild_tensor_v2``."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"

    def __call__(self, *args, **kwargs):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self!r} is only a name written into checkpoints")


class CheckpointPickler(pickle._Pickler):
    """Pickles with protocol 2; ``reduce`` and ``persistent`` are the two per-object hooks."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int, reduce, persistent):
        super().__init__(file, protocol=protocol)
        self.reducer_override = reduce
        self.persistent_id = persistent

    def save_torch_global(self, obj: TorchGlobal) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[TorchGlobal] = save_torch_global


# ---- the allow-list --------------------------------------------------------------

def _qualified_name(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """Marks classes/functions as safe for ``ember.load(weights_only=True)``.

    Each item is the object, or ``(object, "module.name")`` when the checkpoint names it
    differently from ``obj.__module__ + "." + obj.__qualname__``. Allowed classes may be
    instantiated and have their state set from the file; allowed functions may be called
    with arguments from the file, so only add what is safe for any arguments.

    Example:
        >>> class Config: pass
        >>> ember.serialization.add_safe_globals([Config])
    """
    for item in safe_globals:
        if isinstance(item, tuple):
            obj, name = item
        else:
            obj, name = item, _qualified_name(item)
        _USER_SAFE[name] = obj


def get_safe_globals() -> list:
    """The objects added with ``add_safe_globals`` (and their names where given)."""
    return [obj if name == _qualified_name(obj) else (obj, name)
            for name, obj in _USER_SAFE.items()]


def clear_safe_globals() -> None:
    """Forgets everything added with ``add_safe_globals``."""
    _USER_SAFE.clear()


@contextlib.contextmanager
def safe_globals(globals_list: list):
    """``add_safe_globals`` for the duration of a ``with`` block.

    Example:
        >>> with ember.serialization.safe_globals([Config]):
        ...     cfg = ember.load("run.pt")
    """
    before = dict(_USER_SAFE)
    add_safe_globals(globals_list)
    try:
        yield
    finally:
        _USER_SAFE.clear()
        _USER_SAFE.update(before)


def _unsupported_global(full: str) -> pickle.UnpicklingError:
    shown = full[len("builtins."):] if full.startswith("builtins.") else full
    return pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`ember.serialization.add_safe_globals([{shown}])` or the "
        f"`ember.serialization.safe_globals([{shown}])` context manager to allowlist this "
        "global if you trust this class/function.")


class WeightsOnlyUnpickler(pickle._Unpickler):
    """Unpickles only allow-listed globals; ``allowed`` maps "module.name" to an object."""

    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, file, allowed: dict, persistent_load, *, no_state: tuple = (),
                 **kwargs):
        super().__init__(file, **kwargs)
        self._allowed = dict(allowed)
        self._allowed.update(_USER_SAFE)
        self._user_types = {id(o) for o in _USER_SAFE.values() if isinstance(o, type)}
        self._callables = {id(o) for o in self._allowed.values()}
        self._no_state = no_state  # types never created by NEWOBJ nor changed by BUILD
        self._persistent = persistent_load

    def persistent_load(self, pid):
        return self._persistent(pid)

    def find_class(self, module: str, name: str):
        if self.proto < 3:  # protocol 2 writes Python 2 names (__builtin__.set)
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        full = f"{module}.{name}"
        try:
            return self._allowed[full]
        except KeyError:
            raise _unsupported_global(full) from None

    def _check_callable(self, func) -> None:
        if id(func) not in self._callables:
            raise pickle.UnpicklingError(
                f"Trying to call reduce for unrecognized function {func!r}: only allow-listed "
                "globals may be called with weights_only=True")

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        self._check_callable(func)
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError(f"REDUCE arguments must be a tuple, got {type(args)}")
        self.stack[-1] = func(*args)

    dispatch[pickle.REDUCE[0]] = load_reduce

    def _new(self, cls, args):
        self._check_callable(cls)
        if not isinstance(cls, type) or issubclass(cls, self._no_state):
            raise pickle.UnpicklingError(f"Can only create new objects of allow-listed classes, "
                                         f"got {cls!r}")
        return cls.__new__(cls, *args)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args))

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        if kwargs:
            raise pickle.UnpicklingError("NEWOBJ_EX with keyword arguments is not allowed")
        self.append(self._new(cls, args))

    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is collections.OrderedDict or (id(type(inst)) in self._user_types
                                                     and not isinstance(inst, self._no_state)):
            self._build(inst, state)
            return
        raise pickle.UnpicklingError(
            "Can only build OrderedDict or types allowlisted via "
            f"`ember.serialization.add_safe_globals`, but got {type(inst)}")

    def _build(self, inst, state) -> None:
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None and id(type(inst)) in self._user_types:
            setstate(state)
            return
        slotstate = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slotstate = state
        for key, value in (state or {}).items():
            if not isinstance(key, str):
                raise pickle.UnpicklingError(f"attribute names must be strings, got {key!r}")
            inst.__dict__[key] = value
        for key, value in (slotstate or {}).items():
            setattr(inst, key, value)

    dispatch[pickle.BUILD[0]] = load_build

    def _refuse(self):
        raise pickle.UnpicklingError("the INST/OBJ opcodes (pickle protocol 0/1 objects) are not "
                                     "allowed with weights_only=True")

    dispatch[pickle.INST[0]] = _refuse
    dispatch[pickle.OBJ[0]] = _refuse


class TrustingUnpickler(pickle.Unpickler):
    """Unpickles anything (``weights_only=False``); torch's names map to ember's objects."""

    def __init__(self, file, torch_names: dict, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._torch_names = torch_names
        self._persistent = persistent_load

    def persistent_load(self, pid):
        return self._persistent(pid)

    def find_class(self, module: str, name: str):
        full = f"{module}.{name}"
        if full in self._torch_names:
            return self._torch_names[full]
        if module == "torch" or module.startswith("torch."):
            # A torch class saved whole (say torch.nn.modules.linear.Linear): use ember's class
            # of the same path when there is one.
            try:
                return getattr(importlib.import_module("ember" + module[5:]), name)
            except (ImportError, AttributeError):
                raise pickle.UnpicklingError(
                    f"the checkpoint refers to {full}, which has no ember equivalent") from None
        return super().find_class(module, name)


# ---- static inspection ------------------------------------------------------------------

_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
               "BINSTRING", "SHORT_BINSTRING"}


def globals_in_pickle(data: bytes) -> set:
    """The ``module.name`` of every global a pickle refers to, found by reading its
    opcodes without running any of them (names as Python 3 spells them, as the weights-only
    unpickler looks them up). A protocol-4 STACK_GLOBAL counts when its two names are
    string constants (written inline or fetched from the memo), which is how pickle
    writes them."""
    import pickletools
    found = set()
    recent: list = []  # the values of the last pushes that were strings (None otherwise)
    memo: dict = {}
    for op, arg, _ in pickletools.genops(data):
        name = op.name
        if name == "GLOBAL":
            module, _, attr = arg.partition(" ")
            found.add(_python3_name(module, attr))
        elif name == "STACK_GLOBAL":
            if len(recent) >= 2 and isinstance(recent[-2], str) and isinstance(recent[-1], str):
                found.add(_python3_name(recent[-2], recent[-1]))
        if name in _STRING_OPS:
            recent.append(arg if isinstance(arg, str) else arg.decode("latin-1"))
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = recent[-1] if recent else None
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            recent.append(memo.get(arg))
        else:
            recent.append(None)
        del recent[:-2]
    return found


def _python3_name(module: str, name: str) -> str:
    module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
    return f"{_compat_pickle.IMPORT_MAPPING.get(module, module)}.{name}"
