"""Process groups and collectives (``torch.distributed``'s API) over MPI, or NCCL for CUDA
tensors (``_nccl.py``; MPI or the world of one still starts it and carries Python objects).

Collectives work on the tensors' own memory: a contiguous CPU tensor is handed to MPI as a
NumPy view of its storage, a CUDA tensor to NCCL as its device address, so nothing is
copied unless the dtype needs it. MPI has no
bfloat16 and no boolean sum, so those are reduced in float32 / uint8 and written back;
operations that only move data (broadcast, gather, all_to_all, ...) send bf16 as its raw
16 bits. Ranks passed to collectives (``src``, ``dst``) are global ranks, as in torch.

Example (run with ``python -m ember.distributed.run --nproc-per-node 2 script.py``):
    >>> import ember, ember.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> t = ember.ones(3) * dist.get_rank()
    >>> dist.all_reduce(t)               # t == [1., 1., 1.] on both ranks
"""

from __future__ import annotations

import enum
import os
import sys
from datetime import timedelta
from typing import Any, Callable

import numpy as np

import ember

from ..futures import Future
from ._comm import LocalComm, MPIComm, import_mpi, launched_by_mpi
from ._nccl import NCCLComm, nccl_module
from .constants import default_pg_timeout


class ReduceOp(enum.Enum):
    """Reduction applied by all_reduce, reduce and reduce_scatter."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"

    # members compare by identity, so hash them by it too: Enum's own hash runs in Python
    __hash__ = object.__hash__


class ProcessGroup:
    """A set of ranks that run collectives together (one MPI communicator)."""

    def __init__(self, comm, ranks: list[int], backend: str,
                 timeout: timedelta | None = None) -> None:
        self._comm = comm
        self._ranks = ranks            # global rank of each group rank
        self._backend = backend
        self._timeout = default_pg_timeout if timeout is None else timeout

    def rank(self) -> int:
        return self._comm.rank

    def size(self) -> int:
        return len(self._ranks)

    def _group_rank(self, global_rank: int, name: str) -> int:
        if global_rank not in self._ranks:
            raise ValueError(f"{name} rank {global_rank} is not part of the group "
                             f"(ranks {self._ranks})")
        return self._ranks.index(global_rank)

    def _peer(self, global_rank: int | None, group_rank: int | None, name: str) -> int:
        """The group rank of a peer named by exactly one of its global or group rank."""
        if global_rank is not None and group_rank is not None:
            raise ValueError(f"Only one of '{name}' or 'group_{name}' can be set")
        if group_rank is None:
            if global_rank is None:
                raise ValueError(f"One of '{name}' or 'group_{name}' must be set")
            return self._group_rank(global_rank, name)
        if not 0 <= group_rank < self.size():
            raise ValueError(f"group_{name} {group_rank} is not a rank of the group "
                             f"(size {self.size()})")
        return group_rank

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self._backend!r}, ranks={self._ranks})"


class GroupMember:
    """``GroupMember.WORLD`` is the default group; NON_GROUP_MEMBER is what new_group returns
    on ranks outside the new group (collectives on it are no-ops there)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


group = GroupMember


class Work:
    """The handle an ``async_op=True`` collective returns; ``wait()`` completes it."""

    def __init__(self, requests: list, finish: Callable[[], None] | None = None,
                 result: list | None = None) -> None:
        self._requests = [r for r in requests if r is not None]
        self._finish = finish
        self._result = result or []
        self._done = False
        self._future: Future | None = None

    def wait(self, timeout=None) -> bool:
        if not self._done:
            for r in self._requests:
                r.Wait()
            self._done = True
            if self._finish is not None:
                self._finish()
            if self._future is not None:
                self._future.set_result(self._result)
        return True

    def is_completed(self) -> bool:
        if not self._done and all(r.Test() for r in self._requests):
            self.wait()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def result(self) -> list:
        self.wait()
        return self._result

    def get_future(self) -> Future[list]:
        """A future completed with the output tensors (a list) when this work completes.
        Nothing progresses MPI in the background: waiting on the future, or on one chained
        from it, completes the work, and its ``done()`` polls it.

        Example:
            >>> fut = dist.all_reduce(t, async_op=True).get_future()
            >>> halved = fut.then(lambda f: f.value()[0] / 2)
            >>> halved.wait()
        """
        if self._future is None:
            self._future = Future()
            if self._done:
                self._future.set_result(self._result)
            else:
                self._future._advance = self._progress
        return self._future

    def _progress(self, block: bool) -> None:
        if block:
            self.wait()
        else:
            self.is_completed()


