"""Installs the core (`ember`) into the running environment from a wheel built once.

Every tox env needs the core, and compiling its C kernels takes minutes; building one
wheel per content hash of core/ and installing it in each env makes the whole run
compile once. Used by tox.ini (commands_pre); runnable by hand too.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(CORE.rglob("*")):
        rel = path.relative_to(CORE)
        if path.is_file() and not any(p in ("build", "__pycache__") or p.endswith(".egg-info")
                                      for p in rel.parts) and path.suffix not in (".so", ".o"):
            digest.update(str(rel).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def main() -> None:
    out = ROOT / ".tox" / "core-wheels" / source_hash()
    out.mkdir(parents=True, exist_ok=True)
    with open(out.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel tox envs build once, not N times
        if not list(out.glob("ember-*.whl")):
            subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(out), str(CORE)], check=True)
    wheel = next(out.glob("ember-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--force-reinstall",
                    "--no-deps", str(wheel)], check=True)
    # the core's own runtime dependencies, from PyPI
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "numpy>=1.24", "cffi>=1.16"],
                   check=True)


if __name__ == "__main__":
    main()
