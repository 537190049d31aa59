"""ember.autograd.forward_ad against torch.autograd.forward_ad: primal and tangent of many
ops on random float64 duals, the errors of make_dual, unpack_dual and the level functions,
levels entered one after another, outputs that do not depend on a dual, in-place writes,
and backward through primals and tangents."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember.autograd.forward_ad as eAD  # noqa: E402
import torch.autograd.forward_ad as tAD  # noqa: E402

RNG = np.random.default_rng(0)


def _pair(arr, device):
    return ember.tensor(arr, device=device), torch.tensor(arr)


def _close(e, t, tol=1e-9):
    if t is None:
        assert e is None
        return
    assert e is not None
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(e.cpu().detach().numpy(), t.detach().numpy(), rtol=tol,
                               atol=tol)


def _run(lib, fn, primals, tangents, consts):
    """fn's (primal, tangent) with every primal made dual, under one level of lib."""
    ad = eAD if lib is ember else tAD
    with ad.dual_level():
        duals = [ad.make_dual(p, t) for p, t in zip(primals, tangents)]
        out = ad.unpack_dual(fn(lib, *duals, *consts))
    return out.primal, out.tangent


def _check(fn, shapes, device, consts=(), positive=False, tol=1e-9):
    e_in, t_in, e_tan, t_tan = [], [], [], []
    for shape in shapes:
        x = RNG.standard_normal(shape)
        x = np.abs(x) + 0.5 if positive else x
        e, t = _pair(x, device)
        e_in.append(e)
        t_in.append(t)
        e, t = _pair(RNG.standard_normal(shape), device)
        e_tan.append(e)
        t_tan.append(t)
    e_consts, t_consts = zip(*[_pair(c, device) for c in consts]) if consts else ((), ())
    ep, et = _run(ember, fn, e_in, e_tan, e_consts)
    tp, tt = _run(torch, fn, t_in, t_tan, t_consts)
    _close(ep, tp, tol)
    _close(et, tt, tol)


UNARY = {
    "sin": lambda lib, x: x.sin(),
    "exp": lambda lib, x: x.exp(),
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: lib.sigmoid(x),
    "relu": lambda lib, x: lib.nn.functional.relu(x),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "softplus": lambda lib, x: lib.nn.functional.softplus(x),
    "abs": lambda lib, x: x.abs(),
    "cube": lambda lib, x: x ** 3,
    "erf": lambda lib, x: lib.erf(x),
    "neg_clamp": lambda lib, x: (-x).clamp(-0.5, 0.7),
    "chain": lambda lib, x: (x.sin() * x.cos() + x * x).exp(),
}
POSITIVE_UNARY = {
    "log": lambda lib, x: x.log(),
    "sqrt": lambda lib, x: x.sqrt(),
    "reciprocal": lambda lib, x: x.reciprocal(),
    "rsqrt": lambda lib, x: lib.rsqrt(x),
}


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_tangents_match_torch(device, name, shape):
    _check(UNARY[name], [shape], device)


@pytest.mark.parametrize("shape", [(5,), (2, 3)])
@pytest.mark.parametrize("name", sorted(POSITIVE_UNARY))
def test_positive_domain_unary_tangents_match_torch(device, name, shape):
    _check(POSITIVE_UNARY[name], [shape], device, positive=True)


BINARY = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (b * b + 1),
    "pow": lambda lib, a, b: (a * a + 1) ** b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "where": lambda lib, a, b: lib.where(a > 0, a, b),
}


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)],
                                    [(), (2, 3)]])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_broadcasting_binary_tangents_match_torch(device, name, shapes):
    _check(BINARY[name], shapes, device)


def test_one_dual_and_one_constant_operand(device):
    _check(lambda lib, a, c: a * c + c.exp(), [(3, 4)], device, consts=[RNG.standard_normal(4)])


REDUCTIONS = {
    "sum": lambda lib, x: x.sum(),
    "sum_dim": lambda lib, x: x.sum(dim=1, keepdim=True),
    "mean": lambda lib, x: x.mean(dim=0),
    "prod": lambda lib, x: x.prod(dim=-1),
    "amax": lambda lib, x: x.amax(dim=1),
    "norm": lambda lib, x: x.norm(),
    "logsumexp": lambda lib, x: x.logsumexp(dim=1),
    "var": lambda lib, x: x.var(dim=0),
    "cumsum": lambda lib, x: x.cumsum(dim=1),
}


