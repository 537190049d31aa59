"""nn.utils' conv/linear + batch norm fusion, skip_init, the memory-format conversions
and nn.init's deprecated spellings against torch, with the same weights."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]


def _np(x):
    return np.asarray(x.detach().cpu().numpy())


def _copy_weights(tm, em):
    em.load_state_dict({k: ember.tensor(_np(v)) for k, v in tm.state_dict().items()})
    return em


def _bn_pair(kind, n, affine=True, seed=0):
    """An eval-mode batch norm pair with non-trivial running statistics and affine terms."""
    tb = getattr(torch.nn, kind)(n, eps=1e-3, affine=affine).double()
    eb = getattr(ember.nn, kind)(n, eps=1e-3, affine=affine, dtype=ember.float64)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        tb.running_mean.copy_(torch.tensor(rng.standard_normal(n)))
        tb.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, n)))
        if affine:
            tb.weight.copy_(torch.tensor(rng.standard_normal(n)))
            tb.bias.copy_(torch.tensor(rng.standard_normal(n)))
    _copy_weights(tb, eb)
    return eb.eval(), tb.eval()


CONVS = [
    ("Conv1d", "BatchNorm1d", (3, 4, 3), dict(), (2, 3, 9), False),
    ("Conv2d", "BatchNorm2d", (3, 5, 3), dict(padding=1), (2, 3, 6, 6), False),
    ("Conv2d", "BatchNorm2d", (3, 5, 3), dict(bias=False, groups=1), (2, 3, 6, 6), False),
    ("Conv3d", "BatchNorm3d", (2, 4, 2), dict(bias=False), (1, 2, 4, 4, 4), False),
    ("ConvTranspose2d", "BatchNorm2d", (3, 5, 3), dict(stride=2), (2, 3, 4, 4), True),
    ("ConvTranspose1d", "BatchNorm1d", (4, 6, 3), dict(dilation=2), (2, 4, 5), True),
    ("Conv2d", "BatchNorm2d", (4, 6, 3), dict(groups=2), (2, 4, 5, 5), False),
]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("conv,bn,args,kwargs,shape,transpose", CONVS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CONVS)])
def test_fuse_conv_bn_eval_matches_torch(conv, bn, args, kwargs, shape, transpose, affine):
    torch.manual_seed(0)
    tc = getattr(torch.nn, conv)(*args, **kwargs).double().eval()
    ec = _copy_weights(tc, getattr(ember.nn, conv)(*args, **kwargs, dtype=ember.float64)).eval()
    out_channels = args[1]
    eb, tb = _bn_pair(bn, out_channels, affine)
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    ef = ember.nn.utils.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    assert ef is not ec and type(ef) is type(ec)
    assert ec.bias is None if "bias" in kwargs else ec.bias is not None  # the original is kept
    assert isinstance(ef.weight, ember.nn.Parameter) and isinstance(ef.bias, ember.nn.Parameter)
    np.testing.assert_allclose(_np(ef.weight), _np(tf.weight), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(_np(ef.bias), _np(tf.bias), rtol=1e-13, atol=1e-15)
    assert ef.weight.requires_grad == tf.weight.requires_grad
    assert ef.bias.requires_grad == tf.bias.requires_grad
    x = np.random.default_rng(1).standard_normal(shape)
    np.testing.assert_allclose(_np(ef(ember.tensor(x))), _np(tf(torch.tensor(x))),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(ef(ember.tensor(x))), _np(eb(ec(ember.tensor(x)))),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("bn_features", [5, 1])
def test_fuse_linear_bn_eval_matches_torch(with_bias, bn_features):
    torch.manual_seed(0)
    tl = torch.nn.Linear(4, 5, bias=with_bias).double().eval()
    el = _copy_weights(tl, ember.nn.Linear(4, 5, bias=with_bias, dtype=ember.float64)).eval()
    eb, tb = _bn_pair("BatchNorm1d", bn_features)
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    ef = ember.nn.utils.fusion.fuse_linear_bn_eval(el, eb)
    np.testing.assert_allclose(_np(ef.weight), _np(tf.weight), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(_np(ef.bias), _np(tf.bias), rtol=1e-13, atol=1e-15)
    assert ef.bias.requires_grad == tf.bias.requires_grad
    x = np.random.default_rng(2).standard_normal((3, 4))
    np.testing.assert_allclose(_np(ef(ember.tensor(x))), _np(tf(torch.tensor(x))), rtol=1e-10)


def test_fuse_weights_functions_and_dtypes_match_torch():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 2, 3)).astype(np.float32)
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    bw, bb = rng.standard_normal(4), rng.standard_normal(4)
    for transpose in (False, True):
        wt = w.transpose(1, 0, 2).copy() if transpose else w
        te = torch.nn.utils.fuse_conv_bn_weights(torch.tensor(wt), None, torch.tensor(rm),
                                                 torch.tensor(rv), 1e-5, torch.tensor(bw),
                                                 torch.tensor(bb), transpose)
        ee = ember.nn.utils.fuse_conv_bn_weights(ember.tensor(wt), None, ember.tensor(rm),
                                                 ember.tensor(rv), 1e-5, ember.tensor(bw),
                                                 ember.tensor(bb), transpose)
        for e, t in zip(ee, te):
            assert str(e.dtype)[6:] == str(t.dtype)[6:]
            assert e.requires_grad == t.requires_grad
            np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-7)
    lw, lb = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(4)
    te = torch.nn.utils.fuse_linear_bn_weights(torch.tensor(lw, requires_grad=True),
                                               torch.tensor(lb), torch.tensor(rm),
                                               torch.tensor(rv), 1e-5, torch.tensor(bw),
                                               torch.tensor(bb))
    ee = ember.nn.utils.fuse_linear_bn_weights(ember.tensor(lw, requires_grad=True),
                                               ember.tensor(lb), ember.tensor(rm),
                                               ember.tensor(rv), 1e-5, ember.tensor(bw),
                                               ember.tensor(bb))
    for e, t in zip(ee, te):
        assert str(e.dtype)[6:] == str(t.dtype)[6:]
        assert e.requires_grad == t.requires_grad
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-7)


def test_fusion_errors_match_torch():
    tc, ec = torch.nn.Conv2d(2, 3, 1), ember.nn.Conv2d(2, 3, 1)
    tb, eb = torch.nn.BatchNorm2d(3), ember.nn.BatchNorm2d(3)
    for fuse, (c, b) in ((torch.nn.utils.fuse_conv_bn_eval, (tc, tb)),
                         (ember.nn.utils.fuse_conv_bn_eval, (ec, eb))):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            fuse(c, b)
    tl, el = torch.nn.Linear(2, 3).eval(), ember.nn.Linear(2, 3).eval()
    tb, eb = torch.nn.BatchNorm1d(4).eval(), ember.nn.BatchNorm1d(4).eval()
    with pytest.raises(AssertionError) as te:
        torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    with pytest.raises(AssertionError) as ee:
        ember.nn.utils.fuse_linear_bn_eval(el, eb)
    assert str(ee.value) == str(te.value)
    tb = torch.nn.BatchNorm1d(3, track_running_stats=False).eval()
    eb = ember.nn.BatchNorm1d(3, track_running_stats=False).eval()
    with pytest.raises(AssertionError, match="must not be None"):
        torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    with pytest.raises(AssertionError, match="must not be None"):
        ember.nn.utils.fuse_linear_bn_eval(el, eb)


def test_skip_init_matches_torch():
    t = torch.nn.utils.skip_init(torch.nn.Linear, 5, 3, bias=False)
    e = ember.nn.utils.skip_init(ember.nn.Linear, 5, 3, bias=False)
    assert type(e) is ember.nn.Linear and repr(e) == repr(t)
    assert tuple(e.weight.shape) == tuple(t.weight.shape) and e.bias is None
    assert e.weight.device.type == ember.get_default_device().type and e.weight.requires_grad
    e = ember.nn.utils.skip_init(ember.nn.Conv2d, 2, 4, 3, dtype=ember.float64)
    assert e.weight.dtype == ember.float64 and tuple(e.weight.shape) == (4, 2, 3, 3)

    class NoDevice(ember.nn.Module):
        def __init__(self, n):
            super().__init__()

    class TNoDevice(torch.nn.Module):
        def __init__(self, n):
            super().__init__()

    for skip, cls in ((torch.nn.utils.skip_init, TNoDevice),
                      (ember.nn.utils.skip_init, NoDevice)):
        with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
            skip(cls, 3)
        with pytest.raises(RuntimeError, match="Expected a Module; got"):
            skip(int, 3)


def test_memory_format_conversions_keep_weights():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                             torch.nn.Sequential(torch.nn.ConvTranspose2d(4, 2, 2)),
                             torch.nn.Conv3d(2, 2, 1))
    em = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3), ember.nn.ReLU(),
                             ember.nn.Sequential(ember.nn.ConvTranspose2d(4, 2, 2)),
                             ember.nn.Conv3d(2, 2, 1))
    _copy_weights(tm, em)
    assert ember.nn.utils.convert_conv2d_weight_memory_format(em, ember.channels_last) is em
    assert ember.nn.utils.convert_conv3d_weight_memory_format(
        em, memory_format=ember.channels_last_3d) is em
    assert ember.nn.utils.convert_conv2d_weight_memory_format(em, ember.contiguous_format) is em
    torch.nn.utils.convert_conv2d_weight_memory_format(tm, torch.channels_last)
    torch.nn.utils.convert_conv3d_weight_memory_format(tm, torch.channels_last_3d)
    for (ne, pe), (nt, pt) in zip(em.named_parameters(), tm.named_parameters()):
        assert ne == nt and isinstance(pe, ember.nn.Parameter)
        np.testing.assert_array_equal(_np(pe), _np(pt))
    x = np.random.default_rng(0).standard_normal((1, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(_np(em[:3](ember.tensor(x))), _np(tm[:3](torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)


def _deprecated_forms():
    return [n for n in dir(torch.nn.init) if not n.startswith("_") and n + "_" in
            dir(torch.nn.init) and callable(getattr(torch.nn.init, n))]


@pytest.mark.parametrize("name", _deprecated_forms())
def test_init_deprecated_forms_match_torch(name):
    assert hasattr(ember.nn.init, name)
    shape = (3, 3, 1) if name == "dirac" else (4, 6)
    args = {"constant": (0.7,), "sparse": (0.5,)}.get(name, ())
    te, ee = torch.empty(shape), ember.empty(shape)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        rt = getattr(torch.nn.init, name)(te, *args)
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        re_ = getattr(ember.nn.init, name)(ee, *args)
    assert re_ is ee and rt is te
    assert [type(w.message) for w in we] == [type(w.message) for w in wt] == [FutureWarning]
    assert str(we[0].message) == str(wt[0].message)
    assert we[0].filename == __file__
    assert getattr(ember.nn.init, name).__name__ == name
    if name in ("eye", "dirac", "constant"):  # deterministic: same values
        np.testing.assert_array_equal(_np(ee), _np(te))
