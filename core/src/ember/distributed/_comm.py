"""Communicators at the NumPy-buffer level: MPI (mpi4py) and the in-process world of one.

The collectives in ``distributed_c10d`` turn tensors into contiguous NumPy views of their
memory and call one of these. Every method works in place on the buffers it is given and
returns an MPI request when ``async_`` is set (``None`` when the work is already done).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np

from ..backends.cpu import Storage

# Environment variables that tell us a process was started by an MPI launcher.
_MPI_ENV = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


def launched_by_mpi() -> bool:
    return any(k in os.environ for k in _MPI_ENV)


def host_buffer(t) -> np.ndarray:
    """A flat NumPy view of a CPU tensor's memory (bfloat16 as its 16-bit pattern)."""
    st = t._storage
    if st.__class__ is not Storage:
        raise ValueError(f"the mpi and gloo backends run on CPU tensors; got one on {t.device} "
                         "(init_process_group('nccl') for CUDA tensors)")
    data = st.data  # ignores autograd: MPI writes the memory directly
    if data.dtype is t._dtype.storage_np and t.is_contiguous():
        # the storage itself or a slice of it: 0.1 us, where a strided view and its reshape
        # took 1.5, as long as all the rest of ember's overhead on a small all_reduce
        n = t.numel()
        return data if n == data.size else data[t._offset:t._offset + n]
    return t._np().reshape(-1)


def import_mpi():
    """mpi4py's MPI module, with an install hint when it is missing."""
    try:
        from mpi4py import MPI
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError("ember.distributed needs mpi4py and an MPI library for more than one "
                           "process: pip install 'ember[distributed]' (mpi4py + mpich)") from e
    return MPI


class MPIComm:
    """A process group backed by an mpi4py communicator."""

    buffer = staticmethod(host_buffer)

    def __init__(self, comm) -> None:
        self.MPI = import_mpi()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.ops = {"sum": self.MPI.SUM, "product": self.MPI.PROD, "min": self.MPI.MIN,
                    "max": self.MPI.MAX}

    def allreduce(self, buf: np.ndarray, op: str, async_: bool):
        fn = self.comm.Iallreduce if async_ else self.comm.Allreduce
        return fn(self.MPI.IN_PLACE, buf, self.ops[op])

    def broadcast(self, buf: np.ndarray, root: int, async_: bool):
        return (self.comm.Ibcast if async_ else self.comm.Bcast)(buf, root=root)

    def reduce(self, buf: np.ndarray, op: str, root: int, async_: bool):
        fn = self.comm.Ireduce if async_ else self.comm.Reduce
        if self.rank == root:
            return fn(self.MPI.IN_PLACE, buf, self.ops[op], root=root)
        return fn(buf, None, self.ops[op], root=root)

    def allgather(self, send: np.ndarray, recv: np.ndarray, async_: bool):
        return (self.comm.Iallgather if async_ else self.comm.Allgather)(send, recv)

    def gather(self, send: np.ndarray, recv: np.ndarray | None, root: int, async_: bool):
        return (self.comm.Igather if async_ else self.comm.Gather)(send, recv, root=root)

    def scatter(self, send: np.ndarray | None, recv: np.ndarray, root: int, async_: bool):
        return (self.comm.Iscatter if async_ else self.comm.Scatter)(send, recv, root=root)

    def reduce_scatter(self, send: np.ndarray, recv: np.ndarray, op: str, async_: bool):
        fn = self.comm.Ireduce_scatter_block if async_ else self.comm.Reduce_scatter_block
        return fn(send, recv, self.ops[op])

    def alltoallv(self, send: np.ndarray, scounts: list[int], recv: np.ndarray,
                  rcounts: list[int], async_: bool):
        """All-to-all of raw bytes with per-peer byte counts (chunks laid out in rank order)."""
        fn = self.comm.Ialltoallv if async_ else self.comm.Alltoallv
        sdis = np.concatenate([[0], np.cumsum(scounts)[:-1]]).astype(np.int64)
        rdis = np.concatenate([[0], np.cumsum(rcounts)[:-1]]).astype(np.int64)
        return fn([send, (scounts, list(sdis)), self.MPI.BYTE],
                  [recv, (rcounts, list(rdis)), self.MPI.BYTE])

    def send(self, buf: np.ndarray, dst: int, tag: int, async_: bool):
        return (self.comm.Isend if async_ else self.comm.Send)(buf, dest=dst, tag=tag)

    def recv(self, buf: np.ndarray, src: int | None, tag: int, async_: bool):
        """Returns a request (async) or the sender's group rank."""
        src = self.MPI.ANY_SOURCE if src is None else src
        if async_:
            return self.comm.Irecv(buf, source=src, tag=tag)
        status = self.MPI.Status()
        self.comm.Recv(buf, source=src, tag=tag, status=status)
        return status.Get_source()

    def barrier(self) -> None:
        self.comm.Barrier()

    def batch(self):
        """Groups point-to-point calls (MPI's non-blocking ones need no grouping)."""
        return contextlib.nullcontext()

    def send_object(self, obj: Any, dst: int, tag: int) -> None:
        self.comm.send(obj, dest=dst, tag=tag)

    def recv_object(self, src: int | None, tag: int) -> tuple[Any, int]:
        """(the object, the sender's group rank), from src or any rank when None."""
        status = self.MPI.Status()
        obj = self.comm.recv(source=self.MPI.ANY_SOURCE if src is None else src, tag=tag,
                             status=status)
        return obj, status.Get_source()

    def bcast_object(self, obj: Any, root: int) -> Any:
        return self.comm.bcast(obj, root=root)

    def allgather_object(self, obj: Any) -> list:
        return self.comm.allgather(obj)

    def gather_object(self, obj: Any, root: int) -> list | None:
        return self.comm.gather(obj, root=root)

    def scatter_object(self, objs: list | None, root: int) -> Any:
        return self.comm.scatter(objs, root=root)

    def split(self, ranks: list[int]) -> "MPIComm | None":
        """A communicator over ranks (collective over this one); None where not a member."""
        color = 0 if self.rank in ranks else self.MPI.UNDEFINED
        sub = self.comm.Split(color, key=ranks.index(self.rank) if self.rank in ranks else 0)
        return None if sub == self.MPI.COMM_NULL else MPIComm(sub)

    def free(self) -> None:
        if self.comm != self.MPI.COMM_WORLD:
            self.comm.Free()

    def abort(self, code: int) -> None:
        self.MPI.COMM_WORLD.Abort(code)


