"""Where a GPU conv2d forward+backward and a ResNet-18 training step spend their time,
ember beside torch.

First, bench/gpu.py's conv rows with ember's cuDNN engines chosen under torch's policy
(alignment up to 32 bytes declared, engines compiled at run time kept), and timed by
cudnn.benchmark, beside ember's own choice.

For each framework: the step's wall time, the sum of its GPU kernels' times and the
kernels that take most (CUPTI through torch.profiler, which also sees CuPy's launches),
the CUDA API calls the host makes (launches, copies, synchronisations), then ember's
Python functions by own time (cProfile). A wall time well above the kernel sum means the
step is bound by the host, not the GPU; "host" is the time until the step returns, before
the device sync. Last, the host cost of single calls: CuPy's primitives beside one small
ember and torch op. Run on a GPU machine:

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
from torch.autograd import DeviceType  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from gpu import _sync, _train_step, resnet18  # noqa: E402


def wall_ms(fn, calls: int = 5) -> tuple[float, float]:
    """(wall, host) milliseconds per call: host stops when fn returns, wall at the sync."""
    fn()
    fn()
    _sync()
    host = 0.0
    t0 = time.perf_counter()
    for _ in range(calls):
        t1 = time.perf_counter()
        fn()
        host += time.perf_counter() - t1
    _sync()
    return (time.perf_counter() - t0) / calls * 1e3, host / calls * 1e3


def kernels(label: str, fn, rows: int, calls: int = 3) -> None:
    wall, host_ms = wall_ms(fn)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        _sync()
    averages = prof.key_averages()
    # kernels only: with CPU activity on, torch's ops also carry their kernels' time
    events = [e for e in averages
              if e.device_type == DeviceType.CUDA and e.self_device_time_total > 0]
    total = sum(e.self_device_time_total for e in events) / calls / 1e3
    print(f"\n## {label}: wall {wall:.2f} ms per step (host {host_ms:.2f}), "
          f"GPU kernels {total:.2f} ms")
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[:rows]:
        print(f"  {e.self_device_time_total / calls / 1e3:8.3f} ms {e.count // calls:5d}x  "
              f"{e.key[:96]}")
    api = [e for e in averages if e.key.startswith(("cuda", "cu")) and e.self_cpu_time_total]
    print("  CUDA API calls on the host:")
    for e in sorted(api, key=lambda e: -e.self_cpu_time_total)[:8]:
        print(f"  {e.self_cpu_time_total / calls / 1e3:8.3f} ms {e.count // calls:5d}x  "
              f"{e.key[:60]}")


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


def per_call_us(fn, calls: int = 2000) -> float:
    for _ in range(50):
        fn()
    _sync()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    elapsed = time.perf_counter() - t0
    _sync()
    return elapsed / calls * 1e6


def call_costs() -> None:
    """Host microseconds per call (no sync inside the loop) of the pieces an op is made of."""
    import cupy as cp
    import numpy as np
    kernel = cp.RawKernel(r'''extern "C" __global__ void k(float *a, const float *b,
        const float *c, long long n) { long long i = blockIdx.x * 256ll + threadIdx.x;
        if (i < n) a[i] = b[i] + c[i]; }''', "k")
    ew = cp.ElementwiseKernel("float32 b, float32 c", "float32 a", "a = b + c", "em_probe_add")
    a, b, c = (cp.ones(1024, cp.float32) for _ in range(3))
    addresses = tuple(np.uint64(v.data.ptr) for v in (a, b, c))
    ea, eb = ember.ones(1024, device="cuda"), ember.ones(1024, device="cuda")
    ta, tb = torch.ones(1024, device="cuda"), torch.ones(1024, device="cuda")
    ea.requires_grad_()
    ta.requires_grad_()
    costs = {
        "cupy.empty(1024)": lambda: cp.empty(1024, cp.float32),
        "with cupy.cuda.Device(0)": lambda: cp.cuda.Device(0).__enter__().__exit__(),
        "RawKernel launch, array args": lambda: kernel((4,), (256,), (a, b, c, np.int64(1024))),
        "RawKernel launch, uint64 args": lambda: kernel((4,), (256,),
                                                        (*addresses, np.int64(1024))),
        "ElementwiseKernel call": lambda: ew(b, c, a),
        "ember add (1024)": lambda: eb + eb,
        "torch add (1024)": lambda: tb + tb,
        "ember add, graph recorded": lambda: ea + eb,
        "torch add, graph recorded": lambda: ta + tb,
        "ember relu (1024)": lambda: ember.relu(eb),
        "torch relu (1024)": lambda: torch.relu(tb),
    }
    print("\n## host cost per call (us)")
    for name, fn in costs.items():
        print(f"  {per_call_us(fn):8.2f}  {name}")


def engine_policies(batch: int) -> None:
    """bench/gpu.py's conv rows under other choices of cuDNN engine. torch declares each
    operand's alignment (up to 32 bytes) and keeps engines compiled at run time; ember
    declares 16 bytes and skips them; cudnn.benchmark times every engine allowed. Wall ms
    per forward+backward, and torch's (heuristics, as benchmark is off there)."""
    from unittest import mock
    from ember.backends.cuda import cudnn_conv
    default = {"_ALIGNMENT": cudnn_conv._ALIGNMENT,
               "_BEHAVIOR_RUNTIME_COMPILATION": cudnn_conv._BEHAVIOR_RUNTIME_COMPILATION}
    never = -1  # a behavior note no engine has: nothing is skipped for it
    both = {"_ALIGNMENT": 32, "_BEHAVIOR_RUNTIME_COMPILATION": never}
    # name -> (cudnn_conv's constants, cudnn.benchmark)
    # cheapest first: engines compiled at run time cost an NVRTC compile per pass and shape
    policies = {"ember": (default, False), "align 32": ({**default, "_ALIGNMENT": 32}, False),
                "benchmark": (default, True),
                "runtime-compiled": ({**default, "_BEHAVIOR_RUNTIME_COMPILATION": never},
                                     False),
                "both": (both, False)}
    print(f"\n## conv2d fwd+bwd b{batch} under cuDNN engine policies (ms per call)")
    print(f"  {'shape':10s}" + "".join(f"{name:>18s}" for name in policies) + f"{'torch':>10s}")
    for c, hw in ((64, 56), (128, 28), (256, 14), (512, 7)):
        times = []
        for fw in (ember, torch):
            x = fw.randn(batch, c, hw, hw, device="cuda", requires_grad=True)
            w = fw.randn(c, c, 3, 3, device="cuda", requires_grad=True)

            def conv(fw=fw, x=x, w=w):
                fw.nn.functional.conv2d(x, w, padding=1).sum().backward()
            if fw is torch:
                times.append(wall_ms(conv)[0])
                continue
            for patch, benchmark in policies.values():
                with mock.patch.multiple(cudnn_conv, **patch), \
                        mock.patch.object(ember.backends.cudnn, "benchmark", benchmark):
                    cudnn_conv._forget_plans()  # each policy chooses its own engines
                    times.append(wall_ms(conv)[0])
            cudnn_conv._forget_plans()
        print(f"  {c}x{hw}x{hw:<4d}" + "".join(f"{t:18.3f}" for t in times[:-1]) +
              f"{times[-1]:10.3f}")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # what a timeout cuts short is kept
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rows", type=int, default=20)
    args = ap.parse_args()
    print(f"device: {ember.cuda.get_device_name()}  torch {torch.__version__}")
    engine_policies(args.batch)
    for name, fw in (("ember", ember), ("torch", torch)):
        # bench/gpu.py's weakest conv row, whose wall time is far above its kernels'
        x = fw.randn(args.batch, 256, 14, 14, device="cuda", requires_grad=True)
        w = fw.randn(256, 256, 3, 3, device="cuda", requires_grad=True)

        def conv(fw=fw, x=x, w=w):
            fw.nn.functional.conv2d(x, w, padding=1).sum().backward()
        kernels(f"{name} conv2d fwd+bwd 256x14x14 b{args.batch}", conv, args.rows)
        if fw is ember:
            host(f"{name} conv2d fwd+bwd 256x14x14 b{args.batch}", conv, args.rows)
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
    call_costs()


if __name__ == "__main__":
    main()
