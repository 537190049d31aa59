"""Every op of op_db against PyTorch: forward values, result dtypes and shapes, and
gradients, on fresh random inputs of several shapes including non-contiguous views,
broadcasting, 0-d and empty tensors."""

import numpy as np
import pytest

import ember

from op_db import OPS

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle


def _make_inputs(info, shapes, dtype, rng):
    transposed = shapes[-1] == "transposed"
    shapes = [s for s in shapes if s != "transposed"]
    arrays = []
    for shape in shapes:
        alloc = tuple(reversed(shape)) if transposed else shape
        if dtype in ("float32", "float64", "float16", "bfloat16"):
            lo, hi = info.domain or (-2.0, 2.0)
            a = rng.uniform(lo, hi, size=alloc)
        elif dtype == "uint8":
            a = rng.integers(0, info.int_high, size=alloc)
        else:
            a = rng.integers(-info.int_high, info.int_high, size=alloc)
        arrays.append(a.T if transposed else a)
    return arrays


def _to(mod, a, dtype):
    if mod is torch:
        t = torch.tensor(np.ascontiguousarray(a.T).T if a.ndim else a,
                         dtype=getattr(torch, "float64" if dtype == "bfloat16" else dtype))
        t = t.to(getattr(torch, dtype))
        return t
    t = ember.tensor(np.asarray(a), dtype=getattr(ember, "float64" if dtype == "bfloat16"
                                                  else dtype))
    return t.to(getattr(ember, dtype))


def _as_np(t):
    if hasattr(t, "cpu"):
        t = t.cpu()
    if hasattr(t, "dtype") and str(t.dtype).endswith("bfloat16"):
        t = t.float()
    if hasattr(t, "detach"):
        t = t.detach()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _compare(e, t, info, dtype, what):
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], \
        f"{info.name} {what}: dtype {e.dtype} != torch {t.dtype}"
    assert tuple(e.shape) == tuple(t.shape), \
        f"{info.name} {what}: shape {tuple(e.shape)} != torch {tuple(t.shape)}"
    en, tn = _as_np(e), _as_np(t)
    if en.dtype.kind in "biu":
        np.testing.assert_array_equal(en, tn, err_msg=f"{info.name} {what}")
        return
    tol = {"float16": (1e-3, 1e-2), "bfloat16": (1e-2, 2e-2)}.get(dtype, (info.atol, info.rtol))
    np.testing.assert_allclose(en.astype(np.float64), tn.astype(np.float64), atol=tol[0],
                               rtol=tol[1], equal_nan=True, err_msg=f"{info.name} {what}")


CASES = [(info, shapes, dtype) for info in OPS for shapes in info.shapes for dtype in info.dtypes]


@pytest.mark.parametrize("info,shapes,dtype", CASES,
                         ids=[f"{i.name}-{'x'.join(map(str, s[0]))}-{d}" for i, s, d in CASES])
def test_op_matches_torch(info, shapes, dtype, on_device):
    device = on_device
    rng = np.random.default_rng(abs(hash((info.name, str(shapes), dtype))) % 2 ** 32)
    arrays = _make_inputs(info, shapes, dtype, rng)
    grad = info.grad and dtype in ("float32", "float64")
    ets = [_to(ember, a, dtype).to(device).requires_grad_(grad) for a in arrays]
    tts = [_to(torch, a, dtype).requires_grad_(grad) for a in arrays]
    try:
        tout = info.fn(torch, *tts)
    except (RuntimeError, IndexError, ValueError, TypeError) as err:
        with pytest.raises(type(err)):
            info.fn(ember, *ets)
        return
    eout = info.fn(ember, *ets)
    assert eout.device.type == device, f"{info.name}: result on {eout.device}, not {device}"
    _compare(eout, tout, info, dtype, "forward")
    if not grad or not tout.requires_grad or not tout.dtype.is_floating_point:
        return
    gout = rng.standard_normal(tuple(tout.shape))
    tgrads = torch.autograd.grad(tout, tts, torch.tensor(gout, dtype=tout.dtype),
                                 allow_unused=True)
    egrads = ember.autograd.grad(eout, ets, ember.tensor(gout, dtype=eout.dtype, device=device),
                                 allow_unused=True)
    for k, (eg, tg) in enumerate(zip(egrads, tgrads)):
        if tg is None:
            assert eg is None or not _as_np(eg).any(), f"{info.name}: grad {k} should be None"
            continue
        assert eg is not None, f"{info.name}: grad {k} missing"
        _compare(eg, tg, info, dtype, f"grad {k}")


# Piecewise ops are left to the torch comparison above: finite differences are unreliable
# at their kinks.
PIECEWISE = {"sort", "topk", "kthvalue", "median", "mode", "cummax", "scatter_reduce_rows",
             "scatter_reduce_amax", "scatter_reduce_amax_without_self", "scatter_reduce_amin",
             "scatter_reduce_amin_without_self", "amax", "max_dim", "min_all",
             "norm_inf", "unique", "fmax", "fmin", "maximum", "minimum", "clamp", "clamp_min",
             "hardtanh", "relu6", "threshold", "leaky_relu", "frac", "remainder", "fmod",
             "round_decimals"}


@pytest.mark.parametrize("info", [i for i in OPS if i.grad and "float64" in i.dtypes
                                  and i.name not in PIECEWISE], ids=lambda i: i.name)
def test_gradcheck_float64(info, on_device):
    device = on_device
    rng = np.random.default_rng(7)
    shapes = [s for s in info.shapes[0] if s != "transposed"]
    shapes = [tuple(min(n, 3) for n in s) for s in shapes]
    arrays = _make_inputs(info, shapes, "float64", rng)
    ins = [ember.tensor(a, dtype=ember.float64, device=device, requires_grad=True)
           for a in arrays]
    assert ember.autograd.gradcheck(lambda *xs: info.fn(ember, *xs), ins, eps=1e-6, atol=1e-4)


