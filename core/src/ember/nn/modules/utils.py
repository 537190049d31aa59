"""Argument helpers that layers share (and user layer code imports, as from
``torch.nn.modules.utils``): a size given as one number or as a sequence becomes a tuple
of one length per spatial dim.

Example:
    >>> from ember.nn.modules.utils import _pair
    >>> _pair(3), _pair([2, 5])
    ((3, 3), (2, 5))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple]:
    """A parser that repeats a scalar n times and turns any iterable into a tuple as it is
    (its length is not checked, as torch does not: the op that takes it checks)."""

    def parse(x: Any) -> tuple:
        if isinstance(x, Iterable):
            return tuple(x)
        return (x,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t: Iterable, n: int) -> tuple:
    """t's items last to first, each n times: a layer's per-dim padding (d1, d2) as the
    (left, right) pairs ``F.pad`` reads from the last dim back, ``(d2, d2, d1, d1)``."""
    return tuple(item for item in reversed(tuple(t)) for _ in range(n))


def _list_with_default(out_size: int | list, defaults: list[int]) -> int | list:
    """out_size with each None replaced by the matching trailing entry of defaults (an
    input's shape): how adaptive pooling reads "keep this dim's size". An int passes as is."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    trailing = defaults[len(defaults) - len(out_size):]
    return [d if v is None else v for v, d in zip(out_size, trailing)]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strips prefix from the keys of state_dict (and of its ``_metadata``) that start with
    it, in place: a checkpoint saved from a wrapped model (``"module."`` under
    DataParallel) then loads into the bare model.

    Example:
        >>> sd = {"module.fc.weight": w}
        >>> consume_prefix_in_state_dict_if_present(sd, "module.")
        >>> list(sd)
        ['fc.weight']
    """
    for key in [k for k in state_dict if k.startswith(prefix)]:
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    bare = prefix.replace(".", "")
    # the wrapper's own entry is "module" (no dot); the root entry "" stays
    for key in [k for k in metadata if k and (k == bare or k.startswith(prefix))]:
        metadata[key[len(prefix):]] = metadata.pop(key)
