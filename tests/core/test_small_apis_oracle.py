"""torch's smaller conveniences, each against torch itself: fill_diagonal_, unravel_index,
the is_* queries, get_device, the float32 matmul precision switch, complex casts, the
in-place method aliases, and the edge cases of splits, diff and combinations."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _same(e, t):
    """Equal values, shape and dtype name."""
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape, wrap", [((3, 4), False), ((4, 3), False), ((7, 3), True),
                                         ((7, 3), False), ((8, 2), True), ((3, 3, 3), False),
                                         ((2, 5), True)])
def test_fill_diagonal_matches_torch(shape, wrap):
    e, t = ember.zeros(shape), torch.zeros(shape)
    _same(e.fill_diagonal_(2.5, wrap=wrap), t.fill_diagonal_(2.5, wrap=wrap))
    # a transposed view writes through to its base (torch's wrap misreads such views)
    eb, tb = ember.zeros(shape[::-1]), torch.zeros(shape[::-1])
    if len(shape) == 2 and not wrap:
        eb.t().fill_diagonal_(1.0, wrap=wrap)
        tb.t().fill_diagonal_(1.0, wrap=wrap)
        _same(eb, tb)


def test_unravel_index_matches_torch():
    for indices, shape in (([4, 1, 5, 0], (2, 3)), ([7, 23], (2, 3, 4)), ([-1, 9], (2, 3)),
                           (5, (6,)), ([[1, 2], [3, 4]], (2, 2, 2))):
        got = ember.unravel_index(ember.tensor(indices), shape)
        want = torch.unravel_index(torch.tensor(indices), shape)
        assert len(got) == len(want)
        for e, t in zip(got, want):
            _same(e, t)
    with pytest.raises(TypeError):
        ember.unravel_index(ember.tensor([1.0]), (2, 3))


def test_queries_match_torch():
    for m in (ember, torch):
        assert m.is_nonzero(m.tensor([2.5])) and not m.is_nonzero(m.tensor(0))
        assert m.is_same_size(m.ones(2, 3), m.zeros(2, 3))
        assert not m.ones(2, 3).is_same_size(m.ones(3, 2))
        assert m.is_signed(m.ones(1, dtype=m.int8)) and not m.is_signed(m.ones(1, dtype=m.uint8))
        assert m.ones(2).get_device() == -1
        for bad in (m.ones(2), m.ones(0)):
            with pytest.raises(RuntimeError, match="Boolean value of Tensor with"):
                m.is_nonzero(bad)


def test_float32_matmul_precision_drives_tf32():
    matmul = ember.backends.cuda.matmul
    try:
        assert ember.get_float32_matmul_precision() == "highest"
        ember.set_float32_matmul_precision("high")
        assert matmul.allow_tf32 and ember.get_float32_matmul_precision() == "high"
        ember.set_float32_matmul_precision("medium")
        assert ember.get_float32_matmul_precision() == "medium"
        matmul.allow_tf32 = False  # the flag set directly, as torch's older API does
        assert ember.get_float32_matmul_precision() == "highest"
        with pytest.warns(UserWarning, match="not one of"):
            ember.set_float32_matmul_precision("fastest")
        assert not matmul.allow_tf32
    finally:
        ember.set_float32_matmul_precision("highest")


def test_complex_casts_and_inplace_aliases_match_torch():
    a = np.array([0.25, -0.5, 0.75], dtype=np.float32)
    _same(ember.tensor(a).cfloat(), torch.tensor(a).cfloat())
    _same(ember.tensor(a).cdouble(), torch.tensor(a).cdouble())
    for name in ("absolute_", "negative_", "arccos_", "arcsin_", "arctan_", "arcsinh_",
                 "arctanh_", "fix_", "deg2rad_", "rad2deg_", "sinc_"):
        e, t = ember.tensor(a), torch.tensor(a)
        getattr(e, name)()
        getattr(t, name)()
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    for name in ("greater_", "greater_equal_", "less_", "less_equal_", "not_equal_",
                 "arctan2_"):
        e, t = ember.tensor(a), torch.tensor(a)
        getattr(e, name)(ember.tensor([0.25, 0.0, 1.0]))
        getattr(t, name)(torch.tensor([0.25, 0.0, 1.0]))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    e, t = ember.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    _same(e.arccosh_(), t.arccosh_())


def test_splits_and_differences_at_their_edges_match_torch():
    for m in (ember, torch):
        x = m.arange(10)
        got = [p.tolist() for p in m.tensor_split(x, [-3, 20])]
        assert got == [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9], []]
        assert [p.tolist() for p in m.hsplit(x, 5)][1] == [2, 3]
        assert m.diff(m.tensor([1, 2]), n=5).shape == (0,)
        assert m.combinations(m.tensor([1, 2, 3]), 4).shape == (0, 4)
        assert m.block_diag().shape == (1, 0)
        assert m.cartesian_prod(m.tensor([1, 2])).tolist() == [1, 2]
        p = m.tensor([1.5])
        assert m.positive(p) is p


def test_positive_heaviside_and_logaddexp_refusals_match_torch():
    for m in (ember, torch):
        with pytest.raises(RuntimeError):
            m.positive(m.tensor([True]))
        with pytest.raises(RuntimeError):
            m.heaviside(m.tensor([1.0]), m.tensor([1]))
        with pytest.raises(NotImplementedError):
            m.logaddexp(m.tensor([1]), m.tensor([2]))
        x = m.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        y = m.heaviside(x, m.tensor([0.5]))
        assert y.tolist() == [0.0, 0.5, 1.0]
        with pytest.raises(RuntimeError, match="derivative for .*heaviside.* not implemented"):
            y.sum().backward()


TOP_LEVEL_FUNCTIONAL = {
    "conv1d": lambda m, x: m.conv1d(x.reshape(1, 3, 36), m.ones(2, 3, 2), stride=2),
    "conv2d": lambda m, x: m.conv2d(x, m.ones(2, 3, 3, 3) / 9, padding=1),
    "conv3d": lambda m, x: m.conv3d(x.unsqueeze(2), m.ones(2, 3, 1, 2, 2)),
    "conv_transpose1d": lambda m, x: m.conv_transpose1d(x.reshape(1, 3, 36), m.ones(3, 2, 2)),
    "conv_transpose2d": lambda m, x: m.conv_transpose2d(x, m.ones(3, 2, 2, 2), stride=2),
    "conv_transpose3d": lambda m, x: m.conv_transpose3d(x.unsqueeze(2), m.ones(3, 1, 1, 2, 2)),
    "max_pool1d": lambda m, x: m.max_pool1d(x[0], 2),
    "max_pool2d": lambda m, x: m.max_pool2d(x, 3, 2, 1),
    "max_pool3d": lambda m, x: m.max_pool3d(x.unsqueeze(0), 2),
    "avg_pool1d": lambda m, x: m.avg_pool1d(x[0], 2),
    "adaptive_avg_pool1d": lambda m, x: m.adaptive_avg_pool1d(x[0], 3),
    "cosine_similarity": lambda m, x: m.cosine_similarity(x, x.flip(-1), 1),
    "pairwise_distance": lambda m, x: m.pairwise_distance(x[0, 0], x[0, 1]),
    "pdist": lambda m, x: m.pdist(x[0, 0]),
    "pixel_shuffle": lambda m, x: m.pixel_shuffle(x.reshape(1, 12, 3, 3), 2),
    "pixel_unshuffle": lambda m, x: m.pixel_unshuffle(x, 2),
    "channel_shuffle": lambda m, x: m.channel_shuffle(x.reshape(1, 6, 6, 3), 3),
    "prelu": lambda m, x: m.prelu(x, m.tensor([0.25, 0.5, 0.75])),
    "hardshrink": lambda m, x: m.hardshrink(x, 0.3),
    "bilinear": lambda m, x: m.bilinear(x[0, 0], x[0, 1], m.ones(2, 6, 6), m.ones(2)),
    "Tensor.hardshrink": lambda m, x: x.hardshrink(0.3),
    "Tensor.prelu": lambda m, x: x.prelu(m.tensor([0.25, 0.5, 0.75])),
}


@pytest.mark.parametrize("name", list(TOP_LEVEL_FUNCTIONAL))
def test_top_level_functional_names_match_torch(name):
    """torch.conv2d and friends: nn.functional's ops under torch's top-level names."""
    a = np.random.default_rng(5).standard_normal((1, 3, 6, 6)).astype(np.float32)
    got = TOP_LEVEL_FUNCTIONAL[name](ember, ember.tensor(a))
    want = TOP_LEVEL_FUNCTIONAL[name](torch, torch.tensor(a))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(ember.cuda.is_available(), reason="pinning works where CUDA is")
def test_pin_memory_without_cuda_raises_as_torch_does():
    for m in (ember, torch):
        x = m.ones(3)
        assert not x.is_pinned()
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            x.pin_memory()


def test_to_takes_torch_positional_flags():
    """to(dtype, non_blocking, copy) and to(device, dtype, non_blocking, copy): bools are
    flags, never a device index."""
    for m in (ember, torch):
        x = m.ones(3)
        assert x.to(m.float64, False, True).dtype == m.float64
        same = x.to("cpu", m.float32, False, True)
        assert same is not x and same.dtype == m.float32
        assert x.to(m.float32, False, False) is x


@pytest.mark.parametrize("name, args", [("unsqueeze_", (0,)), ("unsqueeze_", (-1,)),
                                        ("squeeze_", ()), ("squeeze_", (1,)), ("t_", ()),
                                        ("transpose_", (0, 2)), ("swapaxes_", (1, 2)),
                                        ("swapdims_", (0, 1)),
                                        ("as_strided_", ((2, 3), (1, 2)))])
def test_inplace_view_ops_match_torch(name, args):
    """The in-place view ops change the tensor's own shape and strides (squeeze_ and
    unsqueeze_ used to try to write values instead), and carry gradients as torch's do."""
    a = np.arange(6.0).reshape(2, 1, 3) if name != "t_" else np.arange(6.0).reshape(2, 3)
    got = []
    for m in (ember, torch):
        leaf = m.tensor(a, requires_grad=True)
        x = leaf * 1
        assert getattr(x, name)(*args) is x
        weights = m.arange(float(x.numel())).reshape(x.shape)
        (x * weights).sum().backward()
        got.append((tuple(x.shape), tuple(x.stride()), x.detach().numpy().tolist(),
                    leaf.grad.numpy().tolist()))
        with pytest.raises(RuntimeError, match="leaf Variable"):
            getattr(m.tensor(a, requires_grad=True), name)(*args)
    assert got[0] == got[1]


