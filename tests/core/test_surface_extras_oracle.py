"""torch's smaller API surface, against torch itself: layouts and memory formats, the
device errors, Tensor.to_dense / as_subclass / set_ / is_set_to / resize / storage_type /
nonzero_static, the backend flags, from_file and is_storage."""

import copy
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _same(e, t):
    """Equal values, shape, strides, offset and dtype name."""
    assert tuple(e.shape) == tuple(t.shape)
    assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.detach().cpu().numpy(), t.detach().numpy())


def _pair(shape, seed=0, dtype=np.float32):
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.tensor(values), torch.tensor(values)


_FORMATS = ["contiguous_format", "preserve_format", "channels_last", "channels_last_3d",
            "legacy_contiguous_format"]


@pytest.mark.parametrize("name", _FORMATS)
def test_memory_formats_print_and_compare_as_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert isinstance(e, ember.memory_format) and isinstance(e, str)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert str(e) == str(t).replace("torch.", "ember.")
    for other in _FORMATS:
        assert (e == getattr(ember, other)) == (t == getattr(torch, other))
    assert e == repr(e)[len("ember."):]  # still a string holding its name
    assert pickle.loads(pickle.dumps(e)) is e and copy.deepcopy(e) is e


def test_layout_is_torch_like(device):
    assert repr(ember.strided) == repr(torch.strided).replace("torch.", "ember.")
    assert isinstance(ember.strided, ember.layout) and not isinstance(ember.strided,
                                                                      ember.memory_format)
    x = ember.ones(2, device=device)
    assert x.layout is ember.strided and torch.ones(2).layout is torch.strided
    assert x.layout == "strided"
    assert pickle.loads(pickle.dumps(ember.strided)) is ember.strided


def test_memory_format_arguments_still_accepted(device):
    e, t = _pair((2, 3, 4, 5))
    e = e.to(device)
    _same(e.clone(memory_format=ember.contiguous_format),
          t.clone(memory_format=torch.contiguous_format))
    _same(e.contiguous(memory_format=ember.contiguous_format),
          t.contiguous(memory_format=torch.contiguous_format))
    assert e.is_contiguous(memory_format=ember.contiguous_format)


def test_error_classes_match_torch_hierarchy():
    assert ember.OutOfMemoryError is ember.cuda.OutOfMemoryError
    assert torch.OutOfMemoryError is torch.cuda.OutOfMemoryError
    assert ember.AcceleratorError is ember.cuda.AcceleratorError
    for e, t in ((ember.OutOfMemoryError, torch.OutOfMemoryError),
                 (ember.AcceleratorError, torch.AcceleratorError)):
        assert [c.__name__ for c in e.__mro__] == [c.__name__ for c in t.__mro__]
    assert ember.GradScaler is ember.amp.GradScaler and torch.GradScaler is torch.amp.GradScaler


@pytest.mark.parametrize("flag", ["is_xpu", "is_mps", "is_mtia", "is_ipu", "is_maia",
                                  "is_vulkan", "is_xla", "is_mkldnn", "is_nested",
                                  "is_sparse_csr", "is_sparse", "is_quantized", "is_meta"])
def test_backend_flags_are_false_read_only_properties(flag, device):
    x = ember.ones(2, device=device)
    assert getattr(x, flag) is getattr(torch.ones(2), flag) is False
    assert isinstance(getattr(ember.Tensor, flag), property)
    with pytest.raises(AttributeError):
        setattr(x, flag, True)
    with pytest.raises(AttributeError):
        setattr(torch.ones(2), flag, True)


def test_to_dense_matches_torch(device):
    e, t = _pair((3, 4), 1)
    e = e.to(device)
    assert e.to_dense() is e and t.to_dense() is t
    assert e.to_dense(masked_grad=False) is e and t.to_dense(masked_grad=False) is t
    assert e.to_dense(ember.float32) is e
    _same(e.to_dense(ember.float64), t.to_dense(torch.float64))
    assert e.to_dense(ember.float64) is not e


