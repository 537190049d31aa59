"""The small-tensor fast paths (tensor with a Python number, same-shape contiguous operands,
whole-tensor reductions) give torch's exact bits, on contiguous tensors, offset views and
the cases that must fall back to the general path."""

import operator

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]



def rsub(a, b):
    return b - a


SCALAR_OPS = [operator.add, operator.sub, operator.mul, operator.truediv, rsub]
DTYPES = ["float32", "float64", "float16", "bfloat16"]


def _pair(shape, dtype, seed=0, view=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    e = ember.tensor(a, dtype=ember.float64).to(getattr(ember, dtype))
    t = torch.tensor(a, dtype=torch.float64).to(getattr(torch, dtype))
    if view:  # an offset slice that is contiguous but does not start its storage
        e, t = e[1:], t[1:]
    return e, t


def _same(e, t):
    assert e.dtype == getattr(ember, str(t.dtype).split(".")[1])
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.cpu().float().numpy() if e.dtype in (ember.float16, ember.bfloat16)
                                  else e.cpu().numpy(),
                                  t.float().numpy() if t.dtype in (torch.float16, torch.bfloat16)
                                  else t.numpy())


@pytest.mark.parametrize("op", SCALAR_OPS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("number", [1.01, -3, 0.1, -0.0, 7])
@pytest.mark.parametrize("view", [False, True])
def test_tensor_with_number(op, dtype, number, view):
    e, t = _pair((5, 7), dtype, view=view)
    _same(op(e, number), op(t, number))
    _same(op(e.t(), number), op(t.t(), number))


@pytest.mark.parametrize("op", SCALAR_OPS, ids=lambda f: f.__name__)
def test_tensor_with_number_gradients(op):
    e, t = _pair((4, 3), "float64")
    e.requires_grad_()
    t.requires_grad_()
    op(e, 2.5).sum().backward()
    op(t, 2.5).sum().backward()
    np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("op", SCALAR_OPS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", DTYPES)
def test_same_shape_tensors(op, dtype):
    (e1, t1), (e2, t2) = _pair((6, 5), dtype, 1, view=True), _pair((5, 5), dtype, 2)
    _same(op(e1, e2), op(t1, t2))


def test_integer_tensors_keep_their_rules():
    e, t = ember.arange(6), torch.arange(6)
    _same(e / 4, t / 4)
    assert (e * 2).dtype == ember.int64 and (e * 2.5).dtype == ember.float32
    np.testing.assert_array_equal((e - 1).cpu().numpy(), (t - 1).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("view", [False, True])
@pytest.mark.parametrize("name", ["sum", "amax", "amin", "mean"])
def test_whole_tensor_reductions(dtype, view, name):
    e, t = _pair((9, 4), dtype, 3, view=view)
    re, rt = getattr(e, name)(), getattr(t, name)()
    assert re.dtype == getattr(ember, dtype) and re.shape == ()
    np.testing.assert_allclose(float(re), float(rt), rtol=1e-6 if dtype == "float32" else
                               1e-12 if dtype == "float64" else 1e-2)


def test_whole_tensor_reductions_of_empty_and_integer_tensors():
    assert float(ember.zeros(0).sum()) == 0.0
    assert ember.ones(4, dtype=ember.int32).sum().dtype == ember.int64
    assert int(ember.ones(4, dtype=ember.int32).sum()) == 4


def test_relu_gradient_is_one_masked_pass_like_torch():
    """relu's backward is one kernel (torch's threshold_backward): NaN inputs pass the
    gradient, an infinite gradient where the input is negative gives 0 (not inf * 0 = NaN),
    and the gradient of the gradient is the same mask."""
    vals = [float("nan"), -1.0, 0.0, 2.0, -3.0]
    ups = [1.0, float("inf"), 5.0, float("inf"), float("-inf")]
    results = []
    for mod in (ember, torch):
        x = mod.tensor(vals, requires_grad=True)
        up = mod.tensor(ups, requires_grad=True)
        (gx,) = mod.autograd.grad(mod.relu(x), x, up, create_graph=True)
        (gup,) = mod.autograd.grad((gx * mod.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum(), up)
        results.append((gx.detach().cpu().numpy(), gup.cpu().numpy()))
    for e, t in zip(*results):
        np.testing.assert_array_equal(e, t)
