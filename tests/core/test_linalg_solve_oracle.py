"""Dense solvers against torch: linalg.solve/inv/det/slogdet/cholesky/solve_triangular/
lstsq, their _ex forms and torch's top-level aliases (values, gradients, errors).

On the cuda device the same cases run ember's cuSOLVER kernels (backends/cuda/linalg.py)
against torch's CPU results.
"""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

TOL = {np.float64: 1e-9, np.float32: 2e-4}


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _spd(shape, seed=0, dtype=np.float64):
    """Symmetric positive-definite matrices (batched), comfortably conditioned."""
    x = _rand(shape, seed, np.float64)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def _close(e, t, tol):
    t = t.detach().numpy()
    e = np.asarray(e.detach().cpu())
    assert e.shape == t.shape
    scale = float(np.abs(t[np.isfinite(t)]).max(initial=0))
    np.testing.assert_allclose(e, t, rtol=tol, atol=tol * max(1.0, scale))


def _outputs(r):
    return [r] if not isinstance(r, tuple) else [o for o in r if o is not None]


def _check(device, e_fn, t_fn, *arrays, grad=True, tol=None, op=None):
    """e_fn on ember tensors against t_fn on torch tensors made from the same arrays:
    every output and, for float64 with grad, the gradient of a weighted sum of the float
    outputs, on ember tensors of the device under test."""
    tol = tol or TOL[arrays[0].dtype.type]
    grad = grad and arrays[0].dtype == np.float64
    ex = [ember.tensor(a, requires_grad=grad) for a in arrays]
    assert all(e.device.type == device for e in ex)
    tx = [torch.tensor(a, requires_grad=grad) for a in arrays]
    eo, to = _outputs(e_fn(*ex)), _outputs(t_fn(*tx))
    assert len(eo) == len(to)
    for e, t in zip(eo, to):
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert e.device.type == device
        _close(e, t, tol)
    if not grad:
        return
    el = tl = 0
    for i, (e, t) in enumerate(zip(eo, to)):
        if t.dtype.is_floating_point and t.requires_grad and t.numel():
            w = _rand(tuple(t.shape), seed=100 + i)
            el = el + (e * ember.tensor(w)).sum()
            tl = tl + (t * torch.tensor(w)).sum()
    el.backward()
    tl.backward()
    for e, t in zip(ex, tx):
        if t.grad is None:
            assert e.grad is None or not np.asarray(e.grad.cpu()).any()
        else:
            _close(e.grad, t.grad, tol)


DTYPES = [np.float64, np.float32]


# ---- solve ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 3)), ((4, 4), (2, 3, 4, 2)), ((2, 1, 3, 3), (5, 3, 1)),
    ((3, 3), (3,)), ((2, 3, 3), (2, 3)), ((1, 1), (1, 4)), ((12, 12), (12, 5))])
def test_solve(device, dtype, a_shape, b_shape):
    A, B = _rand(a_shape, 1, dtype), _rand(b_shape, 2, dtype)
    _check(device, ember.linalg.solve, torch.linalg.solve, A, B, op="linalg.solve")


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (2, 3)), ((2, 4, 4), (2, 5, 4)),
                                             ((4, 4), (3, 1, 4))])
def test_solve_left_false(device, a_shape, b_shape):
    A, B = _rand(a_shape, 3), _rand(b_shape, 4)
    _check(device, lambda a, b: ember.linalg.solve(a, b, left=False),
           lambda a, b: torch.linalg.solve(a, b, left=False), A, B)


def test_solve_non_contiguous(device):
    A, B = _rand((2, 5, 5), 5), _rand((2, 5, 8), 6)
    _check(device, lambda a, b: ember.linalg.solve(a.mT, b[..., ::2]),
           lambda a, b: torch.linalg.solve(a.mT, b[..., ::2]), A, B)
    _check(device, lambda a, b: ember.linalg.solve(a[0].expand(3, 5, 5), b[:1, :, 1:5]),
           lambda a, b: torch.linalg.solve(a[0].expand(3, 5, 5), b[:1, :, 1:5]), A, B)


