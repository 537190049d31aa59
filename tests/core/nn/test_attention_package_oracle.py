"""ember.nn.attention against torch.nn.attention: SDPBackend, sdpa_kernel's flags (those
of backends.cuda), which calls run once MATH is off, and the causal biases of .bias as
scaled_dot_product_attention's attn_mask (values and gradients)."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import torch.nn.attention as tattn  # noqa: E402
import torch.nn.attention.bias as tbias  # noqa: E402
from ember.nn import attention as eattn  # noqa: E402
from ember.nn.attention import bias as ebias  # noqa: E402

DTYPES = {"float32": (ember.float32, torch.float32, 1e-5),
          "float64": (ember.float64, torch.float64, 1e-12)}


def _flags(backends) -> tuple:
    return (backends.cuda.flash_sdp_enabled(), backends.cuda.mem_efficient_sdp_enabled(),
            backends.cuda.math_sdp_enabled(), backends.cuda.cudnn_sdp_enabled())


def test_sdp_backend_enum_matches_torch():
    assert {m.name: int(m) for m in eattn.SDPBackend} == {
        name: int(m) for name, m in tattn.SDPBackend.__members__.items()}
    assert eattn.SDPBackend.__module__ == "ember.nn.attention"
    assert str(eattn.SDPBackend.MATH) == "SDPBackend.MATH" == str(tattn.SDPBackend.MATH)
    assert eattn.WARN_FOR_UNFUSED_KERNELS is tattn.WARN_FOR_UNFUSED_KERNELS is False


@pytest.mark.parametrize("names", [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION",
                                   "CUDNN_ATTENTION"], [], ["MATH", "MATH", "OVERRIDEABLE"],
                                   "CUDNN_ATTENTION"])
def test_sdpa_kernel_sets_and_restores_the_backend_flags_as_torch(names):
    def pick(enum):
        return getattr(enum, names) if isinstance(names, str) else [getattr(enum, n)
                                                                     for n in names]
    with eattn.sdpa_kernel(pick(eattn.SDPBackend)) as e_got, \
            tattn.sdpa_kernel(pick(tattn.SDPBackend)) as t_got:
        assert e_got == t_got == {}
        assert _flags(ember.backends) == _flags(torch.backends)
        assert ember.backends.cuda.sdp._enabled["overrideable"] is \
            torch._C._get_overrideable_sdp_enabled()
    assert _flags(ember.backends) == _flags(torch.backends) == (True,) * 4


def test_sdpa_kernel_restores_flags_set_before_it_and_after_an_error():
    ember.backends.cuda.enable_flash_sdp(False)
    try:
        with pytest.raises(KeyError), eattn.sdpa_kernel(eattn.SDPBackend.FLASH_ATTENTION):
            assert ember.backends.cuda.flash_sdp_enabled()
            raise KeyError
        assert not ember.backends.cuda.flash_sdp_enabled()
        assert ember.backends.cuda.math_sdp_enabled()
    finally:
        ember.backends.cuda.enable_flash_sdp(True)


def test_sdpa_kernel_set_priority_reorders_as_torch():
    order = ["CUDNN_ATTENTION", "MATH"]
    with eattn.sdpa_kernel([getattr(eattn.SDPBackend, n) for n in order], set_priority=True), \
            tattn.sdpa_kernel([getattr(tattn.SDPBackend, n) for n in order], set_priority=True):
        assert ember.backends.cuda.sdp._priority == torch._C._get_sdp_priority_order()
    assert ember.backends.cuda.sdp._priority == torch._C._get_sdp_priority_order()


def test_sdpa_kernel_as_decorator():
    @eattn.sdpa_kernel(eattn.SDPBackend.EFFICIENT_ATTENTION)
    def flags():
        return _flags(ember.backends)
    assert flags() == (False, True, False, False)
    assert _flags(ember.backends) == (True,) * 4


@pytest.mark.parametrize("backends", ["MATH", ("MATH",), {"MATH"}, None])
def test_sdpa_kernel_rejects_what_torch_rejects(backends):
    def build(enum):
        if isinstance(backends, str):
            return backends
        return None if backends is None else type(backends)(getattr(enum, n) for n in backends)
    with pytest.raises(AssertionError) as t_err, tattn.sdpa_kernel(build(tattn.SDPBackend)):
        pass
    with pytest.raises(AssertionError) as e_err, eattn.sdpa_kernel(build(eattn.SDPBackend)):
        pass
    assert str(e_err.value) == str(t_err.value)


def _qkv(lib, case):
    gen = np.random.default_rng(0)
    q_shape, k_shape, v_shape = {
        "plain": ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)),
        "3d": ((3, 4, 8), (3, 5, 8), (3, 5, 8)),
        "value_dim": ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)),
        "broadcast_batch": ((2, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8)),
        "gqa": ((2, 6, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)),
        "transposed": ((2, 3, 8, 4), (2, 3, 5, 8), (2, 3, 5, 8)),
    }[case]
    q, k, v = (lib.tensor(gen.standard_normal(s).astype(np.float32))
               for s in (q_shape, k_shape, v_shape))
    return (q.transpose(-1, -2) if case == "transposed" else q), k, v


@pytest.mark.parametrize("case, kwargs", [
    ("plain", {}), ("plain", {"dropout_p": 0.3}), ("plain", {"is_causal": True}),
    ("3d", {}), ("value_dim", {}), ("broadcast_batch", {}), ("gqa", {"enable_gqa": True}),
    ("gqa", {}), ("transposed", {})])
@pytest.mark.parametrize("names", [["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"], [],
                                   ["MATH"], ["CUDNN_ATTENTION", "FLASH_ATTENTION"]])
def test_without_math_a_call_runs_where_torchs_cpu_flash_kernel_would(case, kwargs, names):
    def outcome(lib, attn):
        with attn.sdpa_kernel([getattr(attn.SDPBackend, n) for n in names]):
            try:
                lib.nn.functional.scaled_dot_product_attention(*_qkv(lib, case), **kwargs)
            except RuntimeError:
                return "raises"
            return "runs"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch lists why each kernel declined
        expected = outcome(torch, tattn)
    assert outcome(ember, eattn) == expected


def test_no_viable_backend_message_names_the_reason():
    with eattn.sdpa_kernel(eattn.SDPBackend.FLASH_ATTENTION), \
            pytest.raises(RuntimeError, match="No viable backend.*dropout"):
        ember.nn.functional.scaled_dot_product_attention(*_qkv(ember, "plain"), dropout_p=0.5)


@pytest.mark.parametrize("make", ["causal_upper_left", "causal_lower_right"])
@pytest.mark.parametrize("size", [(3, 3), (3, 6), (5, 2), (1, 4)])
def test_materialized_bias_matches_torch(make, size):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_bias, t_bias = getattr(ebias, make)(*size), getattr(tbias, make)(*size)
    np.testing.assert_array_equal(e_bias._materialize().numpy(), t_bias._materialize().numpy())
    assert e_bias.variant == t_bias.variant and int(e_bias.variant) == int(t_bias.variant)
    assert (e_bias.seq_len_q, e_bias.seq_len_kv) == (t_bias.seq_len_q, t_bias.seq_len_kv)
    # ember's tensor printing pads an all-True bool tensor as if a False were present
    assert repr(e_bias).replace(" ", "") == repr(t_bias).replace(" ", "")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make", ["causal_upper_left", "causal_lower_right"])
@pytest.mark.parametrize("shape", [(2, 3, 4, 4, 8), (2, 2, 3, 7, 5), (1, 4, 6, 2, 4),
                                   (3, 1, 1, 5, 8)])
@pytest.mark.parametrize("extra", [{}, {"scale": 0.3}, {"enable_gqa": True}])
def test_causal_bias_attention_and_gradients_match_torch(device, dtype, make, shape, extra):
    e_dtype, t_dtype, tol = DTYPES[dtype]
    batch, heads, q_len, kv_len, head_dim = shape
    kv_heads = 1 if extra.get("enable_gqa") else heads
    gen = np.random.default_rng(sum(shape))
    arrays = [gen.standard_normal(s) for s in ((batch, heads, q_len, head_dim),
                                               (batch, kv_heads, kv_len, head_dim),
                                               (batch, kv_heads, kv_len, head_dim + 1))]
    grad_out = gen.standard_normal((batch, heads, q_len, head_dim + 1))
    t_in = [torch.tensor(a, dtype=t_dtype, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, dtype=e_dtype, device=device, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lower right with q_len > kv_len warns of NaNs
        t_bias, e_bias = getattr(tbias, make)(q_len, kv_len), getattr(ebias, make)(q_len, kv_len)
    t_out = torch.nn.functional.scaled_dot_product_attention(*t_in, attn_mask=t_bias, **extra)
    e_out = ember.nn.functional.scaled_dot_product_attention(*e_in, attn_mask=e_bias, **extra)
    t_out.backward(torch.tensor(grad_out, dtype=t_dtype))
    e_out.backward(ember.tensor(grad_out, dtype=e_dtype, device=device))
    np.testing.assert_allclose(e_out.detach().cpu().numpy(), t_out.detach().numpy(), rtol=tol, atol=tol)
    for e, t in zip(e_in, t_in):
        np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def test_causal_bias_errors_and_warning_match_torch():
    q = ember.randn(1, 1, 3, 4)
    with pytest.raises(ValueError, match="causal=True"):
        ember.nn.functional.scaled_dot_product_attention(
            q, q, q, attn_mask=ebias.causal_upper_left(3, 3), is_causal=True)
    for make in ("causal_upper_left", "causal_lower_right"):
        with pytest.raises(AssertionError) as t_err:
            getattr(tbias, make)(3)
        with pytest.raises(AssertionError) as e_err:
            getattr(ebias, make)(3, 4, 5)
        assert str(e_err.value) == str(t_err.value)
    with pytest.raises(AssertionError, match="variant must be a CausalVariant, got int"):
        ebias.CausalBias(1, 2, 3)
    with pytest.warns(UserWarning, match="NaNs"):
        ebias.causal_lower_right(4, 2)


@pytest.mark.parametrize("float_mask", [False, True])
def test_a_query_masked_from_every_key_gets_zeros_as_in_torch(device, float_mask):
    gen = np.random.default_rng(3)
    arrays = [gen.standard_normal(s) for s in ((2, 2, 3, 4), (2, 2, 2, 4), (2, 2, 2, 4))]
    allowed = np.array([[True, False], [False, False], [True, True]])
    mask = np.where(allowed, 0.0, -np.inf) if float_mask else allowed
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, device=device, requires_grad=True) for a in arrays]
    t_out = torch.nn.functional.scaled_dot_product_attention(*t_in, attn_mask=torch.tensor(mask))
    e_out = ember.nn.functional.scaled_dot_product_attention(
        *e_in, attn_mask=ember.tensor(mask, device=device))
    t_out.sum().backward()
    e_out.sum().backward()
    np.testing.assert_allclose(e_out.detach().cpu().numpy(), t_out.detach().numpy(), atol=1e-12)
    for e, t in zip(e_in, t_in):
        np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy(), atol=1e-12)
