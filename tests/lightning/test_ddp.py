"""Trainer(strategy="ddp", devices=2) on 2 CPU processes (needs mpi4py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_ddp_trainer_matches_single_process(tmp_path):
    pytest.importorskip("mpi4py")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "PMI_RANK")}
    proc = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2",
                           str(HERE / "ddp_script.py"), str(tmp_path)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the ranks share one stdout pipe, so their lines may interleave: match, don't split
    reports = sorted(re.findall(r"rank (\d) diff=\S+ loss=([0-9.]+?\d{12})", proc.stdout))
    assert [rank for rank, _ in reports] == ["0", "1"], proc.stdout
    # sync_dist=True: both ranks report the same (averaged) epoch loss
    assert reports[0][1] == reports[1][1]
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_ddp_without_launcher_explains_how_to_start():
    from ember_lightning import Trainer
    from ember_lightning.trainer.trainer import MisconfigurationException
    if "WORLD_SIZE" in os.environ:
        pytest.skip("running inside a launched job")
    with pytest.raises(MisconfigurationException, match="ember.distributed.run --nproc-per-node 2"):
        Trainer(strategy="ddp", devices=2, accelerator="cpu", logger=False)
