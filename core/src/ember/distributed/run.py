"""``python -m ember.distributed.run --nproc-per-node N script.py [args]``: torchrun on MPI.

A thin layer over MPICH's ``mpiexec`` (installed by the ``mpich`` wheel): it starts N copies
of the script, each under ``ember.distributed._bootstrap``, which sets RANK / WORLD_SIZE /
LOCAL_RANK / LOCAL_WORLD_SIZE / MASTER_ADDR / MASTER_PORT from MPI's own rank and aborts the
whole job when its rank raises or exits non-zero. A killed rank makes mpiexec stop the others.
The job's exit status is non-zero when any rank failed; the launcher then prints the first
failing rank's error again (ranks leave it in a file, as torchrun's error files do, because
an aborting job can lose the last lines of its output).

Example:
    $ python -m ember.distributed.run --nproc-per-node 2 train.py --epochs 3
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def find_mpiexec() -> str:
    """The mpiexec next to this Python (the mpich wheel's), else the one on PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    found = shutil.which("mpiexec")
    if found is None:
        raise SystemExit("ember.distributed.run: mpiexec not found; install MPI with "
                         "`pip install 'ember[distributed]'` (mpi4py + mpich)")
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                description="Start N processes of a training script on MPI.")
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc_per_node", type=int,
                   default=1, help="number of processes to start (default 1)")
    p.add_argument("--nnodes", type=int, default=1, help="only 1 is supported")
    p.add_argument("--master-addr", "--master_addr", dest="master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", dest="master_port", type=int,
                   default=29500)
    p.add_argument("--omp-num-threads", "--omp_num_threads", dest="omp_num_threads", type=int,
                   default=1, help="OMP_NUM_THREADS of each rank (default 1: ranks share cores)")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun parity")
    p.add_argument("-m", "--module", action="store_true",
                   help="treat the script as a module name (like python -m)")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.nproc_per_node < 1:
        p.error("--nproc-per-node must be at least 1")
    if args.nnodes != 1:
        p.error("only --nnodes 1 is supported (use mpiexec with a host file for more)")
    return args


def build_command(args: argparse.Namespace, error_dir: str) -> list[str]:
    env = {"WORLD_SIZE": str(args.nproc_per_node), "LOCAL_WORLD_SIZE": str(args.nproc_per_node),
           "MASTER_ADDR": args.master_addr, "MASTER_PORT": str(args.master_port),
           "OMP_NUM_THREADS": str(args.omp_num_threads),
           "PYTHONUNBUFFERED": "1", "EMBER_RUN_ERROR_DIR": error_dir,
           # what torchrun sets (its default rendezvous id), for is_torchelastic_launched
           "TORCHELASTIC_RUN_ID": "none"}
    cmd = [find_mpiexec(), "-n", str(args.nproc_per_node)]
    for k, v in env.items():
        cmd += ["-genv", k, v]
    cmd += [sys.executable, "-m", "ember.distributed._bootstrap"]
    if args.module:
        cmd.append("-m")
    return cmd + [args.script, *args.script_args]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ember-run-") as error_dir:
        proc = subprocess.run(build_command(args, error_dir))
        if proc.returncode == 0:
            return 0
        reports = sorted(Path(error_dir).glob("rank*.err"), key=lambda p: p.stat().st_mtime)
        if reports:
            sys.stderr.write(f"ember.distributed.run: first failure, rank {reports[0].stem[4:]}:\n"
                             + reports[0].read_text())
    sys.stderr.write(f"ember.distributed.run: the job failed (exit status "
                     f"{proc.returncode}): a rank raised, exited non-zero or was killed; "
                     "its error is printed above\n")
    return proc.returncode if 0 < proc.returncode < 256 else 1

if __name__ == "__main__":
    sys.exit(main())
