"""F.linear_cross_entropy, nn.LinearCrossEntropyLoss and LinearCrossEntropyOptions
against torch's: losses and the gradients of input, linear weight and bias."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not hasattr(torch.nn.functional, "linear_cross_entropy"):  # torch before 2.13 (a GPU machine's)
    pytest.skip("this torch has no linear_cross_entropy", allow_module_level=True)
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import ember.nn.functional as EF  # noqa: E402

TF = torch.nn.functional
N, IN, C = 11, 6, 9


def _np(x):
    return np.asarray(x.detach().cpu().numpy())


def _pair(array, grad=False):
    return (ember.tensor(array, requires_grad=grad),
            torch.tensor(array, requires_grad=grad))


def _options(lib, opts):
    return None if opts is None else lib.nn.LinearCrossEntropyOptions(**opts)


def _compare(arrays, kwargs, opts=None, grads=("input", "linear_weight", "linear_bias"),
             rtol=1e-10):
    """Runs both sides on the same arrays; compares the loss and every leaf's gradient."""
    ember_args, torch_args = {}, {}
    for name, array in arrays.items():
        leaf = name in grads and array.dtype.kind == "f"
        ember_args[name], torch_args[name] = _pair(array, leaf)
    tensors_e = {k: v for k, v in ember_args.items() if k not in ("input", "linear_weight",
                                                                   "target")}
    tensors_t = {k: v for k, v in torch_args.items() if k not in ("input", "linear_weight",
                                                                   "target")}
    le = EF.linear_cross_entropy(ember_args["input"], ember_args["linear_weight"],
                                 ember_args["target"], options=_options(ember, opts),
                                 **tensors_e, **kwargs)
    lt = TF.linear_cross_entropy(torch_args["input"], torch_args["linear_weight"],
                                 torch_args["target"], options=_options(torch, opts),
                                 **tensors_t, **kwargs)
    assert tuple(le.shape) == tuple(lt.shape)
    assert str(le.dtype).split(".")[-1] == str(lt.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(le), _np(lt), rtol=rtol, atol=rtol)
    probe = np.random.default_rng(9).standard_normal(tuple(lt.shape))
    (le * ember.tensor(probe, dtype=le.dtype)).sum().backward()
    (lt * torch.tensor(probe, dtype=lt.dtype)).sum().backward()
    for name in grads:
        if name in ember_args and ember_args[name].requires_grad:
            np.testing.assert_allclose(_np(ember_args[name].grad), _np(torch_args[name].grad),
                                       rtol=rtol, atol=rtol, err_msg=name)


def _data(seed=0, batch=(N,), out_features=(), dtype=np.float64, bias=False):
    rng = np.random.default_rng(seed)
    arrays = dict(input=rng.standard_normal((*batch, IN)).astype(dtype),
                  linear_weight=rng.standard_normal((C, *out_features, IN)).astype(dtype),
                  target=rng.integers(0, C, (*batch, *out_features)))
    if bias:
        arrays["linear_bias"] = rng.standard_normal((C, *out_features)).astype(dtype)
    return arrays


CHUNKINGS = [None, dict(), dict(batch_chunk_size=4), dict(batch_chunk_size=1),
             dict(batch_chunk_size=100), dict(chunking_method="aspect_ratio:1"),
             dict(chunking_method=None, batch_chunk_size=3)]
CHUNK_IDS = ["reference", "auto", "rows4", "rows1", "rows100", "aspect", "explicit"]


