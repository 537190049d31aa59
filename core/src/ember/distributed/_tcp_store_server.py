"""The server behind a master TCPStore: a thread accepting connections and one thread per
client, each answering that client's requests from one in-memory HashStore.

A request is ``[op, *fields]``; op must name one of the handlers below, which read their
fields as bytes, keys or integers only. An answer is ``[b"ok", *results]`` or
``[b"err", error class name, message]`` for the errors a store operation may raise.
"""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from typing import Callable

from ._exceptions import DistStoreError, QueueEmptyError
from ._store import HashStore
from ._tcp_store_protocol import decode_int, encode_int, recv_message, send_message

# the errors a request may end in, sent back by name for the client to raise again
SENDABLE_ERRORS: dict[str, type[Exception]] = {
    "DistStoreError": DistStoreError, "QueueEmptyError": QueueEmptyError,
    "ValueError": ValueError, "TypeError": TypeError}


def _keys(fields: list[bytes]) -> list[str]:
    return [f.decode() for f in fields]


def _wait(store: HashStore, fields: list[bytes]) -> list[bytes]:
    store.wait(_keys(fields[1:]), timedelta(milliseconds=decode_int(fields[0])))
    return []


def _multi_get(store: HashStore, fields: list[bytes]) -> list[bytes]:
    _wait(store, fields)
    return store.multi_get(_keys(fields[1:]))


def _multi_set(store: HashStore, fields: list[bytes]) -> list[bytes]:
    store.multi_set(_keys(fields[0::2]), fields[1::2])
    return []


def _queue_pop(store: HashStore, fields: list[bytes]) -> list[bytes]:
    key, block, ms = fields[0].decode(), fields[1] == b"1", decode_int(fields[2])
    if block and not store._wait_for(lambda s: bool(s.queues.get(key)), ms / 1000):
        raise DistStoreError(f"Wait timeout: queue {key!r} stayed empty for {ms} ms")
    return [store.queue_pop(key, block=False)]


_HANDLERS: dict[bytes, Callable[[HashStore, list[bytes]], list[bytes]]] = {
    b"set": lambda s, f: s.set(f[0].decode(), f[1]) or [],
    b"add": lambda s, f: [encode_int(s.add(f[0].decode(), decode_int(f[1])))],
    b"append": lambda s, f: s.append(f[0].decode(), f[1]) or [],
    b"compare_set": lambda s, f: [s.compare_set(f[0].decode(), f[1], f[2])],
    b"delete_key": lambda s, f: [b"1" if s.delete_key(f[0].decode()) else b"0"],
    b"check": lambda s, f: [b"1" if s.check(_keys(f)) else b"0"],
    b"num_keys": lambda s, f: [encode_int(s.num_keys())],
    b"list_keys": lambda s, f: [k.encode() for k in s.list_keys()],
    b"wait": _wait,
    b"multi_get": _multi_get,
    b"multi_set": _multi_set,
    b"queue_push": lambda s, f: s.queue_push(f[0].decode(), f[1]) or [],
    b"queue_pop": _queue_pop,
    b"queue_len": lambda s, f: [encode_int(s.queue_len(f[0].decode()))],
}


class TCPStoreServer:
    """Serves one HashStore on a listening socket until ``stop()``."""

    def __init__(self, listener: socket.socket) -> None:
        self.store = HashStore()
        self.port: int = listener.getsockname()[1]
        self._listener = listener
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="ember-tcpstore-accept", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # the listener was closed by stop()
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._clients.add(conn)
            threading.Thread(target=self._serve, args=(conn,), name="ember-tcpstore-client",
                             daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while True:
                request = recv_message(conn)
                send_message(conn, self._answer(request))
        except (OSError, RuntimeError):  # the client left (or sent something unreadable)
            pass
        finally:
            with self._lock:
                self._clients.discard(conn)
            conn.close()

    def _answer(self, request: list[bytes]) -> list[bytes]:
        handler = _HANDLERS.get(request[0]) if request else None
        if handler is None:
            return [b"err", b"DistStoreError", b"unknown TCPStore request"]
        try:
            return [b"ok", *handler(self.store, request[1:])]
        except tuple(SENDABLE_ERRORS.values()) as e:
            return [b"err", type(e).__name__.encode(), str(e).encode()]
        except (IndexError, UnicodeDecodeError):
            return [b"err", b"DistStoreError", b"malformed TCPStore request"]

    def stop(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients), set()
        # shutdown, not just close, wakes the threads blocked in accept/recv on them
        for sock in (self._listener, *clients):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
