"""ember.signal.windows against torch.signal.windows: every window, lengths, symmetric
and periodic, both float dtypes, each window's own parameters, and the errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

NAMES = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
         "general_hamming", "hamming", "hann", "kaiser", "nuttall"]
REQUIRED = {"general_cosine": dict(a=[0.4, 0.3, 0.2, 0.1])}
PARAMETERS = [
    ("exponential", dict(tau=0.3)), ("exponential", dict(tau=4.0, center=2.5, sym=False)),
    ("exponential", dict(center=0.0, sym=False)), ("gaussian", dict(std=0.4)),
    ("gaussian", dict(std=7.5)), ("kaiser", dict(beta=0.0)), ("kaiser", dict(beta=3.5)),
    ("kaiser", dict(beta=30.0)), ("general_cosine", dict(a=(1.0,))),
    ("general_cosine", dict(a=[0.5, 0.5])), ("general_hamming", dict(alpha=0.6)),
    ("general_hamming", dict(alpha=0.25)),
]
# float64 agrees to the last bits; float32 to an ulp or so of the elementwise functions,
# and kaiser's ratio of two I0 values (up to ~1e4 for the default beta) to a few more
TOL = {"float32": dict(rtol=1e-6, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


def _np(x):
    return np.asarray(x.detach().cpu().numpy())


def _both(name, M, **kwargs):
    dtype = kwargs.pop("dtype", None)
    kwargs = {**REQUIRED.get(name, {}), **kwargs}
    e = getattr(ember.signal.windows, name)(M, dtype=dtype and getattr(ember, dtype), **kwargs)
    t = getattr(torch.signal.windows, name)(
        M, dtype=dtype and getattr(torch, dtype),
        **{k: v for k, v in kwargs.items() if k != "device"})
    return e, t


def _assert_close(e, t, name, dtype):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    tol = dict(TOL[dtype])
    if name == "kaiser" and dtype == "float32":
        tol = dict(rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(_np(e), _np(t), **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sym", [True, False], ids=["sym", "periodic"])
@pytest.mark.parametrize("M", [0, 1, 2, 3, 7, 64, 65])
@pytest.mark.parametrize("name", NAMES)
def test_window_matches_torch(name, M, sym, dtype, device):
    e, t = _both(name, M, sym=sym, dtype=dtype, device=device)
    assert e.device.type == device
    _assert_close(e, t, name, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("M", [1, 2, 8, 33])
@pytest.mark.parametrize("name,kwargs", PARAMETERS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(PARAMETERS)])
def test_window_parameters_match_torch(name, kwargs, M, dtype, device):
    e, t = _both(name, M, dtype=dtype, device=device, **kwargs)
    _assert_close(e, t, name, dtype)


@pytest.mark.parametrize("name", ["hann", "kaiser", "gaussian"])
def test_default_dtype_is_followed(name):
    previous = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        assert getattr(ember.signal.windows, name)(5).dtype == ember.float64
    finally:
        ember.set_default_dtype(previous)
    assert getattr(ember.signal.windows, name)(5).dtype == previous


@pytest.mark.parametrize("M", [0, 1, 6])
@pytest.mark.parametrize("name", NAMES)
def test_requires_grad_matches_torch(name, M):
    e, t = _both(name, M, requires_grad=True)
    assert e.requires_grad and t.requires_grad
    assert e.is_leaf == t.is_leaf
    if M:
        e.sum().backward()  # the window is differentiable, as torch's is


BAD = [
    # hann, hamming and nuttall are general_cosine underneath, and say so (as torch)
    ("hann", dict(M=-1), ValueError, "general_cosine requires non-negative window length, "
     "got M=-1"),
    ("kaiser", dict(M=-3), ValueError, "kaiser requires non-negative window length"),
    ("bartlett", dict(M=4, dtype="int32"), ValueError, "bartlett expects float32 or float64"),
    ("cosine", dict(M=4, dtype="float16"), ValueError, "cosine expects float32 or float64"),
    ("nuttall", dict(M=0, dtype="int64"), ValueError, "expects float32 or float64 dtypes"),
    ("exponential", dict(M=4, tau=0.0), ValueError, "Tau must be positive, got: 0.0 instead."),
    ("exponential", dict(M=4, center=1.0), ValueError,
     "Center must be None for symmetric windows"),
    ("gaussian", dict(M=4, std=-1.0), ValueError, "Standard deviation must be positive"),
    ("kaiser", dict(M=4, beta=-0.5), ValueError, "beta must be non-negative, got: -0.5"),
    ("general_cosine", dict(M=4, a=[]), ValueError, "Coefficients cannot be empty"),
    ("general_cosine", dict(M=4, a=0.5), TypeError, "Coefficients must be a list/tuple"),
    ("blackman", dict(M=-2), ValueError, "blackman requires non-negative window length"),
]


@pytest.mark.parametrize("name,kwargs,error,phrase", BAD,
                         ids=[f"{n}-{i}" for i, (n, *_) in enumerate(BAD)])
def test_bad_arguments_raise_torchs_error(name, kwargs, error, phrase):
    kwargs = dict(kwargs)
    M, dtype = kwargs.pop("M"), kwargs.pop("dtype", None)
    messages = []
    for lib in (torch, ember):
        fn = getattr(lib.signal.windows, name)
        with pytest.raises(error, match=phrase) as info:
            fn(M, dtype=dtype and getattr(lib, dtype), **kwargs)
        messages.append(str(info.value).replace(lib.__name__ + ".", ""))
    assert messages[0] == messages[1]


def test_non_strided_layout_raises():
    with pytest.raises(ValueError, match="kaiser is implemented for strided tensors only"):
        torch.signal.windows.kaiser(4, layout=torch.sparse_coo)
    with pytest.raises(ValueError, match="kaiser is implemented for strided tensors only"):
        ember.signal.windows.kaiser(4, layout="sparse_coo")
    assert ember.signal.windows.hann(4, layout=ember.strided).shape == (4,)


@pytest.mark.parametrize("M", [0, 1])
def test_short_general_cosine_skips_coefficient_checks_like_torch(M):
    e = ember.signal.windows.general_cosine(M, a=0.5)
    t = torch.signal.windows.general_cosine(M, a=0.5)
    np.testing.assert_array_equal(_np(e), _np(t))


def test_module_layout_matches_torch():
    assert ember.signal.__all__ == torch.signal.__all__
    assert sorted(ember.signal.windows.__all__) == sorted(torch.signal.windows.__all__)
