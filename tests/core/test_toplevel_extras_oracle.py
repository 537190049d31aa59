"""Small top-level APIs against torch: set_warn_always / is_warn_always_enabled,
get_device_module, set_default_tensor_type, init_num_threads, and the whole-layer
recurrent forms ember.lstm, gru, rnn_tanh and rnn_relu (padded and packed overloads,
values and gradients)."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def test_warn_always_matches_torch():
    for m in (torch, ember):
        assert m.is_warn_always_enabled() is False
        m.set_warn_always(True)
        assert m.is_warn_always_enabled() is True
        m.set_warn_always(False)
        with pytest.raises(RuntimeError):
            m.set_warn_always(1)


def test_get_device_module():
    assert ember.get_device_module("cuda") is ember.cuda
    assert ember.get_device_module(ember.device("cuda:0")) is ember.cuda
    assert ember.get_device_module(device="cuda") is ember.cuda
    if ember.cuda.is_available():
        assert ember.get_device_module() is ember.cuda
    for m in (torch, ember):
        for bad, error in ((3, RuntimeError), ("foo", RuntimeError)):
            with pytest.raises(error):
                m.get_device_module(bad)
    with pytest.raises(RuntimeError, match="ember.meta"):
        ember.get_device_module("meta")


@pytest.mark.parametrize("name", ["DoubleTensor", "FloatTensor", "HalfTensor"])
def test_set_default_tensor_type_matches_torch(name):
    targets = [(torch, getattr(torch, name)), (torch, f"torch.{name}"),
               (ember, getattr(ember, name)), (ember, f"ember.{name}"), (ember, f"torch.{name}")]
    try:
        for m, target in targets:
            m.set_warn_always(True)  # the deprecation warning shows every time, not once
            with pytest.warns(UserWarning, match="deprecated"):
                m.set_default_tensor_type(target)
            m.set_warn_always(False)
            assert str(m.get_default_dtype()).split(".")[-1] == \
                str(getattr(torch, name).dtype).split(".")[-1]
            assert str(m.tensor([1.5]).dtype).split(".")[-1] == \
                str(getattr(torch, name).dtype).split(".")[-1]
        for m, target in targets:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m.set_default_tensor_type(target)  # warns here unless it has before
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                m.set_default_tensor_type(target)  # and never again
    finally:
        for m in (torch, ember):
            m.set_warn_always(False)
            m.set_default_dtype(m.float32)


def test_set_default_tensor_type_errors_match_torch():
    bad = [lambda m: m.IntTensor, lambda m: m.float64, lambda m: 3,
           lambda m: f"{m.__name__}.IntTensor", lambda m: f"{m.__name__}.FooTensor",
           lambda m: "DoubleTensor"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for target in bad:
                with pytest.raises(Exception) as want:
                    torch.set_default_tensor_type(target(torch))
                with pytest.raises(want.type):
                    ember.set_default_tensor_type(target(ember))
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)
    assert ember.get_default_dtype() is ember.float32


def test_init_num_threads_matches_torch():
    threads = ember.get_num_threads()
    assert torch.init_num_threads() is None and ember.init_num_threads() is None
    assert ember.get_num_threads() == threads


# ---- torch.lstm and kin ----------------------------------------------------------------

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
T, B, I, H = 5, 3, 4, 6


def _params(mode, layers, directions, bias, proj=0):
    gen = torch.Generator().manual_seed(layers * 10 + directions + bias + proj)
    out, g, h_out = [], GATES[mode], proj or H
    for layer in range(layers):
        for _ in range(directions):
            inp = I if layer == 0 else h_out * directions
            out += [torch.randn(g * H, inp, generator=gen, dtype=torch.float64) * 0.4,
                    torch.randn(g * H, h_out, generator=gen, dtype=torch.float64) * 0.4]
            if bias:
                out += [torch.randn(g * H, generator=gen, dtype=torch.float64) * 0.4
                        for _ in range(2)]
            if proj:
                out.append(torch.randn(proj, H, generator=gen, dtype=torch.float64) * 0.4)
    return [p.requires_grad_() for p in out]


def _ember(t, device):
    return ember.tensor(t.detach().numpy(), device=device, requires_grad=t.requires_grad)


def _compare(want, got, params, params_e, inputs, inputs_e):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().cpu().numpy(), w.detach().numpy(), rtol=1e-7,
                                   atol=1e-9)
    sum((w * (k + 1)).sum() for k, w in enumerate(want)).backward()
    sum((g * (k + 1)).sum() for k, g in enumerate(got)).backward()
    for e, t in zip(params_e + inputs_e, params + inputs):
        np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-6,
                                   atol=1e-9)


@pytest.mark.parametrize("mode", list(GATES))
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_padded_forms_match_torch(device, mode, layers, bidirectional, bias, batch_first):
    directions = 2 if bidirectional else 1
    params = _params(mode, layers, directions, bias)
    gen = torch.Generator().manual_seed(7)
    x = torch.randn((B, T, I) if batch_first else (T, B, I), generator=gen,
                    dtype=torch.float64, requires_grad=True)
    hx = [torch.randn(layers * directions, B, H, generator=gen, dtype=torch.float64,
                      requires_grad=True) for _ in range(2 if mode == "lstm" else 1)]
    params_e, x_e, hx_e = ([_ember(p, device) for p in params], _ember(x, device),
                           [_ember(h, device) for h in hx])
    state, state_e = (tuple(hx), tuple(hx_e)) if mode == "lstm" else (hx[0], hx_e[0])
    args = (bias, layers, 0.0, False, bidirectional, batch_first)
    want = getattr(torch, mode)(x, state, params, *args)
    got = getattr(ember, mode)(x_e, state_e, params_e, *args)
    assert len(got) == len(want)
    _compare(want, got, params, params_e, [x, *hx], [x_e, *hx_e])


def test_lstm_with_projections_matches_torch(device):
    params = _params("lstm", 2, 1, True, proj=3)
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, B, 3, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2, B, H, dtype=torch.float64, requires_grad=True)
    want = torch.lstm(x, (h0, c0), params, True, 2, 0.0, False, False, False)
    params_e, x_e, h0_e, c0_e = ([_ember(p, device) for p in params], _ember(x, device),
                                 _ember(h0, device), _ember(c0, device))
    got = ember.lstm(x_e, (h0_e, c0_e), params_e, True, 2, 0.0, False, False, False)
    _compare(want, got, params, params_e, [x, h0, c0], [x_e, h0_e, c0_e])


@pytest.mark.parametrize("mode", list(GATES))
def test_packed_forms_match_torch(device, mode):
    params = _params(mode, 1, 2, True)
    x = torch.randn(T, B, I, dtype=torch.float64)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, [5, 3, 2])
    data = packed.data.clone().requires_grad_()
    hx = [torch.randn(2, B, H, dtype=torch.float64, requires_grad=True)
          for _ in range(2 if mode == "lstm" else 1)]
    params_e, data_e, hx_e = ([_ember(p, device) for p in params], _ember(data, device),
                              [_ember(h, device) for h in hx])
    state, state_e = (tuple(hx), tuple(hx_e)) if mode == "lstm" else (hx[0], hx_e[0])
    args = (True, 1, 0.0, False, True)
    want = getattr(torch, mode)(data, packed.batch_sizes, state, params, *args)
    got = getattr(ember, mode)(data_e, ember.tensor(packed.batch_sizes.numpy()), state_e,
                               params_e, *args)
    _compare(want, got, params, params_e, [data, *hx], [data_e, *hx_e])


def test_dropout_between_layers_only_when_training():
    params = [ember.tensor(p.detach().numpy()) for p in _params("gru", 2, 1, True)]
    x, h0 = ember.randn(T, B, I, dtype=ember.float64), ember.zeros(2, B, H, dtype=ember.float64)
    a = ember.gru(x, h0, params, True, 2, 0.9, False, False, False)
    b = ember.gru(x, h0, params, True, 2, 0.9, False, False, False)
    assert ember.equal(a[0], b[0])
    c = ember.gru(x, h0, params, True, 2, 0.9, True, False, False)
    assert not ember.equal(a[0], c[0])
    with pytest.raises(RuntimeError):
        ember.gru(x, h0, params[:-1], True, 2, 0.0, False, False, False)
