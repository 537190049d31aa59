"""cov, corrcoef, quantile, nanquantile, isin and histogram against PyTorch: values, result
dtypes and shapes, gradients and the exceptions of bad arguments, on fresh random inputs of
several shapes (1-D, 2-D, 3-D along a dim, 0-d, empty, transposed views) in float32 and
float64. Quantiles and histogram edges are compared to the last bit: torch rounds its lerp
and linspace once (fused multiply-add), and a histogram count depends on which side of an
edge a value falls."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]
TOL = {"float32": 1e-5, "float64": 1e-10, "float16": 2e-3, "bfloat16": 1e-2}


def _rng(*key):
    return np.random.default_rng(abs(hash(key)) % 2 ** 32)


def _pair(a, dtype, transposed=False, requires_grad=False):
    """The same data as an ember and a torch tensor; transposed: a non-contiguous view of
    memory laid out in the reverse order of the dims."""
    a = np.asarray(a)
    out = []
    for m in (ember, torch):
        if transposed and a.ndim > 1:
            t = m.tensor(np.ascontiguousarray(a.T), dtype=getattr(m, dtype))
            t = t.permute(*reversed(range(a.ndim)))
            assert not t.is_contiguous()
        else:
            t = m.tensor(a, dtype=getattr(m, dtype))
        out.append(t.requires_grad_(requires_grad))
    return out


def _np(t):
    t = t.detach()
    if t.dtype.is_complex or not t.dtype.is_floating_point:
        return t.numpy()
    return t.to(ember.float64 if isinstance(t, ember.Tensor) else torch.float64).numpy()


def _same(e, t, tol=None, exact=False):
    """Same dtype, shape and values (NaNs in the same places)."""
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
    en, tn = _np(e), _np(t)
    if exact or en.dtype == bool:
        np.testing.assert_array_equal(en, tn)
    else:
        tol = TOL[str(t.dtype).split(".")[-1].replace("complex64", "float32")
                  .replace("complex128", "float64")] if tol is None else tol
        np.testing.assert_allclose(en, tn, rtol=tol, atol=tol, equal_nan=True)


def _same_grads(e_out, t_out, e_ins, t_ins, tol=None, seed=0):
    """Gradients of sum(w * out) for the same random w; an input torch leaves without a
    gradient gets none or zeros in ember."""
    w = np.random.default_rng(seed).normal(size=tuple(t_out.shape))
    ge = ember.autograd.grad(e_out, e_ins, ember.tensor(w, dtype=e_out.dtype), allow_unused=True)
    gt = torch.autograd.grad(t_out, t_ins, torch.tensor(w, dtype=t_out.dtype),
                             allow_unused=True)
    for e, t in zip(ge, gt):
        if t is None:
            assert e is None or not _np(e).any()
        else:
            _same(e, t, tol)


# ---- quantile -----------------------------------------------------------------------------------

# (shape, dim, transposed): 1-D, 2-D along either dim, 3-D along the middle, 0-d, views
QUANTILE_SHAPES = [((7,), None, False), ((7,), 0, False), ((4, 5), 1, False),
                   ((4, 5), -2, False), ((3, 4, 5), 1, False), ((3, 4, 5), None, False),
                   ((), None, False), ((), 0, False), ((5, 6), 0, True), ((2, 3, 4), 2, True)]


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,dim,transposed", QUANTILE_SHAPES,
                         ids=[f"{'x'.join(map(str, s)) or '0d'}-dim{d}{'-T' if t else ''}"
                              for s, d, t in QUANTILE_SHAPES])
def test_quantile_matches_torch(fn, interpolation, dtype, shape, dim, transposed):
    rng = _rng(fn, interpolation, dtype, shape, dim)
    a = rng.normal(size=shape)
    if fn == "nanquantile" and a.ndim:
        a[rng.random(size=shape) < 0.3] = np.nan
        if a.ndim > 1:
            a[(0,) * (a.ndim - 1)] = np.nan  # a row of NaNs only: its quantiles are NaN
    qs = np.concatenate([[0.0, 1.0], rng.uniform(size=3)])
    for q in (float(rng.uniform()), qs):
        for keepdim in (False, True):
            ex, tx = _pair(a, dtype, transposed, requires_grad=True)
            if isinstance(q, float):
                eq, tq = q, q
                e_ins, t_ins = [ex], [tx]
            else:
                eq, tq = _pair(q, dtype, requires_grad=True)
                e_ins, t_ins = [ex, eq], [tx, tq]
            e = getattr(ember, fn)(ex, eq, dim, keepdim, interpolation=interpolation)
            t = getattr(torch, fn)(tx, tq, dim, keepdim, interpolation=interpolation)
            _same(e, t, exact=True)
            assert e.requires_grad == t.requires_grad
            if t.requires_grad:
                _same_grads(e, t, e_ins, t_ins)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantile_of_rows_holding_nan_is_nan(interpolation):
    a = _rng("nan", interpolation).normal(size=(4, 6))
    a[1, 2] = a[3, 0] = np.nan
    ex, tx = _pair(a, "float64")
    for fn in ("quantile", "nanquantile"):
        q = [0.0, 0.3, 1.0]
        e = getattr(ember, fn)(ex, ember.tensor(q, dtype=ember.float64), 1,
                               interpolation=interpolation)
        t = getattr(torch, fn)(tx, torch.tensor(q, dtype=torch.float64), 1,
                               interpolation=interpolation)
        _same(e, t, exact=True)
        assert np.isnan(_np(e)[:, [1, 3]]).all() == (fn == "quantile")
        assert not np.isnan(_np(e)[:, [0, 2]]).any()


def test_quantile_corner_cases():
    for m in (ember, torch):
        assert m.quantile(m.tensor(2.5), 0.5).item() == 2.5
        # an empty q gives no quantiles; infinities interpolate to NaN as in torch's lerp
        assert tuple(m.quantile(m.ones(3, 2), m.tensor([]), dim=0).shape) == (0, 2)
        inf = m.quantile(m.tensor([1.0, float("inf"), 3.0]), m.tensor([0.0, 0.5, 0.75, 1.0]))
        assert str(inf.tolist()) == "[1.0, 3.0, nan, nan]"
        assert m.nanquantile(m.full((2, 3), float("nan")), 0.5, dim=1).isnan().all().item()
        assert m.arange(5.0).quantile(0.6, 0, True, interpolation="nearest").tolist() == [2.0]
    pairs = [
        (lambda m: m.quantile(m.arange(12.0).reshape(3, 4), m.tensor([0.5, 0.1]), keepdim=True)),
        (lambda m: m.tensor([1.0, float("nan"), 4.0]).nanquantile(m.tensor([0.5, 1.0]))),
        (lambda m: m.quantile(m.tensor([1.0, 2.0]), True)),
        (lambda m: m.quantile(m.tensor([0.5, 2.0, 9.0]), np.float64(0.3))),
    ]
    for f in pairs:
        _same(f(ember), f(torch), exact=True)
    for m in (ember, torch):  # out=
        out = m.empty(0)
        r = m.quantile(m.tensor([1.0, 2.0, 5.0]), m.tensor([0.3, 0.6]), out=out)
        assert r is out and out.tolist() == pytest.approx([1.6, 2.6])


def test_quantile_gradcheck():
    rng = _rng("gradcheck")
    x = ember.tensor(rng.normal(size=(3, 5)), dtype=ember.float64, requires_grad=True)
    q = ember.tensor([0.1, 0.45, 0.8], dtype=ember.float64, requires_grad=True)
    for interpolation in ("linear", "midpoint", "lower", "nearest"):
        assert ember.autograd.gradcheck(
            lambda x, q, mode=interpolation: ember.quantile(x, q, dim=1, interpolation=mode),
            (x, q))
    y = x.detach().clone()
    y[0, 1] = float("nan")
    y.requires_grad_(True)
    assert ember.autograd.gradcheck(lambda y, q: ember.nanquantile(y, q, dim=1), (y, q))


# ---- cov and corrcoef ---------------------------------------------------------------------------

COV_SHAPES = [((3, 6), False), ((6,), False), ((4, 7), True), ((1, 5), False), ((), False),
              ((2, 1), False), ((0, 4), False), ((2, 0), False)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weights", ["none", "fweights", "aweights", "both"])
@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("shape,transposed", COV_SHAPES,
                         ids=[f"{'x'.join(map(str, s)) or '0d'}{'-T' if t else ''}"
                              for s, t in COV_SHAPES])
def test_cov_matches_torch(dtype, weights, correction, shape, transposed):
    rng = _rng("cov", dtype, weights, correction, shape)
    a = rng.normal(size=shape)
    n = 1 if not shape else (shape[-1] if len(shape) == 2 else shape[0])
    ex, tx = _pair(a, dtype, transposed, requires_grad=True)
    e_kw, t_kw, e_ins, t_ins = {}, {}, [ex], [tx]
    if weights in ("fweights", "both"):
        fw = rng.integers(1, 4, size=n)
        e_kw["fweights"], t_kw["fweights"] = ember.tensor(fw), torch.tensor(fw)
    if weights in ("aweights", "both"):
        ea, ta = _pair(rng.uniform(0.2, 2.0, size=n), dtype, requires_grad=True)
        e_kw["aweights"], t_kw["aweights"] = ea, ta
        e_ins, t_ins = [ex, ea], [tx, ta]
    if n == 0 and weights != "none":
        return  # weights summing to zero: an error, checked with the bad inputs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # a clone: torch zeroes a one-observation input in place, which a leaf refuses
        t = torch.cov(tx.clone(), correction=correction, **t_kw)
        torch_warned = len(caught)
        e = ember.cov(ex, correction=correction, **e_kw)
        assert (len(caught) > torch_warned) == bool(torch_warned)  # degrees of freedom <= 0
    _same(e, t)
    if e.numel():
        _same_grads(e, t, e_ins, t_ins)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,transposed", COV_SHAPES[:6],
                         ids=[f"{'x'.join(map(str, s)) or '0d'}{'-T' if t else ''}"
                              for s, t in COV_SHAPES[:6]])
def test_corrcoef_matches_torch(dtype, shape, transposed):
    a = _rng("corrcoef", dtype, shape).normal(size=shape)
    ex, tx = _pair(a, dtype, transposed, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one observation: no degrees of freedom
        e, t = ember.corrcoef(ex), torch.corrcoef(tx)
        _same(e, t)
        if np.isfinite(_np(t)).all():
            _same_grads(e, t, [ex], [tx])


def test_cov_and_corrcoef_of_other_dtypes():
    cases = [
        lambda m: m.cov(m.tensor([[1, 2, 4], [3, 1, 0]])),  # integers: a float32 result
        lambda m: m.cov(m.tensor([[1, 2, 4], [3, 1, 0]], dtype=m.int8),
                        fweights=m.tensor([1, 2, 3])),
        lambda m: m.cov(m.tensor([[1, 2, 4], [3, 1, 0]]), aweights=m.tensor([1.0, 2.0, 3.0])),
        lambda m: m.cov(m.tensor([[1.0, 2, 4], [0, 1, 1]]),
                        aweights=m.tensor([1.0, 2, 3], dtype=m.float64)),
        lambda m: m.cov(m.tensor([[1.0, 2, 4], [0, 1, 1]]), aweights=m.tensor([1.0, 2, 3]).half()),
        lambda m: m.cov(m.tensor([[1.0, 2, 4], [0, 1, 1]]),
                        fweights=m.tensor([1, 2, 3], dtype=m.uint8)),
        lambda m: m.cov(m.tensor([[1.0, 2.0, 4.0], [0.5, 1.0, 1.5]]).half()),
        lambda m: m.cov(m.tensor([[1 + 2j, 2, 4j], [0, 1 - 1j, 1]], dtype=m.complex64)),
        lambda m: m.corrcoef(m.tensor([[1 + 2j, 2, 4j], [0, 1 - 1j, 1]], dtype=m.complex128)),
        lambda m: m.corrcoef(m.tensor([[1, 2, 4], [3, 1, 0]])),
        lambda m: m.corrcoef(m.tensor([[1.0, 1.0, 1.0], [3.0, 1.0, 0.0]])),  # a constant row
        # one observation with one kind of weights: torch's special case, exact zeros
        lambda m: m.cov(m.tensor([[1.0], [2.0]]), fweights=m.tensor([2])),
        lambda m: m.cov(m.tensor([[1.0], [2.0]]), aweights=m.tensor([0.1])),
        lambda m: m.cov(m.tensor([[1], [2]]), fweights=m.tensor(2)),
        lambda m: m.cov(m.tensor([[1.0], [2.0]], dtype=m.float64), aweights=m.tensor([0.5]),
                        correction=0),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in cases:
            _same(f(ember), f(torch))
    x = ember.tensor([[1.0], [3.0]])
    with pytest.warns(UserWarning, match="degrees of freedom"):
        ember.cov(x, aweights=ember.tensor([0.1]))
    assert x.tolist() == [[1.0], [3.0]]  # torch zeroes this input in place; ember leaves it


def test_cov_and_corrcoef_gradcheck():
    rng = _rng("cov gradcheck")
    x = ember.tensor(rng.normal(size=(3, 5)), dtype=ember.float64, requires_grad=True)
    aw = ember.tensor(rng.uniform(0.5, 2, size=5), dtype=ember.float64, requires_grad=True)
    fw = ember.tensor([1, 3, 2, 1, 2])
    assert ember.autograd.gradcheck(lambda x, aw: ember.cov(x, fweights=fw, aweights=aw),
                                    (x, aw))
    assert ember.autograd.gradcheck(lambda x: ember.cov(x, correction=0), (x,))
    assert ember.autograd.gradcheck(ember.corrcoef, (x,))


# ---- isin ---------------------------------------------------------------------------------------

ISIN_DTYPES = [("int64", "int64"), ("int32", "int64"), ("uint8", "int16"), ("float32", "float32"),
               ("float64", "float32"), ("int64", "float32"), ("float16", "float64")]
ISIN_SHAPES = [((), False), ((0,), False), ((9,), False), ((4, 5), True), ((2, 3, 4), False)]


@pytest.mark.parametrize("dtypes", ISIN_DTYPES, ids=["-".join(d) for d in ISIN_DTYPES])
@pytest.mark.parametrize("shape,transposed", ISIN_SHAPES,
                         ids=[f"{'x'.join(map(str, s)) or '0d'}{'-T' if t else ''}"
                              for s, t in ISIN_SHAPES])
@pytest.mark.parametrize("invert", [False, True])
def test_isin_matches_torch(dtypes, shape, transposed, invert):
    rng = _rng("isin", dtypes, shape, invert)
    d1, d2 = dtypes
    a = rng.integers(0, 12, size=shape).astype(float)
    if d1.startswith("float"):
        a = a / 2  # halves: some equal the test values, some fall between them
        if a.size:
            a.flat[0] = np.nan  # never found
    ea, ta = _pair(a, d1, transposed)
    for m_size in (0, 1, 5, 300):
        b = rng.integers(0, 12, size=m_size).astype(float)  # duplicates: many
        if d2.startswith("float"):
            b = b / 2
            if m_size > 1:
                b[-1] = np.nan
        eb, tb = _pair(b, d2)
        _same(ember.isin(ea, eb, invert=invert), torch.isin(ta, tb, invert=invert))
        # the same test values as a 2-D tensor, and one of them as a Python number
        _same(ember.isin(ea, eb.reshape(1, -1), invert=invert),
              torch.isin(ta, tb.reshape(1, -1), invert=invert))
        if m_size:
            s = b[0].item() if d2.startswith("float") else int(b[0])
            _same(ember.isin(ea, s, invert=invert), torch.isin(ta, s, invert=invert))
            _same(ember.isin(s, eb, invert=invert), torch.isin(s, tb, invert=invert))
    unique = np.unique(rng.integers(0, 12, size=6)).astype(float)
    eu, tu = _pair(unique, d2)
    _same(ember.isin(ea, eu, assume_unique=True, invert=invert),
          torch.isin(ta, tu, assume_unique=True, invert=invert))


def test_isin_promotes_like_torch():
    cases = [
        lambda m: m.isin(m.tensor([2 ** 53 + 1]), m.tensor([float(2 ** 53)])),
        lambda m: m.isin(m.tensor([2 ** 24 + 1]), m.tensor([float(2 ** 24)] * 100)),
        lambda m: m.isin(m.tensor([2 ** 53]), 2 ** 53 + 1),
        lambda m: m.isin(m.tensor([1, 2]), 1.5),
        lambda m: m.isin(2.5, m.tensor([1, 2])),
        lambda m: m.isin(m.tensor([0.1], dtype=m.float64), m.tensor([0.1])),
        lambda m: m.isin(m.tensor([1, 2]), m.tensor(2.0, dtype=m.float64)),
        lambda m: m.isin(m.tensor([-0.0, 0.5]), m.tensor([0.0] * 50)),
        lambda m: m.isin(m.tensor([1.0, 0.1]).bfloat16(), m.tensor([1.0, 0.1]).bfloat16()),
        lambda m: m.isin(m.tensor([float("nan"), 1.0]), float("nan"), invert=True),
        lambda m: m.isin(m.tensor([1.0, 2.0], requires_grad=True), m.tensor([1.0])),
    ]
    for f in cases:
        e, t = f(ember), f(torch)
        _same(e, t)
        assert not e.requires_grad
    out = ember.empty(2, dtype=ember.bool)
    assert ember.isin(ember.tensor([1, 2]), ember.tensor([1]), out=out) is out
    assert out.tolist() == [True, False]
    assert not hasattr(ember.Tensor, "isin") and not hasattr(torch.Tensor, "isin")


def test_isin_of_large_inputs():
    rng = _rng("isin large")
    a, b = rng.integers(0, 10 ** 6, size=200_000), rng.integers(0, 10 ** 6, size=50_000)
    _same(ember.isin(ember.tensor(a), ember.tensor(b)),
          torch.isin(torch.tensor(a), torch.tensor(b)))


# ---- histogram ----------------------------------------------------------------------------------

HIST_SHAPES = [((50,), False), ((6, 7), True), ((2, 3, 4), False), ((), False), ((0,), False)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,transposed", HIST_SHAPES,
                         ids=[f"{'x'.join(map(str, s)) or '0d'}{'-T' if t else ''}"
                              for s, t in HIST_SHAPES])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("density", [False, True])
def test_histogram_matches_torch(dtype, shape, transposed, weighted, density):
    rng = _rng("histogram", dtype, shape, weighted, density)
    a = np.asarray(rng.normal(size=shape) * 3)
    on_edges = rng.random(size=shape) < 0.3
    a[on_edges] = np.round(a[on_edges])  # whole numbers: on some bins' edges
    ea, ta = _pair(a, dtype, transposed)
    e_kw, t_kw = {"density": density}, {"density": density}
    if weighted:
        e_kw["weight"], t_kw["weight"] = _pair(rng.uniform(size=shape), dtype, transposed)
    edges = np.sort(rng.normal(size=6) * 3)
    for bins, rng_arg in ((10, None), (1, None), (7, (-1.5, 2.0)), (4, (-2, 2)), (3, (1.0, 1.0))):
        e = ember.histogram(ea, bins, range=rng_arg, **e_kw)
        t = torch.histogram(ta, bins, range=rng_arg, **t_kw)
        _same(e.bin_edges, t.bin_edges, exact=True)
        _same(e.hist, t.hist, exact=not (weighted or density))
    eb, tb = _pair(edges, dtype)
    e, t = ember.histogram(ea, eb, **e_kw), torch.histogram(ta, tb, **t_kw)
    _same(e.bin_edges, t.bin_edges, exact=True)
    _same(e.hist, t.hist, exact=not (weighted or density))
    e, t = ea.histogram(5, **e_kw), ta.histogram(5, **t_kw)
    _same(e.hist, t.hist)


def test_histogram_edges_and_counts_to_the_last_bit():
    """Values exactly on computed edges: a count is right only if the edge is bit-exact."""
    for dtype in ("float32", "float64"):
        for lo, hi, bins in ((1.0, 2.0, 10), (-0.3, 0.7, 10), (0.1, 3.1, 30), (-7.0, 5.5, 25)):
            values = np.concatenate([np.linspace(lo, hi, 4 * bins + 1),
                                     np.arange(lo, hi, (hi - lo) / bins)])
            ea, ta = _pair(values, dtype)
            e = ember.histogram(ea, bins, range=(lo, hi))
            t = torch.histogram(ta, bins, range=(lo, hi))
            _same(e.bin_edges, t.bin_edges, exact=True)
            _same(e.hist, t.hist, exact=True)
            e, t = ember.histogram(ea, bins), torch.histogram(ta, bins)
            _same(e.bin_edges, t.bin_edges, exact=True)
            _same(e.hist, t.hist, exact=True)


def test_histogram_corner_cases():
    cases = [
        lambda m: m.histogram(m.arange(7.0)),  # 100 bins by default
        lambda m: m.histogram(m.tensor([1.0, 1.0]), 4),  # one value: widened by 0.5 each way
        lambda m: m.histogram(m.empty(0), 4, density=True),  # [0, 1]; 0 / 0
        lambda m: m.histogram(m.tensor(1.5), 2, weight=m.tensor(3.0)),
        lambda m: m.histogram(m.tensor([1.0, 2, 1, 3, 0.5]), m.tensor([3.0, 1.0, 2.0])),
        lambda m: m.histogram(m.tensor([1.0, 2, 1, 3]), 3, weight=m.tensor([-1.0, 2.0, 3.0, 4.0])),
        lambda m: m.histogram(m.tensor([1.0, 2, 1, 3]), 3, range=(5.0, 6.0), density=True),
        lambda m: m.histogram(m.tensor([-3e38, 3e38]), 3),  # float32 edges overflow, as torch's
        lambda m: m.histogram(m.tensor([1.0, 2.0, 0.3, 2.9]).half(), 7, range=(0.1, 2.9)),
        lambda m: m.histogram(m.tensor([1.0, 2.0, 0.3]).bfloat16(),
                              m.tensor([0.0, 1.0, 2.0]).bfloat16()),
    ]
    for f in cases:
        e, t = f(ember), f(torch)
        _same(e.bin_edges, t.bin_edges, exact=True)
        _same(e.hist, t.hist)
    r = ember.histogram(ember.tensor([1.0, 2.0]), 2)
    assert type(r).__name__ == "histogram" and r._fields == ("hist", "bin_edges")
    hist, edges = r
    assert hist.tolist() == [1.0, 1.0] and edges.tolist() == [1.0, 1.5, 2.0]
    out = (ember.empty(0), ember.empty(0))
    r = ember.histogram(ember.tensor([1.0, 2, 1, 3]), 3, out=out)
    assert r.hist is out[0] and r.bin_edges is out[1] and out[0].tolist() == [2.0, 1.0, 1.0]


def test_histogram_has_no_derivative():
    """torch's results require grad when an input does, and their backward refuses."""
    for m in (ember, torch):
        x = m.tensor([1.0, 2, 1, 3], requires_grad=True)
        w = m.tensor([1.0, 2, 3, 4], requires_grad=True)
        for r in (m.histogram(x, 3), m.histogram(x.detach(), 3, weight=w),
                  m.histogram(x.detach(), m.tensor([1.0, 2.0, 3.0], requires_grad=True))):
            assert r.hist.requires_grad and r.bin_edges.requires_grad
            with pytest.raises(RuntimeError):
                r.hist.sum().backward()
        assert not m.histogram(x.detach(), 3).hist.requires_grad


