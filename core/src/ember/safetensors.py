"""The safetensors format with ``safetensors.torch``'s API: ``save_file``, ``load_file``,
``save``, ``load`` and ``safe_open``.

A file is an 8-byte little-endian header length N, N bytes of JSON
(``{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}}``, padded with spaces to a multiple of 8), then the tensors'
raw little-endian bytes, offsets counted from the end of the header. No pickle is involved,
so loading never runs code. Loading checks that the header parses, that every tensor's
offsets match its shape and dtype, and that the tensors tile the data buffer exactly.

Example:
    >>> from ember.safetensors import save_file, load_file
    >>> save_file({"w": ember.ones(2, 2)}, "model.safetensors", metadata={"format": "pt"})
    >>> load_file("model.safetensors")["w"].sum()
    tensor(4.)
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, contiguous_strides
from .backends.cpu import Storage

__all__ = ["save", "save_file", "load", "load_file", "safe_open", "SafetensorError"]

_CODES = {D.float64: "F64", D.float32: "F32", D.float16: "F16", D.bfloat16: "BF16",
          D.int64: "I64", D.int32: "I32", D.int16: "I16", D.int8: "I8", D.uint8: "U8",
          D.bool_: "BOOL"}
_BY_CODE = {v: k for k, v in _CODES.items()}
_RANK = {d: i for i, d in enumerate((D.bool_, D.uint8, D.int8, D.int16, D.float16, D.bfloat16,
                                     D.int32, D.float32, D.float64, D.int64))}
_MAX_HEADER = 100_000_000  # the safetensors package's limit


class SafetensorError(ValueError):
    """A file that is not valid safetensors (bad header, offsets or dtype)."""


def _check_tensors(tensors: dict) -> list:
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of tensors, got {type(tensors).__name__}")
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, got {name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"'{name}' is a {type(t).__name__}, not a tensor")
        if not t.is_contiguous():
            raise ValueError(f"You are trying to save a non contiguous tensor: `{name}` which "
                             "is not allowed. It either means you are trying to save tensors "
                             "which are reference of each other in which case it's recommended "
                             "to save only the full tensors, and reslice at load time, or "
                             "simply call `.contiguous()` on your tensor to pack it before "
                             "saving.")
    shared = {}
    for name, t in tensors.items():
        if t.numel():
            shared.setdefault(id(t._storage), []).append(name)
    groups = [sorted(g) for g in shared.values() if len(g) > 1]
    if groups:
        raise RuntimeError(f"Some tensors share memory, this will lead to duplicate memory on "
                           f"disk and potential differences when loading them again: {groups}. "
                           "Save clones of them (or only one of each group).")
    # The safetensors package's order: its dtype enum descending, then by name.
    return sorted(tensors.items(), key=lambda kv: (-_RANK[kv[1].dtype], kv[0]))


def _bytes_of(t: Tensor) -> np.ndarray:
    t = t.detach().cpu() if t.device.type != "cpu" else t.detach()
    return t._np().reshape(-1).view(np.uint8)


def _header(items: list, metadata) -> tuple:
    header = {}
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("metadata must be a dict of str to str")
        header["__metadata__"] = metadata
    offset = 0
    for name, t in items:
        nbytes = t.numel() * t.dtype.itemsize
        header[name] = {"dtype": _CODES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of a dict of contiguous tensors that share no memory."""
    items = _check_tensors(tensors)
    return b"".join([_header(items, metadata)] + [_bytes_of(t).tobytes() for _, t in items])


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Writes a safetensors file (through a temporary file renamed over ``filename``)."""
    items = _check_tensors(tensors)
    from .serialization import _write_atomically

    def write(fh):
        fh.write(_header(items, metadata))
        for _, t in items:
            fh.write(memoryview(_bytes_of(t)))
    _write_atomically(os.fspath(filename), write)


def _parse(buf: np.ndarray) -> tuple:
    """(header dict without metadata, metadata, data start) of a safetensors buffer."""
    if len(buf) < 8:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall")
    n = int(buf[:8].view("<u8")[0])
    if n > _MAX_HEADER or 8 + n > len(buf):
        raise SafetensorError(f"Error while deserializing header: invalid header length {n} "
                              f"for a buffer of {len(buf)} bytes")
    try:
        header = json.loads(buf[8:8 + n].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorError(f"Error while deserializing header: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: the header is not an object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise SafetensorError("__metadata__ must be a dict of str to str")
    start = 8 + n
    spans = []
    for name, info in header.items():
        try:
            dtype = _BY_CODE[info["dtype"]]
            shape = [int(s) for s in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorError(f"tensor '{name}': bad or unsupported entry {info!r}") from None
        if any(s < 0 for s in shape) or not 0 <= begin <= end:
            raise SafetensorError(f"tensor '{name}': bad shape or offsets")
        numel = int(np.prod(shape, dtype=object)) if shape else 1
        if end - begin != numel * dtype.itemsize:
            raise SafetensorError(f"tensor '{name}': {end - begin} bytes for shape {shape} "
                                  f"of {info['dtype']} (invalid offsets)")
        header[name] = (dtype, tuple(shape), begin, end)
        spans.append((begin, end))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise SafetensorError("Error while deserializing header: InvalidOffset (tensors "
                                  "overlap or leave gaps)")
        pos = end
    if start + pos != len(buf):
        raise SafetensorError(f"Error while deserializing header: MetadataIncompleteBuffer "
                              f"(data ends at {start + pos}, buffer has {len(buf)} bytes)")
    return header, metadata, start


def _from_array(data: np.ndarray, shape: tuple, dtype) -> Tensor:
    """A contiguous tensor owning ``data`` (1-D, in the dtype's storage type)."""
    return Tensor._make(Storage(data), shape, contiguous_strides(shape), 0, dtype)


def _tensor(buf: np.ndarray, entry: tuple, start: int, device) -> Tensor:
    dtype, shape, begin, end = entry
    t = _from_array(buf[start + begin:start + end].view(dtype.storage_np).copy(), shape, dtype)
    return t if device in (None, "cpu") else t.to(device)


def load(data: bytes) -> dict:
    """The tensors of safetensors bytes (as returned by ``save``)."""
    buf = np.frombuffer(data, np.uint8)
    header, _, start = _parse(buf)
    return {name: _tensor(buf, entry, start, None) for name, entry in header.items()}


def load_file(filename, device="cpu") -> dict:
    """The tensors of a safetensors file, read through a memory map (copies, not views)."""
    with safe_open(filename, framework="pt", device=device) as f:
        return {name: f.get_tensor(name) for name in f.keys()}


class _Slice:
    """Lazy access to one tensor: ``get_shape()``, ``get_dtype()``, indexing reads a part."""

    def __init__(self, owner, name: str):
        self._owner, self._name = owner, name

    def get_shape(self) -> list:
        return list(self._owner._header[self._name][1])

    def get_dtype(self) -> str:
        return _CODES[self._owner._header[self._name][0]]

    def __getitem__(self, index) -> Tensor:
        dtype, shape, begin, end = self._owner._header[self._name]
        start = self._owner._start
        whole = self._owner._buf[start + begin:start + end].view(dtype.storage_np).reshape(shape)
        part = np.array(whole[index], copy=True).reshape(-1)
        return _from_array(part, tuple(whole[index].shape), dtype)


class safe_open:
    """Opens a safetensors file lazily: tensors are read on ``get_tensor``/``get_slice``.

    Example:
        >>> with safe_open("model.safetensors", framework="pt") as f:
        ...     w = f.get_tensor("w"); meta = f.metadata()
    """

    def __init__(self, filename, framework: str = "pt", device="cpu"):
        if framework not in ("pt", "torch", "ember", "numpy", "np"):
            raise ValueError(f"framework {framework!r} is not supported (use 'pt')")
        self._device = device
        size = os.path.getsize(filename)
        self._buf = (np.memmap(filename, np.uint8, mode="r") if size
                     else np.zeros(0, np.uint8))
        self._header, self._metadata, self._start = _parse(self._buf)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._buf = None

    def keys(self) -> list:
        return sorted(self._header)

    def offset_keys(self) -> list:
        return sorted(self._header, key=lambda k: self._header[k][2])

    def metadata(self) -> dict | None:
        return self._metadata

    def get_tensor(self, name: str) -> Tensor:
        if name not in self._header:
            raise SafetensorError(f"File does not contain tensor {name}")
        return _tensor(self._buf, self._header[name], self._start, self._device)

    def get_slice(self, name: str) -> _Slice:
        if name not in self._header:
            raise SafetensorError(f"File does not contain tensor {name}")
        return _Slice(self, name)
