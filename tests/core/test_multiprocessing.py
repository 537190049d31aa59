"""Tensors shared between processes: Tensor.share_memory_, Module.share_memory and
ember.multiprocessing (Queues, Process arguments and spawn under fork and spawn)."""

import importlib

import numpy as np
import pytest

import ember
import ember.multiprocessing as mp


# Spawned children import their target by module name, and a test module is not always
# importable by name (pytest's import modes): the targets live in a module on sys.path,
# which spawn hands on to its children.
WORKERS = """
import ember


def add_one(t):
    t.add_(1)


def fill_row(i, out):
    out[i] = i + 1


def fail_on_one(i):
    if i == 1:
        raise ValueError("rank one fails")


def send_back(queue, received):
    t = ember.arange(4.0) * 2
    queue.put(t)
    received.wait(60)  # the sender stays alive until its tensor is received, as in torch
    t.add_(1)  # the receiver sees it: the same memory


def hogwild_step(model, x, y):
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        ember.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
"""


@pytest.fixture
def workers(tmp_path, monkeypatch):
    (tmp_path / "ember_mp_workers.py").write_text(WORKERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module("ember_mp_workers")


def test_share_memory_moves_the_storage_in_place():
    x = ember.arange(6.0)
    view = x[2:]
    assert not x.is_shared()
    assert x.share_memory_() is x and x.is_shared() and view.is_shared()
    x.add_(1)
    assert view.tolist() == [3.0, 4.0, 5.0, 6.0]
    assert x.share_memory_() is x  # already shared: nothing moves again


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_processes_update_a_shared_tensor(method, workers):
    """Spawned: the argument is pickled, so moved into shared memory on the way. Forked:
    nothing is pickled, and a tensor is shared if it was before the fork (as in torch)."""
    context = mp.get_context(method)
    t = ember.zeros(2, 3)[:, 1:]  # a view: the whole storage is shared, the view sent
    if method == "fork":
        t.share_memory_()
    p = context.Process(target=workers.add_one, args=(t,))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert t.tolist() == [[1.0, 1.0], [1.0, 1.0]] and t.is_shared()


def test_a_tensor_comes_back_through_a_queue(workers):
    context = mp.get_context("spawn")
    queue, received = context.Queue(), context.Event()
    p = context.Process(target=workers.send_back, args=(queue, received))
    p.start()
    got = queue.get(timeout=60)
    assert got.tolist() == [0.0, 2.0, 4.0, 6.0] and got.is_shared()
    received.set()
    p.join(60)
    assert p.exitcode == 0 and got.tolist() == [1.0, 3.0, 5.0, 7.0]


def test_spawn_runs_every_rank_and_raises_the_first_error(workers):
    out = ember.zeros(3).share_memory_()
    assert mp.spawn(workers.fill_row, args=(out,), nprocs=3) is None
    assert out.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(mp.ProcessRaisedException, match="rank one fails"):
        mp.spawn(workers.fail_on_one, nprocs=2)


def test_hogwild_training_changes_the_parent_module(workers):
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 1)
    model.share_memory()
    before = model.weight.detach().clone()
    x, y = ember.randn(8, 3), ember.randn(8, 1)
    expected = ember.nn.Linear(3, 1)
    expected.load_state_dict(model.state_dict())
    workers.hogwild_step(expected, x, y)
    p = mp.get_context("fork").Process(target=workers.hogwild_step, args=(model, x, y))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert not ember.equal(model.weight, before)
    np.testing.assert_allclose(model.weight.detach().numpy(), expected.weight.detach().numpy(),
                               rtol=1e-6)
