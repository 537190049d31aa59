"""ember.optim.swa_utils against torch.optim.swa_utils: averaged weights, batch-norm statistics
and SWALR's lr sequence."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from ember.optim import swa_utils as es  # noqa: E402
from torch.optim import swa_utils as ts  # noqa: E402


def _pair():
    """The same small net with batch norm in both frameworks."""
    rng = np.random.default_rng(0)
    em = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4), ember.nn.Linear(4, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    for (_, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters()):
        v = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
        pe.data.copy_(ember.tensor(v))
        pt.data.copy_(torch.tensor(v))
    return em, tm, rng


def _perturb(em, tm, rng):
    """Moves every parameter, and the batch-norm statistics through a training forward."""
    for pe, pt in zip(em.parameters(), tm.parameters()):
        d = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
        pe.data.add_(ember.tensor(d))
        pt.data.add_(torch.tensor(d))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    em.train()(ember.tensor(x))
    tm.train()(torch.tensor(x))


def _state(m):
    return {k: np.asarray(v.detach().cpu()) for k, v in m.state_dict().items()}


@pytest.mark.parametrize("kind", ["swa", "avg_fn_ema", "multi_ema", "multi_swa", "buffers"])
def test_averaged_model_matches_torch(kind):
    em, tm, rng = _pair()
    kw = {"swa": ({}, {}),
          "avg_fn_ema": ({"avg_fn": es.get_ema_avg_fn(0.8)}, {"avg_fn": ts.get_ema_avg_fn(0.8)}),
          "multi_ema": ({"multi_avg_fn": es.get_ema_multi_avg_fn(0.7)},
                        {"multi_avg_fn": ts.get_ema_multi_avg_fn(0.7)}),
          "multi_swa": ({"multi_avg_fn": es.get_swa_multi_avg_fn()},
                        {"multi_avg_fn": ts.get_swa_multi_avg_fn()}),
          "buffers": ({"use_buffers": True}, {"use_buffers": True})}[kind]
    ea, ta = es.AveragedModel(em, **kw[0]), ts.AveragedModel(tm, **kw[1])
    for _ in range(4):
        _perturb(em, tm, rng)
        ea.update_parameters(em)
        ta.update_parameters(tm)
    se, st = _state(ea), _state(ta)
    assert se.keys() == st.keys()
    for k in st:
        np.testing.assert_allclose(se[k], st[k], rtol=1e-6, atol=1e-6, err_msg=k)
    assert int(ea.n_averaged) == 4
    x = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(ea.eval()(ember.tensor(x)).detach()),
                               ta.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_update_bn_matches_torch():
    em, tm, rng = _pair()
    em[1].momentum = tm[1].momentum = 0.3
    batches = [rng.standard_normal((n, 3)).astype(np.float32) for n in (4, 7, 5)]
    es.update_bn([(ember.tensor(b), 0) for b in batches], em.eval())
    ts.update_bn([(torch.tensor(b), 0) for b in batches], tm.eval())
    se, st = _state(em), _state(tm)
    for k in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        np.testing.assert_allclose(se[k], st[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert em[1].momentum == 0.3 and not em.training  # both put back


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_lr_sequence_matches_torch(strategy, anneal_epochs):
    pe, pt = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    oe = ember.optim.SGD([{"params": [pe]}, {"params": [], "lr": 0.3}], lr=1.0)
    ot = torch.optim.SGD([{"params": [pt]}, {"params": [], "lr": 0.3}], lr=1.0)
    se = es.SWALR(oe, swa_lr=[0.1, 0.05], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    st = ts.SWALR(ot, swa_lr=[0.1, 0.05], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    got, want = [se.get_last_lr()], [st.get_last_lr()]
    for _ in range(6):
        oe.step()
        se.step()
        ot.step()
        st.step()
        got.append(se.get_last_lr())
        want.append(st.get_last_lr())
    assert got == want