class LocalComm:
    """The world of one process: every collective is a copy or a no-op; no MPI is loaded."""

    rank = 0
    size = 1
    buffer = staticmethod(host_buffer)

    def allreduce(self, buf, op, async_):
        return None

    def broadcast(self, buf, root, async_):
        return None

    def reduce(self, buf, op, root, async_):
        return None

    def allgather(self, send, recv, async_):
        np.copyto(recv.reshape(send.shape), send)

    def gather(self, send, recv, root, async_):
        np.copyto(recv.reshape(send.shape), send)

    def scatter(self, send, recv, root, async_):
        np.copyto(recv, send.reshape(recv.shape))

    def reduce_scatter(self, send, recv, op, async_):
        np.copyto(recv, send.reshape(recv.shape))

    def alltoallv(self, send, scounts, recv, rcounts, async_):
        np.copyto(recv, send)

    def send(self, buf, dst, tag, async_):
        raise ValueError("Invalid destination rank: a process cannot send to itself "
                         "(world size is 1)")

    def recv(self, buf, src, tag, async_):
        raise ValueError("Invalid source rank: a process cannot receive from itself "
                         "(world size is 1)")

    def barrier(self):
        pass

    def batch(self):
        return contextlib.nullcontext()

    def send_object(self, obj, dst, tag):
        self.send(None, dst, tag, False)

    def recv_object(self, src, tag):
        return self.recv(None, src, tag, False)

    def bcast_object(self, obj, root):
        return obj

    def allgather_object(self, obj):
        return [obj]

    def gather_object(self, obj, root):
        return [obj]

    def scatter_object(self, objs, root):
        return objs[0]

    def split(self, ranks):
        return LocalComm() if 0 in ranks else None

    def free(self):
        pass

    def abort(self, code: int) -> None:
        os._exit(code)
