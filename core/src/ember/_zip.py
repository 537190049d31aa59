"""The zip container of torch-format checkpoints: a streaming writer and a record reader.

PyTorch stores every record uncompressed and starts each record's bytes on a 64-byte
boundary (padding goes into an extra field of the local header), so that storages can be
memory-mapped and read straight into place. We write the same layout, sequentially (the
output never has to seek): storages with their CRC-32 in a data descriptor after the data, so
that the CRC can be computed on a helper thread (zlib releases the GIL) while the same bytes
are being written; small records with the CRC in the local header. Reading parses the
central directory with the standard library's zipfile, then reads each record's bytes
ourselves straight into the destination array, checking the CRC, instead of going through
``ZipFile.read`` (one copy less, and no per-record bytes object).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ALIGNMENT = 64
ZIP64_LIMIT = 0xFFFFFFFF  # sizes/offsets at or above this need zip64 fields
_ZIP64_COUNT_LIMIT = 0xFFFF
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header, 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header, 46 bytes
_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_CHUNK = 16 << 20  # reads and CRCs of big records go in pieces of this size
# Records from this size have their CRC computed on a helper thread (zlib releases the GIL),
# overlapping file I/O; below it the hand-off costs more than the checksum.
_THREADED_CRC = 64 << 10
_CRC_AHEAD = 64 << 20  # bytes of records taken (and checksummed) ahead of the writes
_PAD_ID = 0x4246  # "FB": the extra-field id PyTorch uses for alignment padding


class ZipWriter:
    """Writes stored (uncompressed) records, each record's data aligned to 64 bytes.

    Example:
        >>> w = ZipWriter(open("x.pt", "wb")); w.write_record("x/version", b"3\\n"); w.close()
    """

    def __init__(self, file, compute_crc32: bool = True):
        self._file = file
        self._pos = 0
        self._entries = []  # [name bytes, crc, size, header offset, flags]
        self._crc = compute_crc32  # False: every CRC field holds 0, as torch writes then

    def write_records(self, records) -> None:
        """Writes (name, data) pairs; CRCs run on a helper thread while the file is written.
        A big record's CRC is computed chunk by chunk behind its own writes and goes into a
        data descriptor after the data (zip flag bit 3), as PyTorch's writer does. Medium
        records are checksummed up to _CRC_AHEAD bytes ahead of the record being written, so
        each header finds its CRC ready. Tiny records are checksummed inline."""
        if not self._crc:
            for name, data in records:
                self.write_record(name, data)
            return
        pool = ThreadPoolExecutor(1)
        ahead = deque()  # (name, view, CRC future or None), in record order
        ahead_bytes = 0
        records = iter(records)
        try:
            while True:
                while ahead_bytes < _CRC_AHEAD:  # look ahead: start the next CRCs
                    item = next(records, None)
                    if item is None:
                        break
                    name, data = item
                    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
                    medium = _THREADED_CRC <= len(view) < 2 * _CHUNK
                    ahead.append((name, view, pool.submit(zlib.crc32, view) if medium else None))
                    ahead_bytes += len(view)  # bounds the host copies of device storages
                if not ahead:
                    break
                name, view, crc = ahead.popleft()
                size = len(view)
                ahead_bytes -= size
                if crc is not None:
                    self._header(name, size, crc.result(), 0)
                    self._write(view)
                    continue
                if size < 2 * _CHUNK:
                    self.write_record(name, view)
                    continue
                crc = _RunningCrc()
                self._header(name, size, 0, 0x08)
                for start in range(0, size, _CHUNK):
                    chunk = view[start:start + _CHUNK]
                    pool.submit(crc.update, chunk)  # one worker: runs in order
                    self._write(chunk)
                value = pool.submit(crc.value).result()
                self._entries[-1][1] = value
                fmt = "<IIQQ" if size >= ZIP64_LIMIT else "<IIII"
                self._write(struct.pack(fmt, 0x08074B50, value, size, size))
        finally:
            pool.shutdown(cancel_futures=True)

    def write_record(self, name: str, data) -> None:
        """Appends one record; ``data`` is bytes or any C-contiguous buffer (a NumPy array)."""
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        self._header(name, len(view), zlib.crc32(view) if self._crc else 0, 0)
        if len(view):
            self._write(view)

    def _write(self, data) -> None:
        self._file.write(data)
        self._pos += len(data) if isinstance(data, bytes) else data.nbytes

    def _header(self, name: str, size: int, crc: int, flags: int) -> None:
        """The local header, padded so that the data after it starts on a 64-byte boundary
        (with flag bit 3 the CRC and sizes follow the data instead)."""
        raw_name = name.encode("utf-8")
        zip64 = size >= ZIP64_LIMIT
        deferred = flags & 0x08
        extra = struct.pack("<HHQQ", 1, 16, 0 if deferred else size, 0 if deferred else size) \
            if zip64 else b""
        start = self._pos + _LOCAL.size + len(raw_name) + len(extra)
        if start % ALIGNMENT:
            pad = (ALIGNMENT - (start + 4) % ALIGNMENT) % ALIGNMENT
            extra += struct.pack("<HH", _PAD_ID, pad) + b"Z" * pad
        shown = 0xFFFFFFFF if zip64 else (0 if deferred else size)
        self._entries.append([raw_name, crc, size, self._pos, flags])
        self._write(_LOCAL.pack(0x04034B50, 45 if zip64 else 20, flags, 0, 0, 0,
                                0 if deferred else crc, shown, shown, len(raw_name), len(extra))
                    + raw_name + extra)

    def close(self) -> None:
        """Writes the central directory (with zip64 records when the archive needs them)."""
        cd_start = self._pos
        chunks = []
        for raw_name, crc, size, offset, flags in self._entries:
            big = []
            shown_size, shown_off = size, offset
            if size >= ZIP64_LIMIT:
                big += [size, size]
                shown_size = 0xFFFFFFFF
            if offset >= ZIP64_LIMIT:
                big.append(offset)
                shown_off = 0xFFFFFFFF
            extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) if big else b""
            version = 45 if big else 20
            chunks.append(_CENTRAL.pack(0x02014B50, version, version, flags, 0, 0, 0, crc,
                                        shown_size, shown_size, len(raw_name), len(extra), 0,
                                        0, 0, 0, shown_off) + raw_name + extra)
        directory = b"".join(chunks)
        self._write(directory)
        count, cd_size = len(self._entries), len(directory)
        if count >= _ZIP64_COUNT_LIMIT or cd_start >= ZIP64_LIMIT or cd_size >= ZIP64_LIMIT:
            eocd64_at = self._pos
            self._write(_EOCD64.pack(0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_start))
            self._write(_LOCATOR64.pack(0x07064B50, 0, eocd64_at, 1))
            count, cd_size, cd_start = min(count, 0xFFFF), min(cd_size, 0xFFFFFFFF), 0xFFFFFFFF
        self._write(_EOCD.pack(0x06054B50, 0, 0, count, count, cd_size, cd_start, 0))
        self._file.flush()


class ZipReader:
    """Random access to the records of a stored zip archive open as a binary file.

    Raises ``zipfile.BadZipFile`` for an archive whose directory or headers are broken,
    ``ValueError`` for a record that is compressed or runs past the end of the file.
    """

    def __init__(self, file):
        self.file = self._file = file
        self._zip = zipfile.ZipFile(file)  # parses the central directory only
        self._infos = {i.filename: i for i in self._zip.infolist()}
        self.size = file.seek(0, 2)
        self._pool = None
        self._pending = []  # (name, expected CRC, future CRC)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def verify(self) -> None:
        """Waits for the CRC checks started by ``read_into(..., deferred=True)``."""
        for name, expected, future in self._pending:
            if expected != 0 and future.result() != expected:
                raise ValueError(f"CRC-32 of record '{name}' does not match: the file is "
                                 "corrupted")
        self._pending.clear()

    def names(self) -> list:
        return list(self._infos)

    def has(self, name: str) -> bool:
        return name in self._infos

    def record_size(self, name: str) -> int:
        return self._info(name).file_size

    def _info(self, name: str):
        try:
            return self._infos[name]
        except KeyError:
            raise ValueError(f"the archive has no record '{name}' (truncated or corrupted file?)") \
                from None

    def data_offset(self, name: str) -> int:
        """Where the record's bytes start in the file (after its local header)."""
        info = self._info(name)
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"record '{name}' is compressed (method {info.compress_type}); "
                             "checkpoints store records uncompressed")
        self._file.seek(info.header_offset)
        header = self._file.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for record '{name}'")
        fields = _LOCAL.unpack(header)
        name_len, extra_len = fields[9], fields[10]
        start = info.header_offset + _LOCAL.size + name_len + extra_len
        if start + info.file_size > self.size:
            raise ValueError(f"record '{name}' runs past the end of the file "
                             f"({start + info.file_size} > {self.size} bytes): truncated file?")
        return start

    def read_bytes(self, name: str) -> bytes:
        out = np.empty(self.record_size(name), np.uint8)
        self.read_into(name, out)
        return out.tobytes()

    def read_into(self, name: str, out: np.ndarray, deferred: bool = False) -> None:
        """Reads the record into ``out`` (a contiguous array of exactly the record's size).

        With ``deferred``, the CRC runs on a helper thread, chunk by chunk behind the reads
        (so even one huge record overlaps its checksum with its I/O); ``verify()`` must then
        be called before ``out`` is trusted. A stored CRC of 0 means none was computed
        (torch's ``set_crc32_options(False)``) and is not checked."""
        info = self._info(name)
        view = memoryview(out).cast("B")
        if len(view) != info.file_size:
            raise ValueError(f"record '{name}' holds {info.file_size} bytes, expected {len(view)}")
        self._file.seek(self.data_offset(name))
        crc = _RunningCrc()
        deferred = deferred and len(view) >= _THREADED_CRC  # tiny ones: inline is cheaper
        if deferred and self._pool is None:
            self._pool = ThreadPoolExecutor(1)
        got = 0
        while got < len(view):
            chunk = view[got:got + _CHUNK]
            filled = 0
            while filled < len(chunk):  # readinto may return short counts (pipes, some files)
                n = self._file.readinto(chunk[filled:])
                if not n:
                    raise EOFError(f"record '{name}' is truncated")
                filled += n
            got += filled
            if deferred:
                self._pool.submit(crc.update, chunk)  # one worker: runs in order
            else:
                crc.update(chunk)
        if deferred:
            self._pending.append((name, info.CRC, self._pool.submit(crc.value)))
        elif info.CRC != 0 and crc.value() != info.CRC:
            raise ValueError(f"CRC-32 of record '{name}' does not match: the file is corrupted")


class _RunningCrc:
    """A CRC-32 fed chunk by chunk."""

    __slots__ = ("crc",)

    def __init__(self):
        self.crc = 0

    def update(self, chunk) -> None:
        self.crc = zlib.crc32(chunk, self.crc)

    def value(self) -> int:
        return self.crc
