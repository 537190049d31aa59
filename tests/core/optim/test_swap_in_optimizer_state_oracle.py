"""optim.swap_in_optimizer_params_and_state against torch's: the step inside the block
acts on the swapped-in parameters and state; the live optimizer is back afterwards."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not hasattr(torch.optim, "swap_in_optimizer_params_and_state"):  # torch before 2.13
    pytest.skip("this torch has no swap_in_optimizer_params_and_state", allow_module_level=True)
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402

SHAPES = [(3, 2), (4, 5), (2, 2)]  # matrices, for Muon


def _np(x):
    return np.asarray(x.detach().cpu().numpy())


def _to_lib(lib, obj):
    if isinstance(obj, (ember.Tensor, torch.Tensor)):
        return lib.tensor(_np(obj)) if obj.dim() else lib.tensor(float(obj.item()))
    if isinstance(obj, dict):
        return {k: _to_lib(lib, v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_lib(lib, v) for v in obj]
    return obj


def _setup(lib, name, kwargs):
    rng = np.random.default_rng(0)
    params = [lib.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]
    opt = getattr(lib.optim, name)([{"params": params[:2]}, {"params": params[2:]}], **kwargs)
    for _ in range(3):
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)))
        opt.step()
    swap = {f"p{i}": lib.tensor(rng.standard_normal(s), requires_grad=True)
            for i, s in enumerate(SHAPES)}
    for p in swap.values():
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)))
    return params, opt, swap


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.01)),
                                         ("Muon", dict(lr=0.02))])
def test_step_inside_matches_torch(name, kwargs):
    results = {}
    for lib in (torch, ember):
        params, opt, swap = _setup(lib, name, kwargs)
        before = [_np(p).copy() for p in params]
        live_state = {k: {n: _np(v).copy() for n, v in s.items()}
                      for k, s in opt.state_dict()["state"].items()}
        # independent state (a deep copy) with another learning rate in the second group
        swap_state = _to_lib(lib, opt.state_dict())
        swap_state["param_groups"][1]["lr"] = 0.5
        groups_before = [dict(g) for g in opt.param_groups]
        with lib.optim.swap_in_optimizer_params_and_state(opt, swap, swap_state):
            assert opt.param_groups[1]["lr"] == 0.5
            assert opt.param_groups[0]["params"][0] is swap["p0"]
            opt.step()
        # the live optimizer is unchanged
        for p, b in zip(params, before):
            np.testing.assert_array_equal(_np(p), b)
        assert [dict(g) for g in opt.param_groups] == groups_before
        assert all(a is b for a, b in zip(opt.param_groups[0]["params"], params[:2]))
        for k, s in opt.state_dict()["state"].items():
            for n, v in s.items():
                np.testing.assert_array_equal(_np(v), live_state[k][n])
        results[lib.__name__] = ([_np(p) for p in swap.values()],
                                 {k: {n: _np(v) for n, v in s.items()}
                                  for k, s in swap_state["state"].items()})
    (pe, se), (pt, st) = results["ember"], results["torch"]
    for e, t in zip(pe, pt):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-3 * 2.0 ** -6 if name == "Muon"
                                   else 1e-12)
    for k in st:
        assert sorted(se[k]) == sorted(st[k])
        for n in st[k]:
            np.testing.assert_allclose(se[k][n], st[k][n], rtol=1e-6, atol=1e-12)


def _bad_cases(lib, opt, swap):
    sd = opt.state_dict()
    return [
        ("not a dict", swap, []),
        ("state not a dict", swap, dict(sd, state=[])),
        ("tensor keys", swap, dict(sd, state={lib.zeros(1): {}})),
        ("entries not dicts", swap, dict(sd, state={0: 1})),
        ("groups not a list", swap, dict(sd, param_groups=())),
        ("group count", swap, dict(sd, param_groups=sd["param_groups"][:1])),
        ("group not a dict", swap, dict(sd, param_groups=[sd["param_groups"][0], 3])),
        ("ids not ints", swap, dict(sd, param_groups=[dict(sd["param_groups"][0],
                                                           params=["a", "b"]),
                                                      sd["param_groups"][1]])),
        ("id count", swap, dict(sd, param_groups=[dict(sd["param_groups"][0], params=[0]),
                                                  sd["param_groups"][1]])),
        ("keys differ", swap, dict(sd, param_groups=[dict(sd["param_groups"][0], extra=1),
                                                     sd["param_groups"][1]])),
        ("too few params", dict(list(swap.items())[:2]), sd),
        ("extra state keys", swap, dict(sd, state=dict(sd["state"], **{"9": {}}))),
    ]


def test_bad_inputs_raise_torchs_errors():
    messages = {}
    for lib in (torch, ember):
        _, opt, swap = _setup(lib, "SGD", dict(lr=0.1, momentum=0.9))
        out = []
        for label, parameters, state in _bad_cases(lib, opt, swap):
            with pytest.raises(RuntimeError) as info:
                with lib.optim.swap_in_optimizer_params_and_state(opt, parameters, state):
                    pass
            out.append((label, str(info.value)))
        messages[lib.__name__] = out
    assert messages["ember"] == messages["torch"]


def test_uninitialized_state_raises():
    for lib in (torch, ember):
        w = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        with pytest.raises(RuntimeError, match="requires initialized optimizer state"):
            with lib.optim.swap_in_optimizer_params_and_state(opt, {"w": w}, opt.state_dict()):
                pass


def test_restored_after_an_exception():
    _, opt, swap = _setup(ember, "Adam", dict(lr=0.01))
    live_state, groups = opt.state, [dict(g) for g in opt.param_groups]
    with pytest.raises(KeyError):
        with ember.optim.swap_in_optimizer_params_and_state(opt, swap, opt.state_dict()):
            raise KeyError("inside")
    assert opt.state is live_state
    assert [dict(g) for g in opt.param_groups] == groups
