"""Run by test_syncbn.py under the launcher (2 ranks). SyncBatchNorm on each rank's half of
a batch must give that half of BatchNorm's output on the whole batch, the same input
gradients, weight and bias gradients that sum over the ranks to BatchNorm's, and the same
running statistics."""

import ember
import ember.distributed as dist
from ember import nn


def main():
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(0)  # the same whole batch and weights on every rank
    x = ember.randn(8, 3, 5, 4, dtype=ember.float64)
    w = ember.randn(3, dtype=ember.float64)
    b = ember.randn(3, dtype=ember.float64)
    up = ember.randn(8, 3, 5, 4, dtype=ember.float64)  # the output's gradient
    full = nn.BatchNorm2d(3, momentum=0.3).double()
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(3, momentum=0.3).double())
    for m in (full, sync):
        with ember.no_grad():
            m.weight.copy_(w)
            m.bias.copy_(b)
    xf = x.clone().requires_grad_()
    yf = full(xf)
    (yf * up).sum().backward()
    rows = slice(rank * 8 // n, (rank + 1) * 8 // n)
    xs = x[rows].clone().requires_grad_()
    ys = sync(xs)
    (ys * up[rows]).sum().backward()
    gw, gb = sync.weight.grad.clone(), sync.bias.grad.clone()
    dist.all_reduce(gw)
    dist.all_reduce(gb)
    diffs = [(ys - yf[rows]).abs().max(),
             (xs.grad - xf.grad[rows]).abs().max(),
             (gw - full.weight.grad).abs().max(), (gb - full.bias.grad).abs().max(),
             (sync.running_mean - full.running_mean).abs().max(),
             (sync.running_var - full.running_var).abs().max()]
    worst = max(float(d) for d in diffs)
    if rank == 0:
        print(f"SYNCBN OK maxdiff={worst:.3e}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
