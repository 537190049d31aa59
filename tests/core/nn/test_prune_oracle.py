"""ember.nn.utils.prune against torch.nn.utils.prune on the same weights: masks, state_dict
keys, forward outputs, iterative pruning, global pruning, remove and errors.

Ties: L1Unstructured and LnStructured choose by topk, and which of several equal values
torch's topk picks is an implementation detail of its sort; ember's topk takes the lowest
index first. The weights here are random floats (no ties) so masks compare exactly; the
tie test checks only the count and that each pruned value is among the smallest.
"""

import numpy as np
import pytest

import ember
from ember.nn.utils import prune as ep

torch = pytest.importorskip("torch")
tp = pytest.importorskip("torch.nn.utils.prune")
pytestmark = pytest.mark.oracle


def _np(x):
    return np.asarray(x.detach().numpy())


def _pair(kind, *args, seed=0):
    torch.manual_seed(seed)
    tm = getattr(torch.nn, kind)(*args).double()
    em = getattr(ember.nn, kind)(*args, dtype=ember.float64)
    em.load_state_dict({k: ember.tensor(_np(v)) for k, v in tm.state_dict().items()})
    return em, tm


def _same_masks(em, tm, name="weight"):
    np.testing.assert_array_equal(_np(getattr(em, name + "_mask")),
                                  _np(getattr(tm, name + "_mask")))
    np.testing.assert_allclose(_np(getattr(em, name)), _np(getattr(tm, name)), rtol=0, atol=0)


@pytest.mark.parametrize("amount", [0, 3, 0.3, 0.5, 1.0, 20])
def test_l1_unstructured_mask(amount):
    em, tm = _pair("Linear", 5, 4)
    ep.l1_unstructured(em, "weight", amount)
    tp.l1_unstructured(tm, "weight", amount)
    _same_masks(em, tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]


