"""ember.multiprocessing: Python's multiprocessing, with tensors that cross processes
through shared memory, as torch.multiprocessing.

A CPU tensor put on a Queue, passed to a spawned Process or sent through a Pool is moved
into shared memory (``Tensor.share_memory_``) and sent as a duplicate of its descriptor:
the receiver maps the same elements, so in-place updates on either side, such as Hogwild
training of a module after ``module.share_memory()``, are seen by both. As with torch's
default strategy, a sender must stay alive until its tensors are received; a forked
child shares what was shared before the fork. ``spawn`` starts ``fn(i, *args)`` in nprocs
processes and raises the first one's error.

Example:
    >>> import ember.multiprocessing as mp
    >>> weights = ember.zeros(3).share_memory_()
    >>> mp.spawn(add_rank, args=(weights,), nprocs=2)   # add_rank(i, w): w[i] += i + 1
    >>> weights
    tensor([1., 2., 0.])
"""

from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing import *  # noqa: F403  (torch.multiprocessing re-exports the same)
from multiprocessing.reduction import DupFd, ForkingPickler

from .. import _dtype as D
from .._tensor import Tensor
from ..backends import cpu
from ..nn.parameter import Parameter


def _rebuild(shared, numel: int, dtype_name: str, shape: tuple, stride: tuple, offset: int,
             requires_grad: bool, parameter: bool) -> Tensor:
    dtype = D._dtype_by_name(dtype_name)
    storage = cpu.from_shared(shared.detach(), numel, dtype.storage_np)
    t = Tensor._make(storage, shape, stride, offset, dtype)
    if parameter:
        return Parameter(t, requires_grad)
    t._requires_grad = requires_grad
    return t


def _reduce(t: Tensor):
    if t.device.type != "cpu":
        raise RuntimeError("ember.multiprocessing shares CPU tensors; move CUDA tensors with "
                           ".cpu() (or send them through ember.distributed)")
    # the receiver gets its own duplicate of the memory's descriptor: at a spawn through
    # the new process's start-up, else from this process, which must still be alive then
    shared = DupFd(cpu.share(t._storage))
    return (_rebuild, (shared, t._storage.data.size, t._dtype.name, tuple(t._shape),
                       tuple(t._stride), t._offset, t.requires_grad,
                       isinstance(t, Parameter)))


ForkingPickler.register(Tensor, _reduce)
ForkingPickler.register(Parameter, _reduce)


# How CPU tensors cross processes. Ember passes each storage's file descriptor (torch's
# "file_descriptor" strategy, its default on Linux); torch's other strategy, named files
# in /dev/shm ("file_system"), is not implemented, so it is not offered.
_ALL_SHARING_STRATEGIES = frozenset({"file_descriptor"})
_sharing_strategy = "file_descriptor"


def get_sharing_strategy() -> str:
    """The strategy CPU tensors are shared with: "file_descriptor".

    Example:
        >>> ember.multiprocessing.get_sharing_strategy()
        'file_descriptor'
    """
    return _sharing_strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Chooses the sharing strategy, one of get_all_sharing_strategies().

    Example:
        >>> ember.multiprocessing.set_sharing_strategy("file_descriptor")
    """
    global _sharing_strategy
    if new_strategy not in _ALL_SHARING_STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{set(_ALL_SHARING_STRATEGIES)}")
    _sharing_strategy = new_strategy


def get_all_sharing_strategies() -> set:
    """The sharing strategies this platform supports: {"file_descriptor"}.

    Example:
        >>> ember.multiprocessing.get_all_sharing_strategies()
        {'file_descriptor'}
    """
    return set(_ALL_SHARING_STRATEGIES)


class ProcessRaisedException(Exception):
    """A process started by spawn raised: the message carries its traceback."""

    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.error_index, self.pid = error_index, pid


class ProcessExitedException(Exception):
    """A process started by spawn exited with an error code without raising."""

    def __init__(self, msg: str, error_index: int, pid: int, exit_code: int) -> None:
        super().__init__(msg)
        self.error_index, self.pid, self.exit_code = error_index, pid, exit_code


def _run(fn, i: int, args: tuple, errors) -> None:
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put((i, traceback.format_exc()))
        raise SystemExit(1) from None


def spawn(fn, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):
    """Runs fn(i, *args) for i in range(nprocs), each in its own process; waits for all and
    raises ProcessRaisedException with the traceback of the first that failed (the others
    are terminated). With join=False, returns the started processes instead."""
    context = multiprocessing.get_context(start_method)
    errors = context.SimpleQueue()
    processes = []
    for i in range(nprocs):
        p = context.Process(target=_run, args=(fn, i, args, errors), daemon=daemon)
        p.start()
        processes.append(p)
    if not join:
        return processes
    alive = list(processes)
    while alive:
        for p in list(alive):
            p.join(0.05)
            if p.exitcode is None:
                continue
            alive.remove(p)
            if p.exitcode != 0:
                for other in alive:
                    other.terminate()
                for other in alive:
                    other.join()
                index = processes.index(p)
                if not errors.empty():
                    index, trace = errors.get()
                    raise ProcessRaisedException(
                        f"\n\n-- Process {index} terminated with the following error:\n{trace}",
                        index, processes[index].pid)
                raise ProcessExitedException(
                    f"process {index} terminated with exit code {p.exitcode}", index, p.pid,
                    p.exitcode)
    return None
