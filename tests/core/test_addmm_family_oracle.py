"""The addmm family (addmm, addmv, baddbmm, addbmm, addr) and vector norms against torch:
``out=`` is written and returned, and float16/bfloat16 results are rounded once, after
the float32 sum and scaling, as torch's reduced-precision kernels round them."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

# (name, shapes of input and the two operands)
FAMILY = [
    ("addmm", (5, 4), (5, 6), (6, 4)),
    ("addmv", (5,), (5, 6), (6,)),
    ("baddbmm", (3, 5, 4), (3, 5, 6), (3, 6, 4)),
    ("addbmm", (5, 4), (3, 5, 6), (3, 6, 4)),
    ("addr", (5, 4), (5,), (4,)),
]
SCALES = [(1, 1), (0.5, 3), (0, 2), (-1, 1), (0, 1)]
DTYPES = [("bfloat16", torch.bfloat16), ("float16", torch.float16), ("float32", torch.float32)]


def _operands(shapes, seed, scale):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("name,in_shape,a_shape,b_shape", FAMILY)
@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("dtype,torch_dtype", DTYPES)
def test_values_match_torch_bit_for_bit(device, name, in_shape, a_shape, b_shape, beta, alpha,
                                        dtype, torch_dtype):
    for seed in range(3):
        # large operands make the two terms cancel, where a second rounding shows most
        arrays = _operands((in_shape, a_shape, b_shape), seed, 20.0 if dtype != "float16" else 4.0)
        want = getattr(torch, name)(*(torch.tensor(a).to(torch_dtype) for a in arrays),
                                    beta=beta, alpha=alpha)
        got = getattr(ember, name)(*(ember.tensor(a, device=device).to(getattr(ember, dtype))
                                     for a in arrays), beta=beta, alpha=alpha)
        assert got.dtype == getattr(ember, dtype) and tuple(got.shape) == tuple(want.shape)
        w, g = want.float().numpy(), got.float().cpu().numpy()
        if dtype == "float32" or device != "cpu":
            # float32 GEMMs sum in other orders; cuBLAS's blocking differs from the CPU's
            np.testing.assert_allclose(g, w, rtol=2e-2 if dtype != "float32" else 1e-5,
                                       atol=0.5 if dtype != "float32" else 1e-3)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name,in_shape,a_shape,b_shape", FAMILY)
def test_out_is_written_and_returned(device, name, in_shape, a_shape, b_shape):
    arrays = _operands((in_shape, a_shape, b_shape), 7, 1.0)
    want = getattr(torch, name)(*(torch.tensor(a) for a in arrays), beta=0.5, alpha=2)
    out = ember.empty(want.shape, device=device)
    got = getattr(ember, name)(*(ember.tensor(a, device=device) for a in arrays), beta=0.5,
                               alpha=2, out=out)
    assert got is out
    np.testing.assert_allclose(out.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def test_reduced_precision_gradients_match_torch(device):
    arrays = _operands(((5, 4), (5, 6), (6, 4)), 3, 1.0)
    tt = [torch.tensor(a).bfloat16().requires_grad_() for a in arrays]
    et = [ember.tensor(a, device=device).bfloat16().requires_grad_() for a in arrays]
    torch.addmm(*tt, beta=0.5, alpha=3).float().sum().backward()
    ember.addmm(*et, beta=0.5, alpha=3).float().sum().backward()
    for e, t in zip(et, tt):
        assert e.grad.dtype == ember.bfloat16
        np.testing.assert_allclose(e.grad.float().cpu().numpy(), t.grad.float().numpy(),
                                   rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("dtype,torch_dtype", DTYPES[:2])
@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, float("inf"), 0])
def test_half_precision_norms_match_torch(device, dtype, torch_dtype, ord):
    rng = np.random.default_rng(11)
    for shape, dim in [((7,), None), ((33, 5), None), ((33, 5), 1), ((1000,), 0)]:
        a = rng.standard_normal(shape).astype(np.float32) * 3
        want = torch.linalg.vector_norm(torch.tensor(a).to(torch_dtype), ord, dim)
        got = ember.linalg.vector_norm(ember.tensor(a, device=device).to(getattr(ember, dtype)),
                                       ord, dim)
        assert got.dtype == getattr(ember, dtype)
        w, g = want.float().numpy(), got.float().cpu().numpy()
        if device == "cpu":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-2)
    x = torch.tensor(a).to(torch_dtype)
    assert ember.tensor(a).to(getattr(ember, dtype)).norm().float().item() == x.norm().float().item()
