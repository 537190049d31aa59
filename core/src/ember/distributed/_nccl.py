"""The NCCL backend: collectives on CUDA tensors through CuPy's NCCL bindings.

A host communicator (MPI, or the world of one) starts it: rank 0's NCCL unique id travels
over it, and it keeps carrying the pickled-object collectives. Buffers are (address, count,
NCCL type) triples of contiguous CUDA tensors. Every call is queued on the current CUDA
stream, so kernels queued after it see its result: as with torch's NCCL work, ``wait()``
has nothing left to do on the host.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

# ncclDataType_t and ncclRedOp_t (bool travels as uint8; _reduction maps its sum/product)
_TYPES = {"int8": 0, "uint8": 1, "bool": 1, "int32": 2, "int64": 4, "float16": 6,
          "float32": 7, "float64": 8, "bfloat16": 9}
_OPS = {"sum": 0, "product": 1, "max": 2, "min": 3}
_ITEMSIZE = {0: 1, 1: 1, 2: 4, 4: 8, 6: 2, 7: 4, 8: 8, 9: 2}


def _nbytes(buf: tuple) -> int:
    return buf[1] * _ITEMSIZE[buf[2]]


def nccl_module():
    """CuPy's NCCL bindings, or a RuntimeError that says what is missing."""
    from .. import cuda
    cp = cuda.require()
    nccl = getattr(cp.cuda, "nccl", None)
    if nccl is None:
        try:
            nccl = importlib.import_module("cupy.cuda.nccl")
        except ImportError as e:
            raise RuntimeError("the nccl backend needs CuPy built with NCCL (the NCCL "
                               "library, e.g. pip install nvidia-nccl-cu13)") from e
    if not getattr(nccl, "available", False):
        raise RuntimeError("the nccl backend needs the NCCL library, which CuPy did not find")
    return cp, nccl


class NCCLComm:
    """A process group over NCCL, one CUDA device per process."""

    def __init__(self, host, device_index: int) -> None:
        self.cp, self.nccl = nccl_module()
        self.host = host
        self.rank, self.size = host.rank, host.size
        self.device = device_index
        uid = host.bcast_object(self.nccl.get_unique_id() if host.rank == 0 else None, 0)
        with self.cp.cuda.Device(device_index):
            self.comm = self.nccl.NcclCommunicator(self.size, uid, self.rank)

    def buffer(self, t) -> tuple:
        if t.device.type != "cuda":
            raise ValueError(f"the nccl backend runs on CUDA tensors; got one on {t.device} "
                             "(use the mpi or gloo backend for CPU tensors)")
        if t._dtype.name not in _TYPES:
            raise TypeError(f"the nccl backend has no {t.dtype} type")
        return t._storage.ptr + t._offset * t._dtype.itemsize, t.numel(), _TYPES[t._dtype.name]

    def _stream(self) -> int:
        return self.cp.cuda.get_current_stream().ptr

    def _copy(self, dst: tuple, src: tuple) -> None:
        """This rank's own chunk of a gather, scatter or all-to-all: a device copy."""
        if src[1]:
            self.cp.cuda.runtime.memcpyAsync(dst[0], src[0], _nbytes(src), 3, self._stream())

    def allreduce(self, buf, op, async_):
        self.comm.allReduce(buf[0], buf[0], buf[1], buf[2], _OPS[op], self._stream())

    def broadcast(self, buf, root, async_):
        self.comm.bcast(buf[0], buf[1], buf[2], root, self._stream())

    def reduce(self, buf, op, root, async_):
        self.comm.reduce(buf[0], buf[0], buf[1], buf[2], _OPS[op], root, self._stream())

    def allgather(self, send, recv, async_):
        self.comm.allGather(send[0], recv[0], send[1], send[2], self._stream())

    def reduce_scatter(self, send, recv, op, async_):
        self.comm.reduceScatter(send[0], recv[0], recv[1], recv[2], _OPS[op], self._stream())

    def _exchange(self, sends: dict, recvs: dict) -> None:
        """Point-to-point sends and receives to and from peers, as one NCCL group."""
        if self.rank in sends:
            self._copy(recvs.pop(self.rank), sends.pop(self.rank))
        stream = self._stream()
        self.nccl.groupStart()
        try:
            for peer, buf in sends.items():
                self.comm.send(buf[0], buf[1], buf[2], peer, stream)
            for peer, buf in recvs.items():
                self.comm.recv(buf[0], buf[1], buf[2], peer, stream)
        finally:
            self.nccl.groupEnd()

    def _chunks(self, buf: tuple) -> list:
        n = buf[1] // self.size
        step = _nbytes(buf) // self.size
        return [(buf[0] + r * step, n, buf[2]) for r in range(self.size)]

    def gather(self, send, recv, root, async_):
        if self.rank == root:
            self._exchange({root: send}, dict(enumerate(self._chunks(recv))))
        else:
            self._exchange({root: send}, {})

    def scatter(self, send, recv, root, async_):
        if self.rank == root:
            self._exchange(dict(enumerate(self._chunks(send))), {root: recv})
        else:
            self._exchange({}, {root: recv})

    def alltoall(self, outputs: list, inputs: list) -> None:
        """inputs[i] (CUDA tensors) go to rank i; rank i's chunk for us lands in outputs[i]."""
        self._exchange({r: self.buffer(t) for r, t in enumerate(inputs)},
                       {r: self.buffer(t) for r, t in enumerate(outputs)})

    def send(self, buf, dst, tag, async_):
        self.comm.send(buf[0], buf[1], buf[2], dst, self._stream())

    def recv(self, buf, src, tag, async_):
        if src is None:
            raise ValueError("the nccl backend cannot receive from any rank: name src")
        self.comm.recv(buf[0], buf[1], buf[2], src, self._stream())
        return None if async_ else src

    def barrier(self) -> None:
        with self.cp.cuda.Device(self.device):
            flag = self.cp.zeros(1, self.cp.float32)
            self.comm.allReduce(flag.data.ptr, flag.data.ptr, 1, 7, 0, self._stream())
            self.cp.cuda.get_current_stream().synchronize()

    @contextlib.contextmanager
    def batch(self):
        """Sends and receives issued inside run as one NCCL group, so a ring of them
        (each rank sending before it receives) cannot deadlock."""
        self.nccl.groupStart()
        try:
            yield
        finally:
            self.nccl.groupEnd()

    def send_object(self, obj: Any, dst: int, tag: int) -> None:
        self.host.send_object(obj, dst, tag)

    def recv_object(self, src: int | None, tag: int) -> tuple[Any, int]:
        return self.host.recv_object(src, tag)

    def bcast_object(self, obj: Any, root: int) -> Any:
        return self.host.bcast_object(obj, root)

    def allgather_object(self, obj: Any) -> list:
        return self.host.allgather_object(obj)

    def gather_object(self, obj: Any, root: int) -> list | None:
        return self.host.gather_object(obj, root)

    def scatter_object(self, objs: list | None, root: int) -> Any:
        return self.host.scatter_object(objs, root)

    def split(self, ranks: list[int]) -> NCCLComm | None:
        sub = self.host.split(ranks)
        return None if sub is None else NCCLComm(sub, self.device)

    def free(self) -> None:
        self.comm.destroy()
        self.host.free()

    def abort(self, code: int) -> None:
        self.comm.abort()
        self.host.abort(code)
