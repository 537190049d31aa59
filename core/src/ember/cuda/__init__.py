"""ember.cuda: GPU availability, devices, streams, events and memory statistics (CuPy).

Without CuPy, or without a GPU, ``is_available()`` is False and asking for a CUDA
tensor raises a clear error; importing ember never needs CuPy.

Example:
    >>> if ember.cuda.is_available():
    ...     with ember.cuda.device(0), ember.cuda.stream(ember.cuda.Stream()):
    ...         y = ember.ones(3, device="cuda") * 2
    ...     ember.cuda.synchronize()
"""

from __future__ import annotations

import functools

from .._errors import AcceleratorError, OutOfMemoryError
from .._stream_event import Event as _AnyEvent
from .._stream_event import Stream as _AnyStream
from ..backends.cuda import stream_uses as _stream_uses

has_half = True  # every CUDA device ember runs on computes in float16

@functools.lru_cache(maxsize=None)
def _cupy():
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        return cupy
    except Exception:  # noqa: BLE001 - any failure means no usable GPU
        return None


def is_available() -> bool:
    """Whether CuPy and at least one CUDA device are present."""
    return _cupy() is not None


def require():
    cp = _cupy()
    if cp is None:
        raise RuntimeError("CUDA is not available: ember's GPU backend needs CuPy (pip install "
                           "'ember[cuda]') and an NVIDIA GPU with a working driver")
    return cp


def _index(device) -> int:
    """None/int/str/ember.device -> a device ordinal (None: the current device)."""
    if device is None:
        return require().cuda.Device().id
    if isinstance(device, int):
        return device
    from .._device import as_device
    d = as_device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index if d.index is not None else require().cuda.Device().id


def device_count() -> int:
    cp = _cupy()
    return cp.cuda.runtime.getDeviceCount() if cp is not None else 0


def current_device() -> int:
    return require().cuda.Device().id


def set_device(device) -> None:
    require().cuda.Device(_index(device)).use()


class device:
    """Context manager that makes ``device`` current and restores the previous one.

    Example:
        >>> with ember.cuda.device(1):
        ...     x = ember.zeros(2, device="cuda")   # on cuda:1
    """

    def __init__(self, device):
        self.idx = _index(device) if device is not None and device != -1 else -1
        self.prev = -1

    def __enter__(self):
        if self.idx != -1:
            cp = require()
            self.prev = cp.cuda.Device().id
            cp.cuda.Device(self.idx).use()
        return self

    def __exit__(self, *exc):
        if self.prev != -1:
            require().cuda.Device(self.prev).use()
        return False


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


class _Properties:
    __slots__ = ("name", "total_memory", "major", "minor", "multi_processor_count")

    def __init__(self, props: dict):
        self.name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        self.total_memory = int(props["totalGlobalMem"])
        self.major, self.minor = int(props["major"]), int(props["minor"])
        self.multi_processor_count = int(props["multiProcessorCount"])

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // 2 ** 20}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None) -> _Properties:
    return _Properties(require().cuda.runtime.getDeviceProperties(_index(device)))


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return p.major, p.minor


def synchronize(device=None) -> None:
    """Waits for all work on the device (default: the current one). An error of a kernel
    that ran asynchronously surfaces here, as ember.AcceleratorError."""
    cp = require()
    with cp.cuda.Device(_index(device)):
        try:
            cp.cuda.Device().synchronize()
        except cp.cuda.runtime.CUDARuntimeError as exc:
            raise AcceleratorError(f"CUDA error: {exc}", exc.status) from exc
    _stream_uses.release_completed()


# ---- streams and events -------------------------------------------------------------

class Stream(_AnyStream):
    """A CUDA stream (a CuPy stream underneath); kernels launched inside
    ``with ember.cuda.stream(s)`` are queued on it. An ember.Stream, as torch's.

    Example:
        >>> s = ember.cuda.Stream()
        >>> with ember.cuda.stream(s):
        ...     y = x * 2
        >>> s.synchronize()
    """

    def __init__(self, device=None, priority: int = 0, *, _wrap=None):
        cp = require()
        if _wrap is not None:
            self._s = _wrap
            self.device_index = cp.cuda.Device().id
            return
        self.device_index = _index(device)
        with cp.cuda.Device(self.device_index):
            self._s = cp.cuda.Stream(non_blocking=True, priority=priority)

    @property
    def cuda_stream(self) -> int:
        return self._s.ptr

    @property
    def stream_id(self) -> int:
        return self._s.ptr

    @property
    def native_handle(self) -> int:
        return self._s.ptr

    def is_capturing(self) -> bool:
        capturing = getattr(self._s, "is_capturing", None)
        return bool(capturing()) if capturing is not None else False

    def synchronize(self) -> None:
        self._s.synchronize()

    def query(self) -> bool:
        return self._s.done

    def wait_event(self, event: Event) -> None:
        self._s.wait_event(event._e)

    def wait_stream(self, stream: Stream) -> None:
        self.wait_event(stream.record_event())

    def record_event(self, event: Event | None = None) -> Event:
        event = event or Event()
        event.record(self)
        return event

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream) and self._s.ptr == other._s.ptr

    def __hash__(self) -> int:
        return hash(self._s.ptr)

    def __enter__(self):
        self._s.__enter__()
        return self

    def __exit__(self, *exc):
        return self._s.__exit__(*exc)


