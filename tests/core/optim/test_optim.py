"""Optimizer behaviour without torch: groups, state dicts, hooks, known values, fused kernels."""

import math

import numpy as np
import pytest

import ember
import ember.optim as optim
from ember.backends import cpu

pytestmark = pytest.mark.usefixtures("on_device")


def _param(values, dtype=ember.float32):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def test_sgd_one_step_known_values():
    w = _param([1.0, -2.0])
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().cpu().numpy(), [0.8, -1.6], rtol=1e-6)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"].cpu().numpy(), [2.0, -4.0])
    opt.zero_grad()
    assert w.grad is None


def test_adam_first_step_is_lr_times_sign():
    w = _param([0.0, 0.0, 5.0])
    opt = optim.Adam([w], lr=0.1)
    w.grad = ember.tensor([3.0, -0.5, 1e-3])
    opt.step()
    np.testing.assert_allclose(w.detach().cpu().numpy(), [-0.1, 0.1, 4.9], rtol=1e-5)
    assert opt.state[w]["step"].item() == 1.0
    assert opt.state[w]["step"].dtype == ember.float32


def test_adamw_decay_without_gradient_signal():
    w = _param([1.0, 1.0])
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = ember.zeros(2)
    opt.step()
    np.testing.assert_allclose(w.detach().cpu().numpy(), [0.95, 0.95], rtol=1e-6)


def test_plain_iterables_and_groups():
    a, b = _param([1.0]), _param([2.0])
    opt = optim.SGD(iter([a, b]), lr=0.5)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["params"][1] is b
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.01}], lr=0.5, momentum=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.01]
    assert opt.param_groups[1]["momentum"] == 0.1
    c = _param([3.0])
    opt.add_param_group({"params": [c], "lr": 1.0})
    c.grad = ember.ones(1)
    opt.step()
    assert c.item() == pytest.approx(2.0)


def test_named_params_and_errors():
    a = _param([1.0])
    opt = optim.Adam([("w", a)])
    assert opt.param_groups[0]["param_names"] == ["w"]
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)


def test_zero_grad_set_to_none_false_zeroes_in_place():
    w = _param([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [0.0, 0.0])


def test_closure_runs_with_grad_and_returns_loss():
    w = _param([2.0])
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0
    assert w.item() == pytest.approx(1.0)


def test_step_hooks_and_handles():
    w = _param([1.0])
    opt = optim.SGD([w], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    hg = optim.optimizer.register_optimizer_step_post_hook(lambda o, a, k: calls.append("glob"))
    w.grad = ember.ones(1)
    opt.step()
    assert calls == ["pre", "post", "glob"]
    for h in (h1, h2, hg):
        h.remove()
    opt.step()
    assert calls == ["pre", "post", "glob"]


def test_step_runs_without_autograd_history():
    w = _param([1.0, 2.0])
    opt = optim.Adamax([w], lr=0.1)
    w.grad = ember.ones(2)
    opt.step()
    assert w.grad_fn is None and w.requires_grad
    assert opt.state[w]["exp_avg"].grad_fn is None


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
                                  "RMSprop", "Adagrad", "Adadelta"])
def test_state_dict_round_trip_and_resume(name):
    kwargs = dict(lr=0.05)
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = 0.5
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    grads = [[rng.standard_normal(p.shape) for p in start] for _ in range(6)]

    def run(opt, params, gs):
        for step_grads in gs:
            for p, g in zip(params, step_grads):
                p.grad = ember.tensor(g, dtype=ember.float32)
            opt.step()

    pa = [_param(p) for p in start]
    oa = getattr(optim, name)(pa, **kwargs)
    run(oa, pa, grads)
    pb = [_param(p) for p in start]
    ob = getattr(optim, name)(pb, **kwargs)
    run(ob, pb, grads[:3])
    sd = ob.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    assert sd["param_groups"][0]["params"] == [0, 1]
    pc = [_param(p.detach().cpu().numpy()) for p in pb]
    oc = getattr(optim, name)(pc, **kwargs)
    oc.load_state_dict(sd)
    run(oc, pc, grads[3:])
    for a, c in zip(pa, pc):
        np.testing.assert_array_equal(a.detach().cpu().numpy(), c.detach().cpu().numpy())


def test_load_state_dict_casts_to_param_dtype_and_checks_sizes():
    a = _param([1.0, 2.0], dtype=ember.float64)
    opt = optim.Adam([a])
    a.grad = ember.ones(2, dtype=ember.float64)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].float()
    b = _param([1.0, 2.0], dtype=ember.float64)
    opt2 = optim.Adam([b])
    opt2.load_state_dict(sd)
    assert opt2.state[b]["exp_avg"].dtype == ember.float64
    assert opt2.state[b]["step"].dtype == ember.float32
    with pytest.raises(ValueError, match="size of optimizer's group"):
        optim.Adam([b, _param([0.0])]).load_state_dict(sd)


