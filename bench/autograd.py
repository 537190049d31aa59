"""Autograd benchmarks, ember vs torch in one process (ratio = torch_time / ember_time)."""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
from _harness import compare, print_table  # noqa: E402


def mlp_params(mod, rng):
    sizes = [(784, 256), (256, 128), (128, 10)]
    ps = []
    for i, o in sizes:
        w = (rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32)
        ps += [mod.tensor(w, requires_grad=True), mod.zeros(o, requires_grad=True)]
    return ps


def mlp_step(mod, ps, x, y):
    h = x
    for k in range(0, len(ps), 2):
        h = h @ ps[k] + ps[k + 1]
        if k < len(ps) - 2:
            h = h.relu()
    loss = ((h - y) ** 2).mean()
    loss.backward()
    for p in ps:
        p.grad = None


def chain(mod, x):
    y = x
    for _ in range(10):
        y = (y * 1.001).tanh()
    y.sum().backward()
    x.grad = None


def main():
    torch.set_num_threads(ember.get_num_threads())
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 784)).astype(np.float32)
    ys = rng.standard_normal((64, 10)).astype(np.float32)
    ep, tp = mlp_params(ember, rng), mlp_params(torch, np.random.default_rng(0))
    ex, ey, tx, ty = ember.tensor(xs), ember.tensor(ys), torch.tensor(xs), torch.tensor(ys)
    s16 = rng.standard_normal(16).astype(np.float32)
    s1m = rng.standard_normal(1 << 20).astype(np.float32)
    e16, t16 = ember.tensor(s16, requires_grad=True), torch.tensor(s16, requires_grad=True)
    e1m, t1m = ember.tensor(s1m, requires_grad=True), torch.tensor(s1m, requires_grad=True)
    cases = [
        ("MLP 784-256-128-10 fwd+bwd, batch 64", lambda: mlp_step(ember, ep, ex, ey),
         lambda: mlp_step(torch, tp, tx, ty), 20),
        ("chain of 20 ops on 16 elements", lambda: chain(ember, e16),
         lambda: chain(torch, t16), 100),
        ("chain of 20 ops on 1M elements", lambda: chain(ember, e1m),
         lambda: chain(torch, t1m), 2),
    ]
    print_table(f"bench/autograd.py  threads={ember.get_num_threads()}", compare(cases))


if __name__ == "__main__":
    main()
