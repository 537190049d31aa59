"""Each scheduler's lr (and momentum) sequence against torch's, bit for bit."""

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember.optim as eoptim  # noqa: E402

E, T = eoptim.lr_scheduler, torch.optim.lr_scheduler

CASES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.9 ** e),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "StepLR": lambda m, o: m.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [3, 7, 7, 20], 0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, 0.3, 6),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.1, 0.9, 13),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.93),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, 17, 1.7),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 7, 0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4, 3, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4, mode="exp_range",
                                                  gamma=0.97),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, 0.5, total_steps=45),
    "OneCycleLR-3phase-linear": lambda m, o: m.OneCycleLR(o, [0.5, 0.2], total_steps=45,
                                                          three_phase=True,
                                                          anneal_strategy="linear"),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, 20)], [5]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4),
                                                         m.ExponentialLR(o, 0.9)]),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, patience=2, cooldown=1,
                                                          min_lr=1e-4),
}
METRICS = [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6] * 4


def _opts(kind):
    pe = [ember.zeros(2, requires_grad=True), ember.zeros(1, requires_grad=True)]
    pt = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
    kw = dict(lr=0.1, momentum=0.9) if kind == "SGD" else dict(lr=0.1)
    oe = getattr(eoptim, kind)([{"params": [pe[0]]}, {"params": [pe[1]], "lr": 0.2}], **kw)
    ot = getattr(torch.optim, kind)([{"params": [pt[0]]}, {"params": [pt[1]], "lr": 0.2}], **kw)
    return oe, ot


def _sequence(opt, sched, n, start=0):
    out = []
    for i in range(start, start + n):
        opt.step()
        if type(sched).__name__ == "ReduceLROnPlateau":
            sched.step(METRICS[i])
        else:
            sched.step()
        out.append((sched.get_last_lr(),
                    [g.get("momentum", g.get("betas")) for g in opt.param_groups]))
    return out


# Momentum cycling (betas[0] for Adam) is the only optimizer-dependent part.
SEQUENCE_CASES = [(n, "SGD") for n in CASES] + [(n, "Adam") for n in CASES
                                                if n.startswith(("Cyclic", "OneCycle"))]


@pytest.mark.parametrize("name,kind", SEQUENCE_CASES)
def test_lr_sequence_matches_torch(name, kind):
    oe, ot = _opts(kind)
    se, st = CASES[name](E, oe), CASES[name](T, ot)
    assert se.get_last_lr() == st.get_last_lr()
    assert _sequence(oe, se, 40) == _sequence(ot, st, 40)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resumes(name):
    """A scheduler loaded from another's state dict continues the same sequence."""
    oe, ot = _opts("SGD")
    se, st = CASES[name](E, oe), CASES[name](T, ot)
    _sequence(oe, se, 10)
    _sequence(ot, st, 10)
    state = se.state_dict()
    assert "optimizer" not in state
    oe2, _ = _opts("SGD")
    se2 = CASES[name](E, oe2)  # torch's order: scheduler, then optimizer state, then its own
    oe2.load_state_dict(oe.state_dict())
    se2.load_state_dict(state)
    assert se2.get_last_lr() == st.get_last_lr()
    assert _sequence(oe2, se2, 15, start=10) == _sequence(ot, st, 15, start=10)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR"])
def test_closed_form_epoch(name):
    oe, ot = _opts("SGD")
    se, st = CASES[name](E, oe), CASES[name](T, ot)
    for epoch in (4, 9, 2, 15):
        with pytest.warns(UserWarning):
            se.step(epoch)
        with pytest.warns(UserWarning):
            st.step(epoch)
        assert se.get_last_lr() == st.get_last_lr()


def test_warm_restarts_fractional_epoch():
    oe, ot = _opts("SGD")
    se = E.CosineAnnealingWarmRestarts(oe, 3, 2)
    st = T.CosineAnnealingWarmRestarts(ot, 3, 2)
    for epoch in (0.5, 1.25, 3.0, 7.5, 20.1):
        se.step(epoch)
        st.step(epoch)
        assert se.get_last_lr() == st.get_last_lr()