def test_as_subclass_shares_memory_and_graph(device):
    class ETagged(ember.Tensor):
        pass

    class TTagged(torch.Tensor):
        pass

    values = np.random.default_rng(2).standard_normal(4).astype(np.float32)
    el = ember.tensor(values, device=device, requires_grad=True)
    tl = torch.tensor(values, requires_grad=True)
    es, ts = (el * 3).as_subclass(ETagged), (tl * 3).as_subclass(TTagged)
    assert type(es) is ETagged and type(ts) is TTagged
    assert es.requires_grad == ts.requires_grad is True
    assert (es.grad_fn is None) == (ts.grad_fn is None) is False
    (es * es).sum().backward()
    (ts * ts).sum().backward()
    np.testing.assert_allclose(el.grad.cpu().numpy(), tl.grad.numpy(), rtol=1e-6)
    ex, tx = ember.arange(5.0, device=device), torch.arange(5.0)
    ev, tv = ex.as_subclass(ETagged), tx.as_subclass(TTagged)
    ev[1], tv[1] = 42.0, 42.0
    _same(ex, tx)
    assert ev.data_ptr() == ex.data_ptr()
    ep = ex.as_subclass(ember.nn.Parameter)
    tp = tx.as_subclass(torch.nn.Parameter)
    assert type(ep) is ember.nn.Parameter and ep.requires_grad == tp.requires_grad is False
    with pytest.raises(TypeError):
        tx.as_subclass(int)
    with pytest.raises(TypeError, match="does not inherit from Tensor"):
        ex.as_subclass(int)


def test_set_to_a_tensor_shares_memory_shape_and_strides(device):
    e_src, t_src = _pair((4, 6), 3)
    e_src = e_src.to(device)
    for view in (lambda x: x, lambda x: x.t(), lambda x: x[1:, ::2]):
        ev, tv = view(e_src), view(t_src)
        ex, tx = ember.zeros(3, device=device), torch.zeros(3)
        assert ex.set_(ev) is ex and tx.set_(tv) is tx
        _same(ex, tx)
        assert ex.is_set_to(ev) == tx.is_set_to(tv) is True
        assert ev.is_set_to(ex) == tv.is_set_to(tx) is True
        assert ex.data_ptr() == ev.data_ptr()
        ex[0, 0] = 7.0
        tx[0, 0] = 7.0
        _same(ev, tv)
    ea, ta = ember.ones(4, device=device), torch.ones(4)
    assert ea.is_set_to(ea[1:]) == ta.is_set_to(ta[1:]) is False
    assert ea.is_set_to(ember.ones(4, device=device)) == ta.is_set_to(torch.ones(4)) is False


@pytest.mark.parametrize("offset, size, stride", [(0, (10,), None), (2, (2, 3), (1, 2)),
                                                  (1, (3,), None), (4, (2, 3), None),
                                                  (0, (0,), None), (3, (2, 2), (0, 1))])
def test_set_to_a_storage_matches_torch(offset, size, stride, device):
    e_src = ember.arange(10.0, device=device)
    t_src = torch.arange(10.0)
    for storage_of in ("untyped_storage", "storage"):
        ex, tx = ember.zeros(1, device=device), torch.zeros(1)
        es, ts = getattr(e_src, storage_of)(), getattr(t_src, storage_of)()
        args = (offset, size) if stride is None else (offset, size, stride)
        _same(ex.set_(es, *args), tx.set_(ts, *args))
    _same(ember.zeros(2, device=device).set_(e_src.untyped_storage()),
          torch.zeros(2).set_(t_src.untyped_storage()))


def test_set_without_source_and_errors_match_torch(device):
    ex, tx = ember.ones(3, device=device), torch.ones(3)
    _same(ex.set_(), tx.set_())
    assert ex.untyped_storage().nbytes() == tx.untyped_storage().nbytes() == 0
    e_long, t_long = ember.zeros(2, dtype=ember.int64, device=device), torch.zeros(
        2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="Could not set tensor"):
        torch.zeros(1).set_(t_long)
    with pytest.raises(RuntimeError, match="Could not set tensor"):
        ember.zeros(1, device=device).set_(e_long)
    with pytest.raises(RuntimeError, match="Expected a Storage of type"):
        torch.zeros(1).set_(t_long.storage(), 0, (2,))
    with pytest.raises(RuntimeError, match="Expected a Storage of type"):
        ember.zeros(1, device=device).set_(e_long.storage(), 0, (2,))
    es, ts = ember.arange(10.0, device=device).untyped_storage(), torch.arange(
        10.0).untyped_storage()
    with pytest.raises(TypeError):
        torch.zeros(1).set_(ts, 3)
    with pytest.raises(TypeError):
        ember.zeros(1, device=device).set_(es, 3)
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        torch.zeros(1).set_(ts, -1, (2,))
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        ember.zeros(1, device=device).set_(es, -1, (2,))


