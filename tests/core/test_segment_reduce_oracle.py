"""ember.segment_reduce against torch.segment_reduce: every reduction with lengths and
with offsets, on 1-D and batched data, empty segments with and without initial, ties,
zeros and NaNs, the gradients torch's backward gives, and torch's errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

REDUCTIONS = ["sum", "mean", "max", "min", "prod"]
CASES = [  # data shape, axis, lengths
    ((7,), 0, [2, 0, 3, 2]),
    ((7, 3), 0, [0, 7, 0]),
    ((4, 7, 2), 1, [[2, 0, 3, 2], [0, 0, 7, 0], [1, 1, 1, 4], [7, 0, 0, 0]]),
]


def _to_ember(t, device):
    return ember.tensor(t.detach().numpy(), device=device)


def _offsets(lengths):
    lead = lengths.shape[:-1]
    return torch.cat([torch.zeros(*lead, 1, dtype=lengths.dtype), lengths.cumsum(-1)], -1)


def _close(e, t):
    np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-6,
                               atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("initial", [None, 0.5])
@pytest.mark.parametrize("by", ["lengths", "offsets"])
def test_values_and_gradients_match_torch(device, reduce, case, initial, by):
    shape, axis, lengths = CASES[case]
    rng = np.random.default_rng(case)
    data = torch.tensor(rng.standard_normal(shape))
    flat = data.view(-1)
    flat[3] = flat[4]  # a tie for max/min
    flat[5] = 0.0  # a zero for prod
    lengths = torch.tensor(lengths)
    bounds = {"lengths": lengths} if by == "lengths" else {"offsets": _offsets(lengths)}
    x = data.clone().requires_grad_()
    want = torch.segment_reduce(x, reduce, axis=axis, initial=initial, **bounds)
    grad = torch.tensor(rng.standard_normal(want.shape))
    want.backward(grad)
    xe = _to_ember(data, device).requires_grad_()
    got = ember.segment_reduce(xe, reduce, axis=axis, initial=initial,
                               **{k: _to_ember(v, device) for k, v in bounds.items()})
    got.backward(_to_ember(grad, device))
    _close(got, want)
    _close(xe.grad, x.grad)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_nan_and_several_zeros_match_torch(device, reduce):
    data = torch.tensor([1.0, float("nan"), 3.0, 0.0, 0.0, 2.0, 0.0, 4.0])
    lengths = torch.tensor([3, 3, 2])
    x = data.clone().requires_grad_()
    want = torch.segment_reduce(x, reduce, lengths=lengths)
    want.backward(torch.arange(1.0, 4.0))
    xe = _to_ember(data, device).requires_grad_()
    got = ember.segment_reduce(xe, reduce, lengths=_to_ember(lengths, device))
    got.backward(ember.arange(1.0, 4.0, device=device))
    _close(got, want)
    _close(xe.grad, x.grad)


def test_unsafe_and_offsets_not_from_zero_match_torch(device):
    data = torch.arange(1.0, 8.0)
    want = torch.segment_reduce(data, "sum", lengths=torch.tensor([2, 0, 3, 1]), unsafe=True)
    got = ember.segment_reduce(_to_ember(data, device), "sum",
                               lengths=ember.tensor([2, 0, 3, 1], device=device), unsafe=True)
    _close(got, want)
    want = torch.segment_reduce(data, "max", offsets=torch.tensor([1, 2, 2, 5]))
    got = ember.segment_reduce(_to_ember(data, device), "amax",
                               offsets=ember.tensor([1, 2, 2, 5], device=device))
    _close(got, want)
    x = torch.randn(2, 6, dtype=torch.float64)
    lengths32 = torch.tensor([[2, 4], [6, 0]], dtype=torch.int32)
    _close(ember.segment_reduce(_to_ember(x, device), "mean",
                                lengths=_to_ember(lengths32, device), axis=-1),
           torch.segment_reduce(x, "mean", lengths=lengths32, axis=-1))


def test_errors_match_torch():
    data = torch.arange(1.0, 8.0)
    calls = [
        lambda m, d: m.segment_reduce(d, "foo", lengths=m.tensor([7])),
        lambda m, d: m.segment_reduce(d, "sum"),
        lambda m, d: m.segment_reduce(d, "sum", indices=m.tensor([7])),
        lambda m, d: m.segment_reduce(d, "sum", lengths=m.tensor([2, 0, 3, 1])),
        lambda m, d: m.segment_reduce(d, "sum", lengths=m.tensor([2, 0, 3, -2])),
        lambda m, d: m.segment_reduce(d, "sum", lengths=m.tensor([2.0, 5.0])),
        lambda m, d: m.segment_reduce(d.long(), "sum", lengths=m.tensor([7])),
        lambda m, d: m.segment_reduce(d, "sum", lengths=m.tensor(7)),
        lambda m, d: m.segment_reduce(d, "sum", lengths=m.tensor([7]), axis=1),
        lambda m, d: m.segment_reduce(d, "sum", offsets=m.tensor([0, 3, 2, 7])),
    ]
    for call in calls:
        with pytest.raises(Exception) as want:
            call(torch, data)
        with pytest.raises(want.type):
            call(ember, ember.tensor(data.numpy()))
