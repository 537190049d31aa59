"""ember.func against torch.func: grad and its friends (nested, with aux and argnums), vjp,
jvp, jacrev/jacfwd/hessian, vmap (in_dims, out_dims, nesting, randomness, errors), per-sample
gradients through functional_call, and functional_call's own rules."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import torch.func as tf  # noqa: E402
from ember import func as ef  # noqa: E402


def _arr(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float64)


def _close(e, t, rtol=1e-10, atol=1e-12):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            _close(a, b, rtol, atol)
        return
    if isinstance(t, dict):
        assert e.keys() == t.keys()
        for k in t:
            _close(e[k], t[k], rtol, atol)
        return
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def _both(*arrays):
    return [ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _f(m, x, y):
    return ((x.sin() * y).sum() + (x * x * y).sum() ** 0.5)


def test_grad_grad_and_value_aux_and_argnums_match_torch():
    (xe, ye), (xt, yt) = _both(_arr(4, 0), np.abs(_arr(4, 1)) + 0.5)
    _close(ef.grad(lambda x, y: _f(ember, x, y))(xe, ye), tf.grad(lambda x, y: _f(torch, x, y))(
        xt, yt))
    _close(ef.grad(lambda x, y: _f(ember, x, y), argnums=(0, 1))(xe, ye),
           tf.grad(lambda x, y: _f(torch, x, y), argnums=(0, 1))(xt, yt))
    ge, (ve, aux_e) = ef.grad_and_value(lambda x, y: (_f(ember, x, y), x.sum()),
                                        has_aux=True)(xe, ye)
    gt, (vt, aux_t) = tf.grad_and_value(lambda x, y: (_f(torch, x, y), x.sum()),
                                        has_aux=True)(xt, yt)
    _close(ge, gt)
    _close(ve, vt)
    _close(aux_e, aux_t)
    assert not ge.requires_grad and not ve.requires_grad
    # nested: the second derivative, and an outer graph through the inner gradient
    second_e = ef.grad(ef.grad(lambda s: (s ** 3).sin()))(ember.tensor(0.7, dtype=ember.float64))
    second_t = tf.grad(tf.grad(lambda s: (s ** 3).sin()))(torch.tensor(0.7, dtype=torch.float64))
    _close(second_e, second_t)
    xe2 = xe.clone().requires_grad_()
    xt2 = xt.clone().requires_grad_()
    ef.grad(lambda x: (x ** 3).sum())(xe2).sum().backward()
    tf.grad(lambda x: (x ** 3).sum())(xt2).sum().backward()
    _close(xe2.grad, xt2.grad)
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        ef.grad(lambda x: x * 2)(xe)
    with pytest.raises(RuntimeError, match="argnums"):
        ef.grad(lambda x: x.sum(), argnums=3)(xe)


def test_vjp_jvp_jacobians_and_hessian_match_torch():
    (xe, we), (xt, wt) = _both(_arr(3, 2), _arr((2, 3), 3))

    def g(m):
        return lambda x, w: (w @ x.tanh()) * x[:2]
    out_e, pull_e = ef.vjp(g(ember), xe, we)
    out_t, pull_t = tf.vjp(g(torch), xt, wt)
    _close(out_e, out_t)
    cot = _arr(2, 4)
    _close(pull_e(ember.tensor(cot)), pull_t(torch.tensor(cot)))
    tangent = _arr(3, 5)
    _close(ef.jvp(lambda x: g(ember)(x, we), (xe,), (ember.tensor(tangent),)),
           tf.jvp(lambda x: g(torch)(x, wt), (xt,), (torch.tensor(tangent),)))
    for transform_e, transform_t in ((ef.jacrev, tf.jacrev), (ef.jacfwd, tf.jacfwd)):
        _close(transform_e(g(ember))(xe, we), transform_t(g(torch))(xt, wt))
        _close(transform_e(g(ember), argnums=(0, 1))(xe, we),
               transform_t(g(torch), argnums=(0, 1))(xt, wt))
    _close(ef.hessian(lambda x: (x.sin() * x).sum())(xe),
           tf.hessian(lambda x: (x.sin() * x).sum())(xt))
    with pytest.raises(RuntimeError, match="tuples"):
        ef.jvp(lambda x: x, xe, ember.ones(3))


def test_vmap_in_dims_out_dims_and_nesting_match_torch():
    (ae, be), (at, bt) = _both(_arr((4, 3), 6), _arr((3, 5), 7))
    _close(ef.vmap(ember.mv, in_dims=(None, 1))(ae, be), tf.vmap(torch.mv, in_dims=(None, 1))(
        at, bt))
    _close(ef.vmap(lambda x: (x * 2, x.sum()), out_dims=(1, 0))(ae),
           tf.vmap(lambda x: (x * 2, x.sum()), out_dims=(1, 0))(at))
    _close(ef.vmap(ef.vmap(lambda x, y: x * y))(ae, ae), tf.vmap(tf.vmap(lambda x, y: x * y))(
        at, at))
    _close(ef.vmap(lambda d: d["u"] + d["v"], in_dims=({"u": 0, "v": 1},))(
        {"u": ae[:, :3], "v": be[:, :4]}),
        tf.vmap(lambda d: d["u"] + d["v"], in_dims=({"u": 0, "v": 1},))(
        {"u": at[:, :3], "v": bt[:, :4]}))
    # keyword arguments pass through unmapped
    _close(ember.vmap(lambda x, k: x * k)(ae, k=be[0, 0]), torch.vmap(lambda x, k: x * k)(
        at, k=bt[0, 0]))
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        ef.vmap(lambda x, y: x + y)(ember.ones(2, 3), ember.ones(3, 3))
    with pytest.raises(ValueError, match="At least one input must be mapped"):
        ef.vmap(lambda x: x, in_dims=(None,))(ember.ones(2))
    with pytest.raises(ValueError, match="must only return Tensors"):
        ef.vmap(lambda x: 1.0)(ember.ones(2))
    with pytest.raises(ValueError, match="expected in_dim to satisfy"):
        ef.vmap(lambda x: x, in_dims=2)(ember.ones(2, 3))
    draws = ef.vmap(lambda x: x + ember.rand(3), randomness="same")(ember.zeros(4, 3))
    assert np.allclose(draws.numpy(), draws.numpy()[:1])
    draws = ef.vmap(lambda x: x + ember.rand(3), randomness="different")(ember.zeros(4, 3))
    assert not np.allclose(draws.numpy()[0], draws.numpy()[1])


def test_per_sample_gradients_through_functional_call_match_torch():
    torch.manual_seed(0)
    model_t = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    model_e = ember.nn.Sequential(ember.nn.Linear(4, 6), ember.nn.Tanh(), ember.nn.Linear(6, 2))
    model_e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                             model_t.state_dict().items()})
    xs, ys = _arr((5, 4), 8).astype(np.float32), _arr((5, 2), 9).astype(np.float32)

    def per_sample(m, fn, model):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, y):
            out = fn.functional_call(model, p, (x.unsqueeze(0),))
            return ((out - y.unsqueeze(0)) ** 2).mean()
        return fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))(params, m.tensor(xs), m.tensor(ys))
    _close(per_sample(ember, ef, model_e), per_sample(torch, tf, model_t), rtol=1e-5, atol=1e-6)
    assert all(p.grad is None for p in model_e.parameters())


def test_functional_call_swaps_for_one_call_ties_weights_and_checks_keys():
    lin = ember.nn.Linear(2, 2)
    before = lin.weight
    out = ef.functional_call(lin, {"weight": ember.eye(2), "bias": ember.ones(2)},
                             ember.tensor([[1.0, 2.0]]))
    np.testing.assert_array_equal(out.numpy(), [[2.0, 3.0]])
    assert lin.weight is before and isinstance(lin.weight, ember.nn.Parameter)
    tied = ember.nn.Sequential(ember.nn.Linear(2, 2, bias=False), ember.nn.Linear(2, 2,
                                                                               bias=False))
    tied[1].weight = tied[0].weight
    x = ember.tensor([[1.0, -1.0]])
    twice = ef.functional_call(tied, {"0.weight": 2 * ember.eye(2)}, (x,))
    np.testing.assert_array_equal(twice.numpy(), [[4.0, -4.0]])
    once = ef.functional_call(tied, {"0.weight": 2 * ember.eye(2)}, (x,), tie_weights=False)
    np.testing.assert_allclose(once.detach().numpy(), (x @ (2 * ember.eye(2)).t() @
                                              tied[0].weight.t()).detach().numpy())
    bn = ember.nn.BatchNorm1d(2).eval()
    shifted = ef.functional_call(bn, {"running_mean": ember.ones(2)}, (ember.ones(3, 2),))
    np.testing.assert_allclose(shifted.detach().numpy(), 0.0, atol=1e-6)
    with pytest.raises(RuntimeError, match="Missing key"):
        ef.functional_call(lin, {"weight": ember.eye(2)}, (x,), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        ef.functional_call(lin, [{"weight": ember.eye(2)}, {"weight": ember.eye(2)}], (x,))
    with pytest.warns(FutureWarning):
        ember.nn.utils.stateless.functional_call(lin, {"bias": ember.zeros(2)}, (x,))
