"""Calling a module with some of its parameters and buffers swapped for given tensors,
for one call (torch.nn.utils.stateless; ember.func.functional_call is the current name).

Example:
    >>> lin = ember.nn.Linear(2, 1)
    >>> out = functional_call(lin, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)},
    ...                       (ember.tensor([[1.0, 2.0]]),))
    >>> out
    tensor([[3.]])
"""

from __future__ import annotations

import warnings


def _slots(module) -> dict:
    """Every name of a parameter or buffer, ties included, -> (owning module, store, key)."""
    found = {}
    for prefix, sub in module.named_modules(remove_duplicate=False):
        for store in ("_parameters", "_buffers"):
            for key, value in getattr(sub, store).items():
                if value is not None:
                    found[f"{prefix}.{key}" if prefix else key] = (sub, store, key)
    return found


def _call_with(module, tensors: dict, args, kwargs, *, tie_weights: bool, strict: bool):
    slots = _slots(module)
    unexpected = sorted(set(tensors) - set(slots))
    missing = sorted(set(slots) - set(tensors))
    if strict and (unexpected or missing):
        problems = []
        if unexpected:
            problems.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            problems.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(problems))
    replace = {name: value for name, value in tensors.items() if name in slots}
    if tie_weights:  # a tensor shared by several names is replaced under all of them
        for name, (sub, store, key) in slots.items():
            if name in replace:
                continue
            current = getattr(sub, store)[key]
            for other, value in tensors.items():
                o_sub, o_store, o_key = slots.get(other, (None, None, None))
                if o_sub is not None and getattr(o_sub, o_store)[o_key] is current:
                    replace[name] = value
                    break
    saved = []
    try:
        for name, value in replace.items():
            sub, store, key = slots[name]
            saved.append((getattr(sub, store), key, getattr(sub, store)[key]))
            getattr(sub, store)[key] = value
        args = () if args is None else args if isinstance(args, tuple) else (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for table, key, original in reversed(saved):
            table[key] = original


def functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with the named parameters and buffers replaced for the call;
    deprecated in torch in favour of ``ember.func.functional_call``."""
    warnings.warn("This API is deprecated as of PyTorch 2.0 and will be removed in a future "
                  "version of PyTorch. Please use torch.func.functional_call instead which "
                  "is a drop-in replacement.", FutureWarning, stacklevel=2)
    return _call_with(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights,
                      strict=strict)