def test_solve_ex_info(device):
    A = _rand((3, 4, 4), 7)
    A[1, :, 2] = 0.0
    B = _rand((3, 4, 2), 8)
    _check(device, lambda a, b: ember.linalg.solve_ex(a, b).info,
           lambda a, b: torch.linalg.solve_ex(a, b).info, A, B, grad=False)


# ---- inv, det, slogdet, logdet ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 5, 5), (2, 1, 4, 4), (1, 1)])
def test_inv_det_slogdet(device, dtype, shape):
    A = _rand(shape, 9, dtype)
    _check(device, ember.linalg.inv, torch.linalg.inv, A, op="linalg.inv")
    _check(device, ember.inverse, torch.inverse, A)
    _check(device, ember.linalg.det, torch.linalg.det, A, op="linalg.det")
    _check(device, ember.det, torch.det, A)
    _check(device, lambda a: tuple(ember.linalg.slogdet(a)), lambda a: tuple(torch.linalg.slogdet(a)),
           A, op="linalg.slogdet")
    _check(device, lambda a: a.slogdet().logabsdet, lambda a: a.slogdet().logabsdet, A)


def test_logdet_signs(device):
    A = np.stack([_spd((3, 3), 10), -_spd((3, 3), 11), np.zeros((3, 3))])
    _check(device, ember.logdet, torch.logdet, A, grad=False, op="logdet")
    _check(device, lambda a: a.logdet(), lambda a: a.logdet(), A[:1])


def test_det_non_contiguous_and_singular_values(device):
    A = _rand((3, 4, 4), 12)
    _check(device, lambda a: ember.linalg.det(a.mT[:, ::1, :]), lambda a: torch.linalg.det(a.mT),
           A)
    Z = A.copy()
    Z[0, 1] = 0.0  # exactly singular: a zero pivot, sign 0, log|det| -inf
    _check(device, lambda a: tuple(ember.linalg.slogdet(a)) + (ember.linalg.det(a),),
           lambda a: tuple(torch.linalg.slogdet(a)) + (torch.linalg.det(a),), Z, grad=False)


def test_inv_ex_info(device):
    A = _rand((2, 3, 3), 13)
    A[0] = 0.0
    _check(device, lambda a: ember.linalg.inv_ex(a).info,
           lambda a: torch.linalg.inv_ex(a).info, A, grad=False)


# ---- cholesky ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (1, 1)])
def test_cholesky(device, dtype, upper, shape):
    S = _spd(shape, 14, dtype)
    # the triangle the factorization does not read holds garbage: ignored by both
    n = shape[-1]
    garbage = np.triu(np.full((n, n), 7.0), 1)
    S = S + (garbage.T if upper else garbage).astype(dtype)
    _check(device, lambda a: ember.linalg.cholesky(a, upper=upper),
           lambda a: torch.linalg.cholesky(a, upper=upper), S, grad=False, op="linalg.cholesky")


def test_cholesky_gradient(device):
    X = _rand((2, 4, 4), 15)

    def sym(lib):
        return lambda x: lib.linalg.cholesky(x @ x.mT + 4 * lib.eye(4, dtype=x.dtype))

    _check(device, sym(ember), sym(torch), X)


def test_cholesky_ex_info(device):
    S = np.stack([_spd((3, 3), 16), -np.eye(3), np.diag([1.0, 1.0, -1.0])])
    _check(device, lambda a: ember.linalg.cholesky_ex(a).info,
           lambda a: torch.linalg.cholesky_ex(a).info, S, grad=False)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(device, upper):
    S, B = _spd((2, 4, 4), 17), _rand((2, 4, 3), 18)
    L = torch.linalg.cholesky(torch.tensor(S), upper=upper).numpy()
    _check(device, lambda b, f: ember.cholesky_solve(b, f, upper),
           lambda b, f: torch.cholesky_solve(b, f, upper), B, L, op="cholesky_solve")
    _check(device, lambda f: ember.cholesky_inverse(f, upper),
           lambda f: torch.cholesky_inverse(f, upper), L)
    _check(device, lambda f: f.cholesky_inverse(upper), lambda f: f.cholesky_inverse(upper), L)
    _check(device, lambda b, f: b.cholesky_solve(f[0], upper),
           lambda b, f: b.cholesky_solve(f[0], upper), B, L)