# ---- the default group ----------------------------------------------------------------
_BACKENDS = ("mpi", "gloo", "nccl")  # gloo is an alias of mpi; nccl starts over either


def is_available() -> bool:
    """Always True: a world of one needs nothing, larger worlds need mpi4py."""
    return True


def is_mpi_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    return is_mpi_available()


def is_nccl_available() -> bool:
    """Whether CuPy sees a GPU and has its NCCL bindings."""
    try:
        nccl_module()
    except (RuntimeError, ImportError):
        return False
    return True


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout=None, world_size: int = -1, rank: int = -1, store=None,
                       group_name: str = "", pg_options=None, device_id=None) -> None:
    """Joins the default process group.

    Ranks come from the MPI launcher (``mpiexec`` or ``python -m ember.distributed.run``) or
    from RANK/WORLD_SIZE; world_size/rank arguments must agree with them. A world of size 1
    needs no launcher and no MPI: every collective is then a local no-op.

    Example:
        >>> dist.init_process_group("mpi")       # inside a launched job
        >>> dist.get_world_size(), dist.get_rank()
    """
    global _pg_count
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    backend = (backend or "mpi").lower()
    if backend not in _BACKENDS:
        raise ValueError(f"Invalid backend {backend!r}: ember.distributed supports 'mpi' (and "
                         "'gloo' as an alias of it) for CPU tensors and 'nccl' for CUDA tensors")
    if init_method not in (None, "env://") and not str(init_method).startswith("tcp://"):
        raise ValueError(f"unsupported init_method {init_method!r}: ranks come from MPI")
    env_size = _env_int("WORLD_SIZE", -1)
    want = world_size if world_size != -1 else env_size
    if launched_by_mpi() or want > 1:
        MPI = import_mpi()
        if not launched_by_mpi() and MPI.COMM_WORLD.Get_size() == 1 and want > 1:
            raise RuntimeError(f"world_size={want} asked for, but this process was not started "
                               "by an MPI launcher: run it with `python -m ember.distributed.run "
                               f"--nproc-per-node {want} script.py` or mpiexec")
        comm = MPIComm(MPI.COMM_WORLD)
        _install_abort_on_error(comm)
    else:
        comm = LocalComm()
    for name, given, actual in (("world_size", world_size, comm.size), ("rank", rank, comm.rank),
                                ("WORLD_SIZE", env_size, comm.size),
                                ("RANK", _env_int("RANK", -1), comm.rank)):
        if given != -1 and given != actual:
            raise ValueError(f"{name}={given} does not match the launcher's "
                             f"{'world size' if 'SIZE' in name.upper() else 'rank'} {actual}")
    if backend == "nccl":
        comm = NCCLComm(comm, _nccl_device(device_id))
    GroupMember.WORLD = ProcessGroup(comm, list(range(comm.size)), backend, timeout)
    _pg_count = 1


def _nccl_device(device_id) -> int:
    """The CUDA device this rank's NCCL communicator uses: device_id, else the current one
    (set it per rank first, as with torch: ember.cuda.set_device(local_rank))."""
    if device_id is None:
        return ember.cuda.current_device()
    return device_id if isinstance(device_id, int) else ember.device(device_id).index or 0


