"""Trainer(strategy="ddp"): devices=2 on 2 CPU processes (needs mpi4py), and one process
per GPU over NCCL where there are GPUs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import ember
import ember.distributed as dist
import pytest

HERE = Path(__file__).resolve().parent


def _run_ddp(out: Path, accelerator: str, n: int) -> None:
    """Runs ddp_script.py on n ranks and checks what every rank reported."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "PMI_RANK")}
    script = [str(HERE / "ddp_script.py"), str(out), accelerator, str(n)]
    launch = ["-m", "ember.distributed.run", "--nproc-per-node", str(n)] if n > 1 else []
    proc = subprocess.run([sys.executable, *launch, *script], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the ranks share one stdout pipe, so their lines may interleave: match, don't split
    reports = sorted(re.findall(r"rank (\d) diff=\S+ loss=([0-9.]+?\d{12})", proc.stdout))
    assert [rank for rank, _ in reports] == [str(r) for r in range(n)], proc.stdout
    # sync_dist=True: every rank reports the same (averaged) epoch loss
    assert len({loss for _, loss in reports}) == 1
    assert [p.name for p in out.iterdir()] == ["last.ckpt"]


def test_ddp_trainer_matches_single_process(tmp_path):
    pytest.importorskip("mpi4py")
    _run_ddp(tmp_path, "cpu", 2)


@pytest.mark.skipif(not ember.cuda.is_available() or not dist.is_nccl_available(),
                    reason="needs a GPU and NCCL")
def test_ddp_trainer_on_gpus_over_nccl(tmp_path):
    n = ember.cuda.device_count()
    if n > 1:
        pytest.importorskip("mpi4py")  # the launcher of more than one rank
    _run_ddp(tmp_path, "gpu", n)


def test_ddp_without_launcher_explains_how_to_start():
    from ember_lightning import Trainer
    from ember_lightning.trainer.trainer import MisconfigurationException
    if "WORLD_SIZE" in os.environ:
        pytest.skip("running inside a launched job")
    with pytest.raises(MisconfigurationException, match="ember.distributed.run --nproc-per-node 2"):
        Trainer(strategy="ddp", devices=2, accelerator="cpu", logger=False)
