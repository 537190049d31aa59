"""ember.autograd.graph against torch.autograd.graph: saved-tensor pack/unpack hooks (call
counts and order, what the hooks receive, gradients unchanged, nesting, disabling, custom
Functions and built-in ops), save_on_cpu, register_multi_grad_hook, Node and GradientEdge.

Built-in ops are compared where ember saves the same tensors as torch (exp saves its
output, sin its input, tensor * tensor both operands, matmul both); ember's own set of
saved tensors differs for some ops (tensor * number saves the tensor, torch nothing).
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

X = np.random.default_rng(0).standard_normal((3, 4))
W = np.random.default_rng(1).standard_normal((4, 2))


def _lib(name):
    return ember if name == "ember" else torch


def _np(t):
    return np.asarray(t.detach().numpy())


class _Recorder:
    def __init__(self, tag=""):
        self.log, self.tag = [], tag

    def pack(self, t):
        self.log.append(("pack" + self.tag, tuple(t.shape), t.requires_grad,
                         t.grad_fn.name() if t.grad_fn is not None else None))
        return ("packed", t)

    def unpack(self, p):
        assert p[0] == "packed"
        self.log.append(("unpack" + self.tag, tuple(p[1].shape)))
        return p[1]


def _builtin_run(name, op):
    L = _lib(name)
    G = L.autograd.graph
    x = L.tensor(X, requires_grad=True)
    w = L.tensor(W, requires_grad=True)
    rec = _Recorder()
    with G.saved_tensors_hooks(rec.pack, rec.unpack):
        y = op(x, w)
    n_packed = len(rec.log)
    y.sum().backward()
    return rec.log, n_packed, _np(x.grad), _np(w.grad) if w.grad is not None else None


OPS = {"exp": lambda x, w: x.exp(),
       "sin": lambda x, w: x.sin(),
       "mul": lambda x, w: x * x.cos(),
       "matmul": lambda x, w: x @ w,
       "chain": lambda x, w: (x @ w).tanh().exp()}


@pytest.mark.parametrize("op", list(OPS))
def test_builtin_ops_hook_calls_and_grads(op):
    elog, en, egx, egw = _builtin_run("ember", OPS[op])
    tlog, tn, tgx, tgw = _builtin_run("torch", OPS[op])
    assert en == tn
    assert sorted(elog[:en], key=str) == sorted(tlog[:tn], key=str)
    assert sorted(elog[en:], key=str) == sorted(tlog[tn:], key=str)
    np.testing.assert_allclose(egx, tgx, rtol=1e-12, atol=1e-12)
    if tgw is not None:
        np.testing.assert_allclose(egw, tgw, rtol=1e-12, atol=1e-12)


def _custom(name):
    L = _lib(name)

    class F(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            out = x * y
            ctx.save_for_backward(x, None, y, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, none, y, out = ctx.saved_tensors
            assert none is None
            return g * y, g * x
    return F


@pytest.mark.parametrize("retain", [False, True])
def test_custom_function_order_and_values(retain):
    results = []
    for name in ("ember", "torch"):
        L = _lib(name)
        F = _custom(name)
        G = L.autograd.graph
        x = L.tensor(X, requires_grad=True)
        y = L.tensor(X * 2)
        rec = _Recorder()
        with G.saved_tensors_hooks(rec.pack, rec.unpack):
            out = F.apply(x, y)
        out.sum().backward(retain_graph=retain)
        if retain:
            out.sum().backward()
        else:
            with pytest.raises(RuntimeError, match="backward through the graph a second time"):
                out.sum().backward()
        results.append((rec.log, _np(x.grad)))
    (elog, eg), (tlog, tg) = results
    # torch names a custom Function's node FBackward; only the count, order, shapes and
    # requires_grad flags are compared
    assert [e[:3] for e in elog] == [t[:3] for t in tlog]
    np.testing.assert_allclose(eg, tg)


@pytest.mark.parametrize("name", ["ember", "torch"])
def test_hooks_from_save_time_apply_and_grad_mode(name):
    L = _lib(name)
    G = L.autograd.graph
    modes = []
    x = L.tensor(X, requires_grad=True)

    def pack(t):
        modes.append(("pack", L.is_grad_enabled()))
        return t

    def unpack(t):
        modes.append(("unpack", L.is_grad_enabled()))
        return t
    with G.saved_tensors_hooks(pack, unpack):
        y = x.sin()
    z = x.cos()          # saved without hooks
    s = (y + z).sum()
    with G.saved_tensors_hooks(lambda t: 1 / 0, lambda t: 1 / 0):
        s.backward(retain_graph=True)   # backward under other hooks
    (g,) = L.autograd.grad(s, x, create_graph=True)
    assert modes == [("pack", False), ("unpack", False), ("unpack", True)], name
    np.testing.assert_allclose(_np(g), np.cos(X) - np.sin(X))


def test_nested_contexts_use_innermost():
    logs = []
    for name in ("ember", "torch"):
        L = _lib(name)
        G = L.autograd.graph
        outer, inner = _Recorder("1"), _Recorder("2")
        x = L.tensor(X, requires_grad=True)
        with G.saved_tensors_hooks(outer.pack, outer.unpack):
            with G.saved_tensors_hooks(inner.pack, inner.unpack):
                y = x.sin()
            z = y.cos()
        z.sum().backward()
        logs.append(sorted(outer.log + inner.log, key=str))
    assert logs[0] == logs[1]


def test_pack_clone_keeps_gradients_and_double_backward():
    for name in ("ember", "torch"):
        L = _lib(name)
        G = L.autograd.graph
        x = L.tensor(X, requires_grad=True)
        with G.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = (x * x * x).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (g2,) = L.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(_np(g), 3 * X * X)
        np.testing.assert_allclose(_np(g2), 6 * X)


def test_version_check_skipped_with_hooks_kept_without():
    for name in ("ember", "torch"):
        L = _lib(name)
        G = L.autograd.graph
        a = L.tensor(X, requires_grad=True)
        b = a * 2
        c = b.sin()
        b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            c.sum().backward()
        b = a * 2
        with G.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
            c = b.sin()
        b.add_(1)
        a.grad = None
        c.sum().backward()    # the clone holds the old values: a correct gradient
        np.testing.assert_allclose(_np(a.grad), 2 * np.cos(2 * X))


def test_inplace_op_hook_sees_values_before_overwrite():
    for name in ("ember", "torch"):
        L = _lib(name)
        G = L.autograd.graph
        x = L.tensor(X, requires_grad=True)
        with G.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x * 1
            y.sin_()
        y.sum().backward()
        np.testing.assert_allclose(_np(x.grad), np.cos(X))


def test_errors():
    for name in ("ember", "torch"):
        L = _lib(name)
        G = L.autograd.graph
        a = L.tensor(X, requires_grad=True)
        with pytest.raises(RuntimeError, match="pack hook is modifying its input in place"):
            with G.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
                (a * 2).sin()
        with G.saved_tensors_hooks(lambda t: t, lambda t: 1):
            c = (a * 2).sin()
        with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result "
                                            "of type int"):
            c.sum().backward()
        with pytest.raises(RuntimeError, match="^no hooks$"):
            with G.disable_saved_tensors_hooks("no hooks"):
                with G.save_on_cpu():
                    pass
        with pytest.raises(RuntimeError, match="^busy$"):
            with G.saved_tensors_hooks(lambda t: t, lambda t: t):
                with G.disable_saved_tensors_hooks("busy"):
                    pass
        with G.saved_tensors_hooks(lambda t: t, lambda t: t):   # the stack was unwound
            pass
        with pytest.raises(ValueError, match="Expects mode to be one of"):
            G.register_multi_grad_hook((a,), print, mode="some")
        with pytest.raises(RuntimeError, match="not possible to get the gradient edge"):
            G.get_gradient_edge(L.zeros(2))


def test_save_on_cpu():
    for name in ("ember", "torch"):
        L = _lib(name)
        x = L.tensor(X, requires_grad=True)
        with L.autograd.graph.save_on_cpu(pin_memory=False):
            y = (x.exp() * x).sum()
        y.backward()
        np.testing.assert_allclose(_np(x.grad), np.exp(X) * (X + 1))


def _multi(name):
    L = _lib(name)
    G = L.autograd.graph
    a = L.tensor(X, requires_grad=True)
    b = L.tensor(X + 1, requires_grad=True)
    c, d = a * b, a * b
    out, anys = [], []
    h = G.register_multi_grad_hook(
        (a, b, c, d), lambda gs: out.append([None if g is None else float(g.sum()) for g in gs]))
    h2 = G.register_multi_grad_hook((a, b), lambda g: anys.append(tuple(g.shape)), mode="any")
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    L.autograd.grad(c.sum(), c, retain_graph=True)
    (c + d).sum().backward(retain_graph=True)
    h.remove()
    h2.remove()
    c.sum().backward(retain_graph=True)
    return out, anys


def test_register_multi_grad_hook():
    eo, ea = _multi("ember")
    to, ta = _multi("torch")
    assert len(eo) == len(to) == 4
    for e, t in zip(eo, to):
        assert [v is None for v in e] == [v is None for v in t]
        np.testing.assert_allclose([v for v in e if v is not None],
                                   [v for v in t if v is not None])
    assert ea == ta


@pytest.mark.parametrize("name", ["ember", "torch"])
def test_node_and_gradient_edge(name):
    L = _lib(name)
    G = L.autograd.graph
    x = L.tensor(X, requires_grad=True)
    y = x.exp()
    z = (y * 2).sum()
    assert isinstance(y.grad_fn, G.Node)
    assert y.grad_fn.name() == "ExpBackward0"
    # torch spells it torch::autograd::AccumulateGrad
    assert y.grad_fn.next_functions[0][0].name().endswith("AccumulateGrad")
    y.grad_fn.metadata["k"] = 1
    assert y.grad_fn.metadata == {"k": 1}
    seen = []
    h1 = y.grad_fn.register_prehook(lambda gout: seen.append("pre"))
    h2 = y.grad_fn.register_hook(lambda gin, gout: seen.append("post"))
    edge = G.get_gradient_edge(y)
    assert edge.node is y.grad_fn and edge.output_nr == 0
    assert G.get_gradient_edge(x).node.name().endswith("AccumulateGrad")
    (gy,) = L.autograd.grad(z, edge, retain_graph=True)
    np.testing.assert_allclose(_np(gy), 2 * np.ones_like(X))
    (gx,) = L.autograd.grad(z, G.get_gradient_edge(x), retain_graph=True)
    np.testing.assert_allclose(_np(gx), 2 * np.exp(X))
    assert seen == ["pre", "post"]
    h1.remove()
    h2.remove()
    z.backward()
    assert seen == ["pre", "post"]