@pytest.mark.parametrize("opts", CHUNKINGS, ids=CHUNK_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
def test_class_indices_match_torch(reduction, opts, bias):
    _compare(_data(bias=bias), dict(reduction=reduction), opts)


@pytest.mark.parametrize("opts", CHUNKINGS[:3], ids=CHUNK_IDS[:3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weight_and_ignore_index_match_torch(reduction, opts):
    arrays = _data(1, bias=True)
    arrays["target"][[0, 3, 4]] = 2
    arrays["weight"] = np.random.default_rng(2).uniform(0.2, 2.0, C)
    _compare(arrays, dict(reduction=reduction, ignore_index=2), opts)
    arrays["target"][[1, 5]] = -100
    _compare(arrays, dict(reduction=reduction), opts)


@pytest.mark.parametrize("opts", [None, dict(batch_chunk_size=2)], ids=["reference", "rows2"])
def test_every_target_ignored_gives_torchs_result(opts):
    arrays = _data(3)
    arrays["target"][:] = -100
    _compare(arrays, dict(reduction="sum"), opts)
    with np.errstate(invalid="ignore"):
        le = EF.linear_cross_entropy(*(ember.tensor(arrays[k]) for k in
                                       ("input", "linear_weight", "target")),
                                     options=_options(ember, opts))
    assert np.isnan(_np(le))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_probability_targets_and_label_smoothing_match_torch(reduction, label_smoothing):
    arrays = _data(4, bias=True)
    _compare(arrays, dict(reduction=reduction, label_smoothing=label_smoothing))
    probs = np.random.default_rng(5).dirichlet(np.ones(C), N)
    _compare(dict(arrays, target=probs),
             dict(reduction=reduction, label_smoothing=label_smoothing))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_k_dimensional_loss_matches_torch(reduction):
    arrays = _data(6, out_features=(3, 2), bias=True)
    arrays["weight"] = np.random.default_rng(7).uniform(0.5, 1.5, C)
    _compare(arrays, dict(reduction=reduction, label_smoothing=0.1))
    probs = np.random.default_rng(8).dirichlet(np.ones(C), (N, 3, 2)).transpose(0, 3, 1, 2)
    _compare(dict(arrays, target=np.ascontiguousarray(probs)), dict(reduction=reduction))


@pytest.mark.parametrize("opts", [None, dict(batch_chunk_size=2)], ids=["reference", "rows2"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_unbatched_input_matches_torch(reduction, opts):
    arrays = _data(10, batch=(), bias=True)
    _compare(arrays, dict(reduction=reduction), opts)


def test_float32_matches_torch():
    _compare(_data(11, dtype=np.float32, bias=True), dict(), dict(batch_chunk_size=5),
             rtol=1e-6)


def test_bfloat16_chunks_compute_in_float32():
    """Half-precision inputs: "auto" computes each chunk in float32 and returns bfloat16."""
    arrays = _data(12, dtype=np.float32)
    xe, we = (ember.tensor(arrays[k]).bfloat16() for k in ("input", "linear_weight"))
    xt, wt = (torch.tensor(arrays[k]).bfloat16() for k in ("input", "linear_weight"))
    for opts in (dict(), dict(batch_chunk_size=3)):
        le = EF.linear_cross_entropy(xe, we, ember.tensor(arrays["target"]),
                                     options=_options(ember, opts))
        lt = TF.linear_cross_entropy(xt, wt, torch.tensor(arrays["target"]),
                                     options=_options(torch, opts))
        assert le.dtype == ember.bfloat16
        np.testing.assert_allclose(float(le.float()), float(lt.float()), rtol=1e-2)


def test_unsupported_options_warn_and_fall_back():
    arrays = _data(13)
    x, w, t = (ember.tensor(arrays[k]) for k in ("input", "linear_weight", "target"))
    opts = enn.LinearCrossEntropyOptions(batch_chunk_size=2)
    with pytest.warns(UserWarning, match="``options`` ignored; chunked path needs"):
        le = EF.linear_cross_entropy(x, w, t, label_smoothing=0.1, options=opts)
    lt = TF.linear_cross_entropy(*(torch.tensor(arrays[k]) for k in
                                   ("input", "linear_weight", "target")), label_smoothing=0.1)
    np.testing.assert_allclose(_np(le), _np(lt), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EF.linear_cross_entropy(x, w, t, options=opts)


def test_backward_twice_with_retained_graph():
    arrays = _data(14)
    x = ember.tensor(arrays["input"], requires_grad=True)
    loss = EF.linear_cross_entropy(x, ember.tensor(arrays["linear_weight"]),
                                   ember.tensor(arrays["target"]),
                                   options=enn.LinearCrossEntropyOptions(batch_chunk_size=3))
    loss.backward(retain_graph=True)
    first = _np(x.grad).copy()
    loss.backward()
    np.testing.assert_allclose(_np(x.grad), 2 * first, rtol=1e-12)


def _raises_like_torch(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)) as ee:
        call(ember)
    assert str(ee.value).replace("ember", "torch") == str(te.value), (ee.value, te.value)


def _fn(lib):
    return TF.linear_cross_entropy if lib is torch else EF.linear_cross_entropy


@pytest.mark.parametrize("shapes,kwargs", [
    (((2, 3, 4), (5, 4), (2,)), {}),
    (((2, 4), (4,), (2,)), {}),
    (((2, 4), (5, 3), (2,)), {}),
    (((2, 4), (5, 4), (2,)), dict(linear_bias=(4,))),
    (((4,), (5, 2, 4), (2,)), {}),
    (((2, 4), (5, 4), (2, 5)), dict(ignore_index=1)),
])
def test_bad_arguments_raise_torchs_error(shapes, kwargs):
    def call(lib):
        x, w, t = shapes
        target = lib.zeros(t, dtype=lib.float64 if t == (2, 5) else lib.int64)
        extra = {k: lib.zeros(v, dtype=lib.float64) if isinstance(v, tuple) else v
                 for k, v in kwargs.items()}
        _fn(lib)(lib.zeros(x, dtype=lib.float64), lib.zeros(w, dtype=lib.float64), target,
                 **extra)
    _raises_like_torch(call)


@pytest.mark.parametrize("kwargs", [
    dict(acc_policy="fast"), dict(chunking_method="square"),
    dict(chunking_method="aspect_ratio:0"), dict(chunking_method="aspect_ratio:"),
    dict(batch_chunk_size=0), dict(batch_chunk_size=2.0), dict(acc_dtype="int32"),
])
def test_invalid_options_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        torch.nn.LinearCrossEntropyOptions(**kwargs)
    with pytest.raises(ValueError):
        enn.LinearCrossEntropyOptions(**kwargs)


def test_conflicting_chunk_size_raises_torchs_error():
    def call(lib):
        opts = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=3,
                                                chunking_method="aspect_ratio")
        _fn(lib)(lib.zeros(6, 4), lib.zeros(9, 4), lib.zeros(6, dtype=lib.int64), options=opts)
    _raises_like_torch(call)


def test_options_fields_and_defaults_match_torch():
    e, t = enn.LinearCrossEntropyOptions(), torch.nn.LinearCrossEntropyOptions()
    names = ("allow_retain_graph", "batch_chunk_size", "chunking_method", "acc_policy",
             "acc_dtype")
    assert [getattr(e, n) for n in names] == [getattr(t, n) for n in names]
    with pytest.raises(AttributeError):
        e.batch_chunk_size = 4


@pytest.mark.parametrize("kwargs", [
    dict(), dict(bias=True, reduction="sum"), dict(out_features=(2, 3), bias=True),
    dict(label_smoothing=0.1, ignore_index=3, reduction="none"),
])
def test_module_matches_torch(kwargs):
    torch.manual_seed(0)
    mt = torch.nn.LinearCrossEntropyLoss(IN, C, dtype=torch.float64, **kwargs)
    me = enn.LinearCrossEntropyLoss(IN, C, dtype=ember.float64, **kwargs)
    me.load_state_dict({k: ember.tensor(_np(v)) for k, v in mt.state_dict().items()})
    assert sorted(me.state_dict()) == sorted(mt.state_dict())
    assert repr(me) == repr(mt)
    arrays = _data(15, out_features=kwargs.get("out_features", ()))
    xe, xt = _pair(arrays["input"], True)
    le, lt = me(xe, ember.tensor(arrays["target"])), mt(xt, torch.tensor(arrays["target"]))
    np.testing.assert_allclose(_np(le), _np(lt), rtol=1e-12)
    le.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(me.linear.weight.grad), _np(mt.linear.weight.grad),
                               rtol=1e-10, atol=1e-12)


def test_module_with_class_weight_and_options_matches_torch():
    weight = np.random.default_rng(16).uniform(0.5, 2.0, C)
    mt = torch.nn.LinearCrossEntropyLoss(IN, C, bias=True, dtype=torch.float64,
                                         weight=torch.tensor(weight),
                                         options=torch.nn.LinearCrossEntropyOptions())
    me = enn.LinearCrossEntropyLoss(IN, C, bias=True, dtype=ember.float64,
                                    weight=ember.tensor(weight),
                                    options=enn.LinearCrossEntropyOptions())
    me.load_state_dict({k: ember.tensor(_np(v)) for k, v in mt.state_dict().items()})
    arrays = _data(17)
    np.testing.assert_allclose(_np(me(ember.tensor(arrays["input"]),
                                      ember.tensor(arrays["target"]))),
                               _np(mt(torch.tensor(arrays["input"]),
                                      torch.tensor(arrays["target"]))), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(weight=(4,)), dict(label_smoothing=1.5)])
def test_module_bad_arguments_raise_torchs_error(kwargs):
    def call(lib):
        extra = {k: lib.ones(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
        lib.nn.LinearCrossEntropyLoss(IN, C, **extra)
    _raises_like_torch(call)
