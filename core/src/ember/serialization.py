"""Saving and loading in PyTorch's checkpoint format: ``ember.save`` and ``ember.load``.

A checkpoint is a zip archive (records stored uncompressed, data aligned to 64 bytes) under
one top folder: ``data.pkl`` (a protocol-2 pickle in which each tensor is a
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
reduce and each storage a persistent id ``('storage', torch.FloatStorage, key, location,
numel)``), the raw little-endian storage bytes in ``data/<key>``, and the small records
``byteorder``, ``version``, ``.format_version``, ``.storage_alignment`` and
``.data/serialization_id``. Files written by ``torch.save`` load here without torch, files
written here load with ``torch.load(weights_only=True)``. Older files (torch < 1.6) are a
plain pickle stream followed by the storages' bytes (the legacy format); they load too.

Loading validates before it builds: every storage record must hold exactly
``numel * itemsize`` bytes with a matching CRC-32, and every tensor view must stay inside its
storage, so a damaged file raises an exception that says what is wrong instead of producing
a wrong tensor or crashing the C kernels.

Tensors also pickle by value with the plain ``pickle`` module (``_reduce_tensor``), which is
how they cross process boundaries to DataLoader workers.
"""

from __future__ import annotations

import collections
import contextlib
import io
import mmap as _mmap
import os
import pickle
import shutil
import sys
import tempfile
import warnings
import zipfile

import numpy as np

from . import _dtype as D
from . import _zip
from ._device import device as _device
from ._pickle import (_USER_SAFE, CheckpointPickler, TorchGlobal, TrustingUnpickler,
                      WeightsOnlyUnpickler, add_safe_globals, clear_safe_globals,
                      get_safe_globals, globals_in_pickle, safe_globals)
from ._serialization_options import (LoadEndianness, _Options, fallback_byteorder,
                                     get_crc32_options, get_default_load_endianness,
                                     get_default_mmap_options, set_crc32_options,
                                     set_default_load_endianness, set_default_mmap_options,
                                     skip_data)
from ._storage_location import (default_restore_location, location_tag, normalize_storage_type,
                                register_package, storage_to_tensor_type, validate_cuda_device)
from ._tensor import Size, Tensor
from .backends.cpu import Storage

