"""``monitored_barrier``: a barrier that gives up after a timeout and names the ranks that
did not arrive, instead of hanging.

Over MPI: every rank but 0 posts a small "arrived" message to rank 0 and waits for rank
0's answer; rank 0 collects arrivals until the deadline, then answers everybody that came
with the list of arrivals, so the ranks that did arrive fail promptly too when some did
not. Waiting is by polling non-blocking requests, which a timeout can abandon (cancel).
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from ._comm import LocalComm
from ._exceptions import DistBackendError
from .distributed_c10d import _resolve

# user point-to-point tags stay below this one (MPI guarantees tags up to 32767)
_TAG = 32767
_POLL_S = 0.001
# arrival messages rank 0 never took, kept with their buffers until MPI delivers them
_UNANSWERED: list = []


def monitored_barrier(group=None, timeout: timedelta | None = None,
                      wait_all_ranks: bool = False) -> None:
    """Waits until every rank of group arrives, for at most timeout (the group's timeout
    when None); raises DistBackendError naming the first missing rank (every missing rank
    with wait_all_ranks=True) when some do not.

    Example:
        >>> dist.monitored_barrier(timeout=datetime.timedelta(seconds=10))
    """
    pg = _resolve(group)
    if pg is None:
        return
    host = getattr(pg._comm, "host", pg._comm)  # NCCL groups synchronise over their host
    if isinstance(host, LocalComm):
        return
    seconds = (pg._timeout if timeout is None else timeout).total_seconds()
    deadline = time.monotonic() + seconds
    global_ranks = pg._ranks
    if host.rank == 0:
        missing = _collect_arrivals(host, deadline)
        if missing:
            names = missing if wait_all_ranks else missing[:1]
            ranks = ", ".join(str(global_ranks[r]) for r in names)
            raise DistBackendError(
                f"{'Ranks' if len(names) > 1 else 'Rank'} {ranks} failed to pass "
                f"monitored_barrier in {seconds * 1000:.0f} ms (it did not reach the barrier: "
                "it may have failed, hung, or skipped the call)")
        return
    arrived = _report_arrival(host, deadline)
    if arrived is None:
        raise DistBackendError(
            f"Rank {global_ranks[host.rank]} reached monitored_barrier, but rank "
            f"{global_ranks[0]} did not answer within {seconds * 1000:.0f} ms")
    missing = [global_ranks[r] for r in range(host.size) if not arrived[r]]
    if missing:
        raise DistBackendError(
            f"monitored_barrier failed: rank(s) {', '.join(map(str, missing))} did not "
            f"arrive within {seconds * 1000:.0f} ms")


def _wait_until(requests: dict, deadline: float) -> None:
    """Polls requests, dropping completed ones, until none is left or the deadline passes."""
    while requests:
        for key in [k for k, req in requests.items() if req.Test()]:
            del requests[key]
        if not requests or time.monotonic() >= deadline:
            return
        time.sleep(_POLL_S)


def _abandon(requests: dict) -> None:
    for req in requests.values():
        req.Cancel()
        req.Wait()


def _collect_arrivals(host, deadline: float) -> list[int]:
    """Rank 0's side: the group ranks that did not arrive; answers those that did."""
    MPI, n = host.MPI, host.size
    inbox = {r: np.zeros(1, np.int64) for r in range(1, n)}
    pending = {r: host.comm.Irecv([inbox[r], MPI.INT64_T], source=r, tag=_TAG)
               for r in range(1, n)}
    _wait_until(pending, deadline)
    missing = sorted(pending)
    _abandon(pending)
    arrived = np.ones(n, np.int64)
    arrived[missing] = 0
    replies = [host.comm.Isend([arrived, MPI.INT64_T], dest=r, tag=_TAG)
               for r in range(1, n) if arrived[r]]
    MPI.Request.Waitall(replies)
    return missing


def _report_arrival(host, deadline: float) -> np.ndarray | None:
    """A non-zero rank's side: rank 0's arrival flags, or None when it did not answer."""
    MPI = host.MPI
    me = np.array([host.rank], np.int64)
    sent = host.comm.Isend([me, MPI.INT64_T], dest=0, tag=_TAG)
    answer = np.zeros(host.size, np.int64)
    pending = {0: host.comm.Irecv([answer, MPI.INT64_T], source=0, tag=_TAG)}
    _wait_until(pending, deadline)
    if pending:
        _abandon(pending)
        _UNANSWERED.append((sent, me))
        return None
    sent.Wait()
    return answer
