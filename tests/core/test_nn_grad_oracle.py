"""ember.nn.grad against torch.nn.grad: the input and weight gradients of conv1d/2d/3d over
stride, padding, dilation and groups (with inputs the stride does not cover exactly), in
float32 and float64, on every device; that the results differentiate again; and the
errors of mismatched shapes."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from ember.nn import grad as eg  # noqa: E402

SPATIAL = {1: (11,), 2: (9, 8), 3: (7, 6, 5)}
KERNELS = {1: (3,), 2: (3, 2), 3: (3, 2, 2)}
# (stride, padding, dilation, groups); tuples per dim are cycled from the 2-d values
GEOMETRIES = [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 2), (3, 1, 2, 2), ((2, 1), (0, 1), 1, 1)]


def _per_dim(value, dims):
    return tuple(value[i % len(value)] for i in range(dims)) if isinstance(value, tuple) \
        else value


def _case(dims, geometry, dtype, seed):
    stride, padding, dilation, groups = (_per_dim(v, dims) for v in geometry)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 4, *SPATIAL[dims], dtype=dtype, generator=gen)
    w = torch.randn(6, 4 // groups, *KERNELS[dims], dtype=dtype, generator=gen)
    conv = getattr(torch.nn.functional, f"conv{dims}d")
    y = conv(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    go = torch.randn(y.shape, dtype=dtype, generator=gen)
    return x, w, go, (stride, padding, dilation, groups)


def _e(t, device):
    return ember.tensor(t.numpy(), device=device)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_input_and_weight_gradients_match_torch(device, dims, geometry, dtype):
    x, w, go, args = _case(dims, geometry, dtype, seed=dims * 10 + GEOMETRIES.index(geometry))
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    want_x = getattr(torch.nn.grad, f"conv{dims}d_input")(x.shape, w, go, *args)
    want_w = getattr(torch.nn.grad, f"conv{dims}d_weight")(x, w.shape, go, *args)
    got_x = getattr(eg, f"conv{dims}d_input")(x.shape, _e(w, device), _e(go, device), *args)
    got_w = getattr(eg, f"conv{dims}d_weight")(_e(x, device), w.shape, _e(go, device), *args)
    assert tuple(got_x.shape) == tuple(want_x.shape)
    assert tuple(got_w.shape) == tuple(want_w.shape)
    assert str(got_x.dtype).split(".")[-1] == str(want_x.dtype).split(".")[-1]
    np.testing.assert_allclose(got_x.cpu().numpy(), want_x.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(got_w.cpu().numpy(), want_w.numpy(), rtol=tol, atol=tol)


def test_input_size_past_the_last_window_matches_torch(device):
    # stride 2 over 9 columns reads only 8 of them: the ninth's gradient is zero
    x, w, go, args = _case(2, (2, 0, 1, 1), torch.float64, seed=7)
    size = (2, 4, 10, 9)
    go = torch.randn(2, 6, 4, 4, dtype=torch.float64)
    want = torch.nn.grad.conv2d_input(size, w, go, 2)
    got = eg.conv2d_input(size, _e(w, device), _e(go, device), 2)
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-10, atol=1e-10)
    assert float(got[:, :, -1].abs().sum()) == 0.0


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_gradients_differentiate_like_torch(device, dims):
    """The results stay in the graph: their gradients with respect to the weight, the
    input and grad_output match torch's double backward."""
    x, w, go, args = _case(dims, (2, 1, 1, 2), torch.float64, seed=3)
    r_in = torch.randn(x.shape, dtype=torch.float64)
    r_w = torch.randn(w.shape, dtype=torch.float64)
    tw, tgo, tx = (t.clone().requires_grad_() for t in (w, go, x))
    (getattr(torch.nn.grad, f"conv{dims}d_input")(x.shape, tw, tgo, *args) * r_in).sum() \
        .backward()
    (getattr(torch.nn.grad, f"conv{dims}d_weight")(tx, w.shape, tgo, *args) * r_w).sum() \
        .backward()
    ew, ego, ex = (_e(t, device).requires_grad_() for t in (w, go, x))
    (getattr(eg, f"conv{dims}d_input")(x.shape, ew, ego, *args) * _e(r_in, device)).sum() \
        .backward()
    (getattr(eg, f"conv{dims}d_weight")(ex, w.shape, ego, *args) * _e(r_w, device)).sum() \
        .backward()
    for got, want in ((ew, tw), (ego, tgo), (ex, tx)):
        np.testing.assert_allclose(got.grad.cpu().numpy(), want.grad.numpy(), rtol=1e-9,
                                   atol=1e-9)


def test_shape_errors_are_runtime_errors_as_in_torch():
    x, w, go, _ = _case(2, (1, 0, 1, 1), torch.float32, seed=0)
    ex, ew, ego = (ember.tensor(t.numpy()) for t in (x, w, go))
    # an input of the wrong rank: both raise RuntimeError with the same wording
    for mod, args in ((torch.nn.grad, (x[0].shape, w, go[0])),
                      (eg, (tuple(x[0].shape), ew, ego[0]))):
        with pytest.raises(RuntimeError, match="Expected 4-dimensional input for "
                                               "4-dimensional weight"):
            mod.conv2d_input(*args)
    # a grad_output that no convolution of that input gives
    for mod, args in ((torch.nn.grad, (x, w.shape, go[:, :, 1:])),
                      (eg, (ex, w.shape, ego[:, :, 1:]))):
        with pytest.raises(RuntimeError):
            mod.conv2d_weight(*args)
    with pytest.raises(RuntimeError, match="channels"):
        eg.conv2d_weight(ex, (6, 3, 3, 2), ego)
