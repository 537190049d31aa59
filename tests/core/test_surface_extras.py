"""Ember-only facts of the smaller API surface: the ember.cuda helpers (memory reports,
streams, sync debug mode, record_stream, out-of-memory translation), which run on a GPU
or on the host stand-in (EMBER_TEST_HOST_CUDA=1), and the CPU-side errors."""

import gc
import types
import warnings

import pytest

import ember
from ember.backends.cuda import stream_uses

needs_cuda = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CUDA (or "
                                "EMBER_TEST_HOST_CUDA=1)")


def _host_cupy():
    """The host stand-in when it runs, else None (a real CuPy)."""
    cp = ember.cuda._cupy()
    return cp if not hasattr(cp.cuda, "memory") else None


def test_cpu_side_constants_and_errors():
    assert ember.cuda.has_half is True
    assert ember.cuda.get_sync_debug_mode() == 0
    assert len(ember.cuda.default_generators) == ember.cuda.device_count()
    assert ember.cuda.is_current_stream_capturing() is False
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="expected an ember.cuda.Stream, got NoneType"):
        x.record_stream(None)
    assert ember.cuda.stream(None).__enter__() is None
    assert ember.cuda.set_stream(None) is None


def test_sync_debug_mode_values():
    for mode, number in (("warn", 1), ("error", 2), ("default", 0), (2, 2), (0, 0)):
        ember.cuda.set_sync_debug_mode(mode)
        assert ember.cuda.get_sync_debug_mode() == number
    with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`"):
        ember.cuda.set_sync_debug_mode("loud")
    assert ember.cuda.get_sync_debug_mode() == 0


@needs_cuda
def test_sync_debug_mode_flags_copies_to_the_cpu():
    x = ember.full((2,), 3.0, device="cuda")
    try:
        ember.cuda.set_sync_debug_mode("warn")
        with pytest.warns(UserWarning, match="called a synchronizing CUDA operation"):
            assert x.sum().item() == 6.0
        with pytest.warns(UserWarning, match="synchronizing"):
            assert x.cpu().tolist() == [3.0, 3.0]
        ember.cuda.set_sync_debug_mode("error")
        with pytest.raises(RuntimeError, match="called a synchronizing CUDA operation"):
            x.sum().item()
    finally:
        ember.cuda.set_sync_debug_mode(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.cpu().tolist() == [3.0, 3.0]


@needs_cuda
def test_memory_reports_show_the_pool(monkeypatch):
    host = _host_cupy()
    keep = ember.ones(1 << 14, device="cuda")
    if host is not None:
        monkeypatch.setattr(host._pool, "used_bytes", lambda: 65536)
        monkeypatch.setattr(host._pool, "total_bytes", lambda: 1 << 20)
    allocated = ember.cuda.memory_allocated()
    reserved = ember.cuda.memory_reserved()
    assert allocated >= keep.nbytes and reserved >= allocated
    summary = ember.cuda.memory_summary()
    assert f"({allocated} bytes)" in summary and f"({reserved} bytes)" in summary
    assert "Allocated memory (current)" in summary
    assert summary == ember.cuda.memory_summary(abbreviated=True)
    nested = ember.cuda.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["current"] == allocated
    assert nested["reserved_bytes"]["all"]["current"] == reserved
    assert nested["num_ooms"] == ember.cuda.memory_stats()["num_ooms"]
    snapshot = ember.cuda.memory_snapshot()
    assert snapshot[0]["device"] == 0 and snapshot[0]["total_size"] == reserved
    assert snapshot[0]["allocated_size"] == allocated
    assert snapshot[0]["free_size"] == reserved - allocated
    report = ember.cuda.list_gpu_processes()
    assert report.startswith("GPU:0\nprocess") and f"{reserved / 2 ** 20:.3f} MB" in report


@needs_cuda
def test_per_process_memory_fraction_round_trips(monkeypatch):
    host = _host_cupy()
    if host is not None:
        monkeypatch.setattr(host._pool, "set_limit", lambda fraction: None, raising=False)
    assert ember.cuda.get_per_process_memory_fraction() == 1.0
    ember.cuda.set_per_process_memory_fraction(0.5)
    try:
        assert ember.cuda.get_per_process_memory_fraction(0) == 0.5
    finally:
        ember.cuda.set_per_process_memory_fraction(1.0)
    assert ember.cuda.get_per_process_memory_fraction() == 1.0


@needs_cuda
def test_streams_switch_the_current_stream():
    before = ember.cuda.current_stream()
    side = ember.cuda.Stream()
    assert side != before
    with ember.cuda.StreamContext(side) as entered:
        assert entered is side and ember.cuda.current_stream() == side
    assert ember.cuda.current_stream() == before
    with ember.cuda.stream(side):
        assert ember.cuda.current_stream() == side
    assert isinstance(ember.cuda.stream(side), ember.cuda.StreamContext)
    try:
        ember.cuda.set_stream(side)
        assert ember.cuda.current_stream() == side
        ember.accelerator.set_stream(before)
        assert ember.cuda.current_stream() == before
    finally:
        ember.cuda.set_stream(before)
    external = ember.cuda.ExternalStream(side.cuda_stream)
    assert external.cuda_stream == side.cuda_stream and external == side
    with ember.cuda.stream(external):
        assert ember.cuda.current_stream().cuda_stream == side.cuda_stream


@needs_cuda
def test_device_of_makes_a_tensors_device_current():
    on_gpu, on_cpu = ember.ones(1, device="cuda"), ember.ones(1)
    with ember.cuda.device_of(on_gpu) as ctx:
        assert ctx.idx == on_gpu.get_device() == ember.cuda.current_device()
    assert ember.cuda.device_of(on_cpu).idx == -1
    assert isinstance(ember.cuda.device_of(on_cpu), ember.cuda.device)


@needs_cuda
def test_record_stream_holds_memory_until_the_stream_is_done():
    stream_uses.release_completed()
    side = ember.cuda.Stream()
    x = ember.ones(256, device="cuda")
    memory = x._storage._memory
    x.record_stream(side)
    x.record_stream(side)  # once per stream
    del x
    gc.collect()
    assert len(stream_uses._held) == 1 and stream_uses._held[0][1] is memory
    event = stream_uses._held[0][0]
    if _host_cupy() is not None:
        event._e.done = False  # the stand-in's work is always done: stall the stream
    else:
        side.synchronize()
    if not event.query():
        assert stream_uses.release_completed() == 0 and len(stream_uses._held) == 1
        event._e.done = True
    assert stream_uses.release_completed() == 1 and stream_uses._held == []
    with pytest.raises(RuntimeError, match="'CPU' backend"):
        ember.ones(2).record_stream(side)


@needs_cuda
def test_failed_allocation_raises_out_of_memory_error(monkeypatch):
    cp = ember.cuda._cupy()
    ember.cuda.reset_accumulated_memory_stats()
    host = _host_cupy()
    if host is not None:
        class CupyOutOfMemory(MemoryError):
            pass

        def refuse(nbytes):
            raise CupyOutOfMemory(f"Out of memory allocating {nbytes:,} bytes")

        monkeypatch.setattr(cp.cuda, "memory",
                            types.SimpleNamespace(OutOfMemoryError=CupyOutOfMemory),
                            raising=False)
        monkeypatch.setattr(cp.cuda, "alloc", refuse)
    with pytest.raises(ember.OutOfMemoryError,
                       match="CUDA out of memory. Tried to allocate 8192.00 GiB") as info:
        ember.empty(2 ** 41, device="cuda")
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value.__cause__, cp.cuda.memory.OutOfMemoryError)
    assert ember.cuda.memory_stats()["num_ooms"] == 1
    try:
        ember.empty(2 ** 41, dtype=ember.uint8, device="cuda")
    except RuntimeError as exc:  # caught as the RuntimeError it also is
        assert "CUDA out of memory" in str(exc)
    assert ember.cuda.memory_stats_as_nested_dict()["num_ooms"] == 2
    ember.cuda.reset_accumulated_memory_stats()
    assert ember.cuda.memory_stats()["num_ooms"] == 0


@needs_cuda
def test_allocation_retries_after_releasing_finished_stream_holds(monkeypatch):
    host = _host_cupy()
    if host is None:
        pytest.skip("needs the stand-in's allocator to refuse once")
    real_alloc, calls = host.cuda.alloc, []

    class CupyOutOfMemory(MemoryError):
        pass

    def refuse_first(nbytes):
        calls.append(nbytes)
        if len(calls) == 1:
            raise CupyOutOfMemory("Out of memory")
        return real_alloc(nbytes)

    monkeypatch.setattr(host.cuda, "memory",
                        types.SimpleNamespace(OutOfMemoryError=CupyOutOfMemory), raising=False)
    monkeypatch.setattr(host.cuda, "alloc", refuse_first)
    ember.cuda.reset_accumulated_memory_stats()
    stream_uses._held.append((ember.cuda.Event(), object()))  # a finished stream's block
    x = ember.zeros(8, device="cuda")
    assert x.tolist() == [0.0] * 8 and len(calls) == 2 and stream_uses._held == []
    assert ember.cuda.memory_stats()["num_alloc_retries"] == 1
    assert ember.cuda.memory_stats()["num_ooms"] == 0

    def broken(nbytes):
        raise ValueError("not an out-of-memory error")

    monkeypatch.setattr(host.cuda, "alloc", broken)
    with pytest.raises(ValueError, match="not an out-of-memory error"):
        ember.empty(4, device="cuda")


@needs_cuda
def test_synchronize_raises_accelerator_error(monkeypatch):
    host = _host_cupy()
    if host is None:
        pytest.skip("a real device has no error to surface here")

    class CUDARuntimeError(RuntimeError):
        def __init__(self, status):
            super().__init__(f"cudaErrorIllegalAddress: an illegal memory access ({status})")
            self.status = status

    def fail(self):
        raise CUDARuntimeError(700)

    monkeypatch.setattr(host.cuda.runtime, "CUDARuntimeError", CUDARuntimeError,
                        raising=False)
    monkeypatch.setattr(host.cuda.Device, "synchronize", fail)
    with pytest.raises(ember.AcceleratorError, match="illegal memory access") as info:
        ember.cuda.synchronize()
    assert info.value.error_code == 700 and isinstance(info.value, RuntimeError)
