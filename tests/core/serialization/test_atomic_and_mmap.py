"""Crash safety of ember.save (SIGKILL mid-save) and the memory cost of mmap=True."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

import ember

SAVER = r"""
import sys
import ember
path = sys.argv[1]
i = 0
while True:
    ember.save({"i": i, "w": ember.full((5_000_000,), float(i))}, path)
    print(i, flush=True)
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_save_leaves_a_whole_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    rng = random.Random(0)
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "0"  # one whole save done
        time.sleep(rng.uniform(0.0, 0.25))  # then die somewhere in a later one
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        sd = ember.load(path)
        assert sd["w"].shape == (5_000_000,)
        assert (sd["w"] == float(sd["i"])).all()
    left = [p for p in os.listdir(tmp_path) if p != "ckpt.pt"]
    assert all(p.startswith(".ckpt.pt.") and p.endswith(".tmp") for p in left)


RSS = r"""
import sys
import ember

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) // 1024

before = rss()
sd = ember.load(sys.argv[1], mmap=sys.argv[2] == "1")
after = rss()
assert float(sd["w"][-1]) == 7.0 and float(sd["b"][0]) == 7.0
print(after - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_mmap_does_not_read_storages(tmp_path):
    path = tmp_path / "big.pt"
    ember.save({"w": ember.full((50_000_000,), 7.0), "b": ember.full((10,), 7.0)}, path)
    assert path.stat().st_size > 200_000_000
    growth = {}
    for flag in ("1", "0"):
        out = subprocess.run([sys.executable, "-c", RSS, str(path), flag], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        growth[flag] = int(out.stdout.strip())
    assert growth["0"] > 180  # MB: reading really reads
    assert growth["1"] < 20  # mapped: only the touched pages
