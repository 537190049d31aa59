"""Adam step on 10M parameters (a list of tensors), ember vs torch, same process.

Prints median step times and torch_time / ember_time (>1: ember faster).
The machine is shared: numbers are noisy while others run.
"""

import statistics
import sys
import time

import numpy as np

import ember

SIZES = [4_000_000, 3_000_000, 2_000_000, 1_000_000]  # 10M parameters in all


def _time(step, repeats: int) -> float:
    step()  # warm-up: state allocation
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(repeats: int = 10) -> None:
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(n).astype(np.float32) for n in SIZES]
    grads = [rng.standard_normal(n).astype(np.float32) for n in SIZES]

    pe = [ember.tensor(d, requires_grad=True) for d in data]
    for p, g in zip(pe, grads):
        p.grad = ember.tensor(g)
    oe = ember.optim.Adam(pe, lr=1e-3, weight_decay=0.01)
    t_ember = _time(oe.step, repeats)
    print(f"ember Adam step, 10M params ({ember.get_num_threads()} threads): "
          f"{t_ember * 1e3:.1f} ms")

    try:
        import torch
    except ImportError:
        print("torch not installed: no comparison")
        return
    pt = [torch.tensor(d, requires_grad=True) for d in data]
    for p, g in zip(pt, grads):
        p.grad = torch.tensor(g)
    results = {}
    for label, kw in (("single-tensor (default on CPU)", {}), ("foreach", {"foreach": True})):
        ot = torch.optim.Adam(pt, lr=1e-3, weight_decay=0.01, **kw)
        results[label] = _time(ot.step, repeats)
        print(f"torch Adam step [{label}] ({torch.get_num_threads()} threads): "
              f"{results[label] * 1e3:.1f} ms   ratio torch/ember = "
              f"{results[label] / t_ember:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