@pytest.mark.parametrize("shape", [(3, 4), (2, 5, 3)])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_tangents_match_torch(device, name, shape):
    _check(REDUCTIONS[name], [shape], device)


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(2, 3, 4), (4, 2)],
                                    [(2, 3, 4), (2, 4, 5)], [(4,), (4, 3)], [(3, 4), (4,)]])
def test_matmul_tangents_match_torch(device, shapes):
    _check(lambda lib, a, b: a @ b, shapes, device)


VIEWS = {
    "transpose": lambda lib, x: x.t() * 2,
    "reshape": lambda lib, x: x.reshape(4, 3).exp(),
    "slice": lambda lib, x: x[1:, ::2],
    "select": lambda lib, x: x[2],
    "permute_contiguous": lambda lib, x: x.unsqueeze(0).permute(2, 0, 1).contiguous(),
    "expand": lambda lib, x: x[:, :1].expand(3, 5),
    "index_tensor": lambda lib, x: x[lib.tensor([2, 0, 2])],
    "index_select": lambda lib, x: x.index_select(1, lib.tensor([3, 1])),
    "gather": lambda lib, x: x.gather(1, lib.tensor([[0, 1], [2, 3], [1, 1]], device=x.device)),
    "cat": lambda lib, x: lib.cat([x, x.sin()], dim=0),
    "stack": lambda lib, x: lib.stack([x, x * x], dim=1),
    "flip": lambda lib, x: x.flip(0),
    "masked_fill": lambda lib, x: x.masked_fill(x > 0, 0.0),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_and_indexing_tangents_match_torch(device, name):
    _check(VIEWS[name], [(3, 4)], device)


def test_softmax_and_log_softmax_match_torch(device):
    _check(lambda lib, x: lib.softmax(x, dim=-1), [(3, 5)], device)
    _check(lambda lib, x: lib.nn.functional.log_softmax(x, dim=0), [(4, 3)], device)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv2d_tangent_w_r_t_input_weight_and_bias_matches_torch(device, stride, padding):
    _check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=stride,
                                                         padding=padding),
           [(2, 3, 6, 5), (4, 3, 3, 3), (4,)], device)


def test_layer_norm_tangent_matches_torch(device):
    _check(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (5,), w, b, eps=1e-5),
           [(3, 4, 5), (5,), (5,)], device)


def test_mlp_tangent_through_functional_call_matches_torch(device):
    emlp = ember.nn.Sequential(ember.nn.Linear(4, 6), ember.nn.Tanh(), ember.nn.Linear(6, 2))
    tmlp = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    names = [n for n, _ in tmlp.named_parameters()]
    shapes = [tuple(p.shape) for _, p in tmlp.named_parameters()]
    emlp = emlp.double().to(device)
    tmlp = tmlp.double()
    x = RNG.standard_normal((5, 4))

    def run(lib, *params):
        call = ember.func.functional_call if lib is ember else torch.func.functional_call
        module = emlp if lib is ember else tmlp
        return call(module, dict(zip(names, params)), (lib.tensor(x, device=params[0].device),))

    _check(run, shapes, device)


def test_complex_dual_matches_torch(device):
    xn = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    tn = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    for fn in (lambda lib, a: a * a.exp(), lambda lib, a: a.abs(), lambda lib, a: a.conj() * a):
        ep, et = _run(ember, fn, [ember.tensor(xn, device=device)],
                      [ember.tensor(tn, device=device)], ())
        tp, tt = _run(torch, fn, [torch.tensor(xn)], [torch.tensor(tn)], ())
        _close(ep, tp)
        _close(et, tt)


# ---- what does not depend on a dual --------------------------------------------------------

def test_outputs_without_dual_dependence_have_no_tangent(device):
    x = RNG.standard_normal(4)
    tan = RNG.standard_normal(4)
    cases = {
        "plain": lambda lib, d, c: c * 2,
        "detached": lambda lib, d, c: d.detach() * 3,
        "integer": lambda lib, d, c: d.argmax(),
        "comparison": lambda lib, d, c: d > 0,
        "locally_constant": lambda lib, d, c: d.sign() + c,
        "zero_times": lambda lib, d, c: d * 0,
    }
    for name, fn in cases.items():
        ep, et = _run(ember, fn, [ember.tensor(x, device=device)],
                      [ember.tensor(tan, device=device)], [ember.tensor(x, device=device)])
        tp, tt = _run(torch, fn, [torch.tensor(x)], [torch.tensor(tan)], [torch.tensor(x)])
        _close(ep, tp)
        _close(et, tt)
        assert ep.requires_grad is tp.requires_grad, name


