"""Runs one rank of a job started by ``ember.distributed.run`` (under mpiexec).

Sets the torchrun environment variables from MPI's rank, runs the script as ``__main__``,
and turns a failure of this rank (an exception, or a non-zero ``sys.exit``) into MPI_Abort so
the other ranks do not wait for it forever.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback


def _rank_from_env() -> int:
    for k in ("PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK"):
        if k in os.environ:
            return int(os.environ[k])
    return 0


def main() -> None:
    rank = _rank_from_env()
    os.environ["RANK"] = os.environ["LOCAL_RANK"] = str(rank)
    argv = sys.argv[1:]
    as_module = argv[:1] == ["-m"]
    if as_module:
        argv = argv[1:]
    sys.argv = argv
    code = 0
    report = ""
    try:
        if as_module:
            runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            report = f"{e.code}\n"
    except BaseException:
        report = traceback.format_exc()
        code = 1
    if code != 0:
        report += f"ember.distributed: rank {rank} failed (exit code {code}); aborting the job\n"
        sys.stderr.write(report)
        sys.stderr.flush()
        _leave_error_file(rank, report)
        from mpi4py import MPI
        MPI.COMM_WORLD.Abort(code)
    sys.exit(0)


def _leave_error_file(rank: int, report: str) -> None:
    """Gives the launcher this rank's error in a file: MPI_Abort can kill mpiexec's output
    forwarding before the stderr written just above reaches the terminal."""
    folder = os.environ.get("EMBER_RUN_ERROR_DIR")
    if folder:
        path = os.path.join(folder, f"rank{rank}.err")
        with open(path + ".part", "w") as f:
            f.write(report)
        os.replace(path + ".part", path)  # the launcher never reads half a report

if __name__ == "__main__":
    main()
