"""Every CUDA source string of the GPU backend compiles with nvcc (skipped without nvcc).

This is the CI check that the GPU kernels are at least valid CUDA on machines
without a GPU: all sources are joined into a few translation units and compiled
to PTX, so one nvcc call covers hundreds of (op, dtype) kernels.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ember.backends.cuda import kernels as K

NVCC = shutil.which("nvcc")
pytestmark = pytest.mark.skipif(NVCC is None, reason="nvcc not installed")


def _compile(tmp_path, name: str, source: str) -> None:
    src = tmp_path / f"{name}.cu"
    src.write_text(source)
    # sm_80: the oldest GPU whose atomics (double atomicAdd) and bf16 we rely on
    res = subprocess.run([NVCC, "--ptx", "-arch=sm_80", "-std=c++17", "-o",
                          str(tmp_path / f"{name}.ptx"), str(src)],
                         capture_output=True, text=True)
    assert res.returncode == 0, f"{name} failed to compile:\n{res.stderr[-4000:]}"
    ptx = (tmp_path / f"{name}.ptx").read_text()
    assert ".entry" in ptx


def test_elementwise_sources_compile(tmp_path):
    sources = {k: v for k, v in K.all_sources().items() if k.startswith("em_")}
    # hundreds of small kernels: one translation unit, each wrapped in its own namespace-free
    # extern "C" name (names are unique), the preamble guarded by its include guard
    unit = "\n".join(sources.values())
    _compile(tmp_path, "elementwise", unit)
    ptx = (tmp_path / "elementwise.ptx").read_text()
    for name in sources:
        assert f".entry {name}(" in ptx, name


@pytest.mark.parametrize("name", ["random", "put", "nn", "scan", "optim"])
def test_raw_sources_compile(tmp_path, name):
    _compile(tmp_path, name, K.all_sources()[name])
