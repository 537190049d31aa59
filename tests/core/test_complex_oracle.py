"""Complex tensors against torch: values and gradients (torch's convention: the gradient of a
real loss L w.r.t. z = x + iy is dL/dx + i dL/dy) of elementwise math, indexing, joins and
reductions, complex sampling, and save/load round trips of complex storages both ways."""

import io

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

_RNG = np.random.default_rng(7)
Z = (_RNG.standard_normal((3, 4)) + 1j * _RNG.standard_normal((3, 4)))
W = _RNG.standard_normal((16, 2))  # loss weights, cut to the output's size


def _dtypes(name):
    return getattr(ember, name), getattr(torch, name)


def _loss(out, lib, mod):
    """A real loss that sees the real and imaginary parts of out with different weights."""
    if out.dtype.is_complex:
        out = lib.view_as_real(out)
    w = np.resize(W, out.shape)
    return (out * mod.tensor(w, dtype=out.dtype)).sum()


def _check(fn, *inputs, dtype="complex128", tol=1e-9):
    """Runs fn on ember and torch tensors made from the same NumPy inputs (complex arrays
    become `dtype`, the rest keep theirs) and compares the result and every input's grad."""
    edt, tdt = _dtypes(dtype)
    e_in, t_in = [], []
    for x in inputs:
        if isinstance(x, np.ndarray) and np.iscomplexobj(x):
            e_in.append(ember.tensor(x, dtype=edt, requires_grad=True))
            t_in.append(torch.tensor(x, dtype=tdt, requires_grad=True))
        elif isinstance(x, np.ndarray):
            e_in.append(ember.tensor(x))
            t_in.append(torch.tensor(x))
        else:
            e_in.append(x)
            t_in.append(x)
    e_out, t_out = fn(ember, *e_in), fn(torch, *t_in)
    assert e_out.dtype.is_complex == t_out.dtype.is_complex
    np.testing.assert_allclose(e_out.detach().cpu().numpy(), t_out.detach().numpy(), rtol=tol,
                               atol=tol)
    grads = [x for x in e_in if isinstance(x, ember.Tensor) and x.requires_grad]
    t_grads = [x for x in t_in if isinstance(x, torch.Tensor) and x.requires_grad]
    eg = ember.autograd.grad(_loss(e_out, ember, ember), grads)
    tg = torch.autograd.grad(_loss(t_out, torch, torch), t_grads)
    for a, b in zip(eg, tg):
        assert a.dtype.is_complex
        np.testing.assert_allclose(a.cpu().numpy(), b.numpy(), rtol=tol, atol=tol)


# ---- elementwise ---------------------------------------------------------------------------

UNARY = {
    "exp": lambda m, z: m.exp(z),
    "log": lambda m, z: m.log(z),
    "sqrt": lambda m, z: m.sqrt(z),
    "reciprocal": lambda m, z: m.reciprocal(z),
    "square": lambda m, z: m.square(z),
    "sin": lambda m, z: m.sin(z),
    "cos": lambda m, z: m.cos(z),
    "tanh": lambda m, z: m.tanh(z),
    "neg": lambda m, z: -z,
    "pow2": lambda m, z: z ** 2,
    "pow3": lambda m, z: m.pow(z, 3),
    "pow_neg2": lambda m, z: z ** -2,
    "pow_half": lambda m, z: z ** 0.5,
    "pow_complex_scalar": lambda m, z: z ** (0.5 - 1j),
    "rpow": lambda m, z: 2.0 ** z,
    "abs": lambda m, z: z.abs(),
    "sum_dim": lambda m, z: z.sum(1),
    "mean_dims": lambda m, z: z.mean((0, 1)),
    "mean_keepdim": lambda m, z: z.mean(0, keepdim=True),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name):
    _check(UNARY[name], Z)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "pow_half"])
def test_unary_complex64(name):
    _check(UNARY[name], Z, dtype="complex64", tol=2e-5)


def test_tanh_large_real_part():
    z = np.array([30 + 1j, -50 - 2j, 400 + 0.5j])
    _check(UNARY["tanh"], z)


def test_pow_tensor_tensor():
    _check(lambda m, a, b: a ** b, Z, Z[::-1].copy() * 0.5)


def test_pow_real_tensor_complex_exponent():
    _check(lambda m, a, b: a ** b, np.abs(Z.real) + 0.5, Z)


def test_abs_gradient_at_zero_is_zero():
    z = Z.copy()
    z[0, 0] = 0
    z[2, 3] = 0
    _check(UNARY["abs"], z)
    e = ember.tensor(np.zeros(2, np.complex64), requires_grad=True)
    (g,) = ember.autograd.grad(e.abs().sum(), e)
    assert g.cpu().numpy().tolist() == [0j, 0j]


def test_pow_at_zero_integer_exponent():
    z = Z.copy()
    z[1, 1] = 0
    _check(lambda m, x: x ** 2, z)


# ---- indexing, joins and views ---------------------------------------------------------------

