"""nn hot paths, Ember vs PyTorch side by side: conv2d (forward under no_grad, and forward +
backward) in three shapes, forward + backward of max_pool2d, batch_norm, cross_entropy,
layer_norm and softmax, a LeNet step, a one-layer LSTM and an epoch of MLP training. Prints
median times (samples alternate between the two) and the ratio torch_time / ember_time (> 1:
Ember is faster). The machine is shared: numbers are noisy while others run.

    python bench/nn.py [--reps N] [--only SUBSTRING]
"""

import argparse
import functools
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from _harness import paired_medians  # noqa: E402
from ember import nn  # noqa: E402
import torch.nn as tnn  # noqa: E402


def pair(shapes, ember_fn, torch_fn, grads=True):
    """Same float32 inputs for both; each call runs forward and backward."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) if isinstance(s, tuple) else s
              for s in shapes]
    ei = [ember.tensor(a, requires_grad=grads) if isinstance(a, np.ndarray) else a
          for a in arrays]
    ti = [torch.tensor(a, requires_grad=grads) if isinstance(a, np.ndarray) else a
          for a in arrays]

    def run_e():
        ember_fn(*ei).sum().backward()

    def run_t():
        torch_fn(*ti).sum().backward()

    return run_e, run_t


def forward_only(shapes, ember_fn, torch_fn):
    """Same float32 inputs for both; each call runs the forward under no_grad."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ei = [ember.tensor(a) for a in arrays]
    ti = [torch.tensor(a) for a in arrays]

    def fwd_e():
        with ember.no_grad():
            ember_fn(*ei)

    def fwd_t():
        with torch.no_grad():
            torch_fn(*ti)

    return fwd_e, fwd_t


def mlp_epoch(mod, n, batches):
    """One epoch of the quickstart MLP (784-512-512-10, SGD) over the given batches."""
    mod.manual_seed(0)
    model = n.Sequential(n.Flatten(), n.Linear(784, 512), n.ReLU(), n.Linear(512, 512),
                         n.ReLU(), n.Linear(512, 10))
    opt = mod.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = n.CrossEntropyLoss()

    def run():
        for x, y in batches:
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad()
    return run


def lenet(n):
    return n.Sequential(n.Conv2d(1, 6, 5, padding=2), n.ReLU(), n.MaxPool2d(2),
                        n.Conv2d(6, 16, 5), n.ReLU(), n.MaxPool2d(2), n.Flatten(),
                        n.Linear(400, 120), n.ReLU(), n.Linear(120, 84), n.ReLU(),
                        n.Linear(84, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    torch.set_num_threads(ember.get_num_threads())
    target = np.random.default_rng(1).integers(0, 1000, 4096)
    te, tt = ember.tensor(target), torch.tensor(target)
    cases = {}
    for label, x_shape, w_shape, kw in [
            ("8x64x56x56 k3", (8, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
            ("8x128x28x28 k3", (8, 128, 28, 28), (128, 128, 3, 3), dict(padding=1)),
            ("8x3x224x224 k7s2 ->64", (8, 3, 224, 224), (64, 3, 7, 7),
             dict(stride=2, padding=3))]:
        conv_e = functools.partial(F.conv2d, **kw)
        conv_t = functools.partial(TF.conv2d, **kw)
        cases[f"conv2d {label} fwd"] = forward_only([x_shape, w_shape], conv_e, conv_t)
        cases[f"conv2d {label} fwd+bwd"] = pair([x_shape, w_shape], conv_e, conv_t)
    cases.update({
        "max_pool2d 8x64x112x112 k3s2 fwd+bwd": pair(
            [(8, 64, 112, 112)], lambda x: F.max_pool2d(x, 3, 2, 1),
            lambda x: TF.max_pool2d(x, 3, 2, 1)),
        "batch_norm 8x64x56x56 train fwd+bwd": pair(
            [(8, 64, 56, 56), (64,), (64,)],
            lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
            lambda x, w, b: TF.batch_norm(x, None, None, w, b, True)),
        "cross_entropy 4096x1000 fwd+bwd": pair(
            [(4096, 1000)], lambda x: F.cross_entropy(x, te), lambda x: TF.cross_entropy(x, tt)),
        "layer_norm 8192x1024 fwd+bwd": pair(
            [(8192, 1024), (1024,), (1024,)],
            lambda x, w, b: F.layer_norm(x, (1024,), w, b),
            lambda x, w, b: TF.layer_norm(x, (1024,), w, b)),
        "softmax 4096x1000 fwd+bwd": pair(
            [(4096, 1000)], lambda x: F.softmax(x, 1) * 1.5, lambda x: TF.softmax(x, 1) * 1.5),
    })
    em, tm = lenet(nn), lenet(tnn)
    xb = np.random.default_rng(2).standard_normal((64, 1, 28, 28)).astype(np.float32)
    yb = np.random.default_rng(3).integers(0, 10, 64)
    cases["LeNet step batch 64"] = (
        lambda: F.cross_entropy(em(ember.tensor(xb)), ember.tensor(yb)).backward(),
        lambda: TF.cross_entropy(tm(torch.tensor(xb)), torch.tensor(yb)).backward())
    # LSTM weights copied from torch so both run the same numbers
    lstm_e, lstm_t = nn.LSTM(256, 256), tnn.LSTM(256, 256)
    lstm_e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in lstm_t.state_dict().items()})
    cases["LSTM (seq 50, batch 32, hidden 256) forward+backward"] = pair(
        [(50, 32, 256)], lambda x: lstm_e(x)[0], lambda x: lstm_t(x)[0])
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((60000, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, 60000)
    cases["MLP epoch, 60000 samples, batch 64"] = (
        mlp_epoch(ember, nn, [(ember.tensor(xs[i:i + 64]), ember.tensor(ys[i:i + 64]))
                              for i in range(0, 60000, 64)]),
        mlp_epoch(torch, tnn, [(torch.tensor(xs[i:i + 64]), torch.tensor(ys[i:i + 64]))
                               for i in range(0, 60000, 64)]))
    print(f"threads: ember {ember.get_num_threads()}, torch {torch.get_num_threads()}")
    print(f"{'case':40s} {'ember ms':>10s} {'torch ms':>10s} {'torch/ember':>12s}")
    for name, (fe, ft) in cases.items():
        if args.only not in name:
            continue
        reps = 3 if name.startswith("MLP epoch") else args.reps
        te_, tt_ = paired_medians(fe, ft, reps, warmup=1)
        print(f"{name:40s} {te_ * 1e3:10.2f} {tt_ * 1e3:10.2f} {tt_ / te_:12.2f}")


if __name__ == "__main__":
    main()
