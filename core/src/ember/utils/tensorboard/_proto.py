"""A minimal protocol-buffer encoder: just the wire types TensorBoard's messages use.

A message is built as ``b"".join`` of fields; nested messages are ``message(n, encoded)``.
Default values (0, "", empty) are skipped, as proto3 serializers do, so the bytes match
what ``SerializeToString`` writes for the same message; a field inside a ``oneof`` has
presence and is written even at its default: pass ``always=True`` for those.

Example:
    >>> varint(1, 300) == bytes([0x08, 0xAC, 0x02])
    True
"""

from __future__ import annotations

import struct
from typing import Iterable

# wire types (https://protobuf.dev/programming-guides/encoding/)
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


def _uvarint(value: int) -> bytes:
    if value < 0:  # negative int32/int64 are sent as their 64-bit two's complement
        value += 1 << 64
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _uvarint(field << 3 | wire)


def varint(field: int, value: int | bool, always: bool = False) -> bytes:
    """An int32/int64/uint64/bool/enum field."""
    return _key(field, _VARINT) + _uvarint(int(value)) if value or always else b""


def double(field: int, value: float, always: bool = False) -> bytes:
    return _key(field, _I64) + struct.pack("<d", value) if value != 0 or always else b""


def float32(field: int, value: float, always: bool = False) -> bytes:
    return _key(field, _I32) + struct.pack("<f", value) if value != 0 or always else b""


def length_delimited(field: int, data: bytes, keep_empty: bool = False) -> bytes:
    """A bytes, string or message field; ``keep_empty`` writes an empty message that is set
    (for a field inside a oneof, presence is the information)."""
    if not data and not keep_empty:
        return b""
    return _key(field, _LEN) + _uvarint(len(data)) + data


def string(field: int, value: str, always: bool = False) -> bytes:
    return length_delimited(field, value.encode("utf-8"), keep_empty=always)


def message(field: int, encoded: bytes) -> bytes:
    """A nested message field (written even when empty: it is set)."""
    return length_delimited(field, encoded, keep_empty=True)


def packed_doubles(field: int, values: Iterable[float]) -> bytes:
    data = b"".join(struct.pack("<d", v) for v in values)
    return length_delimited(field, data)


def packed_floats(field: int, values: Iterable[float]) -> bytes:
    data = b"".join(struct.pack("<f", v) for v in values)
    return length_delimited(field, data)
