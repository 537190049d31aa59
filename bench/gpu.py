"""GPU benchmark: ember's CUDA backend vs torch on the same GPU, in one process.

Cases: matmul 4096 (fp32, tf32, bf16), the host cost of one small op (an add of 1024
floats: launches queue without waiting, so this is time on the CPU), add/gelu on 64M
floats, softmax and layer_norm (8192, 4096), conv2d forward+backward on ResNet shapes
(batch 64), and one ResNet-18 training step (our own definition, the same code for both
frameworks) in fp32 and under bf16 autocast. Times are medians of samples of several calls
between device syncs; ratio = torch_time / ember_time (above 1: ember faster). ``--out FILE``
also writes the rows as TSV.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import print_table  # noqa: E402

import ember  # noqa: E402
import torch  # noqa: E402


def _sync():
    ember.cuda.synchronize()
    torch.cuda.synchronize()


def gpu_time(fn, repeat: int = 5, warmup: int = 2, sample_s: float = 0.01) -> float:
    """Median seconds per call: each sample times enough calls between two device syncs to
    last about sample_s, so a sync's own cost does not swamp sub-millisecond cases."""
    for _ in range(warmup):
        fn()
    _sync()
    t0 = time.perf_counter()
    fn()
    _sync()
    calls = max(1, min(100, int(sample_s / max(time.perf_counter() - t0, 1e-6))))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        _sync()
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


def _pair(shape, dtype_e=ember.float32, dtype_t=torch.float32, grad=False):
    t = torch.randn(*shape, device="cuda", dtype=dtype_t)
    e = ember.randn(*shape, device="cuda").to(dtype_e)
    if grad:
        t.requires_grad_()
        e.requires_grad_()
    return e, t


def resnet18(nn, num_classes: int = 1000):
    """ResNet-18 (BasicBlock x [2, 2, 2, 2]) written once for ember.nn and torch.nn."""

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))
            self.relu = nn.ReLU()

        def forward(self, x):
            y = self.relu(self.b1(self.c1(x)))
            y = self.b2(self.c2(y))
            return self.relu(y + (x if self.down is None else self.down(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                      nn.ReLU(), nn.MaxPool2d(3, 2, 1))
            layers, cin = [], 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
                cin = cout
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            return self.fc(self.layers(self.stem(x)).mean((2, 3)))

    return Net()


def _train_step(fw, model, opt, x, y, autocast_dtype):
    opt.zero_grad()
    if autocast_dtype is not None:
        with fw.autocast("cuda", dtype=autocast_dtype):
            loss = fw.nn.functional.cross_entropy(model(x), y)
    else:
        loss = fw.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def cases(quick: bool):
    n = 2048 if quick else 4096
    a_e, a_t = _pair((n, n))
    b_e, b_t = _pair((n, n))

    def tf32(on):
        ember.backends.cuda.matmul.allow_tf32 = on
        torch.backends.cuda.matmul.allow_tf32 = on

    yield f"matmul {n} fp32", lambda: a_e @ b_e, lambda: a_t @ b_t, lambda: tf32(False)
    yield f"matmul {n} tf32", lambda: a_e @ b_e, lambda: a_t @ b_t, lambda: tf32(True)
    ab_e, ab_t = a_e.to(ember.bfloat16), a_t.to(torch.bfloat16)
    bb_e, bb_t = b_e.to(ember.bfloat16), b_t.to(torch.bfloat16)
    yield f"matmul {n} bf16", lambda: ab_e @ bb_e, lambda: ab_t @ bb_t, lambda: tf32(False)

    k_e, k_t = _pair((1024,))
    yield "per-op overhead: add 1024 fp32", lambda: k_e + k_e, lambda: k_t + k_t, None

    m = (16 if quick else 64) << 20
    x_e, x_t = _pair((m,))
    y_e, y_t = _pair((m,))
    size = f"{m >> 20}M"
    yield f"add {size} fp32", lambda: x_e + y_e, lambda: x_t + y_t, None
    yield (f"gelu {size} fp32", lambda: ember.nn.functional.gelu(x_e),
           lambda: torch.nn.functional.gelu(x_t), None)

    s_e, s_t = _pair((8192, 4096))
    yield "softmax (8192, 4096)", lambda: ember.softmax(s_e, -1), \
        lambda: torch.softmax(s_t, -1), None
    w_e, w_t = ember.ones(4096, device="cuda"), torch.ones(4096, device="cuda")
    yield "layer_norm (8192, 4096)", \
        lambda: ember.nn.functional.layer_norm(s_e, (4096,), w_e, w_e), \
        lambda: torch.nn.functional.layer_norm(s_t, (4096,), w_t, w_t), None

    batch = 16 if quick else 64
    for c, hw in ((64, 56), (128, 28), (256, 14), (512, 7)):
        xe, xt = _pair((batch, c, hw, hw), grad=True)
        we, wt = _pair((c, c, 3, 3), grad=True)

        def fb(fw, x, w):
            fw.nn.functional.conv2d(x, w, padding=1).sum().backward()
        yield (f"conv2d fwd+bwd {c}x{hw}x{hw} b{batch}", lambda xe=xe, we=we: fb(ember, xe, we),
               lambda xt=xt, wt=wt: fb(torch, xt, wt), None)

    rb = 8 if quick else 64
    for label, dt_e, dt_t in (("fp32", None, None), ("bf16 autocast", ember.bfloat16,
                                                     torch.bfloat16)):
        torch.manual_seed(0)
        me, mt = resnet18(ember.nn).cuda(), resnet18(torch.nn).cuda()
        oe = ember.optim.SGD(me.parameters(), lr=0.01, momentum=0.9)
        ot = torch.optim.SGD(mt.parameters(), lr=0.01, momentum=0.9)
        xe, xt = _pair((rb, 3, 224, 224))
        ye = ember.randint(0, 1000, (rb,), device="cuda")
        yt = torch.randint(0, 1000, (rb,), device="cuda")
        yield (f"resnet18 train step b{rb} {label}",
               lambda me=me, oe=oe, xe=xe, ye=ye, d=dt_e: _train_step(ember, me, oe, xe, ye, d),
               lambda mt=mt, ot=ot, xt=xt, yt=yt, d=dt_t: _train_step(torch, mt, ot, xt, yt, d),
               None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller shapes (a smoke run)")
    ap.add_argument("--out", help="also write the rows as TSV here")
    args = ap.parse_args()
    print(f"device: {ember.cuda.get_device_name()}  torch {torch.__version__}")
    rows = []
    tsv = open(args.out, "w") if args.out else None  # row by row: a timeout keeps the rest
    for name, efn, tfn, setup in cases(args.quick):
        if setup:
            setup()
        try:
            te = gpu_time(efn)
        except Exception as exc:  # noqa: BLE001 - report the case and go on
            print(f"{name}: ember failed: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(limit=-4)
            te = float("nan")
        tt = gpu_time(tfn)
        rows.append((name, te, tt, tt / te))
        print(f"{name:44s} ember {te * 1e3:9.3f} ms  torch {tt * 1e3:9.3f} ms  "
              f"ratio {tt / te:6.2f}", flush=True)
        if tsv:
            tsv.write(f"{name}\t{te}\t{tt}\t{tt / te}\n")
            tsv.flush()
    ember.backends.cuda.matmul.allow_tf32 = False
    print_table("ember CUDA vs torch (ratio = torch_time / ember_time)", rows)
    if tsv:
        tsv.close()


if __name__ == "__main__":
    main()