# ---- solve_triangular ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(device, dtype, upper, left, unit):
    A = _rand((2, 4, 4), 19, dtype) + 4 * np.eye(4, dtype=dtype)
    B = _rand((3, 1, 4, 2) if left else (3, 1, 2, 4), 20, dtype)

    def run(lib):
        return lambda a, b: lib.linalg.solve_triangular(a, b, upper=upper, left=left,
                                                        unitriangular=unit)

    _check(device, run(ember), run(torch), A, B, op="linalg.solve_triangular")


# ---- lstsq -----------------------------------------------------------------------------------

DRIVERS = ["gels", "gelsy", "gelsd", "gelss"]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a_shape,b_shape", [
    ((6, 3), (6, 2)), ((3, 6), (3, 2)), ((4, 4), (4, 1)), ((2, 7, 4), (2, 7, 3)),
    ((2, 3, 5), (1, 3, 2)), ((6, 3), (6,)), ((2, 6, 3), (2, 6)), ((1, 5, 2), (3, 5, 2))])
def test_lstsq(device, driver, dtype, a_shape, b_shape):
    A, B = _rand(a_shape, 21, dtype), _rand(b_shape, 22, dtype)
    tol = 1e-3 if dtype == np.float32 else None
    # the gradient needs no rank: gelsy/gels carry it for tall and wide inputs alike
    _check(device, lambda a, b: tuple(ember.linalg.lstsq(a, b, driver=driver)),
           lambda a, b: tuple(torch.linalg.lstsq(a, b, driver=driver)), A, B, tol=tol,
           op="linalg.lstsq")


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss"])
def test_lstsq_default_driver_and_rank_deficient(device, driver):
    A = _rand((2, 7, 4), 23)
    A[..., 3] = A[..., 0] - 2 * A[..., 1]  # rank 3
    B = _rand((2, 7, 2), 24)
    _check(device, lambda a, b: tuple(ember.linalg.lstsq(a, b, driver=driver)),
           lambda a, b: tuple(torch.linalg.lstsq(a, b, driver=driver)), A, B, grad=False,
           tol=1e-7)


def test_lstsq_rcond(device):
    # columns 100x above and 1000x below rcond: gelsy's rank comes from an estimate of the
    # condition number, and with 10x margins torch's once came out one lower
    A = _rand((6, 4), 25) * np.array([1.0, 1.0, 1e-2, 1e-7])
    B = _rand((6, 2), 26)
    _check(device, lambda a, b: tuple(ember.linalg.lstsq(a, b, rcond=1e-4)),
           lambda a, b: tuple(torch.linalg.lstsq(a, b, rcond=1e-4)), A, B, grad=False,
           tol=1e-7)
    # gelsd truncates the SVD where ember truncates the pivoted QR (see ops/solve.py): the
    # same rank and singular values, solutions apart by about the dropped singular value
    _check(device, lambda a, b: ember.linalg.lstsq(a, b, 1e-4, driver="gelsd")[2:],
           lambda a, b: torch.linalg.lstsq(a, b, 1e-4, driver="gelsd")[2:], A, B, grad=False)


def test_lstsq_non_contiguous(device):
    A, B = _rand((2, 4, 8), 27), _rand((2, 8, 5), 28)
    _check(device, lambda a, b: ember.linalg.lstsq(a.mT, b[..., ::2]).solution,
           lambda a, b: torch.linalg.lstsq(a.mT, b[..., ::2]).solution, A, B)


# ---- gradcheck / gradgradcheck (ember's own numeric checks, float64) -------------------------

