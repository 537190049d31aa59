"""MultiheadAttention, scaled_dot_product_attention and the Transformer modules against
torch: reprs, state_dict keys/shapes, outputs, attention weights and gradients with
weights copied over."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember import nn  # noqa: E402

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _same_repr(e, t):
    if ember.get_default_device().type == "cpu":  # the repr is the same on every device
        assert repr(e) == repr(t)


def pair(cls, *args, **kw):
    e, t = getattr(nn, cls)(*args, **kw), getattr(tnn, cls)(*args, **kw)
    _same_repr(e, t)
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    assert [tuple(v.shape) for v in es.values()] == [tuple(v.shape) for v in ts.values()]
    e.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in ts.items()})
    return e, t


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), atol=tol, rtol=tol)


def leaves(*arrays):
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def backward_both(e, t, oe, ot, ins_e, ins_t):
    w = arr(*ot.shape)
    (oe * ember.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    for (ne, pe), (nt, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert ne == nt
        close(pe.grad, pt.grad, 1e-4)
    for a, b in zip(ins_e, ins_t):
        close(a.grad, b.grad, 1e-4)


@pytest.mark.parametrize("kw", [{}, {"bias": False}, {"kdim": 3, "vdim": 5},
                                {"add_bias_kv": True, "add_zero_attn": True},
                                {"batch_first": True, "kdim": 4, "vdim": 4}])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_multihead_attention(kw, need_weights, average):
    e, t = pair("MultiheadAttention", 8, 2, **kw)
    bf = kw.get("batch_first", False)
    L, S, N = 4, 6, 3
    q = arr(N, L, 8) if bf else arr(L, N, 8)
    k = arr(N, S, kw.get("kdim", 8)) if bf else arr(S, N, kw.get("kdim", 8))
    v = arr(N, S, kw.get("vdim", 8)) if bf else arr(S, N, kw.get("vdim", 8))
    kpm = np.zeros((N, S), bool)
    kpm[0, 4:] = True
    mask = arr(L, S)
    ins_e, ins_t = leaves(q, k, v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: mixed bool/float masks are deprecated
        oe, we = e(*ins_e, key_padding_mask=ember.tensor(kpm), attn_mask=ember.tensor(mask),
                   need_weights=need_weights, average_attn_weights=average)
        ot, wt = t(*ins_t, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(mask),
                   need_weights=need_weights, average_attn_weights=average)
    close(oe, ot)
    if need_weights:
        close(we, wt)
    else:
        assert we is None and wt is None
    backward_both(e, t, oe, ot, ins_e, ins_t)


def test_multihead_self_attention_bool_mask_3d_and_unbatched():
    e, t = pair("MultiheadAttention", 6, 3)
    x = arr(5, 2, 6)
    ins_e, ins_t = leaves(x)
    mask = RNG.random((2 * 3, 5, 5)) < 0.3
    mask[:, :, 0] = False  # every query keeps at least one key
    oe, we = e(ins_e[0], ins_e[0], ins_e[0], attn_mask=ember.tensor(mask))
    ot, wt = t(ins_t[0], ins_t[0], ins_t[0], attn_mask=torch.tensor(mask))
    close(oe, ot)
    close(we, wt)
    backward_both(e, t, oe, ot, ins_e, ins_t)
    u = arr(5, 6)
    oe, we = e(ember.tensor(u), ember.tensor(u), ember.tensor(u))
    ot, wt = t(torch.tensor(u), torch.tensor(u), torch.tensor(u))
    assert tuple(oe.shape) == tuple(ot.shape) and tuple(we.shape) == tuple(wt.shape)
    close(oe, ot)
    close(we, wt)


def test_multihead_attention_errors_and_default_init():
    e = nn.MultiheadAttention(8, 2)
    x = ember.zeros(3, 1, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        e(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask"):
        e(x, x, x, attn_mask=ember.zeros(2, 3))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    assert float(e.in_proj_bias.abs().sum()) == 0 and float(e.out_proj.bias.abs().sum()) == 0
    bound = (6 / (8 + 24)) ** 0.5  # xavier_uniform on (3E, E)
    w = e.in_proj_weight.detach().cpu().numpy()
    assert np.abs(w).max() <= bound and w.std() > bound / 3


@pytest.mark.parametrize("is_causal", [False, True])
def test_scaled_dot_product_attention(is_causal):
    q, k, v = arr(2, 3, 4, 8), arr(2, 3, 4 if is_causal else 6, 8), arr(2, 3, 4 if is_causal
                                                                         else 6, 8)
    ins_e, ins_t = leaves(q, k, v)
    mask = None if is_causal else RNG.random((4, 6)) < 0.7
    if mask is not None:
        mask[:, 0] = True
    oe = F.scaled_dot_product_attention(*ins_e, attn_mask=None if mask is None else
                                        ember.tensor(mask), is_causal=is_causal, scale=0.3)
    ot = TF.scaled_dot_product_attention(*ins_t, attn_mask=None if mask is None else
                                         torch.tensor(mask), is_causal=is_causal, scale=0.3)
    close(oe, ot)
    w = arr(*ot.shape)
    (oe * ember.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    for a, b in zip(ins_e, ins_t):
        close(a.grad, b.grad, 1e-4)


LAYER_CONFIGS = [{}, {"norm_first": True, "activation": "gelu"},
                 {"batch_first": True, "bias": False}]


@pytest.mark.parametrize("kw", LAYER_CONFIGS)
def test_encoder_layer_and_stack(kw):
    e, t = pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, **kw)
    x = arr(3, 5, 8)
    kpm = np.zeros((5 if not kw.get("batch_first") else 3, 3 if not kw.get("batch_first")
                    else 5), bool)
    ins_e, ins_t = leaves(x)
    mask = nn.Transformer.generate_square_subsequent_mask(5 if kw.get("batch_first") else 3)
    tmask = tnn.Transformer.generate_square_subsequent_mask(5 if kw.get("batch_first") else 3)
    kpm = np.zeros((3, 5) if kw.get("batch_first") else (5, 3), bool)
    kpm[1, -1] = True
    oe = e(ins_e[0], src_mask=mask, src_key_padding_mask=ember.tensor(kpm))
    ot = t(ins_t[0], src_mask=tmask, src_key_padding_mask=torch.tensor(kpm))
    close(oe, ot)
    backward_both(e, t, oe, ot, ins_e, ins_t)
    se = nn.TransformerEncoder(e, 2, norm=nn.LayerNorm(8))
    st = tnn.TransformerEncoder(t, 2, norm=tnn.LayerNorm(8), enable_nested_tensor=False)
    _same_repr(se, st)
    assert list(se.state_dict()) == list(st.state_dict())
    se.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in st.state_dict().items()})
    close(se(ember.tensor(x), mask=mask), st(torch.tensor(x), mask=tmask))


@pytest.mark.parametrize("kw", LAYER_CONFIGS)
def test_decoder_layer_and_stack(kw):
    e, t = pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, **kw)
    bf = kw.get("batch_first", False)
    tgt, mem = (arr(2, 4, 8), arr(2, 6, 8)) if bf else (arr(4, 2, 8), arr(6, 2, 8))
    ins_e, ins_t = leaves(tgt, mem)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    tmask = tnn.Transformer.generate_square_subsequent_mask(4)
    mkpm = np.zeros((2, 6), bool)
    mkpm[0, 5] = True
    oe = e(*ins_e, tgt_mask=mask, memory_key_padding_mask=ember.tensor(mkpm))
    ot = t(*ins_t, tgt_mask=tmask, memory_key_padding_mask=torch.tensor(mkpm))
    close(oe, ot)
    backward_both(e, t, oe, ot, ins_e, ins_t)
    se, st = nn.TransformerDecoder(e, 2), tnn.TransformerDecoder(t, 2)
    _same_repr(se, st)
    assert list(se.state_dict()) == list(st.state_dict())
    se.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in st.state_dict().items()})
    close(se(ember.tensor(tgt), ember.tensor(mem), tgt_mask=mask, tgt_is_causal=True),
          st(torch.tensor(tgt), torch.tensor(mem), tgt_mask=tmask, tgt_is_causal=True))


@pytest.mark.parametrize("kw", LAYER_CONFIGS)
def test_transformer(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: nested-tensor fast path notices
        e, t = pair("Transformer", 8, 2, 2, 1, 16, dropout=0.0, **kw)
    bf = kw.get("batch_first", False)
    src, tgt = (arr(2, 5, 8), arr(2, 3, 8)) if bf else (arr(5, 2, 8), arr(3, 2, 8))
    ins_e, ins_t = leaves(src, tgt)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    tmask = tnn.Transformer.generate_square_subsequent_mask(3)
    assert np.array_equal(mask.cpu().numpy(), tmask.cpu().numpy())
    oe = e(*ins_e, tgt_mask=mask)
    ot = t(*ins_t, tgt_mask=tmask)
    close(oe, ot)
    backward_both(e, t, oe, ot, ins_e, ins_t)
    with pytest.raises(RuntimeError, match="the feature number of src and tgt"):
        e(ember.zeros(2, 2, 4), ember.zeros(2, 2, 4))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        e(ember.zeros(3, 3, 8), ember.zeros(2, 2, 8))


def test_transformer_default_init_and_dropout_modes():
    model = nn.Transformer(16, 4, 1, 1, 32)
    w = model.encoder.layers[0].linear1.weight.detach().cpu().numpy()
    bound = (6 / (16 + 32)) ** 0.5
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    src, tgt = ember.randn(5, 2, 16), ember.randn(3, 2, 16)
    model.eval()
    a, b = model(src, tgt), model(src, tgt)
    assert np.array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())
    model.train()
    ember.manual_seed(1)
    c = model(src, tgt)
    assert not np.allclose(a.detach().cpu().numpy(), c.detach().cpu().numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
