"""Key-value stores (``torch.distributed.Store``): HashStore lives in this process,
PrefixStore namespaces another store; FileStore (``_file_store.py``) shares one between
processes through a file.

A store holds bytes under string keys. ``get`` and ``wait`` block until the keys exist or
the store's timeout passes (then DistStoreError). Concrete stores implement three atomic
primitives over a ``_State``; every public operation is written once here on top of them.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Callable, TypeVar

from ._exceptions import DistStoreError, QueueEmptyError
from .constants import default_store_timeout

T = TypeVar("T")

# the integer a stored value starts with, read as C's strtoll does (so "12abc" is 12),
# which is how torch's stores read the values add() works on
_LEADING_INT = re.compile(rb"\s*([+-]?\d+)")


class _State:
    """A store's contents: values by key, and the FIFO queues of the queue_* calls."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.queues: dict[str, list[bytes]] = {}


def _key(key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"store keys are str, got {type(key).__name__}")
    return key


def _value(value) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"store values are str or bytes, got {type(value).__name__}")


class Store:
    """Base class of the stores. Subclasses provide ``_update`` (an atomic read-modify-write
    of the state), ``_read`` and ``_wait_for``; the base class has no storage itself.

    Example:
        >>> store = dist.HashStore()
        >>> store.set("epoch", "3")
        >>> store.get("epoch")
        b'3'
    """

    _has_queues = False

    def __init__(self, timeout: timedelta = default_store_timeout) -> None:
        self._timeout = timeout

    # ---- what a concrete store provides --------------------------------------------------
    def _update(self, change: Callable[[_State], T]) -> T:
        raise NotImplementedError(f"{type(self).__name__} is not a concrete store")

    def _read(self, view: Callable[[_State], T]) -> T:
        raise NotImplementedError(f"{type(self).__name__} is not a concrete store")

    def _wait_for(self, ready: Callable[[_State], bool], seconds: float) -> bool:
        """Blocks until ready(state) holds (True) or seconds pass (False)."""
        raise NotImplementedError(f"{type(self).__name__} is not a concrete store")

    # ---- timeout -------------------------------------------------------------------------
    @property
    def timeout(self) -> timedelta:
        """How long get/wait block before raising DistStoreError."""
        return self._timeout

    def set_timeout(self, timeout: timedelta) -> None:
        self._timeout = timeout

    # ---- values --------------------------------------------------------------------------
    def set(self, key: str, value: str | bytes) -> None:
        key, value = _key(key), _value(value)
        self._update(lambda s: s.values.__setitem__(key, value))

    def get(self, key: str) -> bytes:
        """key's value, waiting for it up to the timeout."""
        key = _key(key)
        self.wait([key])
        return self._read(lambda s: s.values[key])

    def add(self, key: str, amount: int) -> int:
        """Adds amount to the integer stored at key (0 when absent); returns the new value."""
        key = _key(key)

        def change(s: _State) -> int:
            old = s.values.get(key) or b"0"
            number = _LEADING_INT.match(old)
            if number is None:
                raise ValueError(f"add: the value at key {key!r} is {old!r}, which does not "
                                 "start with an integer")
            total = int(number.group(1)) + int(amount)
            s.values[key] = str(total).encode()
            return total

        return self._update(change)

    def append(self, key: str, value: str | bytes) -> None:
        key, value = _key(key), _value(value)
        self._update(lambda s: s.values.__setitem__(key, s.values.get(key, b"") + value))

    def compare_set(self, key: str, expected_value: str | bytes,
                    desired_value: str | bytes) -> bytes:
        """Sets key to desired_value if it holds expected_value (or is absent and
        expected_value is empty); returns the value the key holds afterwards (expected_value
        when the key is absent and stays so)."""
        key, expected, desired = _key(key), _value(expected_value), _value(desired_value)

        def change(s: _State) -> bytes:
            current = s.values.get(key)
            if current is None:
                if expected:
                    return expected
            elif current != expected:
                return current
            s.values[key] = desired
            return desired

        return self._update(change)

    def delete_key(self, key: str) -> bool:
        """Removes key; whether it was there."""
        key = _key(key)
        return self._update(lambda s: s.values.pop(key, None) is not None)

    def check(self, keys: list[str]) -> bool:
        """Whether every key is set (does not wait)."""
        keys = [_key(k) for k in keys]
        return self._read(lambda s: all(k in s.values for k in keys))

    def num_keys(self) -> int:
        return self._read(lambda s: len(s.values))

    def list_keys(self) -> list[str]:
        return self._read(lambda s: list(s.values))

    def multi_get(self, keys: list[str]) -> list[bytes]:
        keys = [_key(k) for k in keys]
        self.wait(keys)
        return self._read(lambda s: [s.values[k] for k in keys])

    def multi_set(self, keys: list[str], values: list[str | bytes]) -> None:
        if len(keys) != len(values):
            raise ValueError(f"multi_set: {len(keys)} keys but {len(values)} values")
        pairs = [(_key(k), _value(v)) for k, v in zip(keys, values)]
        self._update(lambda s: s.values.update(pairs))

    def wait(self, keys: list[str], timeout: timedelta | None = None) -> None:
        """Blocks until every key is set; DistStoreError after timeout (the store's own
        when None)."""
        keys = [_key(k) for k in keys]
        seconds = (self._timeout if timeout is None else timeout).total_seconds()
        if not self._wait_for(lambda s: all(k in s.values for k in keys), seconds):
            missing = self._read(lambda s: [k for k in keys if k not in s.values])
            raise DistStoreError(f"Wait timeout: key(s) {missing} not set within "
                                 f"{seconds * 1000:.0f} ms")

    # ---- queues --------------------------------------------------------------------------
    def _queues(self) -> None:
        if not self._has_queues:
            raise NotImplementedError("queue support is not implemented.")

    def queue_push(self, key: str, value: str | bytes) -> None:
        self._queues()
        key, value = _key(key), _value(value)
        self._update(lambda s: s.queues.setdefault(key, []).append(value))

    def queue_pop(self, key: str, block: bool = True) -> bytes:
        """The oldest item of key's queue; waits for one when block (QueueEmptyError when
        not blocking and the queue is empty)."""
        self._queues()
        key = _key(key)
        if block:
            seconds = self._timeout.total_seconds()
            if not self._wait_for(lambda s: bool(s.queues.get(key)), seconds):
                raise DistStoreError(f"Wait timeout: queue {key!r} stayed empty for "
                                     f"{seconds * 1000:.0f} ms")

        def change(s: _State) -> bytes:
            items = s.queues.get(key)
            if not items:
                raise QueueEmptyError("queue is empty")
            return items.pop(0)

        return self._update(change)

    def queue_len(self, key: str) -> int:
        self._queues()
        key = _key(key)
        return self._read(lambda s: len(s.queues.get(key, ())))

    def has_extended_api(self) -> bool:
        """Whether multi_get, multi_set, append and compare_set work (they always do here)."""
        return True


