"""ember.cond and ember.while_loop against torch.cond and torch.while_loop run eagerly:
results, gradients through the taken branch and the loop, result structures, and the
errors torch raises for bad arguments before it traces anything."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _pair(values, device):
    t = torch.tensor(values, requires_grad=True)
    return t, ember.tensor(values, device=device, requires_grad=True)


def _close(e, t):
    # float32 sin/exp: CUDA's and the CPU's libm differ by an ulp or two
    np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-5)


@pytest.mark.parametrize("pred", [True, False, "tensor-true", "tensor-false", 2.5, 0])
def test_cond_matches_torch(device, pred):
    t, e = _pair([1.0, -2.0, 3.0], device)

    def pick(m, x):
        p = m.tensor(pred == "tensor-true") if isinstance(pred, str) else pred
        return m.cond(p, lambda a, b: (a.sin() * b, b.exp()), lambda a, b: (a.cos() + b, b * 3),
                      (x, x * 2))

    want, got = pick(torch, t), pick(ember, e)
    assert isinstance(got, tuple) and len(got) == 2
    for g, w in zip(got, want):
        _close(g, w)
    sum(w.sum() for w in want).backward()
    sum(g.sum() for g in got).backward()
    _close(e.grad, t.grad)


def test_cond_nested_operands_and_no_operands_match_torch(device):
    t, e = _pair([0.5, 1.5], device)
    want = torch.cond(t.sum() > 0, lambda d: d["x"][0] * 2, lambda d: d["x"][0] - 1,
                      ({"x": [t]},))
    got = ember.cond(e.sum() > 0, lambda d: d["x"][0] * 2, lambda d: d["x"][0] - 1,
                     ({"x": [e]},))
    _close(got, want)
    got = ember.cond(ember.tensor(False), lambda: ember.ones(2), lambda: ember.zeros(2))
    _close(got, torch.cond(torch.tensor(False), lambda: torch.ones(2), lambda: torch.zeros(2)))


def test_while_loop_matches_torch(device):
    t, e = _pair([0.5, -1.0, 2.0], device)
    want = torch.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * 1.5 + 1),
                            (torch.tensor(0), t))
    got = ember.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * 1.5 + 1),
                           (ember.tensor(0, device=device), e))
    assert int(got[0]) == int(want[0])
    _close(got[1], want[1])
    want[1].sum().backward()
    got[1].sum().backward()
    _close(e.grad, t.grad)
    # int carries, a tensor-valued condition, a list result, a loop that never runs
    for carried in ((0, t.detach()), [torch.tensor(5), t.detach()]):
        want = torch.while_loop(lambda i, a: a.sum() < 10, lambda i, a: [i + 1, a + 1], carried)
        ember_carried = type(carried)(ember.tensor(c.numpy(), device=device)
                                      if isinstance(c, torch.Tensor) else c for c in carried)
        got = ember.while_loop(lambda i, a: a.sum() < 10, lambda i, a: [i + 1, a + 1],
                               ember_carried)
        assert type(got) is type(want)
        assert int(got[0]) == int(want[0])
        _close(got[1], want[1])
    want = torch.while_loop(lambda d: d["i"] < 3, lambda d: {"i": d["i"] + 1},
                            ({"i": torch.tensor(0)},))
    got = ember.while_loop(lambda d: d["i"] < 3, lambda d: {"i": d["i"] + 1},
                           ({"i": ember.tensor(0)},))
    assert isinstance(got, dict) and int(got["i"]) == int(want["i"])


def test_while_loop_result_is_a_copy_when_it_never_runs():
    x = ember.ones(2)
    got = ember.while_loop(lambda a: a.sum() > 5, lambda a: (a + 1,), (x,))
    assert isinstance(got, tuple) and got[0] is not x
    assert got[0].data_ptr() != x.data_ptr()


def test_errors_match_torch():
    def calls(m):
        x = m.ones(3)
        return [
            lambda: m.cond("a", lambda a: a + 1, lambda a: a - 1, (x,)),
            lambda: m.cond(m.tensor([True, False]), lambda a: a + 1, lambda a: a - 1, (x,)),
            lambda: m.cond(m.tensor(True), 3, lambda a: a - 1, (x,)),
            lambda: m.cond(True, 3, lambda a: a - 1, (x,)),
            lambda: m.cond(m.tensor(True), lambda a: a + 1, lambda a: a - 1, (x, 3)),
            lambda: m.cond(m.tensor(True), lambda a: a + 1, lambda a: a - 1, x),
            lambda: m.while_loop(1, lambda i: (i + 1,), (m.tensor(0),)),
            lambda: m.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a), (m.tensor(0), 3.0)),
            lambda: m.while_loop(lambda i, a: (i < 3).float(), lambda i, a: (i + 1, a * 2),
                                 (m.tensor(0), x)),
            lambda: m.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1,), (m.tensor(0), x)),
        ]

    for want_call, got_call in zip(calls(torch), calls(ember)):
        with pytest.raises(Exception) as want:
            want_call()
        # torch's tracing errors subclass RuntimeError: ember raises the builtin class
        builtin = next(c for c in want.type.__mro__ if c.__module__ == "builtins")
        with pytest.raises(builtin):
            got_call()