def test_the_dual_itself_unpacks_to_its_tangent_as_given(device):
    x, t = ember.randn(3, dtype=ember.float64, device=device), ember.randn(3, device=device)
    with eAD.dual_level():
        d = eAD.make_dual(x, t)
        primal, tangent = eAD.unpack_dual(d)
        assert tangent is t  # as torch: float32 tangent of a float64 primal kept as given
        assert not primal.requires_grad
        np.testing.assert_array_equal(primal.cpu().numpy(), x.cpu().numpy())
        # results take the primal's dtype, as torch's do
        assert eAD.unpack_dual(d * 2).tangent.dtype == ember.float64


def test_unpack_without_a_level_gives_the_tensor_and_none():
    for lib, ad in ((ember, eAD), (torch, tAD)):
        x = lib.ones(2)
        primal, tangent = ad.unpack_dual(x)
        assert primal is x and tangent is None
        assert ad.unpack_dual(x, level=0).tangent is None


# ---- levels ---------------------------------------------------------------------------------

def test_levels_one_after_another_and_exit_drops_tangents(device):
    for lib, ad in ((ember, eAD), (torch, tAD)):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64)
        with ad.dual_level() as level:
            assert level == 0
            y = ad.make_dual(x, lib.ones(2, dtype=lib.float64)).exp()
            assert ad.unpack_dual(y).tangent is not None
        assert ad.unpack_dual(y).tangent is None
        assert ad.unpack_dual(y, level=0).tangent is None
        level = ad.enter_dual_level()
        assert level == 0
        assert ad.unpack_dual(y).tangent is None  # a new level: the old duals are gone
        ad.exit_dual_level(level=level)


def test_dual_level_works_as_a_decorator():
    @eAD.dual_level()
    def tangent_of_square(x, t):
        return eAD.unpack_dual(eAD.make_dual(x, t) ** 2).tangent

    got = tangent_of_square(ember.tensor([3.0]), ember.tensor([1.0]))
    assert got.tolist() == [6.0]
    assert eAD._current_level == -1


def _raises_like_torch(fn):
    """fn(lib, ad) raises the same exception type under ember and torch."""
    with pytest.raises(Exception) as want:
        fn(torch, tAD)
    with pytest.raises(want.type):
        fn(ember, eAD)


def test_level_errors_match_torch():
    _raises_like_torch(lambda lib, ad: ad.exit_dual_level())

    def nested(lib, ad):
        with ad.dual_level():
            ad.enter_dual_level()
    _raises_like_torch(nested)

    def exit_wrong(lib, ad):
        with ad.dual_level():
            ad.exit_dual_level(level=3)
    _raises_like_torch(exit_wrong)
    assert eAD._current_level == tAD._current_level == -1


def test_make_dual_errors_match_torch():
    def f64(lib, *shape):
        return lib.ones(*shape, dtype=lib.float64)

    _raises_like_torch(lambda lib, ad: ad.make_dual(f64(lib, 3), f64(lib, 3)))
    _raises_like_torch(lambda lib, ad: ad.make_dual(f64(lib, 3), f64(lib, 3), level=0))
    cases = [
        lambda lib, ad: ad.make_dual(f64(lib, 3), f64(lib, 4)),
        lambda lib, ad: ad.make_dual(f64(lib, 3), f64(lib, 3, 1)),
        lambda lib, ad: ad.make_dual(f64(lib, 3), f64(lib, 1)),
        lambda lib, ad: ad.make_dual(lib.arange(3), f64(lib, 3)),
        lambda lib, ad: ad.make_dual(f64(lib, 3), lib.arange(3)),
        lambda lib, ad: ad.make_dual(f64(lib, 3), f64(lib, 3), level=4),
        lambda lib, ad: ad.make_dual(ad.make_dual(f64(lib, 3), f64(lib, 3)), f64(lib, 3)),
        lambda lib, ad: ad.make_dual(ad.make_dual(f64(lib, 3), f64(lib, 3)).sin(),
                                     f64(lib, 3)),
        lambda lib, ad: ad.unpack_dual(ad.make_dual(f64(lib, 3), f64(lib, 3)) * 2, level=2),
    ]
    for case in cases:
        def inside(lib, ad, case=case):
            with ad.dual_level():
                case(lib, ad)
        _raises_like_torch(inside)


