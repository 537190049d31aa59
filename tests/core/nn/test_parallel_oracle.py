"""DataParallel, the nn.parallel helpers and SyncBatchNorm against torch: outputs,
gradients, state_dict keys; SyncBatchNorm's synchronised path in a simulated world of two
identical ranks against BatchNorm over both ranks' batches."""

import inspect
import re

import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember import nn

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]



# torch 2.13 (the pinned oracle) gives the batch and instance norms a bias argument, shown
# in their repr; an older torch (2.11 on the GPU machine) has neither
_NORM_BIAS = "bias" in inspect.signature(torch.nn.BatchNorm1d).parameters


def _as_torchs_repr(text: str) -> str:
    return text if _NORM_BIAS else re.sub(r"(affine=(?:True|False)), bias=(?:True|False)",
                                          r"\1", text)

def E(t, requires_grad=False):
    out = ember.tensor(t.detach().cpu().numpy())
    return out.requires_grad_() if requires_grad else out


def A(t):
    return np.asarray(t.detach().cpu())


def close(e, t, tol=1e-5):
    np.testing.assert_allclose(A(e), t.detach().cpu().numpy(), rtol=tol, atol=tol)


def load_from_torch(em, tm):
    em.load_state_dict({k: E(v) for k, v in tm.state_dict().items()})


def test_parallel_exports_cover_torch():
    names = {n for n in dir(torch.nn.parallel) if not n.startswith("_")}
    submodules = {"comm", "deprecated", "distributed", "scatter_gather"}
    missing = {n for n in names - submodules if not hasattr(nn.parallel, n)}
    assert not missing
    assert nn.DataParallel is nn.parallel.DataParallel


def test_data_parallel_runs_the_module_and_prefixes_state():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    em = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    load_from_torch(em, tm)
    tdp, edp = torch.nn.DataParallel(tm), nn.DataParallel(em)
    assert edp.module is em
    assert list(edp.state_dict()) == list(tdp.state_dict())
    assert repr(edp) == repr(tdp)
    if not ember.cuda.is_available():
        assert edp.device_ids == tdp.device_ids == []
    x = torch.randn(6, 4)
    xe, xt = E(x, True), x.clone().requires_grad_()
    ye, yt = edp(xe), tdp(xt)
    close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    close(xe.grad, xt.grad)
    for pe, pt in zip(edp.parameters(), tdp.parameters()):
        close(pe.grad, pt.grad)
    out = nn.parallel.data_parallel(em, xe.detach())
    close(out, yt)
    fresh = nn.DataParallel(nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)))
    fresh.load_state_dict({k: E(v) for k, v in tdp.state_dict().items()})
    close(fresh(E(x)), yt)


def test_scatter_replicate_apply_gather_keep_gradients(device):
    torch.manual_seed(1)
    tm = torch.nn.Linear(3, 2)
    em = nn.Linear(3, 2)
    load_from_torch(em, tm)
    x = torch.randn(5, 3)
    xe = E(x, True)
    devices = [device, device, device]
    inputs, kwargs = nn.parallel.scatter_kwargs((xe,), None, devices)
    assert [tuple(a[0].shape) for a in inputs] == [(2, 3), (2, 3), (1, 3)]
    replicas = nn.parallel.replicate(em, devices)
    assert all(r is not em for r in replicas) and list(replicas[0].state_dict()) == \
        ["weight", "bias"]
    outs = nn.parallel.parallel_apply(replicas, inputs, kwargs, devices)
    ye = nn.parallel.gather(outs, device)
    yt = tm(x)
    close(ye, yt)
    ye.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    close(em.weight.grad, tm.weight.grad)
    close(em.bias.grad, tm.bias.grad)
    assert xe.grad is not None
    nested = nn.parallel.gather([{"a": ember.ones(1), "b": (ember.zeros(2),)}] * 2, device)
    assert nested["a"].shape == (2,) and nested["b"][0].shape == (4,)


def test_replicate_refuses_uninitialized_lazy_modules():
    with pytest.raises(RuntimeError, match="uninitialized parameters can't be used"):
        nn.parallel.replicate(nn.Sequential(nn.LazyLinear(2)), ["cpu"])


@pytest.mark.parametrize("kwargs,shape", [({}, (4, 3)), ({"momentum": None}, (4, 3, 5)),
                                          ({"affine": False}, (2, 3, 4, 4)),
                                          ({"track_running_stats": False}, (2, 3, 2, 2, 3)),
                                          ({"bias": False, "eps": 1e-3}, (5, 3, 2))])
