"""Max unpooling, weight/spectral norm (hooks and parametrizations) and LazyConv against torch."""

import warnings

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

F, TF = nn.functional, torch.nn.functional


def E(t, requires_grad=False):
    """The ember twin of a torch tensor (on the default device)."""
    out = ember.tensor(t.detach().numpy())
    return out.requires_grad_() if requires_grad else out


def A(t):
    return np.asarray(t.detach().cpu())


def close(e, t, tol=1e-5):
    np.testing.assert_allclose(A(e), t.detach().numpy(), rtol=tol, atol=tol)


def copy_params(em, tm):
    """Loads torch module tm's state into the ember module em."""
    em.load_state_dict({k: E(v) for k, v in tm.state_dict().items()})


# ---- max unpooling ---------------------------------------------------------------------


@pytest.mark.parametrize("n,shape,k,s,p,out", [
    (1, (2, 3, 9), 3, 2, 1, None),
    (1, (3, 8), 2, None, 0, (9,)),
    (2, (2, 3, 7, 6), 2, None, 0, (1, 1, 7, 6)),
    (2, (3, 6, 6), 3, 2, 1, (6, 6)),
    (3, (1, 2, 5, 4, 6), 2, None, 0, (5, 4, 7)),
    (3, (2, 4, 4, 4), (1, 2, 2), (1, 2, 2), 0, None),
])
def test_max_unpool_forward_backward(n, shape, k, s, p, out):
    torch.manual_seed(0)
    x = torch.randn(*shape)
    pool = getattr(TF, f"max_pool{n}d")
    y, idx = pool(x, k, s, p, return_indices=True)
    ty = y.clone().requires_grad_()
    tu = getattr(TF, f"max_unpool{n}d")(ty, idx, k, s, p, out)
    ey = E(y, True)
    eu = getattr(F, f"max_unpool{n}d")(ey, E(idx), k, s, p, out)
    assert tuple(eu.shape) == tuple(tu.shape)
    close(eu, tu)
    g = torch.randn(tu.shape)
    tu.backward(g)
    eu.backward(E(g))
    close(ey.grad, ty.grad)
    mod_t = getattr(torch.nn, f"MaxUnpool{n}d")(k, s, p)
    mod_e = getattr(nn, f"MaxUnpool{n}d")(k, s, p)
    assert repr(mod_e) == repr(mod_t)
    close(mod_e(E(y), E(idx), output_size=out), mod_t(y, idx, output_size=out))


def test_max_unpool_round_trip_module():
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = ember.tensor([[[[1., 2.], [4., 3.]]]])
    assert unpool(*pool(x)).tolist() == [[[[0., 0.], [4., 0.]]]]


def test_max_unpool_errors():
    y, idx = TF.max_pool2d(torch.randn(1, 2, 4, 4), 2, return_indices=True)
    ey, ei = E(y), E(idx)
    cases = [
        (lambda f, a, i: f.max_unpool2d(a, i.int(), 2), RuntimeError),
        (lambda f, a, i: f.max_unpool2d(a, i + 100, 2), RuntimeError),
        (lambda f, a, i: f.max_unpool2d(a, i - 100, 2), RuntimeError),
        (lambda f, a, i: f.max_unpool2d(a, i[:, :1], 2), RuntimeError),
        (lambda f, a, i: f.max_unpool2d(a[0, 0], i[0, 0], 2), RuntimeError),
        (lambda f, a, i: f.max_unpool2d(a, i, 2, output_size=(9, 9)), ValueError),
        (lambda f, a, i: f.max_unpool2d(a, i, 2, output_size=(1, 2, 3)), ValueError),
        (lambda f, a, i: f.max_unpool1d(a[0], i[0], 2), RuntimeError),
        (lambda f, a, i: f.max_unpool3d(a[0], i[0], 2), RuntimeError),
    ]
    for fn, exc in cases:
        with pytest.raises(exc):
            fn(TF, y, idx)
        with pytest.raises(exc) as info:
            fn(F, ey, ei)
        if exc is RuntimeError:
            with pytest.raises(exc) as tinfo:
                fn(TF, y, idx)
            assert str(info.value).split(":")[0] == str(tinfo.value).split(":")[0]


