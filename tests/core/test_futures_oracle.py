"""ember.futures against torch.futures: the same script of completions, chains and errors
run on both, comparing values, done() states and the exception types raised."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember.futures  # noqa: E402


def _outcome(read, *args):
    """('ok', value) or ('raises', exception type) for read(*args)."""
    try:
        return "ok", read(*args)
    except Exception as e:  # the type is what is compared
        return "raises", type(e)


def _same_outcome(ours, theirs):
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "raises":
        assert ours[1] is theirs[1], (ours, theirs)
    else:
        assert ours[1] == theirs[1], (ours, theirs)


LIBS = [(ember, ember.futures), (torch, torch.futures)]


def test_tensor_chain_values_match():
    x = np.random.default_rng(0).standard_normal(5).astype(np.float32)
    results = []
    for lib, futures in LIBS:
        fut = futures.Future()
        squared = fut.then(lambda f: f.value() * f.value())
        total = squared.then(lambda f, lib=lib: lib.sum(f.wait()))
        states = [fut.done(), squared.done(), total.done()]
        fut.set_result(lib.from_numpy(x.copy()))
        states += [fut.done(), squared.done(), total.done()]
        results.append((states, squared.wait().numpy(), total.value().item()))
    (s_e, sq_e, t_e), (s_t, sq_t, t_t) = results
    assert s_e == s_t == [False, False, False, True, True, True]
    np.testing.assert_array_equal(sq_e, sq_t)
    assert t_e == pytest.approx(t_t, rel=1e-6)


@pytest.mark.parametrize("error", [ValueError("v"), KeyError("k"), TypeError("t"),
                                   RuntimeError("r")])
def test_set_exception_raises_the_same_type(error):
    outcomes = []
    for _, futures in LIBS:
        fut = futures.Future()
        fut.set_exception(error)
        outcomes.append((fut.done(), _outcome(fut.wait), _outcome(fut.value)))
    (d_e, w_e, v_e), (d_t, w_t, v_t) = outcomes
    assert d_e is d_t is True
    _same_outcome(w_e, w_t)
    _same_outcome(v_e, v_t)
    assert w_e == ("raises", type(error))


@pytest.mark.parametrize("callback", [lambda f: 1 / 0, lambda f: f.value()["missing"],
                                      lambda f: f.value() + 1, lambda f: "ignored"])
@pytest.mark.parametrize("upstream", ["value", "error"])
def test_then_callback_outcomes_match(callback, upstream):
    outcomes = []
    for _, futures in LIBS:
        fut = futures.Future()
        child = fut.then(callback)
        if upstream == "value":
            fut.set_result(41)
        else:
            fut.set_exception(ValueError("upstream"))
        outcomes.append((child.done(), _outcome(child.wait)))
    (d_e, o_e), (d_t, o_t) = outcomes
    assert d_e is d_t is True
    _same_outcome(o_e, o_t)


def test_callback_error_message_names_the_error():
    messages = []
    for _, futures in LIBS:
        fut = futures.Future()
        child = fut.then(lambda f: 1 / 0)
        fut.set_result(0)
        with pytest.raises(RuntimeError) as info:
            child.wait()
        messages.append(str(info.value))
    prefix = "Got the following error when running the callback: ZeroDivisionError: " \
             "division by zero"
    assert all(m.startswith(prefix) for m in messages)


def test_misuse_raises_the_same_types():
    for read in (lambda f: f.set_result(2), lambda f: f.set_exception(ValueError())):
        outcomes = []
        for _, futures in LIBS:
            fut = futures.Future()
            fut.set_result(1)
            outcomes.append(_outcome(read, fut))
        _same_outcome(*outcomes)
        assert outcomes[0] == ("raises", RuntimeError)
    outcomes = [_outcome(futures.Future().set_exception, "text") for _, futures in LIBS]
    _same_outcome(*outcomes)
    assert outcomes[0] == ("raises", AssertionError)
    outcomes = [_outcome(futures.Future().value) for _, futures in LIBS]
    _same_outcome(*outcomes)
    assert outcomes[0] == ("raises", RuntimeError)
    outcomes = [_outcome(futures.Future().then, 5) for _, futures in LIBS]
    _same_outcome(*outcomes)
    assert outcomes[0] == ("raises", TypeError)


def test_inline_callbacks_and_done_callbacks_match():
    logs = []
    for _, futures in LIBS:
        log = []
        fut = futures.Future()
        fut.add_done_callback(lambda f, log=log: log.append(("early", f.value())))
        fut.set_result(7)
        fut.add_done_callback(lambda f, log=log: log.append(("late", f.value())))
        child = fut.then(lambda f, log=log: log.append(("then", f.wait())) or "child")
        logs.append((log, child.done(), child.value()))
    assert logs[0] == logs[1] == ([("early", 7), ("late", 7), ("then", 7)], True, "child")


@pytest.mark.parametrize("plan", [["ok", "ok", "ok"], ["ok", "error", "ok"],
                                  ["error", "ok", "error"], []])
def test_collect_all_and_wait_all_match(plan):
    outcomes = []
    for _, futures in LIBS:
        futs = [futures.Future() for _ in plan]
        combined = futures.collect_all(futs)
        partial = []
        for i, (f, kind) in enumerate(zip(futs, plan)):
            partial.append(combined.done())
            if kind == "ok":
                f.set_result(i * 10)
            else:
                f.set_exception(ValueError(f"error {i}"))
        got = _outcome(_values, combined)
        if got[0] == "raises":
            got = ("raises", got[1], str(_exception(combined.wait)))
        outcomes.append((partial, combined.done(), got,
                         _outcome(futures.wait_all, futs)))
    (p_e, d_e, g_e, w_e), (p_t, d_t, g_t, w_t) = outcomes
    assert p_e == p_t and all(not p for p in p_e) and d_e is d_t is True
    assert g_e == g_t
    _same_outcome(w_e, w_t)


def _values(combined):
    return [f.value() for f in combined.wait()]


def _exception(read):
    try:
        read()
    except Exception as e:
        return e
    raise AssertionError("no exception")
