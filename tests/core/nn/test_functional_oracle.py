"""nn.functional against torch: outputs and gradients (inputs and parameters) on
several configurations, from the same NumPy inputs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float64, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype(dtype)


def _to(a, lib, grad):
    if isinstance(a, np.ndarray):
        t = ember.tensor(a) if lib is ember else torch.tensor(a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    return a


def check(fe, ft, *inputs, grad=True, atol=1e-6, rtol=1e-5, double=False):
    """Runs fe on ember tensors and ft on torch tensors made from the same arrays;
    compares outputs and the gradients of every float input."""
    ei = [_to(a, ember, grad) for a in inputs]
    ti = [_to(a, torch, grad) for a in inputs]
    ye, yt = fe(*ei), ft(*ti)
    ye = ye if isinstance(ye, tuple) else (ye,)
    yt = yt if isinstance(yt, tuple) else (yt,)
    for a, b in zip(ye, yt):
        np.testing.assert_allclose(np.asarray(a.detach()), b.detach().cpu().numpy(), atol=atol,
                                   rtol=rtol)
    if not grad:
        return
    outs = [(a, b) for a, b in zip(ye, yt) if b.requires_grad]
    if not outs:
        return
    total_e, total_t = 0, 0
    ups_e, ups_t = [], []  # upstream grads: leaves too when checking double backward
    for a, b in outs:
        g = rand(*b.shape, dtype=b.detach().cpu().numpy().dtype)
        ups_e.append(ember.tensor(g, requires_grad=double))
        ups_t.append(torch.tensor(g, requires_grad=double))
        total_e = total_e + (a * ups_e[-1]).sum()
        total_t = total_t + (b * ups_t[-1]).sum()
    leaves_e = [t for t in ei if isinstance(t, ember.Tensor) and t.requires_grad]
    leaves_t = [t for t in ti if isinstance(t, torch.Tensor) and t.requires_grad]
    ge = ember.autograd.grad(total_e, leaves_e, create_graph=double, allow_unused=True)
    gt = torch.autograd.grad(total_t, leaves_t, create_graph=double, allow_unused=True)
    for a, b in zip(ge, gt):
        if b is None:
            assert a is None or float(a.abs().sum()) == 0
            continue
        np.testing.assert_allclose(np.asarray(a.detach()), b.detach().cpu().numpy(), atol=atol,
                                   rtol=rtol)
    if double:
        se = sum((g * g).sum() for g in ge if g is not None)
        st = sum((g * g).sum() for g in gt if g is not None)
        gge = ember.autograd.grad(se, leaves_e + ups_e, allow_unused=True)
        ggt = torch.autograd.grad(st, leaves_t + ups_t, allow_unused=True)
        for a, b in zip(gge, ggt):
            if b is None or a is None:
                assert (a is None or float(a.abs().sum()) == 0) and (
                    b is None or float(b.abs().sum()) == 0)
                continue
            np.testing.assert_allclose(np.asarray(a.detach()), b.cpu().numpy(), atol=atol * 10,
                                       rtol=rtol * 10)


CONV2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(padding=(2, 1), dilation=(2, 1)),
    dict(groups=2, padding=1),
    dict(padding="same", dilation=2),
    dict(padding="same"),
    dict(padding="valid", stride=(1, 2)),
]


@pytest.mark.parametrize("kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(kw, bias):
    x, w = rand(2, 4, 7, 6), rand(6, 4 // kw.get("groups", 1), 3, 2)
    b = rand(6) if bias else None
    if bias:
        check(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
              x, w, b)
    else:
        check(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw), x, w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [dict(), dict(padding=2), dict(padding=(1, 3), dilation=(2, 1))])
def test_conv2d_direct_kernels(dtype, kw):
    """Stride-1 layers with few channels and output rows of 10 or more run csrc's direct
    kernels: here the forward (4 filters), the input gradient (8 input channels), the
    weight gradient (fewer than 8 filters) and, through double backward, the transposed
    forward, against torch."""
    x, w, b = rand(3, 8, 12, 14, dtype=dtype), rand(4, 8, 5, 3, dtype=dtype), rand(4, dtype=dtype)
    tol = dict(atol=2e-5, rtol=2e-5) if dtype == np.float32 else {}
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
          x, w, b, double=True, **tol)


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, padding=1),
                                dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2))])
def test_depthwise_conv2d_and_its_transpose(kw):
    """groups == channels runs a direct kernel (no im2col): values, both gradients, and
    the transposed form, against torch."""
    x, w, b = rand(2, 5, 9, 8), rand(5, 1, 3, 3), rand(5)
    check(lambda x, w, b: F.conv2d(x, w, b, groups=5, **kw),
          lambda x, w, b: TF.conv2d(x, w, b, groups=5, **kw), x, w, b, double=True)
    check(lambda x, w: F.conv_transpose2d(x, w, groups=5, **kw),
          lambda x, w: TF.conv_transpose2d(x, w, groups=5, **kw), x, w)


def test_pointwise_conv2d_and_its_transpose():
    """1x1 convolutions (stride 1, no padding) run one GEMM per sample: values, gradients
    of every order, and the transposed form, against torch."""
    x, w, b = rand(3, 4, 5, 6), rand(5, 4, 1, 1), rand(5)
    check(lambda x, w, b: F.conv2d(x, w, b), lambda x, w, b: TF.conv2d(x, w, b), x, w, b,
          double=True)
    check(lambda x, w: F.conv_transpose2d(x, w), lambda x, w: TF.conv_transpose2d(x, w), x,
          rand(4, 3, 1, 1))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 4])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_lowered_per_sample_or_per_batch(threads, n, groups):
    """With at least as many samples as threads each thread lowers and multiplies one sample
    at a time (csrc conv_per_sample); with fewer, the batch is lowered at once for one GEMM
    (per group) split across the threads. Both give torch's values and gradients,
    transposed convolution included."""
    before = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        x, w = rand(n, 4, 9, 7), rand(6, 4 // groups, 3, 3)
        check(lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=1, groups=groups),
              lambda x, w: TF.conv2d(x, w, stride=(1, 2), padding=1, groups=groups), x, w)
        check(lambda x, w: F.conv_transpose2d(x, w, stride=2, groups=groups),
              lambda x, w: TF.conv_transpose2d(x, w, stride=2, groups=groups),
              rand(n, 4, 5, 4), rand(4, 6 // groups, 3, 3))
    finally:
        ember.set_num_threads(before)


def test_conv2d_large_filter_bank_over_narrow_outputs():
    """A million weights or more over outputs of under 256 positions: the batch is lowered
    for one GEMM whatever the thread count (each sample's product would repack the whole
    bank); values and gradients against torch."""
    x, w = rand(3, 512, 5, 6), rand(256, 512, 3, 3)
    check(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1), x, w)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape", [(1, 16, 16, 3, 3), (3, 17, 20, 9, 8), (2, 32, 16, 12, 13)])
@pytest.mark.parametrize("padding", [0, 1, 2, (2, 0)])
def test_conv2d_winograd(threads, shape, padding):
    """float32 3x3 stride-1 convolutions with 16..256 channels run as Winograd F(2x2, 3x3),
    and so does their input gradient (a convolution by the flipped filters): odd and even
    sizes clip the edge tiles, blocks of tiles span samples, at every thread count."""
    n, c, oc, h, w = shape
    if h + 2 * np.max(padding) - 2 < 1:
        pytest.skip("no output")
    before = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        x, wt, b = (rand(n, c, h, w, dtype=np.float32), rand(oc, c, 3, 3, dtype=np.float32),
                    rand(oc, dtype=np.float32))
        check(lambda x, w, b: F.conv2d(x, w, b, padding=padding),
              lambda x, w, b: TF.conv2d(x, w, b, padding=padding), x, wt, b, atol=2e-5,
              rtol=1e-4)
        check(lambda x, w: F.conv_transpose2d(x, w, padding=padding),
              lambda x, w: TF.conv_transpose2d(x, w, padding=padding),
              rand(n, c, h + 2, w + 2, dtype=np.float32), rand(c, oc, 3, 3, dtype=np.float32),
              atol=2e-5, rtol=1e-4)
    finally:
        ember.set_num_threads(before)


def test_conv2d_double_backward():
    check(lambda x, w: F.conv2d(x, w, stride=2, padding=1),
          lambda x, w: TF.conv2d(x, w, stride=2, padding=1),
          rand(2, 3, 6, 5), rand(4, 3, 3, 3), double=True)


def test_conv2d_float32_and_unbatched():
    check(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
          rand(3, 5, 5, dtype=np.float32), rand(2, 3, 3, 3, dtype=np.float32), atol=1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2, dilation=2),
                                dict(groups=3, padding="same")])
def test_conv1d(kw):
    check(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
          rand(2, 6, 11), rand(9, 6 // kw.get("groups", 1), 3), rand(9))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), dilation=(1, 2), groups=2),
                                dict(stride=3, padding=2, output_padding=(2, 0))])
def test_conv_transpose2d(kw):
    g = kw.get("groups", 1)
    check(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
          lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
          rand(2, 4, 5, 4), rand(4, 6 // g, 3, 3), rand(6))


def test_conv_transpose1d_double_backward():
    check(lambda x, w: F.conv_transpose1d(x, w, stride=2),
          lambda x, w: TF.conv_transpose1d(x, w, stride=2), rand(2, 3, 5), rand(3, 2, 3),
          double=True)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2)),
                                dict(kernel_size=3, stride=2, ceil_mode=True),
                                dict(kernel_size=2, padding=1, ceil_mode=True)])
def test_max_pool2d(kw):
    x = rand(2, 3, 7, 8)
    check(lambda x: F.max_pool2d(x, return_indices=True, **kw),
          lambda x: TF.max_pool2d(x, return_indices=True, **kw), x)


def test_max_pool_double_backward_and_1d():
    check(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), rand(1, 2, 4, 4),
          double=True)
    check(lambda x: F.max_pool1d(x, 3, 2, 1, return_indices=True),
          lambda x: TF.max_pool1d(x, 3, 2, 1, return_indices=True), rand(2, 3, 10))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1,
                                     count_include_pad=False),
                                dict(kernel_size=3, stride=2, ceil_mode=True),
                                dict(kernel_size=3, padding=1, ceil_mode=True,
                                     count_include_pad=False),
                                dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d(kw):
    check(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), rand(2, 3, 7, 6))


def test_avg_pool1d_and_double():
    check(lambda x: F.avg_pool1d(x, 3, 2, 1), lambda x: TF.avg_pool1d(x, 3, 2, 1),
          rand(2, 3, 9), double=True)


@pytest.mark.parametrize("size", [1, 3, (2, 5), (4, None)])
def test_adaptive_pool2d(size):
    x = rand(2, 3, 7, 9)
    check(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size), x)
    check(lambda x: F.adaptive_max_pool2d(x, size, True),
          lambda x: TF.adaptive_max_pool2d(x, size, True), x)


def test_adaptive_pool1d():
    x = rand(2, 3, 10)
    check(lambda x: F.adaptive_avg_pool1d(x, 4), lambda x: TF.adaptive_avg_pool1d(x, 4), x)
    check(lambda x: F.adaptive_max_pool1d(x, 3), lambda x: TF.adaptive_max_pool1d(x, 3), x)


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("log", [False, True])
def test_softmax(dim, log):
    fe, ft = (F.log_softmax, TF.log_softmax) if log else (F.softmax, TF.softmax)
    check(lambda x: fe(x, dim), lambda x: ft(x, dim), rand(3, 4, 5, low=-5, high=5),
          double=True)


def test_softmax_stable_and_float32():
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0]], np.float32)
    check(lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), x, grad=False)
    check(lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1), x, grad=False)
    check(lambda x: F.softmin(x, 0), lambda x: TF.softmin(x, 0), rand(4, 3), atol=1e-6)


CE = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=1),
      dict(label_smoothing=0.2), dict(weight=True), dict(weight=True, ignore_index=2),
      dict(weight=True, label_smoothing=0.3), dict(label_smoothing=0.1, ignore_index=0),
      dict(weight=True, label_smoothing=0.1, ignore_index=0, reduction="sum")]


@pytest.mark.parametrize("kw", CE)
def test_cross_entropy(kw):
    kw = dict(kw)
    x = rand(6, 5, low=-3, high=3)
    t = np.array([0, 1, 2, 3, 4, 1])
    w = rand(5, low=0.1, high=2.0) if kw.pop("weight", False) else None
    te, tt = ember.tensor(t), torch.tensor(t)
    we = ember.tensor(w) if w is not None else None
    wt = torch.tensor(w) if w is not None else None
    check(lambda x: F.cross_entropy(x, te, we, **kw), lambda x: TF.cross_entropy(x, tt, wt, **kw),
          x, double=True)


def test_cross_entropy_errors_and_edge_cases_match_torch():
    """An out-of-range target names itself, class weights that require grad are refused,
    a batch whose targets are all ignored averages to nan, and half inputs keep their
    dtype through the mean."""
    x = rand(4, 3)
    for lib, F_ in ((ember, F), (torch, TF)):
        with pytest.raises(IndexError, match="Target 7 is out of bounds"):
            F_.cross_entropy(lib.tensor(x), lib.tensor([0, 7, 1, -100]))
        w = lib.tensor(rand(3), requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument "
                                               "'weight'"):
            F_.cross_entropy(lib.tensor(x), lib.tensor([0, 2, 1, 1]), w)
        assert F_.cross_entropy(lib.tensor(x), lib.tensor([-100] * 4)).isnan()
        half = F_.cross_entropy(lib.tensor(x).half(), lib.tensor([0, 2, 1, 1]),
                                lib.tensor(rand(3)).half())
        assert str(half.dtype).endswith("float16")


def test_cross_entropy_kdim_probs_and_unbatched():
    x = rand(2, 4, 3, 2)
    t = RNG.integers(0, 4, (2, 3, 2))
    check(lambda x: F.cross_entropy(x, ember.tensor(t), label_smoothing=0.1),
          lambda x: TF.cross_entropy(x, torch.tensor(t), label_smoothing=0.1), x)
    p = rand(3, 4, low=0, high=1)
    p = p / p.sum(1, keepdims=True)
    check(lambda x, p: F.cross_entropy(x, p, label_smoothing=0.2),
          lambda x, p: TF.cross_entropy(x, p, label_smoothing=0.2), rand(3, 4), p)
    check(lambda x: F.cross_entropy(x, ember.tensor(2)),
          lambda x: TF.cross_entropy(x, torch.tensor(2)), rand(5))


def test_cross_entropy_float32_large():
    x = rand(64, 100, dtype=np.float32, low=-10, high=10)
    t = RNG.integers(0, 100, 64)
    check(lambda x: F.cross_entropy(x, ember.tensor(t)),
          lambda x: TF.cross_entropy(x, torch.tensor(t)), x, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(ignore_index=0),
                                dict(weight=True)])
def test_nll_loss(kw):
    kw = dict(kw)
    w = rand(4, low=0.5, high=1.5) if kw.pop("weight", False) else None
    t = np.array([0, 3, 1, 0, 2])
    check(lambda x: F.nll_loss(x, ember.tensor(t), None if w is None else ember.tensor(w), **kw),
          lambda x: TF.nll_loss(x, torch.tensor(t), None if w is None else torch.tensor(w), **kw),
          rand(5, 4))


@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {"reduction": "sum"}),
                                     ("smooth_l1_loss", {"beta": 0.5}),
                                     ("huber_loss", {"delta": 0.3}),
                                     ("soft_margin_loss", {}),
                                     ("binary_cross_entropy_with_logits", {}),
                                     ("kl_div", {"reduction": "batchmean"}),
                                     ("kl_div", {"log_target": True, "reduction": "sum"}),
                                     ("poisson_nll_loss", {}),
                                     ("multilabel_soft_margin_loss", {})])
def test_pointwise_losses(name, kw):
    y = rand(4, 5, low=0.05, high=1)
    check(lambda x: getattr(F, name)(x, ember.tensor(y), **kw),
          lambda x: getattr(TF, name)(x, torch.tensor(y), **kw), rand(4, 5, low=-2, high=2))
    if name not in ("soft_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
                    "binary_cross_entropy_with_logits"):
        check(lambda x, y: getattr(F, name)(x, y, **kw),
              lambda x, y: getattr(TF, name)(x, y, **kw), rand(4, 5, low=-2, high=2), y)


def test_bce_and_pos_weight():
    check(lambda x, y: F.binary_cross_entropy(x, y), lambda x, y: TF.binary_cross_entropy(x, y),
          rand(3, 4, low=0.05, high=0.95), rand(3, 4, low=0, high=1))
    p = rand(4, low=0.5, high=2)
    check(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=ember.tensor(p)),
          lambda x, y: TF.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor(p)),
          rand(3, 4, low=-3, high=3), rand(3, 4, low=0, high=1))


def test_margin_losses():
    t = np.array([1.0, -1.0, 1.0, -1.0])
    check(lambda a, b: F.margin_ranking_loss(a, b, ember.tensor(t), 0.1),
          lambda a, b: TF.margin_ranking_loss(a, b, torch.tensor(t), 0.1), rand(4), rand(4))
    check(lambda a, b: F.cosine_embedding_loss(a, b, ember.tensor(t), 0.2),
          lambda a, b: TF.cosine_embedding_loss(a, b, torch.tensor(t), 0.2), rand(4, 3),
          rand(4, 3))
    check(lambda a: F.hinge_embedding_loss(a, ember.tensor(t)),
          lambda a: TF.hinge_embedding_loss(a, torch.tensor(t)), rand(4))
    check(lambda a, p, n: F.triplet_margin_loss(a, p, n),
          lambda a, p, n: TF.triplet_margin_loss(a, p, n), rand(4, 3), rand(4, 3), rand(4, 3))
    tg = np.array([0, 2, 1])
    check(lambda a: F.multi_margin_loss(a, ember.tensor(tg)),
          lambda a: TF.multi_margin_loss(a, torch.tensor(tg)), rand(3, 4))


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_and_eval(affine):
    x = rand(4, 3, 5, 2)
    rm_e, rv_e = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    if affine:
        check(lambda x, w, b: F.batch_norm(x, rm_e, rv_e, w, b, True, 0.3),
              lambda x, w, b: TF.batch_norm(x, rm_t, rv_t, w, b, True, 0.3), x, rand(3), rand(3),
              double=True)
    else:
        check(lambda x: F.batch_norm(x, rm_e, rv_e, training=True),
              lambda x: TF.batch_norm(x, rm_t, rv_t, training=True), x)
    np.testing.assert_allclose(rm_e.cpu().numpy(), rm_t.cpu().numpy(), atol=1e-7)
    np.testing.assert_allclose(rv_e.cpu().numpy(), rv_t.cpu().numpy(), atol=1e-7)
    check(lambda x, w, b: F.batch_norm(x, rm_e, rv_e, w, b, False),
          lambda x, w, b: TF.batch_norm(x, rm_t, rv_t, w, b, False), rand(2, 3), rand(3),
          rand(3))


@pytest.mark.parametrize("shape,norm", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5))])
def test_layer_norm(shape, norm):
    check(lambda x, w, b: F.layer_norm(x, norm, w, b), lambda x, w, b: TF.layer_norm(
        x, norm, w, b), rand(*shape), rand(*norm), rand(*norm), double=True)
    check(lambda x: F.layer_norm(x, norm), lambda x: TF.layer_norm(x, norm), rand(*shape))


def test_group_instance_rms_norm():
    check(lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b),
          rand(3, 4, 5), rand(4), rand(4))
    check(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
          lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), rand(2, 3, 4, 4), rand(3),
          rand(3))
    check(lambda x, w: F.rms_norm(x, (4,), w), lambda x, w: TF.rms_norm(x, (4,), w),
          rand(3, 4), rand(4))
    check(lambda x: F.local_response_norm(x, 3), lambda x: TF.local_response_norm(x, 3),
          rand(2, 5, 3, 3))


ACTS = ["relu", "relu6", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh",
        "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink", "hardtanh",
        "hardsigmoid", "hardswish", "logsigmoid", "leaky_relu"]


@pytest.mark.parametrize("name", ACTS)
def test_activations(name):
    x = rand(3, 7, low=-4, high=4)
    check(lambda x: getattr(F, name)(x), lambda x: getattr(TF, name)(x), x)


def test_activations_with_args():
    x = rand(2, 4, 3, low=-4, high=4)
    check(lambda x: F.glu(x, 1), lambda x: TF.glu(x, 1), rand(2, 4, 3))
    check(lambda x, w: F.prelu(x, w), lambda x, w: TF.prelu(x, w), x, rand(4))
    check(lambda x: F.threshold(x, 0.5, -2.0), lambda x: TF.threshold(x, 0.5, -2.0), x)
    check(lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), x)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pads", [(2, 1, 1, 2), (0, 3, 3, 0), (-1, 2, 2, -1), (1, 1)])
def test_pad(mode, pads):
    x = rand(2, 3, 4, 5)
    if mode != "constant" and len(pads) == 2:  # 2-element non-constant pads need 2-D/3-D input
        with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D"):
            F.pad(ember.tensor(x), pads, mode)
        x = x[0]
    check(lambda x: F.pad(x, pads, mode), lambda x: TF.pad(x, pads, mode), x)


def test_pad_constant_value_and_negative():
    check(lambda x: F.pad(x, (1, -1, 0, 2), value=3.5),
          lambda x: TF.pad(x, (1, -1, 0, 2), value=3.5), rand(2, 3, 4))


@pytest.mark.parametrize("kw", [dict(scale_factor=2, mode="nearest"), dict(size=(5, 7)),
                                dict(size=(5, 7), mode="bilinear", align_corners=False),
                                dict(size=(3, 9), mode="bilinear", align_corners=True),
                                dict(scale_factor=1.5, mode="bilinear"),
                                dict(size=(3, 2), mode="area"),
                                dict(size=(5, 6), mode="nearest-exact")])
def test_interpolate(kw):
    check(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), rand(2, 2, 4, 5))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bilinear_kernel_gradients_of_both_orders(align_corners, dtype):
    """bilinear runs a C kernel whose gradient is its adjoint, and the adjoint's gradient
    is the kernel again: values and both orders of gradients against torch, on a transposed
    input, shrinking one axis and growing the other."""
    kw = dict(size=(4, 13), mode="bilinear", align_corners=align_corners)
    check(lambda x: F.interpolate(x.transpose(2, 3), **kw),
          lambda x: TF.interpolate(x.transpose(2, 3), **kw), rand(2, 3, 9, 7, dtype=dtype),
          double=True, atol=1e-5 if dtype == np.float32 else 1e-7)


def test_interpolate_linear_1d():
    check(lambda x: F.interpolate(x, size=7, mode="linear"),
          lambda x: TF.interpolate(x, size=7, mode="linear"), rand(2, 2, 4))


def test_embedding_one_hot_normalize_misc():
    w = rand(10, 3)
    idx = np.array([[1, 0, 3], [0, 9, 1]])
    check(lambda w: F.embedding(ember.tensor(idx), w, padding_idx=0),
          lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=0), w)
    oe = F.one_hot(ember.tensor([0, 2, 1]), 4)
    assert oe.tolist() == TF.one_hot(torch.tensor([0, 2, 1]), 4).tolist()
    assert oe.dtype == ember.int64
    check(lambda x: F.normalize(x, dim=1), lambda x: TF.normalize(x, dim=1), rand(3, 4))
    check(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
          rand(3, 4), rand(3, 4))
    check(lambda a, b: F.pairwise_distance(a, b), lambda a, b: TF.pairwise_distance(a, b),
          rand(3, 4), rand(3, 4))
    check(lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), rand(2, 8, 3, 3))
    check(lambda x: F.pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2),
          rand(2, 2, 4, 6))
    check(lambda x: F.unfold(x, (2, 3), padding=1, stride=2),
          lambda x: TF.unfold(x, (2, 3), padding=1, stride=2), rand(2, 3, 5, 6))
    check(lambda x: F.fold(x, (4, 5), 2), lambda x: TF.fold(x, (4, 5), 2), rand(2, 12, 12))
    check(lambda a, b, w, bias: F.bilinear(a, b, w, bias),
          lambda a, b, w, bias: TF.bilinear(a, b, w, bias), rand(3, 2), rand(3, 4),
          rand(5, 2, 4), rand(5))
    check(lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b), rand(2, 3, 4),
          rand(5, 4), rand(5))


def test_linear_is_one_node():
    """F.linear is one AddmmBackward0 node, as torch's for 2-D input: gradients of every
    order on a transposed (non-contiguous) input, a broadcast one-element bias, 1-D input,
    the weight's gradient in the weight's own layout, and torch's dtype errors."""
    check(lambda x, w, b: F.linear(x.mT, w, b), lambda x, w, b: TF.linear(x.mT, w, b),
          rand(2, 4, 3), rand(5, 4), rand(1), double=True)
    check(lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w), rand(4), rand(5, 4))
    x, w = ember.tensor(rand(3, 4), requires_grad=True), ember.tensor(rand(5, 4),
                                                                      requires_grad=True)
    y = F.linear(x, w)
    assert y.grad_fn.name() == "AddmmBackward0"
    y.sum().backward()
    assert w.grad.is_contiguous()
    for bias in (rand(6), rand(5).astype(np.float32)):
        with pytest.raises(RuntimeError) as e:
            F.linear(x, w, ember.tensor(bias))
        with pytest.raises(type(e.value)):
            TF.linear(torch.tensor(rand(3, 4)), torch.tensor(rand(5, 4)), torch.tensor(bias))


