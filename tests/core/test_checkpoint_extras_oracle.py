"""ember.utils.checkpoint's selective-checkpoint API, debug/early-stop switches, device
states and DefaultDeviceType, against torch.utils.checkpoint: the same gradients."""

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import torch.utils.checkpoint as tc  # noqa: E402

import ember  # noqa: E402
import ember.utils.checkpoint as ec  # noqa: E402


def _data(device):
    rng = np.random.default_rng(0)
    w1, w2 = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    x = rng.standard_normal((6, 4))
    ours = [ember.tensor(a, device=device, requires_grad=True) for a in (x, w1, w2)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w1, w2)]
    return ours, theirs


def _block(mod):
    def f(x, w1, w2):
        return (mod.mm(x, w1).relu().sin() @ w2).tanh()
    return f


def _grads(tensors):
    return [t.grad.detach().cpu().numpy() for t in tensors]


def _policy(mod, saved):
    def policy(ctx, op, *args, **kwargs):
        assert isinstance(ctx, (ec.SelectiveCheckpointContext, tc.SelectiveCheckpointContext))
        return (mod.CheckpointPolicy.MUST_SAVE if op in saved
                else mod.CheckpointPolicy.PREFER_RECOMPUTE)
    return policy


@pytest.mark.parametrize("kind", ["list", "policy_fn"])
def test_selective_checkpoint_gradients_match_torch(device, kind):
    ours, theirs = _data(device)
    if kind == "list":
        e_ctx = functools.partial(ec.create_selective_checkpoint_contexts, [ember.mm])
        t_ctx = functools.partial(tc.create_selective_checkpoint_contexts,
                                  [torch.ops.aten.mm.default])
    else:
        e_ctx = functools.partial(ec.create_selective_checkpoint_contexts,
                                  _policy(ec, {ember.mm}))
        t_ctx = functools.partial(tc.create_selective_checkpoint_contexts,
                                  _policy(tc, {torch.ops.aten.mm.default}))
    eo = ec.checkpoint(_block(ember), *ours, use_reentrant=False, context_fn=e_ctx)
    to = tc.checkpoint(_block(torch), *theirs, use_reentrant=False, context_fn=t_ctx)
    np.testing.assert_allclose(eo.detach().cpu().numpy(), to.detach().numpy(), rtol=1e-12)
    (eo ** 2).sum().backward()
    (to ** 2).sum().backward()
    for g_e, g_t in zip(_grads(ours), _grads(theirs)):
        np.testing.assert_allclose(g_e, g_t, rtol=1e-10, atol=1e-12)


def test_selective_contexts_are_reusable_pairs_and_validate_like_torch():
    fwd, rec = ec.create_selective_checkpoint_contexts([ember.mm])
    with fwd, rec, fwd:
        pass
    for mod in (ec, tc):
        with pytest.raises(TypeError, match="policy_fn_or_list must be"):
            mod.create_selective_checkpoint_contexts(3)
        with pytest.raises(ValueError, match="Expected op in `op_list`"):
            mod.create_selective_checkpoint_contexts([3])


def test_checkpoint_policy_and_context_match_torch():
    assert [(p.name, p.value) for p in ec.CheckpointPolicy] == \
        [(p.name, p.value) for p in tc.CheckpointPolicy]
    assert ec.SelectiveCheckpointContext(is_recompute=True).is_recompute is True
    assert ec.SelectiveCheckpointContext(is_recompute=False).op_output is None


def test_debug_switch_overrides_argument_like_torch(device):
    ours, theirs = _data(device)
    e_ctx = functools.partial(ec.create_selective_checkpoint_contexts, [ember.mm])
    t_ctx = functools.partial(tc.create_selective_checkpoint_contexts,
                              [torch.ops.aten.mm.default])
    with tc.set_checkpoint_debug_enabled(True), pytest.raises(ValueError, match="debug=True"):
        tc.checkpoint(_block(torch), *theirs, use_reentrant=False, context_fn=t_ctx)
    with ec.set_checkpoint_debug_enabled(True), pytest.raises(ValueError, match="debug=True"):
        ec.checkpoint(_block(ember), *ours, use_reentrant=False, context_fn=e_ctx)
    # False wins over debug=True, and the switch is restored on exit
    with ec.set_checkpoint_debug_enabled(False):
        ec.checkpoint(_block(ember), *ours, use_reentrant=False, context_fn=e_ctx, debug=True)
    assert ec._debug_override is None


def test_early_stop_switch_keeps_gradients(device):
    ours, theirs = _data(device)
    with ec.set_checkpoint_early_stop(False):
        eo = ec.checkpoint(_block(ember), *ours, use_reentrant=False)
    with tc.set_checkpoint_early_stop(False):
        to = tc.checkpoint(_block(torch), *theirs, use_reentrant=False)
    eo.sum().backward()
    to.sum().backward()
    for g_e, g_t in zip(_grads(ours), _grads(theirs)):
        np.testing.assert_allclose(g_e, g_t, rtol=1e-10, atol=1e-12)
    assert ec._early_stop_override is None


def test_device_states_and_default_device_type_match_torch_on_cpu():
    x = [ember.ones(2), {"k": ember.zeros(1)}, 3]
    assert ec.get_device_states(*x) == tc.get_device_states(torch.ones(2), {"k": torch.zeros(1)},
                                                            3) == ([], [])
    ec.set_device_states([], [])
    before = ec.DefaultDeviceType._default_device_type
    try:
        ec.DefaultDeviceType._default_device_type = None
        tc.DefaultDeviceType._default_device_type = None
        expected = "cuda" if ember.cuda.is_available() else "cpu"
        assert ec.DefaultDeviceType.get_device_type() == expected
        ec.DefaultDeviceType.set_device_type("xpu")
        assert ec.DefaultDeviceType.get_device_type() == "xpu"
        ec.DefaultDeviceType.set_device_type()
        assert ec.DefaultDeviceType.get_device_type() == "cuda"
    finally:
        ec.DefaultDeviceType._default_device_type = before


def test_device_states_on_cuda():
    if not ember.cuda.is_available():
        pytest.skip("needs a GPU")
    x = ember.ones(2, device="cuda")
    devices, states = ec.get_device_states(x, [x])
    assert devices == [0, 0] and len(states) == 2
    first = ember.rand(3, device="cuda")
    ec.set_device_states(devices[:1], states[:1], device_type="cuda")
    again = ember.rand(3, device="cuda")
    np.testing.assert_array_equal(first.cpu().numpy(), again.cpu().numpy())
