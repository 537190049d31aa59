"""``launch``: runs a script here on 2 MPI ranks through ember.distributed.run, with a
timeout so that a hang fails the test instead of the suite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _launch(script: str, *args: str, nproc: int = 2, timeout: float = 90):
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "PMI_RANK", "PMI_SIZE")}
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(nproc),
           str(HERE / script), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def launch():
    pytest.importorskip("mpi4py")
    return _launch


@pytest.fixture(scope="module")
def job(launch, request):
    """The output of the test module's WORKER script run on 2 ranks; it must exit 0."""
    proc = launch(request.module.WORKER, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture
def world(monkeypatch):
    """A world of this one process, with no launcher's variables around."""
    import ember.distributed as dist
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "PMI_RANK", "PMI_SIZE"):
        monkeypatch.delenv(k, raising=False)
    dist.init_process_group("gloo")
    yield
    dist.destroy_process_group()
