"""Sparse COO tensors against torch, second part: Embedding / EmbeddingBag with sparse=True
and the optimizers that take their sparse gradients (SparseAdam, SGD, Adagrad, LBFGS, and
the errors of the others), the zero-preserving elementwise functions, sparse * dense and
sparse * sparse products, quotients, sums with keepdim/dtype, unsqueeze,
ember.sparse.softmax / log_softmax, and sparse @ sparse, with their gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.filterwarnings("ignore:Sparse invariant checks")]

import ember  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6


def _np(t):
    t = t.detach()
    if t.is_sparse:
        t = t.to_dense()
    return t.cpu().numpy()


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _close(e, t, rtol=RTOL, atol=ATOL):
    assert tuple(e.shape) == tuple(t.shape) and e.is_sparse == t.is_sparse
    assert _dtype_name(e) == _dtype_name(t)
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, equal_nan=True)


def _same_layout(e, t, rtol=RTOL, atol=ATOL):
    """The same sparse tensor stored the same way: shape, dtype, coalesced flag, and the
    index columns and values as they are (duplicates and order included)."""
    assert e.is_sparse and t.is_sparse and tuple(e.shape) == tuple(t.shape)
    assert _dtype_name(e) == _dtype_name(t) and e.is_coalesced() == t.is_coalesced()
    assert e.sparse_dim() == t.sparse_dim()
    np.testing.assert_array_equal(e._indices().cpu().numpy(), t._indices().numpy())
    np.testing.assert_allclose(e._values().detach().cpu().numpy(), t._values().detach().numpy(),
                               rtol=rtol, atol=atol, equal_nan=True)


def _same_sparse(e, t, rtol=RTOL, atol=ATOL):
    """Equal as tensors: after coalescing both."""
    assert e.is_sparse and t.is_sparse and tuple(e.shape) == tuple(t.shape)
    e, t = e.detach().coalesce(), t.detach().coalesce()
    np.testing.assert_array_equal(e.indices().cpu().numpy(), t.indices().numpy())
    np.testing.assert_allclose(e.values().cpu().numpy(), t.values().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)


def _pair(indices, values, size, device="cpu", **kw):
    e = ember.sparse_coo_tensor(ember.tensor(indices), ember.tensor(values, device=device), size,
                                **kw)
    t = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), size, **kw)
    return e, t


def _random_pair(rng, shape, nnz, device, dense_shape=(), duplicates=True, **kw):
    indices = np.stack([rng.integers(0, n, nnz) for n in shape])
    if duplicates:
        indices[:, -1] = indices[:, 0]
    values = rng.uniform(-0.9, 0.9, (nnz,) + dense_shape).astype(np.float32)
    return _pair(indices.tolist(), values.tolist(), shape + dense_shape, device, **kw)


def _both(fn, e, t):
    return fn(ember, e), fn(torch, t)


def _raise_alike(fn, e, t, error):
    with pytest.raises(error):
        fn(torch, t)
    with pytest.raises(error):
        fn(ember, e)


# ---- Embedding and EmbeddingBag with sparse=True ---------------------------------------------

def _weights(device, rows=7, cols=3, seed=0):
    w = np.random.default_rng(seed).standard_normal((rows, cols)).astype(np.float32)
    return (ember.tensor(w, device=device, requires_grad=True),
            torch.tensor(w, requires_grad=True))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_sparse_weight_gradient(device, padding_idx):
    we, wt = _weights(device)
    idx = [[1, 2, 1, 6], [0, 6, 2, 2]]
    up = np.random.default_rng(1).standard_normal((2, 4, 3)).astype(np.float32)
    oe = ember.nn.functional.embedding(ember.tensor(idx, device=device), we,
                                       padding_idx=padding_idx, sparse=True)
    ot = torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=padding_idx,
                                       sparse=True)
    _close(oe, ot)
    (oe * ember.tensor(up, device=device)).sum().backward()
    (ot * torch.tensor(up)).sum().backward()
    assert we.grad.is_sparse and wt.grad.is_sparse
    _same_layout(we.grad, wt.grad)  # one row per lookup, padding lookups left out


def test_embedding_module_sparse_and_accumulation(device):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((5, 4)).astype(np.float32)
    me = ember.nn.Embedding.from_pretrained(ember.tensor(w, device=device), freeze=False,
                                            sparse=True, padding_idx=0)
    mt = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, sparse=True,
                                            padding_idx=0)
    assert repr(me) == repr(mt)
    for batch in ([[0, 3, 4]], [[4, 4, 1]]):  # the second backward accumulates into .grad
        me(ember.tensor(batch, device=device)).pow(2).sum().backward()
        mt(torch.tensor(batch)).pow(2).sum().backward()
    # (torch's in-place sparse accumulation orders and merges entries its own way)
    _same_sparse(me.weight.grad, mt.weight.grad)
    # a weight that needs no gradient looks up as before
    frozen = ember.nn.Embedding.from_pretrained(ember.tensor(w, device=device), sparse=True)
    _close(frozen(ember.tensor([1, 2], device=device)),
           torch.nn.Embedding.from_pretrained(torch.tensor(w), sparse=True)(torch.tensor([1, 2])))


def test_embedding_sparse_scale_grad_by_freq_raises_at_backward():
    for m in (ember, torch):
        w = m.ones(4, 2, requires_grad=True)
        out = m.nn.functional.embedding(m.tensor([1, 1]), w, scale_grad_by_freq=True,
                                        sparse=True)
        with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse"):
            out.sum().backward()


@pytest.mark.parametrize("mode, padding_idx, weighted, flat", [
    ("sum", None, False, True), ("sum", 4, False, True), ("mean", None, False, True),
    ("mean", 4, False, True), ("sum", None, True, True), ("mean", None, False, False),
])
def test_embedding_bag_sparse_weight_gradient(device, mode, padding_idx, weighted, flat):
    we, wt = _weights(device, seed=3)
    rng = np.random.default_rng(4)
    inp = np.array([1, 2, 4, 5, 4, 1])
    up = rng.standard_normal((3 if flat else 2, 3)).astype(np.float32)
    psw = rng.uniform(0.5, 1.5, 6).astype(np.float32) if weighted else None
    outs = []
    for m, w, dev in ((ember, we, device), (torch, wt, "cpu")):
        kw = dict(mode=mode, sparse=True, padding_idx=padding_idx)
        if psw is not None:
            kw["per_sample_weights"] = m.tensor(psw, device=dev)
        if flat:
            out = m.nn.functional.embedding_bag(m.tensor(inp, device=dev), w,
                                                m.tensor([0, 2, 2], device=dev), **kw)
        else:
            out = m.nn.functional.embedding_bag(m.tensor(inp.reshape(2, 3), device=dev), w, **kw)
        (out * m.tensor(up, device=dev)).sum().backward()
        outs.append(out)
    _close(*outs)
    _same_layout(we.grad, wt.grad)


def test_embedding_bag_module_sparse(device):
    w = np.random.default_rng(5).standard_normal((6, 2)).astype(np.float32)
    be = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(w, device=device), freeze=False,
                                               mode="sum", sparse=True)
    bt = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), freeze=False, mode="sum",
                                               sparse=True)
    be(ember.tensor([[1, 3], [3, 5]], device=device)).sum().backward()
    bt(torch.tensor([[1, 3], [3, 5]])).sum().backward()
    _same_layout(be.weight.grad, bt.weight.grad)


# ---- optimizers with sparse gradients --------------------------------------------------------

def _train(m, device, opt_name, opt_kw, steps=20, padding_idx=None, closure=False):
    """An Embedding(sparse=True) trained on a fixed random stream; returns its weight and
    the optimizer."""
    rng = np.random.default_rng(6)
    w = rng.standard_normal((12, 4)).astype(np.float32)
    dev = device if m is ember else "cpu"
    emb = m.nn.Embedding.from_pretrained(m.tensor(w, device=dev), freeze=False, sparse=True,
                                         padding_idx=padding_idx)
    kw = {k: (m.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in opt_kw.items()}
    opt = getattr(m.optim, opt_name)(emb.parameters(), **kw)
    for _ in range(steps):
        idx = m.tensor(rng.integers(0, 12, (3, 5)), device=dev)
        target = m.tensor(rng.standard_normal((3, 5, 4)).astype(np.float32), device=dev)

        def loss_fn(idx=idx, target=target):
            opt.zero_grad()
            loss = ((emb(idx) - target) ** 2).sum()
            loss.backward()
            return loss
        if closure:
            opt.step(loss_fn)
        else:
            loss_fn()
            opt.step()
    return emb.weight, opt


@pytest.mark.parametrize("opt_kw", [
    dict(lr=0.05), dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.05, maximize=True),
])
def test_embedding_sparse_adam_training_matches_torch(device, opt_kw):
    we, oe = _train(ember, device, "SparseAdam", opt_kw, padding_idx=3)
    wt, ot = _train(torch, device, "SparseAdam", opt_kw, padding_idx=3)
    np.testing.assert_allclose(_np(we), _np(wt), rtol=1e-6, atol=1e-6)
    state_e, state_t = oe.state[we], ot.state[wt]
    assert state_e["step"] == state_t["step"] == 20
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(_np(state_e[key]), _np(state_t[key]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("opt_name, opt_kw", [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=np.float32(0.05), foreach=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.3, maximize=True)),
])
def test_sgd_and_adagrad_take_sparse_gradients(device, opt_name, opt_kw):
    we, oe = _train(ember, device, opt_name, opt_kw)
    wt, ot = _train(torch, device, opt_name, opt_kw)
    np.testing.assert_allclose(_np(we), _np(wt), rtol=1e-5, atol=1e-5)
    if opt_kw.get("momentum"):  # torch keeps a sparse momentum buffer; so does ember
        buf_e, buf_t = oe.state[we]["momentum_buffer"], ot.state[wt]["momentum_buffer"]
        assert buf_e.is_sparse and buf_t.is_sparse
        _same_sparse(buf_e, buf_t, rtol=1e-5, atol=1e-5)
    if opt_name == "Adagrad":
        _close(oe.state[we]["sum"], ot.state[wt]["sum"], rtol=1e-5, atol=1e-5)


def test_lbfgs_densifies_sparse_gradients(device):
    we, _ = _train(ember, device, "LBFGS", dict(lr=0.5, max_iter=3), steps=2, closure=True)
    wt, _ = _train(torch, device, "LBFGS", dict(lr=0.5, max_iter=3), steps=2, closure=True)
    np.testing.assert_allclose(_np(we), _np(wt), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("opt_name, opt_kw", [
    ("SGD", dict(lr=0.1, weight_decay=0.1)), ("SGD", dict(lr=0.1, fused=True)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)), ("Adagrad", dict(lr=0.1, fused=True)),
    ("Adam", dict()), ("AdamW", dict()), ("Adamax", dict()), ("Adadelta", dict()),
    ("ASGD", dict()), ("NAdam", dict()), ("RAdam", dict()), ("RMSprop", dict()),
    ("Rprop", dict()), ("Adafactor", dict()),
])
def test_optimizers_refuse_sparse_gradients_as_torch(opt_name, opt_kw):
    messages = []
    for m in (ember, torch):
        emb = m.nn.Embedding(5, 2, sparse=True)
        emb(m.tensor([1, 3])).sum().backward()
        opt = getattr(m.optim, opt_name)(emb.parameters(), **opt_kw)
        with pytest.raises(RuntimeError) as err:
            opt.step()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_sparse_adam_refuses_dense_gradients_and_zero_grad_keeps_sparse():
    for m in (ember, torch):
        w = m.ones(3, requires_grad=True)
        w.sum().backward()
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
            m.optim.SparseAdam([w]).step()
    grads = []
    for m in (ember, torch):
        emb = m.nn.Embedding(5, 2, sparse=True)
        emb(m.tensor([1, 3, 1])).sum().backward()
        m.optim.SGD(emb.parameters(), lr=0.1).zero_grad(set_to_none=False)
        grads.append(emb.weight.grad)
    _same_layout(*grads)
    assert grads[0]._nnz() == 0


def test_gradient_clipping_refuses_sparse_gradients_as_torch():
    for m in (ember, torch):
        emb = m.nn.Embedding(5, 2, sparse=True)
        emb(m.tensor([1, 3])).sum().backward()
        with pytest.raises(NotImplementedError):
            m.nn.utils.clip_grad_norm_(emb.parameters(), 1.0)
        with pytest.raises(NotImplementedError):
            m.nn.utils.clip_grad_value_(emb.parameters(), 0.1)


# ---- zero-preserving elementwise functions ---------------------------------------------------

UNARY = ("abs neg negative sin tan tanh asin arcsin atan arctan sinh asinh arcsinh atanh "
         "arctanh sqrt relu sign sgn floor ceil round trunc fix frac expm1 log1p square deg2rad "
         "rad2deg nan_to_num erf erfinv signbit isnan isinf isposinf isneginf").split()


@pytest.mark.parametrize("name", UNARY)
def test_unary_forward_matches_torch(device, name):
    rng = np.random.default_rng(7)
    e, t = _random_pair(rng, (4, 5), 8, device)
    _same_layout(getattr(ember, name)(e), getattr(torch, name)(t))  # function form
    _same_layout(getattr(e, name)(), getattr(t, name)())  # method form
    eh, th = _random_pair(rng, (4,), 5, device, dense_shape=(3,))
    _same_layout(getattr(ember, name)(eh), getattr(torch, name)(th))


@pytest.mark.parametrize("name", ["abs", "neg", "sin", "sqrt", "square", "floor", "sign",
                                  "signbit", "deg2rad"])
def test_unary_on_integer_values(name):
    e, t = _pair([[0, 2, 2]], [3, -4, 1], (4,))
    _same_layout(getattr(ember, name)(e), getattr(torch, name)(t))


@pytest.mark.parametrize("name", ["abs", "relu", "log1p", "square", "deg2rad", "frac", "neg"])
def test_unary_gradients_where_torch_has_them(device, name):
    rng = np.random.default_rng(8)
    e, t = _random_pair(rng, (3, 4), 6, device, requires_grad=True)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    (getattr(ember, name)(e).to_dense() * ember.tensor(w, device=device)).sum().backward()
    (getattr(torch, name)(t).to_dense() * torch.tensor(w)).sum().backward()
    _same_sparse(e.grad, t.grad)


@pytest.mark.parametrize("name", ["sin", "tan", "tanh", "asin", "atan", "sinh", "asinh",
                                  "atanh", "sqrt", "expm1", "erf", "erfinv"])
def test_unary_gradients_through_the_values(device, name):
    # torch's sparse backward formulas fail for these (they need dense ops on the sparse
    # input); the gradient must be the dense function's at the coalesced values
    rng = np.random.default_rng(9)
    e, t = _random_pair(rng, (3, 4), 6, device, requires_grad=True)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    (getattr(ember, name)(e).to_dense() * ember.tensor(w, device=device)).sum().backward()
    tc = t.detach().coalesce()
    values = tc.values().clone().requires_grad_()
    weights = torch.tensor(w)[tuple(tc.indices())]
    (getattr(torch, name)(values) * weights).sum().backward()
    expected = torch.sparse_coo_tensor(tc.indices(), values.grad, tc.shape)
    assert e.grad.is_sparse
    _same_sparse(e.grad, expected)


@pytest.mark.parametrize("fn, error", [
    (lambda m, s: m.exp(s), NotImplementedError), (lambda m, s: s.cos(), NotImplementedError),
    (lambda m, s: m.sigmoid(s), NotImplementedError), (lambda m, s: s.log(), NotImplementedError),
    (lambda m, s: s.pow(0), RuntimeError), (lambda m, s: s.pow(m.tensor(2.0)), NotImplementedError),
    (lambda m, s: 2 ** s, NotImplementedError), (lambda m, s: s.round(decimals=1),
                                                 NotImplementedError),
    (lambda m, s: m.clamp(s, 0), NotImplementedError), (lambda m, s: s.mean(), NotImplementedError),
])
def test_ops_that_would_fill_zeros_raise_as_torch(fn, error):
    e, t = _pair([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
    _raise_alike(fn, e, t, error)


@pytest.mark.parametrize("exponent", [2, 3.0, 0.5, -1, 2.5])
def test_pow_by_a_number(device, exponent):
    rng = np.random.default_rng(10)
    e, t = _random_pair(rng, (3, 4), 6, device, requires_grad=True)
    _same_layout(e.pow(exponent), t.pow(exponent))
    _same_layout(ember.pow(e, exponent), torch.pow(t, exponent))
    _same_layout(e ** exponent, t ** exponent)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    (e.pow(exponent).to_dense() * ember.tensor(w, device=device)).sum().backward()
    (t.pow(exponent).to_dense() * torch.tensor(w)).sum().backward()
    _same_sparse(e.grad, t.grad)


def test_nan_to_num_arguments():
    e, t = _pair([[0, 1, 2]], [float("nan"), float("inf"), -float("inf")], (4,))
    _same_layout(ember.nan_to_num(e, nan=1.5, posinf=2.0, neginf=-3.0),
                 torch.nan_to_num(t, nan=1.5, posinf=2.0, neginf=-3.0))
    _same_layout(e.nan_to_num(), t.nan_to_num())


# ---- products, quotients and sums ------------------------------------------------------------

@pytest.mark.parametrize("dense_shape, dtype", [
    ((4, 5), "float32"), ((5,), "float32"), ((4, 1), "float32"), ((4, 5), "float64"),
    ((4, 5), "int64"), ((), "float64"), ((1,), "float32"),
])
def test_sparse_times_dense(device, dense_shape, dtype):
    rng = np.random.default_rng(11)
    e, t = _random_pair(rng, (4, 5), 7, device)
    d = (rng.standard_normal(dense_shape) * 3).astype(dtype)
    de, dt = ember.tensor(d, device=device), torch.tensor(d)
    _same_layout(e * de, t * dt)
    _same_layout(de * e, dt * t)
    _same_layout(ember.mul(e, de), torch.mul(t, dt))
    _same_layout(e.mul(de), t.mul(dt))


def test_hybrid_sparse_times_dense(device):
    rng = np.random.default_rng(12)
    e, t = _random_pair(rng, (4,), 5, device, dense_shape=(3,))
    for shape in ((4, 3), (3,), (4, 1)):
        d = rng.standard_normal(shape).astype(np.float32)
        _same_layout(e * ember.tensor(d, device=device), t * torch.tensor(d))


@pytest.mark.parametrize("a_coalesced, b_coalesced, a_nnz, b_nnz", [
    (False, False, 7, 4), (False, False, 4, 7), (False, False, 5, 5), (True, False, 7, 4),
    (False, True, 7, 4), (True, True, 7, 5),
])
def test_sparse_times_sparse(device, a_coalesced, b_coalesced, a_nnz, b_nnz):
    rng = np.random.default_rng(13)
    ea, ta = _random_pair(rng, (3, 4), a_nnz, device)
    eb, tb = _random_pair(rng, (3, 4), b_nnz, device)
    if a_coalesced:
        ea, ta = ea.coalesce(), ta.coalesce()
    if b_coalesced:
        eb, tb = eb.coalesce(), tb.coalesce()
    _same_layout(ea * eb, ta * tb)
    _same_layout(ember.mul(ea, eb), torch.mul(ta, tb))
    _same_layout(ea * ea, ta * ta)


def test_sparse_times_sparse_hybrid_and_shape_error(device):
    rng = np.random.default_rng(14)
    ea, ta = _random_pair(rng, (4,), 5, device, dense_shape=(2,))
    eb, tb = _random_pair(rng, (4,), 3, device, dense_shape=(2,))
    _same_layout(ea * eb, ta * tb)
    other_e, other_t = _random_pair(rng, (5,), 3, device, dense_shape=(2,))
    _raise_alike(lambda m, s: s * (other_e if m is ember else other_t), ea, ta, RuntimeError)


def test_product_gradients(device):
    rng = np.random.default_rng(15)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    d = rng.standard_normal((3, 4)).astype(np.float32)
    for make in (lambda m, s, x, y: s * x, lambda m, s, x, y: x * s,
                 lambda m, s, x, y: s * y, lambda m, s, x, y: s * s,
                 lambda m, s, x, y: s * x[1, 2], lambda m, s, x, y: s / x[1, 2]):
        e, t = _random_pair(rng, (3, 4), 6, device, requires_grad=True)
        eo, to = _random_pair(rng, (3, 4), 5, device, requires_grad=True)
        ex = ember.tensor(d, device=device, requires_grad=True)
        tx = torch.tensor(d, requires_grad=True)
        re, rt = make(ember, e, ex, eo), make(torch, t, tx, to)
        (re.to_dense() * ember.tensor(w, device=device)).sum().backward()
        (rt.to_dense() * torch.tensor(w)).sum().backward()
        _same_sparse(e.grad, t.grad)
        for ge, gt in ((ex.grad, tx.grad), (eo.grad, to.grad)):
            assert (ge is None) == (gt is None)
            if ge is not None:
                assert ge.is_sparse == gt.is_sparse
                _close(ge.to_dense() if ge.is_sparse else ge,
                       gt.to_dense() if gt.is_sparse else gt)


def test_broadcast_dense_operand_gradient_is_summed(device):
    # torch cannot differentiate this one (its backward views the sparse gradient); the
    # dense operand's gradient is the sum over the dim it was broadcast along
    rng = np.random.default_rng(16)
    e, t = _random_pair(rng, (3, 4), 6, device)
    row = rng.standard_normal(4).astype(np.float32)
    er = ember.tensor(row, device=device, requires_grad=True)
    (e * er).to_dense().sum().backward()
    expected = t.to_dense().sum(0)
    np.testing.assert_allclose(_np(er.grad), expected.numpy(), rtol=RTOL, atol=ATOL)


def test_division(device):
    rng = np.random.default_rng(17)
    e, t = _random_pair(rng, (3, 4), 6, device)
    _same_layout(ember.div(e, 2), torch.div(t, 2))
    _same_layout(e / 4.0, t / 4.0)
    _same_layout(ember.true_divide(e, 3), torch.true_divide(t, 3))
    _same_layout(e / ember.tensor(2.5, device=device), t / torch.tensor(2.5))
    for mode in ("floor", "trunc"):
        _same_layout(ember.div(e, 0.3, rounding_mode=mode), torch.div(t, 0.3, rounding_mode=mode))
    _same_layout(e // 0.3, t // 0.3)
    _same_layout(ember.floor_divide(e, 0.3), torch.floor_divide(t, 0.3))
    ei, ti = _pair([[0, 1]], [3, 4], (3,))
    _same_layout(ei / 2, ti / 2)
    _same_layout(ei * 2.5, ti * 2.5)
    _same_layout(ember.neg(e), torch.neg(t))
    for fn in (lambda m, s: s / m.ones(3, 4), lambda m, s: m.ones(3, 4) / s,
               lambda m, s: s / s):
        with pytest.raises(RuntimeError) as ours:
            fn(ember, e)
        with pytest.raises(RuntimeError) as theirs:
            fn(torch, t)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("dim, keepdim", [
    (0, True), (1, True), ((0, 1), True), (0, False), (-1, True), ((0, 2), True), (2, True),
    ((0, 1, 2), True),
])
def test_sum_keepdim(device, dim, keepdim):
    rng = np.random.default_rng(18)
    e, t = _random_pair(rng, (3, 4), 6, device, dense_shape=(2,))
    args = () if dim is None else (dim,)
    for ours, theirs in ((e.sum(*args, keepdim=keepdim), t.sum(*args, keepdim=keepdim)),
                         (ember.sum(e, *args, keepdim=keepdim),
                          torch.sum(t, *args, keepdim=keepdim))):
        if theirs.is_sparse:
            _same_layout(ours, theirs)
        else:
            _close(ours, theirs)


def test_sum_dtype_and_integer_sums(device):
    rng = np.random.default_rng(19)
    e, t = _random_pair(rng, (3, 4), 6, device, requires_grad=True)
    _close(e.sum(dtype=ember.float64), t.sum(dtype=torch.float64))
    _same_layout(e.sum(0, dtype=ember.float64), t.sum(0, dtype=torch.float64))
    _same_layout(ember.sparse.sum(e, 1, dtype=ember.float64),
                 torch.sparse.sum(t, 1, dtype=torch.float64))
    _close(ember.sparse.sum(e, dtype=ember.float64), torch.sparse.sum(t, dtype=torch.float64))
    ember.sparse.sum(e, 0, dtype=ember.float64).to_dense().pow(2).sum().backward()
    torch.sparse.sum(t, 0, dtype=torch.float64).to_dense().pow(2).sum().backward()
    _same_sparse(e.grad, t.grad)
    for values in ([3, 4, 5], [True, False, True]):
        ei, ti = _pair([[0, 1, 1]], values, (3,))
        _close(ei.sum(), ti.sum())


def test_sum_keepdim_gradient(device):
    # torch's backward for keepdim expands a sparse tensor, which it cannot; the sum's
    # gradient is the upstream gradient spread over the summed dim
    rng = np.random.default_rng(20)
    e, t = _random_pair(rng, (3, 4), 6, device, requires_grad=True)
    w = rng.standard_normal((1, 4)).astype(np.float32)
    (e.sum(0, keepdim=True).to_dense() * ember.tensor(w, device=device)).sum().backward()
    expected = t.detach().coalesce()
    expected = torch.sparse_coo_tensor(expected.indices(),
                                       torch.tensor(w)[0][expected.indices()[1]], (3, 4))
    _same_sparse(e.grad, expected)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_unsqueeze(device, dim):
    rng = np.random.default_rng(21)
    e, t = _random_pair(rng, (3,), 4, device, dense_shape=(2,), requires_grad=True)
    eu, tu = e.unsqueeze(dim), t.unsqueeze(dim)
    _same_layout(eu, tu)
    # torch cannot differentiate a sparse unsqueeze (it views the gradient); the gradient
    # must be the one without it
    eu.to_dense().pow(2).sum().backward()
    t.to_dense().pow(2).sum().backward()
    _same_sparse(e.grad, t.grad)
    _raise_alike(lambda m, s: s.unsqueeze(4), e, t, IndexError)


# ---- softmax ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_sparse_softmax_and_gradients(device, name, dim):
    rng = np.random.default_rng(22)
    e, t = _random_pair(rng, (4, 5), 9, device, dense_shape=(2,), requires_grad=True)
    re, rt = getattr(ember.sparse, name)(e, dim), getattr(torch.sparse, name)(t, dim)
    _same_layout(re, rt)
    w = rng.standard_normal((4, 5, 2)).astype(np.float32)
    (re.to_dense() * ember.tensor(w, device=device)).sum().backward()
    (rt.to_dense() * torch.tensor(w)).sum().backward()
    _same_sparse(e.grad, t.grad)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_sparse_softmax_negative_dim_dtype_and_errors(device, name):
    rng = np.random.default_rng(23)
    e, t = _random_pair(rng, (4, 5), 9, device)
    # (torch's gradient for a negative dim is wrong, so only the values are compared)
    _same_layout(getattr(ember.sparse, name)(e, -1), getattr(torch.sparse, name)(t, -1))
    _same_layout(getattr(ember.sparse, name)(e, 1, dtype=ember.float64),
                 getattr(torch.sparse, name)(t, 1, dtype=torch.float64))
    _raise_alike(lambda m, s: getattr(m.sparse, name)(s, 2), e, t, IndexError)
    ei, ti = _pair([[0, 1]], [1, 2], (3,))
    _raise_alike(lambda m, s: getattr(m.sparse, name)(s, 0), ei, ti, NotImplementedError)
    _raise_alike(lambda m, s: getattr(m.sparse, name)(s.to_dense(), 0), ei.float(),
                 ti.float(), NotImplementedError)


# ---- sparse @ sparse -------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["sparse.mm", "mm", "matmul", "operator"])
def test_sparse_times_sparse_matrix(device, how):
    rng = np.random.default_rng(24)
    ea, ta = _random_pair(rng, (4, 5), 8, device, requires_grad=True)
    eb, tb = _random_pair(rng, (5, 3), 7, device, requires_grad=True)

    def run(m, a, b):
        if how == "sparse.mm":
            return m.sparse.mm(a, b)
        if how == "operator":
            return a @ b
        return getattr(m, how)(a, b)
    re, rt = run(ember, ea, eb), run(torch, ta, tb)
    _same_layout(re, rt)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    (re.to_dense() * ember.tensor(w, device=device)).sum().backward()
    (rt.to_dense() * torch.tensor(w)).sum().backward()
    _close(ea.grad.to_dense(), ta.grad.to_dense())
    _close(eb.grad.to_dense(), tb.grad.to_dense())


def test_sparse_matrix_product_edge_cases(device):
    e1, t1 = _pair([[1], [1]], [1.0], (3, 3), device)
    e2, t2 = _pair([[0], [0]], [2.0], (3, 4), device)
    _same_layout(ember.sparse.mm(e1, e2), torch.sparse.mm(t1, t2))  # nothing meets: nnz 0
    e3, t3 = _pair([[0], [0]], [2.0], (4, 4), device)
    for fn in (lambda m, a, b: m.sparse.mm(a, b), lambda m, a, b: m.sparse.mm(a, b.double())):
        with pytest.raises(RuntimeError) as ours:
            fn(ember, e1, e3)
        with pytest.raises(RuntimeError) as theirs:
            fn(torch, t1, t3)
        assert str(ours.value).split("(")[0] == str(theirs.value).split("(")[0]