def _install_abort_on_error(comm) -> None:
    """An uncaught exception on one rank aborts the whole job instead of leaving the other
    ranks blocked in a collective forever."""
    previous = sys.excepthook

    def hook(tp, value, tb):
        previous(tp, value, tb)
        sys.stderr.write(f"ember.distributed: rank {comm.rank} failed with {tp.__name__}; "
                         "aborting the job\n")
        sys.stderr.flush()
        comm.abort(1)

    sys.excepthook = hook


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Releases a group's communicator (the default group, and all others, when None)."""
    global _SUBGROUPS, _pg_count
    if group is None or group is GroupMember.WORLD:
        for g in _SUBGROUPS:
            g._comm.free()
        _SUBGROUPS = []
        GroupMember.WORLD = None
        _pg_count = 0
    elif isinstance(group, ProcessGroup):
        group._comm.free()
        _SUBGROUPS = [g for g in _SUBGROUPS if g is not group]


_SUBGROUPS: list[ProcessGroup] = []
# groups created since init_process_group, the default one included, on every rank (a
# new_group counts on ranks outside it too, as in torch)
_pg_count = 0


def get_pg_count() -> int:
    """How many process groups this job has created (the default group counts).

    Example:
        >>> dist.init_process_group("gloo"); dist.new_group([0])
        >>> dist.get_pg_count()
        2
    """
    return _pg_count


def _default() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return GroupMember.WORLD


def _resolve(group) -> ProcessGroup | None:
    """The group to use, or None when this rank is not a member (the call is then a no-op)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    return _default() if group is None else group


def new_group(ranks: list[int] | None = None, timeout=None, backend: str | None = None,
              pg_options=None, use_local_synchronization: bool = False, group_desc=None):
    """A group over some global ranks; every rank of the world must call it.

    Example:
        >>> evens = dist.new_group([0, 2])
    """
    global _pg_count
    world = _default()
    ranks = sorted(range(world.size())) if ranks is None else sorted(int(r) for r in ranks)
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(f"Invalid rank {r} for new_group: world size is {world.size()}")
    comm = world._comm.split(ranks)
    _pg_count += 1
    if comm is None:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, backend or world._backend,
                      world._timeout if timeout is None else timeout)
    _SUBGROUPS.append(pg)
    return pg


def get_rank(group=None) -> int:
    """This process's rank in group (-1 if it is not a member)."""
    pg = _resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    pg = _resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    pg = _resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg._backend


def _known_group(group) -> ProcessGroup:
    if not isinstance(group, ProcessGroup):
        raise ValueError(f"Group {group} is not registered, please create group with "
                         "ember.distributed.new_group API")
    return group


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """The rank in group of the process whose global rank is global_rank.

    Example:
        >>> g = dist.new_group([1, 3])
        >>> dist.get_group_rank(g, 3)
        1
    """
    if group is GroupMember.WORLD:
        return global_rank
    ranks = _known_group(group)._ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The global rank of group's rank group_rank (the inverse of get_group_rank).

    Example:
        >>> g = dist.new_group([1, 3])
        >>> dist.get_global_rank(g, 0)
        1
    """
    if group is GroupMember.WORLD:
        return group_rank
    ranks = _known_group(group)._ranks
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return ranks[group_rank]


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of group's members, in group-rank order (the default group's when
    None)."""
    return list(_known_group(_default() if group is None else group)._ranks)


def barrier(group=None, async_op: bool = False, device_ids=None):
    pg = _resolve(group)
    if pg is not None:
        pg._comm.barrier()
    return Work([]) if async_op else None


# ---- buffers --------------------------------------------------------------------------
def _check(t, name: str = "tensor") -> None:
    if not isinstance(t, ember.Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"ember.Tensor but got {type(t)} instead.")
    if not t.is_contiguous():
        raise ValueError("Tensors must be contiguous")


def _raw(pg: ProcessGroup, t):
    """t's memory as pg's communicator takes it (its device checked there)."""
    return pg._comm.buffer(t)


def _check_list(ts, name: str, n: int, like=None) -> None:
    if len(ts) != n:
        raise ValueError(f"{name} must hold one tensor per rank of the group ({n}), "
                         f"got {len(ts)}")
    for t in ts:
        _check(t, name)
        if like is not None and (t.dtype != like.dtype or t.shape != like.shape):
            raise ValueError(f"every tensor in {name} must have shape {tuple(like.shape)} and "
                             f"dtype {like.dtype}; got {tuple(t.shape)}, {t.dtype}")