class HashStore(Store):
    """A store in this process's memory, shared by its threads.

    Example:
        >>> store = dist.HashStore()
        >>> store.add("count", 2)
        2
    """

    _has_queues = True

    def __init__(self) -> None:
        super().__init__()
        self._state = _State()
        self._changed = threading.Condition()

    def _update(self, change: Callable[[_State], T]) -> T:
        with self._changed:
            try:
                return change(self._state)
            finally:
                self._changed.notify_all()

    def _read(self, view: Callable[[_State], T]) -> T:
        with self._changed:
            return view(self._state)

    def _wait_for(self, ready: Callable[[_State], bool], seconds: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: ready(self._state), timeout=seconds)


class PrefixStore(Store):
    """A view of store in which every key is ``prefix + "/" + key``.

    Example:
        >>> base = dist.HashStore()
        >>> dist.PrefixStore("trainer", base).set("step", "1")
        >>> base.get("trainer/step")
        b'1'
    """

    def __init__(self, prefix: str, store: Store) -> None:
        super().__init__()
        self._prefix = prefix + "/"
        self._store = store

    @property
    def underlying_store(self) -> Store:
        return self._store

    @property
    def timeout(self) -> timedelta:
        return self._store.timeout

    def set_timeout(self, timeout: timedelta) -> None:
        self._store.set_timeout(timeout)

    def _k(self, key) -> str:
        return self._prefix + _key(key)

    def set(self, key: str, value: str | bytes) -> None:
        self._store.set(self._k(key), value)

    def get(self, key: str) -> bytes:
        return self._store.get(self._k(key))

    def add(self, key: str, amount: int) -> int:
        return self._store.add(self._k(key), amount)

    def append(self, key: str, value: str | bytes) -> None:
        self._store.append(self._k(key), value)

    def compare_set(self, key: str, expected_value: str | bytes,
                    desired_value: str | bytes) -> bytes:
        return self._store.compare_set(self._k(key), expected_value, desired_value)

    def delete_key(self, key: str) -> bool:
        return self._store.delete_key(self._k(key))

    def check(self, keys: list[str]) -> bool:
        return self._store.check([self._k(k) for k in keys])

    def num_keys(self) -> int:
        """The underlying store's key count (all prefixes), as torch's."""
        return self._store.num_keys()

    def list_keys(self) -> list[str]:
        """The keys under this prefix, without it."""
        n = len(self._prefix)
        return [k[n:] for k in self._store.list_keys() if k.startswith(self._prefix)]

    def multi_get(self, keys: list[str]) -> list[bytes]:
        return self._store.multi_get([self._k(k) for k in keys])

    def multi_set(self, keys: list[str], values: list[str | bytes]) -> None:
        self._store.multi_set([self._k(k) for k in keys], values)

    def wait(self, keys: list[str], timeout: timedelta | None = None) -> None:
        self._store.wait([self._k(k) for k in keys], timeout)

    def queue_push(self, key: str, value: str | bytes) -> None:
        self._store.queue_push(self._k(key), value)

    def queue_pop(self, key: str, block: bool = True) -> bytes:
        return self._store.queue_pop(self._k(key), block)

    def queue_len(self, key: str) -> int:
        return self._store.queue_len(self._k(key))

    def has_extended_api(self) -> bool:
        return self._store.has_extended_api()
