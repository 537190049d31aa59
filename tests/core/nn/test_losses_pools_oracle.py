"""TripletMarginWithDistanceLoss, FractionalMaxPool2d/3d, LPPool3d, CrossMapLRN2d,
NLLLoss2d, adaptive_max_pool*_with_indices and the in-place activations against torch:
values, indices, gradients, reprs and errors."""

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

F, TF = nn.functional, torch.nn.functional


def E(t, requires_grad=False):
    out = ember.tensor(t.detach().numpy())
    return out.requires_grad_() if requires_grad else out


def A(t):
    return np.asarray(t.detach().cpu())


def close(e, t, tol=1e-5):
    np.testing.assert_allclose(A(e), t.detach().numpy(), rtol=tol, atol=tol)


def pair(t):
    return E(t, True), t.clone().requires_grad_()


def check_grads(ye, yt, inputs, tol=1e-5):
    g = torch.randn(yt.shape, dtype=yt.dtype)
    ye.backward(E(g))
    yt.backward(g)
    for e, t in inputs:
        close(e.grad, t.grad, tol)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dist", ["default", "cosine", "l_inf"])
def test_triplet_margin_with_distance_loss(swap, reduction, dist):
    torch.manual_seed(0)
    fns = {"default": (None, None),
           "cosine": (lambda x, y: 1 - F.cosine_similarity(x, y),
                      lambda x, y: 1 - TF.cosine_similarity(x, y)),
           "l_inf": (lambda x, y: (x - y).abs().amax(-1), lambda x, y: (x - y).abs().amax(-1))}
    fe, ft = fns[dist]
    a, p, n = (torch.randn(5, 4, dtype=torch.float64) for _ in range(3))
    (ae, at), (pe, pt), (ne, nt) = pair(a), pair(p), pair(n)
    em = nn.TripletMarginWithDistanceLoss(distance_function=fe, margin=0.7, swap=swap,
                                          reduction=reduction)
    tm = torch.nn.TripletMarginWithDistanceLoss(distance_function=ft, margin=0.7, swap=swap,
                                                reduction=reduction)
    if dist == "default":
        assert repr(em) == repr(tm)
    ye, yt = em(ae, pe, ne), tm(at, pt, nt)
    close(ye, yt, 1e-10)
    check_grads(ye, yt, [(ae, at), (pe, pt), (ne, nt)], 1e-10)
    yf = F.triplet_margin_with_distance_loss(ae, pe, ne, margin=0.7, swap=swap,
                                             reduction=reduction, distance_function=fe)
    close(yf, yt, 1e-10)


def test_triplet_margin_with_distance_loss_errors():
    x = ember.ones(2, 3)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(x, x, ember.ones(3))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(x, x, x, reduction="avg")


@pytest.mark.parametrize("n,shape,kwargs", [
    (2, (2, 3, 9, 8), {"kernel_size": (2, 3), "output_size": (4, 3)}),
    (2, (3, 10, 10), {"kernel_size": 3, "output_ratio": 0.5}),
    (2, (1, 2, 7, 7), {"kernel_size": 2, "output_size": 6}),
    (3, (1, 2, 7, 6, 8), {"kernel_size": 2, "output_size": (3, 2, 4)}),
    (3, (2, 5, 6, 7), {"kernel_size": (1, 2, 3), "output_ratio": (0.5, 0.4, 0.6)}),
])
def test_fractional_max_pool(n, shape, kwargs):
    torch.manual_seed(1)
    x = torch.randn(*shape, dtype=torch.float64)
    batch = 1 if len(shape) == n + 1 else shape[0]
    samples = torch.rand(batch, shape[-n - 1], n, dtype=torch.float64)
    em = getattr(nn, f"FractionalMaxPool{n}d")(return_indices=True,
                                               _random_samples=E(samples), **kwargs)
    tm = getattr(torch.nn, f"FractionalMaxPool{n}d")(return_indices=True,
                                                     _random_samples=samples, **kwargs)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    xe, xt = pair(x)
    (ye, ie), (yt, it) = em(xe), tm(xt)
    close(ye, yt, 0)
    np.testing.assert_array_equal(A(ie), it.numpy())
    # exact on the CPU; CUDA's scattered gradient adds in another order (4e-16 apart)
    check_grads(ye, yt, [(xe, xt)], 0 if ember.get_default_device().type == "cpu" else 1e-12)
    if isinstance(kwargs.get("output_ratio"), float):  # torch's F wants a tuple here
        kwargs = dict(kwargs, output_ratio=(kwargs["output_ratio"],) * n)
    fe = getattr(F, f"fractional_max_pool{n}d_with_indices")
    ft = getattr(TF, f"fractional_max_pool{n}d_with_indices")
    np.testing.assert_array_equal(A(fe(E(x), _random_samples=E(samples), **kwargs)[1]),
                                  ft(x, _random_samples=samples, **kwargs)[1].numpy())
    drawn = getattr(F, f"fractional_max_pool{n}d")(E(x), **kwargs)
    assert drawn.shape == yt.shape


