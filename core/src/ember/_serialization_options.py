"""The process-wide switches of ``ember.save``/``ember.load``, as torch.serialization's:
whether storages' bytes are written and read at all (``skip_data``), whether records get a
CRC-32, how ``load(mmap=True)`` maps the file, and which byte order a checkpoint without a
``byteorder`` record is read in.

Example:
    >>> ember.serialization.set_crc32_options(False)     # faster saves, no checksums
    >>> with ember.serialization.skip_data():
    ...     ember.save(model.state_dict(), "layout.pt")  # the structure, storages zeroed
"""

from __future__ import annotations

import mmap as _mmap
import sys
from enum import Enum


class _Options:
    skip_data = False
    compute_crc32 = True
    mmap_flags = getattr(_mmap, "MAP_PRIVATE", None)
    load_endianness = None  # a LoadEndianness, or None for the machine's own order


class skip_data:
    """Inside the block, ``ember.save`` writes every record but leaves the storages' bytes
    zero (the layout of a checkpoint, to be filled in later), and ``ember.load`` builds
    every tensor without reading its bytes (their values are unspecified, and no CRC is
    checked). ``materialize_fake_tensors`` is accepted for torch's signature (ember has no
    fake tensors).

    Example:
        >>> with ember.serialization.skip_data():
        ...     ember.save(ember.randn(2, 3), "t.pt")
        >>> ember.load("t.pt")
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """

    def __init__(self, materialize_fake_tensors: bool = False) -> None:
        self.materialize_fake_tensors = materialize_fake_tensors

    def __enter__(self) -> None:
        self._before = _Options.skip_data
        _Options.skip_data = True

    def __exit__(self, *exc_info) -> None:
        _Options.skip_data = self._before


def get_crc32_options() -> bool:
    """Whether ``ember.save`` computes each record's CRC-32 (default True).

    Example:
        >>> ember.serialization.get_crc32_options()
        True
    """
    return _Options.compute_crc32


def set_crc32_options(compute_crc32: bool) -> None:
    """Makes ``ember.save`` compute CRC-32s (True) or write 0 in their place (False, as
    torch does: quicker to save, and loading treats a 0 as "not computed" and skips the
    check, so corruption of those records goes unnoticed).

    Example:
        >>> ember.serialization.set_crc32_options(False)
    """
    _Options.compute_crc32 = bool(compute_crc32)


def get_default_mmap_options() -> int | None:
    """The ``mmap`` flag ``ember.load(mmap=True)`` maps files with: ``mmap.MAP_PRIVATE``
    (writes stay in this process, the default) or ``mmap.MAP_SHARED`` (writes reach the file).

    Example:
        >>> import mmap
        >>> ember.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE
        True
    """
    return _Options.mmap_flags


class set_default_mmap_options:
    """Sets the flag ``ember.load(mmap=True)`` maps with; used as a context manager, the
    previous flag comes back at the end of the block. Writes through a shared mapping
    change the file but not the CRC-32 its records were saved with: load it again with
    ``mmap=True`` (which reads no bytes, so checks no CRC), or save it anew.

    Example:
        >>> import mmap
        >>> with ember.serialization.set_default_mmap_options(mmap.MAP_SHARED):
        ...     sd = ember.load("weights.pt", mmap=True)   # in-place edits reach the file
    """

    def __init__(self, flags: int) -> None:
        if sys.platform == "win32":
            raise RuntimeError("Changing the default mmap options is currently not supported "
                               "for Windows")
        if flags not in (_mmap.MAP_PRIVATE, _mmap.MAP_SHARED):
            raise ValueError("Invalid argument in function set_default_mmap_options, expected "
                             f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}")
        self.prev = _Options.mmap_flags
        _Options.mmap_flags = flags

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info) -> None:
        _Options.mmap_flags = self.prev


class LoadEndianness(Enum):
    """The byte order to read a checkpoint that has no ``byteorder`` record in."""

    NATIVE = 1
    LITTLE = 2
    BIG = 3


def get_default_load_endianness() -> LoadEndianness | None:
    """The byte order assumed for checkpoints without a ``byteorder`` record (None: the
    machine's own, as ``LoadEndianness.NATIVE``).

    Example:
        >>> ember.serialization.get_default_load_endianness() is None
        True
    """
    return _Options.load_endianness


def set_default_load_endianness(endianness: LoadEndianness | None) -> None:
    """Sets the byte order assumed for checkpoints without a ``byteorder`` record.

    Example:
        >>> ember.serialization.set_default_load_endianness(
        ...     ember.serialization.LoadEndianness.BIG)
    """
    if endianness is not None and not isinstance(endianness, LoadEndianness):
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _Options.load_endianness = endianness


def fallback_byteorder() -> str:
    """"little" or "big": the order for a checkpoint that doesn't record one."""
    chosen = _Options.load_endianness
    if chosen is LoadEndianness.LITTLE:
        return "little"
    if chosen is LoadEndianness.BIG:
        return "big"
    return sys.byteorder
