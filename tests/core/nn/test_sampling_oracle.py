"""affine_grid and grid_sample against torch: outputs and gradients (input, grid, theta) for
every mode x padding_mode x align_corners, grid points outside [-1, 1], non-contiguous
inputs, and the errors raised on bad arguments."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

RNG = np.random.default_rng(0)
PADDINGS = ["zeros", "border", "reflection"]


def _np(t):
    return np.asarray(t.detach().cpu())


def _leaf(a, lib):
    return ember.tensor(a, requires_grad=True) if lib is ember else torch.tensor(a, requires_grad=True)


def _compare(fe, ft, arrays, atol):
    """Runs fe on ember leaves and ft on torch leaves made from the same arrays; compares
    the outputs, then the gradients of a random projection of them wrt every array."""
    ein = [_leaf(a, ember) for a in arrays]
    tin = [_leaf(a, torch) for a in arrays]
    ye, yt = fe(*ein), ft(*tin)
    assert ye.device == ein[0].device
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), atol=atol, rtol=1e-5)
    up = RNG.standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
    ge = ember.autograd.grad((ye * ember.tensor(up)).sum(), ein)
    gt = torch.autograd.grad((yt * torch.tensor(up)).sum(), tin)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(_np(a), b.numpy(), atol=atol, rtol=1e-5)


def _grid(*shape, dtype=np.float64):
    # reaches past [-1, 1] on both sides, so every padding mode is exercised
    return RNG.uniform(-1.7, 1.7, shape).astype(dtype)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_2d(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 3, 5, 6))
    g = _grid(2, 4, 7, 2)
    _compare(lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
             lambda a, b: TF.grid_sample(a, b, mode, padding_mode, align_corners), [x, g], 1e-9)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_3d(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 2, 3, 4, 5))
    g = _grid(2, 2, 3, 4, 3)
    _compare(lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
             lambda a, b: TF.grid_sample(a, b, mode, padding_mode, align_corners), [x, g], 1e-9)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_float32_noncontiguous(mode):
    # input seen through a transpose, grid through a strided slice
    x = RNG.standard_normal((2, 3, 6, 5)).astype(np.float32)
    g = _grid(2, 8, 7, 2, dtype=np.float32)

    def run(F_, a, b):
        return F_.grid_sample(a.transpose(2, 3), b[:, ::2], mode, "reflection", False)

    _compare(lambda a, b: run(F, a, b), lambda a, b: run(TF, a, b), [x, g], 1e-5)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_non_finite_grid(mode, padding_mode):
    # torch's CPU kernel: NaN clips to 0, infinities to the borders, reflection of either to 0
    x = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    g = np.array([[[[np.inf, 0.0], [np.nan, 0.2], [-np.inf, 0.5], [0.3, -np.inf]]]], np.float32)
    ye = F.grid_sample(ember.tensor(x), ember.tensor(g), mode, padding_mode, False)
    yt = TF.grid_sample(torch.tensor(x), torch.tensor(g), mode, padding_mode, False)
    np.testing.assert_allclose(_np(ye), yt.numpy(), atol=1e-6)


def test_grid_sample_nearest_grid_gradient_is_zero():
    x = ember.randn(1, 2, 4, 4)
    g = ember.tensor(_grid(1, 3, 3, 2).astype(np.float32), requires_grad=True)
    y = F.grid_sample(x, g, mode="nearest", align_corners=False)
    assert y.requires_grad  # as in torch: the output stays in the grid's graph
    y.sum().backward()
    np.testing.assert_array_equal(_np(g.grad), np.zeros((1, 3, 3, 2), np.float32))


def test_grid_sample_exact_points():
    # corner pixel centers with align_corners=True, and halfway between pixels
    x = ember.arange(6.0).reshape(1, 1, 2, 3)
    g = ember.tensor([[[[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0], [0.5, -1.0]]]])
    y = F.grid_sample(x, g, align_corners=True)
    np.testing.assert_allclose(_np(y), [[[[0.0, 5.0, 2.5, 1.5]]]])


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [[2, 3, 4, 5], [2, 1, 3, 4, 5], [2, 3, 1, 4]])
def test_affine_grid(size, align_corners):
    k = len(size) - 2
    theta = RNG.standard_normal((2, k, k + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn
        _compare(lambda t: F.affine_grid(t, size, align_corners),
                 lambda t: TF.affine_grid(t, size, align_corners), [theta], 1e-12)


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_spatial_transformer_gradients(padding_mode):
    # affine_grid into grid_sample: the gradient reaches theta through the grid
    x = RNG.standard_normal((2, 3, 5, 5))
    theta = RNG.standard_normal((2, 2, 3)) * 0.8

    def run(F_, a, t):
        return F_.grid_sample(a, F_.affine_grid(t, [2, 3, 4, 6], False), "bilinear",
                              padding_mode, False)

    _compare(lambda a, t: run(F, a, t), lambda a, t: run(TF, a, t), [x, theta], 1e-9)


def test_gradcheck_bilinear():
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = ember.tensor(_grid(1, 2, 3, 2), requires_grad=True)
    theta = ember.tensor(RNG.standard_normal((1, 3, 4)) * 0.5, requires_grad=True)
    for padding_mode in PADDINGS:
        assert ember.autograd.gradcheck(
            lambda a, b, p=padding_mode: F.grid_sample(a, b, "bilinear", p, False), (x, g))
    assert ember.autograd.gradcheck(lambda t: F.affine_grid(t, [1, 1, 2, 3, 2], True), (theta,))


def test_align_corners_none_warns_and_means_false():
    x = ember.randn(1, 1, 3, 3)
    g = ember.tensor(_grid(1, 2, 2, 2).astype(np.float32))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        y = F.grid_sample(x, g)
    np.testing.assert_array_equal(_np(y), _np(F.grid_sample(x, g, align_corners=False)))
    theta = ember.randn(1, 2, 3)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        a = F.affine_grid(theta, [1, 1, 2, 2])
    np.testing.assert_array_equal(_np(a), _np(F.affine_grid(theta, [1, 1, 2, 2], False)))


def _sample_args(x, g, **kw):
    return lambda lib: (F if lib is ember else TF).grid_sample(
        lib.tensor(x), lib.tensor(g), **{"align_corners": False, **kw})


def _affine_args(theta, size):
    return lambda lib: (F if lib is ember else TF).affine_grid(lib.tensor(theta), size, False)


x4, g4 = np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 6, 7, 2), np.float32)
BAD = {
    "mode": _sample_args(x4, g4, mode="foo"),
    "padding": _sample_args(x4, g4, padding_mode="foo"),
    "batch": _sample_args(x4, np.zeros((3, 6, 7, 2), np.float32)),
    "last_dim": _sample_args(x4, np.zeros((2, 6, 7, 3), np.float32)),
    "dims": _sample_args(x4, np.zeros((2, 6, 7, 8, 2), np.float32)),
    "3d_input": _sample_args(x4[0], g4[0]),
    "empty_spatial": _sample_args(np.zeros((2, 3, 0, 5), np.float32), g4),
    "bicubic_5d": _sample_args(np.zeros((2, 3, 4, 5, 6), np.float32),
                               np.zeros((2, 3, 4, 5, 3), np.float32), mode="bicubic"),
    "dtype_mismatch": _sample_args(x4, g4.astype(np.float64)),
    "int_input": _sample_args(x4.astype(np.int32), g4.astype(np.int32)),
    "theta_int": _affine_args(np.zeros((2, 2, 3), np.int32), [2, 3, 4, 5]),
    "theta_shape": _affine_args(np.zeros((2, 3, 3), np.float32), [2, 3, 4, 5]),
    "size_len": _affine_args(np.zeros((2, 2, 3), np.float32), [2, 3, 4]),
    "size_zero": _affine_args(np.zeros((2, 2, 3), np.float32), [2, 3, 0, 5]),
    "theta_batch": _affine_args(np.zeros((2, 2, 3), np.float32), [3, 3, 4, 5]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_raise_torch_errors(case):
    with pytest.raises(Exception) as expected:
        BAD[case](torch)
    with pytest.raises(expected.type) as got:
        BAD[case](ember)
    if case not in REWORDED:
        assert str(got.value) == str(expected.value).replace("torch.", "ember.")


# torch's own message here is a kernel's or bmm's; ours names grid_sampler/affine_grid
REWORDED = {"dtype_mismatch", "int_input", "theta_batch"}


def test_grid_sample_empty_batch_and_channels():
    for shape, gshape in (((0, 3, 4, 5), (0, 2, 2, 2)), ((2, 0, 4, 5), (2, 2, 2, 2))):
        y = F.grid_sample(ember.zeros(*shape), ember.zeros(*gshape), align_corners=False)
        assert tuple(y.shape) == (shape[0], shape[1], 2, 2)
