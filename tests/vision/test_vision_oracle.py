"""Oracle tests: tensor resampling against torch.nn.functional (torchvision itself: see
test_vision_torchvision.py)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

import embervision.transforms.functional as F  # noqa: E402
from embervision.transforms import InterpolationMode  # noqa: E402


def _pair(shape, seed=0):
    a = np.random.default_rng(seed).random(shape).astype(np.float32)
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(5, 9), (23, 17), (12, 40)])
def test_resize_matches_torch_interpolate(mode, antialias, size):
    e, t = _pair((2, 3, 12, 20))
    ours = F.resize(e, list(size), InterpolationMode(mode), antialias=antialias)
    ref = torch.nn.functional.interpolate(t, size=size, mode=mode, align_corners=False,
                                          antialias=antialias)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=2e-5)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_resize_nearest_matches_torch(mode):
    e, t = _pair((1, 2, 7, 11))
    ours = F.resize(e, [10, 4], InterpolationMode(mode))
    ref = torch.nn.functional.interpolate(t, size=(10, 4), mode=mode)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_rotate_matches_torch_grid_sample(mode):
    e, t = _pair((1, 3, 9, 13))
    angle = 33.0
    ours = F.rotate(e, angle, InterpolationMode(mode))
    # torchvision's tensor rotate: inverse rotation by -angle about the centre, grid_sample
    # with align_corners=False and zero padding.
    rot = math.radians(-angle)
    theta = torch.tensor([[[math.cos(rot), math.sin(rot), 0.0],
                           [-math.sin(rot), math.cos(rot), 0.0]]], dtype=torch.float32)
    h, w = 9, 13
    xs = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w)
    ys = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    base = torch.stack([gx, gy, torch.ones_like(gx)], -1).reshape(1, h * w, 3)
    grid = base.bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])).reshape(1, h, w, 2)
    ref = torch.nn.functional.grid_sample(t, grid, mode=mode, padding_mode="zeros",
                                          align_corners=False)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=1e-5)