class ExternalStream(Stream):
    """A stream made elsewhere (another library, a CUDA API call), known by its address;
    ember queues work on it but never destroys it.

    Example:
        >>> raw = cupy.cuda.Stream(non_blocking=True)
        >>> with ember.cuda.stream(ember.cuda.ExternalStream(raw.ptr)):
        ...     y = x * 2
    """

    def __init__(self, stream_ptr: int, device=None):
        cp = require()
        self.device_index = _index(device)
        self._s = cp.cuda.ExternalStream(stream_ptr, self.device_index)


class Event(_AnyEvent):
    """A CUDA event: ``record`` on a stream, ``synchronize``, ``elapsed_time`` (ms). An
    ember.Event, as torch's."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False):
        cp = require()
        self._e = cp.cuda.Event(block=blocking, disable_timing=not enable_timing,
                                interprocess=interprocess)
        self.device_index = cp.cuda.Device().id
        self._enable_timing = enable_timing

    @property
    def event_id(self) -> int:
        return self._e.ptr

    def record(self, stream: Stream | None = None) -> None:
        self._e.record((stream or current_stream())._s)

    def wait(self, stream: Stream | None = None) -> None:
        (stream or current_stream()).wait_event(self)

    def query(self) -> bool:
        return self._e.done

    def synchronize(self) -> None:
        self._e.synchronize()

    def elapsed_time(self, end_event: Event) -> float:
        return float(require().cuda.get_elapsed_time(self._e, end_event._e))


def current_stream(device=None) -> Stream:
    cp = require()
    with cp.cuda.Device(_index(device)):
        return Stream(_wrap=cp.cuda.get_current_stream())


def default_stream(device=None) -> Stream:
    cp = require()
    with cp.cuda.Device(_index(device)):
        return Stream(_wrap=cp.cuda.Stream.null)


class StreamContext:
    """Context manager making stream current inside the block (None: no change); what
    ``ember.cuda.stream`` returns.

    Example:
        >>> s = ember.cuda.Stream()
        >>> with ember.cuda.StreamContext(s):
        ...     assert ember.cuda.current_stream() == s
    """

    def __init__(self, stream: Stream | None):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None:
            self.stream.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            self.stream.__exit__(*exc)
        return False


def stream(stream: Stream | None) -> StreamContext:
    """``with ember.cuda.stream(s):`` queues the block's kernels on s (None: no change)."""
    return StreamContext(stream)


def set_stream(stream: Stream | None) -> None:
    """Makes stream current, and its device the current GPU, outside any ``with`` block
    (None: no change); prefer ``ember.cuda.stream(s)``, which restores the previous one.

    Example:
        >>> ember.cuda.set_stream(ember.cuda.Stream())
    """
    if stream is None:
        return
    set_device(stream.device_index)
    stream._s.use()


def is_current_stream_capturing() -> bool:
    """Whether the current stream is recording a CUDA graph (False where none is)."""
    cp = _cupy()
    if cp is None:
        return False
    capturing = getattr(cp.cuda.get_current_stream(), "is_capturing", None)
    return bool(capturing()) if capturing is not None else False


class device_of(device):
    """Context manager making obj's GPU current (a CPU tensor changes nothing), as
    ``ember.cuda.device``.

    Example:
        >>> with ember.cuda.device_of(x):   # x on cuda:1
        ...     y = ember.empty(2, device="cuda")   # on cuda:1 too
    """

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


# ---- seeds ----------------------------------------------------------------------------
# CUDA tensors draw from ember's default generator (seed + Philox offset), so a seed
# gives the same numbers on the CPU and the GPU.

def manual_seed(seed: int) -> None:
    from .._generator import default_generator
    default_generator.manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)


def seed() -> None:
    from .._generator import default_generator
    default_generator.seed()


def initial_seed() -> int:
    from .._generator import default_generator
    return default_generator.initial_seed()


def seed_all() -> None:
    seed()


def get_rng_state(device="cuda"):
    """The generator state CUDA draws use (ember's default generator, as a uint8 tensor)."""
    from .._generator import default_generator
    return default_generator.get_state()


def get_rng_state_all() -> list:
    return [get_rng_state(i) for i in range(max(device_count(), 1))]


def set_rng_state(new_state, device="cuda") -> None:
    from .._generator import default_generator
    default_generator.set_state(new_state)


def set_rng_state_all(new_states) -> None:
    for state in new_states:
        set_rng_state(state)



# ---- memory statistics (CuPy's memory pool) ---------------------------------------------
# CuPy's pool serves every device; allocated/reserved are the pool's used/total bytes
# of the given device, and the peak is sampled at each query (CuPy keeps no peak).

_peak: dict = {}


