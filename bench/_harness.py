"""Side-by-side timing helpers: ember and torch in one process, interleaved runs,
medians, and the ratio torch_time / ember_time (higher is better for ember)."""

from __future__ import annotations

import statistics
import time


def median_time(fn, repeat: int = 7, number: int = 1, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def compare(cases, repeat: int = 7) -> list[tuple[str, float, float, float]]:
    """cases: (name, ember_fn, torch_fn, number). Interleaves the two frameworks per case."""
    rows = []
    for name, efn, tfn, number in cases:
        te = median_time(efn, repeat, number)
        tt = median_time(tfn, repeat, number)
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
