"""``Tensor.record_stream``: CUDA memory that another stream still reads is kept from reuse.

CuPy's pool gives a freed block back to the stream it was allocated on, where the next
allocation may take it at once; that is safe for work queued on that stream (it runs in
order) but not for a kernel still queued on another stream that reads the block. For each
(storage, stream) that ``record_stream`` names, a finalizer runs when the storage dies: it
records an event on that stream, so the event completes once all the work queued there
up to the free has run, and keeps the block's memory referenced until then. Blocks whose
event has completed are released at the next ``record_stream``, ``ember.cuda.synchronize``,
``ember.cuda.empty_cache``, and before an allocation that failed for lack of room is tried
again, so the allocation fast path pays nothing.
"""

from __future__ import annotations

import weakref

_recorded: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # storage -> stream ptrs
_held: list = []  # (event, memory) of freed storages, until the event completes


def record_stream(storage, stream) -> None:
    """Keeps storage's memory from reuse after it is freed until the work queued on stream
    (an ember.cuda.Stream) by then has completed."""
    release_completed()
    streams = _recorded.setdefault(storage, set())
    if stream.cuda_stream in streams:
        return
    streams.add(stream.cuda_stream)
    # the raw pool memory, or the array made over it: either keeps the block allocated
    memory = storage._memory if storage._memory is not None else storage._data
    weakref.finalize(storage, _hold_until_done, memory, stream).atexit = False


def _hold_until_done(memory, stream) -> None:
    _held.append((stream.record_event(), memory))


def release_completed() -> int:
    """Gives back to CuPy's pool the held blocks whose streams have finished; returns how
    many it gave back."""
    if not _held:
        return 0
    pending = [(event, memory) for event, memory in _held if not event.query()]
    released = len(_held) - len(pending)
    _held[:] = pending
    return released

