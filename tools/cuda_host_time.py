"""Ember's host time for one CUDA ResNet-18 training step, measured without a GPU.

A GPU step is bound by the host when launching its kernels takes longer than running
them (bench/gpu_profile.py shows which, on a GPU). This runs the step on the host
stand-in for CuPy (tests/core/gpu/host_cupy.py) with every kernel launch and GEMM
replaced by a no-op (ember's argument packing for cuLaunchKernel still runs), so what is
timed is ember's own Python between the kernels, and counts the launches by kernel name.
A machine with a GPU adds the driver's cost per launch (a few us), CuPy's per allocation
(about 2 us) and cuDNN's per convolution pass (30-45 us on the H200 machine), and runs
Python slower.

    python tools/cuda_host_time.py              # float32; --bf16 under autocast
    python tools/cuda_host_time.py --launches   # also the launches of one step by name
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import ember  # noqa: E402

from gpu import _train_step, resnet18  # noqa: E402


def stub_cuda(counts: collections.Counter):
    """Makes ember's CUDA backend run on the host stand-in, with no kernel executed."""
    spec = importlib.util.spec_from_file_location(
        "host_cupy", ROOT / "tests" / "core" / "gpu" / "host_cupy.py")
    host_cupy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(host_cupy)
    host = host_cupy.install(Path(tempfile.mkdtemp(prefix="host_cupy")))
    host_cupy._Elementwise.__call__ = lambda self, *args: counts.update([self.fn.__name__])
    host_cupy._RawFunction.__call__ = lambda self, grid, block, args: counts.update(
        [self.fn.__name__])
    host.cuda.driver.launchKernel = lambda f, *rest: counts.update(
        [host_cupy._FUNCTIONS[f - 1].fn.__name__])
    host_cupy.HostCublas.gemmStridedBatchedEx = classmethod(
        lambda cls, *args: counts.update(["cublas gemmStridedBatchedEx"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bf16", action="store_true", help="the step under bf16 autocast")
    ap.add_argument("--launches", action="store_true", help="list one step's launches")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    counts: collections.Counter = collections.Counter()
    stub_cuda(counts)
    # no kernel writes its output, so the few NumPy steps of the stand-in see garbage
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    model = resnet18(ember.nn).cuda()
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = ember.randn(2, 3, 64, 64, device="cuda")
    y = ember.randint(0, 1000, (2,), device="cuda")
    dtype = ember.bfloat16 if args.bf16 else None
    for _ in range(3):
        _train_step(ember, model, opt, x, y, dtype)
    counts.clear()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        _train_step(ember, model, opt, x, y, dtype)
    ms = (time.perf_counter() - t0) / args.steps * 1e3
    print(f"host time per step {ms:.2f} ms, launches per step "
          f"{sum(counts.values()) // args.steps}")
    if args.launches:
        for name, n in counts.most_common():
            print(f"  {n // args.steps:5d}  {name}")


if __name__ == "__main__":
    main()
