"""FileStore: a store that processes on one machine (or a shared file system) share
through a file.

The file holds the whole state in a small binary format (no pickle, so a foreign file
cannot run code). Every update locks the file exclusively (``flock``), reads it, changes
it and writes it back; reads take a shared lock, and waits poll. The file also counts the
stores that opened it; when the last of world_size of them is released it is removed.
"""

from __future__ import annotations

import fcntl
import os
import struct
import time
import weakref
from typing import Callable, TypeVar

from ._store import Store, _State

T = TypeVar("T")

_MAGIC = b"EMBERFS1"
_U32 = struct.Struct("<I")
_POLL_S = 0.005


class _FileState(_State):
    """A store's values plus how many stores use the file now and ever did."""

    def __init__(self) -> None:
        super().__init__()
        self.users = 0
        self.joined = 0


def _decode(data: bytes, path: str) -> _FileState:
    state = _FileState()
    if not data:
        return state
    if not data.startswith(_MAGIC):
        raise ValueError(f"{path} is not a FileStore file")
    at = len(_MAGIC)

    def u32() -> int:
        nonlocal at
        (n,) = _U32.unpack_from(data, at)
        at += 4
        return n

    def chunk() -> bytes:
        nonlocal at
        n = u32()
        at += n
        return data[at - n:at]

    state.users, state.joined, count = u32(), u32(), u32()
    for _ in range(count):
        key = chunk().decode()
        state.values[key] = chunk()
    return state


def _encode(state: _FileState) -> bytes:
    parts = [_MAGIC, _U32.pack(state.users), _U32.pack(state.joined),
             _U32.pack(len(state.values))]
    for key, value in state.values.items():
        k = key.encode()
        parts += [_U32.pack(len(k)), k, _U32.pack(len(value)), value]
    return b"".join(parts)


def _locked_update(path: str, change: Callable[[_FileState], T]) -> T:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "r+b") as f:
            state = _decode(f.read(), path)
            result = change(state)
            f.seek(0)
            f.write(_encode(state))
            f.truncate()
        return result
    finally:
        os.close(fd)  # closing releases the lock


def _release(path: str, world_size: int) -> None:
    """One store stops using the file; the last of world_size removes it."""
    def leave(state: _FileState) -> bool:
        state.users -= 1
        return world_size > 0 and state.users <= 0 and state.joined >= world_size

    try:
        if _locked_update(path, leave):
            os.remove(path)
    except OSError:  # already removed, or at interpreter exit
        pass


class FileStore(Store):
    """A store shared through file_name by the world_size processes that open it (-1: any
    number, and the file is kept).

    Example:
        >>> store = dist.FileStore("/tmp/job_store", 2)   # the same path on both ranks
        >>> store.set("ready", "1")                       # the other rank: store.get("ready")
    """

    def __init__(self, file_name: str, world_size: int = -1) -> None:
        super().__init__()
        self.path = file_name
        self._world_size = world_size

        def join(state: _FileState) -> None:
            state.users += 1
            state.joined += 1

        _locked_update(file_name, join)
        weakref.finalize(self, _release, file_name, world_size)

    def _update(self, change: Callable[[_State], T]) -> T:
        return _locked_update(self.path, change)

    def _read(self, view: Callable[[_State], T]) -> T:
        with open(self.path, "rb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_SH)
            return view(_decode(f.read(), self.path))

    def _wait_for(self, ready: Callable[[_State], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self._read(ready):
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True
