"""SyncBatchNorm on 2 ranks matches BatchNorm on the whole batch."""


def test_sync_batch_norm_matches_whole_batch(launch):
    proc = launch("_syncbn_worker.py")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("SYNCBN OK"))
    assert float(line.split("maxdiff=")[1]) < 1e-12
