"""RNN / LSTM / GRU, their cells and PackedSequence helpers against torch: reprs,
state_dict keys and shapes, outputs, final states and gradients with weights copied over."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import torch.nn as tnn  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.utils import rnn as ernn  # noqa: E402
from torch.nn.utils import rnn as trnn  # noqa: E402

RNG = np.random.default_rng(0)


def pair(cls, *args, **kw):
    e, t = getattr(nn, cls)(*args, **kw), getattr(tnn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    assert [tuple(v.shape) for v in es.values()] == [tuple(v.shape) for v in ts.values()]
    e.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in ts.items()})
    return e, t


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def close(a, b, tol=1e-5):
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else a
    np.testing.assert_allclose(a, b.detach().cpu().numpy(), atol=tol, rtol=tol)


def flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in flat(o)]
    if out is None:
        return []
    return [out.data if hasattr(out, "batch_sizes") else out]


def check_grads(e, t, outs_e, outs_t, inputs):
    """Backpropagate the same random weighting of every output through both graphs."""
    le, lt = 0, 0
    for oe, ot in zip(flat(outs_e), flat(outs_t)):
        w = arr(*ot.shape)
        le = le + (oe * ember.tensor(w)).sum()
        lt = lt + (ot * torch.tensor(w)).sum()
    le.backward()
    lt.backward()
    for (ne, pe), (nt, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert ne == nt
        close(pe.grad, pt.grad, 1e-4)
    for ie, it in inputs:
        close(ie.grad, it.grad, 1e-4)


CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "bias": False}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "batch_first": True}),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "bias": False}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False, "num_layers": 2}),
]


@pytest.mark.parametrize("cls,kw", CONFIGS)
def test_outputs_states_and_grads(cls, kw):
    e, t = pair(cls, 5, 6, **kw)
    x = arr(3, 4, 5)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    directions = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h_size = kw.get("proj_size", 0) or 6
    h0 = arr(layers * directions, 3 if kw.get("batch_first") else 4, h_size)
    he, ht = ember.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    if cls == "LSTM":
        c0 = arr(layers * directions, h0.shape[1], 6)
        ce, ct = ember.tensor(c0, requires_grad=True), torch.tensor(c0, requires_grad=True)
        oe, (hne, cne) = e(xe, (he, ce))
        ot, (hnt, cnt) = t(xt, (ht, ct))
        close(cne, cnt)
        inputs = [(xe, xt), (he, ht), (ce, ct)]
    else:
        oe, hne = e(xe, he)
        ot, hnt = t(xt, ht)
        inputs = [(xe, xt), (he, ht)]
    close(oe, ot)
    close(hne, hnt)
    check_grads(e, t, [oe, hne], [ot, hnt], inputs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_fused_gradients_from_every_output_and_state(cls, dtype):
    """The fused LSTM and GRU recurrences (csrc/rnn.c on the CPU) start their backward from
    the gradients of out and the last states at once, and leave the caller's gradient
    tensors as they were."""
    e, t = pair(cls, 5, 6, num_layers=2, bidirectional=True)
    if dtype == np.float64:
        e, t = e.double(), t.double()
    x = arr(7, 3, 5).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, state_e = e(xe)
    ot, state_t = t(xt)
    outs_e = [oe, *state_e] if cls == "LSTM" else [oe, state_e]
    outs_t = [ot, *state_t] if cls == "LSTM" else [ot, state_t]
    for a, b in zip(outs_e, outs_t):
        close(a, b)
    grads = [arr(*o.shape).astype(dtype) for o in outs_t]
    given = [ember.tensor(g) for g in grads]
    ember.autograd.backward(outs_e, given)
    torch.autograd.backward(outs_t, [torch.tensor(g) for g in grads])
    for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        close(pe.grad, pt.grad, 1e-4)
    close(xe.grad, xt.grad, 1e-4)
    for g, ge in zip(grads, given):
        np.testing.assert_array_equal(ge.cpu().numpy(), g)  # the given gradients are not modified


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_fused_recurrence_across_threads(cls, dtype):
    """Big enough for the fused recurrence to split its packed weight panels across threads:
    hidden 76 leaves the last panel of the state (and of GRU's gates) part empty, batch 37
    leaves a short last tile of rows."""
    e, t = pair(cls, 24, 76, bidirectional=True)
    if dtype == np.float64:
        e, t = e.double(), t.double()
    x = arr(6, 37, 24).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, ot = e(xe)[0], t(xt)[0]
    close(oe, ot)
    check_grads(e, t, [oe], [ot], [(xe, xt)])


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_unbatched_and_default_state(cls):
    e, t = pair(cls, 4, 5, num_layers=2)
    x = arr(6, 4)
    oe, se = e(ember.tensor(x))
    ot, st = t(torch.tensor(x))
    close(oe, ot)
    for a, b in zip(flat(se), flat(st)):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b)


@pytest.mark.parametrize("cls,kw", [("LSTM", {"bidirectional": True, "num_layers": 2}),
                                    ("GRU", {"bidirectional": True}),
                                    ("RNN", {"batch_first": True}),
                                    ("LSTM", {"proj_size": 2, "bidirectional": True})])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequence_input(cls, kw, enforce_sorted):
    e, t = pair(cls, 3, 4, **kw)
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    x = arr(3, 5, 3) if kw.get("batch_first") else arr(5, 3, 3)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    bf = kw.get("batch_first", False)
    pe = ernn.pack_padded_sequence(xe, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    close(pe.data, pt.data)
    assert pe.batch_sizes.tolist() == pt.batch_sizes.tolist()
    oe, se = e(pe)
    ot, st = t(pt)
    assert isinstance(oe, ernn.PackedSequence)
    close(oe.data, ot.data)
    for a, b in zip(flat(se), flat(st)):
        close(a, b)
    pad_e, len_e = ernn.pad_packed_sequence(oe, batch_first=bf, total_length=6)
    pad_t, len_t = trnn.pad_packed_sequence(ot, batch_first=bf, total_length=6)
    close(pad_e, pad_t)
    assert len_e.tolist() == len_t.tolist()
    check_grads(e, t, [pad_e, se], [pad_t, st], [(xe, xt)])


def test_pack_sequence_helpers_match_torch():
    seqs = [arr(4, 2), arr(1, 2), arr(3, 2)]
    pe = ernn.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    pt = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    close(pe.data, pt.data)
    assert pe.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert pe.sorted_indices.tolist() == pt.sorted_indices.tolist()
    assert pe.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    for a, b in zip(ernn.unpack_sequence(pe), trnn.unpack_sequence(pt)):
        close(a, b)
    pad_e, _ = ernn.pad_packed_sequence(pe, padding_value=-1.0)
    pad_t, _ = trnn.pad_packed_sequence(pt, padding_value=-1.0)
    close(pad_e, pad_t)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        ernn.pack_sequence([ember.tensor(s) for s in seqs])
    with pytest.raises(ValueError, match="total_length"):
        ernn.pad_packed_sequence(pe, total_length=2)


@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                    ("LSTMCell", {}), ("GRUCell", {}),
                                    ("GRUCell", {"bias": False}), ("LSTMCell", {"bias": False})])
def test_cells(cls, kw):
    e, t = pair(cls, 3, 4, **kw)
    x, h = arr(2, 3), arr(2, 4)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    he, ht = ember.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True)
    if cls == "LSTMCell":
        c = arr(2, 4)
        oe, ot = e(xe, (he, ember.tensor(c))), t(xt, (ht, torch.tensor(c)))
    else:
        oe, ot = e(xe, he), t(xt, ht)
    for a, b in zip(flat(oe), flat(ot)):
        close(a, b)
    check_grads(e, t, oe, ot, [(xe, xt), (he, ht)])
    # unbatched input and the default zero state
    for a, b in zip(flat(e(ember.tensor(x[0]))), flat(t(torch.tensor(x[0])))):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b)


def test_dropout_between_layers_only_in_training():
    e, t = pair("LSTM", 3, 4, num_layers=2, dropout=0.5)
    x = arr(5, 2, 3)
    e.eval()
    t.eval()
    close(e(ember.tensor(x))[0], t(torch.tensor(x))[0])
    e.train()
    ember.manual_seed(0)
    a = e(ember.tensor(x))[0]
    b = e(ember.tensor(x))[0]
    assert not np.allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy())


def test_errors_match_torch():
    def msg(fn):
        with pytest.raises(Exception) as info:
            fn()
        return type(info.value), str(info.value)

    e, t = pair("LSTM", 3, 4)
    assert msg(lambda: e(ember.zeros(2, 2, 5))) == msg(lambda: t(torch.zeros(2, 2, 5)))
    assert msg(lambda: e(ember.zeros(2, 2, 2, 3))) == msg(lambda: t(torch.zeros(2, 2, 2, 3)))
    assert (msg(lambda: e(ember.zeros(2, 2, 3), (ember.zeros(1, 3, 4), ember.zeros(1, 2, 4))))
            == msg(lambda: t(torch.zeros(2, 2, 3), (torch.zeros(1, 3, 4),
                                                    torch.zeros(1, 2, 4)))))
    g, tg = pair("GRU", 3, 4)
    assert msg(lambda: g(ember.zeros(2, 2, 3), ember.zeros(2, 4))) == msg(
        lambda: tg(torch.zeros(2, 2, 3), torch.zeros(2, 4)))
    for kw in ({"proj_size": 4}, {"dropout": 2}, {"num_layers": 0}):
        assert msg(lambda kw=kw: nn.LSTM(3, 4, **kw)) == msg(lambda kw=kw: tnn.LSTM(3, 4, **kw))
    assert msg(lambda: nn.GRU(3, 4, proj_size=2)) == msg(lambda: tnn.GRU(3, 4, proj_size=2))
    assert msg(lambda: nn.RNN(3, 4, nonlinearity="gelu")) == msg(
        lambda: tnn.RNN(3, 4, nonlinearity="gelu"))


def test_default_init_range():
    lstm = nn.LSTM(8, 16, num_layers=2)
    for p in lstm.parameters():
        v = p.detach().cpu().numpy()
        assert np.abs(v).max() <= 0.25 and v.std() > 0.1


def test_double_backward():
    # composed path (a GRUCell loop): gradients of gradients match torch
    e, t = pair("GRUCell", 2, 3)
    x = arr(4, 1, 2)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    he, ht = None, None
    for step in range(4):
        he, ht = e(xe[step], he), t(xt[step], ht)
    (ge,) = ember.autograd.grad(he.sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad(ht.sum(), xt, create_graph=True)
    close(ge, gt)
    (ge * ge).sum().backward()
    (gt * gt).sum().backward()
    close(xe.grad, xt.grad, 1e-4)
    # the fused sequence nodes are once-differentiable and say so
    for cls in ("RNN", "LSTM", "GRU"):
        xe = ember.tensor(x, requires_grad=True)
        (ge,) = ember.autograd.grad(getattr(nn, cls)(2, 3)(xe)[0].sum(), xe, create_graph=True)
        with pytest.raises(RuntimeError, match="once_differentiable"):
            (ge * ge).sum().backward()