IDX = np.array([2, 0, 2])
GIDX = np.array([[3, 0], [1, 1], [0, 2]])
MASK = Z.real > 0
SHAPE_OPS = {
    "index_select0": lambda m, z: m.index_select(z, 0, m.tensor(IDX)),
    "index_select1": lambda m, z: z.index_select(1, m.tensor(IDX)),
    "gather": lambda m, z: m.gather(z, 1, m.tensor(GIDX)),
    "advanced": lambda m, z: z[m.tensor(IDX)],
    "advanced_2d": lambda m, z: z[m.tensor(IDX), m.tensor([1, 3, 0])],
    "advanced_slice": lambda m, z: z[1:, m.tensor([3, 3, 0])],
    "bool_mask": lambda m, z: z[m.tensor(MASK)],
    "transposed_index": lambda m, z: z.t()[m.tensor([1, 2])],
    "cat": lambda m, z: m.cat([z, z[:1] * 2], 0),
    "stack": lambda m, z: m.stack([z, z.conj()], 1),
    "flip": lambda m, z: z.flip(1),
    "roll": lambda m, z: z.roll(1, 0),
    "roll_flat": lambda m, z: z.roll(5),
    "narrow": lambda m, z: z.narrow(1, 1, 2),
    "where": lambda m, z: m.where(m.tensor(MASK), z, z * 2j),
    "where_scalar": lambda m, z: m.where(m.tensor(MASK), z, 1 - 2j),
}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_ops(name, dtype):
    _check(SHAPE_OPS[name], Z, dtype=dtype, tol=1e-6)


def test_index_put_with_grad():
    def fn(m, z, v):
        out = z * 1
        out[m.tensor([2, 0])] = v
        return out
    _check(fn, Z, Z[:2] * 3)


def test_setitem_no_grad():
    e = ember.tensor(Z, dtype=ember.complex64)
    t = torch.tensor(Z, dtype=torch.complex64)
    for x, m in ((e, ember), (t, torch)):
        x.t()[m.tensor([3, 1])] = m.tensor([[1j], [2 - 1j]], dtype=x.dtype)
    np.testing.assert_allclose(e.cpu().numpy(), t.numpy())


# ---- sampling ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["complex64", "complex128"])
def test_randn_rand_complex(name):
    edt, _ = _dtypes(name)
    z = ember.randn(4000, dtype=edt)
    assert z.dtype is edt and z.shape == (4000,)
    parts = ember.view_as_real(z).cpu().numpy()
    # torch's complex normal: each part N(0, 1/2)
    assert abs(parts.var(0) - 0.5).max() < 0.05 and abs(parts.mean(0)).max() < 0.05
    u = ember.view_as_real(ember.rand(2, 1000, dtype=edt)).cpu().numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.03
    assert ember.randn_like(z).dtype is edt


# ---- save / load -----------------------------------------------------------------------------

@pytest.mark.parametrize("legacy", [False, True])
def test_save_ember_load_torch(legacy):
    z = ember.tensor(Z, dtype=ember.complex64)
    state = {"z": z, "col": z[:, 1], "d": ember.tensor(Z[0], dtype=ember.complex128),
             "pairs": ember.view_as_complex(ember.tensor(Z.real.astype(np.float32)).reshape(6, 2))}
    buf = io.BytesIO()
    ember.save(state, buf, _use_new_zipfile_serialization=not legacy)
    buf.seek(0)
    got = torch.load(buf, weights_only=True, map_location="cpu")
    assert got["z"].dtype == torch.complex64 and got["d"].dtype == torch.complex128
    for k, v in state.items():
        np.testing.assert_array_equal(got[k].numpy(), v.cpu().numpy())
    assert got["col"].untyped_storage().data_ptr() == got["z"].untyped_storage().data_ptr()


@pytest.mark.parametrize("legacy", [False, True])
def test_save_torch_load_ember(legacy):
    z = torch.tensor(Z, dtype=torch.complex128)
    state = {"z": z.t(), "row": z[1], "f": torch.tensor(Z[0], dtype=torch.complex64)}
    buf = io.BytesIO()
    torch.save(state, buf, _use_new_zipfile_serialization=not legacy)
    buf.seek(0)
    got = ember.load(buf)
    assert got["z"].dtype is ember.complex128 and got["f"].dtype is ember.complex64
    for k, v in state.items():
        np.testing.assert_array_equal(got[k].numpy(), v.numpy())
    assert (got["row"] * 2j).cpu().numpy().tolist() == (z[1] * 2j).numpy().tolist()


def test_complex_equality_matches_torch_and_order_raises(device):
    pairs = [([1 + 1j, 2 + 0j, 3j], [1 + 1j, 2 + 1j, 3j]), ([1 + 0j, 2j], 1 + 0j),
             ([1.0, 2.0], 2 + 0j), ([1.0, 2.0], [1 + 0j, 2 + 1e-9j])]
    for left, right in pairs:
        for op in ("eq", "ne"):
            got = [getattr(m, op)(m.tensor(left), m.tensor(right) if isinstance(right, list)
                                  else right) for m in (ember, torch)]
            assert got[0].tolist() == got[1].tolist(), (op, left, right)
    z = ember.tensor([1 + 1j], device=device)
    assert (z == z).tolist() == [True] and ember.isclose(z, z + 1e-9).tolist() == [True]
    with pytest.raises(NotImplementedError, match="lt_cpu.*ComplexFloat"):
        ember.lt(z, z)


def test_conjugate_transposes_match_torch(device):
    a = np.random.default_rng(3).standard_normal((2, 3, 2)) * (1 + 0.5j) + 0.25j
    e, t = ember.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    for name in ("mH", "adjoint"):
        got = getattr(e, name)
        want = getattr(t, name)
        want = want() if callable(want) else want
        got = got() if callable(got) else got
        np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().resolve_conj().numpy())
    np.testing.assert_allclose(e[0].H.detach().cpu().numpy(), t[0].H.detach().resolve_conj().numpy())
    (e.mH.real.sum() * 2 + e.mH.imag.sum()).backward()
    (t.mH.real.sum() * 2 + t.mH.imag.sum()).backward()
    np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy())
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices"):
        _ = e.H
    r = ember.randn(2, 3, device=device)
    assert r.mH.data_ptr() == r.data_ptr() and r.H.shape == (3, 2)  # real: a view
