"""Core op benchmarks, ember vs torch in one process (ratio = torch_time / ember_time).

Run: python bench/ops.py   (both frameworks use every core; nothing else should run)
     python bench/ops.py random   (only the random-initialisation cases)
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from _harness import compare, print_table  # noqa: E402


def pair(shape, dtype=np.float32, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def main():
    torch.set_num_threads(ember.get_num_threads())
    e16, t16 = pair(16)
    e_big, t_big = pair(16 * 1024 * 1024)
    e_big2, t_big2 = pair(16 * 1024 * 1024, seed=1)
    e_m, t_m = pair((4096, 4096))
    e_v, t_v = pair(4096)
    gelu = ember.gelu
    cases = [
        ("per-op overhead: add 16 elements", lambda: e16 + e16, lambda: t16 + t16, 2000),
        ("add 16M float32", lambda: e_big + e_big2, lambda: t_big + t_big2, 3),
        ("mul 16M float32", lambda: e_big * e_big2, lambda: t_big * t_big2, 3),
        ("exp 16M float32", lambda: e_big.exp(), lambda: t_big.exp(), 3),
        ("relu 16M float32", lambda: e_big.relu(), lambda: t_big.relu(), 3),
        ("gelu 16M float32", lambda: gelu(e_big), lambda: torch.nn.functional.gelu(t_big), 3),
        ("broadcast add 4096x4096 + 4096", lambda: e_m + e_v, lambda: t_m + t_v, 3),
        ("add on transposed 4096x4096 view", lambda: e_m.t() + e_m, lambda: t_m.t() + t_m, 3),
        ("sum of 16M", lambda: e_big.sum(), lambda: t_big.sum(), 5),
        ("sum over last dim 4096x4096", lambda: e_m.sum(-1), lambda: t_m.sum(-1), 5),
        ("max over last dim 4096x4096", lambda: e_m.amax(-1), lambda: t_m.amax(-1), 5),
    ]
    for n in (256, 512, 1024, 2048):
        ea, ta = pair((n, n))
        eb, tb = pair((n, n), seed=2)
        cases.append((f"matmul {n}", lambda ea=ea, eb=eb: ea @ eb,
                      lambda ta=ta, tb=tb: ta @ tb, 3 if n < 2048 else 1))
    ebm, tbm = pair((32, 256, 256))
    cases.append(("bmm (32,256,256)", lambda: ember.bmm(ebm, ebm), lambda: torch.bmm(tbm, tbm), 3))
    print_table(f"bench/ops.py  threads={ember.get_num_threads()}", compare(cases))


def random_init():
    """Random initialisation: Philox draws, Box-Muller, erfinv (trunc_normal_'s inverse CDF)."""
    torch.set_num_threads(ember.get_num_threads())
    n = 16 * 1024 * 1024
    e_u, t_u = ember.empty(n), torch.empty(n)
    e_t, t_t = ember.empty(4 * 1024 * 1024), torch.empty(4 * 1024 * 1024)
    a = np.random.default_rng(0).uniform(-0.999, 0.999, n).astype(np.float32)
    e_x, t_x = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    cases = [
        ("randn 16M float32", lambda: ember.randn(n), lambda: torch.randn(n), 3),
        ("rand 16M float32", lambda: ember.rand(n), lambda: torch.rand(n), 3),
        ("normal_ 16M float32", lambda: e_u.normal_(), lambda: t_u.normal_(), 3),
        ("trunc_normal_ 4M float32", lambda: ember.nn.init.trunc_normal_(e_t, std=0.02),
         lambda: torch.nn.init.trunc_normal_(t_t, std=0.02), 3),
        ("erfinv 16M float32", lambda: e_x.erfinv(), lambda: t_x.erfinv(), 3),
    ]
    print_table(f"bench/ops.py random  threads={ember.get_num_threads()}", compare(cases))


if __name__ == "__main__":
    random_init() if sys.argv[1:] == ["random"] else main()