def test_make_dual_of_a_detached_result_is_allowed(device):
    x = RNG.standard_normal(3)
    fn = lambda lib, d: (d * 2).detach()  # noqa: E731
    for lib, ad in ((ember, eAD), (torch, tAD)):
        with ad.dual_level():
            kw = {"device": device} if lib is ember else {}
            again = ad.make_dual(fn(lib, ad.make_dual(lib.tensor(x, **kw), lib.tensor(x, **kw))),
                                 lib.ones(3, dtype=lib.float64, **kw))
            assert ad.unpack_dual(again.exp()).tangent is not None


# ---- in-place writes, backward, caching ------------------------------------------------------

def test_in_place_writes_carry_tangents_like_torch(device):
    x, tan, z = (RNG.standard_normal(3) for _ in range(3))

    def fn(lib, d):
        d.mul_(2)
        out = lib.zeros(5, dtype=lib.float64, device=d.device)
        out[1:4].copy_(d)
        out.add_(d.sum())
        return out

    ep, et = _run(ember, fn, [ember.tensor(x, device=device)],
                  [ember.tensor(tan, device=device)], ())
    tp, tt = _run(torch, fn, [torch.tensor(x)], [torch.tensor(tan)], ())
    _close(ep, tp)
    _close(et, tt)


def test_cached_tangent_is_refreshed_after_an_in_place_write(device):
    x, tan = RNG.standard_normal(3), RNG.standard_normal(3)
    got = {}
    for lib, ad in ((ember, eAD), (torch, tAD)):
        kw = {"device": device} if lib is ember else {}
        with ad.dual_level():
            d = ad.make_dual(lib.tensor(x, **kw), lib.tensor(tan, **kw))
            y = d + 1
            first = ad.unpack_dual(y).tangent
            if lib is ember:
                assert ad.unpack_dual(y).tangent is first  # computed once per output
            first = first.clone()  # torch updates y's tangent tensor in place
            y.mul_(d.cos())
            got[lib] = (first, ad.unpack_dual(y).tangent)
    _close(got[ember][0], got[torch][0])
    _close(got[ember][1], got[torch][1])


def test_overwriting_a_saved_value_before_unpacking_raises_a_clear_error():
    # torch's eager forward AD allows this; ember reads tangents from the recorded graph
    with eAD.dual_level():
        y = eAD.make_dual(ember.ones(3), ember.ones(3)).exp()  # exp's backward needs y
        y.mul_(2)
        with pytest.raises(RuntimeError, match="overwritten in place"):
            eAD.unpack_dual(y)


def test_backward_through_primal_and_tangent_matches_torch(device):
    x, tan, w = (RNG.standard_normal(4) for _ in range(3))
    grads = {}
    for lib, ad in ((ember, eAD), (torch, tAD)):
        kw = {"device": device} if lib is ember else {}
        xr = lib.tensor(x, requires_grad=True, **kw)
        wr = lib.tensor(w, requires_grad=True, **kw)
        with ad.dual_level():
            d = ad.make_dual(xr, lib.tensor(tan, **kw))
            primal, tangent = ad.unpack_dual((d * wr).sin())
            assert primal.requires_grad and tangent.requires_grad
            (primal.sum() + (tangent * tangent).sum()).backward()
        grads[lib] = (xr.grad, wr.grad)
    _close(grads[ember][0], grads[torch][0])
    _close(grads[ember][1], grads[torch][1])


def test_tangent_that_requires_grad_gives_a_differentiable_tangent(device):
    x, tan = RNG.standard_normal(3), RNG.standard_normal(3)
    grads = {}
    for lib, ad in ((ember, eAD), (torch, tAD)):
        kw = {"device": device} if lib is ember else {}
        tr = lib.tensor(tan, requires_grad=True, **kw)
        with ad.dual_level():
            out = ad.unpack_dual(ad.make_dual(lib.tensor(x, **kw), tr).exp())
            out.tangent.sum().backward()
        grads[lib] = tr.grad
    _close(grads[ember], grads[torch])


def test_once_differentiable_backward_raises_a_clear_error():
    lstm = ember.nn.LSTM(3, 4).double()  # the fused CPU kernel's backward is not differentiable
    x = ember.randn(2, 1, 3, dtype=ember.float64)
    with eAD.dual_level():
        out, _ = lstm(eAD.make_dual(x, ember.randn(2, 1, 3, dtype=ember.float64)))
        with pytest.raises(NotImplementedError, match="once_differentiable"):
            eAD.unpack_dual(out)


def test_public_names_match_torch():
    assert sorted(eAD.__all__) == sorted(tAD.__all__)
    assert ember.autograd.forward_ad is eAD
