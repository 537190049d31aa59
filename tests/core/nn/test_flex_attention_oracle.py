"""ember.nn.attention.flex_attention against torch's: outputs, logsumexp and max scores of
flex_attention under several score_mods and block masks (GQA, L != S, scale, float32 and
float64, fully masked rows, a key batch of 1), gradients of query, key, value and of a
bias the score_mod captures, the BlockMask layouts create_block_mask builds, create_mask,
slicing, cropping and errors.

torch refuses gradients on the CPU through its public function, so gradients come from
its flex_attention operator called as torch.compile would (captured tensors passed as
its extra buffers), which runs its own eager backward on the CPU."""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import torch.nn.attention.flex_attention as tflex  # noqa: E402
from torch._higher_order_ops.flex_attention import flex_attention as torch_flex_op  # noqa: E402

import ember.nn.attention.flex_attention as eflex  # noqa: E402

DTYPES = {"float32": (ember.float32, torch.float32, 2e-5),
          "float64": (ember.float64, torch.float64, 1e-12)}
INF = float("-inf")


@pytest.fixture(autouse=True)
def _quiet_torch():
    """torch warns that its eager path is unfused, and that return_lse is deprecated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# score_mods as makers: (library, captured bias) -> score_mod, the same code for both
SCORE_MODS = {
    "none": lambda lib, bias: None,
    "relative": lambda lib, bias: lambda s, b, h, q, kv: s + (q - kv) * 0.1,
    "alibi": lambda lib, bias: lambda s, b, h, q, kv: s - 2.0 ** (-(h + 1) * 0.5) * (q - kv).abs(),
    "softcap": lambda lib, bias: lambda s, b, h, q, kv: 2.0 * lib.tanh(s / 2.0),
    "causal": lambda lib, bias: lambda s, b, h, q, kv: lib.where(q >= kv, s, INF),
    "bias": lambda lib, bias: lambda s, b, h, q, kv: s + bias[h, q, kv],
}

DOC_IDS = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]
PREFIX = [3, 6]


def _document(lib, device):
    doc = lib.tensor(DOC_IDS, device=device)
    return lambda b, h, q, kv: doc[q] == doc[kv]


def _prefix(lib, device):
    prefix = lib.tensor(PREFIX, device=device)
    module = eflex if lib is ember else tflex
    return module.or_masks(lambda b, h, q, kv: kv < prefix[b], lambda b, h, q, kv: q >= kv)


def _sliding_causal(lib, device):
    module = eflex if lib is ember else tflex
    return module.and_masks(lambda b, h, q, kv: q >= kv, lambda b, h, q, kv: q - kv <= 3)


# mask_mods as makers: (library, device) -> mask_mod; "starved" leaves query 2 no key
MASK_MODS = {
    "none": None,
    "causal": lambda lib, device: lambda b, h, q, kv: q >= kv,
    "sliding": lambda lib, device: lambda b, h, q, kv: (q - kv).abs() <= 2,
    "document": _document,
    "prefix": _prefix,
    "sliding_causal": _sliding_causal,
    "starved": lambda lib, device: lambda b, h, q, kv: (q != 2) & (kv != q + 1),
}


def _inputs(Hq=4, Hkv=2, L=9, S=11, E=8, Ev=6, B=2, Bkv=None, seed=0):
    gen = np.random.default_rng(seed)
    Bkv = B if Bkv is None else Bkv
    return [gen.standard_normal(shape) for shape in
            ((B, Hq, L, E), (Bkv, Hkv, S, E), (Bkv, Hkv, S, Ev), (Hq, L, S))]


def _to(lib, arrays, dtype, device=None, requires_grad=False):
    if lib is ember:
        return [ember.tensor(a, dtype=dtype, device=device, requires_grad=requires_grad)
                for a in arrays]
    return [torch.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrays]


def _block_masks(mask, device, B, H, L, S, block_size=4):
    if MASK_MODS[mask] is None:
        return None, None
    return (eflex.create_block_mask(MASK_MODS[mask](ember, device), B, H, L, S, device,
                                    BLOCK_SIZE=block_size),
            tflex.create_block_mask(MASK_MODS[mask](torch, "cpu"), B, H, L, S, "cpu",
                                    BLOCK_SIZE=block_size))


def _close(e, t, tol):
    assert tuple(e.shape) == tuple(t.shape)
    got, want = e.detach().cpu().numpy(), t.detach().numpy()
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=tol, atol=tol)


FORWARD_CASES = ([(s, "none") for s in SCORE_MODS] + [(s, "causal") for s in SCORE_MODS] +
                 [("none", m) for m in MASK_MODS if m not in ("none", "causal")] +
                 [("softcap", m) for m in ("document", "prefix", "starved")])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("score, mask", FORWARD_CASES)
def test_output_and_logsumexp_match_torch(device, dtype, score, mask):
    edt, tdt, tol = DTYPES[dtype]
    arrays = _inputs(L=9 if mask != "document" else 17, S=11 if mask != "document"
                     else 17)
    eq, ek, ev, ebias = _to(ember, arrays, edt, device)
    tq, tk, tv, tbias = _to(torch, arrays, tdt)
    L, S = arrays[0].shape[2], arrays[1].shape[2]
    ebm, tbm = _block_masks(mask, device, 2, None, L, S)
    scale = None if score == "none" else 0.37
    eout, eaux = eflex.flex_attention(eq, ek, ev, SCORE_MODS[score](ember, ebias), ebm, scale,
                                      enable_gqa=True, return_aux=eflex.AuxRequest(lse=True))
    tout, taux = tflex.flex_attention(tq, tk, tv, SCORE_MODS[score](torch, tbias), tbm, scale,
                                      enable_gqa=True, return_aux=tflex.AuxRequest(lse=True))
    assert eout.dtype == edt and eaux.lse.dtype == edt and eaux.max_scores is None
    _close(eout, tout, tol)
    _close(eaux.lse, taux.lse, tol)


def _torch_reference(tq, tk, tv, tbias, score, mask, scale):
    """torch's flex_attention operator as torch.compile calls it: the captured bias is
    an explicit extra input of the score_mod, so its backward reaches it."""
    if score == "bias":
        buffers = (tbias,)
        score_mod = lambda s, b, h, q, kv, bias: SCORE_MODS["bias"](torch, bias)(  # noqa: E731
            s, b, h, q, kv)
    else:  # the operator's backward requires every extra buffer to get a gradient
        buffers = ()
        score_mod = SCORE_MODS[score](torch, None) or tflex._identity
    if MASK_MODS[mask] is None:
        block_mask = tflex._create_empty_block_mask(tq, tk)
    else:
        block_mask = tflex.create_block_mask(MASK_MODS[mask](torch, "cpu"), None, None,
                                             tq.shape[2], tk.shape[2], "cpu", BLOCK_SIZE=4)
    options = tflex._apply_kernel_options(tq, tk, tv, True, None)
    options["OUTPUT_MAX"] = True  # refused on the CPU by the public function only
    out, lse, max_scores = torch_flex_op(tq, tk, tv, score_mod, block_mask.as_tuple(),
                                         scale, options, buffers, ())
    return out, lse * math.log(2), max_scores * math.log(2)


GRAD_CASES = ([(s, "causal") for s in SCORE_MODS] +
              [("bias", m) for m in MASK_MODS if m != "causal"] + [("softcap", "none")])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("score, mask", GRAD_CASES)
def test_gradients_and_max_scores_match_torch(device, dtype, score, mask):
    edt, tdt, tol = DTYPES[dtype]
    L = S = 17 if mask == "document" else None
    arrays = _inputs(L=L or 9, S=S or 11, seed=1)
    tensors_e = _to(ember, arrays, edt, device, requires_grad=True)
    tensors_t = _to(torch, arrays, tdt, requires_grad=True)
    ebm, _ = _block_masks(mask, device, None, None, arrays[0].shape[2], arrays[1].shape[2])
    gen = np.random.default_rng(2)
    w_out = gen.standard_normal((2, 4, arrays[0].shape[2], 6))
    w_lse = gen.standard_normal((2, 4, arrays[0].shape[2]))

    out, aux = eflex.flex_attention(*tensors_e[:3], SCORE_MODS[score](ember, tensors_e[3]),
                                    ebm, 0.5, enable_gqa=True,
                                    return_aux=eflex.AuxRequest(lse=True, max_scores=True))
    tout, tlse, tmax = _torch_reference(*tensors_t, score, mask, 0.5)
    _close(out, tout, tol)
    _close(aux.lse, tlse, tol)
    _close(aux.max_scores, tmax, tol)
    # the lse of a fully masked row is -inf; its weight is zeroed to keep the loss finite
    e_lse = aux.lse.masked_fill(ember.isneginf(aux.lse), 0.0)
    t_lse = tlse.masked_fill(torch.isneginf(tlse), 0.0)
    ((out * ember.tensor(w_out, dtype=edt, device=device)).sum() +
     (e_lse * ember.tensor(w_lse, dtype=edt, device=device)).sum()).backward()
    ((tout * torch.tensor(w_out, dtype=tdt)).sum() +
     (t_lse * torch.tensor(w_lse, dtype=tdt)).sum()).backward()
    for e, t in zip(tensors_e, tensors_t):
        if t.grad is None:
            assert e.grad is None or not e.grad.abs().sum().item()
        else:
            _close(e.grad, t.grad, tol * 10)


def test_fully_masked_row_gives_zeros_and_minus_inf(device):
    eq, ek, ev, _ = _to(ember, _inputs(), ember.float64, device, requires_grad=True)
    bm = eflex.create_block_mask(MASK_MODS["starved"](ember, device), None, None, 9, 11,
                                 device, BLOCK_SIZE=4)
    out, lse = eflex.flex_attention(eq, ek, ev, block_mask=bm, enable_gqa=True,
                                    return_lse=True)
    assert not out[:, :, 2].abs().sum().item()
    assert ember.isneginf(lse[:, :, 2]).all().item()
    out.sum().backward()
    assert ember.isfinite(eq.grad).all().item() and not eq.grad[:, :, 2].abs().sum().item()


def test_a_key_batch_of_one_is_shared_as_in_torch(device):
    arrays = _inputs(Bkv=1)
    eq, ek, ev, _ = _to(ember, arrays, ember.float64, device)
    tq, tk, tv, _ = _to(torch, arrays, torch.float64)
    ebm, tbm = _block_masks("prefix", device, 2, None, 9, 11)
    _close(eflex.flex_attention(eq, ek, ev, block_mask=ebm, enable_gqa=True),
           tflex.flex_attention(tq, tk, tv, block_mask=tbm, enable_gqa=True), 1e-12)


def test_return_lse_is_deprecated_as_in_torch(device):
    eq, ek, ev, _ = _to(ember, _inputs(Hkv=4), ember.float32, device)
    with pytest.warns(FutureWarning, match="return_aux"):
        out, lse = eflex.flex_attention(eq, ek, ev, return_lse=True)
    assert lse.shape == (2, 4, 9)
    with pytest.raises(ValueError):
        eflex.flex_attention(eq, ek, ev, return_lse=True, return_aux=eflex.AuxRequest())
    assert eflex.flex_attention(eq, ek, ev, return_aux=eflex.AuxRequest()) [1] == (None, None)


def test_gradcheck_float64(device):
    arrays = _inputs(B=1, Hq=2, Hkv=1, L=3, S=4, E=2, Ev=2, seed=3)
    tensors = _to(ember, arrays, ember.float64, device, requires_grad=True)
    bm = eflex.create_block_mask(MASK_MODS["sliding"](ember, device), None, None, 3, 4,
                                 device, BLOCK_SIZE=2)

    def attend(q, k, v, bias):
        out, aux = eflex.flex_attention(q, k, v, SCORE_MODS["bias"](ember, bias), bm,
                                        enable_gqa=True, return_aux=eflex.AuxRequest(lse=True))
        return out, aux.lse

    assert ember.autograd.gradcheck(attend, tensors)


LAYOUT_CASES = [(mask, B, H, L, S, block)
                for mask in ("causal", "sliding", "document", "prefix", "sliding_causal",
                             "starved")
                for (B, H, L, S, block) in ((2, None, 17, 17, 4), (2, 3, 17, 13, (4, 3)),
                                            (None, None, 17, 16, 8), (2, 1, 5, 7, 128))]


def _layouts(bm):
    return {name: None if getattr(bm, name) is None else getattr(bm, name).tolist()
            for name in eflex.BlockMask._TENSOR_ATTRS}


@pytest.mark.parametrize("separate", [True, False])
@pytest.mark.parametrize("mask, B, H, L, S, block", LAYOUT_CASES)
def test_block_mask_layout_matches_torch(device, mask, B, H, L, S, block, separate):
    e = eflex.create_block_mask(MASK_MODS[mask](ember, device), B, H, L, S, device,
                                BLOCK_SIZE=block, separate_full_blocks=separate)
    t = tflex.create_block_mask(MASK_MODS[mask](torch, "cpu"), B, H, L, S, "cpu",
                                BLOCK_SIZE=block, separate_full_blocks=separate)
    assert _layouts(e) == _layouts(t)
    assert e.to_dense().tolist() == t.to_dense().tolist()
    assert e.shape == t.shape and e.BLOCK_SIZE == t.BLOCK_SIZE and e.seq_lengths == t.seq_lengths
    assert e.sparsity() == pytest.approx(t.sparsity()) and e.numel() == t.numel()
    assert str(e) == str(t)
    assert repr(e) == repr(t).replace("torch.Size", "ember.Size")
    assert e.kv_indices.dtype == ember.int32 and e.to_dense().dtype == ember.int32


@pytest.mark.parametrize("index", [0, -1, (1, 2), (slice(0, 2), 1), (0, slice(None), 1)])
def test_block_mask_slicing_and_cropping_match_torch(device, index):
    causal = MASK_MODS["causal"]
    e = eflex.create_block_mask(causal(ember, device), 2, 3, 17, 13, device, BLOCK_SIZE=4)
    t = tflex.create_block_mask(causal(torch, "cpu"), 2, 3, 17, 13, "cpu", BLOCK_SIZE=4)
    assert _layouts(e[index]) == _layouts(t[index]) and e[index].shape == t[index].shape
    assert _layouts(e._adjust(9, 6)) == _layouts(t._adjust(9, 6))
    assert _layouts(e.to(device)) == _layouts(e) and e.to(device).mask_mod is e.mask_mod
    with pytest.raises(RuntimeError, match="sliced"):
        e[index].mask_mod(*[ember.arange(2)] * 4)


def test_from_kv_blocks_matches_torch():
    counts, columns = [[[1, 2, 0]]], [[[[2, 0, 1], [0, 1, 2], [1, 0, 2]]]]
    e = eflex.BlockMask.from_kv_blocks(ember.tensor(counts, dtype=ember.int32),
                                       ember.tensor(columns, dtype=ember.int32), BLOCK_SIZE=8)
    t = tflex.BlockMask.from_kv_blocks(torch.tensor(counts, dtype=torch.int32),
                                       torch.tensor(columns, dtype=torch.int32), BLOCK_SIZE=8)
    assert _layouts(e) == _layouts(t) and e.shape == t.shape and e.mask_mod is eflex.noop_mask
    assert e.to_dense().tolist() == t.to_dense().tolist()


@pytest.mark.parametrize("mod", ["causal_mask", "causal_score", "noop", "prefix"])
def test_create_mask_matches_torch(device, mod):
    def make(lib, dev):
        return {"causal_mask": MASK_MODS["causal"](lib, dev),
                "causal_score": SCORE_MODS["causal"](lib, None),
                "noop": (eflex if lib is ember else tflex).noop_mask,
                "prefix": MASK_MODS["prefix"](lib, dev)}[mod]

    e = eflex.create_mask(make(ember, device), 2, None, 6, 7, device)
    t = tflex.create_mask(make(torch, "cpu"), 2, None, 6, 7, "cpu")
    assert e.dtype == ember.bool and e.tolist() == t.tolist()


def _both(call):
    """The exception types a call raises with ember's module and with torch's."""
    kinds = []
    for lib, module in ((ember, eflex), (torch, tflex)):
        with pytest.raises(Exception) as caught:
            call(lib, module)
        kinds.append(caught.type)
    return kinds


def _qkv(lib, shapes):
    return [lib.zeros(*shape) for shape in shapes]


ERROR_CASES = {
    "3d inputs": lambda lib, m: m.flex_attention(*_qkv(lib, [(2, 3, 4)] * 3)),
    "1d inputs": lambda lib, m: m.flex_attention(*_qkv(lib, [(4,)] * 3)),
    "embedding dims": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 2, 3, 4), (1, 2, 3, 5), (1, 2, 3, 5)])),
    "heads without gqa": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 4, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)])),
    "gqa heads not a multiple": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 3, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)]), enable_gqa=True),
    "batch without block mask": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(2, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)])),
    "value length": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 6, 4)])),
    "mask too short": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 1, 8, 4)] * 3), block_mask=m.create_block_mask(
            m.noop_mask, 1, 1, 4, 8, "cpu")),
    "mask too long": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 1, 8, 4)] * 3), block_mask=m.create_block_mask(
            m.noop_mask, 1, 1, 8, 16, "cpu")),
    "sliced mask": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 1, 8, 4)] * 3), block_mask=m.create_block_mask(
            m.noop_mask, 2, 1, 8, 8, "cpu")[0]),
    "bad backend": lambda lib, m: m.flex_attention(
        *_qkv(lib, [(1, 1, 8, 4)] * 3), kernel_options={"BACKEND": "CUTE"}),
    "or_masks of a non-callable": lambda lib, m: m.or_masks(m.noop_mask, 3),
    "and_masks of a non-callable": lambda lib, m: m.and_masks(None),
    "block mask of a score_mod": lambda lib, m: m.create_block_mask(
        lambda s, b, h, q, kv: s, 1, 1, 4, 4, "cpu"),
    "mod of 3 arguments": lambda lib, m: m.create_mask(lambda b, q, kv: q, 1, 1, 4, 4, "cpu"),
    "1d kv_indices": lambda lib, m: m.BlockMask.from_kv_blocks(
        lib.zeros(1, dtype=lib.int32), lib.zeros(1, dtype=lib.int32)),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_match_torch(case):
    got, want = _both(ERROR_CASES[case])
    assert got is want


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_scores_in_float32_as_torch(device, dtype):
    arrays = _inputs(Hkv=4)
    eq, ek, ev, _ = _to(ember, arrays, getattr(ember, dtype), device)
    tq, tk, tv, _ = _to(torch, arrays, getattr(torch, dtype))
    ebm, tbm = _block_masks("sliding", device, None, None, 9, 11)
    eout, eaux = eflex.flex_attention(eq, ek, ev, SCORE_MODS["softcap"](ember, None), ebm,
                                      return_aux=eflex.AuxRequest(lse=True))
    tout, taux = tflex.flex_attention(tq, tk, tv, SCORE_MODS["softcap"](torch, None), tbm,
                                      return_aux=tflex.AuxRequest(lse=True))
    assert eout.dtype == getattr(ember, dtype) and eaux.lse.dtype == ember.float32
    _close(eout.float(), tout.float(), 1e-2)
    _close(eaux.lse, taux.lse, 1e-5)
