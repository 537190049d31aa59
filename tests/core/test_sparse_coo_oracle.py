"""Sparse COO tensors against torch.sparse: creation (inferred size, duplicates, empty,
hybrid), coalesce, to_dense/to_sparse, arithmetic, sums, transposes, the sparse-dense
products with their gradients for both operands, the errors of unsupported ops, and repr."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
# torch warns once that it does not check sparse invariants by default
pytestmark = [pytest.mark.oracle, pytest.mark.filterwarnings("ignore:Sparse invariant checks")]

import ember  # noqa: E402


def _np(t):
    t = t.detach()
    if t.is_sparse:
        t = t.to_dense()
    return t.cpu().numpy()


def _close(e, t, **tol):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-5, atol=1e-6, **tol)


def _same_sparse(e, t):
    """Equal layout, shape, dtype, and indices and values after coalescing."""
    assert e.is_sparse and t.is_sparse and e.layout is ember.sparse_coo
    assert tuple(e.shape) == tuple(t.shape) and e.sparse_dim() == t.sparse_dim()
    e, t = e.detach().coalesce(), t.detach().coalesce()
    np.testing.assert_array_equal(e.indices().cpu().numpy(), t.indices().numpy())
    np.testing.assert_allclose(e.values().cpu().numpy(), t.values().numpy(), rtol=1e-5,
                               atol=1e-6)


def _pair(indices, values, size=None, device="cpu", **kw):
    sized = () if size is None else (size,)
    e = ember.sparse_coo_tensor(ember.tensor(indices), ember.tensor(values, device=device),
                                *sized, **kw)
    t = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), *sized, **kw)
    return e, t


def _random_pair(rng, shape, nnz, device, dense_shape=(), duplicates=True, **kw):
    indices = np.stack([rng.integers(0, n, nnz) for n in shape])
    if duplicates:
        indices[:, -1] = indices[:, 0]
    values = rng.standard_normal((nnz,) + dense_shape).astype(np.float32)
    return _pair(indices.tolist(), values.tolist(), shape + dense_shape, device, **kw)


# ---- creation --------------------------------------------------------------------------------

def test_creation_inferred_size_dtype_and_metadata(device):
    e, t = _pair([[0, 4, 2], [1, 0, 3]], [1.0, 2.0, 3.0], device=device)
    assert isinstance(e, ember.Tensor) and e.is_sparse and e.layout is ember.sparse_coo
    assert tuple(e.shape) == tuple(t.shape) == (5, 4)
    assert (e.dim(), e.sparse_dim(), e.dense_dim(), e._nnz()) == (2, 2, 0, 3)
    assert e.device.type == device and e.dtype is ember.float32
    assert e.is_coalesced() == t.is_coalesced() and not e.requires_grad and e.grad_fn is None
    _close(e.to_dense(), t.to_dense())
    ei, ti = _pair([[0, 1]], [1, 2])
    assert ei.dtype is ember.int64 and str(ti.dtype) == "torch.int64"
    _close(ei.to_dense(), ti.to_dense())


def test_duplicates_sum_in_to_dense_and_coalesce(device):
    e, t = _pair([[1, 0, 1, 1], [2, 0, 2, 0]], [1.0, 2.0, 3.0, 4.0], (2, 3), device)
    _close(e.to_dense(), t.to_dense())
    ec, tc = e.coalesce(), t.coalesce()
    assert ec.is_coalesced() and tc.is_coalesced()
    np.testing.assert_array_equal(ec.indices().cpu().numpy(), tc.indices().numpy())
    np.testing.assert_array_equal(ec.values().cpu().numpy(), tc.values().numpy())
    assert ec.coalesce() is ec


def test_empty_and_hybrid(device):
    e, t = _pair(np.zeros((2, 0), np.int64).tolist(), [], (3, 4), device)
    assert e._nnz() == 0 and tuple(e._indices().shape) == (2, 0)
    _close(e.to_dense(), t.to_dense())
    ee = ember.sparse_coo_tensor(ember.zeros(2, 0, dtype=ember.int64), ember.zeros(0))
    assert tuple(ee.shape) == (0, 0)
    rng = np.random.default_rng(0)
    e, t = _random_pair(rng, (4, 5), 6, device, dense_shape=(3,))
    assert (e.sparse_dim(), e.dense_dim()) == (2, 1)
    _close(e.to_dense(), t.to_dense())
    _same_sparse(e.coalesce(), t.coalesce())


@pytest.mark.parametrize("make", [
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1]]), m.ones(3), (2,)),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1]]), m.ones(2), (2, 3, 4)),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1]]), m.ones(2, 3), (2, 4)),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 5]]), m.ones(2), (2,), check_invariants=True),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, -1]]), m.ones(2)),
    lambda m: m.ones(2, 2).to_sparse(3),
    lambda m: m.ones(2, 2).to_sparse(0),
])
def test_creation_errors_match_torch(make):
    with pytest.raises(RuntimeError) as ours:
        make(ember)
    with pytest.raises(RuntimeError) as theirs:
        make(torch)
    assert str(ours.value).split(":")[0] == str(theirs.value).split(":")[0]


def test_out_of_range_indices_always_raise():
    # torch only checks with check_invariants; an unchecked index would read another element
    with pytest.raises(RuntimeError, match="found index 5"):
        ember.sparse_coo_tensor(ember.tensor([[0, 5]]), ember.ones(2), (2,))
    with pytest.raises(RuntimeError, match="negative index"):
        ember.sparse_coo_tensor(ember.tensor([[0, -1]]), ember.ones(2), (2,))
    with pytest.raises(RuntimeError, match="not sorted"):
        ember.sparse_coo_tensor(ember.tensor([[1, 0]]), ember.ones(2), (2,), is_coalesced=True)


@pytest.mark.parametrize("sparse_dim", [None, 1, 2])
def test_to_sparse_round_trip(device, sparse_dim):
    x = np.random.default_rng(1).standard_normal((4, 5, 3)).astype(np.float32)
    x[x < 0.3] = 0
    x[1] = 0
    args = () if sparse_dim is None else (sparse_dim,)
    e = ember.tensor(x, device=device).to_sparse(*args)
    t = torch.tensor(x).to_sparse(*args)
    assert e.is_coalesced() and t.is_coalesced() and e._nnz() == t._nnz()
    np.testing.assert_array_equal(e.indices().cpu().numpy(), t.indices().numpy())
    np.testing.assert_array_equal(e.values().cpu().numpy(), t.values().numpy())
    np.testing.assert_array_equal(_np(e.to_dense()), x)
    assert ember.tensor(x).to_sparse_coo()._nnz() == torch.tensor(x).to_sparse_coo()._nnz()


def test_indices_values_need_coalesced():
    e, t = _pair([[1, 0]], [1.0, 2.0], (2,))
    for name in ("indices", "values"):
        with pytest.raises(RuntimeError) as ours:
            getattr(e, name)()
        with pytest.raises(RuntimeError) as theirs:
            getattr(t, name)()
        assert str(ours.value) == str(theirs.value)
    np.testing.assert_array_equal(e._indices().numpy(), t._indices().numpy())
    np.testing.assert_array_equal(e._values().numpy(), t._values().numpy())


# ---- arithmetic ------------------------------------------------------------------------------

def test_scalar_ops_add_sub_and_transpose(device):
    rng = np.random.default_rng(2)
    ea, ta = _random_pair(rng, (4, 6), 7, device)
    eb, tb = _random_pair(rng, (4, 6), 5, device)
    _same_sparse(-ea, -ta)
    _same_sparse(ea * 2.5, ta * 2.5)
    _same_sparse(3 * ea, 3 * ta)
    _same_sparse(ea / 4, ta / 4)
    _same_sparse(ea + eb, ta + tb)
    _same_sparse(ea - eb, ta - tb)
    _same_sparse(ember.add(ea, eb, alpha=2), torch.add(ta, tb, alpha=2))
    assert (ea.coalesce() + eb.coalesce()).is_coalesced()
    d = rng.standard_normal((4, 6)).astype(np.float32)
    _close(ember.tensor(d, device=device) + ea, torch.tensor(d) + ta)
    _close(ember.tensor(d, device=device) - ea, torch.tensor(d) - ta)
    _close(ember.sub(ember.tensor(d, device=device), ea, alpha=3),
           torch.sub(torch.tensor(d), ta, alpha=3))
    _same_sparse(ea.t(), ta.t())
    _same_sparse(ea.transpose(0, 1), ta.transpose(0, 1))
    _same_sparse(ea.T, ta.T)
    assert ea.t().is_coalesced() == ta.t().is_coalesced()
    eh, th = _random_pair(rng, (3, 4), 5, device, dense_shape=(2,))
    _same_sparse(eh.transpose(1, 0), th.transpose(1, 0))
    for make in (lambda s: s.t(), lambda s: s.transpose(0, 2)):
        with pytest.raises(RuntimeError):
            make(th)
        with pytest.raises(RuntimeError):
            make(eh)


def test_sums(device):
    rng = np.random.default_rng(3)
    e, t = _random_pair(rng, (4, 5, 3), 9, device, dense_shape=(2,))
    _close(e.sum(), t.sum())
    _close(ember.sparse.sum(e), torch.sparse.sum(t))
    for dim in (0, 1, (0, 2), -1, 3, (1, 3), (0, 1, 2), (0, 1, 2, 3)):
        ours, theirs = ember.sparse.sum(e, dim), torch.sparse.sum(t, dim)
        assert ours.is_sparse == theirs.is_sparse
        if theirs.is_sparse:
            _same_sparse(ours, theirs)
        else:
            _close(ours, theirs)


def test_to_dtype_device_clone_detach(device):
    e, t = _pair([[0, 1, 1], [1, 0, 1]], [1.0, 2.0, 3.0], (2, 2), device)
    for ours, theirs in ((e.double(), t.double()), (e.to(ember.float64), t.to(torch.float64)),
                         (e.float(), t.float()), (e.clone(), t.clone()),
                         (e.detach(), t.detach()), (e.cpu(), t.cpu())):
        assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
        _same_sparse(ours, theirs)
    assert e.cpu().device.type == "cpu"
    r = e.clone().requires_grad_()
    assert r.requires_grad and r.is_leaf and not r.detach().requires_grad


# ---- products and gradients ------------------------------------------------------------------

def _gcn_pair(device, seed, duplicates=True):
    rng = np.random.default_rng(seed)
    ea, ta = _random_pair(rng, (5, 4), 8, device, duplicates=duplicates)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    return ea, ta, x


@pytest.mark.parametrize("duplicates", [False, True])
def test_sparse_mm_forward_and_gradients(device, duplicates):
    ea, ta, x = _gcn_pair(device, 4, duplicates)
    ea, ta = ea.requires_grad_(), ta.requires_grad_()
    ex, tx = ember.tensor(x, device=device, requires_grad=True), torch.tensor(x,
                                                                          requires_grad=True)
    w = np.random.default_rng(5).standard_normal((5, 3)).astype(np.float32)
    eo, to = ember.sparse.mm(ea, ex), torch.sparse.mm(ta, tx)
    _close(eo, to)
    (eo * ember.tensor(w, device=device)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _close(ex.grad, tx.grad)
    assert ea.grad.is_sparse and ta.grad.is_sparse
    _same_sparse(ea.grad, ta.grad)


@pytest.mark.parametrize("how", ["mm", "matmul", "operator", "addmm"])
def test_dense_products_give_dense_gradient_as_torch(device, how):
    ea, ta, x = _gcn_pair(device, 6)
    ea, ta = ea.requires_grad_(), ta.requires_grad_()
    ex, tx = ember.tensor(x, device=device, requires_grad=True), torch.tensor(x,
                                                                          requires_grad=True)
    bias = np.random.default_rng(7).standard_normal((5, 3)).astype(np.float32)

    def run(m, a, b, c):
        if how == "mm":
            return m.mm(a, b)
        if how == "matmul":
            return m.matmul(a, b)
        if how == "operator":
            return a @ b
        return m.addmm(c, a, b, beta=0.5, alpha=2.0)

    eo = run(ember, ea, ex, ember.tensor(bias, device=device))
    to = run(torch, ta, tx, torch.tensor(bias))
    _close(eo, to)
    (eo ** 2).sum().backward()
    (to ** 2).sum().backward()
    _close(ex.grad, tx.grad)
    assert ea.grad.is_sparse == ta.grad.is_sparse
    _close(ea.grad, ta.grad)


def test_sparse_addmm_and_vector_and_dense_left(device):
    ea, ta, x = _gcn_pair(device, 8)
    bias = np.ones((5, 3), np.float32)
    _close(ember.sparse.addmm(ember.tensor(bias, device=device), ea,
                              ember.tensor(x, device=device), beta=0.25, alpha=-1.5),
           torch.sparse.addmm(torch.tensor(bias), ta, torch.tensor(x), beta=0.25, alpha=-1.5))
    v = x[:, 0].copy()
    _close(ea @ ember.tensor(v, device=device), ta @ torch.tensor(v))
    left = np.random.default_rng(9).standard_normal((2, 5)).astype(np.float32)
    _close(ember.mm(ember.tensor(left, device=device), ea), torch.mm(torch.tensor(left), ta))


def test_gradients_through_values_and_to_dense(device):
    rng = np.random.default_rng(10)
    idx = [[0, 0, 2, 1], [1, 1, 0, 2]]  # a duplicate: each copy gets the gradient
    v = rng.standard_normal(4).astype(np.float32)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    ev = ember.tensor(v, device=device, requires_grad=True)
    tv = torch.tensor(v, requires_grad=True)
    es = ember.sparse_coo_tensor(ember.tensor(idx), ev, (3, 3))
    ts = torch.sparse_coo_tensor(torch.tensor(idx), tv, (3, 3))
    assert es.grad_fn.name() == type(ts.grad_fn).__name__
    (es.to_dense() * ember.tensor(w, device=device)).sum().backward()
    (ts.to_dense() * torch.tensor(w)).sum().backward()
    _close(ev.grad, tv.grad)
    # a sparse leaf: to_dense's gradient is sparse, at the (coalesced) pattern
    el, tl = _pair(idx, v.tolist(), (3, 3), device, requires_grad=True)
    (el.to_dense() * ember.tensor(w, device=device)).sum().backward()
    (tl.to_dense() * torch.tensor(w)).sum().backward()
    _same_sparse(el.grad, tl.grad)
    # sums and scaling pass gradients through to the values
    ev.grad = None
    tv.grad = None
    es = ember.sparse_coo_tensor(ember.tensor(idx), ev, (3, 3)).coalesce()
    ts = torch.sparse_coo_tensor(torch.tensor(idx), tv, (3, 3)).coalesce()
    (ember.sparse.sum(es * 3, 1).to_dense() * ember.arange(3.0, device=device)).sum().backward()
    (torch.sparse.sum(ts * 3, 1).to_dense() * torch.arange(3.0)).sum().backward()
    _close(ev.grad, tv.grad)
    ev.grad = None
    tv.grad = None
    ember.sparse_coo_tensor(ember.tensor(idx), ev, (3, 3)).coalesce().values().pow(2).sum() \
        .backward()
    torch.sparse_coo_tensor(torch.tensor(idx), tv, (3, 3)).coalesce().values().pow(2).sum() \
        .backward()
    _close(ev.grad, tv.grad)


def test_to_sparse_and_add_gradients(device):
    x = np.random.default_rng(11).standard_normal((3, 4)).astype(np.float32)
    x[0] = 0
    ex, tx = ember.tensor(x, device=device, requires_grad=True), torch.tensor(x,
                                                                          requires_grad=True)
    es, ts = ex.to_sparse(), tx.to_sparse()
    ((es + es * 2).to_dense() ** 2).sum().backward()
    ((ts + ts * 2).to_dense() ** 2).sum().backward()
    _close(ex.grad, tx.grad)


def test_double_backward_into_dense_operand(device):
    ea, ta, x = _gcn_pair(device, 12)
    ex, tx = ember.tensor(x, device=device, requires_grad=True), torch.tensor(x,
                                                                          requires_grad=True)
    (eg,) = ember.autograd.grad((ember.sparse.mm(ea, ex) ** 2).sum(), ex, create_graph=True)
    (tg,) = torch.autograd.grad((torch.sparse.mm(ta, tx) ** 2).sum(), tx, create_graph=True)
    _close(eg, tg)
    (eg2,) = ember.autograd.grad(eg.sum(), ex)
    (tg2,) = torch.autograd.grad(tg.sum(), tx)
    _close(eg2, tg2)


def test_product_errors_match_torch():
    e, t = _pair([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
    for make in (lambda m, s: m.sparse.mm(s, m.ones(3, 2)),
                 lambda m, s: m.mm(s, m.ones(2, 2, dtype=m.float64)),
                 lambda m, s: s + m.ones(2, 2),
                 lambda m, s: s + 1,
                 lambda m, s: s + m.eye(3).to_sparse()):
        with pytest.raises(RuntimeError):
            make(torch, t)
        with pytest.raises(RuntimeError):
            make(ember, e)


# ---- what sparse tensors refuse --------------------------------------------------------------

@pytest.mark.parametrize("op, error", [
    (lambda s: s.view(4), NotImplementedError),
    (lambda s: s.reshape(4), RuntimeError),
    (lambda s: s.flatten(), RuntimeError),
    (lambda s: s.expand(2, 2, 2), RuntimeError),
    (lambda s: s[0:1], NotImplementedError),
    (lambda s: s.__setitem__(0, 1.0), TypeError),
    (lambda s: s.numpy(), TypeError),
    (lambda s: s.tolist(), RuntimeError),
    (lambda s: s.data_ptr(), RuntimeError),
    (lambda s: s.nbytes, RuntimeError),
    (lambda s: s.untyped_storage(), NotImplementedError),
    (lambda s: s.contiguous(), RuntimeError),
    (lambda s: s.exp(), NotImplementedError),
    (lambda s: s.exp_(), NotImplementedError),
    (lambda s: s.fill_(1.0), NotImplementedError),
    (lambda s: s.mean(), NotImplementedError),
    (lambda s: s.max(), NotImplementedError),
    (lambda s: s == s, NotImplementedError),
    (lambda s: s.narrow(0, 0, 1), NotImplementedError),
    (lambda s: s.squeeze(), NotImplementedError),
    (lambda s: s.to_dense(ember.float64 if isinstance(s, ember.Tensor) else torch.float64),
     RuntimeError),
])
def test_unsupported_ops_raise_torchs_error_type(op, error):
    e, t = _pair([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
    with pytest.raises(error):
        op(t)
    with pytest.raises(error):
        op(e)


@pytest.mark.parametrize("op", [
    lambda s: s.permute(1, 0), lambda s: s.mul_(2), lambda s: s.coalesce().sin_(),
    lambda s: s[0], lambda s: s * ember.ones(3, 2, 2), lambda s: ember.cat([s, s]),
])
def test_ops_torch_has_but_ember_lacks_raise_clearly(op):
    e = ember.sparse_coo_tensor(ember.tensor([[0, 1], [1, 0]]), ember.tensor([1.0, 2.0]), (2, 2))
    with pytest.raises(NotImplementedError, match="not supported for sparse COO tensors.*"
                                                  "to_dense"):
        op(e)


def test_scalar_conversions():
    e, t = _pair([[0]], [2.5], (1,))
    assert e.item() == t.item() == 2.5 and float(e) == float(t) and bool(e) and len(e) == 1
    assert e.stride() == t.stride() and e.is_contiguous() == t.is_contiguous()
    assert e.numel() == t.numel() and e.element_size() == t.element_size()


# ---- repr ------------------------------------------------------------------------------------

def _torch_repr(t):
    return repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("make", [
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1, 1], [2, 0, 2]]), m.tensor([3.0, 4.0, 5.0]),
                                  (2, 3)),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1, 1], [2, 0, 2]]),
                                  m.ones(3, 2, dtype=m.float64), (2, 3, 2)),
    lambda m: m.sparse_coo_tensor(m.zeros(2, 0, dtype=m.int64), m.zeros(0), (2, 3)),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1]]), m.tensor([1.5, -2.0]), (4,),
                                  requires_grad=True),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1]]), m.tensor([1, 2]), (4,)),
    lambda m: m.sparse_coo_tensor(m.tensor([[0, 1, 1], [0, 0, 1], [1, 0, 1]]),
                                  m.ones(3, 2, 2), (2, 2, 2, 2, 2)),
])
def test_repr_matches_torch(make):
    assert repr(make(ember)) == _torch_repr(make(torch))
    assert str(make(ember)) == _torch_repr(make(torch))


def test_repr_with_grad_fn():
    v = [1.0, 2.0]
    e = ember.sparse_coo_tensor(ember.tensor([[0, 1]]), ember.tensor(v, requires_grad=True))
    t = torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.tensor(v, requires_grad=True))
    assert repr(e) == _torch_repr(t)


def test_gradients_accumulate_across_layouts_and_double_backward_into_values():
    idx, v = [[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0]
    x = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    results = {}
    for m in (ember, torch):
        s = m.sparse_coo_tensor(m.tensor(idx), m.tensor(v), (2, 3), requires_grad=True)
        # a dense gradient (mm) and a sparse one (to_dense) meet in one buffer
        (m.mm(s, m.tensor(x)).sum() + (s.to_dense() * 2).sum()).backward()
        mixed = s.grad
        s.grad = None
        # two sparse gradients accumulate into .grad
        m.sparse.mm(s, m.tensor(x)).sum().backward()
        m.sparse.mm(s, m.tensor(x)).sum().backward()
        values = m.tensor(v, requires_grad=True)
        dense = m.tensor(x, requires_grad=True)
        s2 = m.sparse_coo_tensor(m.tensor(idx), values, (2, 3))
        (g,) = m.autograd.grad((m.sparse.mm(s2, dense) ** 2).sum(), dense, create_graph=True)
        (gv,) = m.autograd.grad(g.sum(), values)
        results[m] = (mixed, s.grad, gv)
    (em, es, ev), (tm, ts, tv) = results[ember], results[torch]
    assert em.is_sparse == tm.is_sparse
    _close(em, tm)
    _same_sparse(es, ts)
    _close(ev, tv)