@pytest.mark.parametrize("n", [1, 2, 3, 0.5, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [0, 1, -1, 3])
@pytest.mark.parametrize("amount", [1, 0.5, 2])
def test_ln_structured_mask(n, dim, amount):
    em, tm = _pair("Conv2d", 3, 4, 3)
    ep.ln_structured(em, "weight", amount, n=n, dim=dim)
    tp.ln_structured(tm, "weight", amount, n=n, dim=dim)
    _same_masks(em, tm)


def test_importance_scores():
    em, tm = _pair("Linear", 6, 3)
    scores = np.random.default_rng(1).standard_normal((3, 6))
    ep.l1_unstructured(em, "weight", 7, importance_scores=ember.tensor(scores))
    tp.l1_unstructured(tm, "weight", 7, importance_scores=torch.tensor(scores))
    _same_masks(em, tm)
    em, tm = _pair("Linear", 6, 4)
    scores = np.random.default_rng(2).standard_normal((4, 6))
    ep.ln_structured(em, "weight", 2, 2, 0, importance_scores=ember.tensor(scores))
    tp.ln_structured(tm, "weight", 2, 2, 0, importance_scores=torch.tensor(scores))
    _same_masks(em, tm)


def test_custom_from_mask_and_identity():
    em, tm = _pair("Linear", 3, 4)
    m = (np.arange(4) % 2).astype(np.float64)
    ep.custom_from_mask(em, "bias", ember.tensor(m))
    tp.custom_from_mask(tm, "bias", torch.tensor(m))
    _same_masks(em, tm, "bias")
    ep.identity(em, "weight")
    tp.identity(tm, "weight")
    _same_masks(em, tm)
    assert list(em.state_dict()) == list(tm.state_dict())


def test_forward_and_backward_equal():
    em, tm = _pair("Conv2d", 2, 4, 3)
    ep.l1_unstructured(em, "weight", 0.4)
    tp.l1_unstructured(tm, "weight", 0.4)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6))
    eo, to = em(ember.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(_np(eo), _np(to), rtol=1e-12, atol=1e-12)
    eo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(_np(em.weight_orig.grad), _np(tm.weight_orig.grad), atol=1e-12)
    assert not np.any(_np(em.weight_orig.grad)[_np(em.weight_mask) == 0])
    # a changed _orig shows in the next forward through the pre-hook
    with ember.no_grad():
        em.weight_orig.mul_(2)
    with torch.no_grad():
        tm.weight_orig.mul_(2)
    np.testing.assert_allclose(_np(em(ember.tensor(x))), _np(tm(torch.tensor(x))), atol=1e-12)


def test_iterative_pruning_composes():
    em, tm = _pair("Conv2d", 3, 6, 3)
    steps = [("l1_unstructured", dict(amount=0.3)),
             ("ln_structured", dict(amount=2, n=2, dim=0)),
             ("l1_unstructured", dict(amount=10)),
             ("ln_structured", dict(amount=0.34, n=1, dim=1)),
             ("custom_from_mask", None)]
    for fname, kw in steps:
        if kw is None:
            m = np.random.default_rng(3).integers(0, 2, (6, 3, 3, 3)).astype(np.float64)
            ep.custom_from_mask(em, "weight", mask=ember.tensor(m))
            tp.custom_from_mask(tm, "weight", mask=torch.tensor(m))
        else:
            getattr(ep, fname)(em, "weight", **kw)
            getattr(tp, fname)(tm, "weight", **kw)
        _same_masks(em, tm)
    hooks = [h for h in em._forward_pre_hooks.values() if isinstance(h, ep.BasePruningMethod)]
    assert len(hooks) == 1 and isinstance(hooks[0], ep.PruningContainer)
    assert len(hooks[0]) == len(steps)
    assert [type(h).__name__ for h in hooks[0]] == [
        type(h).__name__ for h in next(iter(tm._forward_pre_hooks.values()))]
    assert list(em.state_dict()) == list(tm.state_dict())


def test_global_unstructured():
    pairs = [_pair("Linear", 4, 5, seed=s) for s in range(3)]
    ems, tms = [p[0] for p in pairs], [p[1] for p in pairs]
    ep.l1_unstructured(ems[0], "weight", 3)
    tp.l1_unstructured(tms[0], "weight", 3)
    ep.global_unstructured([(m, "weight") for m in ems] + [(ems[1], "bias")],
                           pruning_method=ep.L1Unstructured, amount=0.4)
    tp.global_unstructured([(m, "weight") for m in tms] + [(tms[1], "bias")],
                           pruning_method=tp.L1Unstructured, amount=0.4)
    for e, t in zip(ems, tms):
        _same_masks(e, t)
        assert list(e.state_dict()) == list(t.state_dict())
    _same_masks(ems[1], tms[1], "bias")
    scores = {(ems[2], "weight"): ember.ones(5, 4)}
    tscores = {(tms[2], "weight"): torch.ones(5, 4)}
    ep.global_unstructured([(ems[1], "weight"), (ems[2], "weight")], ep.L1Unstructured,
                           importance_scores=scores, amount=5)
    tp.global_unstructured([(tms[1], "weight"), (tms[2], "weight")], tp.L1Unstructured,
                           importance_scores=tscores, amount=5)
    _same_masks(ems[1], tms[1])


def test_random_unstructured_counts_and_seed():
    def run(seed):
        m = ember.nn.Linear(10, 10)
        ember.manual_seed(seed)
        ep.random_unstructured(m, "weight", 0.3)
        ep.random_unstructured(m, "weight", 0.5)   # 0.5 of the 70 left
        return _np(m.weight_mask)
    a, b, c = run(0), run(0), run(1)
    assert (a == 0).sum() == 30 + 35
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_structured_structure_and_seed():
    def run(seed):
        m = ember.nn.Conv2d(3, 8, 3)
        ember.manual_seed(seed)
        ep.random_structured(m, "weight", 3, dim=0)
        ep.random_structured(m, "weight", 0.4, dim=0)   # 2 of the 5 left
        return _np(m.weight_mask)
    a, b = run(0), run(0)
    np.testing.assert_array_equal(a, b)
    per_channel = a.reshape(8, -1)
    assert set(per_channel.min(1)) <= {0.0, 1.0}
    assert np.all(per_channel.min(1) == per_channel.max(1))  # whole channels
    assert (per_channel[:, 0] == 0).sum() == 5


def test_remove_makes_permanent():
    em, tm = _pair("Linear", 4, 3)
    ep.l1_unstructured(em, "weight", 5)
    tp.l1_unstructured(tm, "weight", 5)
    ep.remove(em, "weight")
    tp.remove(tm, "weight")
    assert list(em.state_dict()) == list(tm.state_dict())
    assert isinstance(em.weight, ember.nn.Parameter)
    np.testing.assert_array_equal(_np(em.weight), _np(tm.weight))
    assert not ep.is_pruned(em) and not tp.is_pruned(tm)
    assert not em._forward_pre_hooks
    seq = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU())
    assert not ep.is_pruned(seq)
    ep.identity(seq[0], "bias")
    assert ep.is_pruned(seq)