SECOND_ORDER = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "sqrt", "mul", "div", "pow",
                "matmul", "sum", "mean", "var", "std", "logsumexp", "gelu", "silu", "softplus",
                "softsign", "elu", "selu", "erf", "atan", "asinh", "reciprocal", "square",
                "expm1", "log1p", "norm", "cumsum", "gather", "index_list", "where", "atan2",
                "hypot", "xlogy", "prod", "mish", "logsigmoid", "gelu_tanh", "cat", "einsum_bij"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_matches_torch(name, on_device):
    device = on_device
    info = next(i for i in OPS if i.name == name)
    rng = np.random.default_rng(11)
    shapes = [s for s in info.shapes[0] if s != "transposed"]
    arrays = _make_inputs(info, shapes, "float64", rng)
    ets = [ember.tensor(a, dtype=ember.float64, device=device, requires_grad=True)
           for a in arrays]
    tts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]

    def second(mod, ins):
        out = info.fn(mod, *ins)
        g = mod.autograd.grad(out.sum() if out.dim() else out, ins, create_graph=True)
        total = sum((x * x).sum() for x in g)
        if not total.requires_grad:  # first derivative constant in the inputs
            return [None] * len(ins)
        return mod.autograd.grad(total, ins, allow_unused=True)

    for eg, tg in zip(second(ember, ets), second(torch, tts)):
        if tg is None or eg is None:
            assert (tg is None or not tg.any()) and (eg is None or not _as_np(eg).any())
            continue
        np.testing.assert_allclose(_as_np(eg), _as_np(tg), rtol=1e-6, atol=1e-8,
                                   err_msg=f"second derivative of {name}")


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradgradcheck_float64(name, on_device):
    """Second derivatives against finite differences of the first (ember's own check)."""
    info = next(i for i in OPS if i.name == name)
    rng = np.random.default_rng(13)
    shapes = [tuple(min(n, 3) for n in s) for s in info.shapes[0] if s != "transposed"]
    ins = [ember.tensor(a, dtype=ember.float64, device=on_device, requires_grad=True)
           for a in _make_inputs(info, shapes, "float64", rng)]
    assert ember.autograd.gradgradcheck(lambda *xs: info.fn(ember, *xs), ins, eps=1e-6,
                                        atol=1e-4)


def test_promotion_table_matches_torch():
    names = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64",
             "uint8", "bool"]
    for a in names:
        for b in names:
            ea = getattr(ember, a if a != "bool" else "bool")
            eb = getattr(ember, b if b != "bool" else "bool")
            r = ember.promote_types(ea, eb)
            t = torch.promote_types(getattr(torch, a), getattr(torch, b))
            assert r.name == str(t).split(".")[-1], (a, b)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_scalar_and_zero_dim_promotion(scalar):
    for name in ["float16", "int8", "uint8", "int32", "bool", "float64"]:
        e = ember.ones(3, dtype=getattr(ember, name))
        t = torch.ones(3, dtype=getattr(torch, name))
        assert (e * scalar).dtype.name == str((t * scalar).dtype).split(".")[-1], (name, scalar)
        e0 = ember.tensor(1.5, dtype=ember.float64)
        t0 = torch.tensor(1.5, dtype=torch.float64)
        assert (e * e0).dtype.name == str((t * t0).dtype).split(".")[-1], name


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_matches_torch(right, on_device):
    rng = np.random.default_rng(2)
    seq = np.sort(rng.integers(-5, 5, (3, 9)).astype(np.float64), -1)
    seq[0, -2:] = np.nan  # NaN sorts last; torch's tests send a NaN value past everything
    vals = rng.integers(-6, 6, (3, 7)).astype(np.float64)
    vals[1, :2] = np.nan
    cases = [(seq, vals, {}), (seq[1], vals, {}), (seq[1], vals[0, :3].astype(np.int64), {}),
             (seq[2], 2.0, {}), (rng.permutation(seq[2]), vals[2], "sorter"),
             (seq, vals, {"out_int32": True}), (seq[:, :0], vals, {})]
    for s, v, kw in cases:
        if kw == "sorter":
            order = np.argsort(s, kind="stable")
            kw_e = {"sorter": ember.tensor(order)}
            kw_t = {"sorter": torch.tensor(order)}
        else:
            kw_e = kw_t = kw
        ev = ember.tensor(v) if isinstance(v, np.ndarray) else v
        tv = torch.tensor(v) if isinstance(v, np.ndarray) else v
        e = ember.searchsorted(ember.tensor(s), ev, right=right, **kw_e)
        t = torch.searchsorted(torch.tensor(s), tv, right=right, **kw_t)
        assert e.dtype.name == str(t.dtype).split(".")[-1] and e.device.type == on_device
        np.testing.assert_array_equal(e.cpu().numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        ember.searchsorted(ember.tensor(seq), ember.tensor(vals[:2]))


def test_triangle_indices_match_torch(on_device):
    for row, col, offset in [(3, 3, 0), (3, 3, 1), (4, 2, -1), (2, 5, 2), (0, 3, 0), (3, 4, -5)]:
        for name in ("triu_indices", "tril_indices"):
            e = getattr(ember, name)(row, col, offset)
            t = getattr(torch, name)(row, col, offset)
            assert e.dtype == ember.int64 and e.device.type == on_device
            np.testing.assert_array_equal(e.cpu().numpy(), t.numpy())