def test_frombuffer_and_empty_strided_match_torch():
    for m in (ember, torch):
        raw = bytearray(range(16))
        t = m.frombuffer(raw, dtype=m.int16, count=3, offset=2)
        assert t.tolist() == np.frombuffer(raw, np.int16, 3, 2).tolist()
        t[0] = -1  # no copy: the buffer changes
        assert raw[2:4] == b"\xff\xff"
        assert m.frombuffer(raw, dtype=m.float32).shape == (4,)
        for kw in (dict(count=5), dict(count=0), dict(offset=16), dict(offset=-1),
                   dict(offset=1, count=-1)):
            with pytest.raises(ValueError):
                m.frombuffer(bytearray(18), dtype=m.int32, **kw)
        e = m.empty_strided((2, 3), (1, 2))
        assert e.shape == (2, 3) and e.stride() == (1, 2) and not e.is_contiguous()
        assert m.empty_strided((2, 0), (1, 2), dtype=m.int64).dtype == m.int64
        with pytest.raises(RuntimeError):
            m.empty_strided((2, 3), (1,))


def test_compile_and_interop_threads_keep_torch_programs_running():
    model = ember.nn.Linear(3, 2)
    assert ember.compile(model, mode="reduce-overhead") is model

    @ember.compile(fullgraph=True)
    def double(x):
        return x * 2
    assert double(ember.ones(2)).tolist() == [2.0, 2.0]
    before = ember.get_num_interop_threads()
    try:
        ember.set_num_interop_threads(2)
        assert ember.get_num_interop_threads() == 2
    finally:
        ember.set_num_interop_threads(before)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_linspace_is_torch_to_the_last_bit(dtype):
    """torch's CPU kernel rounds each point once (a fused multiply-add), half types after
    every step in float; ember's points are the same bits (histogram's edges rely on it)."""
    rng = np.random.default_rng(9)
    for _ in range(60):
        start, end = rng.uniform(-100, 100, 2)
        steps = int(rng.integers(0, 300))
        got = ember.linspace(start, end, steps, dtype=getattr(ember, dtype)).float().numpy()
        want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).float().numpy()
        np.testing.assert_array_equal(got, want)


