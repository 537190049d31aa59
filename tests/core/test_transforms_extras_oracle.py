"""hvp/vhp, invert_permutation, func.stack_module_state (with the vmap ensemble pattern)
and func.linearize, each against torch on random inputs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from ember.autograd.functional import hvp, vhp  # noqa: E402
from ember.nn.utils.rnn import invert_permutation  # noqa: E402


def _pair(shape, device, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float64)
    return ember.tensor(a, device=device), torch.tensor(a)


def _close(e, t, tol=1e-10):
    np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _f2(mod):
    def f(x, y):
        return (x.sin() * y ** 2).sum() + (x * x * y).sum() + (x ** 3).sum()
    return f


@pytest.mark.parametrize("name", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hvp_vhp_two_inputs_match_torch(device, name, create_graph):
    (ex, tx), (ey, ty) = _pair((3, 2), device, 0), _pair((3, 2), device, 1)
    (evx, tvx), (evy, tvy) = _pair((3, 2), device, 2), _pair((3, 2), device, 3)
    ours = {"hvp": hvp, "vhp": vhp}[name]
    theirs = getattr(torch.autograd.functional, name)
    eo, (egx, egy) = ours(_f2(ember), (ex, ey), (evx, evy), create_graph=create_graph)
    to, (tgx, tgy) = theirs(_f2(torch), (tx, ty), (tvx, tvy), create_graph=create_graph)
    _close(eo, to)
    _close(egx, tgx)
    _close(egy, tgy)
    assert egx.requires_grad == tgx.requires_grad


def test_hvp_vhp_single_element_default_v_match_torch(device):
    # v may be left out when the input is one single-element tensor
    ex, tx = _pair((), device, 4)
    f = lambda x: x.exp() * x ** 2  # noqa: E731
    for ours, theirs in ((hvp, torch.autograd.functional.hvp),
                         (vhp, torch.autograd.functional.vhp)):
        eo, eg = ours(f, ex)
        to, tg = theirs(f, tx)
        _close(eo, to)
        _close(eg, tg)


def test_hvp_of_linear_function_is_zero(device):
    ex, tx = _pair(4, device, 5)
    ev, tv = _pair(4, device, 6)
    _, eg = hvp(lambda x: (3 * x).sum(), ex, ev)
    _, tg = torch.autograd.functional.hvp(lambda x: (3 * x).sum(), tx, tv)
    _close(eg, tg)


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hvp_vhp_errors_match_torch(device, name):
    ours = {"hvp": hvp, "vhp": vhp}[name]
    theirs = getattr(torch.autograd.functional, name)
    ex, tx = _pair(3, device, 7)
    cases = [
        (lambda m: (lambda x: x * 2), lambda x: x, "should contain a single element"),
        (lambda m: (lambda x: x.sum()), lambda x: None, "v can only be None"),
        (lambda m: (lambda x: x.sum()), lambda x: x[:2], "v has invalid size"),
        (lambda m: (lambda x: (x.sum(), x.sum())), lambda x: x, "should return a single"),
    ]
    for make_f, make_v, text in cases:
        with pytest.raises(RuntimeError) as te:
            theirs(make_f(torch), tx, make_v(tx))
        with pytest.raises(RuntimeError) as ee:
            ours(make_f(ember), ex, make_v(ex))
        assert text in str(te.value) and text in str(ee.value)


def test_hvp_strict_linear_raises_like_torch(device):
    ex, tx = _pair(3, device, 8)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided"):
        torch.autograd.functional.hvp(lambda x: x.sum(), tx, tx, strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided"):
        hvp(lambda x: x.sum(), ex, ex, strict=True)


@pytest.mark.parametrize("n", [1, 2, 7, 32])
def test_invert_permutation_matches_torch(device, n):
    perm = np.random.default_rng(n).permutation(n)
    e = invert_permutation(ember.tensor(perm, device=device))
    t = torch.nn.utils.rnn.invert_permutation(torch.tensor(perm))
    np.testing.assert_array_equal(e.cpu().numpy(), t.numpy())
    assert str(e.dtype) == "ember.int64" and e.device.type == device
    assert invert_permutation(None) is None


def test_pack_sequence_unsorted_indices_match_torch():
    lengths = [2, 5, 3, 1]
    es = [ember.arange(float(n)) for n in lengths]
    ts = [torch.arange(float(n)) for n in lengths]
    ep = ember.nn.utils.rnn.pack_sequence(es, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence(ts, enforce_sorted=False)
    np.testing.assert_array_equal(ep.unsorted_indices.numpy(), tp.unsorted_indices.numpy())
    np.testing.assert_array_equal(ep.data.numpy(), tp.data.numpy())


def _net_class(mod):
    """The same small net in either framework, with a buffer."""
    class Net(mod.nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = mod.nn.Linear(3, 4), mod.nn.Linear(4, 2)
            self.register_buffer("shift", mod.zeros(2))

        def forward(self, x):
            return self.l2(self.l1(x).tanh()) + self.shift
    return Net


def _ensembles(k):
    rng = np.random.default_rng(11)
    ecls, tcls = _net_class(ember), _net_class(torch)
    em = [ecls() for _ in range(k)]
    tm = [tcls() for _ in range(k)]
    for e, t in zip(em, tm):
        for ep, tp in zip(e.state_dict().values(), t.state_dict().values()):
            values = rng.standard_normal(tuple(tp.shape)).astype(np.float32)
            ep.copy_(ember.tensor(values))
            tp.copy_(torch.tensor(values))
    return em, tm


def test_stack_module_state_matches_torch():
    em, tm = _ensembles(3)
    ep, eb = ember.func.stack_module_state(em)
    tp, tb = torch.func.stack_module_state(tm)
    assert list(ep) == list(tp) and list(eb) == list(tb)
    for name in tp:
        np.testing.assert_array_equal(ep[name].detach().numpy(), tp[name].detach().numpy())
        assert ep[name].requires_grad and ep[name].is_leaf
    for name in tb:
        np.testing.assert_array_equal(eb[name].numpy(), tb[name].numpy())
        assert not eb[name].requires_grad


def test_vmap_ensemble_with_functional_call_matches_torch():
    em, tm = _ensembles(4)
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
    ep, eb = ember.func.stack_module_state(em)
    tp, tb = torch.func.stack_module_state(tm)

    def ours(p, b, data):
        return ember.func.functional_call(em[0], (p, b), (data,))

    def theirs(p, b, data):
        return torch.func.functional_call(tm[0], (p, b), (data,))

    eo = ember.func.vmap(ours, in_dims=(0, 0, None))(ep, eb, ember.tensor(x))
    to = torch.func.vmap(theirs, in_dims=(0, 0, None))(tp, tb, torch.tensor(x))
    assert tuple(eo.shape) == tuple(to.shape) == (4, 5, 2)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    # the stacked parameters train: gradients reach them, as in torch
    eo.sum().backward()
    to.sum().backward()
    for name in tp:
        np.testing.assert_allclose(ep[name].grad.numpy(), tp[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-5)


def test_stack_module_state_errors_match_torch():
    for mod, fw in ((ember, ember.func), (torch, torch.func)):
        with pytest.raises(RuntimeError, match="at least one model"):
            fw.stack_module_state([])
        a, b = mod.nn.Linear(2, 2), mod.nn.Linear(2, 2).eval()
        with pytest.raises(RuntimeError, match="same training/eval mode"):
            fw.stack_module_state([a, b])
        with pytest.raises(RuntimeError, match="same class"):
            fw.stack_module_state([a, mod.nn.Sequential()])
        b.train()
        b.weight.requires_grad_(False)
        with pytest.raises(RuntimeError, match="same .requires_grad"):
            fw.stack_module_state([a, b])


def test_linearize_matches_torch_jvp(device):
    (ex, tx), (ey, ty) = _pair((2, 3), device, 12), _pair((2, 3), device, 13)

    def f(x, y):
        return {"a": x.sin() * y, "b": (x * y).sum()}

    eo, ejvp = ember.func.linearize(f, ex, ey)
    to, tjvp = torch.func.linearize(f, tx, ty)
    _close(eo["a"], to["a"])
    _close(eo["b"], to["b"])
    for seed in (20, 21):  # the same linear map, applied to two tangents
        (etx, ttx), (ety, tty) = _pair((2, 3), device, seed), _pair((2, 3), device, seed + 5)
        eg, tg = ejvp(etx, ety), tjvp(ttx, tty)
        _close(eg["a"], tg["a"])
        _close(eg["b"], tg["b"])
    with pytest.raises(RuntimeError, match="tangent:0 with shape"):
        tjvp(torch.zeros(3), ty)
    with pytest.raises(RuntimeError, match="tangent:0 with shape"):
        ejvp(ember.zeros(3, device=device), ey)