def test_fractional_max_pool_float32_windows_match():
    torch.manual_seed(2)
    x, s = torch.randn(4, 5, 31, 29), torch.rand(4, 5, 2)
    yt, it = TF.fractional_max_pool2d(x, 3, output_size=(17, 11), return_indices=True,
                                      _random_samples=s)
    ye, ie = F.fractional_max_pool2d(E(x), 3, output_size=(17, 11), return_indices=True,
                                     _random_samples=E(s))
    np.testing.assert_array_equal(A(ie), it.numpy())
    close(ye, yt, 0)


def test_fractional_max_pool_errors():
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="requires specifying either"):
        F.fractional_max_pool2d(ember.ones(1, 4, 4), 2)
    with pytest.raises(RuntimeError, match="too large relative to input"):
        F.fractional_max_pool2d(ember.ones(1, 4, 4), 3, output_size=3)


@pytest.mark.parametrize("norm_type,kernel,stride,ceil", [(2, 2, None, False),
                                                          (3, (1, 2, 3), (1, 2, 1), False),
                                                          (1.5, 2, 1, True)])
def test_lp_pool3d(norm_type, kernel, stride, ceil):
    x = torch.rand(2, 3, 4, 5, 6, dtype=torch.float64) + 0.1
    em, tm = nn.LPPool3d(norm_type, kernel, stride, ceil), \
        torch.nn.LPPool3d(norm_type, kernel, stride, ceil)
    assert repr(em) == repr(tm)
    xe, xt = pair(x)
    ye, yt = em(xe), tm(xt)
    close(ye, yt, 1e-10)
    check_grads(ye, yt, [(xe, xt)], 1e-10)
    close(F.lp_pool3d(E(x[0]), norm_type, kernel, stride, ceil),
          TF.lp_pool3d(x[0], norm_type, kernel, stride, ceil), 1e-10)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 9])
def test_cross_map_lrn2d(size):
    x = torch.randn(2, 6, 3, 4, dtype=torch.float64)
    em, tm = nn.CrossMapLRN2d(size, 0.1, 0.75, 2), torch.nn.CrossMapLRN2d(size, 0.1, 0.75, 2)
    assert repr(em) == repr(tm)
    xe, xt = pair(x)
    ye, yt = em(xe), tm(xt)
    close(ye, yt, 1e-12)
    check_grads(ye, yt, [(xe, xt)], 1e-12)
    with pytest.raises(ValueError, match="Expected input to be 4D, got 3D"):
        em(E(x[0]))


def test_nll_loss2d_is_nll_loss():
    x = torch.randn(2, 4, 3, 3, dtype=torch.float64).log_softmax(1)
    t = torch.randint(0, 4, (2, 3, 3))
    w = torch.rand(4, dtype=torch.float64)
    em, tm = nn.NLLLoss2d(E(w), ignore_index=1), torch.nn.NLLLoss2d(w, ignore_index=1)
    assert isinstance(em, nn.NLLLoss) and repr(em) == repr(tm)
    xe, xt = pair(x)
    ye, yt = em(xe, E(t)), tm(xt, t)
    close(ye, yt, 1e-12)
    check_grads(ye, yt, [(xe, xt)], 1e-12)


@pytest.mark.parametrize("n,shape,out", [(1, (2, 3, 9), 4), (2, (3, 7, 6), (3, 2)),
                                         (3, (1, 2, 5, 6, 4), (2, 3, 2))])
def test_adaptive_max_pool_with_indices(n, shape, out):
    x = torch.randn(*shape, dtype=torch.float64)
    xe, xt = pair(x)
    ye, ie = getattr(F, f"adaptive_max_pool{n}d_with_indices")(xe, out)
    yt, it = getattr(TF, f"adaptive_max_pool{n}d_with_indices")(xt, out)
    close(ye, yt, 0)
    np.testing.assert_array_equal(A(ie), it.numpy())
    # exact on the CPU; CUDA's scattered gradient adds in another order (4e-16 apart)
    check_grads(ye, yt, [(xe, xt)], 0 if ember.get_default_device().type == "cpu" else 1e-12)


@pytest.mark.parametrize("name,args", [("elu_", (0.7,)), ("leaky_relu_", (0.2,)),
                                       ("celu_", (1.3,)), ("selu_", ()),
                                       ("rrelu_", (0.1, 0.3, False)),
                                       ("threshold_", (0.1, -2.0))])
def test_inplace_activations(name, args):
    x = torch.randn(4, 5, dtype=torch.float64)
    xe, xt = E(x), x.clone()
    out_e, out_t = getattr(F, name)(xe, *args), getattr(TF, name)(xt, *args)
    assert out_e is xe and out_t is xt
    close(xe, xt, 1e-12)
    # through autograd: in place on a non-leaf, the gradient of the activation
    le, lt = pair(x)
    ye, yt = getattr(F, name)(le * 1.0, *args), getattr(TF, name)(lt * 1.0, *args)
    # torch's celu_ backward scales by 1/alpha rounded to float32 (2e-8 off exp(x/alpha));
    # ember's is exact in float64
    check_grads(ye, yt, [(le, lt)], 1e-7 if name == "celu_" else 1e-12)


def test_rrelu_inplace_training_draws_slopes():
    x = ember.tensor([-1.0, -2.0, 3.0] * 10)
    F.rrelu_(x, 0.1, 0.3, True)
    neg = A(x)[A(x) < 0]
    assert np.all((neg <= -0.1 * 1 + 1e-12) | (neg >= -0.6)) and A(x)[2] == 3.0