# ReduceOps MPI applies to the tensor's own memory, by MPI op name (AVG needs a division)
_IN_PLACE_OPS = {ReduceOp.SUM: "sum", ReduceOp.PRODUCT: "product", ReduceOp.MIN: "min",
                 ReduceOp.MAX: "max"}


def _reduction(t, op: ReduceOp, n: int):
    """(buffer tensor reduced by MPI, MPI op name, finish) for reducing t across n ranks.

    bfloat16 is reduced in float32 and boolean as uint8 (sum = or, product = and).
    """
    mpi_op = _IN_PLACE_OPS.get(op)
    if mpi_op is not None and t._dtype is not ember.bfloat16 and t._dtype is not ember.bool:
        return t, mpi_op, None  # the common case: MPI reduces the tensor's own memory
    op = ReduceOp(op) if not isinstance(op, ReduceOp) else op
    if op is not ReduceOp.AVG and t.dtype is not ember.bfloat16 and t.dtype is not ember.bool:
        return t, op.value, None
    dest = t.detach()
    if dest.dtype is ember.bfloat16:
        work = dest.float()
    elif dest.dtype is ember.bool:
        if op is ReduceOp.AVG:
            raise ValueError("ReduceOp.AVG is not supported for bool tensors")
        work = dest.to(ember.uint8)
        op = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.PRODUCT: ReduceOp.MIN}.get(op, op)
    else:
        work = dest
    mpi_op = "sum" if op is ReduceOp.AVG else op.value

    def finish():
        if op is ReduceOp.AVG:
            if work.is_floating_point():
                work.div_(n)
            else:
                work.copy_(ember.div(work, n, rounding_mode="trunc"))
        if work is not dest:
            dest.copy_(work)

    return work, mpi_op, finish


def _complete(request, finish, async_op: bool, result=None):
    if async_op:
        return Work([request], finish, result)
    if finish is not None:
        finish()
    return None


# ---- collectives ----------------------------------------------------------------------
def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduces tensor across the group in place; every rank gets the result.

    Example:
        >>> t = ember.tensor([1., 2.]) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t, op=dist.ReduceOp.MAX)
    """
    # written out, not through _raw and _complete: each Python call is about 5% of a 1 KB
    # all_reduce between two processes (bench/distributed.py)
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    work, mpi_op, finish = _reduction(tensor, op, pg._comm.size)
    comm = pg._comm
    req = comm.allreduce(comm.buffer(work), mpi_op, async_op)
    if async_op:
        return Work([req], finish, [tensor])
    if finish is not None:
        finish()
    return None


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    """Copies src's tensor into tensor on every rank of the group."""
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    req = pg._comm.broadcast(_raw(pg, tensor), pg._group_rank(src, "src"), async_op)
    return _complete(req, None, async_op, [tensor])


def reduce(tensor, dst: int = 0, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False):
    """Reduces tensor across the group into dst's tensor (others keep theirs)."""
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = pg._group_rank(dst, "dst")
    work, mpi_op, finish = _reduction(tensor, op, pg.size())
    req = pg._comm.reduce(_raw(pg, work), mpi_op, root, async_op)
    return _complete(req, finish if pg.rank() == root else None, async_op, [tensor])


