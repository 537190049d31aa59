"""The DataLoader worker process: its loop, its seeding and ``get_worker_info``."""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from . import _shared

__all__ = ["WorkerInfo", "get_worker_info"]

# How often a waiting worker checks that its parent is still alive (seconds).
_POLL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its WorkerInfo (with this worker's copy of the
    dataset); in the main process, None.

    Example:
        >>> info = get_worker_info()
        >>> shard = range(info.id, n, info.num_workers) if info else range(n)
    """
    return _info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the parent with its traceback."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError quotes its message with repr(); this keeps the traceback readable."""

    def __repr__(self) -> str:
        return str(self)


class StopWorker:
    """Result sent when an IterableDataset worker's iterator is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class Resumed:
    """Acknowledges a ``("resume",)`` task of persistent workers (a new epoch)."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


def _seed_all(seed: int, worker_id: int) -> None:
    """Seeds ember's, Python's and NumPy's generators; differently in every worker."""
    from ..._generator import manual_seed
    random.seed(seed)
    manual_seed(seed)
    try:
        import numpy as np
        np.random.seed([worker_id, seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF])
    except ImportError:
        pass


class _Fetcher:
    """Turns a task into a batch: indices of a map-style dataset, or a count of items
    pulled from this worker's iterator over an IterableDataset."""

    def __init__(self, dataset, is_iterable: bool, auto_collation: bool, collate_fn,
                 drop_last: bool) -> None:
        self.dataset, self.is_iterable, self.drop_last = dataset, is_iterable, drop_last
        self.auto_collation, self.collate_fn = auto_collation, collate_fn
        self.iterator = iter(dataset) if is_iterable else None
        self.ended = False

    def fetch(self, task):
        if self.is_iterable:
            if not self.auto_collation:
                return self.collate_fn(next(self.iterator))
            items = []
            for _ in range(task):
                try:
                    items.append(next(self.iterator))
                except StopIteration:
                    self.ended = True
                    break
            if not items or (self.drop_last and len(items) < task):
                raise StopIteration
            return self.collate_fn(items)
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            samples = getitems(task) if getitems else [self.dataset[i] for i in task]
            return self.collate_fn(samples)
        return self.collate_fn(self.dataset[task])


def worker_loop(dataset, is_iterable, auto_collation, collate_fn, index_queue, data_queue,
                done_event, base_seed, init_fn, worker_id, num_workers, token, drop_last):
    """Runs in the worker: takes (send_idx, task) from index_queue, puts
    (send_idx, batch or ExceptionWrapper) on data_queue, until it gets None."""
    global _info
    try:
        from ..._threads import set_num_threads
        # OpenMP's thread pool does not survive fork, and workers run side by side
        # anyway: one thread each.
        set_num_threads(1)
        _shared.install_worker(token)
        seed = base_seed + worker_id
        _seed_all(seed, worker_id)
        _info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        parent = os.getppid()
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _Fetcher(dataset, is_iterable, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        while True:
            try:
                item = index_queue.get(timeout=_POLL)
            except queue.Empty:
                if os.getppid() != parent or done_event.is_set():
                    break  # orphaned or shut down
                continue
            if item is None:
                break
            if item == ("resume",):
                if init_error is None:
                    fetcher = _Fetcher(dataset, is_iterable, auto_collation, collate_fn, drop_last)
                data_queue.put((None, Resumed(worker_id)))
                continue
            if done_event.is_set():
                continue
            send_idx, task = item
            if init_error is not None:
                data_queue.put((send_idx, init_error))
                init_error = None
                continue
            if fetcher.ended:
                data_queue.put((send_idx, StopWorker(worker_id)))
                continue
            try:
                batch = fetcher.fetch(task)
            except StopIteration:
                fetcher.ended = True
                batch = StopWorker(worker_id)
            except Exception:
                batch = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((send_idx, batch))
            del batch
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
    data_queue.close()

