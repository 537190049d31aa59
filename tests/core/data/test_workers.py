"""DataLoader with worker processes: order, persistence, errors, a killed worker, seeding,
shared memory. Kept few and small: every test starts processes."""

import mmap
import os
import random
import signal

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, \
    get_worker_info
from ember.utils.data import _shared


@pytest.fixture(autouse=True)
def _alarm():
    """No test here may hang: SIGALRM fails it after 60 s."""
    def fail(signum, frame):
        raise TimeoutError("DataLoader test hung")
    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _leftover_files():
    return [n for n in os.listdir(_shared._DIR) if n.startswith(f"ember_dl_{os.getpid()}x")]


class Squares(Dataset):
    def __len__(self):
        return 11

    def __getitem__(self, i):
        return {"x": ember.full((3,), float(i)), "y": i * i, "name": f"s{i}"}


def test_same_batches_with_0_1_2_workers_and_in_order_false():
    ref = [(b["x"].tolist(), b["y"].tolist(), b["name"]) for b in
           DataLoader(Squares(), batch_size=4)]
    for workers in (1, 2):
        got = [(b["x"].tolist(), b["y"].tolist(), b["name"]) for b in
               DataLoader(Squares(), batch_size=4, num_workers=workers)]
        assert got == ref
    unordered = [b["y"].tolist() for b in
                 DataLoader(Squares(), batch_size=4, num_workers=2, in_order=False)]
    assert sorted(unordered) == sorted(r[1] for r in ref)
    assert _leftover_files() == []


def test_shuffle_with_workers_reproducible_and_batches_in_shared_memory():
    ds = TensorDataset(ember.arange(40).float().reshape(20, 2), ember.arange(20))

    def epoch():
        ember.manual_seed(3)
        return [(x, y) for x, y in DataLoader(ds, batch_size=6, shuffle=True, num_workers=2)]

    a, b = epoch(), epoch()
    assert [y.tolist() for _, y in a] == [y.tolist() for _, y in b]
    assert sorted(sum((y.tolist() for _, y in a), [])) == list(range(20))
    x, y = a[0]
    np.testing.assert_array_equal(x.numpy(), (2 * y.numpy()[:, None] + [0, 1]).astype(np.float32))
    # the batch's memory is a mapping of the worker's shared file, already unlinked
    assert isinstance(x._storage.data.base.obj, mmap.mmap)
    assert _leftover_files() == []


class Sharded(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, 10, step))


def test_iterable_sharding_and_persistent_workers():
    dl = DataLoader(Sharded(), batch_size=3, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in dl]
    assert first == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    it = dl._iterator
    pids = [w.pid for w in it._workers]
    assert [b.tolist() for b in dl] == first  # second epoch: same workers, fresh iterators
    assert dl._iterator is it and [w.pid for w in it._workers] == pids
    assert all(w.is_alive() for w in it._workers)
    it._shutdown_workers()


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"bad index {i}")
        return i


def test_worker_exception_reraised_with_traceback():
    with pytest.raises(KeyError) as info:
        list(DataLoader(Failing(), batch_size=2, num_workers=2))
    msg = str(info.value)
    assert "Caught KeyError in DataLoader worker process 0" in msg
    assert "bad index 5" in msg and "__getitem__" in msg  # the worker's traceback


class Suicidal(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        if i == 6:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def test_killed_worker_raises_instead_of_hanging():
    import time
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly \(exit code\(s\) -9\)"):
        list(DataLoader(Suicidal(), batch_size=2, num_workers=2, timeout=30))
    assert time.monotonic() - start < 10


class RandomDraws(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return (get_worker_info().id, ember.rand(1).item(), random.random(),
                float(np.random.rand()))


def test_workers_get_distinct_seeds_that_repeat_with_manual_seed():
    def run():
        ember.manual_seed(0)
        # batch_size=2 with 2 workers: worker 0 gets samples 0, 1; worker 1 gets 2, 3
        return [b for b in DataLoader(RandomDraws(), batch_size=2, num_workers=2)]

    a, b = run(), run()
    assert [x[0].tolist() for x in a] == [[0, 0], [1, 1]]
    for gen in (1, 2, 3):  # ember, random, numpy
        assert a[0][gen].tolist() == b[0][gen].tolist()
        assert a[1][gen].tolist() == b[1][gen].tolist()
        assert a[0][gen][0].item() != a[1][gen][0].item()  # worker 0 vs worker 1