def test_strided_and_half_params_match_contiguous_float32():
    base = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    grad = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    ref = _param(base.T.copy())
    strided = _param(base).t()  # a non-contiguous view is a leaf after detach
    strided = strided.detach().requires_grad_(True)
    half = _param(base.T.copy(), dtype=ember.bfloat16)
    opts = [optim.Adam([p], lr=0.1) for p in (ref, strided, half)]
    for _ in range(3):
        for p, o in zip((ref, strided, half), opts):
            p.grad = ember.tensor(grad.T.copy()).to(p.dtype)
            o.step()
    assert not strided.is_contiguous()
    np.testing.assert_allclose(strided.detach().cpu().numpy(), ref.detach().cpu().numpy(), rtol=1e-6)
    np.testing.assert_allclose(half.detach().float().cpu().numpy(), ref.detach().cpu().numpy(), atol=0.02)


def test_lbfgs_minimizes_quadratic():
    x = _param([1.5, -0.5, 0.0], dtype=ember.float64)
    target = ember.tensor([3.0, -1.0, 2.0], dtype=ember.float64)
    for ls in (None, "strong_wolfe"):
        x.detach().zero_()
        opt = optim.LBFGS([x], line_search_fn=ls)

        def closure(opt=opt):
            opt.zero_grad()
            loss = ((x - target) ** 2 * ember.tensor([1.0, 4.0, 0.5], dtype=ember.float64)).sum()
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        np.testing.assert_allclose(x.detach().cpu().numpy(), [3.0, -1.0, 2.0], atol=1e-5)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [_param([1.0])]}])


# ---- the fused C kernels directly, against NumPy ---------------------------------

def _t(a):
    return ember.from_numpy(np.array(a))  # a copy: the kernels write in place


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_adam_kernel_against_numpy(dtype):
    rng = np.random.default_rng(3)
    n = 70_000  # above the OpenMP threshold
    p, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    m, v = rng.standard_normal(n).astype(dtype) * 0.1, rng.random(n).astype(dtype)
    vmax = rng.random(n).astype(dtype)
    tp, tg, tm, tv, tvmax = map(_t, (p, g, m, v, vmax))
    lr, b1, b2, eps, wd, step = 0.01, 0.9, 0.999, 1e-8, 0.1, 3.0
    cpu.adam_step(tp, tg, tm, tv, tvmax, lr, b1, b2, eps, wd, False, False, step)
    g64 = g.astype(np.float64) + wd * p
    m64 = m + (1 - b1) * (g64 - m)
    v64 = b2 * v + (1 - b2) * g64 * g64
    vmax64 = np.maximum(vmax, v64)
    denom = np.sqrt(vmax64) / math.sqrt(1 - b2 ** step) + eps
    p64 = p - lr / (1 - b1 ** step) * m64 / denom
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(tm.cpu().numpy(), m64, rtol=tol, atol=tol)
    np.testing.assert_allclose(tvmax.cpu().numpy(), vmax64, rtol=tol, atol=tol)
    np.testing.assert_allclose(tp.cpu().numpy(), p64, rtol=tol, atol=tol)


def test_fused_sgd_rmsprop_adagrad_kernels_against_numpy():
    rng = np.random.default_rng(4)
    p, g, buf = (rng.standard_normal(100) for _ in range(3))
    sq = rng.random(100)
    tp, tg, tb = _t(p), _t(g), _t(buf)
    cpu.sgd_step(tp, tg, tb, 0.1, 0.01, 0.9, 0.1, True, True, False)
    d = -g + 0.01 * p
    b = 0.9 * buf + 0.9 * d
    np.testing.assert_allclose(tb.cpu().numpy(), b, rtol=1e-12)
    np.testing.assert_allclose(tp.cpu().numpy(), p - 0.1 * (d + 0.9 * b), rtol=1e-12)

    tp, tg, tsq, tga = _t(p), _t(g), _t(sq), _t(np.zeros(100))
    cpu.rmsprop_step(tp, tg, tsq, tga, None, 0.01, 0.9, 1e-8, 0.0, 0.0, False)
    sq1, ga = 0.9 * sq + 0.1 * g * g, 0.1 * g
    np.testing.assert_allclose(tp.cpu().numpy(), p - 0.01 * g / (np.sqrt(sq1 - ga * ga) + 1e-8),
                               rtol=1e-12)

    tp, tg, ts = _t(p), _t(g), _t(sq)
    cpu.adagrad_step(tp, tg, ts, 0.5, 0.0, 1e-10, False)
    np.testing.assert_allclose(tp.cpu().numpy(), p - 0.5 * g / (np.sqrt(sq + g * g) + 1e-10),
                               rtol=1e-12)


@pytest.mark.cpu_only
def test_fused_kernel_rejects_other_dtypes():
    t = ember.zeros(3, dtype=ember.int32)
    with pytest.raises(TypeError):
        cpu.adagrad_step(t, t, t, 0.1, 0.0, 1e-10, False)
