"""ember.utils.checkpoint against torch.utils.checkpoint on the same weights."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.utils.checkpoint as tcp  # noqa: E402

import ember  # noqa: E402
from ember import nn  # noqa: E402
from ember.utils import checkpoint as ecp  # noqa: E402

pytestmark = pytest.mark.oracle


def _pair():
    rng = np.random.default_rng(0)
    w1, b1 = rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    w2, b2 = rng.standard_normal((3, 8)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GELU(), torch.nn.Linear(8, 3))
    em = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 3))
    for mod, lib in ((tm, torch), (em, ember)):
        for p, v in zip(mod.parameters(), (w1, b1, w2, b2)):
            p.data = lib.tensor(v)
    return tm, em, x


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
def test_gradients_match_torch(reentrant, x_grad):
    tm, em, x = _pair()
    tx = torch.tensor(x, requires_grad=x_grad)
    ex = ember.tensor(x, requires_grad=x_grad)

    def t_fn(t, scale):
        return tm(t) * scale, tm[0](t).sum(1)

    def e_fn(t, scale):
        return em(t) * scale, em[0](t).sum(1)

    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        tout = tcp.checkpoint(t_fn, tx, 0.5, use_reentrant=reentrant)
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        eout = ecp.checkpoint(e_fn, ex, 0.5, use_reentrant=reentrant)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    assert [o.requires_grad for o in eout] == [o.requires_grad for o in tout]
    for e, t in zip(eout, tout):
        np.testing.assert_allclose(np.asarray(e.detach()), t.detach().numpy(), rtol=1e-5)
    if not tout[0].requires_grad:
        return
    (tout[0].pow(2).sum() + tout[1].sum()).backward()
    (eout[0].pow(2).sum() + eout[1].sum()).backward()
    for ep, tp in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(np.asarray(ep.grad), tp.grad.numpy(), rtol=1e-4, atol=1e-5)
    if x_grad:
        np.testing.assert_allclose(np.asarray(ex.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_sequential_matches_torch(reentrant):
    tm, em, x = _pair()
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    tcp.checkpoint_sequential(tm, 2, tx, use_reentrant=reentrant).pow(2).sum().backward()
    ecp.checkpoint_sequential(em, 2, ex, use_reentrant=reentrant).pow(2).sum().backward()
    for ep, tp in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(np.asarray(ep.grad), tp.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(ex.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


def _messages(fn):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message).replace("torch.", "ember.")) for w in got]


def test_use_reentrant_none_warns_as_torch():
    tx = torch.ones(2, requires_grad=True)
    ex = ember.ones(2, requires_grad=True)
    assert _messages(lambda: ecp.checkpoint(lambda t: t * 2, ex)) == \
        _messages(lambda: tcp.checkpoint(lambda t: t * 2, tx))
    assert _messages(lambda: ecp.checkpoint_sequential([nn.Tanh()], 1, ex)) == \
        _messages(lambda: tcp.checkpoint_sequential([torch.nn.Tanh()], 1, tx))
    # None means the reentrant variant in both
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = tcp.checkpoint(lambda t: t * 2, tx)
        e_out = ecp.checkpoint(lambda t: t * 2, ex)
    assert type(e_out.grad_fn).__name__ == type(t_out.grad_fn).__name__


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value).replace("torch.", "ember.")


def test_errors_match_torch():
    tx = torch.ones(2, requires_grad=True)
    ex = ember.ones(2, requires_grad=True)
    cases = [
        lambda lib, cp, x: cp.checkpoint(lambda t, w: t, x, use_reentrant=True, w=1),
        lambda lib, cp, x: cp.checkpoint(lambda t: t, x, use_reentrant=True, debug=True),
        lambda lib, cp, x: cp.checkpoint(lambda t: t, x, use_reentrant=False,
                                         determinism_check="x"),
        lambda lib, cp, x: lib.autograd.grad(
            cp.checkpoint(lambda t: t * t, x, use_reentrant=True).sum(), x),
    ]
    for case in cases:
        assert (_error(lambda c=case: c(ember, ecp, ex)) ==
                _error(lambda c=case: c(torch, tcp, tx)))
