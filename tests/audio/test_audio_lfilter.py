"""lfilter's one-pass C kernel (taken whenever no autograd graph is recorded) against a
float64 difference equation and against the differentiable decomposed path."""

import ember
import numpy as np
import pytest

from emberaudio import _native
from emberaudio import functional as F
from emberaudio._C import ffi, lib

RNG = np.random.default_rng(11)


def _ref(x, a, b):
    """a[0] y[t] = sum_k b[k] x[t-k] - sum_{k>=1} a[k] y[t-k] along the last axis, float64."""
    x = np.asarray(x, np.float64)
    a, b = np.asarray(a, np.float64) / a[0], np.asarray(b, np.float64) / a[0]
    y = np.zeros_like(x)
    for t in range(x.shape[-1]):
        acc = sum(b[k] * x[..., t - k] for k in range(len(b)) if t - k >= 0)
        y[..., t] = acc - sum(a[k] * y[..., t - k] for k in range(1, len(a)) if t - k >= 0)
    return y


def _coeffs(order, n_filters=None, radius=0.9):
    """Stable filters: real poles inside ``radius``, a[0] != 1 to exercise normalisation."""
    shape = (order,) if n_filters is None else (n_filters, order)
    poles = radius * RNG.uniform(-1, 1, shape)
    if n_filters is None:
        a = np.poly(poles) if order else np.ones(1)
    else:
        a = np.stack([np.poly(p) if order else np.ones(1) for p in poles])
    return 1.5 * a, RNG.standard_normal(a.shape) * 0.5


def _apply_ref(x, a, b, batching):
    if a.ndim == 1:
        return _ref(x, a, b)
    if batching:
        return np.stack([_ref(x[..., i, :], a[i], b[i]) for i in range(a.shape[0])], -2)
    return np.stack([_ref(x, a[i], b[i]) for i in range(a.shape[0])], -2)


@pytest.mark.parametrize("dtype,tol", [(ember.float64, 1e-12), (ember.float32, 2e-6)])
@pytest.mark.parametrize("order", [0, 1, 2, 4, 8, 9, 12])
@pytest.mark.parametrize("coeff_dim", [1, 2])
def test_fast_path_matches_difference_equation(dtype, tol, order, coeff_dim):
    a, b = _coeffs(order, 3 if coeff_dim == 2 else None)
    # longer than the kernel's 512-sample block, so block boundaries carry history
    x = RNG.standard_normal((2, 3, 1100)) * 0.3
    np_dtype = np.float32 if dtype == ember.float32 else np.float64
    # the kernel computes in double from the dtype's values: compare on those values
    x, a, b = (v.astype(np_dtype).astype(np.float64) for v in (x, a, b))
    y = F.lfilter(ember.tensor(x, dtype=dtype), ember.tensor(a, dtype=dtype),
                  ember.tensor(b, dtype=dtype), clamp=False)
    assert y.dtype == dtype and y.shape == (2, 3, 1100)
    ref = _apply_ref(x, a, b, True)
    np.testing.assert_allclose(y.numpy(), ref, atol=tol * max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize("clamp", [False, True])
def test_fast_path_batching_and_clamp(clamp):
    a, b = _coeffs(2, 2)
    x = RNG.standard_normal((3, 40)) * 2.0  # large enough for clamp to bite
    ref = _apply_ref(x, a, b, False)
    ref = np.clip(ref, -1, 1) if clamp else ref
    y = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=clamp, batching=False)
    assert y.shape == (3, 2, 40)
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    xb = RNG.standard_normal((4, 2, 40)) * 2.0
    ref = _apply_ref(xb, a, b, True)
    ref = np.clip(ref, -1, 1) if clamp else ref
    y = F.lfilter(ember.tensor(xb), ember.tensor(a), ember.tensor(b), clamp=clamp)
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    if clamp:
        assert np.abs(y.numpy()).max() == 1.0


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 5), (1,), (3, 1)])
def test_fast_path_empty_and_length_one(shape):
    a, b = [2.0, -0.5, 0.25], [1.0, 0.5, 0.5]
    x = RNG.standard_normal(shape)
    y = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False)
    assert y.shape == shape
    np.testing.assert_allclose(y.numpy(), _ref(x, a, b), atol=1e-15)
    y = F.filtfilt(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False)
    assert y.shape == shape


def test_fast_path_non_contiguous_input():
    a, b = _coeffs(3)
    base = RNG.standard_normal((50, 6)) * 0.3
    for view, ref_x in [(ember.tensor(base).t(), base.T),          # time stride 6
                        (ember.tensor(base)[::2, 1::2], base[::2, 1::2]),
                        (ember.tensor(base)[:, 2].expand(3, 50), np.broadcast_to(base[:, 2],
                                                                                  (3, 50)))]:
        assert not view.is_contiguous()
        y = F.lfilter(view, ember.tensor(a), ember.tensor(b), clamp=False)
        np.testing.assert_allclose(y.numpy(), _ref(ref_x, a, b), atol=1e-12)
    # the input is only read
    np.testing.assert_array_equal(ember.tensor(base).t().numpy(), base.T)


def test_fast_path_casts_half_and_coefficient_dtypes():
    a, b = _coeffs(2)
    x = RNG.standard_normal((2, 30)).astype(np.float16)
    y = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False)
    assert y.dtype == ember.float32
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    np.testing.assert_allclose(y.numpy(), _ref(x.astype(np.float64), a32, b32), atol=1e-5)