def _stacked(ts: list):
    """A contiguous (n, *shape) buffer and the function that copies it out into ts."""
    buf = ember.empty((len(ts), *ts[0].shape), dtype=ts[0].dtype, device=ts[0].device)

    def scatter_back():
        for i, t in enumerate(ts):
            t.detach().copy_(buf[i])

    return buf, scatter_back


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False):
    """tensor_list[i] receives rank i's tensor, on every rank."""
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    _check_list(tensor_list, "tensor_list", pg.size(), tensor)
    buf, finish = _stacked(tensor_list)
    req = pg._comm.allgather(_raw(pg, tensor), _raw(pg, buf), async_op)
    return _complete(req, finish, async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Gathers every rank's input into one output of (world * d0, ...) or (world, d0, ...)."""
    _check(output_tensor, "output_tensor")
    _check(input_tensor, "input_tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    if output_tensor.numel() != input_tensor.numel() * pg.size() or \
            output_tensor.dtype != input_tensor.dtype:
        raise ValueError("output tensor must have the input's dtype and world_size times its "
                         f"size: got {tuple(output_tensor.shape)} {output_tensor.dtype} for "
                         f"input {tuple(input_tensor.shape)} {input_tensor.dtype}")
    req = pg._comm.allgather(_raw(pg, input_tensor), _raw(pg, output_tensor), async_op)
    return _complete(req, None, async_op, [output_tensor])


def gather(tensor, gather_list: list | None = None, dst: int = 0, group=None,
           async_op: bool = False):
    """dst's gather_list[i] receives rank i's tensor; other ranks pass gather_list=None."""
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = pg._group_rank(dst, "dst")
    finish, recv = None, None
    if pg.rank() == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(gather_list, "gather_list", pg.size(), tensor)
        buf, finish = _stacked(gather_list)
        recv = _raw(pg, buf)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    req = pg._comm.gather(_raw(pg, tensor), recv, root, async_op)
    return _complete(req, finish, async_op, gather_list)


def scatter(tensor, scatter_list: list | None = None, src: int = 0, group=None,
            async_op: bool = False):
    """Rank i's tensor receives src's scatter_list[i]; other ranks pass scatter_list=None."""
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    root = pg._group_rank(src, "src")
    send = None
    if pg.rank() == root:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, "scatter_list", pg.size(), tensor)
        send = _raw(pg, ember.stack([t.detach() for t in scatter_list]))
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    req = pg._comm.scatter(send, _raw(pg, tensor), root, async_op)
    return _complete(req, None, async_op, [tensor])


def _reduce_scatter(output, stacked_input, op, pg, async_op: bool):
    """Reduces stacked_input (group size x output) and leaves chunk rank in output."""
    out, mpi_op, finish = _reduction(output, op, pg.size())
    send = stacked_input.detach()
    if send.dtype is not out.dtype:  # bf16 / bool travel in their reduction dtype
        send = send.to(out.dtype)
    req = pg._comm.reduce_scatter(_raw(pg, send), _raw(pg, out), mpi_op, async_op)
    return _complete(req, finish, async_op, [output])


def reduce_scatter(output, input_list: list, op: ReduceOp = ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """output = reduction over ranks of their input_list[rank]."""
    _check(output, "output")
    pg = _resolve(group)
    if pg is None:
        return None
    _check_list(input_list, "input_list", pg.size(), output)
    return _reduce_scatter(output, ember.stack([t.detach() for t in input_list]), op, pg,
                           async_op)


def reduce_scatter_tensor(output, input, op: ReduceOp = ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """Like reduce_scatter with the inputs concatenated (or stacked) in one tensor."""
    _check(output, "output")
    _check(input, "input")
    pg = _resolve(group)
    if pg is None:
        return None
    if input.numel() != output.numel() * pg.size() or input.dtype != output.dtype:
        raise ValueError("input tensor must have the output's dtype and world_size times its "
                         f"size: got {tuple(input.shape)} {input.dtype} for output "
                         f"{tuple(output.shape)} {output.dtype}")
    return _reduce_scatter(output, input, op, pg, async_op)


def _alltoall_bytes(pg, outputs: list, inputs: list, async_op: bool):
    """Sends inputs[i] to rank i and receives rank i's chunk into outputs[i] (MPI: as raw
    bytes; NCCL: tensor by tensor, in one group of sends and receives)."""
    if isinstance(pg._comm, NCCLComm):
        pg._comm.alltoall(outputs, inputs)
        return _complete(None, None, async_op, outputs)
    send = np.concatenate([_raw(pg, t).view(np.uint8) for t in inputs]) if inputs else \
        np.empty(0, np.uint8)
    rcounts = [t.numel() * t.element_size() for t in outputs]
    recv = np.empty(sum(rcounts), np.uint8)
    scounts = [t.numel() * t.element_size() for t in inputs]

    def finish():  # NumPy copies raw bytes back into the outputs (interop only)
        at = 0
        for t, n in zip(outputs, rcounts):
            _raw(pg, t).view(np.uint8)[:] = recv[at:at + n]
            at += n

    req = pg._comm.alltoallv(send, scounts, recv, rcounts, async_op)
    return _complete(req, finish, async_op, outputs)


def all_to_all(output_tensor_list: list, input_tensor_list: list, group=None,
               async_op: bool = False):
    """Rank r sends input_tensor_list[i] to rank i, which stores it in its output list at r."""
    pg = _resolve(group)
    if pg is None:
        return None
    _check_list(output_tensor_list, "output_tensor_list", pg.size())
    _check_list(input_tensor_list, "input_tensor_list", pg.size())
    return _alltoall_bytes(pg, output_tensor_list, input_tensor_list, async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op: bool = False):
    """all_to_all on the dim-0 splits of one input and one output tensor."""
    _check(output, "output")
    _check(input, "input")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()

    def splits(t, sizes):
        if sizes is None:
            if t.shape[0] % n:
                raise ValueError(f"dim 0 ({t.shape[0]}) must divide by the world size {n}")
            sizes = [t.shape[0] // n] * n
        return list(ember.split(t.detach(), list(sizes))) if t.dim() else [t.detach()]

    return _alltoall_bytes(pg, splits(output, output_split_sizes),
                           splits(input, input_split_sizes), async_op)


# ---- point to point -------------------------------------------------------------------
def _source(pg: ProcessGroup, src: int | None, group_src: int | None) -> int | None:
    """The group rank to receive from; None (any rank) when neither is given."""
    return None if src is None and group_src is None else pg._peer(src, group_src, "src")


def send(tensor, dst: int | None = None, group=None, tag: int = 0,
         group_dst: int | None = None) -> None:
    """Sends tensor to rank dst (or group rank group_dst); blocks until it can be reused."""
    _check(tensor)
    pg = _resolve(group)
    if pg is not None:
        pg._comm.send(_raw(pg, tensor), pg._peer(dst, group_dst, "dst"), tag, False)


def recv(tensor, src: int | None = None, group=None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receives into tensor from src (any rank when None); returns the sender's rank."""
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return -1
    return pg._ranks[pg._comm.recv(_raw(pg, tensor), _source(pg, src, group_src), tag, False)]


def isend(tensor, dst: int | None = None, group=None, tag: int = 0,
          group_dst: int | None = None) -> Work | None:
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    return Work([pg._comm.send(_raw(pg, tensor), pg._peer(dst, group_dst, "dst"), tag, True)])


def irecv(tensor, src: int | None = None, group=None, tag: int = 0,
          group_src: int | None = None) -> Work | None:
    _check(tensor)
    pg = _resolve(group)
    if pg is None:
        return None
    return Work([pg._comm.recv(_raw(pg, tensor), _source(pg, src, group_src), tag, True)])


# ---- Python objects (pickled) ---------------------------------------------------------
def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replaces object_list's items with src's, on every rank (objects must pickle)."""
    pg = _resolve(group)
    if pg is not None:
        object_list[:] = pg._comm.bcast_object(list(object_list), pg._group_rank(src, "src"))


def all_gather_object(object_list: list, obj: Any, group=None) -> None:
    """object_list[i] becomes rank i's obj; object_list must have world-size items."""
    pg = _resolve(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"object_list must have {pg.size()} items, got {len(object_list)}")
    object_list[:] = pg._comm.allgather_object(obj)


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int = 0,
                  group=None) -> None:
    pg = _resolve(group)
    if pg is None:
        return
    out = pg._comm.gather_object(obj, pg._group_rank(dst, "dst"))
    if pg.rank() == pg._group_rank(dst, "dst"):
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError("object_gather_list must have one slot per rank on dst")
        object_gather_list[:] = out


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list=None,
                        src: int = 0, group=None) -> None:
    pg = _resolve(group)
    if pg is None:
        return
    root = pg._group_rank(src, "src")
    objs = list(scatter_object_input_list) if pg.rank() == root else None
    scatter_object_output_list[0] = pg._comm.scatter_object(objs, root)
