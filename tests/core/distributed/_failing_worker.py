"""Rank 1 fails (as argv[1] says) while rank 0 waits in a collective that never completes."""

import os
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
assert os.environ["RANK"] == os.environ["LOCAL_RANK"] == str(dist.get_rank())
assert os.environ["WORLD_SIZE"] == "2" and os.environ["OMP_NUM_THREADS"] == "1"
if dist.get_rank() == 1:
    time.sleep(0.2)
    if sys.argv[1] == "raise":
        raise ValueError("rank one exploded")
    if sys.argv[1] == "exit":
        sys.exit(3)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), 9)
t = ember.ones(4)
dist.all_reduce(t)
dist.barrier()
print(f"rank {dist.get_rank()} finished with {t.tolist()}\n", end="", flush=True)  # one write
