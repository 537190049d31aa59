"""torch's older and smaller spellings a program may still use, against torch: the legacy
tensor types, Variable, x.new, the constants, the autocast setters, torch.random,
ember.cuda's RNG helpers, and Tensor methods added for completeness."""

import math

import numpy as np
import pytest
import torch

import ember

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
         "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


def _same(e, t):
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.float().numpy(), t.float().numpy())


@pytest.mark.parametrize("name", NAMES)
def test_legacy_type_constructors_and_isinstance(name):
    E, T = getattr(ember, name), getattr(torch, name)
    for args in ([[1, 0, 2]], [(1, 2)], [np.array([1, 1])], [[[1, 2], [3, 4]]]):
        _same(E(*args), T(*args))
    assert E(2, 3).shape == T(2, 3).shape and E(ember.Size([4])).shape == (4,)
    assert E().shape == T().shape == (0,)
    x = E([1, 0])
    assert isinstance(x, E) and isinstance(x, ember.Tensor)
    assert not isinstance(x, ember.LongTensor if name != "LongTensor" else ember.IntTensor)
    assert E.dtype == getattr(ember, str(T.dtype).split(".")[-1]) and not E.is_cuda
    assert E(x).data_ptr() == x.data_ptr()  # the same type: the same memory
    other = ember.tensor([1.5]) if name != "FloatTensor" else ember.tensor([1])
    with pytest.raises(TypeError):
        E(other)
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        E("a")
    with pytest.raises(RuntimeError, match="expects device type: cpu"):
        E(2, device="cuda")


def test_tensor_type_strings_and_targets():
    e, t = ember.tensor([1.5, 2.5]), torch.tensor([1.5, 2.5])
    assert e.type() == t.type().replace("torch", "ember")
    for target in ("DoubleTensor", "IntTensor", "ByteTensor"):
        _same(e.type(getattr(ember, target)), t.type(getattr(torch, target)))
        _same(e.type(f"torch.{target}"), t.type(f"torch.{target}"))
        _same(e.type(f"ember.{target}"), t.type(f"torch.{target}"))
    _same(e.type(ember.float16), t.type(torch.float16))
    assert ember.cuda.FloatTensor.is_cuda and repr(ember.cuda.LongTensor) == \
        "<class 'ember.cuda.LongTensor'>"
    with pytest.raises(ValueError):
        e.type("torch.NoSuchTensor")


def test_new_follows_the_legacy_constructor(device):
    x = ember.ones(2, 3, dtype=ember.float64, device=device)
    assert x.new(4).shape == (4,) and x.new(4).dtype == ember.float64
    assert x.new([1, 2]).tolist() == [1.0, 2.0] and x.new().shape == (0,)
    assert x.new(ember.Size([2, 2])).device.type == device
    s = x.new_empty_strided((2, 3), (1, 2))
    assert s.stride() == (1, 2) and s.dtype == ember.float64


def test_variable_is_a_leaf_alias():
    from ember.autograd import Variable
    x = ember.ones(2)
    v = Variable(x, requires_grad=True)
    tv = torch.autograd.Variable(torch.ones(2), requires_grad=True)
    assert (v is x) is False and v.requires_grad and not x.requires_grad and tv.requires_grad
    assert v.data_ptr() == x.data_ptr() and isinstance(x, Variable)
    assert Variable().shape == (0,)
    y = x * 2
    assert Variable(y).is_leaf
    with pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1])


def test_constants_match_torch():
    for name in ("pi", "e", "inf"):
        assert getattr(ember, name) == getattr(torch, name)
    assert math.isnan(ember.nan) and ember.newaxis is torch.newaxis is None
    assert ember.ones(3)[:, ember.newaxis].shape == (3, 1)


def test_autocast_setters_match_torch():
    for m in (ember, torch):
        m.set_autocast_dtype("cpu", m.float16)
        assert str(m.get_autocast_dtype("cpu")).endswith("float16")
        assert not m.is_autocast_enabled("cpu")
        m.set_autocast_enabled("cpu", True)
        assert m.is_autocast_enabled("cpu")
        x = m.randn(2, 2)
        assert str((x @ x).dtype).endswith("float16")
        m.set_autocast_enabled("cpu", False)
        assert str((x @ x).dtype).endswith("float32")
        m.set_autocast_dtype("cpu", m.bfloat16)
        with pytest.warns(DeprecationWarning):
            assert str(m.get_autocast_cpu_dtype()).endswith("bfloat16")
        with pytest.warns(DeprecationWarning):
            assert m.is_autocast_cpu_enabled() is False
        assert m.autocast_increment_nesting() == 1 and m.autocast_decrement_nesting() == 0
        m.clear_autocast_cache()
    with ember.autocast("cpu", dtype=ember.float16):
        assert ember.get_autocast_dtype("cpu") == ember.float16
    assert ember.get_autocast_dtype("cpu") == ember.bfloat16


