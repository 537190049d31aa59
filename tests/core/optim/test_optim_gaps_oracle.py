"""Rprop, ASGD, Adafactor and SparseAdam against torch's: same start, same gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
from torch_state import to_ember, to_torch  # noqa: E402
import ember.optim as eoptim  # noqa: E402

SHAPES = [(7, 5), (3, 4, 6), (13,), ()]
STEPS = 100

CASES = [
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5))),
    ("Rprop", dict(lr=0.01, etas=(0.7, 1.1), step_sizes=(1e-3, 0.2), maximize=True)),
    ("Rprop", dict(lr=0.2, step_sizes=(0.05, 1.0), foreach=False, capturable=False)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=10)),
    ("ASGD", dict(lr=0.02, lambd=1e-3, alpha=0.9, t0=0, weight_decay=0.1, maximize=True)),
    ("ASGD", dict(lr=0.01, t0=50, weight_decay=0.05)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.02, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, maximize=True)),
    ("Adafactor", dict(lr=0.5, eps=(1e-4, 1e-3), weight_decay=0.01)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]

# float32: both sides round every op, and reductions (the norms of Adafactor) sum in
# different orders, so a few ulps remain after 100 steps: 1e-6 relative to each
# tensor's scale (Adafactor with lr=0.5 grows parameters to ~10, where a last-bit
# difference of a norm moves every element by ~1e-6). float64 agrees closely.
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-6, atol=1e-12)}


def _tol(dtype, ref):
    tol = dict(TOL[dtype])
    tol["atol"] *= max(1.0, float(np.abs(ref).max(initial=0.0)))
    return tol


def _problem(dtype, seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    params = [np.asarray(rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    grads = [[np.asarray(rng.standard_normal(s)).astype(dtype) for s in SHAPES]
             for _ in range(steps)]
    return params, grads


def _groups(tensors, grouped):
    if not grouped:
        return tensors
    return [{"params": tensors[:2]}, {"params": tensors[2:], "lr": 0.003}]


def _run_both(name, kwargs, dtype, steps=STEPS, grouped=False, schedule=None, seed=0):
    params, grads = _problem(dtype, seed)
    pe = [ember.tensor(p, requires_grad=True) for p in params]
    pt = [torch.tensor(p, requires_grad=True) for p in params]
    oe = getattr(eoptim, name)(_groups(pe, grouped), **kwargs)
    ot = getattr(torch.optim, name)(_groups(pt, grouped), **kwargs)
    for i, step_grads in enumerate(grads[:steps]):
        if schedule is not None:
            for ge, gt in zip(oe.param_groups, ot.param_groups):
                ge["lr"] = gt["lr"] = schedule(i)
        for e, t, g in zip(pe, pt, step_grads):
            e.grad = ember.tensor(g)
            t.grad = torch.tensor(g)
        oe.step()
        ot.step()
    return pe, pt, oe, ot, grads


def _np(x):
    return np.asarray(x.detach().cpu().numpy())


def _assert_same(pe, pt, oe, ot, dtype):
    for e, t in zip(pe, pt):
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(e), _np(t), **_tol(dtype, _np(t)))
    for e, t in zip(pe, pt):
        se, st = oe.state[e], ot.state[t]
        assert sorted(se) == sorted(st)
        for key in st:
            assert tuple(se[key].shape) == tuple(st[key].shape), key
            assert str(se[key].dtype).split(".")[-1] == str(st[key].dtype).split(".")[-1], key
            np.testing.assert_allclose(_np(se[key]), _np(st[key]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_torch(name, kwargs, dtype):
    pe, pt, oe, ot, _ = _run_both(name, kwargs, dtype)
    _assert_same(pe, pt, oe, ot, dtype)


@pytest.mark.parametrize("name,kwargs", CASES[1::2], ids=IDS[1::2])
def test_param_groups_match_torch(name, kwargs):
    pe, pt, oe, ot, _ = _run_both(name, kwargs, np.float64, grouped=True)
    _assert_same(pe, pt, oe, ot, np.float64)
    assert [g["lr"] for g in oe.param_groups] == [g["lr"] for g in ot.param_groups]


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_adafactor_lr_schedule(weight_decay, dtype):
    """A learning rate set through param_groups each step (a warm-up then a decay)."""
    def schedule(i):
        return 0.1 * min(1.0, (i + 1) / 10) * 0.97 ** i
    pe, pt, oe, ot, _ = _run_both("Adafactor", dict(weight_decay=weight_decay), dtype,
                                  grouped=True, schedule=schedule)
    _assert_same(pe, pt, oe, ot, dtype)


def test_adafactor_state_shapes():
    pe, pt, oe, ot, _ = _run_both("Adafactor", dict(), np.float32, steps=2)
    e2, e3, e1, e0 = pe
    assert sorted(oe.state[e2]) == ["col_var", "row_var", "step"]
    assert tuple(oe.state[e2]["row_var"].shape) == (7, 1)
    assert tuple(oe.state[e2]["col_var"].shape) == (1, 5)
    assert tuple(oe.state[e3]["row_var"].shape) == (3, 4, 1)
    assert tuple(oe.state[e3]["col_var"].shape) == (3, 1, 6)
    assert sorted(oe.state[e1]) == sorted(oe.state[e0]) == ["step", "variance"]
    assert oe.state[e0]["step"].item() == 2.0


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_state_dict_matches_and_round_trips(name, kwargs):
    """The state dicts agree; torch -> ember -> torch, each continues where the other
    stopped."""
    dtype = np.float64
    pe, pt, oe, ot, grads = _run_both(name, kwargs, dtype, steps=12, grouped=True, seed=1)
    sde, sdt = oe.state_dict(), ot.state_dict()
    assert sorted(sde["state"]) == sorted(sdt["state"])
    for k in sdt["state"]:
        assert sorted(sde["state"][k]) == sorted(sdt["state"][k])
        for key, vt in sdt["state"][k].items():
            np.testing.assert_allclose(_np(sde["state"][k][key]), _np(vt), rtol=1e-7, atol=1e-12)
    assert len(sde["param_groups"]) == len(sdt["param_groups"])
    for ge, gt in zip(sde["param_groups"], sdt["param_groups"]):
        assert sorted(ge) == sorted(gt)
        for key in gt:
            assert tuple(ge[key]) == tuple(gt[key]) if isinstance(gt[key], (list, tuple)) \
                else ge[key] == gt[key], key

    # torch's state into a fresh ember optimizer over torch's parameters, against the
    # same state loaded into a fresh torch optimizer (loading casts floating state such
    # as ASGD's eta and mu to the parameters' dtype, on both sides)
    pe2 = [ember.tensor(_np(t), requires_grad=True) for t in pt]
    oe2 = getattr(eoptim, name)(_groups(pe2, True), **kwargs)
    oe2.load_state_dict(to_ember(sdt))
    pt = [torch.tensor(_np(t), requires_grad=True) for t in pt]
    ot = getattr(torch.optim, name)(_groups(pt, True), **kwargs)
    ot.load_state_dict(to_torch(to_ember(sdt)))
    for step_grads in grads[12:20]:
        for e, t, g in zip(pe2, pt, step_grads):
            e.grad, t.grad = ember.tensor(g), torch.tensor(g)
        oe2.step()
        ot.step()
    for e, t in zip(pe2, pt):
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-7, atol=1e-12)

    # and ember's back into a fresh torch optimizer
    pt2 = [torch.tensor(_np(e), requires_grad=True) for e in pe2]
    ot2 = getattr(torch.optim, name)(_groups(pt2, True), **kwargs)
    ot2.load_state_dict(to_torch(oe2.state_dict()))
    for step_grads in grads[20:28]:
        for e, t, g in zip(pe2, pt2, step_grads):
            e.grad, t.grad = ember.tensor(g), torch.tensor(g)
        oe2.step()
        ot2.step()
    for e, t in zip(pe2, pt2):
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-7, atol=1e-12)


BAD_ARGS = [
    ("Rprop", dict(lr=-0.1), "Invalid learning rate"),
    ("Rprop", dict(etas=(1.2, 0.5)), "Invalid eta values"),
    ("Rprop", dict(etas=(0.0, 1.2)), "Invalid eta values"),
    ("Rprop", dict(etas=(0.5, 1.0)), "Invalid eta values"),
    ("ASGD", dict(lr=-1.0), "Invalid learning rate"),
    ("ASGD", dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ("SparseAdam", dict(lr=0.0), "Invalid learning rate"),
    ("SparseAdam", dict(eps=0.0), "Invalid epsilon value"),
    ("SparseAdam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ("SparseAdam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    ("Adafactor", dict(lr=-0.01), "Learning rate should be >= 0"),
    ("Adafactor", dict(beta2_decay=0.5), "beta2_decay should be <= 0"),
    ("Adafactor", dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0"),
    ("Adafactor", dict(eps=(None, -1e-3)), "epsilon2 should be >= 0"),
    ("Adafactor", dict(d=0.5), "Clipping threshold d should be >= 1"),
    ("Adafactor", dict(weight_decay=-0.1), "weight_decay should be >= 0"),
]


@pytest.mark.parametrize("name,kwargs,phrase", BAD_ARGS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_ARGS)])
def test_invalid_hyperparameters_raise_torchs_error(name, kwargs, phrase):
    with pytest.raises(Exception) as te:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(type(te.value), match=phrase) as ee:
        getattr(eoptim, name)([ember.zeros(2, requires_grad=True)], **kwargs)
    assert phrase in str(te.value)
    assert type(ee.value) is type(te.value)


@pytest.mark.parametrize("name", ["Rprop", "ASGD", "Adafactor", "SparseAdam"])
def test_tensor_lr_must_have_one_element(name):
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=torch.ones(2))
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        getattr(eoptim, name)([ember.zeros(2, requires_grad=True)], lr=ember.ones(2))


def test_sparse_adam_dense_gradients_raise_torchs_error():
    wt, we = torch.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    ot, oe = torch.optim.SparseAdam([wt], lr=0.1), eoptim.SparseAdam([we], lr=0.1)
    assert ot.defaults == oe.defaults
    ot.step()  # no gradients yet: nothing to do on either side
    oe.step()
    wt.sum().backward()
    we.sum().backward()
    with pytest.raises(RuntimeError) as te:
        ot.step()
    with pytest.raises(RuntimeError) as ee:
        oe.step()
    assert str(ee.value) == str(te.value)
    np.testing.assert_array_equal(_np(we), _np(wt))


def test_sparse_adam_complex_params_raise_torchs_error():
    with pytest.raises(ValueError, match="does not support complex parameters"):
        torch.optim.SparseAdam([torch.zeros(2, dtype=torch.complex64, requires_grad=True)])
    with pytest.raises(ValueError, match="does not support complex parameters"):
        eoptim.SparseAdam([ember.zeros(2, dtype=ember.complex64, requires_grad=True)])


def test_adafactor_complex_params_raise_torchs_error():
    for lib, mod in ((torch, torch.optim), (ember, eoptim)):
        w = lib.zeros(2, dtype=lib.complex64, requires_grad=True)
        w.grad = lib.zeros(2, dtype=lib.complex64)
        with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
            mod.Adafactor([w]).step()


@pytest.mark.parametrize("name", ["Rprop", "ASGD", "Adafactor", "SparseAdam"])
def test_defaults_match_torch(name):
    ot = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    oe = getattr(eoptim, name)([ember.zeros(2, requires_grad=True)])
    assert oe.defaults == ot.defaults
    assert sorted(oe.param_groups[0]) == sorted(ot.param_groups[0])


def test_step_closure_returns_loss():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = eoptim.Rprop([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == pytest.approx(5.0)
    np.testing.assert_allclose(_np(w), [0.9, -1.9], rtol=1e-6)
