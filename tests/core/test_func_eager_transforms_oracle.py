"""ember.func.functionalize, debug_unwrap and replace_all_batch_norm_modules_ against
torch.func: same outputs and input mutations, same argument errors, same module state."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _mutating(lib):
    def f(a, scale):
        b = a * scale
        b.view(-1).add_(1)      # mutation of an intermediate through a view
        a.mul_(2)               # mutation of an input, which functionalize keeps
        return b, a.sum()
    return f


@pytest.mark.parametrize("remove", ["mutations", "mutations_and_views"])
def test_functionalize_matches_torch(device, remove):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ex, tx = ember.tensor(x, device=device), torch.tensor(x)
    (eb, es) = ember.func.functionalize(_mutating(ember), remove=remove)(ex, 3.0)
    (tb, ts) = torch.func.functionalize(_mutating(torch), remove=remove)(tx, 3.0)
    np.testing.assert_allclose(eb.cpu().numpy(), tb.numpy(), rtol=1e-6)
    np.testing.assert_allclose(es.item(), ts.item(), rtol=1e-5)
    np.testing.assert_allclose(ex.cpu().numpy(), tx.numpy(), rtol=1e-6)  # input mutated


def test_functionalize_keeps_name_and_composes_with_grad(device):
    def loss(w):
        h = w.clone()
        h.mul_(h)
        return h.sum()
    f = ember.func.functionalize(loss)
    assert f.__name__ == "loss"
    w = ember.tensor([1.0, -2.0, 3.0], device=device)
    g = ember.func.grad(f)(w)
    tg = torch.func.grad(torch.func.functionalize(loss))(torch.tensor([1.0, -2.0, 3.0]))
    np.testing.assert_allclose(g.cpu().numpy(), tg.numpy())


def test_functionalize_rejects_unknown_remove():
    with pytest.raises(RuntimeError) as theirs:
        torch.func.functionalize(torch.sin, remove="views")
    with pytest.raises(RuntimeError, match="remove=views") as ours:
        ember.func.functionalize(ember.sin, remove="views")
    assert type(ours.value) is type(theirs.value)


def test_debug_unwrap_is_identity(device):
    x = ember.randn(3, device=device)
    assert ember.func.debug_unwrap(x) is x
    assert ember.func.debug_unwrap(x, recurse=False) is x
    t = torch.randn(3)
    assert torch.func.debug_unwrap(t) is t


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.ReLU(),
                         nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12, affine=False)),
                         nn.LayerNorm(12))


def test_replace_all_batch_norm_modules_matches_torch():
    enet, tnet = _net(ember), _net(torch)
    assert ember.func.replace_all_batch_norm_modules_(enet) is enet
    torch.func.replace_all_batch_norm_modules_(tnet)
    for (en, em), (tn, tm) in zip(enet.named_modules(), tnet.named_modules()):
        assert en == tn
        for attr in ("running_mean", "running_var", "num_batches_tracked",
                     "track_running_stats"):
            assert (getattr(em, attr, "absent") is None) == (getattr(tm, attr, "absent") is None)
            if attr == "track_running_stats" and hasattr(tm, attr):
                assert em.track_running_stats is tm.track_running_stats is False
    assert sorted(n for n, _ in enet.named_buffers()) == sorted(n for n, _ in tnet.named_buffers())
    # the modules still run, now normalizing with the batch's own statistics in eval too
    x = np.random.default_rng(1).standard_normal((5, 2, 2, 2)).astype(np.float32)
    enet.eval()
    out = enet[1](enet[0](ember.tensor(x)))
    np.testing.assert_allclose(out.mean(dim=(0, 2, 3)).detach().numpy(), 0, atol=1e-5)


def test_replace_all_batch_norm_modules_on_a_batch_norm_root():
    bn = ember.nn.BatchNorm1d(4)
    ember.func.replace_all_batch_norm_modules_(bn)
    assert bn.running_mean is None and bn.running_var is None
    assert bn.num_batches_tracked is None and bn.track_running_stats is False