def test_histc_puts_values_on_inner_edges_in_torch_bins():
    """Values exactly on bin edges: the bin follows from torch's arithmetic in the input's
    dtype ((x - min) * bins / (max - min) from edges rounded to it)."""
    rng = np.random.default_rng(3)
    for dtype in ("float32", "float64"):
        for _ in range(40):
            bins = int(rng.integers(1, 20))
            lo, hi = sorted(rng.uniform(-5, 5, 2))
            values = np.concatenate([rng.uniform(lo - 1, hi + 1, 50),
                                     np.linspace(lo, hi, bins + 1)]).astype(dtype)
            got = ember.histc(ember.tensor(values), bins, lo, hi).numpy()
            want = torch.histc(torch.tensor(values), bins, lo, hi).numpy()
            np.testing.assert_array_equal(got, want)


def test_storages_match_torch():
    """untyped_storage()/storage(): the bytes and the elements under a tensor and its views,
    shared by views and not by copies."""
    for dtype in ("float32", "int16", "float64", "bool"):
        data = [[1, 0, 3], [4, 5, 0]]
        e = ember.tensor(data, dtype=getattr(ember, dtype))
        t = torch.tensor(data, dtype=getattr(torch, dtype))
        for view_e, view_t in ((e, t), (e[1:, 1:], t[1:, 1:]), (e.t(), t.t())):
            ue, ut = view_e.untyped_storage(), view_t.untyped_storage()
            assert ue.data_ptr() == e.untyped_storage().data_ptr()
            assert (ue.nbytes(), ue.size(), len(ue), ue.element_size()) == (
                ut.nbytes(), ut.size(), len(ut), ut.element_size())
            assert ue.tolist() == ut.tolist() and ue[1] == ut[1]
            se, st = view_e.storage(), view_t.storage()
            assert (se.size(), len(se), se.element_size(), se.nbytes()) == (
                st.size(), len(st), st.element_size(), st.nbytes())
            assert se.tolist() == st.tolist() and se[2] == st[2]
            assert str(se.dtype).split(".")[-1] == str(st.dtype).split(".")[-1]
            assert se.data_ptr() == ue.data_ptr() and se.untyped().nbytes() == ue.nbytes()
        assert e.clone().untyped_storage().data_ptr() != e.untyped_storage().data_ptr()
        assert e.untyped_storage().device == ember.device("cpu")
    x = ember.zeros(4)
    assert not x.untyped_storage().is_shared()
    x.share_memory_()
    assert x.untyped_storage().is_shared() and not x.untyped_storage().is_pinned()


def test_set_flush_denormal_matches_torch():
    """Denormal results become zero while flushing is on, on the kernels' threads too (a
    64k-element product runs in parallel), and come back when it is off."""
    tiny = np.full(1 << 16, 1e-310)
    try:
        for m in (torch, ember):
            assert m.set_flush_denormal(True) is True
        np.testing.assert_array_equal((ember.tensor(tiny) * 2.0).numpy(), 0.0)
        assert (torch.tensor(tiny[:4]) * 2.0).eq(0).all()
    finally:
        for m in (torch, ember):
            assert m.set_flush_denormal(False) is True
    np.testing.assert_array_equal((ember.tensor(tiny) * 2.0).numpy(), tiny * 2.0)
    assert (torch.tensor(tiny[:4]) * 2.0).eq(torch.tensor(tiny[:4] * 2.0)).all()