def test_sync_batch_norm_without_a_world_is_batch_norm(kwargs, shape):
    if "bias" in kwargs and not _NORM_BIAS:
        pytest.skip("this torch's batch norms take no bias argument")
    tm, em = torch.nn.SyncBatchNorm(3, **kwargs), nn.SyncBatchNorm(3, **kwargs)
    assert _as_torchs_repr(repr(em)) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(0.5, 1.5)
    load_from_torch(em, tm)
    for _ in range(2):
        x = torch.randn(*shape)
        xe, xt = E(x, True), x.clone().requires_grad_()
        ye, yt = em(xe), tm(xt)
        close(ye, yt)
        g = torch.randn(*shape)
        ye.backward(E(g))
        yt.backward(g)
        close(xe.grad, xt.grad, 1e-4)
    for pe, pt in zip(em.parameters(), tm.parameters()):
        close(pe.grad, pt.grad, 1e-4)
    for be, bt in zip(em.buffers(), tm.buffers()):
        close(be, bt)
    em.eval()
    tm.eval()
    close(em(E(x)), tm(x))


def test_sync_batch_norm_input_checks():
    with pytest.raises(ValueError, match="expected at least 2D input"):
        nn.SyncBatchNorm(3)(ember.ones(3))
    with pytest.raises(ValueError, match="number of input channels should be non-zero"):
        nn.SyncBatchNorm(0)(ember.ones(2, 0))


def test_convert_sync_batchnorm_keeps_the_tensors():
    def build(m):
        return m.Sequential(m.Conv2d(2, 3, 1), m.BatchNorm2d(3),
                            m.Sequential(m.Linear(3, 3), m.BatchNorm1d(3, affine=False)))
    em, tm = build(nn), build(torch.nn)
    em[1].eval()
    before = (em[1].weight, em[1].running_mean, em[2][1].running_var)
    ce = nn.SyncBatchNorm.convert_sync_batchnorm(em)
    ct = torch.nn.SyncBatchNorm.convert_sync_batchnorm(tm)
    assert _as_torchs_repr(repr(ce)) == repr(ct)
    assert list(ce.state_dict()) == list(ct.state_dict())
    assert type(ce[1]) is nn.SyncBatchNorm and type(ce[2][1]) is nn.SyncBatchNorm
    assert (ce[1].weight, ce[1].running_mean, ce[2][1].running_var) == before
    assert not ce[1].training and ce[2][1].training
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm3d(2))
    assert type(single) is nn.SyncBatchNorm


@pytest.fixture
def two_identical_ranks(monkeypatch):
    """A world of two ranks that hold the same data: all_reduce(SUM) doubles."""
    calls = []

    def all_reduce(t, op=dist.ReduceOp.SUM, group=None, async_op=False):
        calls.append(group)
        with ember.no_grad():
            t.mul_(2)

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 2)
    monkeypatch.setattr(dist, "all_reduce", all_reduce)
    return calls


@pytest.mark.parametrize("kwargs,shape", [({}, (3, 4)), ({"momentum": 0.3}, (2, 4, 5)),
                                          ({"affine": False}, (2, 4, 3, 3)),
                                          ({"track_running_stats": False}, (2, 4, 2, 2, 2))])
def test_sync_batch_norm_synchronises_across_ranks(two_identical_ranks, kwargs, shape):
    torch.manual_seed(2)
    tm, em = torch.nn.BatchNorm1d(4, **kwargs), nn.SyncBatchNorm(4, **kwargs)
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(0.5, 1.5)
    load_from_torch(em, tm)
    x, g = torch.randn(*shape) * 3 + 1, torch.randn(*shape)
    xt = torch.cat([x, x]).requires_grad_()
    yt = torch.nn.functional.batch_norm(
        xt, tm.running_mean, tm.running_var, tm.weight, tm.bias, True,
        kwargs.get("momentum", 0.1), tm.eps)
    yt.backward(torch.cat([g, g]))
    xe = E(x, True)
    ye = em(xe)
    assert len(two_identical_ranks) == 2
    close(ye, yt[:shape[0]], 1e-5)
    ye.backward(E(g))
    close(xe.grad, xt.grad[:shape[0]], 1e-4)
    for pe, pt in zip(em.parameters(), tm.parameters()):
        close(pe.grad * 2, pt.grad, 1e-4)  # each rank holds its own part of the sum
    if em.running_mean is not None:
        close(em.running_mean, tm.running_mean)
        close(em.running_var, tm.running_var)
    em.eval()
    close(em(E(x)), torch.nn.functional.batch_norm(
        x, tm.running_mean, tm.running_var, tm.weight, tm.bias, em.running_mean is None,
        0.0, tm.eps))