def test_set_follows_torch_autograd_rules(device):
    leaf_e = ember.ones(2, device=device, requires_grad=True)
    leaf_t = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf_t.set_(torch.zeros(3))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf_e.set_(ember.zeros(3, device=device))
    with torch.no_grad():
        leaf_t.set_(torch.zeros(3))
    with ember.no_grad():
        leaf_e.set_(ember.zeros(3, device=device))
    assert leaf_e.requires_grad == leaf_t.requires_grad is True
    assert leaf_e.is_leaf == leaf_t.is_leaf is True
    _same(leaf_e, leaf_t)
    # a plain tensor set to one that requires grad: in the graph, with no derivative
    pe, pt = ember.ones(2, device=device), torch.ones(2)
    pe.set_(ember.ones(3, device=device, requires_grad=True))
    pt.set_(torch.ones(3, requires_grad=True))
    assert pe.requires_grad == pt.requires_grad is True
    with pytest.raises(RuntimeError, match="derivative for set_ is not implemented"):
        pt.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for set_ is not implemented"):
        pe.sum().backward()
    # views of the memory a tensor leaves see an in-place change (version bump)
    be, bt = ember.ones(3, device=device), torch.ones(3)
    ve, vt = be[:2], bt[:2]
    before_e, before_t = ve._version, vt._version
    be.set_(ember.zeros(2, device=device))
    bt.set_(torch.zeros(2))
    assert ve._version - before_e == vt._version - before_t == 1


def test_resize_matches_torch(device):
    e, t = _pair((2, 6), 4)
    e = e.to(device)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        er = e.resize(3, 4)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        tr = t.resize(3, 4)
    _same(er, tr)
    assert (er.data_ptr() == e.data_ptr()) == (tr.data_ptr() == t.data_ptr()) is True
    assert tuple(e.shape) == tuple(t.shape) == (2, 6)  # the input keeps its shape
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        _same(e.t().resize_as(ember.zeros(4, 3)), t.t().resize_as(torch.zeros(4, 3)))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="requested resize to 5"):
        t.resize(5)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="requested resize to 5"):
        e.resize(5)
    ge, gt = e.detach().requires_grad_(), t.detach().requires_grad_()
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    with pytest.warns(UserWarning):
        (ge.resize(4, 3) * ember.tensor(w, device=device)).sum().backward()
    with pytest.warns(UserWarning):
        (gt.resize(4, 3) * torch.tensor(w)).sum().backward()
    _same(ge.grad, gt.grad)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "int16",
                                   "bfloat16", "complex64"])
