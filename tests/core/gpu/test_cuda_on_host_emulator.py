"""Runs the CUDA device tests (test_cuda_device.py) on the host emulator of CuPy.

host_cupy.py compiles the backend's CUDA source for the host and stands in for CuPy,
so ember's whole GPU path (glue, launches, argument order, kernels, autograd, ops
dispatch) executes here without a GPU. cuBLAS's strided batched GEMM is emulated with its
own pointer arithmetic (leading dimensions, transposes, batch strides), and CuPy's matmul
by NumPy's. What it cannot cover: streams/events, TF32, real concurrency of atomics and
warps, and NVRTC itself (see test_cuda_sources_compile.py for nvcc). Skipped without g++.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

import ember

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_cuda_device_tests",
                                               _HERE / "test_cuda_device.py")
_device_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_device_tests)

# streams/events and TF32 need the real runtime; bf16 GEMM needs cuBLAS; cuDNN has no
# stand-in (the emulated convolutions take the im2col path)
_NOT_EMULATED = {"test_cuda_memory_stats_streams_events", "test_cuda_tf32_flag",
                 "test_cuda_convolutions_on_cudnn"}
for _name in dir(_device_tests):
    if _name.startswith("test_cuda") and _name not in _NOT_EMULATED:
        globals()[_name + "_on_host"] = getattr(_device_tests, _name)


@pytest.fixture(scope="module")
def _host_cupy(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("_host_cupy", _HERE / "host_cupy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.HostCupy(tmp_path_factory.mktemp("host_cupy"))


@pytest.fixture(autouse=True)
def _emulate(_host_cupy, monkeypatch):
    from ember.backends import cuda as backend
    monkeypatch.setattr(ember.cuda, "_cupy", lambda: _host_cupy)
    monkeypatch.setattr(backend, "_apply_tf32", lambda allow: None)
    monkeypatch.setattr(backend, "_cublas", lambda: _host_cupy.cublas)
    monkeypatch.setattr(backend, "_cudnn", lambda *operands: None)
    for memo in (backend._EW, backend._MODULES, backend._CONTIGUOUS):
        memo.clear()
    yield
    for memo in (backend._EW, backend._MODULES, backend._CONTIGUOUS):
        memo.clear()
