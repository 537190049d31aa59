"""interpolate(mode='bicubic') and antialias=True (bilinear, bicubic) against torch: outputs
and input gradients, up and down, float32 and float64, non-contiguous inputs, gradcheck."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember import nn  # noqa: E402

RNG = np.random.default_rng(0)

SIZES = [  # (input shape, size/scale keywords): up, down, mixed, identity, 1-pixel
    ((2, 3, 5, 7), dict(size=(9, 4))),
    ((1, 2, 8, 8), dict(scale_factor=0.5)),
    ((1, 2, 6, 9), dict(scale_factor=(1.7, 0.3))),
    ((2, 1, 13, 11), dict(size=(4, 3))),
    ((1, 1, 5, 5), dict(size=(5, 5))),
    ((1, 2, 1, 6), dict(size=(3, 2))),
    ((2, 2, 7, 9), dict(scale_factor=2.3, recompute_scale_factor=True)),
    ((1, 1, 20, 17), dict(size=(3, 7))),
    ((1, 1, 6, 6), dict(scale_factor=2.5)),
]
MODES = [("bicubic", False), ("bicubic", True), ("bilinear", True)]  # (mode, antialias)


def _run(x, kw, dtype):
    """Output and input gradient of interpolate in ember and torch, as NumPy arrays."""
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    yt, ye = TF.interpolate(xt, **kw), F.interpolate(xe, **kw)
    assert ye.shape == tuple(yt.shape)
    g = RNG.standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    return ((np.asarray(ye.detach().cpu()), yt.detach().numpy()),
            (np.asarray(xe.grad.cpu()), xt.grad.numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("mode,antialias", MODES, ids=["bicubic", "bicubic-aa", "bilinear-aa"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape,size_kw", SIZES)
def test_interpolate_matches_torch(shape, size_kw, mode, antialias, align_corners, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    kw = dict(size_kw, mode=mode, align_corners=align_corners, antialias=antialias)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for e, t in _run(x, kw, dtype):
        assert e.dtype == t.dtype == dtype
        np.testing.assert_allclose(e, t, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode,antialias", MODES)
def test_non_contiguous_input(mode, antialias):
    base = RNG.standard_normal((3, 2, 9, 7))
    kw = dict(size=(4, 11), mode=mode, antialias=antialias)
    # channels-last storage and a transposed view: same values, other strides
    xe = ember.tensor(base).permute(1, 0, 3, 2)
    xt = torch.tensor(base).permute(1, 0, 3, 2)
    assert not xe.is_contiguous()
    xe.requires_grad_()
    xt.requires_grad_()
    ye, yt = F.interpolate(xe, **kw), TF.interpolate(xt, **kw)
    np.testing.assert_allclose(np.asarray(ye.detach().cpu()), yt.detach().numpy(), atol=1e-12)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(np.asarray(xe.grad.cpu()), xt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode,antialias", MODES + [("bilinear", False)])
@pytest.mark.parametrize("size", [(3, 7), (6, 2)])
def test_gradcheck(mode, antialias, size):
    """First and second derivatives (the kernels' adjoints, and the kernels again)."""
    x = ember.tensor(RNG.standard_normal((1, 2, 4, 5)), requires_grad=True)
    fn = lambda t: F.interpolate(t, size=size, mode=mode, antialias=antialias)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


def test_upsample_bicubic_module():
    x = RNG.standard_normal((2, 3, 4, 6)).astype(np.float32)
    for kw in (dict(scale_factor=2, mode="bicubic"),
               dict(size=(5, 3), mode="bicubic", align_corners=True)):
        em, tm = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        assert repr(em) == repr(tm)
        np.testing.assert_allclose(np.asarray(em(ember.tensor(x)).cpu()),
                                   tm(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-5)


def test_errors_like_torch():
    x3 = ember.zeros(1, 2, 4)
    x4 = ember.zeros(1, 2, 4, 5)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(x3, size=3, mode="linear", antialias=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(x4, size=3, mode="nearest", antialias=True)
    with pytest.raises(NotImplementedError, match="got bicubic"):
        F.interpolate(x3, size=3, mode="bicubic")
    with pytest.raises(RuntimeError, match="Input and output sizes should be greater than 0"):
        F.interpolate(x4, size=(0, 3), mode="bicubic")
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.interpolate(ember.ones(1, 1, 4, 4, dtype=ember.int64), size=2, mode="bicubic")
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x4, size=(2, 3), mode="bicubic", recompute_scale_factor=True)