def test_random_module_and_fork_rng():
    ember.random.manual_seed(5)
    first = ember.rand(3)
    ember.random.manual_seed(5)
    with ember.random.fork_rng():
        ember.random.manual_seed(9)
        inside = ember.rand(3)
    assert ember.equal(ember.rand(3), first) and not ember.equal(inside, first)
    state = ember.random.get_rng_state()
    a = ember.rand(2)
    ember.random.set_rng_state(state)
    assert ember.equal(ember.rand(2), a) and ember.random.initial_seed() == 5
    with ember.random.fork_rng(enabled=False):
        ember.rand(1)
    assert not ember.equal(ember.rand(2), a)


def test_cuda_rng_helpers_share_the_default_generator():
    ember.manual_seed(3)
    state = ember.cuda.get_rng_state()
    a = ember.rand(2)
    ember.cuda.set_rng_state(state)
    assert ember.equal(ember.rand(2), a)
    ember.cuda.set_rng_state_all([state])
    assert ember.equal(ember.rand(2), a)
    assert len(ember.cuda.default_generators) == ember.cuda.device_count()
    if not ember.cuda.is_available():
        assert ember.cuda.is_bf16_supported() is False and ember.cuda.get_arch_list() == []
        assert issubclass(ember.cuda.OutOfMemoryError, Exception)


def test_small_tensor_methods_match_torch():
    e, t = ember.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    _same(e.narrow_copy(1, 1, 2), t.narrow_copy(1, 1, 2))
    assert e.narrow_copy(1, 1, 2).is_contiguous()
    assert e.dim_order() == t.dim_order() and e.t().dim_order() == t.t().dim_order()
    assert ember.ones(2, 3, 4).permute(2, 0, 1).dim_order() == \
        torch.ones(2, 3, 4).permute(2, 0, 1).dim_order()
    assert e.const_data_ptr() == e.data_ptr()
    for m, x in ((ember, e.clone()), (torch, t.clone())):
        x.apply_(lambda v: v * 2 + 1)
        x.map_(m.arange(4.0), lambda a, b: a - b)
    _same(ember.tensor(e.clone().apply_(lambda v: v * 2 + 1).map_(
        ember.arange(4.0), lambda a, b: a - b).tolist()), torch.tensor(
        t.clone().apply_(lambda v: v * 2 + 1).map_(torch.arange(4.0), lambda a, b: a - b)
        .tolist()))
    for name, args, out in (("addmm_", ((3, 5), (5, 4)), (3, 4)),
                            ("baddbmm_", ((2, 3, 5), (2, 5, 4)), (2, 3, 4)),
                            ("addbmm_", ((2, 3, 5), (2, 5, 4)), (3, 4)),
                            ("addr_", ((3,), (4,)), (3, 4))):
        rng = np.random.default_rng(0)
        mats = [rng.standard_normal(s).astype(np.float32) for s in args]
        base = rng.standard_normal(out).astype(np.float32)
        got = [getattr(m.tensor(base), name)(*map(m.tensor, mats), beta=0.5, alpha=2.0)
               for m in (ember, torch)]
        np.testing.assert_allclose(got[0].numpy(), got[1].numpy(), rtol=1e-5, atol=1e-5)
    c = [m.tensor([1.0, 2.0, 3.0, 0.5]) for m in (ember, torch)]
    for x in c:
        x.cumprod_(0)
    _same(*c)


def test_geometric_and_log_normal_fillers():
    ember.manual_seed(0)
    g = ember.empty(200_000).geometric_(0.25)
    assert float(g.min()) == 1.0 and bool((g == g.round()).all())
    assert abs(float(g.mean()) - 4.0) < 0.05 and abs(float(g.var()) - 12.0) < 0.4
    assert ember.empty(3, dtype=ember.int64).geometric_(0.5).dtype == ember.int64
    ln = ember.empty(200_000, dtype=ember.float64).log_normal_(0.5, 0.25).log()
    assert abs(float(ln.mean()) - 0.5) < 0.005 and abs(float(ln.std()) - 0.25) < 0.005
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\)"):
            m.empty(2).geometric_(1.0)
        with pytest.raises(RuntimeError, match="log_normal_ expects std > 0.0"):
            m.empty(2).log_normal_(1, 0)
        with pytest.raises(NotImplementedError, match="log_normal_cpu"):
            m.empty(2, dtype=m.int64).log_normal_()
