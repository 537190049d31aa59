"""Where a GPU ResNet-18 training step spends its time, ember beside torch.

For each framework: the step's wall time, the sum of its GPU kernels' times and the
kernels that take most (CUPTI through torch.profiler, which also sees CuPy's launches),
then ember's Python functions by own time (cProfile). A wall time well above the kernel
sum means the step is bound by the host, not the GPU. Run on a GPU machine:

    python bench/gpu_profile.py                 # batch 64, float32 and bf16 autocast
    python bench/gpu_profile.py --batch 32 --rows 30
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ember  # noqa: E402
import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from gpu import _sync, _train_step, resnet18  # noqa: E402


def wall_ms(fn, calls: int = 5) -> float:
    fn()
    fn()
    _sync()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    _sync()
    return (time.perf_counter() - t0) / calls * 1e3


def kernels(label: str, fn, rows: int, calls: int = 3) -> None:
    wall = wall_ms(fn)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        _sync()
    events = [e for e in prof.key_averages() if e.self_device_time_total > 0]
    total = sum(e.self_device_time_total for e in events) / calls / 1e3
    print(f"\n## {label}: wall {wall:.2f} ms per step, GPU kernels {total:.2f} ms")
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[:rows]:
        print(f"  {e.self_device_time_total / calls / 1e3:8.3f} ms {e.count // calls:5d}x  "
              f"{e.key[:96]}")


def host(label: str, fn, rows: int) -> None:
    fn()
    _sync()
    prof = cProfile.Profile()
    prof.enable()
    fn()
    _sync()
    prof.disable()
    print(f"\n## {label}: host functions by own time")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rows", type=int, default=20)
    args = ap.parse_args()
    print(f"device: {ember.cuda.get_device_name()}  torch {torch.__version__}")
    for name, fw, low in (("ember", ember, ember.bfloat16), ("torch", torch, torch.bfloat16)):
        torch.manual_seed(0)
        model = resnet18(fw.nn).cuda()
        opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = fw.randn(args.batch, 3, 224, 224, device="cuda")
        y = fw.randint(0, 1000, (args.batch,), device="cuda")
        for label, dtype in (("float32", None), ("bf16 autocast", low)):
            def step(fw=fw, model=model, opt=opt, x=x, y=y, dtype=dtype):
                _train_step(fw, model, opt, x, y, dtype)
            kernels(f"{name} resnet18 step b{args.batch} {label}", step, args.rows)
            if fw is ember:
                host(f"{name} resnet18 step b{args.batch} {label}", step, args.rows)
        del model, opt


if __name__ == "__main__":
    main()
