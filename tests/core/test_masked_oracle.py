"""ember.masked against torch.masked: values (NaN and inf where torch puts them) and
gradients of every reduction and normalization, over shapes, dims, keepdim, dtype= and
random masks with fully masked slices, in float32 and float64."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

SHAPES_DIMS = [((7,), [None, 0, -1, (0,)]),
               ((4, 6), [None, 0, 1, (0, 1), (-1,)]),
               ((3, 4, 5), [None, 1, -1, (0, 2), (2, 0, 1)])]
CASES = [(shape, dim) for shape, dims in SHAPES_DIMS for dim in dims]
FLOATS = ["float32", "float64"]
REDUCTIONS = ["sum", "prod", "amax", "amin", "mean", "logsumexp", "var", "std", "norm"]


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)


def _mask(rng, shape, kind):
    """None, a full-shape mask with a fully masked slice and a fully valid one, or a mask
    of the trailing shape that broadcasts."""
    if kind == "none":
        return None
    if kind == "broadcast":
        m = rng.random(shape[1:] or shape) > 0.3
        m.flat[0] = False
        return m
    m = rng.random(shape) > 0.4
    m[..., 0] = False if len(shape) == 1 else m[..., 0]
    if len(shape) > 1:
        m[0] = False  # a fully masked slice along every dim but the first
        m[-1] = True
    return m


def _pair(rng, shape, dtype, device, grad=True):
    data = rng.standard_normal(shape).astype(dtype)
    t = torch.tensor(data, requires_grad=grad)
    e = ember.tensor(data, device=device, requires_grad=grad)
    return e, t


def _masks(m, device):
    if m is None:
        return None, None
    return ember.tensor(m, device=device), torch.tensor(m)


def _close(got, want, **tol):
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(),
                               equal_nan=True, **tol)


def _backward(out, lib, weights):
    # masked-out slices give inf or NaN: the loss weighs only the finite results
    finite = lib.where(out.isfinite(), out, lib.zeros_like(out))
    (finite * weights).sum().backward()


def _check(e_fn, t_fn, e_in, t_in, dtype, grad=True):
    got, want = e_fn(), t_fn()
    _close(got, want, **_tol(dtype))
    if grad and want.requires_grad:
        w = np.random.default_rng(1).standard_normal(tuple(want.shape)).astype(
            str(want.dtype).split(".")[-1])
        _backward(want, torch, torch.tensor(w))
        _backward(got, ember, ember.tensor(w, device=got.device))
        for e, t in zip(e_in, t_in):
            _close(e.grad, t.grad, **_tol(dtype))


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("shape, dim", CASES)
@pytest.mark.parametrize("mask_kind", ["none", "full", "broadcast"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_reductions_match_torch(device, name, shape, dim, mask_kind, dtype):
    rng = np.random.default_rng(hash((name, shape, str(dim), mask_kind)) % 2**32)
    e, t = _pair(rng, shape, dtype, device)
    em, tm = _masks(_mask(rng, shape, mask_kind), device)
    keepdim = bool(rng.integers(2))
    extra = {"norm": [1.5], "var": [], "std": []}.get(name, [])
    e_fn = getattr(ember.masked, name)
    t_fn = getattr(torch.masked, name)
    if name == "norm":
        args_e, args_t = (e, *extra, dim), (t, *extra, dim)
    else:
        args_e, args_t = (e, dim), (t, dim)
    _check(lambda: e_fn(*args_e, keepdim=keepdim, mask=em),
           lambda: t_fn(*args_t, keepdim=keepdim, mask=tm), [e], [t], dtype)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_dtype_argument_matches_torch(device, name):
    rng = np.random.default_rng(3)
    e, t = _pair(rng, (4, 5), "float32", device)
    em, tm = _masks(_mask(rng, (4, 5), "full"), device)
    ord_ = (2.0,) if name == "norm" else ()
    for keepdim in (False, True):
        _check(lambda keepdim=keepdim: getattr(ember.masked, name)(e, *ord_, 1, keepdim=keepdim,
                                                   dtype=ember.float64, mask=em),
               lambda keepdim=keepdim: getattr(torch.masked, name)(t, *ord_, 1, keepdim=keepdim,
                                                   dtype=torch.float64, mask=tm),
               [e], [t], "float32")
        e.grad = t.grad = None


@pytest.mark.parametrize("ord_", [1.0, 2.0, 3.0, float("inf"), float("-inf"), 0.0])
@pytest.mark.parametrize("mask_kind", ["none", "full"])
def test_norm_orders_match_torch(device, ord_, mask_kind):
    rng = np.random.default_rng(4)
    e, t = _pair(rng, (4, 6), "float64", device)
    em, tm = _masks(_mask(rng, (4, 6), mask_kind), device)
    # the 0-"norm" counts nonzeros: torch's gradient is zero, ember's result has no graph
    _check(lambda: ember.masked.norm(e, ord_, 1, mask=em),
           lambda: torch.masked.norm(t, ord_, 1, mask=tm), [e], [t], "float64",
           grad=ord_ != 0)


@pytest.mark.parametrize("unbiased, correction", [(False, None), (True, None), (None, 0),
                                                  (None, 2), (None, 1.5)])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_corrections_match_torch(device, name, unbiased, correction):
    rng = np.random.default_rng(5)
    e, t = _pair(rng, (5, 6), "float64", device)
    m = _mask(rng, (5, 6), "full")
    m[1] = [True, False, False, False, False, False]  # one valid element: count 1 - correction
    em, tm = _masks(m, device)
    _check(lambda: getattr(ember.masked, name)(e, 1, unbiased, correction=correction, mask=em),
           lambda: getattr(torch.masked, name)(t, 1, unbiased, correction=correction, mask=tm),
           [e], [t], "float64")


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, dim", [((7,), None), ((7,), 0), ((4, 6), None), ((4, 6), 1),
                                        ((3, 4, 5), 0), ((3, 4, 5), -1)])
@pytest.mark.parametrize("mask_kind", ["none", "full", "broadcast"])
def test_argmax_argmin_match_torch(device, name, shape, dim, mask_kind):
    rng = np.random.default_rng(6)
    e, t = _pair(rng, shape, "float32", device, grad=False)
    em, tm = _masks(_mask(rng, shape, mask_kind), device)
    for keepdim in (False, True):
        for dtype in (None, "int64"):
            kw_e = {} if dtype is None else {"dtype": ember.int64}
            kw_t = {} if dtype is None else {"dtype": torch.int64}
            got = getattr(ember.masked, name)(e, dim, keepdim=keepdim, mask=em, **kw_e)
            want = getattr(torch.masked, name)(t, dim, keepdim=keepdim, mask=tm, **kw_t)
            _close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("shape, dim", [((7,), 0), ((4, 6), 0), ((4, 6), -1), ((3, 4, 5), 1)])
@pytest.mark.parametrize("mask_kind", ["none", "full", "broadcast"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_median_matches_torch(device, shape, dim, mask_kind, dtype):
    rng = np.random.default_rng(7)
    e, t = _pair(rng, shape, dtype, device)
    em, tm = _masks(_mask(rng, shape, mask_kind), device)
    for keepdim in (False, True):
        _check(lambda keepdim=keepdim: ember.masked.median(e, dim, keepdim=keepdim, mask=em),
               lambda keepdim=keepdim: torch.masked.median(t, dim, keepdim=keepdim, mask=tm),
               [e], [t], dtype)
        e.grad = t.grad = None


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape, dim", [((7,), 0), ((4, 6), 0), ((4, 6), -1), ((3, 4, 5), 1)])
@pytest.mark.parametrize("mask_kind", ["none", "full", "broadcast"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_normalizations_match_torch(device, name, shape, dim, mask_kind, dtype):
    rng = np.random.default_rng(8)
    e, t = _pair(rng, shape, dtype, device)
    em, tm = _masks(_mask(rng, shape, mask_kind), device)
    _check(lambda: getattr(ember.masked, name)(e, dim, mask=em),
           lambda: getattr(torch.masked, name)(t, dim, mask=tm), [e], [t], dtype)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "softmax", "log_softmax", "softmin"])
def test_normalization_dtype_argument_matches_torch(device, name):
    rng = np.random.default_rng(9)
    e, t = _pair(rng, (4, 5), "float32", device)
    em, tm = _masks(_mask(rng, (4, 5), "full"), device)
    _check(lambda: getattr(ember.masked, name)(e, 1, dtype=ember.float64, mask=em),
           lambda: getattr(torch.masked, name)(t, 1, dtype=torch.float64, mask=tm),
           [e], [t], "float32")


@pytest.mark.parametrize("ord_", [1.0, 2.0, float("inf")])
@pytest.mark.parametrize("shape, dim", [((7,), 0), ((4, 6), 1), ((3, 4, 5), 0)])
@pytest.mark.parametrize("mask_kind", ["none", "full", "broadcast"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_normalize_matches_torch(device, ord_, shape, dim, mask_kind, dtype):
    rng = np.random.default_rng(10)
    e, t = _pair(rng, shape, dtype, device)
    em, tm = _masks(_mask(rng, shape, mask_kind), device)
    _check(lambda: ember.masked.normalize(e, ord_, dim, mask=em),
           lambda: torch.masked.normalize(t, ord_, dim, mask=tm), [e], [t], dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_logaddexp_matches_torch(device, dtype):
    rng = np.random.default_rng(11)
    shape = (4, 6)
    a_e, a_t = _pair(rng, shape, dtype, device)
    b_e, b_t = _pair(rng, shape, dtype, device)
    ma_e, ma_t = _masks(_mask(rng, shape, "full"), device)
    mb_e, mb_t = _masks(_mask(rng, shape, "broadcast"), device)
    for kw_e, kw_t in (({}, {}), ({"input_mask": ma_e}, {"input_mask": ma_t}),
                       ({"input_mask": ma_e, "other_mask": mb_e},
                        {"input_mask": ma_t, "other_mask": mb_t})):
        _check(lambda kw=kw_e: ember.masked.logaddexp(a_e, b_e, **kw),
               lambda kw=kw_t: torch.masked.logaddexp(a_t, b_t, **kw), [a_e, b_e], [a_t, b_t],
               dtype)
        for x in (a_e, b_e, a_t, b_t):
            x.grad = None
    got = ember.masked.logaddexp(a_e, b_e, dtype=ember.float64, input_mask=ma_e)
    want = torch.masked.logaddexp(a_t, b_t, dtype=torch.float64, input_mask=ma_t)
    _close(got, want, **_tol(dtype))


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_integer_inputs_match_torch(device, dtype):
    rng = np.random.default_rng(12)
    data = rng.integers(0, 50, (4, 5)).astype(dtype)
    m = _mask(rng, (4, 5), "full")
    e, t = ember.tensor(data, device=device), torch.tensor(data)
    em, tm = _masks(m, device)
    for name in ("sum", "prod", "amax", "amin", "argmax", "argmin"):
        for dim in (None, 1):
            got = getattr(ember.masked, name)(e, dim, mask=em)
            want = getattr(torch.masked, name)(t, dim, mask=tm)
            _close(got, want, rtol=0, atol=0)
    for name in ("var", "std"):
        _close(getattr(ember.masked, name)(e, 1, mask=em),
               getattr(torch.masked, name)(t, 1, mask=tm), rtol=1e-6, atol=1e-6)
    valid = np.ones((4, 5), dtype=bool)
    valid[:, 1] = False
    _close(ember.masked.median(e, 1, mask=ember.tensor(valid, device=device)),
           torch.masked.median(t, 1, mask=torch.tensor(valid)), rtol=0, atol=0)


def test_zero_dim_input_matches_torch(device):
    for name in ("sum", "prod", "amax", "amin", "mean", "logsumexp"):
        for valid in (True, False):
            got = getattr(ember.masked, name)(ember.tensor(1.5, device=device),
                                              mask=ember.tensor(valid, device=device))
            want = getattr(torch.masked, name)(torch.tensor(1.5), mask=torch.tensor(valid))
            _close(got, want, rtol=0, atol=0)


def test_errors_match_torch(device):
    x = np.ones((3, 4), dtype="float32")
    for lib, dev in ((ember, device), (torch, "cpu")):
        t = lib.tensor(x, device=dev)
        with pytest.raises(IndexError):
            lib.masked.sum(t, 1, mask=lib.ones(2, 3, 4, dtype=lib.bool, device=dev))
        with pytest.raises(IndexError):
            lib.masked.amax(t, 2, mask=lib.ones(3, 4, dtype=lib.bool, device=dev))
        with pytest.raises(RuntimeError):
            lib.masked.sum(t, (1, -1), mask=lib.ones(3, 4, dtype=lib.bool, device=dev))
        with pytest.raises(ValueError, match="Could not infer output dtype"):
            lib.masked.mean(lib.ones(3, dtype=lib.int64, device=dev))
        with pytest.raises(ValueError, match="fully masked out rows"):
            lib.masked.median(lib.ones(2, 3, dtype=lib.int64, device=dev), 1,
                              mask=lib.tensor([[True] * 3, [False] * 3], device=dev))
        with pytest.raises(NotImplementedError):
            lib.masked.amax(lib.ones(3, dtype=lib.bool, device=dev),
                            mask=lib.ones(3, dtype=lib.bool, device=dev))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_nanmedian_along_a_dim_matches_torch(device, dim):
    # masked median is built on it: values everywhere, indices where a slice has a number
    rng = np.random.default_rng(13)
    data = rng.standard_normal((5, 6, 7))
    data[data > 0.8] = np.nan
    data[1, :, 2] = np.nan
    for keepdim in (False, True):
        got = ember.nanmedian(ember.tensor(data, device=device), dim, keepdim)
        want = torch.nanmedian(torch.tensor(data), dim, keepdim)
        _close(got.values, want.values, rtol=0, atol=0)
        numbers = ~want.values.isnan().numpy()
        np.testing.assert_array_equal(got.indices.cpu().numpy()[numbers],
                                      want.indices.numpy()[numbers])
