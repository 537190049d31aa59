"""Autograd behaviour without torch: graph bookkeeping, errors, hooks, modes, custom
Functions, memory, deep graphs."""

import gc
import math
import os
import threading

import pytest

import ember
from ember.autograd import Function

pytestmark = pytest.mark.usefixtures("on_device")


def test_grad_fn_names_and_next_functions():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    assert x.is_leaf and not y.is_leaf


def test_gradients_accumulate_into_leaves():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_second_backward_through_freed_graph_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = ember.tensor([1.0], requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * math.e)


def test_modified_saved_tensor_raises_with_versions():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = a.exp()
    y.add_(1)  # exp saved its output
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; "
                                           "expected version 0"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)


def test_inplace_mul_keeps_correct_gradients():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    a = x * 1
    a.mul_(w)
    a.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]


def test_inplace_on_view_rebases_base_history():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = x * 1
    view = base[1:]
    view.mul_(10)
    base.sum().backward()
    assert x.grad.tolist() == [1.0, 10.0, 10.0]


def test_register_hook_replaces_gradient_and_retain_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    assert y.grad.tolist() == [10.0, 10.0]


def test_post_accumulate_grad_hook_sees_the_leaf():
    x = ember.ones(2, requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.sum().item()))
    (x * 3).sum().backward()
    assert seen == [6.0]


def test_grad_modes_are_context_managers_decorators_and_thread_local():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad

    @ember.no_grad()
    def f():
        return x * 2

    assert not f().requires_grad
    with ember.set_grad_enabled(False):
        result = []
        t = threading.Thread(target=lambda: result.append(ember.is_grad_enabled()))
        t.start()
        t.join()
        assert result == [True] and not ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()


def test_grad_with_create_graph_gives_second_derivative():
    x = ember.tensor(2.0, requires_grad=True)
    (g,) = ember.autograd.grad(x ** 3, x, create_graph=True)
    (h,) = ember.autograd.grad(g, x)
    assert g.item() == 12.0 and h.item() == 12.0


def test_grad_allow_unused_and_errors():
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = ember.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.tolist() == [2.0, 2.0]


def test_backward_inputs_restricts_accumulation():
    x = ember.ones(2, requires_grad=True)
    w = ember.ones(2, requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1.0, 1.0]


def test_custom_function_with_ctx_features():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return g * 3 * x * x * ctx.k, None

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]


def test_custom_function_setup_context_and_non_differentiable():
    class SortVals(Function):
        @staticmethod
        def forward(x):
            return x.sort()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_non_differentiable(output[1])
            ctx.save_for_backward(output[1])

        @staticmethod
        def backward(ctx, gv, gi):
            (idx,) = ctx.saved_tensors
            return ember.zeros_like(gv).scatter(0, idx, gv)

    x = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    v, i = SortVals.apply(x)
    assert not i.requires_grad
    (v * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 2.0]


def test_once_differentiable_refuses_double_backward():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ember.tensor([3.0], requires_grad=True)
    (g,) = ember.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_detect_anomaly_names_the_node_and_forward_trace():
    x = ember.tensor([-1.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="SqrtBackward0.*nan"):
            y.backward()


def test_deep_chain_does_not_recurse():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_diamond_graph_sums_before_running_each_node_once():
    x = ember.tensor([2.0], requires_grad=True)
    a = x * 3
    b = a * a + a.exp()
    b.sum().backward()
    assert x.grad.item() == pytest.approx(3 * (2 * 6 + math.exp(6)))


def test_broadcast_gradients_are_summed_back():
    a = ember.ones(3, 1, requires_grad=True)
    b = ember.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[4.0]] * 3
    assert b.grad.tolist() == [3.0] * 4


def test_no_live_graph_nodes_after_training_steps():
    from ember.autograd.function import Node
    w = ember.randn(16, 8, requires_grad=True)
    for _ in range(50):
        x = ember.randn(4, 16)
        loss = (x @ w).relu().sum()
        loss.backward()
        w.grad = None
    del x, loss
    gc.collect()
    live = [o for o in gc.get_objects() if isinstance(o, Node)]
    assert len(live) <= 1  # at most w's AccumulateGrad

def test_functional_jacobian_hessian_vjp_jvp():
    from ember.autograd.functional import hessian, jacobian, jvp, vjp
    x = ember.tensor([1.0, 2.0])
    j = jacobian(lambda t: t * t, x)
    assert j.tolist() == [[2.0, 0.0], [0.0, 4.0]]
    h = hessian(lambda t: (t ** 3).sum(), x)
    assert h.tolist() == [[6.0, 0.0], [0.0, 12.0]]
    _, v = vjp(lambda t: t * t, x, ember.ones(2))
    assert v.tolist() == [2.0, 4.0]
    _, jv = jvp(lambda t: t * t, x, ember.ones(2))
    assert jv.tolist() == [2.0, 4.0]


def test_gradcheck_detects_a_wrong_backward():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
    assert ember.autograd.gradcheck(lambda t: t.sin() * t, (x,))


def test_gradgradcheck_detects_a_backward_that_is_not_differentiable():
    class Square(Function):  # right first derivative, built from a detached input
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x.detach()

    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(Square.apply, (x,))
    assert not ember.autograd.gradgradcheck(Square.apply, (x,), raise_exception=False)
    assert ember.autograd.gradgradcheck(lambda t: t * t, (x,))


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.cpu_only
def test_saved_outputs_make_no_reference_cycles():
    # tanh, sigmoid and exp save their output for backward: the node must not keep that
    # output alive through a cycle, or every result of a forward pass that never runs
    # backward (evaluation with grad enabled) waits for the garbage collector
    x = ember.randn(16, requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        for _ in range(200):
            y = x.tanh() + x.sigmoid() + x.exp()
        del y
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0, f"{found} objects were only freed by the cycle collector"


def test_memory_stays_flat_over_1000_training_steps():
    """1,000 steps of a small MLP: resident memory flat after warm-up, no graph left."""
    from ember.autograd.function import Node
    model = ember.nn.Sequential(ember.nn.Linear(32, 64), ember.nn.ReLU(), ember.nn.Linear(64, 4))
    opt = ember.optim.SGD(model.parameters(), lr=1e-3)
    x, y = ember.randn(16, 32), ember.randint(0, 4, (16,))

    def step():
        opt.zero_grad()
        ember.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(100):  # warm-up: allocator caches and kernel tables reach steady state
        step()
    gc.collect()
    before = _resident_bytes()
    for _ in range(900):
        step()
    gc.collect()
    grown = _resident_bytes() - before
    assert grown < 4 * 2 ** 20, f"resident memory grew by {grown / 2 ** 20:.1f} MB"
    assert not [o for o in gc.get_objects() if isinstance(o, Node) and o.__class__.__name__
                != "AccumulateGrad"]


def test_detach_is_not_a_view_and_frees_the_graph():
    from ember.autograd.function import Node
    a = ember.randn(3, requires_grad=True)
    b = a * 2
    c = b.detach()
    assert c._base is None and c.grad_fn is None
    y = ember.ones(3, requires_grad=True)
    c.add_(y)  # as torch: c joins y's graph, b's history is untouched
    assert type(c.grad_fn).__name__.startswith("Add") and b.grad_fn.name() == "MulBackward0"
    del b
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, Node) and o.name() == "MulBackward0"]
