"""nn modules against torch: reprs, state_dict keys and order, load_state_dict
messages, default initialisation by distribution, outputs and gradients with
weights copied across, and a LeNet forward + backward."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
from ember import nn  # noqa: E402
import torch.nn as tnn  # noqa: E402


def build(lib):
    n = lib
    return n.Sequential(
        n.Conv2d(3, 8, 3, padding=1, bias=False), n.BatchNorm2d(8), n.ReLU(inplace=True),
        n.MaxPool2d(2), n.Conv2d(8, 8, 3, groups=2, padding="same", padding_mode="reflect"),
        n.GroupNorm(2, 8), n.AdaptiveAvgPool2d(1), n.Flatten(), n.Dropout(0.1),
        n.ModuleList([n.Linear(8, 8) for _ in range(2)]),
        n.ModuleDict({"ln": n.LayerNorm(8), "emb": n.Embedding(5, 8, padding_idx=0)}),
        n.LeakyReLU(0.2), n.GELU("tanh"), n.Softmax(dim=1), n.ConvTranspose2d(4, 2, 3, 2, 1, 1),
        n.InstanceNorm1d(3, affine=True, track_running_stats=True), n.PReLU(3), n.Upsample(
            scale_factor=2, mode="bilinear"), n.ZeroPad2d((1, 2, 0, 1)), n.ReflectionPad1d(2),
        n.Unflatten(1, (2, 4)), n.PixelShuffle(2), n.Identity(), n.CrossEntropyLoss(
            label_smoothing=0.1), n.Hardtanh(-2, 2), n.ReLU6(), n.Softplus(2, 10),
        n.Embedding(4, 2, max_norm=1.0), n.RMSNorm(4), n.Bilinear(2, 3, 4), n.ELU(0.5, True),
        n.Threshold(0.1, 20), n.Conv1d(2, 4, 3, stride=2, dilation=2), n.AvgPool2d(3, 2, 1),
        n.AdaptiveMaxPool2d((2, 3)), n.BatchNorm1d(4, affine=False, momentum=None))


@pytest.mark.cpu_only
def test_repr_matches_torch():
    assert repr(build(nn)) == repr(build(tnn))


def test_state_dict_keys_and_metadata_match_torch():
    e, t = build(nn).state_dict(), build(tnn).state_dict()
    assert list(e) == list(t)
    assert [tuple(v.shape) for v in e.values()] == [tuple(v.shape) for v in t.values()]
    assert dict(e._metadata) == dict(t._metadata)


def test_load_torch_state_dict_and_outputs_match():
    tm = tnn.Sequential(tnn.Conv2d(3, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
                        tnn.Flatten(), tnn.Linear(36, 5))
    em = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                       nn.Flatten(), nn.Linear(36, 5))
    res = em.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in tm.state_dict().items()})
    assert repr(res) == "<All keys matched successfully>"
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
    ye, yt = em(ember.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(ye.detach().cpu().numpy(), yt.detach().cpu().numpy(), atol=1e-5)
    ye.sum().backward()
    yt.sum().backward()
    for (n1, p1), (n2, p2) in zip(em.named_parameters(), tm.named_parameters()):
        assert n1 == n2
        np.testing.assert_allclose(p1.grad.cpu().numpy(), p2.grad.cpu().numpy(), atol=1e-4, rtol=1e-4)
    for (n1, b1), (n2, b2) in zip(em.named_buffers(), tm.named_buffers()):
        assert n1 == n2
        np.testing.assert_allclose(b1.cpu().numpy(), b2.cpu().numpy(), atol=1e-6)
    em.eval()
    tm.eval()
    np.testing.assert_allclose(em(ember.tensor(x)).detach().cpu().numpy(),
                               tm(torch.tensor(x)).detach().cpu().numpy(), atol=1e-5)


def test_load_state_dict_errors_match_torch():
    def err(lib, mod, sd):
        with pytest.raises(RuntimeError) as info:
            mod.load_state_dict(sd)
        return str(info.value).replace("torch.Size", "Size").replace("ember.Size", "Size")

    te, tt = nn.Linear(2, 3), tnn.Linear(2, 3)
    sd_e = {"weight": ember.zeros(3, 2), "extra": ember.zeros(1)}
    sd_t = {"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}
    assert err(nn, te, sd_e) == err(tnn, tt, sd_t)
    sd_e = {"weight": ember.zeros(2, 2), "bias": ember.zeros(3)}
    sd_t = {"weight": torch.zeros(2, 2), "bias": torch.zeros(3)}
    assert err(nn, te, sd_e) == err(tnn, tt, sd_t)
    r_e = te.load_state_dict({"weight": ember.ones(3, 2)}, strict=False)
    r_t = tt.load_state_dict({"weight": torch.ones(3, 2)}, strict=False)
    assert (r_e.missing_keys, r_e.unexpected_keys) == (r_t.missing_keys, r_t.unexpected_keys)
    assert repr(r_e) == repr(r_t)


def test_named_members_match_torch():
    def net(n):
        shared = n.Linear(2, 2)
        m = n.Sequential(shared, n.ReLU(), shared, n.Sequential(n.BatchNorm1d(2)))
        m.register_buffer("scratch", (ember if n is nn else torch).zeros(1), persistent=False)
        return m

    e, t = net(nn), net(tnn)
    for fn, kw in [("named_parameters", {}), ("named_parameters", {"remove_duplicate": False}),
                   ("named_buffers", {}), ("named_modules", {}), ("named_children", {}),
                   ("named_parameters", {"prefix": "m", "recurse": False}),
                   ("named_modules", {"prefix": "root", "remove_duplicate": False})]:
        assert [k for k, _ in getattr(e, fn)(**kw)] == [k for k, _ in getattr(t, fn)(**kw)], fn
    assert list(e.state_dict()) == list(t.state_dict())
    assert sorted(dir(e)) == sorted(d for d in dir(e))
    assert "scratch" in dir(e) and "0" not in dir(e)


@pytest.mark.parametrize("make", [
    lambda n: n.Linear(300, 200), lambda n: n.Conv2d(16, 32, 5), lambda n: n.Conv1d(8, 4, 3),
    lambda n: n.ConvTranspose2d(16, 8, 3, groups=2), lambda n: n.Bilinear(30, 20, 10),
    lambda n: n.Embedding(200, 50)])
def test_default_init_distribution_matches_torch(make):
    e, t = make(nn), make(tnn)
    samples_e, samples_t = {}, {}
    for _ in range(20):  # pool several initialisations: small biases are few samples
        e.reset_parameters()
        t.reset_parameters()
        for name, p in e.named_parameters():
            samples_e.setdefault(name, []).append(p.detach().cpu().numpy().ravel().copy())
        for name, p in t.named_parameters():
            samples_t.setdefault(name, []).append(p.detach().cpu().numpy().ravel().copy())
    for name in samples_t:
        a, b = np.concatenate(samples_e[name]), np.concatenate(samples_t[name])
        # same family and scale: bounds and moments within sampling error
        # two samples' standard deviations differ by ~0.63/sqrt(n) of it (uniform
        # draws): allow about six of those, and never less than 10%
        tolerance = max(0.1, 4 / math.sqrt(a.size))
        assert abs(a.std() - b.std()) < tolerance * b.std() + 1e-3, name
        assert abs(a.mean()) < 5 * b.std() / math.sqrt(a.size) + 1e-3, name
        if "Embedding" not in type(e).__name__:
            # uniform inits: both sample maxima sit near the same bound (each falls below
            # 85% of it with probability 0.85**n, about 1e-6 for the smallest pool here)
            a_max, b_max = np.abs(a).max(), np.abs(b).max()
            assert abs(a_max - b_max) <= 0.15 * max(a_max, b_max) + 1e-3, name


def test_init_functions_distribution():
    from ember.nn import init
    w = ember.empty(400, 300)
    assert abs(float(init.xavier_uniform_(w).std()) - math.sqrt(2 / 700)) < 2e-3
    assert abs(float(init.xavier_normal_(w, gain=2).std()) - 2 * math.sqrt(2 / 700)) < 4e-3
    assert abs(float(init.kaiming_normal_(w, mode="fan_out").std()) - math.sqrt(2 / 400)) < 3e-3
    t = init.trunc_normal_(ember.empty(10000), std=1.0, a=-1.0, b=1.0)
    tt = tnn.init.trunc_normal_(torch.empty(10000), std=1.0, a=-1.0, b=1.0)
    assert float(t.abs().max()) <= 1.0 and abs(float(t.std()) - float(tt.std())) < 0.02
    q = init.orthogonal_(ember.empty(5, 8), gain=2.0).cpu().numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(5), atol=1e-5)
    for name, param in [("relu", None), ("leaky_relu", 0.2), ("tanh", None), ("selu", None),
                        ("conv2d", None), ("sigmoid", None)]:
        assert init.calculate_gain(name, param) == tnn.init.calculate_gain(name, param)
    d = init.dirac_(ember.empty(4, 2, 3, 3), groups=2)
    dt = tnn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2)
    np.testing.assert_array_equal(d.cpu().numpy(), dt.cpu().numpy())
    s = init.sparse_(ember.empty(10, 6), 0.3)
    assert all(int((s[:, j] == 0).sum()) == 3 for j in range(6))


def test_lenet_forward_backward_matches_torch():
    def lenet(n):
        return n.Sequential(n.Conv2d(1, 6, 5, padding=2), n.ReLU(), n.MaxPool2d(2),
                            n.Conv2d(6, 16, 5), n.ReLU(), n.MaxPool2d(2), n.Flatten(),
                            n.Linear(400, 120), n.ReLU(), n.Linear(120, 84), n.ReLU(),
                            n.Linear(84, 10))

    tm, em = lenet(tnn), lenet(nn)
    em.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 4)
    le = nn.CrossEntropyLoss()(em(ember.tensor(x)), ember.tensor(y))
    lt = tnn.CrossEntropyLoss()(tm(torch.tensor(x)), torch.tensor(y))
    assert abs(le.item() - lt.item()) < 1e-5
    le.backward()
    lt.backward()
    for pe, pt in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(pe.grad.cpu().numpy(), pt.grad.cpu().numpy(), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_match_torch(mode, momentum):
    e, t = nn.BatchNorm1d(3, momentum=momentum), tnn.BatchNorm1d(3, momentum=momentum)
    getattr(e, mode)()
    getattr(t, mode)()
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.standard_normal((5, 3, 4)) * 3 + 1
        np.testing.assert_allclose(e(ember.tensor(x, dtype=ember.float32)).detach().cpu().numpy(),
                                   t(torch.tensor(x, dtype=torch.float32)).detach().cpu().numpy(),
                                   atol=1e-5)
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(e.state_dict()[k].cpu().numpy(), t.state_dict()[k].cpu().numpy(),
                                   atol=1e-5)


def test_module_hooks_match_torch():
    def run(n, lib):
        lin = n.Linear(3, 2)
        lin.load_state_dict({"weight": lib.ones(2, 3), "bias": lib.zeros(2)})
        seen = []
        lin.register_forward_pre_hook(lambda m, a: (a[0] * 2,))
        lin.register_forward_hook(lambda m, a, out: out + 1)
        lin.register_full_backward_hook(
            lambda m, gi, go: seen.append((gi[0].tolist(), go[0].tolist())))
        x = lib.ones(1, 3, requires_grad=True)
        out = lin(x)
        out.sum().backward()
        return out.tolist(), x.grad.tolist(), seen

    assert run(nn, ember) == run(tnn, torch)
