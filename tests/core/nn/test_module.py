"""nn.Module, containers, init and functional with known values (no torch needed)."""

import copy
import math
import pickle

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn

pytestmark = pytest.mark.usefixtures("on_device")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.bn = nn.BatchNorm1d(3)
        self.register_buffer("step", ember.tensor(0))
        self.register_buffer("cache", ember.zeros(1), persistent=False)
        self.scale = nn.Parameter(ember.ones(1))

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


def test_registration_and_state_dict_order():
    net = Net()
    assert list(net.state_dict()) == ["scale", "step", "fc.weight", "fc.bias", "bn.weight",
                                      "bn.bias", "bn.running_mean", "bn.running_var",
                                      "bn.num_batches_tracked"]
    assert net.state_dict()._metadata[""] == {"version": 1}
    assert net.state_dict()._metadata["bn"] == {"version": 2}
    assert [n for n, _ in net.named_buffers()] == ["step", "cache", "bn.running_mean",
                                                   "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc", "bn"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "bn"]
    assert net.get_submodule("bn") is net.bn
    assert net.get_parameter("fc.bias") is net.fc.bias
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("nope")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        net.get_parameter("bn.running_mean")
    with pytest.raises(TypeError,
                       match=r"cannot assign 'ember(\.cuda)?\.FloatTensor' as parameter 'scale'"):
        net.scale = ember.ones(1)
    with pytest.raises(KeyError, match="attribute 'fc' already exists"):
        net.register_parameter("fc", None)
    del net.scale
    assert "scale" not in dict(net.named_parameters())
    net.extra = nn.Buffer(ember.ones(2), persistent=False)
    assert "extra" in dict(net.named_buffers()) and "extra" not in net.state_dict()


def test_state_dict_values_are_detached_and_load_copies():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert not sd["fc.weight"].requires_grad and type(sd["fc.weight"]) is ember.Tensor
    assert a.state_dict(keep_vars=True)["fc.weight"] is a.fc.weight
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert ember.equal(b.fc.weight, a.fc.weight) and b.fc.weight is not a.fc.weight
    with pytest.raises(RuntimeError) as info:
        b.load_state_dict({"fc.weight": ember.zeros(3, 2), "zzz": ember.zeros(1)})
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s) in "
                          'state_dict: "scale", "step", "fc.bias"')
    assert 'Unexpected key(s) in state_dict: "zzz". ' in msg
    sd2 = dict(sd)
    sd2["fc.weight"] = ember.zeros(2, 2)
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight: copying a param with "
                                           "shape"):
        b.load_state_dict(sd2)
    new = ember.full((3, 2), 5.0)
    b.load_state_dict({**sd, "fc.weight": new}, assign=True)
    assert isinstance(b.fc.weight, nn.Parameter) and b.fc.weight.requires_grad
    assert float(b.fc.weight.sum()) == 30.0


def test_train_eval_requires_grad_zero_grad_and_apply():
    net = Net()
    assert net.training and net.bn.training
    net.eval()
    assert not net.training and not net.bn.training
    net.train()
    net(ember.randn(4, 2)).sum().backward()
    assert net.fc.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert float(net.fc.weight.grad.abs().sum()) == 0.0
    net.zero_grad()
    assert net.fc.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Net"]


def test_dtype_conversion_keeps_parameter_identity():
    net = Net()
    w = net.fc.weight
    net.double()
    assert net.fc.weight is w and w.dtype == ember.float64
    assert net.step.dtype == ember.int64  # integer buffers keep their dtype
    net.to(ember.float32)
    assert w.dtype == ember.float32
    net.half()
    assert w.dtype == ember.float16 and isinstance(w, nn.Parameter)


def test_hooks_order_and_removal():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, a: calls.append("pre"))
    lin.register_forward_hook(lambda m, a, o: calls.append("post"))
    lin.register_forward_pre_hook(lambda m, a: calls.append("first"), prepend=True)
    lin(ember.zeros(1, 2))
    assert calls == ["first", "pre", "post"]
    h1.remove()
    calls.clear()
    lin(ember.zeros(1, 2))
    assert calls == ["first", "post"]
    lin.register_forward_hook(lambda m, a, kw, o: o * 0, with_kwargs=True)
    assert float(lin(ember.ones(1, 2)).abs().sum()) == 0.0


