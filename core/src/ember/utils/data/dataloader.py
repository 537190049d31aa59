"""DataLoader: batches from a dataset, in the main process or in worker processes."""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import time
import warnings
from typing import Any, Callable, Iterable

from ...ops.creation import empty
from ... import _dtype as D
from ... import cuda
from . import _shared
from ._collate import default_collate, default_convert
from ._pin_memory import pin_batch
from ._worker import ExceptionWrapper, Resumed, StopWorker, _Fetcher, worker_loop
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

# While waiting for a batch, how often the parent checks that workers are alive.
_STATUS_POLL = 0.2


class _InfiniteNone:
    """The 'sampler' of an IterableDataset: tasks carry no index."""

    def __iter__(self):
        while True:
            yield None


def _draw_seed(generator) -> int:
    """A 63-bit seed from the loader's generator (or the default one)."""
    return int(empty((), dtype=D.int64).random_(generator=generator).item())


class DataLoader:
    """Iterates over a dataset in batches, as ``torch.utils.data.DataLoader``.

    With ``num_workers > 0`` samples are loaded in worker processes (fork by default
    on Linux); batches come back through shared memory, in sampler order unless
    ``in_order=False``. Each worker seeds ember, ``random`` and NumPy with
    ``base_seed + worker_id``, where ``base_seed`` is drawn from ``generator`` (or
    the default generator) per epoch, so ``ember.manual_seed`` makes runs repeat.

    Example:
        >>> ds = TensorDataset(ember.arange(10).float(), ember.arange(10))
        >>> for x, y in DataLoader(ds, batch_size=4, shuffle=True, num_workers=2):
        ...     print(x.shape)
        ember.Size([4])
        ember.Size([4])
        ember.Size([2])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._is_iterable = isinstance(dataset, IterableDataset)
        self._pin = pin_memory and cuda.is_available()
        if pin_memory and not self._pin:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=2)

        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteNone()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._is_iterable and
                                                  self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def _tasks(self) -> Iterable:
        """What each fetch receives: index lists, single indices, or batch sizes."""
        if self._is_iterable:
            return itertools.repeat(self.batch_size if self.batch_size is not None else None)
        return iter(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
            os.cpu_count()
        if cpus and self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is "
                          f"{cpus}, which is smaller than what this DataLoader is going to "
                          "create. Please be aware that excessive worker creation might get "
                          "DataLoader running slow or even freeze, lower the worker number to "
                          "avoid potential slowness/freeze if necessary.", stacklevel=3)


class _SingleProcessIter:
    """Loads every batch in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._tasks = loader._tasks()
        self._fetcher = _Fetcher(loader.dataset, loader._is_iterable, loader._auto_collation,
                                 loader.collate_fn, loader.drop_last)
        self._done = False

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        if self._done or (self._fetcher.is_iterable and self._fetcher.ended):
            raise StopIteration
        task = next(self._tasks)
        try:
            batch = self._fetcher.fetch(task)
            return pin_batch(batch) if self._loader._pin else batch
        except StopIteration:
            self._done = True
            raise


class _MultiProcessIter:
    """Dispatches tasks to worker processes, keeps ``prefetch_factor`` tasks in
    flight per worker, and hands batches out in order (unless ``in_order=False``).

    Each worker has its own index queue; all share one result queue. While waiting
    on it, the parent polls the workers, so a worker that died (killed, crashed)
    turns into a RuntimeError instead of a hang, as does a wait past ``timeout``.
    """

    _tokens = itertools.count()

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._persistent = loader.persistent_workers
        self._token = f"{os.getpid()}x{next(self._tokens)}"
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        loader.check_worker_number_rationality()
        self._base_seed = _draw_seed(loader.generator)
        self._done_event = ctx.Event()
        self._data_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        for wid in range(self._num_workers):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=worker_loop, daemon=True, args=(
                loader.dataset, loader._is_iterable, loader._auto_collation, loader.collate_fn,
                iq, self._data_queue, self._done_event, self._base_seed,
                loader.worker_init_fn, wid, self._num_workers, self._token, loader.drop_last))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._shutdown = False
        self._start_epoch(first=True)

    # ---- epochs -----------------------------------------------------------------
    def _start_epoch(self, first: bool) -> None:
        self._tasks = self._loader._tasks()
        self._send_idx = 0            # next task id to send
        self._rcvd_idx = 0            # next task id to hand out
        self._task_worker: dict[int, int] = {}   # outstanding task id -> worker id
        self._results: dict[int, Any] = {}       # arrived early (in_order)
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        if not first:
            # Persistent workers: a new epoch; results still queued from an abandoned
            # epoch come before each worker's acknowledgement and are dropped.
            for iq in self._index_queues:
                iq.put(("resume",))
            acks = 0
            while acks < self._num_workers:
                _, data = self._get()
                if isinstance(data, Resumed):
                    acks += 1
        for _ in range(self._prefetch):
            self._dispatch()

    def _reset(self) -> None:
        self._start_epoch(first=False)

    def _dispatch(self) -> None:
        """Sends the next task to the next worker that still has data."""
        if self._sampler_done or not any(self._active):
            return
        try:
            task = next(self._tasks)
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        self._index_queues[wid].put((self._send_idx, task))
        self._task_worker[self._send_idx] = wid
        self._send_idx += 1

    # ---- receiving --------------------------------------------------------------
    def _get(self):
        """One (task id, data) from the result queue; raises if workers died or
        the wait exceeds the timeout."""
        start = time.monotonic()
        while True:
            try:
                return self._data_queue.get(timeout=_STATUS_POLL)
            except queue.Empty:
                pass
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                   f"(exit code(s) {codes}); a negative code is the signal "
                                   "that killed it (e.g. -9: SIGKILL, often the OOM killer).")
            if self._timeout > 0 and time.monotonic() - start > self._timeout:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        in_order = self._loader.in_order
        while True:
            if self._shutdown:
                raise StopIteration
            if in_order:
                # skip ids that produced nothing (their worker's iterator had ended)
                while self._rcvd_idx < self._send_idx and \
                        self._rcvd_idx not in self._task_worker and \
                        self._rcvd_idx not in self._results:
                    self._rcvd_idx += 1
                if self._rcvd_idx in self._results:
                    data = self._results.pop(self._rcvd_idx)
                    self._rcvd_idx += 1
                    return self._deliver(data)
            if not self._task_worker:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            idx, data = self._get()
            if idx not in self._task_worker:
                continue  # an acknowledgement or a stale result
            del self._task_worker[idx]
            if isinstance(data, StopWorker):
                self._active[data.worker_id] = False
                self._dispatch()
            elif not in_order or idx == self._rcvd_idx:
                self._rcvd_idx += idx == self._rcvd_idx
                return self._deliver(data)
            else:
                self._results[idx] = data

    def _deliver(self, data):
        self._dispatch()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return pin_batch(data) if self._loader._pin else data

    # ---- shutdown ---------------------------------------------------------------
    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for iq in self._index_queues:
            try:
                iq.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=2.0)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
        self._data_queue.cancel_join_thread()
        self._data_queue.close()
        for iq in self._index_queues:
            iq.close()
        _shared.cleanup(self._token)

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