# ---- bad arguments ------------------------------------------------------------------------------

BAD = {
    "cov of a 3-D tensor": lambda m: m.cov(m.ones(2, 2, 2)),
    "cov of bools": lambda m: m.cov(m.ones(2, 3, dtype=m.bool)),
    "cov of a list": lambda m: m.cov([[1.0, 2.0]]),
    "cov with a float correction": lambda m: m.cov(m.ones(2, 3), correction=1.5),
    "cov with float fweights": lambda m: m.cov(m.ones(2, 3), fweights=m.ones(3)),
    "cov with 2-D fweights": lambda m: m.cov(m.ones(2, 3), fweights=m.ones(1, 3, dtype=m.int64)),
    "cov with too few fweights": lambda m: m.cov(m.ones(2, 3), fweights=m.ones(2, dtype=m.int64)),
    "cov with negative fweights": lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1, -1, 1])),
    "cov with integer aweights": lambda m: m.cov(m.ones(2, 3), aweights=m.ones(3, dtype=m.int64)),
    "cov with NaN aweights": lambda m: m.cov(m.ones(2, 3),
                                             aweights=m.tensor([1.0, float("nan"), 1.0])),
    "cov with zero weights": lambda m: m.cov(m.ones(2, 3), aweights=m.zeros(3)),
    "cov with weights but no observations": lambda m: m.cov(
        m.ones(2, 0), fweights=m.ones(0, dtype=m.int64)),
    "corrcoef of a 3-D tensor": lambda m: m.corrcoef(m.ones(2, 2, 2)),
    "quantile with q > 1": lambda m: m.quantile(m.rand(3), 1.5),
    "quantile with q NaN": lambda m: m.quantile(m.rand(3), float("nan")),
    "quantile with a negative q in a tensor": lambda m: m.quantile(m.rand(3),
                                                                   m.tensor([-0.1, 0.5])),
    "quantile of integers": lambda m: m.quantile(m.arange(3), 0.5),
    "quantile of halfs": lambda m: m.quantile(m.rand(3).half(), 0.5),
    "quantile with a double q for floats": lambda m: m.quantile(
        m.rand(3), m.tensor([0.5], dtype=m.float64)),
    "quantile with a 2-D q": lambda m: m.quantile(m.rand(3), m.tensor([[0.5]])),
    "quantile with a list q": lambda m: m.quantile(m.rand(3), [0.5]),
    "quantile with an unknown interpolation": lambda m: m.quantile(m.rand(3), 0.5,
                                                                   interpolation="cubic"),
    "quantile along a dim out of range": lambda m: m.quantile(m.rand(3), 0.5, dim=1),
    "quantile along a tuple of dims": lambda m: m.quantile(m.rand(3), 0.5, dim=(0,)),
    "quantile of an empty tensor": lambda m: m.quantile(m.empty(0, 3), 0.5, dim=1),
    "quantile into a double out": lambda m: m.quantile(m.rand(3), 0.5,
                                                       out=m.empty(0, dtype=m.float64)),
    "nanquantile of an empty tensor": lambda m: m.nanquantile(m.empty(0), 0.5),
    "isin of bools": lambda m: m.isin(m.tensor([True]), m.tensor([True])),
    "isin of complex numbers": lambda m: m.isin(m.tensor([1j]), m.tensor([1j])),
    "isin of a bool scalar": lambda m: m.isin(m.tensor([1]), True),
    "isin of two scalars": lambda m: m.isin(1, 2),
    "isin of a list": lambda m: m.isin([1, 2], m.tensor([1])),
    "histogram with no bins": lambda m: m.histogram(m.rand(3), 0),
    "histogram with a float number of bins": lambda m: m.histogram(m.rand(3), 3.0),
    "histogram of integers": lambda m: m.histogram(m.arange(3), 3),
    "histogram of integers in a range": lambda m: m.histogram(m.arange(3), 3, range=(0.0, 2.0)),
    "histogram of halfs without a range": lambda m: m.histogram(m.rand(3).half(), 3),
    "histogram over a reversed range": lambda m: m.histogram(m.rand(3), 3, range=(1.0, 0.0)),
    "histogram over an infinite range": lambda m: m.histogram(m.rand(3), 3,
                                                              range=(0.0, float("inf"))),
    "histogram with a range of 3": lambda m: m.histogram(m.rand(3), 3, range=(0.0, 1.0, 2.0)),
    "histogram of a NaN": lambda m: m.histogram(m.tensor([1.0, float("nan")]), 3),
    "histogram with double edges for floats": lambda m: m.histogram(
        m.rand(3), m.tensor([0.0, 1.0], dtype=m.float64)),
    "histogram with 2-D edges": lambda m: m.histogram(m.rand(3), m.tensor([[0.0, 1.0]])),
    "histogram with one edge": lambda m: m.histogram(m.rand(3), m.tensor([1.0])),
    "histogram with edges and a range": lambda m: m.histogram(m.rand(3), m.tensor([0.0, 1.0]),
                                                              range=(0.0, 1.0)),
    "histogram with double weights": lambda m: m.histogram(m.rand(3), 3,
                                                           weight=m.ones(3, dtype=m.float64)),
    "histogram with too few weights": lambda m: m.histogram(m.rand(3), 3, weight=m.ones(2)),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_raises_what_torch_raises(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as expected:
            BAD[case](torch)
        with pytest.raises(type(expected.value)):
            BAD[case](ember)


def test_tensor_methods():
    a = _rng("methods").normal(size=(3, 8))
    ex, tx = _pair(a, "float64")
    _same(ex.cov(correction=0), tx.cov(correction=0))
    _same(ex.corrcoef(), tx.corrcoef())
    _same(ex.quantile(0.25, 1, True, interpolation="higher"),
          tx.quantile(0.25, 1, True, interpolation="higher"), exact=True)
    _same(ex.nanquantile(ember.tensor([0.5, 0.9], dtype=ember.float64), 0),
          tx.nanquantile(torch.tensor([0.5, 0.9], dtype=torch.float64), 0), exact=True)
    e, t = ex.histogram(4, range=(-1.0, 1.0)), tx.histogram(4, range=(-1.0, 1.0))
    _same(e.hist, t.hist, exact=True)