def _gradchecks():
    spd = lambda x: x @ x.mT + 3 * ember.eye(3, dtype=x.dtype)  # noqa: E731
    return {
        "solve": (lambda a, b: ember.linalg.solve(a, b), [(2, 3, 3), (2, 3, 2)]),
        "solve_right_broadcast": (lambda a, b: ember.linalg.solve(a, b, left=False),
                                  [(3, 3), (2, 2, 3)]),
        "inv": (ember.linalg.inv, [(2, 3, 3)]),
        "det": (ember.linalg.det, [(2, 3, 3)]),
        "slogdet": (lambda a: ember.linalg.slogdet(a).logabsdet, [(3, 3)]),
        "cholesky": (lambda x: ember.linalg.cholesky(spd(x)), [(2, 3, 3)]),
        "cholesky_upper": (lambda x: ember.linalg.cholesky(spd(x), upper=True), [(3, 3)]),
        "solve_triangular": (lambda a, b: ember.linalg.solve_triangular(
            a + 3 * ember.eye(3, dtype=a.dtype), b, upper=True), [(3, 3), (3, 2)]),
        "cholesky_solve": (lambda x, b: ember.cholesky_solve(b, ember.linalg.cholesky(spd(x))),
                           [(3, 3), (3, 2)]),
        "lstsq_tall": (lambda a, b: ember.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)]),
        "lstsq_wide": (lambda a, b: ember.linalg.lstsq(a, b, driver="gels").solution,
                       [(2, 3, 5), (2, 3, 2)]),
        "lstsq_residuals": (lambda a, b: ember.linalg.lstsq(a, b, driver="gels").residuals,
                            [(5, 3), (5, 2)]),
    }


@pytest.mark.cpu_only
@pytest.mark.parametrize("name", list(_gradchecks()))
def test_gradcheck_and_gradgradcheck(name):
    fn, shapes = _gradchecks()[name]
    args = [ember.tensor(_rand(s, 30 + i) + (2 * np.eye(s[-1]) if i == 0 and s[-1] == s[-2]
                                             else 0), requires_grad=True)
            for i, s in enumerate(shapes)]
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


# ---- errors ---------------------------------------------------------------------------------

def _same_error(device, e_fn, t_fn, *arrays, etype=None):
    """Both raise; ember's message is torch's and its type torch's (LinAlgError for
    _LinAlgError)."""
    ex = [ember.tensor(a) for a in arrays]
    tx = [torch.tensor(a) for a in arrays]
    with pytest.raises(Exception) as te:
        t_fn(*tx)
    with pytest.raises(Exception) as ee:
        e_fn(*ex)
    expected = etype or (ember.linalg.LinAlgError if te.type.__name__ == "_LinAlgError"
                         else te.type)
    assert ee.type is expected
    assert str(ee.value) == str(te.value)


def test_singular_inputs_raise_linalg_error(device):
    Z = np.zeros((3, 3))
    Zb = np.stack([np.eye(3), Z])
    B = np.ones((3, 1))
    _same_error(device, ember.linalg.solve, torch.linalg.solve, Z, B)
    _same_error(device, ember.linalg.solve, torch.linalg.solve, Zb, np.ones((2, 3, 1)))
    _same_error(device, ember.linalg.inv, torch.linalg.inv, Z)
    _same_error(device, ember.linalg.inv, torch.linalg.inv, Zb)
    _same_error(device, ember.linalg.cholesky, torch.linalg.cholesky, -np.eye(3))
    _same_error(device, ember.linalg.cholesky, torch.linalg.cholesky,
                np.stack([np.eye(3), np.diag([1.0, 1.0, -1.0])]))
    C = _rand((5, 3), 40)
    C[:, 1] = 0.0  # a zero column: R_22 is exactly zero
    _same_error(device, lambda a, b: ember.linalg.lstsq(a, b, driver="gels"),
                lambda a, b: torch.linalg.lstsq(a, b, driver="gels"), C, np.ones((5, 1)))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_argument_errors_match_torch(device):
    sq, vec = np.eye(3), np.ones(3)
    cases = [
        (lambda L: L.linalg.solve, (np.ones((2, 3)), np.ones(2))),
        (lambda L: L.linalg.solve, (vec, vec)),
        (lambda L: L.linalg.solve, (sq, np.ones(4))),
        (lambda L: L.linalg.solve, (sq, np.ones((3, 2)).astype(np.float32))),
        (lambda L: L.linalg.solve, (sq.astype(np.int64), vec.astype(np.int64))),
        (lambda L: L.linalg.solve, (np.ones((2, 3, 3)), np.ones((3, 3, 1)))),
        (lambda L: (lambda a, b: L.linalg.solve(a, b, left=False)), (sq, np.ones((3, 2)).T.T)),
        (lambda L: L.linalg.inv, (np.ones((2, 3)),)),
        (lambda L: L.linalg.inv, (vec,)),
        (lambda L: L.linalg.det, (np.ones((2, 3)),)),
        (lambda L: L.linalg.det, (sq.astype(np.int32),)),
        (lambda L: L.linalg.slogdet, (vec,)),
        (lambda L: L.logdet, (np.ones((2, 3)),)),
        (lambda L: L.linalg.cholesky, (np.ones((2, 3)),)),
        (lambda L: L.linalg.cholesky, (sq.astype(np.int64),)),
        (lambda L: L.linalg.lstsq, (vec, vec)),
        (lambda L: L.linalg.lstsq, (sq, np.ones((2, 3)))),
        (lambda L: L.linalg.lstsq, (sq, np.ones((1, 1, 3)))),
        (lambda L: L.linalg.lstsq, (sq, np.ones(3, np.float32))),
        (lambda L: L.linalg.lstsq, (sq.astype(np.int32), vec.astype(np.int32))),
        (lambda L: (lambda a, b: L.linalg.lstsq(a, b, driver="x")), (sq, vec)),
        (lambda L: (lambda a, b: L.linalg.solve_triangular(a, b, upper=True)), (sq, vec)),
        (lambda L: (lambda a, b: L.linalg.solve_triangular(a, b, upper=True)),
         (sq, np.ones((2, 3)))),
        (lambda L: L.cholesky_solve, (vec, sq)),
        (lambda L: L.cholesky_solve, (np.ones((2, 1)), sq)),
        (lambda L: L.cholesky_inverse, (np.ones((2, 3)),)),
    ]
    for make, arrays in cases:
        _same_error(device, make(ember), make(torch), *arrays)