def test_full_backward_hook_gets_grads_and_can_replace():
    lin = nn.Linear(2, 1)
    lin.load_state_dict({"weight": ember.tensor([[2.0, 3.0]]), "bias": ember.zeros(1)})
    seen = []

    def hook(m, gin, gout):
        seen.append((gin[0].tolist(), gout[0].tolist()))
        return (gin[0] * 10,)

    lin.register_full_backward_hook(hook)
    x = ember.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    assert seen == [([[2.0, 3.0]], [[1.0]])]
    assert x.grad.tolist() == [[20.0, 30.0]]


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    seq.append(nn.Sigmoid())
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.insert(1, nn.ReLU())
    ml += [nn.Identity()]
    assert [type(m).__name__ for m in ml] == ["ReLU", "ReLU", "Tanh", "Identity"]
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(md.keys()) == ["b", "a"] and "a" in md
    pl = nn.ParameterList([ember.ones(2), nn.Parameter(ember.zeros(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    pd = nn.ParameterDict({"w": ember.ones(1)})
    assert isinstance(pd["w"], nn.Parameter) and list(dict(pd.named_parameters())) == ["w"]
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU()])) == "ModuleList(\n  (0-1): 2 x ReLU()\n)"


def test_copy_and_pickle_of_modules():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc.weight is not net.fc.weight
    assert ember.equal(clone.fc.weight, net.fc.weight)
    assert isinstance(clone.fc.weight, nn.Parameter)
    p = pickle.loads(pickle.dumps(nn.Parameter(ember.ones(2))))
    assert isinstance(p, nn.Parameter) and p.requires_grad and p.tolist() == [1.0, 1.0]


@pytest.mark.cpu_only
def test_parameter_repr_and_defaults():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(ember.ones(1), requires_grad=False).requires_grad
    assert type(p * 2) is ember.Tensor


def test_init_known_values():
    from ember.nn import init
    w = ember.empty(3, 3)
    assert init.eye_(w).tolist() == [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]
    assert init.constant_(w, 0.5).sum().item() == 4.5
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    ember.manual_seed(0)
    u = init.kaiming_uniform_(ember.empty(1000, 50), a=math.sqrt(5))
    assert float(u.abs().max()) <= 1 / math.sqrt(50)
    lin = nn.Linear(50, 10)
    assert float(lin.bias.abs().max()) <= 1 / math.sqrt(50)
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert emb.weight[1].tolist() == [0.0, 0.0, 0.0]


def test_functional_known_values():
    x = ember.arange(16.0).reshape(1, 1, 4, 4)
    assert F.max_pool2d(x, 2).flatten().tolist() == [5.0, 7.0, 13.0, 15.0]
    assert F.avg_pool2d(x, 2).flatten().tolist() == [2.5, 4.5, 10.5, 12.5]
    assert F.conv2d(x, ember.ones(1, 1, 2, 2), stride=2).flatten().tolist() == [10.0, 18.0,
                                                                               42.0, 50.0]
    y = F.conv_transpose2d(ember.ones(1, 1, 2, 2), ember.ones(1, 1, 2, 2), stride=2)
    assert y.sum().item() == 16.0 and tuple(y.shape) == (1, 1, 4, 4)
    assert F.softmax(ember.tensor([0.0, math.log(3.0)]), 0).tolist() == pytest.approx([0.25,
                                                                                      0.75])
    assert F.log_softmax(ember.tensor([1000.0, 1000.0]), 0).tolist() == pytest.approx(
        [-math.log(2)] * 2)
    ce = F.cross_entropy(ember.zeros(3, 4), ember.tensor([0, 1, -100]))
    assert ce.item() == pytest.approx(math.log(4))
    ln = F.layer_norm(ember.tensor([[1.0, 3.0]]), (2,))
    assert ln.tolist()[0] == pytest.approx([-1.0, 1.0], abs=1e-4)
    bn = F.batch_norm(ember.tensor([[1.0], [3.0]]), None, None, training=True)
    assert bn.flatten().tolist() == pytest.approx([-1.0, 1.0], abs=1e-4)
    assert F.pad(ember.tensor([[1.0, 2.0, 3.0]]), (2, 1), "reflect").tolist() == [
        [3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    assert F.one_hot(ember.tensor([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert F.interpolate(ember.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist() == [
        [[1.0, 1.0, 2.0, 2.0]]]
    assert F.mse_loss(ember.tensor([1.0, 3.0]), ember.tensor([0.0, 0.0])).item() == 5.0


def test_gradients_known_values():
    x = ember.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.flatten().tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]
    logits = ember.zeros(1, 2, requires_grad=True)
    F.cross_entropy(logits, ember.tensor([1])).backward()
    assert logits.grad.tolist()[0] == pytest.approx([0.5, -0.5])
    w = ember.ones(1, 1, 3, 3, requires_grad=True)
    F.conv2d(ember.ones(1, 1, 3, 3), w, padding=1).sum().backward()
    assert w.grad.flatten().tolist() == [4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]


def test_dropout_statistics_and_eval():
    ember.manual_seed(0)
    d = nn.Dropout(0.25)
    y = d(ember.ones(20000))
    kept = float((y != 0).float().mean())
    assert abs(kept - 0.75) < 0.02
    np.testing.assert_allclose(np.unique(y.cpu().numpy()), [0.0, 1 / 0.75], rtol=1e-6)
    d.eval()
    assert ember.equal(d(ember.ones(5)), ember.ones(5))


def test_utils():
    lin = nn.Linear(3, 2)
    lin(ember.ones(4, 3)).sum().backward()
    total = math.sqrt(sum(float((p.grad ** 2).sum()) for p in lin.parameters()))
    got = nn.utils.clip_grad_norm_(lin.parameters(), 1.0)
    assert float(got) == pytest.approx(total, rel=1e-5)
    clipped = math.sqrt(sum(float((p.grad ** 2).sum()) for p in lin.parameters()))
    assert clipped == pytest.approx(1.0, rel=1e-4)
    nn.utils.clip_grad_value_(lin.parameters(), 0.1)
    assert all(float(p.grad.abs().max()) <= 0.1 + 1e-7 for p in lin.parameters())
    lin.weight.grad = ember.full((2, 3), float("nan"))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(lin.parameters(), 1.0, error_if_nonfinite=True)
    v = nn.utils.parameters_to_vector(lin.parameters())
    assert tuple(v.shape) == (8,)
    nn.utils.vector_to_parameters(ember.arange(8.0), lin.parameters())
    assert lin.bias.tolist() == [6.0, 7.0]
    from ember.nn.utils.rnn import pad_sequence
    out = pad_sequence([ember.ones(1), ember.ones(3)], padding_value=-1)
    assert out.tolist() == [[1.0, 1.0], [-1.0, 1.0], [-1.0, 1.0]]
