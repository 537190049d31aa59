"""3-d convolution and pooling (ops/volumetric.py) against torch: outputs, indices and
gradients of input and weights, on each device."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember import nn  # noqa: E402

RNG = np.random.default_rng(3)


def run_both(fe, ft, *arrays, atol=1e-9, rtol=1e-7):
    """fe on ember tensors and ft on torch tensors from the same float64 arrays: compares
    every output and the gradients of a random weighting of the first output."""
    ei = [ember.tensor(a, requires_grad=True) for a in arrays]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    ye, yt = fe(*ei), ft(*ti)
    ye = ye if isinstance(ye, tuple) else (ye,)
    yt = yt if isinstance(yt, tuple) else (yt,)
    for a, b in zip(ye, yt):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), atol=atol,
                                   rtol=rtol)
    up = RNG.standard_normal(tuple(yt[0].shape))
    ge = ember.autograd.grad((ye[0] * ember.tensor(up)).sum(), ei, allow_unused=True)
    gt = torch.autograd.grad((yt[0] * torch.tensor(up)).sum(), ti, allow_unused=True)
    for a, b in zip(ge, gt):
        if b is None:
            assert a is None or not a.abs().sum().item()
            continue
        np.testing.assert_allclose(a.cpu().numpy(), b.numpy(), atol=atol * 10, rtol=rtol * 10)


CONV = [dict(), dict(stride=2, padding=1), dict(stride=(1, 2, 1), padding=(2, 0, 1),
                                                dilation=(2, 1, 1)),
        dict(groups=2, padding=1), dict(padding="same", dilation=(1, 2, 1))]


@pytest.mark.parametrize("kw", CONV)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d(kw, bias):
    x = RNG.standard_normal((2, 4, 5, 6, 5))
    w = RNG.standard_normal((6, 4 // kw.get("groups", 1), 3, 2, 3))
    b = RNG.standard_normal(6)
    if bias:
        run_both(lambda x, w, b: F.conv3d(x, w, b, **kw), lambda x, w, b: TF.conv3d(x, w, b, **kw),
                 x, w, b)
    else:
        run_both(lambda x, w: F.conv3d(x, w, **kw), lambda x, w: TF.conv3d(x, w, **kw), x, w)


def test_conv3d_unbatched_float32_and_errors():
    x, w = RNG.standard_normal((3, 4, 4, 4)), RNG.standard_normal((2, 3, 2, 2, 2))
    e = F.conv3d(ember.tensor(x, dtype=ember.float32), ember.tensor(w, dtype=ember.float32))
    t = TF.conv3d(torch.tensor(x, dtype=torch.float32), torch.tensor(w, dtype=torch.float32))
    assert e.dtype == ember.float32 and tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.cpu().numpy(), t.numpy(), atol=1e-5, rtol=1e-5)
    with pytest.raises(RuntimeError):
        F.conv3d(ember.zeros(1, 3, 4, 4), ember.zeros(2, 3, 2, 2, 2))
    with pytest.raises(RuntimeError):
        TF.conv3d(torch.zeros(1, 3, 4, 4), torch.zeros(2, 3, 2, 2, 2))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 1, 2), dilation=(1, 2, 1), padding=(0, 1, 1)),
                                dict(groups=2, stride=2)])
def test_conv_transpose3d(kw):
    x = RNG.standard_normal((2, 4, 3, 4, 3))
    w = RNG.standard_normal((4, 6 // kw.get("groups", 1), 2, 3, 2))
    b = RNG.standard_normal(6)
    run_both(lambda x, w, b: F.conv_transpose3d(x, w, b, **kw),
             lambda x, w, b: TF.conv_transpose3d(x, w, b, **kw), x, w, b)


POOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), ceil_mode=True),
        dict(kernel_size=(3, 2, 2), stride=2, padding=(1, 1, 0), ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL + [dict(kernel_size=2, dilation=(2, 1, 2), padding=1)])
def test_max_pool3d_values_indices_and_grad(kw):
    x = RNG.standard_normal((2, 3, 5, 7, 6))
    run_both(lambda x: F.max_pool3d(x, return_indices=True, **kw),
             lambda x: TF.max_pool3d(x, return_indices=True, **kw), x)


@pytest.mark.parametrize("kw", POOL + [dict(kernel_size=3, padding=1, count_include_pad=False),
                                       dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                            count_include_pad=False),
                                       dict(kernel_size=2, divisor_override=3)])
def test_avg_pool3d(kw):
    x = RNG.standard_normal((2, 3, 5, 7, 6))
    run_both(lambda x: F.avg_pool3d(x, **kw), lambda x: TF.avg_pool3d(x, **kw), x)


@pytest.mark.parametrize("size", [1, (2, 3, 2), (3, None, 4)])
def test_adaptive_pool3d(size):
    x = RNG.standard_normal((2, 3, 5, 7, 6))
    run_both(lambda x: F.adaptive_avg_pool3d(x, size), lambda x: TF.adaptive_avg_pool3d(x, size),
             x)
    run_both(lambda x: F.adaptive_max_pool3d(x, size, True),
             lambda x: TF.adaptive_max_pool3d(x, size, True), x)


def test_modules_load_torch_weights_and_match():
    torch.manual_seed(0)
    pairs = [(nn.Conv3d(3, 4, (2, 3, 3), stride=(1, 2, 2), padding=1, bias=False),
              torch.nn.Conv3d(3, 4, (2, 3, 3), stride=(1, 2, 2), padding=1, bias=False)),
             (nn.ConvTranspose3d(3, 4, 2, stride=2), torch.nn.ConvTranspose3d(3, 4, 2, stride=2)),
             (nn.Conv3d(3, 3, 3, padding=1, padding_mode="circular"),
              torch.nn.Conv3d(3, 3, 3, padding=1, padding_mode="circular"))]
    x = RNG.standard_normal((2, 3, 4, 6, 6)).astype(np.float32)
    for e, t in pairs:
        assert repr(e) == repr(t)
        e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
        np.testing.assert_allclose(e(ember.tensor(x)).detach().cpu().numpy(),
                                   t(torch.tensor(x)).detach().numpy(), atol=1e-5, rtol=1e-5)
    for e, t in ((nn.MaxPool3d(2), torch.nn.MaxPool3d(2)),
                 (nn.AvgPool3d(3, 2, 1), torch.nn.AvgPool3d(3, 2, 1)),
                 (nn.AdaptiveAvgPool3d((1, 2, 3)), torch.nn.AdaptiveAvgPool3d((1, 2, 3))),
                 (nn.AdaptiveMaxPool3d(2), torch.nn.AdaptiveMaxPool3d(2))):
        assert repr(e) == repr(t)
        np.testing.assert_allclose(e(ember.tensor(x)).cpu().numpy(), t(torch.tensor(x)).numpy(),
                                   atol=1e-6, rtol=1e-6)


def test_lazy_conv3d_becomes_conv3d():
    m = nn.LazyConv3d(4, 3, padding=1)
    y = m(ember.zeros(1, 5, 3, 4, 4))
    assert type(m) is nn.Conv3d and m.in_channels == 5 and tuple(m.weight.shape) == (4, 5, 3, 3, 3)
    assert tuple(y.shape) == (1, 4, 3, 4, 4)


def test_conv3d_gradcheck_and_double_backward():
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 3, 3)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((2, 2, 2, 2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w: F.conv3d(x, w, padding=1, stride=2), (x, w),
                                    eps=1e-6, atol=1e-5)
    assert ember.autograd.gradgradcheck(lambda x, w: F.conv3d(x, w), (x, w), eps=1e-6,
                                        atol=1e-4)