@pytest.mark.parametrize("dtype,tol", [(ember.float64, 1e-12), (ember.float32, 1e-5)])
@pytest.mark.parametrize("order,coeff_dim,batching", [(0, 1, True), (1, 1, True),
                                                      (4, 2, True), (3, 2, False),
                                                      (10, 1, True)])
def test_fast_path_equals_autograd_path(dtype, tol, order, coeff_dim, batching):
    # the autograd path rounds to the dtype between its two halves: keep the filter tame
    a, b = _coeffs(order, 2 if coeff_dim == 2 else None, radius=0.5)
    b = b * 0.3
    x = RNG.standard_normal((3, 2, 700)) * 0.3
    args = [ember.tensor(v, dtype=dtype) for v in (x, a, b)]
    fast = F.lfilter(*args, clamp=True, batching=batching)
    graph_args = [t.clone().requires_grad_() for t in args]
    slow = F.lfilter(*graph_args, clamp=True, batching=batching)
    assert slow.requires_grad and not fast.requires_grad
    np.testing.assert_allclose(fast.numpy(), slow.detach().numpy(), atol=tol)
    with ember.no_grad():  # grad mode off: the fast path even for inputs requiring grad
        off = F.lfilter(*graph_args, clamp=True, batching=batching)
    assert not off.requires_grad
    np.testing.assert_array_equal(off.numpy(), fast.numpy())
    ff_fast = F.filtfilt(args[0], args[1], args[2])
    ff_slow = F.filtfilt(graph_args[0], args[1], args[2])
    np.testing.assert_allclose(ff_fast.numpy(), ff_slow.detach().numpy(), atol=tol)


def test_unbatched_filter_bank_gradients():
    # batching=False broadcasts the waveform to every filter; gradients sum back over them
    x = ember.tensor(RNG.standard_normal((2, 10)), requires_grad=True)
    a = ember.tensor([[1.0, -0.4], [1.3, 0.2]], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([[0.5, 0.1], [0.3, -0.2]], dtype=ember.float64, requires_grad=True)
    fn = lambda x, a, b: F.lfilter(x, a, b, clamp=False, batching=False)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, a, b))


def test_filtfilt_fast_path_matches_reference():
    a, b = _coeffs(4)
    x = RNG.standard_normal((2, 1300)) * 0.3
    fwd = _ref(x, a, b)
    ref = _ref(fwd[..., ::-1], a, b)[..., ::-1]
    y = F.filtfilt(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False)
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    y = F.filtfilt(ember.tensor(x), ember.tensor(a), ember.tensor(b))
    np.testing.assert_allclose(y.numpy(), np.clip(ref, -1, 1), atol=1e-12)


def test_native_kernel_reverse_in_place_and_errors():
    a = ember.tensor([[1.0, -0.5]], dtype=ember.float64)
    b = ember.tensor([[1.0, 0.0]], dtype=ember.float64)
    x = ember.tensor([[[1.0, 2.0, 3.0, 4.0]]], dtype=ember.float64)
    out = _native.lfilter(x, a, b, False)
    np.testing.assert_allclose(out.numpy()[0, 0], [1.0, 2.5, 4.25, 6.125])
    # reverse runs from the last sample; out=x overwrites the input in place
    assert _native.lfilter(x, a, b, False, out=x, reverse=True) is x
    np.testing.assert_allclose(x.numpy()[0, 0], [3.25, 4.5, 5.0, 4.0])
    with pytest.raises(TypeError, match="one dtype"):
        _native.lfilter(x.float(), a, b, False)
    with pytest.raises(ValueError, match="channel"):
        _native.lfilter(x[0], a, b, False)
    with pytest.raises(ValueError, match="out must be"):
        _native.lfilter(x, a, b, False, out=ember.empty(1, 1, 3, dtype=ember.float64))


def test_c_kernel_refuses_bad_arguments():
    buf = ffi.new("double[8]")
    coef = ffi.new("double[2]", [1.0, 0.5])
    ok = lib.ea_lfilter_f64(buf, 0, 0, 1, buf, 0, 0, 1, coef, coef, 1, 1, 8, 2, 0)
    assert ok == lib.EA_OK
    bad = [(1, 1, 8, 0), (-1, 1, 8, 2), (1, -1, 8, 2), (1, 1, -8, 2)]
    for n_batch, n_channel, n_time, n_coef in bad:
        assert lib.ea_lfilter_f64(buf, 0, 0, 1, buf, 0, 0, 1, coef, coef, n_batch, n_channel,
                                  n_time, n_coef, 0) == lib.EA_ERR_ARG
    assert lib.ea_lfilter_f64(ffi.NULL, 0, 0, 1, buf, 0, 0, 1, coef, coef, 1, 1, 8, 2,
                              0) == lib.EA_ERR_ARG
    # a stride whose span overflows int64 is refused, not followed
    assert lib.ea_lfilter_f64(buf, 0, 0, 2 ** 62, buf, 0, 0, 1, coef, coef, 1, 1, 8, 2,
                              0) == lib.EA_ERR_ARG
    # nothing to do is fine even without buffers
    assert lib.ea_lfilter_f32(ffi.NULL, 0, 0, 1, ffi.NULL, 0, 0, 1, ffi.NULL, ffi.NULL, 0, 1,
                              8, 2, 0) == lib.EA_OK