def test_storage_type_names_torch_legacy_class(dtype, device):
    e = ember.zeros(2, dtype=getattr(ember, dtype), device=device)
    t = torch.zeros(2, dtype=getattr(torch, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's TypedStorage deprecation, once a process
        t_cls = t.storage_type()
    e_cls = e.storage_type()
    assert e_cls.__name__ == t_cls.__name__
    where = "ember.cuda." if device == "cuda" else "ember."
    assert repr(e_cls) == f"<class '{where}{t_cls.__name__}'>"
    assert isinstance(e.storage(), e_cls) and not isinstance(e.untyped_storage(), e_cls)
    assert (getattr(ember, t_cls.__name__) is e_cls) == (device == "cpu")


@pytest.mark.parametrize("shape, density", [((4, 5), 0.5), ((3, 2, 4), 0.3), ((7,), 0.0),
                                            ((), 1.0), ((2, 0, 3), 0.5), ((6, 6), 1.0)])
@pytest.mark.parametrize("size", [0, 1, 3, 12, 40])
@pytest.mark.parametrize("fill_value", [-1, 7])
def test_nonzero_static_matches_torch(shape, density, size, fill_value, device):
    rng = np.random.default_rng(sum(shape) + size)
    values = (rng.random(shape) < density) * rng.integers(1, 5, shape)
    e, t = ember.tensor(values, device=device), torch.tensor(values)
    _same(ember.nonzero_static(e, size=size, fill_value=fill_value),
          torch.nonzero_static(t, size=size, fill_value=fill_value))
    _same(e.float().nonzero_static(size=size), t.float().nonzero_static(size=size))
    _same(e.bool().nonzero_static(size=size), t.bool().nonzero_static(size=size))


def test_nonzero_static_argument_errors_match_torch(device):
    e, t = ember.tensor([1.0, 0.0], device=device), torch.tensor([1.0, 0.0])
    for call, error in ((lambda m, x: m.nonzero_static(x, size=-1), RuntimeError),
                        (lambda m, x: m.nonzero_static(x, size=2.0), TypeError),
                        (lambda m, x: m.nonzero_static(x, 2), TypeError)):
        with pytest.raises(error):
            call(torch, t)
        with pytest.raises(error):
            call(ember, e)


def test_backend_flags_match_torchs_meaning():
    assert ember.has_openmp is True and ember.get_num_threads() >= 1
    assert ember.has_spectral is torch.has_spectral is True
    assert ember.has_lapack is True  # linear algebra is available (ember's own kernels)
    assert ember.has_mkl is False
    assert ember.compiled_with_cxx11_abi() is False
    assert isinstance(torch.compiled_with_cxx11_abi(), bool)


def test_is_storage_matches_torch():
    e, t = ember.arange(3.0), torch.arange(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_typed = t.storage()
    for ex, tx in ((e.untyped_storage(), t.untyped_storage()), (e.storage(), t_typed),
                   (e, t), (3, 3), (None, None)):
        assert ember.is_storage(ex) == torch.is_storage(tx)
    assert ember.is_storage(ember.FloatStorage(2)) and torch.is_storage(torch.FloatStorage(2))
    assert ember.FloatStorage([1.5, 2.5]).tolist() == torch.FloatStorage([1.5, 2.5]).tolist()


@pytest.mark.parametrize("dtype, size", [("float32", 10), ("float64", 3), ("int16", 7),
                                         ("uint8", 40), ("int64", 5), ("float32", 0)])
def test_from_file_reads_values_as_torch(tmp_path, dtype, size):
    path = tmp_path / "raw.bin"
    np.random.default_rng(5).standard_normal(10).astype(np.float32).tofile(path)
    e = ember.from_file(str(path), size=size, dtype=getattr(ember, dtype))
    t = torch.from_file(str(path), size=size, dtype=getattr(torch, dtype))
    _same(e, t)


def test_from_file_sharing_matches_torch(tmp_path):
    values = np.arange(6, dtype=np.float32)
    for lib in (ember, torch):
        values.tofile(tmp_path / f"{lib.__name__}.bin")
    for shared in (False, True):
        results = {}
        for lib in (ember, torch):
            path = str(tmp_path / f"{lib.__name__}.bin")
            x = lib.from_file(path, shared, 6)
            x[0] = 100.0 + shared
            results[lib] = (np.fromfile(path, np.float32), x.is_shared())
        np.testing.assert_array_equal(results[ember][0], results[torch][0])
        # torch reports every file mapping as shared; ember only the MAP_SHARED one, the
        # memory another process would see
        assert results[ember][1] == shared and results[torch][1] is True
    # shared mapping creates the file / grows it to fit
    for lib in (ember, torch):
        grown = lib.from_file(str(tmp_path / f"{lib.__name__}.bin"), shared=True, size=8)
        assert grown.shape[0] == 8 and (tmp_path / f"{lib.__name__}.bin").stat().st_size == 32
        fresh = lib.from_file(str(tmp_path / f"new_{lib.__name__}.bin"), shared=True, size=3)
        assert fresh.tolist() == [0.0, 0.0, 0.0]
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="is smaller than the required mapping size"):
            lib.from_file(str(tmp_path / f"{lib.__name__}.bin"), size=9)
        with pytest.raises(RuntimeError, match="unable to open file"):
            lib.from_file(str(tmp_path / "missing.bin"), size=2)
    e = ember.from_file(str(tmp_path / "ember.bin"), size=2, requires_grad=True)
    t = torch.from_file(str(tmp_path / "torch.bin"), size=2, requires_grad=True)
    assert e.requires_grad == t.requires_grad is True
