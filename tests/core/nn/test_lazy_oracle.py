"""UninitializedParameter/UninitializedBuffer and the lazy modules against torch: types
before and after the first forward, state_dict keys and lazy entries, loading initialized
state into a lazy module, values and gradients once materialized."""

import copy
import pickle

import inspect
import re

import numpy as np
import pytest

import ember
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
    out = ember.tensor(t.detach().numpy())
    return out.requires_grad_() if requires_grad else out


def A(t):
    return np.asarray(t.detach().cpu())


def close(e, t, tol=1e-5):
    np.testing.assert_allclose(A(e), t.detach().numpy(), rtol=tol, atol=tol)


def load_from_torch(em, tm):
    em.load_state_dict({k: E(v) for k, v in tm.state_dict().items()})


# ---- the uninitialized tensors ---------------------------------------------------------


@pytest.mark.parametrize("name", ["UninitializedParameter", "UninitializedBuffer"])
def test_uninitialized_tensor_semantics(name):
    e, t = getattr(nn, name)(), getattr(torch.nn, name)()
    assert repr(e) == repr(t) == f"<{name}>"
    assert e.requires_grad == t.requires_grad
    assert nn.parameter.is_lazy(e) and torch.nn.parameter.is_lazy(t)
    assert isinstance(e, nn.Parameter) == isinstance(t, torch.nn.Parameter)
    assert e.dtype == ember.float32 and e.size() == (0,) and t.size() == (0,)
    with pytest.raises(RuntimeError, match="Can't access the shape"):
        _ = e.shape
    with pytest.raises(ValueError, match="uninitialized parameter"):
        e + 1
    with pytest.raises(ValueError, match="uninitialized parameter"):
        e.sum()
    with pytest.raises(RuntimeError, match="share memory"):
        e.share_memory_()
    d = e.to(ember.float64)
    assert type(d) is type(e) and d.dtype == ember.float64
    assert type(copy.deepcopy(e)) is type(e)
    assert type(pickle.loads(pickle.dumps(e))) is type(e)
    e.materialize((2, 3), dtype=ember.float64)
    t.materialize((2, 3), dtype=torch.float64)
    assert type(e).__name__ == type(t).__name__
    assert e.shape == (2, 3) and e.dtype == ember.float64
    assert e.requires_grad == t.requires_grad
    assert not nn.parameter.is_lazy(e)
    with ember.no_grad():
        e.fill_(1.5)
    assert float(e.sum()) == 9.0


def test_uninitialized_parameter_materializes_on_its_dtype_and_device(device):
    p = nn.UninitializedParameter(dtype=ember.float64)
    p.materialize(4)
    assert p.dtype == ember.float64 and p.device.type == device and p.shape == (4,)
    assert type(p) is nn.Parameter and p.requires_grad


# ---- lazy modules ----------------------------------------------------------------------

CASES = [
    ("LazyLinear", (3,), {}, (4, 5)),
    ("LazyLinear", (2,), {"bias": False}, (2, 3, 7)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 8)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 4, 7, 6)),
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 4, 4, 3)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"padding": 1, "output_padding": 1, "stride": 2},
     (2, 3, 4, 5)),
    ("LazyConvTranspose3d", (2, 2), {"groups": 2}, (1, 4, 3, 2, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm1d", (), {"affine": False}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (3, 2, 4, 4)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 3, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", (), {"eps": 1e-3}, (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_lazy_module_matches_torch(name, args, kwargs, shape):
    torch.manual_seed(0)
    em, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert _as_torchs_repr(repr(em)) == repr(tm)
    become = tm.cls_to_become.__name__
    assert em.has_uninitialized_params() == tm.has_uninitialized_params()
    assert [type(p).__name__ for p in em.parameters()] == \
        [type(p).__name__ for p in tm.parameters()]
    assert [type(b).__name__ for b in em.buffers()] == [type(b).__name__ for b in tm.buffers()]
    esd, tsd = em.state_dict(), tm.state_dict()
    assert list(esd) == list(tsd)
    assert [nn.parameter.is_lazy(v) for v in esd.values()] == \
        [torch.nn.parameter.is_lazy(v) for v in tsd.values()]
    x = torch.randn(*shape)
    tm(x)
    em(E(x))
    assert type(em).__name__ == type(tm).__name__ == become
    assert not hasattr(em, "_initialize_hook") and not hasattr(em, "_load_hook")
    assert [(k, tuple(v.shape)) for k, v in em.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    load_from_torch(em, tm)
    xe = E(x, requires_grad=True)
    xt = x.clone().requires_grad_()
    ye, yt = em(xe), tm(xt)
    close(ye, yt, 1e-4)
    g = torch.randn(*yt.shape)
    ye.backward(E(g))
    yt.backward(g)
    close(xe.grad, xt.grad, 1e-4)
    for pe, pt in zip(em.parameters(), tm.parameters()):
        close(pe.grad, pt.grad, 1e-4)
    for be, bt in zip(em.buffers(), tm.buffers()):
        close(be, bt, 1e-5)


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_lazy_module_loads_initialized_state(name, args, kwargs, shape):
    tm = getattr(torch.nn, name)(*args, **kwargs)
    become = tm.cls_to_become.__name__
    x = torch.randn(*shape)
    tm(x)
    tm.eval()
    em = getattr(nn, name)(*args, **kwargs)
    load_from_torch(em, tm)
    # the state materializes the tensors; the class changes only at the first forward
    assert not em.has_uninitialized_params()
    assert type(em).__name__ == name
    em.eval()
    close(em(E(x)), tm(x), 1e-4)
    assert type(em).__name__ == become
    # a lazy module's state loads into another lazy module, which stays lazy
    lazy2, lazy3 = getattr(nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    lazy3.load_state_dict(lazy2.state_dict())
    assert lazy3.has_uninitialized_params() == lazy2.has_uninitialized_params()
    if lazy2.has_uninitialized_params():
        # into an initialized module, it fails as in torch
        with pytest.raises(RuntimeError, match="Can't access the shape"):
            em.load_state_dict(lazy2.state_dict())


def test_lazy_module_moves_dtype_before_initialization():
    em, tm = nn.LazyLinear(3).double(), torch.nn.LazyLinear(3).double()
    assert nn.parameter.is_lazy(em.weight) and em.weight.dtype == ember.float64
    em(ember.ones(2, 4, dtype=ember.float64))
    tm(torch.ones(2, 4, dtype=torch.float64))
    assert em.weight.dtype == ember.float64 and str(tm.weight.dtype) == "torch.float64"


def test_lazy_errors_match_torch():
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
        nn.LazyConv2d(2, 3)(ember.ones(3, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv1d(4, 3, groups=2)(ember.ones(1, 3, 5))
    with pytest.raises(ValueError, match="uninitialized parameter"):
        nn.functional.linear(ember.ones(2, 2), nn.LazyLinear(2).weight)
    with pytest.raises(NotImplementedError):
        nn.LazyModuleMixin.initialize_parameters(nn.Linear(1, 1))
