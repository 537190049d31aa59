"""ember.futures in one process: completion, then() chains, exceptions, collect_all /
wait_all, completion from another thread, and ember.jit.fork's futures."""

import threading
import time

import pytest

import ember
from ember.futures import Future, collect_all, wait_all


def test_set_result_then_wait_value_done(device):
    fut = Future()
    assert not fut.done()
    t = ember.arange(3.0, device=device)
    fut.set_result(t)
    assert fut.done() and fut.wait() is t and fut.value() is t


def test_value_before_completion_raises():
    with pytest.raises(RuntimeError, match="before the Future completed"):
        Future().value()


def test_completing_twice_raises_and_keeps_the_first_value():
    fut = Future()
    fut.set_result(1)
    for again in (lambda: fut.set_result(2), lambda: fut.set_exception(ValueError("x"))):
        with pytest.raises(RuntimeError, match="can only be marked completed once"):
            again()
    assert fut.wait() == 1


def test_then_chain_computes_in_order(device):
    fut = Future()
    order = []
    doubled = fut.then(lambda f: order.append("double") or f.value() * 2)
    plus = doubled.then(lambda f: order.append("plus") or f.value() + 1)
    assert not plus.done()
    fut.set_result(ember.tensor([1.0, 2.0], device=device))
    assert plus.done() and order == ["double", "plus"]
    assert plus.wait().tolist() == [3.0, 5.0] and doubled.wait().tolist() == [2.0, 4.0]


def test_then_on_a_completed_future_runs_inline():
    fut = Future()
    fut.set_result(20)
    child = fut.then(lambda f: f.value() + 1)
    assert child.done() and child.value() == 21


def test_set_exception_reaches_wait_and_value_as_is():
    fut = Future()
    err = KeyError("missing")
    fut.set_exception(err)
    assert fut.done()
    for read in (fut.wait, fut.value):
        with pytest.raises(KeyError) as info:
            read()
        assert info.value is err


def test_set_exception_takes_only_exceptions():
    with pytest.raises(AssertionError, match="not an Exception"):
        Future().set_exception("not an error")


def test_callback_error_becomes_a_runtime_error_down_the_chain():
    fut = Future()
    failed = fut.then(lambda f: 1 / 0)
    after = failed.then(lambda f: f.value() + 1)      # reading the error raises it again
    ignoring = failed.then(lambda f: "recovered")     # a callback may ignore it
    fut.set_result(0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: division by zero") as info:
        failed.wait()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    with pytest.raises(RuntimeError, match="RuntimeError: Got the following error"):
        after.wait()
    assert ignoring.wait() == "recovered"


def test_upstream_exception_propagates_through_then():
    fut = Future()
    child = fut.then(lambda f: f.wait() * 2)
    fut.set_exception(ValueError("bad input"))
    with pytest.raises(RuntimeError, match="ValueError: bad input") as info:
        child.wait()
    assert isinstance(info.value.__cause__, ValueError)


def test_add_done_callback_runs_once_and_swallows_errors(caplog):
    fut, seen = Future(), []
    fut.add_done_callback(lambda f: seen.append(f.value()))
    fut.add_done_callback(lambda f: 1 / 0)
    fut.set_result(4)
    fut.add_done_callback(lambda f: seen.append(f.value() + 1))   # already done: inline
    assert seen == [4, 5] and fut.wait() == 4
    assert "ZeroDivisionError" in caplog.text


def test_non_callable_callbacks_raise_type_error():
    fut = Future()
    with pytest.raises(TypeError, match="callable"):
        fut.then(3)
    with pytest.raises(TypeError, match="callable"):
        fut.add_done_callback(None)


def test_set_result_from_another_thread_wakes_wait():
    fut = Future()
    chained = fut.then(lambda f: f.value().sum())

    def later():
        time.sleep(0.05)
        fut.set_result(ember.ones(4))

    thread = threading.Thread(target=later)
    thread.start()
    assert chained.wait().item() == 4.0 and fut.wait().tolist() == [1.0] * 4
    thread.join()


def test_many_threads_complete_many_futures():
    futs = [Future() for _ in range(16)]
    threads = [threading.Thread(target=f.set_result, args=(i * i,)) for i, f in enumerate(futs)]
    for t in threads:
        t.start()
    assert wait_all(futs) == [i * i for i in range(16)]
    for t in threads:
        t.join()


def test_collect_all_waits_for_every_future():
    a, b = Future(), Future()
    both = collect_all([a, b])
    a.set_result("a")
    assert not both.done()
    b.set_result("b")
    got = both.wait()
    assert got[0] is a and got[1] is b and [f.value() for f in got] == ["a", "b"]
    empty = collect_all([])
    assert empty.done() and empty.wait() == [] and wait_all([]) == []


def test_collect_all_and_wait_all_raise_the_first_error():
    a, b, c = Future(), Future(), Future()
    both = collect_all([a, b, c])
    b.set_exception(ValueError("second"))
    assert not both.done()               # still waits for the others
    c.set_exception(KeyError("third"))
    a.set_result(1)
    with pytest.raises(ValueError, match="second"):
        both.wait()
    with pytest.raises(ValueError, match="second"):
        wait_all([a, b, c])
    with pytest.raises(TypeError, match="ember.futures.Future"):
        collect_all([a, 3])


def test_devices_must_have_indices():
    with pytest.raises(ValueError, match="Expected devices to have indices, got cpu"):
        Future(devices=["cpu"])


def test_generic_alias_and_namespaces():
    assert Future[ember.Tensor] == Future[ember.Tensor]
    assert ember.Future is Future is ember.jit.Future


def test_jit_fork_returns_a_completed_future(device):
    x = ember.ones(2, device=device)
    fut = ember.jit.fork(ember.add, x, x)
    assert isinstance(fut, Future) and fut.done()
    assert ember.jit.wait(fut).tolist() == [2.0, 2.0]
    assert fut.then(lambda f: f.value() * 3).wait().tolist() == [6.0, 6.0]
    with pytest.raises(ZeroDivisionError):
        ember.jit.fork(lambda: 1 / 0)