def _pool(device=None):
    cp = require()
    with cp.cuda.Device(_index(device)):
        return cp.get_default_memory_pool()


def memory_allocated(device=None) -> int:
    """Bytes held by live tensors on the device."""
    with require().cuda.Device(_index(device)):
        used = _pool(device).used_bytes()
    idx = _index(device)
    _peak[idx] = max(_peak.get(idx, 0), used)
    return used


def memory_reserved(device=None) -> int:
    """Bytes the caching allocator holds (live plus cached blocks)."""
    with require().cuda.Device(_index(device)):
        return _pool(device).total_bytes()


def max_memory_allocated(device=None) -> int:
    memory_allocated(device)
    return _peak[_index(device)]


def reset_peak_memory_stats(device=None) -> None:
    _peak[_index(device)] = 0
    memory_allocated(device)


def memory_stats(device=None) -> dict:
    """Bytes allocated (now and at the peak) and reserved, and ember's accumulated counters
    (``num_ooms``, ``num_alloc_retries``), under torch's key names."""
    return {"allocated_bytes.all.current": memory_allocated(device),
            "allocated_bytes.all.peak": max_memory_allocated(device),
            "reserved_bytes.all.current": memory_reserved(device),
            **memory.accumulated(_index(device))}


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of the device."""
    cp = require()
    with cp.cuda.Device(_index(device)):
        return cp.cuda.runtime.memGetInfo()


def empty_cache() -> None:
    """Returns the pool's cached (unused) blocks to the driver."""
    _stream_uses.release_completed()
    require().get_default_memory_pool().free_all_blocks()


def max_memory_reserved(device=None) -> int:
    """The most the pool has held: CuPy's pool never shrinks on its own, so its total."""
    return memory_reserved(device)


def reset_max_memory_allocated(device=None) -> None:
    reset_peak_memory_stats(device)


# torch's deprecated names from when the reserved memory was called cached
memory_cached = memory_reserved
max_memory_cached = max_memory_reserved
reset_max_memory_cached = reset_max_memory_allocated


def set_per_process_memory_fraction(fraction: float, device=None) -> None:
    """Caps the pool at fraction of the device's memory; past it, allocation raises
    OutOfMemoryError."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    with require().cuda.Device(_index(device)):
        _pool(device).set_limit(fraction=fraction)
    _fractions[_index(device)] = float(fraction)


_fractions: dict = {}  # device index -> the fraction set last


def get_per_process_memory_fraction(device=None) -> float:
    """The share of the device's memory the pool may hold (1.0 until one is set)."""
    return _fractions.get(_index(device), 1.0)


def ipc_collect() -> None:
    """Nothing to do: ember shares no CUDA memory between processes through IPC."""


# ---- capabilities and initialization ----------------------------------------------------

def is_initialized() -> bool:
    """Whether CUDA is set up: ember initializes it with CuPy on first use."""
    return is_available()


def init() -> None:
    """Initializes CUDA now rather than at the first GPU tensor; raises where it cannot."""
    require()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether the current device computes in bfloat16: natively from compute capability
    8.0 (Ampere), and emulated through float32 on any device when including_emulation."""
    if not is_available():
        return False
    return including_emulation or get_device_capability()[0] >= 8


def is_tf32_supported() -> bool:
    """Whether the current device has TF32 tensor cores (compute capability 8.0 and up)."""
    return is_available() and get_device_capability()[0] >= 8


def get_arch_list() -> list:
    """The architectures ember's kernels build for: the current devices' own, since CuPy
    compiles each kernel for the device it runs on."""
    if not is_available():
        return []
    return sorted({"sm_%d%d" % get_device_capability(i) for i in range(device_count())})


def can_device_access_peer(device, peer_device) -> bool:
    """Whether device can read peer_device's memory directly."""
    a, b = _index(device), _index(peer_device)
    if a == b:
        return False
    return bool(require().cuda.runtime.deviceCanAccessPeer(a, b))


from . import amp  # noqa: E402  (torch's older ember.cuda.amp spellings)
from . import memory  # noqa: E402
from .memory import (list_gpu_processes, memory_snapshot,  # noqa: E402
                     memory_stats_as_nested_dict, memory_summary,
                     reset_accumulated_memory_stats)
from .sync_debug import get_sync_debug_mode, set_sync_debug_mode  # noqa: E402


def __getattr__(name: str):
    # looked up when asked, so importing ember never touches CuPy
    if name == "default_generators":  # ember's one default generator for every device
        from .._generator import default_generator
        return (default_generator,) * device_count()
    if name.endswith("Tensor"):  # the legacy CUDA tensor types, ember.cuda.FloatTensor ...
        from .._legacy_types import CUDA_TYPES
        if name in CUDA_TYPES:
            return CUDA_TYPES[name]
    if name.endswith("Storage"):  # the legacy CUDA storage classes, ember.cuda.FloatStorage
        from ..storage import LEGACY_CUDA
        if name in LEGACY_CUDA:
            return LEGACY_CUDA[name]
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
