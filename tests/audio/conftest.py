"""Fixtures for ember-audio tests.

``device`` parametrizes a test over cpu and, where CuPy sees a GPU, cuda. Without a GPU,
``EMBER_TEST_HOST_CUDA=1`` runs the cuda cases on the core tests' host stand-in for CuPy
(tests/core/gpu/host_cupy.py, which compiles the RawModule sources with the host compiler),
as tests/core/conftest.py does.
"""

import importlib.util
import os
import tempfile
import zlib
from pathlib import Path

import ember
import numpy as np
import pytest


def _emulate_cuda_on_host() -> None:
    from ember.backends import cuda as backend
    path = Path(__file__).resolve().parents[1] / "core" / "gpu" / "host_cupy.py"
    spec = importlib.util.spec_from_file_location("_host_cupy", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    host = mod.HostCupy(Path(tempfile.mkdtemp(prefix="host_cupy")))
    ember.cuda._cupy = lambda: host
    backend._apply_tf32 = lambda allow: None


if os.environ.get("EMBER_TEST_HOST_CUDA") and not ember.cuda.is_available():
    _emulate_cuda_on_host()

DEVICES = ["cpu"] + (["cuda"] if ember.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """The device a test runs on: cpu, and cuda where there is one (or its host stand-in)."""
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)


@pytest.fixture
def per_test_rng(request):
    """Re-seeds the module's global RNG from the test's id, so a test's inputs do not
    depend on which tests ran before it (modules opt in with usefixtures)."""
    request.module.RNG = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
