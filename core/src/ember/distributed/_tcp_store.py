"""TCPStore (``torch.distributed.TCPStore``): a store served over TCP by the master rank.

The master runs a server thread (``_tcp_store_server.py``) holding the keys; every
TCPStore, the master's included, is a client of it and sends each operation as one
request. User keys travel under a "/" prefix, which keeps the store's own bookkeeping key
("init/", counting the ranks that joined) out of their way, as in torch.

Example:
    >>> master = dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False)
    >>> client = dist.TCPStore("127.0.0.1", master.port)
    >>> client.set("ready", "1")
    >>> master.get("ready")
    b'1'
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from datetime import timedelta

from ._exceptions import DistNetworkError, DistStoreError
from ._store import Store, _key, _value
from ._tcp_store_protocol import decode_int, encode_int, recv_message, send_message
from ._tcp_store_server import SENDABLE_ERRORS, TCPStoreServer
from .constants import default_store_timeout

_USER_PREFIX = "/"
_JOINED_KEY = "init/"
# multi_tenant masters of this process, by port: they share one server
_shared_servers: dict[int, TCPStoreServer] = {}
_shared_lock = threading.Lock()


def _listen(port: int, listen_fd: int | None) -> socket.socket:
    if listen_fd is not None:
        return socket.socket(fileno=listen_fd)
    try:
        return socket.create_server(("", port), backlog=128)
    except OSError as e:
        raise DistNetworkError(f"The server socket has failed to listen on any local network "
                               f"address. port: {port}, {e}") from e


def _connect(host: str, port: int, timeout: timedelta) -> socket.socket:
    """A connection to the server, retried until timeout (the master may start later)."""
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=max(
                0.01, deadline - time.monotonic()))
        except OSError:
            if time.monotonic() >= deadline:
                raise DistNetworkError(
                    f"The client socket has timed out after {timeout.total_seconds() * 1000:.0f}"
                    f"ms while trying to connect to ({host}, {port}).") from None
            time.sleep(0.05)
            continue
        # blocking requests (get, wait) end on the server's side, after the store's timeout
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def _user(key) -> bytes:
    return (_USER_PREFIX + _key(key)).encode()


class TCPStore(Store):
    """A store shared by processes over TCP. ``is_master=True`` starts the server on
    ``port`` (0: any free port, then read ``.port``); every instance connects to
    ``host_name:port``, retrying until ``timeout``. With ``world_size`` given and
    ``wait_for_workers``, each instance counts itself in and the master waits until
    ``world_size`` have joined. ``multi_tenant`` masters of one process share a server per
    port; ``master_listen_fd`` hands the master an already listening socket.
    ``use_libuv`` is accepted for torch's signature (reported by ``libuvBackend``): ember's
    server is a pure Python one either way.

    Values are bytes (str is encoded); nothing received is run or unpickled.

    Example:
        >>> store = dist.TCPStore("127.0.0.1", 0, world_size=1, is_master=True)
        >>> store.add("step", 5)
        5
    """

    _has_queues = True

    def __init__(self, host_name: str, port: int, world_size: int | None = None,
                 is_master: bool = False, timeout: timedelta = default_store_timeout,
                 wait_for_workers: bool = True, multi_tenant: bool = False,
                 master_listen_fd: int | None = None, use_libuv: bool = True) -> None:
        super().__init__(timeout)
        self._host = host_name
        self._libuv = bool(use_libuv)
        self._server = None
        if is_master:
            self._server = self._start_server(port, multi_tenant, master_listen_fd)
            port = self._server.port
            if not multi_tenant:  # the server lives as long as its master store
                weakref.finalize(self, self._server.stop)
        self._port = port
        self._sock = _connect(host_name, port, timeout)
        self._sock_lock = threading.Lock()
        weakref.finalize(self, self._sock.close)
        if world_size is not None and wait_for_workers:
            self._join(world_size, is_master)

    @staticmethod
    def _start_server(port: int, multi_tenant: bool, listen_fd: int | None) -> TCPStoreServer:
        if not multi_tenant:
            return TCPStoreServer(_listen(port, listen_fd))
        with _shared_lock:
            server = _shared_servers.get(port) if port else None
            if server is None:
                server = TCPStoreServer(_listen(port, listen_fd))
                _shared_servers[server.port] = server
            return server

    def _join(self, world_size: int, is_master: bool) -> None:
        self._request(b"add", _JOINED_KEY.encode(), b"1")
        if not is_master:
            return
        deadline = time.monotonic() + self._timeout.total_seconds()
        while True:
            joined = decode_int(self._request(b"add", _JOINED_KEY.encode(), b"0")[0])
            if joined >= world_size:
                return
            if time.monotonic() >= deadline:
                raise DistStoreError(f"Timed out after {self._timeout.total_seconds():.0f} "
                                     f"seconds waiting for clients. {joined}/{world_size} "
                                     "clients joined.")
            time.sleep(0.01)

    def _request(self, op: bytes, *fields: bytes) -> list[bytes]:
        with self._sock_lock:
            send_message(self._sock, [op, *fields])
            answer = recv_message(self._sock)
        if answer[0] == b"ok":
            return answer[1:]
        error = SENDABLE_ERRORS.get(answer[1].decode(), DistStoreError)
        raise error(answer[2].decode())

    def _ms(self, timeout: timedelta | None = None) -> bytes:
        return encode_int((self._timeout if timeout is None else timeout) / timedelta(
            milliseconds=1))

    # ---- where the server is -------------------------------------------------------------
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def libuvBackend(self) -> bool:  # noqa: N802  (torch's name)
        return self._libuv

    # ---- the store's operations, one request each ----------------------------------------
    def set(self, key: str, value: str | bytes) -> None:
        self._request(b"set", _user(key), _value(value))

    def get(self, key: str) -> bytes:
        """key's value, waiting for it up to the timeout."""
        return self._request(b"multi_get", self._ms(), _user(key))[0]

    def add(self, key: str, amount: int) -> int:
        return decode_int(self._request(b"add", _user(key), encode_int(amount))[0])

    def append(self, key: str, value: str | bytes) -> None:
        self._request(b"append", _user(key), _value(value))

    def compare_set(self, key: str, expected_value: str | bytes,
                    desired_value: str | bytes) -> bytes:
        return self._request(b"compare_set", _user(key), _value(expected_value),
                             _value(desired_value))[0]

    def delete_key(self, key: str) -> bool:
        return self._request(b"delete_key", _user(key)) == [b"1"]

    def check(self, keys: list[str]) -> bool:
        return self._request(b"check", *map(_user, keys)) == [b"1"]

    def num_keys(self) -> int:
        """Every key the server holds, the join counter included (as torch)."""
        return decode_int(self._request(b"num_keys")[0])

    def list_keys(self) -> list[str]:
        return [k.decode()[len(_USER_PREFIX):] for k in self._request(b"list_keys")
                if k.startswith(_USER_PREFIX.encode())]

    def multi_get(self, keys: list[str]) -> list[bytes]:
        return self._request(b"multi_get", self._ms(), *map(_user, keys))

    def multi_set(self, keys: list[str], values: list[str | bytes]) -> None:
        if len(keys) != len(values):
            raise ValueError(f"multi_set: {len(keys)} keys but {len(values)} values")
        pairs = [f for k, v in zip(keys, values) for f in (_user(k), _value(v))]
        self._request(b"multi_set", *pairs)

    def wait(self, keys: list[str], timeout: timedelta | None = None) -> None:
        self._request(b"wait", self._ms(timeout), *map(_user, keys))

    def queue_push(self, key: str, value: str | bytes) -> None:
        self._request(b"queue_push", _user(key), _value(value))

    def queue_pop(self, key: str, block: bool = True) -> bytes:
        return self._request(b"queue_pop", _user(key), b"1" if block else b"0", self._ms())[0]

    def queue_len(self, key: str) -> int:
        return decode_int(self._request(b"queue_len", _user(key))[0])
