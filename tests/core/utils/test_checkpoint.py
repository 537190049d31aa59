"""ember.utils.checkpoint: gradients equal the plain computation's, activations are dropped."""

import gc
import weakref

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

VARIANTS = [True, False]


def _np(t):
    return np.asarray(t.detach())


def _mlp():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 3))


def _grads(model, x):
    return [_np(p.grad) for p in model.parameters()] + [_np(x.grad)]


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_mlp_with_dropout_matches_plain(reentrant):
    model = _mlp()
    x = ember.randn(4, 5, requires_grad=True)
    ember.manual_seed(7)
    ref = model(x)
    (ref * ref).sum().backward()
    want = _grads(model, x)
    model.zero_grad()
    x.grad = None
    ember.manual_seed(7)
    # the RNG moves on between forward and backward: the recomputation must not see that
    out = checkpoint(model, x, use_reentrant=reentrant)
    ember.rand(100)
    (out * out).sum().backward()
    np.testing.assert_allclose(_np(out), _np(ref), rtol=1e-6)
    for g, w in zip(_grads(model, x), want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_without_preserve_rng_state_masks_differ(reentrant):
    model = _mlp()
    x = ember.randn(4, 5, requires_grad=True)
    ember.manual_seed(7)
    ref = model(x)
    (ref * ref).sum().backward()
    want = _np(model[0].weight.grad)
    model.zero_grad()
    ember.manual_seed(7)
    out = checkpoint(model, x, use_reentrant=reentrant, preserve_rng_state=False)
    (out * out).sum().backward()
    assert not np.allclose(_np(model[0].weight.grad), want)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_tuple_outputs_and_non_tensor_args(reentrant):
    a = ember.randn(3, 4, requires_grad=True)
    b = ember.randn(4, requires_grad=True)

    def fn(x, scale, y, tag):
        assert tag == "tag"
        return (x * y).sin() * scale, (x.exp() + y).sum(0), x.argmax()

    plain = fn(a, 2.0, b, "tag")
    (plain[0].sum() + (plain[1] ** 2).sum()).backward()
    want = _np(a.grad), _np(b.grad)
    a.grad = b.grad = None
    out = checkpoint(fn, a, 2.0, b, "tag", use_reentrant=reentrant)
    assert isinstance(out, tuple) and len(out) == 3
    assert out[0].requires_grad and not out[2].requires_grad
    assert int(out[2]) == int(plain[2])
    (out[0].sum() + (out[1] ** 2).sum()).backward()
    np.testing.assert_allclose(_np(a.grad), want[0], rtol=1e-5)
    np.testing.assert_allclose(_np(b.grad), want[1], rtol=1e-5)


def test_only_one_output_used():
    a = ember.randn(3, requires_grad=True)
    out = checkpoint(lambda x: (x * 2, x * 3), a, use_reentrant=False)
    out[1].sum().backward()
    np.testing.assert_allclose(_np(a.grad), np.full(3, 3.0))


def test_kwargs_non_reentrant():
    a = ember.randn(3, requires_grad=True)
    w = ember.randn(3, requires_grad=True)

    def fn(x, *, weight, power=2):
        return (x * weight) ** power

    out = checkpoint(fn, a, use_reentrant=False, weight=w, power=3)
    out.sum().backward()
    np.testing.assert_allclose(_np(a.grad), _np(3 * (a * w) ** 2 * w), rtol=1e-5)
    np.testing.assert_allclose(_np(w.grad), _np(3 * (a * w) ** 2 * a), rtol=1e-5)


def test_kwargs_reentrant_raise():
    with pytest.raises(ValueError, match="Unexpected keyword arguments: weight"):
        checkpoint(lambda x, weight: x, ember.ones(1), use_reentrant=True, weight=1)


def test_input_not_requiring_grad_and_parameters_only():
    lin = nn.Linear(4, 2)
    x = ember.randn(3, 4)
    ref = lin(x).relu().sum()
    ref.backward()
    want = _np(lin.weight.grad), _np(lin.bias.grad)
    lin.zero_grad()
    out = checkpoint(lambda t: lin(t).relu(), x, use_reentrant=False)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(_np(lin.weight.grad), want[0], rtol=1e-6)
    np.testing.assert_allclose(_np(lin.bias.grad), want[1], rtol=1e-6)
    assert x.grad is None


def test_reentrant_without_grad_inputs_warns_and_gives_no_graph():
    lin = nn.Linear(4, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(lin, ember.randn(3, 4), use_reentrant=True)
    assert not out.requires_grad


def test_mixed_inputs_and_closure_over_outer_tensor():
    a = ember.randn(3, requires_grad=True)
    c = ember.randn(3)  # no grad
    w0 = ember.randn(3, requires_grad=True)
    w = w0 * 2  # an outer non-leaf the function closes over
    out = checkpoint(lambda x, y: (x * y * w).exp(), a, c, use_reentrant=False)
    out.sum().backward()
    e = (a * c * w).exp()
    np.testing.assert_allclose(_np(a.grad), _np(e * c * w), rtol=1e-5)
    np.testing.assert_allclose(_np(w0.grad), _np(e * a * c * 2), rtol=1e-5)


def test_autograd_grad_non_reentrant_and_reentrant_error():
    a = ember.randn(3, requires_grad=True)
    out = checkpoint(lambda x: x.sin() * x, a, use_reentrant=False)
    (g,) = ember.autograd.grad(out.sum(), a)
    np.testing.assert_allclose(_np(g), _np(a.cos() * a + a.sin()), rtol=1e-5)
    out = checkpoint(lambda x: x.sin() * x, a, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with .grad()"):
        ember.autograd.grad(out.sum(), a)
    out = checkpoint(lambda x: x.sin() * x, a, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with .grad()"):
        out.sum().backward(inputs=[a])


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_double_backward_raises(reentrant):
    a = ember.randn(3, requires_grad=True)
    out = checkpoint(lambda x: x ** 3, a, use_reentrant=reentrant)
    out.sum().backward(create_graph=True)
    np.testing.assert_allclose(_np(a.grad), _np(3 * a ** 2), rtol=1e-5)
    with pytest.raises(RuntimeError):
        a.grad.sum().backward()


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_checkpoint_sequential(reentrant):
    ember.manual_seed(1)
    model = nn.Sequential(*[m for _ in range(3) for m in (nn.Linear(4, 4), nn.Tanh())])
    x = ember.randn(2, 4, requires_grad=True)
    model(x).pow(2).sum().backward()
    want = _grads(model, x)
    for segments in (1, 2, 3, 6):
        model.zero_grad()
        x.grad = None
        out = checkpoint_sequential(model, segments, x, use_reentrant=reentrant)
        np.testing.assert_allclose(_np(out), _np(model(x)), rtol=1e-6)
        out.pow(2).sum().backward()
        for g, w in zip(_grads(model, x), want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


def _live_nodes():
    gc.collect()
    return sum(isinstance(o, ember.autograd.function.Node) for o in gc.get_objects())


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_activations_not_kept(reentrant):
    lin = nn.Linear(6, 6)
    x = ember.randn(2, 6, requires_grad=True)
    refs = []

    def fn(t):
        for _ in range(10):
            t = lin(t).tanh()
            refs.append(weakref.ref(t))
        return t

    base = _live_nodes()
    out = checkpoint(fn, x, use_reentrant=reentrant)
    assert _live_nodes() - base <= 4  # the checkpoint node and 3 AccumulateGrads, not 20 ops
    assert sum(r() is not None for r in refs[:-1]) == 0  # intermediates already freed
    refs.clear()
    plain = fn(x)
    assert _live_nodes() - base >= 20
    assert sum(r() is not None for r in refs) == 10
    out.sum().backward()
    g = _np(x.grad)
    x.grad = None
    plain.sum().backward()
    np.testing.assert_allclose(g, _np(x.grad), rtol=1e-5)


def test_no_grad_mode_runs_plainly():
    a = ember.randn(3, requires_grad=True)
    with ember.no_grad():
        for r in VARIANTS:
            out = checkpoint(lambda x: x * 2, a, use_reentrant=r)
            assert not out.requires_grad
            np.testing.assert_allclose(_np(out), _np(a) * 2)


def test_use_reentrant_none_warns_and_is_reentrant():
    a = ember.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        out = checkpoint(lambda x: x * 2, a)
    assert type(out.grad_fn).__name__ == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint_sequential([nn.Tanh()], 1, a)


def test_argument_errors():
    a = ember.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda x: x, a, use_reentrant=True, debug=True)
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda x: x, a, use_reentrant=False, determinism_check="x")
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential([nn.Tanh()], 1, a, use_reentrant=False, foo=1)


def test_nondeterministic_recompute_is_detected():
    a = ember.randn(4, requires_grad=True)
    calls = []

    def fn(x):
        calls.append(1)
        return x[: len(calls)] * 2

    out = checkpoint(fn, a, use_reentrant=False)
    with pytest.raises(CheckpointError, match="metadata"):
        out.sum().backward()


def test_context_fn_runs_around_forward_and_recompute():
    seen = []

    class Tag:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            seen.append(self.name)

        def __exit__(self, *exc):
            return False

    a = ember.randn(3, requires_grad=True)
    out = checkpoint(lambda x: x * 2, a, use_reentrant=False,
                     context_fn=lambda: (Tag("fwd"), Tag("recompute")))
    out.sum().backward()
    assert seen == ["fwd", "recompute"]
    np.testing.assert_allclose(_np(a.grad), np.full(3, 2.0))
