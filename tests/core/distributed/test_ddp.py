"""DistributedDataParallel on 2 ranks matches one process trained on the whole batches."""

import pytest


@pytest.mark.parametrize("mode", ["train", "no_sync", "unused", "unused_error"])
def test_ddp_matches_single_process(launch, mode):
    proc = launch("_ddp_worker.py", mode)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("DDP OK"))
    assert float(line.split("maxdiff=")[1]) < 1e-6
