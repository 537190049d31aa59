"""EmbeddingBag / F.embedding_bag against torch: sum, mean and max over offsets or fixed
bags, empty bags, include_last_offset, padding_idx, per_sample_weights; outputs and
weight (and per-sample-weight) gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember import nn  # noqa: E402

RNG = np.random.default_rng(0)
INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0])
OFFSETS = np.array([0, 2, 2, 5])  # the second bag is empty


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), atol=tol, rtol=tol)


@pytest.mark.parametrize("mode,weighted", [("sum", False), ("sum", True), ("mean", False),
                                            ("max", False)])
@pytest.mark.parametrize("padding_idx", [None, 4, -1])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_1d(mode, padding_idx, include_last_offset, weighted):
    w = RNG.standard_normal((10, 3)).astype(np.float32)
    offsets = np.append(OFFSETS, INDICES.size) if include_last_offset else OFFSETS
    psw = RNG.random(INDICES.size).astype(np.float32)
    we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    pe, pt = ember.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    kw = dict(mode=mode, padding_idx=padding_idx, include_last_offset=include_last_offset)
    oe = F.embedding_bag(ember.tensor(INDICES), we, ember.tensor(offsets),
                         per_sample_weights=pe if weighted else None, **kw)
    ot = TF.embedding_bag(torch.tensor(INDICES), wt, torch.tensor(offsets),
                          per_sample_weights=pt if weighted else None, **kw)
    close(oe, ot)
    g = RNG.standard_normal(tuple(ot.shape)).astype(np.float32)
    (oe * ember.tensor(g)).sum().backward()
    (ot * torch.tensor(g)).sum().backward()
    close(we.grad, wt.grad)
    if weighted:
        close(pe.grad, pt.grad)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_module_2d(mode):
    e = nn.EmbeddingBag(7, 4, mode=mode, padding_idx=0)
    t = tnn.EmbeddingBag(7, 4, mode=mode, padding_idx=0)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    x = np.array([[1, 0, 3], [6, 6, 2]])
    oe, ot = e(ember.tensor(x)), t(torch.tensor(x))
    close(oe, ot)
    oe.sum().backward()
    ot.sum().backward()
    close(e.weight.grad, t.weight.grad)
    assert float(e.weight[0].abs().sum()) == 0  # padding row starts at zero


def test_embedding_bag_errors_match_torch():
    def msg(lib, f, *args, **kw):
        with pytest.raises(Exception) as info:
            f(*args, **kw)
        return type(info.value), str(info.value).replace("torch.", "").replace("ember.", "")

    for lib, f in ((ember, F.embedding_bag), (torch, TF.embedding_bag)):
        w = lib.zeros(5, 2)
        assert msg(lib, f, lib.tensor([1, 2]), w) == msg(torch, TF.embedding_bag,
                                                          torch.tensor([1, 2]),
                                                          torch.zeros(5, 2))
    errs = []
    for lib, f in ((ember, F.embedding_bag), (torch, TF.embedding_bag)):
        w = lib.zeros(5, 2)
        errs.append([
            msg(lib, f, lib.tensor([1, 2]), w, lib.tensor([0]), mode="avg"),
            msg(lib, f, lib.tensor([1, 2]), w, lib.tensor([0]), mode="mean",
                per_sample_weights=lib.ones(2)),
            msg(lib, f, lib.tensor([[1, 2]]), w, lib.tensor([0])),
        ])
    assert [e[0] for e in errs[0]] == [e[0] for e in errs[1]]
    assert errs[0][0] == errs[1][0] and errs[0][1] == errs[1][1]
