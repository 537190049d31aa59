"""Side-by-side timing helpers: ember and torch in one process, interleaved runs,
medians, and the ratio torch_time / ember_time (higher is better for ember)."""

from __future__ import annotations

import statistics
import time


def _sample(fn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def median_time(fn, repeat: int = 7, number: int = 1, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    return statistics.median(_sample(fn, number) for _ in range(repeat))


def paired_medians(efn, tfn, repeat: int = 7, number: int = 1,
                   warmup: int = 2) -> tuple[float, float]:
    """Median seconds per call of efn and of tfn, sampled alternately so that a slow spell
    of a shared machine lands on both sides instead of on one framework's whole block.

    Each sample follows an untimed call of the same function, as a training step follows
    the previous step. Each framework loads its own OpenMP runtime, whose threads keep
    spinning for a while after a parallel region: on 2 cores, whichever framework ran
    right after the other lost about 0.5 ms of a 4 ms LeNet step to them."""
    for _ in range(warmup):
        efn()
        tfn()
    samples = []
    for _ in range(repeat):
        efn()
        e = _sample(efn, number)
        tfn()
        samples.append((e, _sample(tfn, number)))
    return (statistics.median(e for e, _ in samples),
            statistics.median(t for _, t in samples))


def compare(cases, repeat: int = 7) -> list[tuple[str, float, float, float]]:
    """cases: (name, ember_fn, torch_fn, number). Alternates the two frameworks per sample."""
    rows = []
    for name, efn, tfn, number in cases:
        te, tt = paired_medians(efn, tfn, repeat, number)
        rows.append((name, te, tt, tt / te))
    return rows


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:8.1f} us"
    return f"{s * 1e3:8.2f} ms"


def print_table(title: str, rows) -> None:
    print(f"\n{title}")
    print(f"{'case':44s} {'ember':>12s} {'torch':>12s} {'ratio':>7s}")
    for name, te, tt, ratio in rows:
        print(f"{name:44s} {fmt_time(te):>12s} {fmt_time(tt):>12s} {ratio:7.2f}")
