"""torch's other spellings of ember's ops, each against torch itself: the top-level native
forms (torch.dropout(input, p, train), integer loss reductions, native_* with statistics,
recurrent cells), the view ops' copying and scatter forms, the top-level in-place
functions, and the small ops that came with them (renorm, nextafter, index_reduce, fill,
empty_permuted, rsub, the mode switches)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _pair(shape, seed, dtype=np.float32, grad=False, low=-2.0, high=2.0):
    a = np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
    return (ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


def _close(e, t, rtol=1e-5, atol=1e-6):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def _grads_match(fn, inputs_e, inputs_t):
    """fn(ember, *inputs_e) against fn(torch, *inputs_t): values, then the inputs' gradients
    of a weighted sum of the outputs."""
    ye, yt = fn(ember, *inputs_e), fn(torch, *inputs_t)
    ye, yt = (ye if isinstance(ye, tuple) else (ye,)), (yt if isinstance(yt, tuple) else (yt,))
    loss_e = loss_t = 0
    for k, (a, b) in enumerate(zip(ye, yt)):
        _close(a, b)
        if b.dtype.is_floating_point and b.requires_grad:
            w = np.random.default_rng(100 + k).standard_normal(tuple(b.shape)).astype(np.float32)
            loss_e = loss_e + (a * ember.tensor(w)).sum()
            loss_t = loss_t + (b * torch.tensor(w)).sum()
    loss_e.backward()
    loss_t.backward()
    for a, b in zip(inputs_e, inputs_t):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            _close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


# ---- native forms ----------------------------------------------------------------------

@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_losses_with_integer_reductions_match_torch(reduction):
    (x1e, x1t), (x2e, x2t) = _pair((6, 4), 1, grad=True), _pair((6, 4), 2, grad=True)
    (pe, pt), (qe, qt) = _pair((6, 4), 3, grad=True), _pair((6, 4), 4, low=0.1)
    sign = np.where(np.random.default_rng(5).random(6) > 0.5, 1.0, -1.0).astype(np.float32)
    se, st = ember.tensor(sign), torch.tensor(sign)
    cases = [
        (lambda m, a, b: m.kl_div(a, b.softmax(1), reduction), [(x1e, x1t), (x2e, x2t)]),
        (lambda m, a, b: m.kl_div(a, b, reduction, log_target=True), [(x1e, x1t), (x2e, x2t)]),
        (lambda m, a, b, s: m.margin_ranking_loss(a[:, 0], b[:, 0], s, 0.3, reduction),
         [(x1e, x1t), (x2e, x2t), (se, st)]),
        (lambda m, a, s: m.hinge_embedding_loss(a[:, 0], s, 0.7, reduction),
         [(x1e, x1t), (se, st)]),
        (lambda m, a, b, s: m.cosine_embedding_loss(a, b, s, 0.1, reduction),
         [(x1e, x1t), (x2e, x2t), (se, st)]),
        (lambda m, a, b, c: m.triplet_margin_loss(a, b, c, 1.0, 2.0, 1e-6, True, reduction),
         [(x1e, x1t), (x2e, x2t), (pe, pt)]),
        (lambda m, a, q: m.poisson_nll_loss(a, q, True, True, 1e-8, reduction),
         [(x1e, x1t), (qe, qt)]),
        (lambda m, a, q: m.binary_cross_entropy_with_logits(a, q.clamp(0, 1), None, None,
                                                             reduction),
         [(x1e, x1t), (qe, qt)]),
    ]
    for fn, args in cases:
        for a, b in args:
            for t in (a, b):
                t.grad = None
        _grads_match(fn, [a for a, _ in args], [b for _, b in args])
    with pytest.raises(ValueError, match="reduction"):
        ember.kl_div(x1e, x2e, 3)


def test_normalization_forms_match_torch():
    (xe, xt), (we, wt), (be, bt) = (_pair((4, 6, 5), 6, grad=True), _pair((5,), 7, grad=True),
                                    _pair((5,), 8, grad=True))
    _grads_match(lambda m, x, w, b: m.layer_norm(x, [5], w, b, 1e-5, True),
                 [xe, we, be], [xt, wt, bt])
    ye, me, re = ember.native_layer_norm(xe, [5], we, be, 1e-5)
    yt, mt, rt = torch.native_layer_norm(xt, [5], wt, bt, 1e-5)
    for a, b in ((ye, yt), (me, mt), (re, rt)):
        _close(a, b, rtol=1e-4, atol=1e-5)
    (ce, ct), (ge, gt) = _pair((6,), 9, grad=True), _pair((6,), 10, grad=True)
    for training in (True, False):
        rm_e, rm_t = ember.zeros(6), torch.zeros(6)
        rv_e, rv_t = ember.ones(6), torch.ones(6)
        _grads_match(lambda m, x, g, c, rm, rv, training=training:
                     m.batch_norm(x, g, c, rm, rv, training, 0.1, 1e-5, True),
                     [xe.detach().requires_grad_(), ge, ce, rm_e, rv_e],
                     [xt.detach().requires_grad_(), gt, ct, rm_t, rv_t])
        _close(rm_e, rm_t)
        _close(rv_e, rv_t, rtol=1e-4)
        out_e = ember.native_batch_norm(xe.detach(), ge.detach(), ce.detach(), ember.zeros(6),
                                        ember.ones(6), training, 0.1, 1e-5)
        out_t = torch.native_batch_norm(xt.detach(), gt.detach(), ct.detach(), torch.zeros(6),
                                        torch.ones(6), training, 0.1, 1e-5)
        for a, b in zip(out_e, out_t):
            _close(a, b, rtol=1e-4, atol=1e-5)
    _close(ember.group_norm(xe, 3, ge, ce, 1e-5, True), torch.group_norm(xt, 3, gt, ct, 1e-5, True),
           rtol=1e-4, atol=1e-5)
    _close(ember.instance_norm(xe, ge, ce, None, None, True, 0.1, 1e-5, True),
           torch.instance_norm(xt, gt, ct, None, None, True, 0.1, 1e-5, True),
           rtol=1e-4, atol=1e-5)
    _close(ember.rms_norm(xe, [5], we), torch.rms_norm(xt, [5], wt), rtol=1e-4, atol=1e-5)
    for dim in (0, 1, 2, -1):
        _close(ember.norm_except_dim(xe, 2, dim), torch.norm_except_dim(xt, 2, dim), rtol=1e-5)


def test_dropout_forms_match_torch_outside_training_and_keep_scale_in_it():
    (xe, xt) = _pair((4, 3, 5), 11)
    for name in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"):
        _close(getattr(ember, name)(xe, 0.3, False), getattr(torch, name)(xt, 0.3, False))
        y = getattr(ember, name + "_")(xe.clone(), 0.3, False)
        _close(y, xt)
    ember.manual_seed(0)
    y = ember.dropout(ember.ones(20000), 0.25, True)
    kept = y.numpy() != 0
    assert 0.72 < kept.mean() < 0.78
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75, rtol=1e-6)
    y = ember.feature_dropout(ember.ones(200, 30, 4), 0.5, True).numpy()
    assert (y.min(axis=2) == y.max(axis=2)).all()  # whole channels kept or dropped
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ember.feature_dropout(ember.ones(5), 0.5, True)
    out, mask = ember.native_dropout(xe, 0.4, False)
    ref_out, ref_mask = torch.native_dropout(xt, 0.4, False)
    _close(out, ref_out)
    assert out.data_ptr() != xe.data_ptr() and mask.dtype == ember.bool and bool(mask.all())
    out, mask = ember.native_dropout(ember.ones(10000), 0.4, None)
    np.testing.assert_allclose(out.numpy(), mask.numpy() / 0.6, rtol=1e-6)
    assert 0.55 < mask.numpy().mean() < 0.65


def test_embedding_padding_convolution_and_sampling_forms_match_torch():
    (we, wt) = _pair((7, 3), 12, grad=True)
    idx = np.array([[0, 3, 6], [2, 2, 0]])
    _grads_match(lambda m, w: m.embedding(w, m.tensor(idx), 2), [we], [wt])
    assert float(we.grad[2].abs().sum()) == 0  # the padding row learns nothing
    (xe, xt) = _pair((2, 3, 6, 5), 13, grad=True)
    _grads_match(lambda m, x: m.constant_pad_nd(x, [1, 2, 0, 1], 0.5), [xe], [xt])
    (ke, kt), (ve, vt) = _pair((4, 3, 3, 2), 14, grad=True), _pair((4,), 15, grad=True)
    xe.grad = xt.grad = None
    _grads_match(lambda m, x, k, v: m.convolution(x, k, v, [1, 2], [1, 0], [1, 1], False,
                                                  [0, 0], 1),
                 [xe, ke, ve], [xt, kt, vt])
    (te, tt) = _pair((3, 4, 3, 2), 16, grad=True)
    _grads_match(lambda m, x, k: m.convolution(x, k, None, [2, 1], [0, 1], [1, 1], True, [1, 0],
                                               1),
                 [xe.detach()[:, :3].contiguous().requires_grad_(), te],
                 [xt.detach()[:, :3].contiguous().requires_grad_(), tt])
    theta = np.random.default_rng(17).standard_normal((2, 2, 3)).astype(np.float32)
    grid_e = ember.affine_grid_generator(ember.tensor(theta), [2, 3, 4, 5], False)
    grid_t = torch.affine_grid_generator(torch.tensor(theta), [2, 3, 4, 5], False)
    _close(grid_e, grid_t, rtol=1e-5, atol=1e-6)
    for mode in (0, 1):
        for padding in (0, 1, 2):
            _close(ember.grid_sampler(xe.detach(), grid_e, mode, padding, False),
                   torch.grid_sampler(xt.detach(), grid_t, mode, padding, False),
                   rtol=1e-4, atol=1e-5)
    (ce, ct) = _pair((2, 6, 3), 18)
    _close(ember.native_channel_shuffle(ce, 3), torch.native_channel_shuffle(ct, 3))
    for a, b in zip(ember.adaptive_max_pool1d(ce, 2), torch.adaptive_max_pool1d(ct, 2)):
        _close(a, b)
    for a, b in zip(ember.max_pool1d_with_indices(ce, 2, [], 1),
                    torch.max_pool1d_with_indices(ct, 2, [], 1)):
        _close(a, b)


def test_activations_in_place_and_rrelu_with_a_generator():
    (xe, xt) = _pair((3, 4), 19)
    for name, args in (("selu_", ()), ("celu_", (0.7,)), ("threshold_", (0.1, -3.0)),
                       ("rrelu_", (0.1, 0.3, False))):
        e, t = xe.clone(), xt.clone()
        assert getattr(ember, name)(e, *args) is e
        getattr(torch, name)(t, *args)
        _close(e, t)
    _close(ember.rrelu(xe, 0.1, 0.3), torch.rrelu(xt, 0.1, 0.3))
    draws = [ember.rrelu(-ember.ones(50), 0.1, 0.3, True, ember.Generator().manual_seed(3))
             for _ in range(2)]
    np.testing.assert_array_equal(draws[0].numpy(), draws[1].numpy())  # the generator's stream
    assert ((-draws[0].numpy() >= 0.1) & (-draws[0].numpy() <= 0.3)).all()


def test_recurrent_cells_match_torch():
    (xe, xt), (he, ht), (ce, ct) = (_pair((3, 5), 20, grad=True), _pair((3, 4), 21, grad=True),
                                    _pair((3, 4), 22, grad=True))
    for gates, name in ((4, "lstm_cell"), (3, "gru_cell"), (1, "rnn_tanh_cell"),
                        (1, "rnn_relu_cell")):
        (wie, wit), (whe, wht) = (_pair((gates * 4, 5), 23, grad=True),
                                  _pair((gates * 4, 4), 24, grad=True))
        (bie, bit), (bhe, bht) = _pair((gates * 4,), 25, grad=True), _pair((gates * 4,), 26,
                                                                           grad=True)
        for t in (xe, xt, he, ht, ce, ct):
            t.grad = None
        state_e, state_t = ((he, ce), (ht, ct)) if name == "lstm_cell" else (he, ht)
        _grads_match(lambda m, x, h, wi, wh, bi, bh, name=name, states=(state_e, state_t):
                     getattr(m, name)(x, states[m is torch], wi, wh, bi, bh),
                     [xe, he, wie, whe, bie, bhe], [xt, ht, wit, wht, bit, bht])


# ---- view copies and scatters ----------------------------------------------------------

def test_view_copies_are_new_contiguous_memory_with_torch_values():
    (xe, xt) = _pair((3, 4, 2), 27)
    cases = [("diagonal_copy", (0, 0, 1)), ("expand_copy", ((2, 3, 4, 2),)),
             ("narrow_copy", (1, 1, 2)), ("permute_copy", ((2, 0, 1),)),
             ("select_copy", (1, 2)), ("slice_copy", (1, 0, 4, 2)), ("squeeze_copy", ()),
             ("t_copy", None), ("transpose_copy", (0, 2)), ("unfold_copy", (1, 2, 1)),
             ("unsqueeze_copy", (1,)), ("view_copy", ((4, 6),)), ("alias_copy", ()),
             ("detach_copy", ()), ("as_strided_copy", ((2, 2), (1, 2), 1))]
    for name, args in cases:
        e_in, t_in = (xe[0], xt[0]) if args is None else (xe, xt)
        e = getattr(ember, name)(e_in, *(args or ()))
        t = getattr(torch, name)(t_in, *(args or ()))
        _close(e, t)
        assert e.is_contiguous() and e.data_ptr() != xe.data_ptr()
    for name, args in (("split_copy", (2, 1)), ("split_with_sizes_copy", ([1, 3], 1)),
                       ("unbind_copy", (2,))):
        got, want = getattr(ember, name)(xe, *args), getattr(torch, name)(xt, *args)
        assert isinstance(got, tuple) and len(got) == len(want)
        for e, t in zip(got, want):
            _close(e, t)
            assert e.is_contiguous()


def test_scatters_match_torch_with_gradients():
    (xe, xt), (de, dt), (se, st), (le, lt) = (_pair((4, 4), 28, grad=True),
                                              _pair((3,), 29, grad=True),
                                              _pair((4,), 30, grad=True),
                                              _pair((2, 4), 31, grad=True))
    cases = [(lambda m, x, s: m.diagonal_scatter(x, s, 1), (de, dt)),
             (lambda m, x, s: m.select_scatter(x, s, 1, 2), (se, st)),
             (lambda m, x, s: m.slice_scatter(x, s, 0, 1, 4, 2), (le, lt)),
             (lambda m, x, s: x.slice_scatter(s, start=2), (le, lt))]
    for fn, (s_e, s_t) in cases:
        for t in (xe, xt, s_e, s_t):
            t.grad = None
        _grads_match(fn, [xe, s_e], [xt, s_t])
    # as_strided_scatter: torch 2.13 sends input's gradient to the overwritten elements
    # instead of the others, so input's gradient is checked against the definition
    xe.grad = le.grad = xt.grad = lt.grad = None
    w = np.arange(16, dtype=np.float32).reshape(4, 4)
    ye = ember.as_strided_scatter(xe, le, (2, 4), (4, 1), 8)
    yt = torch.as_strided_scatter(xt, lt, (2, 4), (4, 1), 8)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    _close(ye, yt)
    _close(le.grad, lt.grad)
    np.testing.assert_array_equal(xe.grad.numpy(), np.where(np.arange(16).reshape(4, 4) >= 8,
                                                            0, w))
    with pytest.raises(RuntimeError, match="size equal to the slice"):
        ember.diagonal_scatter(ember.ones(3, 3), ember.ones(2))


# ---- top-level in-place functions and small ops ----------------------------------------

def test_top_level_in_place_functions_are_their_methods():
    (xe, xt) = _pair((3, 4), 32, low=0.2, high=0.9)
    for name, args in (("exp_", ()), ("sqrt_", ()), ("clamp_", (0.3, 0.6)), ("logit_", ()),
                       ("round_", ()), ("fill_", (1.5,)), ("zero_", ()), ("sinc_", ()),
                       ("xlogy_", (2.0,)), ("nan_to_num_", ())):
        e, t = xe.clone(), xt.clone()
        assert getattr(ember, name)(e, *args) is e
        getattr(torch, name)(t, *args)
        _close(e, t)
    m, v = _pair((3, 4), 33), _pair((4,), 34)
    e, t = _pair((3,), 35)
    ember.addmv_(e, m[0], v[0], beta=0.5, alpha=2.0)
    torch.addmv_(t, m[1], v[1], beta=0.5, alpha=2.0)
    _close(e, t, rtol=1e-5)


def test_renorm_matches_torch_with_gradients():
    (xe, xt) = _pair((4, 3, 2), 36, grad=True)
    for p, dim, maxnorm in ((2, 0, 1.0), (1, 1, 2.0), (3, -1, 0.5), (2, 2, 100.0)):
        for t in (xe, xt):
            t.grad = None
        _grads_match(lambda m, x, args=(p, dim, maxnorm): m.renorm(x, *args), [xe], [xt])
    e = xe.detach().clone()
    t = xt.detach().clone()
    _close(e.renorm_(2, 0, 1.0), t.renorm_(2, 0, 1.0))
    with pytest.raises(RuntimeError, match="non-positive-norm"):
        ember.renorm(xe, 0, 0, 1.0)
    with pytest.raises(RuntimeError, match="maxnorm to be >= 0"):
        ember.renorm(xe, 2, 0, -1.0)
    _close(ember.frobenius_norm(xe, (0, 2)), torch.frobenius_norm(xt, (0, 2)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_nextafter_matches_torch_bit_for_bit(dtype):
    inf, nan = float("inf"), float("nan")
    a = [0.0, -0.0, 1.0, -1.0, 1.0, 3.0, nan, 2.0, inf, -5.0, 1e-30, -inf, 0.0]
    b = [-1.0, 1.0, 2.0, -2.0, 1.0, inf, 1.0, nan, 0.0, -inf, 0.0, 0.0, 0.0]
    e = ember.nextafter(ember.tensor(a, dtype=getattr(ember, dtype)),
                        ember.tensor(b, dtype=getattr(ember, dtype)))
    t = torch.nextafter(torch.tensor(a, dtype=getattr(torch, dtype)),
                        torch.tensor(b, dtype=getattr(torch, dtype)))
    got, want = e.double().numpy(), t.double().numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)])
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    x = ember.tensor([1.0], dtype=getattr(ember, dtype))
    assert x.nextafter_(ember.tensor([2.0], dtype=x.dtype)) is x and float(x) > 1.0
    with pytest.raises(RuntimeError, match="not implemented"):
        ember.nextafter(ember.tensor([1.0], requires_grad=True), ember.tensor([2.0])).backward()


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_matches_torch_with_gradients(reduce, include_self):
    (xe, xt), (se, st) = _pair((5, 3), 37, grad=True), _pair((4, 3), 38, grad=True)
    index = [0, 4, 0, 2]
    _grads_match(lambda m, x, s: x.index_reduce(0, m.tensor(index), s, reduce,
                                                include_self=include_self),
                 [xe, se], [xt, st])
    e, t = xe.detach().clone(), xt.detach().clone()
    _close(e.index_reduce_(1, ember.tensor([2, 2, 0]), ember.full((5, 3), 0.5), reduce),
           t.index_reduce_(1, torch.tensor([2, 2, 0]), torch.full((5, 3), 0.5), reduce))
    with pytest.raises(RuntimeError, match="Expected reduce to be one of"):
        xe.index_reduce(0, ember.tensor(index), se, "sum")


def test_fill_empty_permuted_rsub_and_splits_match_torch():
    (xe, xt) = _pair((2, 3), 39, grad=True)
    _close(ember.fill(xe, 2.5), torch.fill(xt, 2.5))
    ve, vt = ember.tensor(1.5, requires_grad=True), torch.tensor(1.5, requires_grad=True)
    _grads_match(lambda m, v: m.fill(xe if m is ember else xt, v), [ve], [vt])
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        ember.fill(xe, ember.ones(2))
    for size, layout in (((2, 3, 4), (2, 0, 1)), ((5, 1, 2), (1, 2, 0)), ((3,), (0,))):
        e = ember.empty_permuted(size, layout, dtype=ember.float64)
        t = torch.empty_permuted(size, layout, dtype=torch.float64)
        assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    with pytest.raises(RuntimeError, match="Duplicate dim"):
        ember.empty_permuted((2, 3), (0, 0))
    _close(ember.rsub(xe, 3.0, alpha=2), torch.rsub(xt, 3.0, alpha=2))
    _close(ember.rsub(xe, xe * 2), torch.rsub(xt, xt * 2))
    for name, args in (("split_with_sizes", ([1, 2], 1)), ("unsafe_split", (1,)),
                       ("unsafe_chunk", (3, 1))):
        for e, t in zip(getattr(ember, name)(xe, *args), getattr(torch, name)(xt, *args)):
            _close(e, t)
        for e, t in zip(getattr(xe, name)(*args), getattr(xt, name)(*args)):
            _close(e, t)


def test_queries_and_mode_switches_match_torch():
    x = ember.ones(2)
    assert ember.detach(x.requires_grad_()).requires_grad is False
    assert ember.resolve_conj(x) is x and ember.resolve_neg(x) is x
    assert not ember.is_conj(x) and not ember.is_neg(x) and not x.is_neg()
    assert ember.get_device(x) == torch.get_device(torch.ones(2)) == -1
    assert ember.typename(x) == "ember.FloatTensor"
    assert ember.typename(3) == torch.typename(3) == "int"
    for mode, warn_only, level in (("warn", True, 1), ("error", False, 2), (0, False, 0)):
        ember.set_deterministic_debug_mode(mode)
        torch.set_deterministic_debug_mode(mode)
        assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode() \
            == level
        assert ember.is_deterministic_algorithms_warn_only_enabled() == warn_only
    with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
        ember.set_deterministic_debug_mode("loud")
    ember.set_anomaly_enabled(True, check_nan=False)
    assert ember.is_anomaly_enabled() and not ember.is_anomaly_check_nan_enabled()
    ember.set_anomaly_enabled(False)
    assert not ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
    assert not ember.is_autocast_enabled("cpu") and ember.get_autocast_dtype("cpu") == \
        ember.bfloat16


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_matches_torch_with_its_own_gradients(edge_order):
    (xe, xt) = _pair((4, 5, 6), 40, grad=True)
    coords = np.cumsum(np.random.default_rng(41).uniform(0.5, 2.0, 5)).astype(np.float32)
    for kw_e, kw_t in ((dict(), dict()), (dict(spacing=2.0), dict(spacing=2.0)),
                       (dict(dim=1), dict(dim=1)),
                       (dict(dim=(0, 2), spacing=[0.5, 3.0]),
                        dict(dim=(0, 2), spacing=[0.5, 3.0])),
                       (dict(dim=1, spacing=[ember.tensor(coords)]),
                        dict(dim=1, spacing=[torch.tensor(coords)]))):
        xe.grad = xt.grad = None
        _grads_match(lambda m, x, kw_e=kw_e, kw_t=kw_t: m.gradient(
            x, edge_order=edge_order, **(kw_e if m is ember else kw_t)), [xe], [xt])
    _close(ember.gradient(ember.tensor([1, 4, 9, 16]))[0], torch.gradient(
        torch.tensor([1, 4, 9, 16]))[0])  # integers give the default float dtype
    with pytest.raises(RuntimeError, match="at least edge_order\\+1"):
        ember.gradient(ember.ones(2), edge_order=2)
    with pytest.raises(RuntimeError, match="only supports edge_order=1 and edge_order=2"):
        ember.gradient(ember.ones(4), edge_order=3)
    with pytest.raises(RuntimeError, match="list of length equal to 'self.dim\\(\\) = 2'"):
        ember.gradient(ember.ones(3, 3), spacing=[1.0])
