"""Crash and resume: a run SIGKILLed mid-epoch and resumed from last.ckpt ends with weights
bitwise equal to an uninterrupted run (data order, optimizer, scheduler and RNG states)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("resume_script.py")


def run(root, mode, out):
    return subprocess.run([sys.executable, str(SCRIPT), str(root), mode, str(out)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})


def load(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    full = run(root, "full", root / "full.npz")
    assert full.returncode == 0, full.stderr
    return load(root / "full.npz")


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path, uninterrupted):
    crash = run(tmp_path / "crash", "crash", tmp_path / "never.npz")
    assert crash.returncode == -signal.SIGKILL
    assert not (tmp_path / "never.npz").exists()
    assert (tmp_path / "crash" / "ck" / "last.ckpt").exists()
    resumed = run(tmp_path / "crash", "resume", tmp_path / "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    a, b = uninterrupted, load(tmp_path / "resumed.npz")
    assert int(a["global_step"]) == int(b["global_step"]) == 30
    assert_same(a, b)


def test_resume_from_epoch_end_matches(tmp_path, uninterrupted):
    two = run(tmp_path / "two", "two", tmp_path / "two.npz")
    assert two.returncode == 0, two.stderr
    resumed = run(tmp_path / "two", "resume", tmp_path / "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    assert_same(uninterrupted, load(tmp_path / "resumed.npz"))
