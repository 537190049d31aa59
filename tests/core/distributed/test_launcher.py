"""The launcher: environment per rank, and a failing rank ends the whole job quickly."""

import time

import pytest

from ember.distributed import run


def test_parse_both_spellings():
    a = run.parse_args(["--nproc-per-node", "3", "train.py", "--lr", "1"])
    b = run.parse_args(["--nproc_per_node=3", "train.py", "--lr", "1"])
    assert (a.nproc_per_node, a.script, a.script_args) == (3, "train.py", ["--lr", "1"])
    assert (b.nproc_per_node, b.script_args) == (3, ["--lr", "1"])
    with pytest.raises(SystemExit):
        run.parse_args(["--nproc-per-node", "0", "x.py"])


def test_healthy_job_succeeds(launch):
    proc = launch("_failing_worker.py", "none")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rank 0 finished with [2.0, 2.0, 2.0, 2.0]" in proc.stdout


@pytest.mark.parametrize("how,needle", [("raise", "ValueError: rank one exploded"),
                                        ("exit", "rank 1 failed (exit code 3)"),
                                        ("kill", "signal 9")])
def test_failing_rank_fails_the_job_fast(launch, how, needle):
    start = time.monotonic()
    proc = launch("_failing_worker.py", how, timeout=60)
    elapsed = time.monotonic() - start
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert needle in out and "ember.distributed.run: the job failed" in out, out[-2000:]
    assert "finished" not in proc.stdout
    assert elapsed < 30
    if how != "kill":  # the failing rank's own report, repeated by the launcher
        assert "ember.distributed.run: first failure, rank 1:" in proc.stderr, out[-2000:]
