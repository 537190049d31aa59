"""ember.autocast's per-op policy and ember.amp.GradScaler, on CPU tensors (no GPU needed)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F


def test_autocast_policy_on_cpu():
    x = ember.randn(4, 8)
    w = ember.randn(3, 8)
    b = ember.randn(3)
    with ember.autocast("cpu", dtype=ember.bfloat16):
        assert ember.amp.is_autocast_enabled("cpu")
        y = F.linear(x, w, b)
        assert y.dtype == ember.bfloat16  # bias cast too, so no promotion back to float32
        assert (x @ w.t()).dtype == ember.bfloat16
        assert F.softmax(y, dim=1).dtype == ember.float32
        assert F.log_softmax(y, dim=1).dtype == ember.float32
        assert F.layer_norm(y, (3,)).dtype == ember.float32
        loss = F.cross_entropy(y, ember.tensor([0, 1, 2, 0]))
        assert loss.dtype == ember.float32
        c = F.conv2d(ember.randn(1, 2, 5, 5), ember.randn(4, 2, 3, 3), ember.randn(4))
        assert c.dtype == ember.bfloat16
        with ember.autocast("cpu", enabled=False):
            assert (x @ w.t()).dtype == ember.float32
        assert (x @ w.t()).dtype == ember.bfloat16
    assert not ember.amp.is_autocast_enabled("cpu")
    assert (x @ w.t()).dtype == ember.float32
    # values: bfloat16 matmul of bf16-rounded inputs, within bf16 precision of float32
    ref = (x @ w.t() + b).numpy()
    np.testing.assert_allclose(y.float().numpy(), ref, rtol=0.05, atol=0.1)


def test_autocast_gradients_reach_float32_leaves():
    w = ember.randn(3, 8, requires_grad=True)
    x = ember.randn(4, 8)
    with ember.autocast("cpu", dtype=ember.bfloat16):
        loss = F.linear(x, w).float().sum()
    loss.backward()
    assert w.grad.dtype == ember.float32
    np.testing.assert_allclose(w.grad.numpy(), np.tile(x.sum(0).numpy(), (3, 1)), rtol=0.02,
                               atol=0.05)


def test_autocast_cuda_region_leaves_cpu_ops_alone():
    x = ember.randn(2, 2)
    with ember.autocast("cuda", dtype=ember.float16):
        assert (x @ x).dtype == ember.float32
    with pytest.raises(RuntimeError, match="dtype is not supported"):
        ember.autocast("cpu", dtype=ember.float32)


def test_autocast_as_decorator():
    @ember.autocast("cpu")
    def f(a):
        return a @ a

    assert f(ember.ones(2, 2)).dtype == ember.bfloat16


def _model():
    lin = ember.nn.Linear(3, 1)
    with ember.no_grad():
        lin.weight.copy_(ember.tensor([[1.0, 2.0, 3.0]]))
        lin.bias.fill_(0.5)
    return lin


def test_grad_scaler_scales_unscales_and_steps():
    lin = _model()
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    x = ember.tensor([[1.0, 1.0, 1.0]])
    loss = lin(x).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == pytest.approx(loss.item() * 1024.0)
    scaled.backward()
    assert lin.weight.grad.tolist() == [[1024.0, 1024.0, 1024.0]]
    scaler.step(opt)
    assert lin.weight.grad.tolist() == [[1.0, 1.0, 1.0]]  # unscaled in place
    assert lin.weight.detach().tolist()[0] == pytest.approx([0.9, 1.9, 2.9])
    scaler.update()
    assert scaler.get_scale() == 1024.0  # one clean step of growth_interval 2
    opt.zero_grad()
    scaler.scale(lin(x).sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 2048.0


def test_grad_scaler_skips_step_on_inf_and_backs_off():
    lin = _model()
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale(lin(ember.tensor([[float("inf"), 1.0, 1.0]])).sum()).backward()
    before = lin.weight.detach().clone()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    assert scaler.step(opt) is None
    assert ember.equal(lin.weight.detach(), before)
    scaler.update()
    assert scaler.get_scale() == 4.0
    assert scaler.state_dict() == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                   "growth_interval": 2000, "_growth_tracker": 0}


def test_grad_scaler_state_dict_roundtrip_and_errors():
    a = ember.amp.GradScaler("cpu", init_scale=16.0, growth_factor=3.0)
    b = ember.amp.GradScaler("cpu")
    b.load_state_dict(a.state_dict())
    assert b.get_scale() == 16.0 and b.get_growth_factor() == 3.0
    with pytest.raises(RuntimeError, match="_scale is None"):
        b.update()
    with pytest.raises(ValueError, match="growth factor"):
        ember.amp.GradScaler("cpu", growth_factor=1.0)
    off = ember.amp.GradScaler("cpu", enabled=False)
    t = ember.ones(2)
    assert off.scale(t) is t and off.state_dict() == {} and off.get_scale() == 1.0
