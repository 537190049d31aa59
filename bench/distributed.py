"""ember.distributed on 2 MPI ranks: collective overhead and DDP step time.

1. all_reduce (float32 SUM) from 1 KB to 64 MB through ember.distributed vs raw mpi4py
   ``Allreduce(IN_PLACE)`` on the same buffers: the ratio raw/ember shows ember's overhead.
2. One training step (forward, backward, SGD) of a 10M-parameter MLP: one process on the
   whole batch (all threads) vs DistributedDataParallel on 2 ranks with half the batch each
   (one thread each, as the launcher sets OMP_NUM_THREADS=1).

Run: python bench/distributed.py  (re-launches itself on 2 ranks for the MPI parts).
The machine is shared: numbers are noisy while others run.
"""

import os
import statistics
import subprocess
import sys
import time

import ember
from ember import nn

BATCH = 128
SIZES = [1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 1 << 26]


def mlp():
    ember.manual_seed(0)  # 1024*2048 + 2048*2560 + 2560*1024 weights: 9.9M parameters
    return nn.Sequential(nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 2560), nn.ReLU(),
                         nn.Linear(2560, 1024))


def step_time(model, x, y, repeats=8, sync=None):
    opt = ember.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()

    step()
    times = []
    for _ in range(repeats):
        if sync:
            sync()
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt(s):
    return f"{s * 1e6:9.1f} us" if s < 1e-3 else f"{s * 1e3:9.2f} ms"


def single_process():
    model = mlp()
    ember.manual_seed(1)
    x, y = ember.randn(BATCH, 1024), ember.randn(BATCH, 1024)
    n = sum(p.numel() for p in model.parameters())
    t = step_time(model, x, y)
    print(f"single process, batch {BATCH}, {n / 1e6:.1f}M params: step {fmt(t)}", flush=True)
    return t


def rank_main():
    import ember.distributed as dist
    from mpi4py import MPI
    dist.init_process_group("mpi")
    rank, comm = dist.get_rank(), MPI.COMM_WORLD

    def timed_pair(fa, fb, repeats):
        """Median times of fa and fb, interleaved call by call (the machine is shared)."""
        for _ in range(3):
            fa(), fb()
        ta, tb = [], []
        for _ in range(repeats):
            for fn, ts in ((fa, ta), (fb, tb)):
                comm.Barrier()
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
        return statistics.median(ta), statistics.median(tb)

    if rank == 0:
        print(f"\nall_reduce SUM float32, 2 ranks\n{'size':>10s} {'ember':>12s} "
              f"{'mpi4py':>12s} {'mpi4py/ember':>13s}")
    for nbytes in SIZES:
        t = ember.ones(nbytes // 4)
        arr = t.numpy()
        reps = 50 if nbytes <= 1 << 20 else 20 if nbytes <= 1 << 24 else 5
        te, tm = timed_pair(lambda t=t: dist.all_reduce(t),
                            lambda arr=arr: comm.Allreduce(MPI.IN_PLACE, arr, MPI.SUM), reps)
        if rank == 0:
            label = f"{nbytes >> 20} MB" if nbytes >= 1 << 20 else f"{nbytes >> 10} KB"
            print(f"{label:>10s} {fmt(te):>12s} {fmt(tm):>12s} {tm / te:13.2f}", flush=True)

    model = nn.parallel.DistributedDataParallel(mlp())
    ember.manual_seed(1)
    x, y = ember.randn(BATCH, 1024), ember.randn(BATCH, 1024)
    half = slice(rank * BATCH // 2, (rank + 1) * BATCH // 2)
    t = step_time(model, x[half], y[half], sync=comm.Barrier)
    if rank == 0:
        print(f"DDP 2 ranks x batch {BATCH // 2} (1 thread each): step {fmt(t)}", flush=True)
        print(f"RESULT ddp {t}", flush=True)
    dist.destroy_process_group()


def main():
    if "RANK" in os.environ:
        rank_main()
        return
    single = single_process()
    out = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node",
                          "2", os.path.abspath(__file__)], capture_output=True, text=True,
                         timeout=600)
    sys.stdout.write(out.stdout.replace("RESULT", "").split("\n ddp")[0] + "\n")
    if out.returncode:
        sys.exit(out.stderr[-2000:])
    ddp = float(out.stdout.split("RESULT ddp ")[1].split()[0])
    print(f"single / DDP step time: {single / ddp:.2f} (2 ranks on the same 2 cores)")


if __name__ == "__main__":
    main()
