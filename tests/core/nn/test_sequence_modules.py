"""RNN/LSTM/GRU, PackedSequence, attention, Transformer, EmbeddingBag and CTC loss with
known values and numerical gradient checks (no torch needed)."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ember.ops.rnn import gru_sequence, lstm_sequence, rnn_sequence

pytestmark = pytest.mark.usefixtures("on_device")


def zero_weights(module):
    with ember.no_grad():
        for p in module.parameters():
            p.zero_()
    return module


def test_rnn_with_identity_input_weights_is_tanh_of_input():
    rnn = zero_weights(nn.RNN(3, 3))
    with ember.no_grad():
        rnn.weight_ih_l0.copy_(ember.eye(3))
    x = ember.tensor([[[0.5, -1.0, 2.0]], [[0.0, 0.25, -0.5]]])
    out, h = rnn(x)
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.tanh(x.cpu().numpy()), rtol=1e-6)
    np.testing.assert_allclose(h[0].detach().cpu().numpy(), np.tanh(x.cpu().numpy()[1]), rtol=1e-6)


def test_lstm_and_gru_with_zero_weights_decay_the_state():
    # every gate is sigmoid(0) = 0.5 and the candidate tanh(0) = 0
    lstm = zero_weights(nn.LSTM(2, 1))
    out, (h, c) = lstm(ember.ones(2, 1, 2), (ember.zeros(1, 1, 1), ember.ones(1, 1, 1)))
    assert c.item() == pytest.approx(0.25)
    assert out[0].item() == pytest.approx(0.5 * math.tanh(0.5))
    assert h.item() == pytest.approx(0.5 * math.tanh(0.25))
    gru = zero_weights(nn.GRU(2, 1))
    out, h = gru(ember.ones(3, 1, 2), ember.full((1, 1, 1), 8.0))
    assert out[:, 0, 0].tolist() == pytest.approx([4.0, 2.0, 1.0])


@pytest.mark.parametrize("reverse", [False, True])
def test_fused_sequence_gradients(reverse):
    g = ember.Generator().manual_seed(0)

    def rand(*shape):
        return ember.randn(*shape, generator=g, dtype=ember.float64, requires_grad=True)

    assert gradcheck(lambda xp, h, c, w: lstm_sequence(xp, h, c, w, reverse),
                     (rand(3, 2, 8), rand(2, 2), rand(2, 2), rand(8, 2)))
    assert gradcheck(lambda xp, h, w, b: gru_sequence(xp, h, w, b, reverse),
                     (rand(3, 2, 6), rand(2, 2), rand(6, 2), rand(6)))
    assert gradcheck(lambda xp, h, w: rnn_sequence(xp, h, w, False, reverse),
                     (rand(3, 2, 2), rand(2, 2), rand(2, 2)))


def test_packed_sequence_round_trip_and_final_states():
    x = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]]).unsqueeze(-1)  # batch first
    packed = pack_padded_sequence(x, [3, 2], batch_first=True)
    assert packed.data.reshape(-1).tolist() == [1.0, 4.0, 2.0, 5.0, 3.0]
    assert packed.batch_sizes.tolist() == [2, 2, 1]
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
    assert padded.squeeze(-1).tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]]
    assert lengths.tolist() == [3, 2]
    # an RNN that just sums its inputs: h_n of each sequence is its own total
    rnn = zero_weights(nn.RNN(1, 1, nonlinearity="relu", batch_first=True,
                              bidirectional=True))
    with ember.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse",
                     "weight_hh_l0_reverse"):
            getattr(rnn, name).fill_(1.0)
    out, h = rnn(packed)
    assert h[:, :, 0].tolist() == [[6.0, 9.0], [6.0, 9.0]]
    out, _ = pad_packed_sequence(out, batch_first=True)
    assert out[1, :, 1].tolist() == [9.0, 5.0, 0.0]  # reverse direction starts at length 2


def test_multihead_attention_weights_and_masks():
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = ember.randn(2, 3, 4)
    mask = ember.tensor([[False, False, True], [False, False, False]])
    out, w = mha(x, x, x, key_padding_mask=mask)
    assert tuple(out.shape) == (2, 3, 4) and tuple(w.shape) == (2, 3, 3)
    np.testing.assert_allclose(w.detach().cpu().numpy().sum(-1), 1.0, rtol=1e-5)
    assert np.all(w.detach().cpu().numpy()[0, :, 2] == 0)
    causal = nn.Transformer.generate_square_subsequent_mask(3)
    _, w = mha(x, x, x, attn_mask=causal, average_attn_weights=False)
    assert tuple(w.shape) == (2, 2, 3, 3)
    assert np.all(np.triu(w.detach().cpu().numpy(), 1) == 0)
    out_fast, _ = mha(x, x, x, attn_mask=causal, need_weights=False)
    out_slow, _ = mha(x, x, x, attn_mask=causal)
    np.testing.assert_allclose(out_fast.detach().cpu().numpy(), out_slow.detach().cpu().numpy(),
                               atol=1e-6)


def test_transformer_gradcheck_and_state_dict_names():
    model = nn.Transformer(4, 2, 1, 1, 8, dropout=0.0).double()
    names = list(model.state_dict())
    assert names[:4] == ["encoder.layers.0.self_attn.in_proj_weight",
                         "encoder.layers.0.self_attn.in_proj_bias",
                         "encoder.layers.0.self_attn.out_proj.weight",
                         "encoder.layers.0.self_attn.out_proj.bias"]
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in names
    assert names[-2:] == ["decoder.norm.weight", "decoder.norm.bias"]
    src = ember.randn(3, 1, 4, dtype=ember.float64, requires_grad=True)
    tgt = ember.randn(2, 1, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda s, t: model(s, t), (src, tgt))


def test_embedding_bag_known_values():
    w = ember.arange(12.0).reshape(6, 2)
    idx, off = ember.tensor([0, 2, 5, 1]), ember.tensor([0, 3, 3])
    assert F.embedding_bag(idx, w, off, mode="sum").tolist() == [[14.0, 17.0], [0.0, 0.0],
                                                                 [2.0, 3.0]]
    assert F.embedding_bag(idx, w, off, mode="mean").tolist()[0] == pytest.approx([14 / 3,
                                                                                  17 / 3])
    assert F.embedding_bag(idx, w, off, mode="max", padding_idx=5).tolist()[0] == [4.0, 5.0]
    psw = ember.tensor([1.0, 0.0, 2.0, 1.0])
    assert F.embedding_bag(idx, w, off, mode="sum",
                           per_sample_weights=psw).tolist()[0] == [20.0, 23.0]
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(idx, w)


def test_ctc_loss_known_values():
    # one frame, one label: the only alignment emits it
    lp = ember.tensor([[[math.log(0.2), math.log(0.7), math.log(0.1)]]])
    loss = F.ctc_loss(lp, ember.tensor([[1]]), [1], [1], reduction="sum")
    assert loss.item() == pytest.approx(-math.log(0.7))
    # two frames, label [1]: paths 1-1, blank-1, 1-blank
    p = np.array([[0.5, 0.3, 0.2], [0.4, 0.4, 0.2]])
    lp = ember.tensor(np.log(p)[:, None, :])
    expected = -math.log(p[0, 1] * p[1, 1] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 0])
    assert nn.CTCLoss(reduction="none")(lp, ember.tensor([[1]]), [2], [1]).item() == \
        pytest.approx(expected)
    # a repeated label cannot fit in two frames
    assert math.isinf(F.ctc_loss(lp, ember.tensor([[1, 1]]), [2], [2], reduction="sum").item())
    lp = F.log_softmax(ember.randn(5, 2, 4, dtype=ember.float64), -1).requires_grad_()
    assert gradcheck(lambda x: F.ctc_loss(x, ember.tensor([[1, 2], [3, 0]]), [5, 4], [2, 1]),
                     (lp,))