def test_embedding_max_norm():
    w = rand(6, 4, low=-3, high=3)
    we, wt = ember.tensor(w), torch.tensor(w)
    idx = [[1, 2], [2, 5]]
    ye = F.embedding(ember.tensor(idx), we, max_norm=1.0)
    yt = TF.embedding(torch.tensor(idx), wt, max_norm=1.0)
    np.testing.assert_allclose(ye.cpu().numpy(), yt.cpu().numpy(), atol=1e-6)
    np.testing.assert_allclose(we.cpu().numpy(), wt.cpu().numpy(), atol=1e-6)


def test_scaled_dot_product_attention():
    q, k, v = rand(2, 3, 4, 8), rand(2, 3, 5, 8), rand(2, 3, 5, 6)
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v), q, k, v)
    q2 = rand(2, 3, 5, 8)
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True), q2, k, v)
    mask = rand(4, 5)
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, ember.tensor(mask)),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, torch.tensor(mask)), q, k, v)


def test_errors_match_torch_types():
    with pytest.raises(RuntimeError):
        F.conv2d(ember.zeros(1, 3, 4, 4), ember.zeros(2, 4, 3, 3))
    with pytest.raises(IndexError):
        F.cross_entropy(ember.zeros(2, 3), ember.tensor([0, 5]))
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(ember.zeros(2, 2), (1,))
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(ember.zeros(2), 1.5)
