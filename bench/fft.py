"""ember.fft vs torch.fft on CPU: median wall times and torch_time / ember_time.

Run: python bench/fft.py   (the machine is shared: numbers are noisy while others run)
"""

import statistics
import time

import numpy as np
import torch

import ember


def _times(fn, reps=11):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def main():
    rng = np.random.default_rng(0)
    cases = [
        ("fft complex64 2^20", rng.standard_normal(1 << 20) * (1 + 1j), "fft"),
        ("fft complex64 1000x1024", rng.standard_normal((1000, 1024)) * (1 + 1j), "fft"),
        ("rfft float32 1000x1024", rng.standard_normal((1000, 1024)), "rfft"),
        ("fft complex64 1000x1000", rng.standard_normal((1000, 1000)) * (1 + 1j), "fft"),
        ("fft complex64 100x997 (prime)", rng.standard_normal((100, 997)) * (1 + 1j), "fft"),
    ]
    print(f"torch threads {torch.get_num_threads()}, ember threads {ember.get_num_threads()}")
    for name, x, op in cases:
        x = x.astype(np.complex64 if op == "fft" else np.float32)
        e, t = ember.tensor(x), torch.tensor(x)
        fe, ft = getattr(ember.fft, op), getattr(torch.fft, op)
        (te, be) = _times(lambda fe=fe, e=e: fe(e))
        (tt, bt) = _times(lambda ft=ft, t=t: ft(t))
        # the best run is printed too: on a shared machine it is the steadier number
        print(f"{name:31s} median: ember {te * 1e3:7.2f} ms torch {tt * 1e3:7.2f} ms "
              f"ratio {tt / te:4.2f} | best: ember {be * 1e3:7.2f} torch {bt * 1e3:7.2f} "
              f"ratio {bt / be:4.2f}")


if __name__ == "__main__":
    main()
