"""AttributeDict and a walker over nested batches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class AttributeDict(dict):
    """A dict whose keys read and write as attributes (``hparams.lr``).

    Example:
        >>> h = AttributeDict(lr=0.1)
        >>> h.lr
        0.1
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(f"'AttributeDict' object has no attribute '{key}'") from e

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        del self[key]

    def __repr__(self) -> str:
        if not self:
            return ""
        width = max(len(str(k)) for k in self)
        return "\n".join(f'"{k}":{" " * (width - len(str(k)) + 1)}{v!r}' for k, v in self.items())


def apply_to_collection(data: Any, dtype: type | tuple, fn: Callable) -> Any:
    """Applies fn to every element of type dtype inside nested lists, tuples and mappings."""
    if isinstance(data, dtype):
        return fn(data)
    if isinstance(data, Mapping):
        return type(data)({k: apply_to_collection(v, dtype, fn) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(apply_to_collection(v, dtype, fn) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(apply_to_collection(v, dtype, fn) for v in data)
    return data