def test_prune_method_on_tensor():
    t = np.random.default_rng(5).standard_normal((4, 5))
    e = ep.L1Unstructured(0.5).prune(ember.tensor(t))
    tt = tp.L1Unstructured(0.5).prune(torch.tensor(t))
    np.testing.assert_array_equal(_np(e), _np(tt))
    e = ep.LnStructured(2, n=1, dim=1).prune(ember.tensor(t))
    tt = tp.LnStructured(2, n=1, dim=1).prune(torch.tensor(t))
    np.testing.assert_array_equal(_np(e), _np(tt))


def test_ties_prune_exact_count():
    m = ember.nn.Linear(3, 2, bias=False)
    with ember.no_grad():
        m.weight.copy_(ember.tensor([[1.0, 0.5, 0.5], [2.0, 0.5, 3.0]]))
    ep.l1_unstructured(m, "weight", 2)
    mask = _np(m.weight_mask)
    assert (mask == 0).sum() == 2
    assert np.all(_np(m.weight_orig)[mask == 0] == 0.5)


def _errors(mod):
    out = []
    for fn in [lambda m: mod.l1_unstructured(m, "weight", -1),
               lambda m: mod.l1_unstructured(m, "weight", 1.5),
               lambda m: mod.l1_unstructured(m, "weight", "a"),
               lambda m: mod.l1_unstructured(m, "weight", 100),
               lambda m: mod.ln_structured(m, "bias", 1, n=2, dim=0),
               lambda m: mod.ln_structured(m, "weight", 1, n=2, dim=2),
               lambda m: mod.random_structured(m, "weight", 5, dim=0),
               lambda m: mod.remove(m, "weight"),
               lambda m: mod.global_unstructured([(m, "weight")], mod.LnStructured, amount=1,
                                                 n=2),
               lambda m: mod.global_unstructured(3, mod.L1Unstructured, amount=1),
               lambda m: mod.global_unstructured([(m, "weight")], mod.L1Unstructured,
                                                 importance_scores=[1], amount=1),
               lambda m: mod.PruningContainer(mod.Identity()).add_pruning_method(3)]:
        try:
            fn(_linear(mod))
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            out.append((type(e).__name__, str(e).split(" of module")[0].split(" to Pruning")[0]))
        else:
            out.append(None)
    return out


def _linear(mod):
    return ember.nn.Linear(3, 4) if mod is ep else torch.nn.Linear(3, 4)


def test_errors_match_torch():
    got, want = _errors(ep), _errors(tp)
    for g, w in zip(got, want):
        assert g is not None
        assert g[0] == w[0]
        assert g[1].replace("ember", "torch") == w[1]


def test_failed_prune_restores_parameter():
    em = ember.nn.Linear(3, 4)
    with pytest.raises(ValueError):
        ep.l1_unstructured(em, "weight", 100)
    assert set(em.state_dict()) == {"weight", "bias"}
    assert isinstance(em.weight, ember.nn.Parameter)