# ---- weight norm -----------------------------------------------------------------------


def _pair(kind):
    torch.manual_seed(1)
    if kind == "linear":
        return nn.Linear(5, 4), torch.nn.Linear(5, 4), torch.randn(3, 5)
    if kind == "conv":
        return nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3), torch.randn(2, 2, 5, 5)
    return (nn.ConvTranspose2d(3, 2, 3, stride=2), torch.nn.ConvTranspose2d(3, 2, 3, stride=2),
            torch.randn(1, 3, 4, 4))


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", None), ("conv", 0),
                                      ("conv", 1), ("convt", 2)])
def test_weight_norm_hook(kind, dim):
    em, tm, x = _pair(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        tm = torch.nn.utils.weight_norm(tm, dim=dim)
    with pytest.warns(FutureWarning):  # deprecated, as in torch
        em = nn.utils.weight_norm(em, dim=dim)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert em.weight_g.shape == tuple(tm.weight_g.shape)
    copy_params(em, tm)
    with torch.no_grad():
        tm.weight_g.mul_(1.5)  # g no longer equals ||v||: the output depends on both
    em.weight_g.data = E(tm.weight_g)
    ty, ey = tm(x), em(E(x))
    close(ey, ty)
    g = torch.randn(ty.shape)
    ty.backward(g)
    ey.backward(E(g))
    close(em.weight_g.grad, tm.weight_g.grad, 1e-4)
    close(em.weight_v.grad, tm.weight_v.grad, 1e-4)
    with pytest.raises(RuntimeError), pytest.warns(FutureWarning):
        nn.utils.weight_norm(em, dim=dim)
    nn.utils.remove_weight_norm(em)
    torch.nn.utils.remove_weight_norm(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert isinstance(em.weight, nn.Parameter) and em.weight.grad_fn is None
    close(em.weight, tm.weight)
    with pytest.raises(ValueError):
        nn.utils.remove_weight_norm(em)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_weight_norm_parametrization(kind):
    em, tm, x = _pair(kind)
    tm = torch.nn.utils.parametrizations.weight_norm(tm)
    em = nn.utils.parametrizations.weight_norm(em)
    assert type(em).__name__ == type(tm).__name__
    assert list(em.state_dict()) == list(tm.state_dict())
    copy_params(em, tm)
    ty, ey = tm(x), em(E(x))
    close(ey, ty)
    g = torch.randn(ty.shape)
    ty.backward(g)
    ey.backward(E(g))
    for k in ("original0", "original1"):
        close(getattr(em.parametrizations.weight, k).grad,
              getattr(tm.parametrizations.weight, k).grad, 1e-4)
    # a state_dict of the hook-based weight_norm loads into the parametrized module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(_pair(kind)[1])
    em.load_state_dict({k: E(v) for k, v in old.state_dict().items()})
    close(em.weight, old.weight)
    nn.utils.parametrize.remove_parametrizations(em, "weight")
    assert type(em) is type(_pair(kind)[0])
    assert sorted(em.state_dict()) == ["bias", "weight"]
    close(em.weight, old.weight)
    with pytest.raises(ValueError):
        nn.utils.parametrize.remove_parametrizations(em, "weight")


def test_register_parametrization_chain_and_errors():
    def scale(base):
        class Scale(base):
            def forward(self, X):
                return 2 * X

            def right_inverse(self, X):
                return X / 2
        return Scale()

    torch.manual_seed(2)
    tm, em = torch.nn.Linear(3, 3), nn.Linear(3, 3)
    copy_params(em, tm)
    for _ in range(2):  # a second one chains after the first (no right_inverse then)
        torch.nn.utils.parametrize.register_parametrization(tm, "weight", scale(torch.nn.Module))
        nn.utils.parametrize.register_parametrization(em, "weight", scale(nn.Module))
        close(em.weight, tm.weight)
    assert list(em.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        tm.weight = torch.ones(3, 3)
    em.weight = ember.ones(3, 3)
    close(em.parametrizations.weight.original, tm.parametrizations.weight.original)
    with pytest.raises(ValueError):
        nn.utils.parametrize.register_parametrization(em, "nope", scale(nn.Module))
    nn.utils.parametrize.remove_parametrizations(em, "weight", leave_parametrized=False)
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight", leave_parametrized=False)
    close(em.weight, tm.weight)
    assert type(em) is nn.Linear and isinstance(em.weight, nn.Parameter)


# ---- spectral norm ---------------------------------------------------------------------


@pytest.mark.parametrize("kind,n_iter", [("linear", 1), ("conv", 2), ("convt", 1)])
def test_spectral_norm(kind, n_iter):
    em, tm, x = _pair(kind)
    tm = torch.nn.utils.spectral_norm(tm, n_power_iterations=n_iter)
    em = nn.utils.spectral_norm(em, n_power_iterations=n_iter)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert em.weight_u.shape == tuple(tm.weight_u.shape)  # dim=1 for ConvTranspose
    copy_params(em, tm)  # weight_orig and the u/v buffers from torch's
    for _ in range(2):  # training: power iteration updates the buffers each forward
        ty, ey = tm(x), em(E(x))
        close(ey, ty, 1e-4)
        close(em.weight_u, tm.weight_u, 1e-4)
        close(em.weight_v, tm.weight_v, 1e-4)
    g = torch.randn(ty.shape)
    ty.backward(g)
    ey.backward(E(g))
    close(em.weight_orig.grad, tm.weight_orig.grad, 1e-4)
    tm.eval()
    em.eval()
    u = A(em.weight_u).copy()
    close(em(E(x)), tm(x), 1e-4)
    np.testing.assert_array_equal(A(em.weight_u), u)  # eval: no power iteration
    with pytest.raises(RuntimeError):
        nn.utils.spectral_norm(em)
    # a torch state_dict (with its metadata) loads
    sd = tm.state_dict()
    esd = type(sd)((k, E(v)) for k, v in sd.items())
    esd._metadata = sd._metadata
    em.load_state_dict(esd)
    nn.utils.remove_spectral_norm(em)
    torch.nn.utils.remove_spectral_norm(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert isinstance(em.weight, nn.Parameter)
    close(em.weight, tm.weight, 1e-4)
    with pytest.raises(ValueError):
        nn.utils.remove_spectral_norm(em)


def test_spectral_norm_bad_args():
    with pytest.raises(ValueError):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError):
        nn.utils.spectral_norm(nn.Linear(2, 2, bias=False), name="bias")


# ---- lazy convolutions -----------------------------------------------------------------


@pytest.mark.parametrize("n,shape", [(1, (2, 3, 9)), (1, (3, 9)), (2, (2, 4, 6, 5))])
def test_lazy_conv(n, shape):
    em = getattr(nn, f"LazyConv{n}d")(5, 3, padding=1, groups=1)
    tm = getattr(torch.nn, f"LazyConv{n}d")(5, 3, padding=1, groups=1)
    assert repr(em) == repr(tm)
    x = torch.randn(*shape)
    ty = tm(x)
    em(E(x))  # materializes
    assert type(em).__name__ == type(tm).__name__ == f"Conv{n}d"
    assert em.in_channels == tm.in_channels
    assert list(em.state_dict()) == list(tm.state_dict())
    copy_params(em, tm)
    close(em(E(x)), ty, 1e-4)
    # a state_dict materializes an unused lazy conv
    fresh = getattr(nn, f"LazyConv{n}d")(5, 3, padding=1)
    copy_params(fresh, tm)
    close(fresh(E(x)), ty, 1e-4)
    with pytest.raises(RuntimeError):
        getattr(nn, f"LazyConv{n}d")(5, 3)(E(torch.randn(*shape[-1:])))
