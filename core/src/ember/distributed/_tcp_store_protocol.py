"""The wire format between TCPStore clients and its server: a message is a list of byte
strings, sent as a big-endian uint32 count followed by each string as a uint32 length and
its bytes. Nothing received is ever evaluated: fields are only read as bytes, UTF-8 keys
or decimal integers."""

from __future__ import annotations

import socket
import struct

from ._exceptions import DistNetworkError

_U32 = struct.Struct("!I")
# a bound on one message's field count, so a corrupt header cannot make a peer allocate
# without end (multi_set of this many keys is far beyond any real use)
MAX_FIELDS = 1 << 20


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise DistNetworkError("Failed to recv, got 0 bytes. Connection was likely closed. "
                                   "Did the remote server shutdown or crash?")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def send_message(sock: socket.socket, fields: list[bytes]) -> None:
    parts = [_U32.pack(len(fields))]
    for f in fields:
        parts += (_U32.pack(len(f)), f)
    sock.sendall(b"".join(parts))


def recv_message(sock: socket.socket) -> list[bytes]:
    (count,) = _U32.unpack(_recv_exact(sock, 4))
    if count > MAX_FIELDS:
        raise DistNetworkError(f"TCPStore message of {count} fields refused (at most "
                               f"{MAX_FIELDS})")
    return [_recv_exact(sock, _U32.unpack(_recv_exact(sock, 4))[0]) for _ in range(count)]


def encode_int(n: int) -> bytes:
    return str(int(n)).encode()


def decode_int(field: bytes) -> int:
    return int(field.decode("ascii"))