def test_half_precision_is_not_implemented(device):
    A = np.eye(3, dtype=np.float16)
    with pytest.raises(NotImplementedError, match="lu_cpu"):
        ember.linalg.det(ember.tensor(A))
    with pytest.raises(RuntimeError, match="Low precision dtypes not supported"):
        ember.linalg.inv(ember.tensor(A))


# ---- empty inputs -----------------------------------------------------------------------------

def test_empty_batches_and_matrices(device):
    A0, B0 = np.ones((0, 3, 3)), np.ones((0, 3, 2))
    _check(device, ember.linalg.solve, torch.linalg.solve, A0, B0, grad=False)
    _check(device, ember.linalg.inv, torch.linalg.inv, A0, grad=False)
    _check(device, ember.linalg.det, torch.linalg.det, A0, grad=False)
    _check(device, ember.linalg.cholesky, torch.linalg.cholesky, A0, grad=False)
    _check(device, lambda a, b: ember.linalg.lstsq(a, b).solution,
           lambda a, b: torch.linalg.lstsq(a, b).solution, np.ones((0, 5, 3)),
           np.ones((0, 5, 2)), grad=False)
    E = np.ones((2, 0, 0))
    _check(device, ember.linalg.det, torch.linalg.det, E, grad=False)
    _check(device, lambda a: tuple(ember.linalg.slogdet(a)),
           lambda a: tuple(torch.linalg.slogdet(a)), E, grad=False)
    _check(device, ember.linalg.inv, torch.linalg.inv, E, grad=False)


def test_operands_on_two_devices_raise(device):
    """A CPU operand with a CUDA one: torch's error, nothing moved between devices."""
    if device == "cpu":
        return
    A, B = _rand((3, 3), 50), _rand((3, 2), 51)
    for fn in (ember.linalg.solve, lambda a, b: ember.linalg.lstsq(a, b).solution,
               lambda a, b: ember.linalg.solve_triangular(a, b, upper=True)):
        for ea, eb in ((ember.tensor(A, device="cpu"), ember.tensor(B)),
                       (ember.tensor(A), ember.tensor(B, device="cpu"))):
            with pytest.raises(RuntimeError, match="Expected all tensors to be on the same "
                                                   "device, but found at least two devices"):
                fn(ea, eb)
    LU, piv = ember.linalg.lu_factor(ember.tensor(A + 3 * np.eye(3)))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.linalg.lu_solve(LU, piv.cpu(), ember.tensor(B))
