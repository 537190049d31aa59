"""Tensor data model without torch: views share memory, dtypes, creation, printing,
interop, errors, and a hypothesis fuzz that must never crash the interpreter."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember

pytestmark = pytest.mark.usefixtures("on_device")


def test_writing_through_views_changes_the_base():
    base = ember.zeros(3, 4)
    base[1:, ::2] = 5.0
    base.t()[0].fill_(1.0)
    base.view(12)[-1] = 7.0
    assert base.tolist() == [[1, 0, 0, 0], [1, 0, 5, 0], [1, 0, 5, 7]]


def test_views_report_strides_offsets_and_contiguity():
    x = ember.arange(24).reshape(2, 3, 4)
    v = x.permute(2, 0, 1)
    assert v.stride() == (1, 12, 4) and not v.is_contiguous()
    s = x[1, 1:, ::2]
    assert s.storage_offset() == 16 and s.stride() == (4, 2)
    assert s.tolist() == [[16, 18], [20, 22]]
    assert v.contiguous().is_contiguous()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        v.view(-1)
    assert v.reshape(-1).shape == (24,)


def test_inplace_ops_on_overlapping_views():
    x = ember.arange(6.0)
    x[1:].add_(x[:-1].clone())
    assert x.tolist() == [0.0, 1.0, 3.0, 5.0, 7.0, 9.0]


def test_numpy_shares_memory_both_ways():
    a = np.zeros(3, np.float32)
    t = ember.from_numpy(a)
    t[0] = 4
    assert a[0] == 4
    t.cpu().numpy()[1] = 2
    assert t.tolist() == [4.0, 2.0, 0.0]
    assert np.asarray(ember.ones(2, dtype=ember.bfloat16)).dtype == np.float32


def test_dtype_defaults_and_promotion_of_python_data():
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([1, 2.0]).dtype is ember.float32
    assert ember.tensor([True]).dtype is ember.bool
    assert (ember.tensor([1, 2]) / 2).dtype is ember.float32
    assert (ember.tensor([1, 2]) // 2).tolist() == [0, 1]
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.finfo(ember.float16).max == 65504.0
    assert ember.iinfo(ember.int8).min == -128


@pytest.mark.cpu_only
def test_repr_like_torch():
    assert repr(ember.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(ember.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.zeros(2, dtype=ember.float64)) == "tensor([0., 0.], dtype=ember.float64)"
    assert repr(ember.ones(1, requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "..." in repr(ember.arange(5000))
    assert repr(ember.tensor([[True, False]])) == "tensor([[ True, False]])"


def test_python_conversions_follow_torch_rules():
    assert int(ember.tensor(3.7)) == 3 and float(ember.tensor([2])) == 2.0
    assert [1, 2, 3][ember.tensor(1)] == 2
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.0)]
    with pytest.raises(TypeError, match="0-d"):
        len(ember.tensor(1.0))
    assert [t.item() for t in ember.tensor([4, 5])] == [4, 5]


def test_errors_name_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\)"):
        ember.ones(3) + ember.ones(4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        ember.ones(2, 3) @ ember.ones(4, 5)
    with pytest.raises(IndexError, match="out of bounds"):
        ember.ones(3)[3]
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.ones(3).sum(1)
    with pytest.raises(IndexError, match="out of bounds"):
        ember.ones(3)[ember.tensor([0, 5])]
    with pytest.raises(RuntimeError, match="out of bounds"):
        ember.ones(3).gather(0, ember.tensor([7]))
    with pytest.raises(ZeroDivisionError):
        ember.tensor([1]) // ember.tensor([0])
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.ones(2, dtype=ember.int64).add_(ember.ones(2))
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.exp([1.0])


def test_random_is_reproducible_and_generator_scoped():
    ember.manual_seed(123)
    a = ember.rand(5)
    ember.manual_seed(123)
    assert ember.equal(a, ember.rand(5))
    g = ember.Generator().manual_seed(5)
    state = g.get_state()
    b = ember.randn(4, generator=g)
    g.set_state(state)
    assert ember.equal(b, ember.randn(4, generator=g))
    p = ember.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    r = ember.randint(3, 7, (1000,))
    assert r.min().item() == 3 and r.max().item() == 6


def test_random_statistics():
    ember.manual_seed(0)
    x = ember.randn(200_000)
    assert abs(x.mean().item()) < 0.01 and abs(x.std().item() - 1) < 0.01
    u = ember.rand(200_000)
    assert abs(u.mean().item() - 0.5) < 0.01
    counts = ember.bincount(ember.multinomial(ember.tensor([1.0, 3.0]), 4000, replacement=True))
    assert abs(counts[1].item() / 4000 - 0.75) < 0.03


def test_threads_round_trip():
    n = ember.get_num_threads()
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(n)


def test_dlpack_free_interop_via_array_protocol():
    t = ember.arange(6.0).reshape(2, 3)[:, 1:]
    np.testing.assert_array_equal(np.asarray(t), [[1.0, 2.0], [4.0, 5.0]])


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
       perm_seed=st.integers(0, 1000), index=st.integers(-6, 6), dim=st.integers(-5, 5))
def test_fuzz_shapes_strides_dims_indices_never_crash(shape, perm_seed, index, dim):
    rng = np.random.default_rng(perm_seed)
    a = rng.standard_normal(shape) if shape else np.array(rng.standard_normal())
    x = ember.tensor(a)
    if x.dim() > 1:
        order = tuple(rng.permutation(x.dim()))
        x, a = x.permute(*order), a.transpose(order)
    for op in (lambda t: t.sum(dim), lambda t: t[index], lambda t: t.flip(dim),
               lambda t: t.cumsum(dim), lambda t: t.narrow(dim, index, 1),
               lambda t: t.unsqueeze(dim), lambda t: t.max(dim), lambda t: t.sort(dim)):
        try:
            op(x)
        except (IndexError, RuntimeError, ValueError, TypeError):
            pass
    np.testing.assert_allclose(x.exp().cpu().numpy(), np.exp(a), rtol=1e-6)


@pytest.mark.cpu_only
def test_dlpack_round_trip_with_numpy_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    t = ember.from_dlpack(a)
    t[0, 0] = 7.0
    assert a[0, 0] == 7.0
    back = np.from_dlpack(ember.arange(6).reshape(2, 3)[:, 1:])
    np.testing.assert_array_equal(back, [[1, 2], [4, 5]])
    assert ember.ones(1).__dlpack_device__() == (1, 0)
    with pytest.raises(BufferError, match="bfloat16"):
        ember.ones(2, dtype=ember.bfloat16).__dlpack__()


@pytest.mark.cpu_only  # the CPU's caching allocator; CUDA memory is CuPy's pool
def test_allocator_cache_reuses_freed_buffers_and_evicts_the_oldest_sizes(monkeypatch):
    from ember.backends import cpu

    monkeypatch.setattr(cpu, "_CACHE", {})
    monkeypatch.setattr(cpu, "_cache_bytes", [0])
    monkeypatch.setattr(cpu, "_CACHE_LIMIT", 3 * 4096)
    old = [ember.empty(1024) for _ in range(3)]   # three 4 KB float32 buffers fill the cache
    addresses = {t.data_ptr() for t in old}
    del old
    assert cpu._cache_bytes[0] == 3 * 4096
    assert ember.empty(1024).data_ptr() in addresses  # a freed buffer comes back
    new = ember.empty(2048)                       # 8 KB, a size the cache has not seen
    address = new.data_ptr()
    del new                                       # room made by dropping the older size
    assert cpu._cache_bytes[0] <= 3 * 4096
    assert list(cpu._CACHE)[-1] == (8192, np.dtype(np.float32))
    assert ember.empty(2048).data_ptr() == address