__all__ = ["SourceChangeWarning", "mkdtemp", "register_package",
           "check_module_version_greater_or_equal", "validate_cuda_device", "location_tag",
           "default_restore_location", "normalize_storage_type", "storage_to_tensor_type",
           "save", "load", "LoadEndianness", "get_crc32_options", "set_crc32_options",
           "get_default_load_endianness", "set_default_load_endianness",
           "get_default_mmap_options", "set_default_mmap_options", "clear_safe_globals",
           "get_safe_globals", "add_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "skip_data"]

DEFAULT_PROTOCOL = 2
_FILE_VERSION = 3  # what torch writes in the "version" record
_MAX_FILE_VERSION = 10
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_MAX_DIMS = 64

_STORAGE_NAMES = {
    D.float32: "FloatStorage", D.float64: "DoubleStorage", D.float16: "HalfStorage",
    D.bfloat16: "BFloat16Storage", D.int8: "CharStorage", D.int16: "ShortStorage",
    D.int32: "IntStorage", D.int64: "LongStorage", D.uint8: "ByteStorage", D.bool_: "BoolStorage",
    D.complex64: "ComplexFloatStorage", D.complex128: "ComplexDoubleStorage",
}
# torch's storage classes and dtypes that ember has no dtype for: named in the error.
_NO_EQUIVALENT = {
    *(f"torch.{n}Storage" for n in ("ComplexHalf", "QInt8", "QUInt8", "QInt32", "QUInt4x2",
                                     "QUInt2x4")),
    *(f"torch.{n}" for n in ("complex32", "chalf", "uint16", "uint32", "uint64", "float8_e4m3fn",
                             "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "qint8",
                             "quint8", "qint32")),
}


# ---- writing ------------------------------------------------------------------

_G_REBUILD_V2 = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_G_REBUILD_PARAM = TorchGlobal("torch._utils", "_rebuild_parameter")
_G_REBUILD_PARAM_STATE = TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
_G_REBUILD_FROM_TYPE = TorchGlobal("torch._tensor", "_rebuild_from_type_v2")
_G_SIZE = TorchGlobal("torch", "Size")
_G_DEVICE = TorchGlobal("torch", "device")
_G_DTYPES = {d: TorchGlobal("torch", d.name) for d in D.ALL + D.COMPLEX}
_G_STORAGES = {d: TorchGlobal("torch", n) for d, n in _STORAGE_NAMES.items()}


def _parameter_class():
    """ember.nn.Parameter (imported late: ember.nn loads after serialization)."""
    from .nn.parameter import Parameter
    return Parameter


class _StorageRef:
    """A storage as a tensor saw it (with the tensor's dtype); pickled as a persistent id."""

    __slots__ = ("storage", "dtype")

    def __init__(self, storage, dtype):
        self.storage, self.dtype = storage, dtype


def _public_state(t: Tensor) -> dict:
    return {k: v for k, v in getattr(t, "__dict__", {}).items() if not k.startswith("_")}


class _Writer:
    """Pickles one object for a checkpoint, collecting the storages it refers to."""

    def __init__(self, legacy: bool = False):
        self.storages = []  # (key, Storage, dtype) in first-seen order
        self._keys = {}  # id(Storage) -> (key, dtype)
        self._parameter = _parameter_class()
        self._legacy = legacy  # legacy persistent ids end with a (here always None) view

    def reduce(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return (_G_SIZE, (tuple(obj),))
        if isinstance(obj, _device):
            return (_G_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        args = (_StorageRef(t._storage, t._dtype), t._offset, tuple(t._shape), tuple(t._stride),
                t.requires_grad, collections.OrderedDict())
        state = _public_state(t)
        if isinstance(t, self._parameter):
            plain = Tensor._make(t._storage, t._shape, t._stride, t._offset, t._dtype)
            if state:
                return (_G_REBUILD_PARAM_STATE,
                        (plain, t.requires_grad, collections.OrderedDict(), state))
            return (_G_REBUILD_PARAM, (plain, t.requires_grad, collections.OrderedDict()))
        if type(t) is not Tensor or state:
            return (_G_REBUILD_FROM_TYPE, (_G_REBUILD_V2, type(t), args, state))
        return (_G_REBUILD_V2, args)

    def persistent_id(self, obj):
        if not isinstance(obj, _StorageRef):
            return None
        storage, dtype = obj.storage, obj.dtype
        # a complex view of a real storage (view_as_complex) is saved as torch does: the
        # same bytes, counted as complex elements
        pairs = dtype.is_complex and storage.data.dtype == dtype.to_real().storage_np
        if storage.data.dtype.itemsize != dtype.itemsize and not pairs:
            raise RuntimeError(f"can't save a {dtype} tensor that views a storage of "
                               f"{storage.data.dtype} elements")
        seen = self._keys.get(id(storage))
        if seen is None:
            seen = (str(len(self.storages)), dtype)
            self._keys[id(storage)] = seen
            self.storages.append((seen[0], storage, dtype))
        elif seen[1] is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data "
                               f"as different types ({seen[1]} and {dtype})")
        numel = storage.data.nbytes // dtype.itemsize
        pid = ("storage", _G_STORAGES[dtype], seen[0], str(storage.device), numel)
        return pid + (None,) if self._legacy else pid

    def pickle(self, obj, protocol: int) -> bytes:
        buf = io.BytesIO()
        pickler = CheckpointPickler(buf, protocol, self.reduce, self.persistent_id)
        pickler.dispatch = dict(pickler.dispatch)
        pickler.dispatch[D.dtype] = _save_dtype
        pickler.dump(obj)
        return buf.getvalue()


def _save_dtype(pickler, obj) -> None:
    pickler.save_torch_global(_G_DTYPES[obj])
    pickler.memoize(obj)


def _storage_bytes(storage) -> np.ndarray:
    if storage.device.type == "cpu":
        return storage.data.view(np.uint8)
    flat = Tensor._make(storage, (storage.data.size,), (1,), 0,
                        D.from_numpy_dtype(storage.data.dtype))
    return flat.cpu()._storage.data.view(np.uint8)


def _write_archive(file, name: str, data_pkl: bytes, storages) -> None:
    w = _zip.ZipWriter(file, compute_crc32=_Options.compute_crc32)
    w.write_record(f"{name}/data.pkl", data_pkl)
    w.write_record(f"{name}/.format_version", b"1")
    w.write_record(f"{name}/.storage_alignment", str(_zip.ALIGNMENT).encode())
    w.write_record(f"{name}/byteorder", sys.byteorder.encode())
    skip = _Options.skip_data  # zeros stand in for the bytes: the layout without the data
    w.write_records((f"{name}/data/{key}",
                     np.zeros(storage.nbytes, np.uint8) if skip else _storage_bytes(storage))
                    for key, storage, _ in storages)
    w.write_record(f"{name}/version", f"{_FILE_VERSION}\n".encode())
    w.write_record(f"{name}/.data/serialization_id",
                   f"{int.from_bytes(os.urandom(16), 'little'):040d}".encode())
    w.close()


def _write_legacy(file, data_pkl: bytes, storages, protocol: int) -> None:
    """PyTorch's pre-1.6 format: pickles of the magic number, the format's protocol and
    the system info, the object's pickle, the sorted storage keys, then each storage as
    its element count (int64, native order) followed by its bytes."""
    sys_info = {"protocol_version": _LEGACY_PROTOCOL, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (_LEGACY_MAGIC, _LEGACY_PROTOCOL, sys_info):
        pickle.dump(header, file, protocol=protocol)
    file.write(data_pkl)
    by_key = {key: (storage, dtype) for key, storage, dtype in storages}
    keys = sorted(by_key)
    pickle.dump(keys, file, protocol=protocol)
    for key in keys:
        storage, dtype = by_key[key]
        raw = _storage_bytes(storage)
        file.write((raw.nbytes // dtype.itemsize).to_bytes(8, sys.byteorder, signed=True))
        file.write(memoryview(raw))


def _archive_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return stem if stem and stem.isprintable() and "/" not in stem and "\\" not in stem \
        else "archive"


_WRITEBACK_CHUNK = 8 << 20


class _EarlyWriteback:
    """A file being written that asks the kernel to start putting each 8 MB on disk as soon
    as it is written (fadvise DONTNEED starts writeback of dirty pages and keeps them), so
    the fsync before the rename waits only for the last piece: a 100 MB save spent 33 ms in
    fsync, now 3, and 20 ms less in all."""

    __slots__ = ("_fh", "_started", "_pos")

    def __init__(self, fh):
        self._fh, self._started, self._pos = fh, 0, 0

    def write(self, data) -> int:
        n = self._fh.write(data)
        self._pos += n
        if self._pos - self._started >= _WRITEBACK_CHUNK:
            self._fh.flush()
            try:
                os.posix_fadvise(self._fh.fileno(), self._started, self._pos - self._started,
                                 os.POSIX_FADV_DONTNEED)
            except OSError:  # a file system without it: the fsync does all the work
                self._started = float("inf")
                return n
            self._started = self._pos
        return n

    def flush(self) -> None:
        self._fh.flush()


def _write_atomically(path: str, write) -> None:
    """Writes via a temporary file in the same folder, fsyncs it, then renames it over
    ``path``: a crash at any moment leaves either the old file or the new one, whole."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}."
                               f"{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(_EarlyWriteback(fh) if hasattr(os, "posix_fadvise") else fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save(obj, f, pickle_module=None, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Saves ``obj`` (tensors, state dicts, nested containers...) in PyTorch's checkpoint format.

    ``f`` is a path (written atomically: a temporary file in the same folder, fsynced, then
    renamed over the target) or a writable binary file object. Tensors that share a storage
    are saved once and share it again after loading. ``torch.load`` reads the result.
    ``_use_new_zipfile_serialization=False`` writes the legacy (pre-1.6) format instead.

    Example:
        >>> ember.save({"w": ember.ones(2, 3)}, "ckpt.pt")
        >>> ember.load("ckpt.pt")["w"].shape
        ember.Size([2, 3])
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError("ember.save only supports the standard pickle module")
    if _Options.skip_data and not _use_new_zipfile_serialization:
        raise RuntimeError("Cannot use skip_data=True with _use_new_zipfile_serialization=False")
    writer = _Writer(legacy=not _use_new_zipfile_serialization)
    data_pkl = writer.pickle(obj, pickle_protocol)
    if _use_new_zipfile_serialization:
        def write(fh, name):
            _write_archive(fh, name, data_pkl, writer.storages)
    else:
        def write(fh, name):
            _write_legacy(fh, data_pkl, writer.storages, pickle_protocol)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        _write_atomically(path, lambda fh: write(fh, _archive_name(path)))
    elif hasattr(f, "write"):
        write(f, "archive")
    else:
        raise TypeError(f"f must be a path or a binary file object, got {type(f).__name__}")


# ---- loading: storages and tensors ------------------------------------------------

class _StorageType:
    """What a checkpoint's ``torch.FloatStorage`` (etc.) resolves to: its dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"torch.{_STORAGE_NAMES[self.dtype]}"


class _LoadedStorage:
    """A storage read from a checkpoint: ember's Storage plus its dtype and element count
    (``offset`` is non-zero only for the legacy format's storage views)."""

    __slots__ = ("storage", "dtype", "numel", "offset", "key")

    def __init__(self, storage, dtype, numel: int, key: str, offset: int = 0):
        self.storage, self.dtype, self.numel, self.key, self.offset = (storage, dtype, numel,
                                                                        key, offset)


def _int(value, what: str, lo: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise pickle.UnpicklingError(f"{what} must be an int, got {type(value).__name__}")
    if not lo <= value < 2 ** 62:
        raise ValueError(f"{what} = {value} is out of range")
    return int(value)


def _view(st, storage_offset, size, stride, dtype=None) -> Tensor:
    """A tensor over a loaded storage, after checking the view stays inside it."""
    if not isinstance(st, _LoadedStorage):
        raise pickle.UnpicklingError(f"expected a storage, got {type(st).__name__}")
    if not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)):
        raise pickle.UnpicklingError("tensor size and stride must be tuples")
    if len(size) != len(stride) or len(size) > _MAX_DIMS:
        raise ValueError(f"tensor size {tuple(size)} and stride {tuple(stride)} don't match")
    offset = _int(storage_offset, "storage offset")
    shape = tuple(_int(n, "size") for n in size)
    strides = tuple(_int(s, "stride") for s in stride)
    numel = 1
    for n in shape:
        numel *= n
    if numel >= 2 ** 62:
        raise ValueError(f"tensor size {shape} is too large")
    last = offset + sum((n - 1) * s for n, s in zip(shape, strides)) if numel else offset - 1
    if last >= st.numel:
        raise ValueError(
            f"tensor of size {shape}, stride {strides} at offset {offset} reaches element {last} "
            f"of storage '{st.key}', which holds {st.numel} elements (corrupted file?)")
    return Tensor._make(st.storage, shape, strides, st.offset + offset, st.dtype)


def _set_requires_grad(t: Tensor, requires_grad) -> Tensor:
    if not isinstance(requires_grad, bool):
        raise pickle.UnpicklingError(f"requires_grad must be a bool, got {requires_grad!r}")
    if requires_grad:
        t.requires_grad_(True)
    return t


def _set_state(t: Tensor, state) -> Tensor:
    """Python attributes saved with a tensor; never ones that shadow Tensor's own."""
    if not state:
        return t
    if not isinstance(state, dict):
        raise pickle.UnpicklingError(f"tensor state must be a dict, got {type(state).__name__}")
    for key, value in state.items():
        if not isinstance(key, str) or key.startswith("_") or hasattr(Tensor, key):
            raise pickle.UnpicklingError(f"refusing to set tensor attribute {key!r}")
        setattr(t, key, value)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None) -> Tensor:
    return _set_requires_grad(_view(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    return _view(storage, storage_offset, size, stride)


def _as_parameter(data: Tensor, requires_grad):
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"a Parameter's data must be a tensor, got {type(data)}")
    cls = _parameter_class()
    if not isinstance(requires_grad, bool):
        raise pickle.UnpicklingError(f"requires_grad must be a bool, got {requires_grad!r}")
    return cls(data, requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    return _as_parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_as_parameter(data, requires_grad), state)


_REBUILDERS = (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter,
               _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDERS or not isinstance(args, tuple):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 can't call {func!r}")
    t = func(*args)
    if not isinstance(new_type, type) or not issubclass(new_type, Tensor):
        raise pickle.UnpicklingError(f"{new_type!r} is not a tensor class")
    if type(t) is not new_type:
        t = Tensor._make(t._storage, t._shape, t._stride, t._offset, t._dtype, cls=new_type)
        t._requires_grad = args[4] if func is _rebuild_tensor_v2 and len(args) > 4 else False
    return _set_state(t, state)


def _unsupported(name: str):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"the checkpoint holds a tensor saved with torch._utils.{name} "
                           "(sparse, quantized, nested, meta or subclass tensors), which ember "
                           "does not support")
    refuse.__name__ = name
    return refuse


def _encode(text, encoding="utf-8"):
    """``_codecs.encode``: how protocol 2 pickles ``bytes``; only these two codecs."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise pickle.UnpicklingError(f"_codecs.encode({type(text).__name__}, {encoding!r}) "
                                     "is not allowed")
    return text.encode(encoding)


def _torch_names() -> dict:
    """torch's (module.name) globals that a checkpoint may use -> ember's objects."""
    names = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "builtins.set": set, "builtins.frozenset": frozenset, "builtins.bytearray": bytearray,
        "builtins.bytes": bytes, "builtins.complex": complex, "_codecs.encode": _encode,
        "torch.Size": Size, "torch.device": _device, "torch.Tensor": Tensor,
        "torch.nn.parameter.Parameter": _parameter_class(),
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    }
    for fn in ("_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage",
               "_rebuild_nested_tensor", "_rebuild_wrapper_subclass", "_rebuild_tensor_v3",
               "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor"):
        names[f"torch._utils.{fn}"] = _unsupported(fn)
    for d in D.ALL + D.COMPLEX:
        names[f"torch.{d.name}"] = d
        for alias in d._aliases:
            names[f"torch.{alias}"] = d
        names[f"torch.{_STORAGE_NAMES[d]}"] = _StorageType(d)
    return names


class _WeightsOnly(WeightsOnlyUnpickler):
    def find_class(self, module: str, name: str):
        full = f"{module}.{name}"
        if full in _NO_EQUIVALENT:
            raise pickle.UnpicklingError(f"the checkpoint uses {full}, which ember has no "
                                         "equivalent of")
        return super().find_class(module, name)


def _unpickler(file, persistent_load, weights_only: bool, pickle_module, load_args: dict):
    names = _torch_names()
    if weights_only:
        return _WeightsOnly(file, names, persistent_load, no_state=(Tensor,), **load_args)
    if pickle_module is not None and pickle_module is not pickle:
        u = pickle_module.Unpickler(file, **load_args)
        u.persistent_load = persistent_load
        return u
    return TrustingUnpickler(file, names, persistent_load, **load_args)


# ---- map_location -------------------------------------------------------------------

def _move(storage: Storage, dtype, location: str):
    """The storage on the device named by ``location`` (torch's default_restore_location)."""
    try:
        dev = _device(location)
    except (RuntimeError, TypeError, ValueError):
        raise RuntimeError(f"don't know how to restore data location of storage tagged with "
                           f"'{location}'") from None
    if dev.type == "cpu":
        return storage
    if dev.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use ember.load with "
                "map_location=ember.device('cpu') to map your storages to the CPU.")
        flat = Tensor._make(storage, (storage.data.size,), (1,), 0, dtype)
        return flat.to(dev)._storage
    raise RuntimeError(f"can't restore a storage to device '{location}'")


def _restorer(map_location):
    """A function (cpu Storage, dtype, saved location) -> Storage on the wanted device."""
    if map_location is None:
        return lambda s, dtype, loc: _move(s, dtype, loc)
    if isinstance(map_location, dict):
        table = {str(k): str(v) for k, v in map_location.items()}
        return lambda s, dtype, loc: _move(s, dtype, table.get(loc, loc))
    if isinstance(map_location, (str, bytes, _device)):
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
        return lambda s, dtype, loc: _move(s, dtype, target)
    if callable(map_location):
        def call(s, dtype, loc):
            flat = Tensor._make(s, (s.data.size,), (1,), 0, dtype)
            result = map_location(flat, loc)
            if result is None:
                return _move(s, dtype, loc)
            if not isinstance(result, Tensor) or result.dtype is not dtype \
                    or result.numel() != s.data.size:
                raise TypeError("map_location(storage, location) must return the storage it was "
                                "given (a 1-D tensor), a copy of it on another device, or None")
            return result._storage
        return call
    raise TypeError(f"map_location must be a device, str, dict or callable, got "
                    f"{type(map_location).__name__}")


def _location(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if not isinstance(value, str):
        raise pickle.UnpicklingError(f"storage location must be a string, got {value!r}")
    return value


def _storage_type(value) -> _StorageType:
    if not isinstance(value, _StorageType):
        raise pickle.UnpicklingError(f"expected a storage type like torch.FloatStorage in a "
                                     f"storage id, got {value!r}")
    return value


# ---- loading: the zip format ---------------------------------------------------------

def _top_folder(reader) -> str:
    pkls = [n[:-len("/data.pkl")] for n in reader.names()
            if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pkls) == 1:
        return pkls[0]
    if any(n.endswith("/constants.pkl") for n in reader.names()):
        raise RuntimeError("this is a TorchScript archive (torch.jit.save); ember.load reads "
                           "checkpoints written by torch.save/ember.save")
    raise ValueError(f"not a checkpoint: the zip archive has {len(pkls)} '<folder>/data.pkl' "
                     "records, expected exactly one")


def _load_zip(fh, restore, weights_only, use_mmap, pickle_module, load_args):
    with _zip.ZipReader(fh) as reader:
        result = _unpickle_zip(reader, restore, weights_only, use_mmap, pickle_module, load_args)
        reader.verify()  # every storage's CRC, before anything is returned
    return result


def _unpickle_zip(reader, restore, weights_only, use_mmap, pickle_module, load_args):
    fh = reader.file
    top = _top_folder(reader)
    for name in (f"{top}/version", f"{top}/.data/version"):
        if reader.has(name):
            text = reader.read_bytes(name).decode("ascii", "replace").strip()
            if not text.isdigit() or not 1 <= int(text) <= _MAX_FILE_VERSION:
                raise RuntimeError(f"unsupported checkpoint format version {text!r} "
                                   f"(ember reads versions 1 to {_MAX_FILE_VERSION})")
            break
    byteorder = fallback_byteorder()
    if reader.has(f"{top}/byteorder"):
        byteorder = reader.read_bytes(f"{top}/byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise ValueError(f"unknown byteorder record {byteorder!r}")
    whole = None
    if use_mmap:
        try:
            fileno = fh.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            raise ValueError("mmap=True needs a file path or a file object with a fileno()") \
                from None
        whole = np.frombuffer(_map_file(fh, fileno), np.uint8)
    loaded = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, stype, key, location, numel = pid
        dtype = _storage_type(stype).dtype
        if not isinstance(key, str):
            raise pickle.UnpicklingError(f"storage key must be a string, got {key!r}")
        numel = _int(numel, "storage size")
        hit = loaded.get(key)
        if hit is not None:
            if hit.dtype is not dtype or hit.numel != numel:
                raise ValueError(f"storage '{key}' is used as both {hit.dtype}[{hit.numel}] and "
                                 f"{dtype}[{numel}]")
            return hit
        name = f"{top}/data/{key}"
        nbytes = numel * dtype.itemsize
        if reader.record_size(name) != nbytes:
            raise ValueError(f"storage record '{name}' holds {reader.record_size(name)} bytes, "
                             f"but the checkpoint declares {numel} x {dtype} = {nbytes} bytes "
                             "(corrupted file?)")
        if _Options.skip_data:  # the tensors' layout only: the bytes stay unread
            array = np.empty(numel, dtype.storage_np)
        else:
            array = _read_storage(reader, name, nbytes, dtype, whole)
        if byteorder != sys.byteorder and dtype.itemsize > 1:
            array.byteswap(inplace=True)
        st = _LoadedStorage(restore(Storage(array), dtype, _location(location)), dtype, numel,
                            key)
        loaded[key] = st
        return st

    data = io.BytesIO(reader.read_bytes(f"{top}/data.pkl"))
    return _unpickler(data, persistent_load, weights_only, pickle_module, load_args).load()


def _map_file(fh, fileno: int):
    """The whole file mapped as get_default_mmap_options() says: privately (copy on
    write) or shared, where writes to the tensors reach the file."""
    if _Options.mmap_flags != getattr(_mmap, "MAP_SHARED", None):
        return _mmap.mmap(fileno, 0, access=_mmap.ACCESS_COPY)
    path = getattr(fh, "name", None)
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise ValueError("mmap.MAP_SHARED needs the checkpoint's path, to map it writable")
    fd = os.open(path, os.O_RDWR)
    try:
        return _mmap.mmap(fd, 0, flags=_mmap.MAP_SHARED)
    finally:
        os.close(fd)  # the mapping keeps its own reference to the file


def _read_storage(reader, name: str, nbytes: int, dtype, whole) -> np.ndarray:
    if whole is not None and nbytes:
        start = reader.data_offset(name)
        if start % dtype.itemsize == 0:  # a mapped view needs aligned elements
            return whole[start:start + nbytes].view(dtype.storage_np)
    array = np.empty(nbytes // dtype.itemsize, dtype.storage_np)
    reader.read_into(name, array, deferred=True)
    return array


# ---- loading: the legacy format ----------------------------------------------------

def _load_legacy(fh, restore, weights_only, pickle_module, load_args):
    def plain(what):
        value = _unpickler(fh, _no_persistent, True, None, load_args).load()
        if not isinstance(value, what):
            raise ValueError(f"legacy checkpoint header is corrupted (got {value!r})")
        return value

    if plain(int) != _LEGACY_MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = plain(int)
    if protocol != _LEGACY_PROTOCOL:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    sys_info = plain(dict)
    little = sys_info.get("little_endian", True)
    start = fh.tell()
    remaining = fh.seek(0, 2) - start
    fh.seek(start)
    roots = {}  # key -> (_LoadedStorage over the whole root storage, numpy array to fill)

    def persistent_load(pid):
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        kind = _location(pid[0])
        if kind == "module" and not weights_only and len(pid) == 4:
            return pid[1]
        if kind != "storage" or len(pid) != 6:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, stype, key, location, numel, view = pid
        dtype = _storage_type(stype).dtype
        numel = _int(numel, "storage size")
        if not isinstance(key, str):
            raise pickle.UnpicklingError(f"storage key must be a string, got {key!r}")
        root = roots.get(key)
        if root is None:
            if numel * dtype.itemsize > remaining:
                raise ValueError(f"storage '{key}' declares {numel} elements, more than the "
                                 "file holds (truncated or corrupted file?)")
            array = np.empty(numel, dtype.storage_np)
            storage = restore(Storage(array), dtype, _location(location))
            if storage.data is not array:
                raise NotImplementedError("legacy checkpoints load onto the CPU only; pass "
                                          "map_location='cpu' and move the tensors afterwards")
            root = (_LoadedStorage(storage, dtype, numel, key), array)
            roots[key] = root
        st = root[0]
        if st.dtype is not dtype:
            raise ValueError(f"storage '{key}' is used as both {st.dtype} and {dtype}")
        if view is None:
            return st
        if not isinstance(view, tuple) or len(view) != 3:
            raise pickle.UnpicklingError(f"bad storage view {view!r}")
        view_key, offset, size = view
        offset, size = _int(offset, "view offset"), _int(size, "view size")
        if offset + size > st.numel:
            raise ValueError(f"storage view '{view_key}' runs past its storage '{key}'")
        return _LoadedStorage(st.storage, dtype, size, str(view_key), offset)

    result = _unpickler(fh, persistent_load, weights_only, pickle_module, load_args).load()
    keys = _unpickler(fh, _no_persistent, True, None, load_args).load()
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(roots):
        raise ValueError("legacy checkpoint's storage list doesn't match its tensors")
    for key in keys:
        st, array = roots[key]
        head = fh.read(8)
        if len(head) != 8:
            raise EOFError(f"legacy checkpoint is truncated before storage '{key}'")
        count = int.from_bytes(head, "little" if little else "big", signed=True)
        if count != st.numel:
            raise ValueError(f"storage '{key}' holds {count} elements on disk, {st.numel} "
                             "declared (corrupted file?)")
        view = memoryview(array).cast("B")
        if fh.readinto(view) != len(view):
            raise EOFError(f"legacy checkpoint is truncated inside storage '{key}'")
        if (sys.byteorder == "little") != little and st.dtype.itemsize > 1:
            array.byteswap(inplace=True)
    return result


def _no_persistent(pid):
    raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")


# ---- load ------------------------------------------------------------------------------

_UNSAFE = ("Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but "
           "it can result in arbitrary code execution. Do it only if you got the file from a "
           "trusted source.")
_CLEAN = (pickle.UnpicklingError, ValueError, RuntimeError, EOFError, zipfile.BadZipFile, OSError,
          NotImplementedError, MemoryError)


def load(f, map_location=None, pickle_module=None, *, weights_only: bool = True,
         mmap: bool = False, **pickle_load_args):
    """Loads an object saved with ``ember.save`` or ``torch.save`` (zip or legacy format).

    Args:
        f: a path or a readable, seekable binary file object.
        map_location: where storages go: a device or string (all storages), a dict mapping
            saved locations to new ones (``{"cuda:0": "cpu"}``), or a callable
            ``(storage, location) -> storage or None`` that receives each storage as a 1-D CPU
            tensor and returns it (or a copy on another device); None keeps saved locations.
        weights_only: True (the default) unpickles only tensors, containers, numbers,
            strings and allow-listed globals (see ``ember.serialization.add_safe_globals``);
            anything else raises ``pickle.UnpicklingError``. False unpickles arbitrary objects,
            which runs whatever code the file asks for: only use it on files you trust.
        mmap: map storages from the file instead of reading them (zip format only); pages are
            read on first touch and writes stay private to this process.

    Example:
        >>> sd = ember.load("model.pt", map_location="cpu")
    """
    if pickle_module is not None and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified; pass weights_only=False to use your own pickle module")
    if not isinstance(weights_only, bool) or not isinstance(mmap, bool):
        raise TypeError("weights_only and mmap must be bools")
    pickle_load_args.setdefault("encoding", "utf-8")
    restore = _restorer(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load_file(fh, os.fspath(f), restore, weights_only, mmap, pickle_module,
                              pickle_load_args)
    if not hasattr(f, "read"):
        raise TypeError(f"f must be a path or a binary file object, got {type(f).__name__}")
    fh = f
    if not (hasattr(f, "seekable") and f.seekable()):
        if mmap:
            raise ValueError("mmap=True needs a seekable file")
        fh = io.BytesIO(f.read())
    return _load_file(fh, getattr(f, "name", "<file>"), restore, weights_only, mmap,
                      pickle_module, pickle_load_args)


def _load_file(fh, name, restore, weights_only, use_mmap, pickle_module, load_args):
    start = fh.tell()
    head = fh.read(512)
    fh.seek(start)
    try:
        if not head:
            raise EOFError(f"{name}: the file is empty")
        if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
            return _load_zip(fh, restore, weights_only, use_mmap, pickle_module, load_args)
        if len(head) >= 262 and head[257:262] == b"ustar":
            raise RuntimeError(f"{name}: checkpoints in the tar format of torch < 0.4 are not "
                               "supported; load and re-save them with an older torch")
        if use_mmap:
            raise RuntimeError("mmap can only be used with files saved in the zip format "
                               "(torch >= 1.6 or ember)")
        if head[:1] != b"\x80":
            raise pickle.UnpicklingError(f"{name}: not a checkpoint (neither a zip archive nor "
                                         f"a pickle stream; starts with {head[:8]!r})")
        return _load_legacy(fh, restore, weights_only, pickle_module, load_args)
    except pickle.UnpicklingError as e:
        if weights_only and "allowed global" in str(e):
            raise pickle.UnpicklingError(f"Weights only load failed. {_UNSAFE}\n{e}") from None
        raise
    except _CLEAN:
        raise
    except Exception as e:
        if not weights_only:
            raise
        # Damaged pickles surface as IndexError/KeyError/TypeError/... inside the unpickler.
        raise pickle.UnpicklingError(f"{name}: corrupted checkpoint "
                                     f"({type(e).__name__}: {e})") from e


# ---- plain pickling (DataLoader workers) ---------------------------------------------------

def _rebuild_pickled(raw: np.ndarray, dtype_name: str, requires_grad: bool,
                     device: str = "cpu"):
    from .ops.creation import from_numpy
    dtype = D._dtype_by_name(dtype_name)
    t = from_numpy(raw) if dtype is not D.bfloat16 else from_numpy(raw.view(np.int16))
    t = Tensor._make(t._storage, t._shape, t._stride, t._offset, dtype)
    if device != "cpu":
        t = t.to(device)
    t._requires_grad = requires_grad
    return t


def _reduce_tensor(t):
    raw = t.detach().contiguous().cpu()._np().copy()
    return (_rebuild_pickled, (raw, t.dtype.name, t.requires_grad, str(t.device)))


# ---- inspecting checkpoints and small helpers -------------------------------------------------

def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The ``module.name`` globals of a zip checkpoint that ``ember.load(weights_only=True)``
    would refuse (neither allowed by default nor added with ``add_safe_globals``), found by
    reading the pickle's opcodes: nothing in the file runs. Globals that only a running
    unpickler would build (a STACK_GLOBAL over computed names) are not seen.

    Example:
        >>> ember.serialization.get_unsafe_globals_in_checkpoint("run.pt")
        ['__main__.Config']
    """
    with contextlib.ExitStack() as stack:
        fh = (stack.enter_context(open(f, "rb")) if isinstance(f, (str, os.PathLike)) else f)
        start = fh.tell()
        magic = fh.read(4)
        fh.seek(start)
        if magic != b"PK\x03\x04":
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        with _zip.ZipReader(fh) as reader:
            if any(n.endswith("/constants.pkl") for n in reader.names()):
                raise ValueError("Expected input to be a checkpoint returned by torch.save but "
                                 "got a torchscript checkpoint")
            data = reader.read_bytes(f"{_top_folder(reader)}/data.pkl")
    allowed = set(_torch_names()) | set(_USER_SAFE)
    return sorted(globals_in_pickle(data) - allowed)


class SourceChangeWarning(Warning):
    """The source of a class saved whole has changed since the checkpoint was written."""


@contextlib.contextmanager
def mkdtemp():
    """A new temporary folder for the block, removed with its contents after it.

    Example:
        >>> with ember.serialization.mkdtemp() as folder:
        ...     ember.save(ember.ones(2), os.path.join(folder, "t.pt"))
    """
    path = tempfile.mkdtemp()
    try:
        yield path
    finally:
        shutil.rmtree(path)


def check_module_version_greater_or_equal(module, req_version_tuple: tuple,
                                          error_if_malformed: bool = True) -> bool:
    """Whether ``module.__version__`` is at least req_version_tuple, comparing field by
    field in the tuple's types. A version that can't be read so raises RuntimeError (or,
    with ``error_if_malformed=False``, warns and counts as met).

    Example:
        >>> import numpy
        >>> ember.serialization.check_module_version_greater_or_equal(numpy, (1, 0))
        True
    """
    try:
        fields = module.__version__.split(".")
        have = tuple(type(want)(fields[i]) for i, want in enumerate(req_version_tuple))
        return have >= req_version_tuple
    except Exception as e:
        message = (f"'{module.__name__}' module version string is malformed "
                   f"'{getattr(module, '__version__', None)}' and cannot be compared with "
                   f"tuple {req_version_tuple}")
        if error_if_malformed:
            raise RuntimeError(message) from e
        warnings.warn(message + ", but continuing assuming that requirement is met",
                      stacklevel=2)
        return True
