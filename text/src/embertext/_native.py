"""Access to the compiled ``embertext._C`` module: status codes become exceptions.

Every C entry point returns an int status; :func:`check` maps it to the Python exception a
caller should see. Growing an output buffer on ``ET_ERR_CAPACITY`` is done by
:func:`call_with_output`, so wrappers stay one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from embertext._C import ffi, lib

__all__ = ["ffi", "lib", "check", "call_with_output", "encode_many", "NativeError"]


class NativeError(RuntimeError):
    """An error status from embertext's C code that has no more specific meaning."""


_MESSAGES = {
    lib.ET_ERR_ARG: (ValueError, "invalid argument"),
    lib.ET_ERR_NOMEM: (MemoryError, "out of memory"),
    lib.ET_ERR_CAPACITY: (NativeError, "output buffer too small"),
    lib.ET_ERR_UTF8: (ValueError, "invalid UTF-8"),
    lib.ET_ERR_RANGE: (KeyError, "token id out of range"),
    lib.ET_ERR_DUPLICATE: (ValueError, "duplicate token"),
}


def check(status: int, what: str) -> None:
    """Raises the exception for a non-zero C status; ``what`` names the failed operation."""
    if status == lib.ET_OK:
        return
    exc, message = _MESSAGES.get(status, (NativeError, f"unknown status {status}"))
    raise exc(f"{what}: {message}")


def call_with_output(fn: Callable[..., int], args: tuple[Any, ...], ctype: str, capacity: int,
                     what: str) -> tuple[Any, int]:
    """Calls ``fn(*args, out, capacity, n_out)``, growing ``out`` once if C asks for more.

    Returns the output buffer and the number of items written.
    """
    n_out = ffi.new("size_t *")
    capacity = max(capacity, 1)
    out = ffi.new(f"{ctype}[]", capacity)
    status = fn(*args, out, capacity, n_out)
    if status == lib.ET_ERR_CAPACITY:
        capacity = n_out[0]
        out = ffi.new(f"{ctype}[]", capacity)
        status = fn(*args, out, capacity, n_out)
    check(status, what)
    return out, n_out[0]


def encode_many(fn: Callable[..., int], model: Any, texts: list[bytes], what: str
                ) -> list[list[int]]:
    """Runs a ``*_encode_many`` C function over UTF-8 texts: one C call (without the GIL)
    instead of one per text, then one unpack sliced per text."""
    blob = b"".join(texts)
    ends, pos = [], 0
    for t in texts:
        pos += len(t)
        ends.append(pos)
    n_texts = len(texts)
    text_ends = ffi.new("int64_t[]", ends) if ends else ffi.NULL
    out_ends = ffi.new("int64_t[]", max(n_texts, 1))
    n_out = ffi.new("size_t *")
    capacity = max(len(blob), 1)
    for _ in range(2):
        out = ffi.new("int32_t[]", capacity)
        status = fn(model, blob, len(blob), text_ends, n_texts, out, capacity, out_ends, n_out)
        if status != lib.ET_ERR_CAPACITY:
            break
        capacity = n_out[0]
    check(status, what)
    ids = ffi.unpack(out, n_out[0])
    bounds = ffi.unpack(out_ends, n_texts)
    result, start = [], 0
    for end in bounds:
        result.append(ids[start:end])
        start = end
    return result
