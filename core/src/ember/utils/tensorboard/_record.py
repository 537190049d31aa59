"""TFRecord framing of event files, and the file that holds them.

Each record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``
(little-endian); ``data`` is one serialized ``tensorboard.Event``.

Example:
    >>> masked_crc32c(b"") == 0xA282EAD8
    True
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

# CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven in pure Python. Event
# files are small (a record is tens of bytes, a histogram a few kB), so this costs
# microseconds to a few milliseconds per record and spares a compiled dependency.
_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)
del _n, _c


def crc32c(data: bytes) -> int:
    """The CRC-32C checksum of data."""
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotated right by 15 bits plus a constant, so that a CRC stored
    inside checksummed data does not checksum to a fixed value."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord: data with its length and both checksums."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


_uid_lock = threading.Lock()
_uid = 0


def _next_uid() -> int:
    # a per-process counter in the file name keeps two writers on one folder apart
    global _uid
    with _uid_lock:
        _uid += 1
        return _uid


class EventFileWriter:
    """Appends framed records to ``events.out.tfevents.<time>.<host>.<pid>.<uid><suffix>``.

    Records wait in memory until ``max_queue`` of them are pending, ``flush()`` is called, or
    ``flush_secs`` have passed (a daemon thread flushes on that period).
    """

    def __init__(self, logdir: str, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        os.makedirs(logdir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(), socket.gethostname(), os.getpid(), _next_uid())
        self.path = os.path.join(logdir, name + filename_suffix)
        self._file = open(self.path, "wb")
        self._pending: list[bytes] = []
        self._max_queue = max(int(max_queue), 1)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_periodically, args=(flush_secs,),
                                         name="ember-tensorboard-flush", daemon=True)
        self._flusher.start()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._file.closed:
                raise ValueError(f"the event file {self.path} is closed")
            self._pending.append(frame(data))
            if len(self._pending) >= self._max_queue:
                self._write_pending()

    def _write_pending(self) -> None:
        self._file.write(b"".join(self._pending))
        self._pending.clear()
        self._file.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._write_pending()

    def _flush_periodically(self, period: float) -> None:
        while not self._closed.wait(period):
            self.flush()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if not self._file.closed:
                self._write_pending()
                self._file.close()
