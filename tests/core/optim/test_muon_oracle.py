"""Muon against torch's: same start, same gradients, 100 steps, every option."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
from torch_state import to_ember, to_torch  # noqa: E402
import ember.optim as eoptim  # noqa: E402

SHAPES = [(7, 5), (4, 9), (6, 6)]
STEPS = 100

CASES = [
    dict(),
    dict(lr=0.02, nesterov=False),
    dict(lr=0.02, momentum=0.9, weight_decay=0.0, adjust_lr_fn="original"),
    dict(lr=0.01, adjust_lr_fn="match_rms_adamw", weight_decay=0.01),
    dict(lr=0.05, momentum=0.0, nesterov=False, ns_steps=3),
    dict(lr=0.02, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-5, ns_steps=7),
]


def _np(x):
    return np.asarray(x.detach().cpu().float().numpy() if x.dtype == ember.bfloat16
                      else x.detach().cpu().numpy())


def _problem(dtype, seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return params, grads


def _groups(tensors, grouped):
    if not grouped:
        return tensors
    return [{"params": tensors[:2]}, {"params": tensors[2:], "lr": 0.003, "nesterov": False}]


def _feed(pe, pt, step_grads):
    for e, t, g in zip(pe, pt, step_grads):
        e.grad, t.grad = ember.tensor(g), torch.tensor(g)


def _run_both(kwargs, dtype, steps=STEPS, grouped=False, seed=0):
    params, grads = _problem(dtype, seed)
    pe = [ember.tensor(p, requires_grad=True) for p in params]
    pt = [torch.tensor(p, requires_grad=True) for p in params]
    oe = eoptim.Muon(_groups(pe, grouped), **kwargs)
    ot = torch.optim.Muon(_groups(pt, grouped), **kwargs)
    for step_grads in grads[:steps]:
        _feed(pe, pt, step_grads)
        oe.step()
        ot.step()
    return pe, pt, oe, ot, grads


def _update_ulp(group, shape):
    """The parameter change of one bfloat16 rounding flip of an orthogonalised update:
    torch orthogonalises in bfloat16, and float32 sums in another order round a value
    sitting on a bfloat16 tie the other way now and then (the entries stay below ~2)."""
    rows, cols = shape
    scale = (0.2 * math.sqrt(max(rows, cols)) if group["adjust_lr_fn"] == "match_rms_adamw"
             else math.sqrt(max(1, rows / cols)))
    return group["lr"] * scale * 2.0 ** -7


def _assert_same(pe, pt, oe, ot, dtype):
    tiny = 1e-6 if dtype is np.float32 else 1e-12
    for group in oe.param_groups:
        for e in group["params"]:
            t = pt[next(i for i, x in enumerate(pe) if x is e)]
            ref = _np(t)
            # a few rounding flips over 100 steps at most (a step's total move is ~128 of them)
            np.testing.assert_allclose(_np(e), ref, rtol=1e-6,
                                       atol=4 * _update_ulp(group, e.shape) + tiny)
            se, st = oe.state[e], ot.state[t]
            assert sorted(se) == sorted(st) == ["momentum_buffer"]
            be, bt = se["momentum_buffer"], st["momentum_buffer"]
            assert str(be.dtype).split(".")[-1] == str(bt.dtype).split(".")[-1]
            np.testing.assert_allclose(_np(be), _np(bt), rtol=1e-5, atol=10 * tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("kwargs", CASES, ids=[str(i) for i in range(len(CASES))])
def test_matches_torch(kwargs, dtype):
    pe, pt, oe, ot, _ = _run_both(kwargs, dtype)
    _assert_same(pe, pt, oe, ot, dtype)


@pytest.mark.parametrize("kwargs", CASES[::2], ids=[str(i) for i in range(0, len(CASES), 2)])
def test_param_groups_match_torch(kwargs):
    pe, pt, oe, ot, _ = _run_both(kwargs, np.float64, grouped=True)
    _assert_same(pe, pt, oe, ot, np.float64)


@pytest.mark.parametrize("shape", [(1, 1), (2, 17), (17, 2), (8, 8)])
def test_orthogonalized_update_matches_torch(shape):
    """One step from zero momentum isolates the Newton–Schulz output in bfloat16."""
    rng = np.random.default_rng(3)
    p0, g = rng.standard_normal(shape), rng.standard_normal(shape)
    e, t = ember.tensor(p0, requires_grad=True), torch.tensor(p0, requires_grad=True)
    oe = eoptim.Muon([e], lr=1.0, weight_decay=0.0, momentum=0.0, nesterov=False)
    ot = torch.optim.Muon([t], lr=1.0, weight_decay=0.0, momentum=0.0, nesterov=False)
    _feed([e], [t], [g])
    oe.step()
    ot.step()
    ue, ut = _np(e) - p0, _np(t) - p0
    np.testing.assert_allclose(ue, ut, rtol=0, atol=4 * 2.0 ** -7 * max(1, shape[0] / shape[1]))
    assert np.isclose(ue, ut, rtol=1e-12, atol=0).mean() > 0.9


def _continue(oe, ot, pe, pt, grads):
    for step_grads in grads:
        _feed(pe, pt, step_grads)
        oe.step()
        ot.step()
    _assert_same(pe, pt, oe, ot, np.float64)


@pytest.mark.parametrize("kwargs", CASES[1::2], ids=[str(i) for i in range(1, len(CASES), 2)])
def test_state_dict_matches_and_round_trips(kwargs):
    """The state dicts agree; torch's loads into ember and ember's into torch, and each
    continues where the other stopped."""
    pe, pt, oe, ot, grads = _run_both(kwargs, np.float64, steps=12, grouped=True, seed=1)
    sde, sdt = oe.state_dict(), ot.state_dict()
    assert sorted(sde["state"]) == sorted(sdt["state"]) == [0, 1, 2]
    for k in sdt["state"]:
        assert sorted(sde["state"][k]) == sorted(sdt["state"][k])
    assert sde["param_groups"] == sdt["param_groups"]

    pe2 = [ember.tensor(_np(t), requires_grad=True) for t in pt]
    oe2 = eoptim.Muon(_groups(pe2, True), **kwargs)
    oe2.load_state_dict(to_ember(sdt))
    pt = [torch.tensor(_np(t), requires_grad=True) for t in pt]
    ot = torch.optim.Muon(_groups(pt, True), **kwargs)
    ot.load_state_dict(sdt)
    _continue(oe2, ot, pe2, pt, grads[12:20])

    pt2 = [torch.tensor(_np(e), requires_grad=True) for e in pe2]
    ot2 = torch.optim.Muon(_groups(pt2, True), **kwargs)
    ot2.load_state_dict(to_torch(oe2.state_dict()))
    _continue(oe2, ot2, pe2, pt2, grads[20:28])


def test_defaults_match_torch():
    oe = eoptim.Muon([ember.zeros(2, 3, requires_grad=True)])
    ot = torch.optim.Muon([torch.zeros(2, 3, requires_grad=True)])
    assert oe.defaults == ot.defaults


def test_tensor_lr():
    """A one-element tensor lr is read as its value, as torch reads it."""
    params, grads = _problem(np.float64, steps=10)
    pe = [ember.tensor(p, requires_grad=True) for p in params]
    pt = [torch.tensor(p, requires_grad=True) for p in params]
    oe = eoptim.Muon(pe, lr=ember.tensor(0.02))
    ot = torch.optim.Muon(pt, lr=torch.tensor(0.02))
    for step_grads in grads:
        _feed(pe, pt, step_grads)
        oe.step()
        ot.step()
    for e, t in zip(pe, pt):
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-3 * 2.0 ** -7)


BAD_ARGS = [
    (dict(lr=-0.1), "Learning rate should be >= 0"),
    (dict(momentum=-0.5), "momentum should be >= 0"),
    (dict(weight_decay=-1.0), "weight decay should be >= 0"),
    (dict(adjust_lr_fn="spectral"), "Adjust learning rate function spectral is not supported"),
]


@pytest.mark.parametrize("kwargs,phrase", BAD_ARGS, ids=[str(i) for i in range(len(BAD_ARGS))])
def test_invalid_hyperparameters_raise_torchs_error(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=phrase):
        eoptim.Muon([ember.zeros(2, 2, requires_grad=True)], **kwargs)


def test_tensor_lr_must_have_one_element():
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        eoptim.Muon([ember.zeros(2, 2, requires_grad=True)], lr=ember.ones(2))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_non_matrix_parameters_raise(shape):
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        torch.optim.Muon([torch.zeros(shape, requires_grad=True)])
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        eoptim.Muon([ember.zeros(shape, requires_grad=True)])


@pytest.mark.parametrize("kwargs,phrase", [
    (dict(ns_steps=100), "Number of steps must be less than 100"),
    (dict(ns_coefficients=(1.0, 2.0)), "Coefficients must be a tuple of exactly 3 values"),
])
def test_invalid_iteration_raises_at_step(kwargs, phrase):
    for lib, opt in ((torch, torch.optim.Muon), (ember, eoptim.Muon)):
        w = lib.ones(2, 3, requires_grad=True)
        o = opt([w], **kwargs)
        w.sum().backward()
        with pytest.raises(ValueError, match=phrase):
            o.step()


def test_complex_parameters_raise():
    for lib, opt in ((torch, torch.optim.Muon), (ember, eoptim.Muon)):
        w = lib.zeros(2, 2, dtype=lib.complex64, requires_grad=True)
        o = opt([w])
        w.grad = lib.ones(2, 2, dtype=lib.complex64)
        with pytest.raises(RuntimeError, match="Muon does not support complex parameters"):
            o.step()


def test_parameters_without_gradients_are_skipped():
    w, v = ember.ones(2, 3, requires_grad=True), ember.ones(3, 2, requires_grad=True)
    opt = eoptim.Muon([w, v], lr=0.1)
    w.grad = ember.ones(2, 3)
    opt.step()
    assert list(opt.state) == [w]
    np.testing.assert_array_equal(_np(v), np.ones((3, 2)))
