"""ember.histogramdd against torch.histogramdd: bins as one number, one per dimension or
edge tensors, with weights, density, ranges, points on the edges (the last bin closed),
points outside and NaNs, the named-tuple result and torch's errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _e(t, device):
    return ember.tensor(t.numpy(), device=device)


def _same(got, want):
    assert type(got).__name__ == "histogramdd" and got._fields == ("hist", "bin_edges")
    assert isinstance(got.bin_edges, tuple) and len(got.bin_edges) == len(want.bin_edges)
    assert str(got.hist.dtype).split(".")[-1] == str(want.hist.dtype).split(".")[-1]
    np.testing.assert_allclose(got.hist.cpu().numpy(), want.hist.numpy(), rtol=1e-5)
    for e, t in zip(got.bin_edges, want.bin_edges):
        np.testing.assert_allclose(e.cpu().numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(60, 2), (4, 25, 3), (30, 1)])
@pytest.mark.parametrize("bins", ["int", "ints", "edges"])
@pytest.mark.parametrize("options", ["plain", "weight", "density", "weight+density", "range"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_torch(device, shape, bins, options, dtype):
    rng = np.random.default_rng(sum(shape))
    x = torch.tensor(rng.standard_normal(shape), dtype=dtype)
    dims = shape[-1]
    bins_t = {"int": 4, "ints": [2, 3, 5][:dims],
              "edges": [torch.linspace(-1.5, 1.5, 4 + d, dtype=dtype) for d in range(dims)]}[bins]
    kw = {}
    if "weight" in options:
        kw["weight"] = torch.tensor(rng.random(shape[:-1]), dtype=dtype)
    if "density" in options:
        kw["density"] = True
    if options == "range":
        kw["range"] = [-1.0, 1.0] * dims
    want = torch.histogramdd(x, bins_t, **kw)
    bins_e = [_e(b, device) for b in bins_t] if bins == "edges" else bins_t
    got = ember.histogramdd(_e(x, device), bins_e,
                            **{k: _e(v, device) if isinstance(v, torch.Tensor) else v
                               for k, v in kw.items()})
    _same(got, want)


def test_points_on_edges_outside_and_nan_match_torch(device):
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [1.0, 0.0], [0.25, 0.75],
                      [1.5, 0.5], [-0.1, 0.2], [float("nan"), 0.5]])
    edges = [torch.tensor([0.0, 0.5, 1.0]), torch.tensor([0.0, 0.25, 0.5, 1.0])]
    _same(ember.histogramdd(_e(x, device), [_e(b, device) for b in edges]),
          torch.histogramdd(x, edges))
    # constant coordinates widen to [v - 0.5, v + 0.5]; no points give [0, 1]
    for pts in (torch.ones(4, 2), torch.ones(0, 2)):
        _same(ember.histogramdd(_e(pts, device), 2), torch.histogramdd(pts, 2))


def test_errors_match_torch():
    x = torch.rand(5, 2)
    calls = [
        lambda m, v: m.histogramdd(v[0], 3),
        lambda m, v: m.histogramdd(v, [3, 3, 3]),
        lambda m, v: m.histogramdd(v, [2, 0]),
        lambda m, v: m.histogramdd(v, 2.0),
        lambda m, v: m.histogramdd(v, m.tensor([0.0, 1.0])),
        lambda m, v: m.histogramdd(v, [m.tensor([0.0, 1.0]), 3]),
        lambda m, v: m.histogramdd(v, [m.tensor([0.0, 1.0]), m.tensor([0.0, 1.0]).double()]),
        lambda m, v: m.histogramdd(v, 2, range=[0.0, 1.0]),
        lambda m, v: m.histogramdd(v, 2, range=[0.0, 1.0, 1.0, 0.0]),
        lambda m, v: m.histogramdd(v, 2, range=[0.0, 1.0, 0.0, float("inf")]),
        lambda m, v: m.histogramdd(v, 2, weight=m.ones(4)),
        lambda m, v: m.histogramdd(v, 2, weight=m.ones(5).double()),
        lambda m, v: m.histogramdd(v.long(), 2),
    ]
    for call in calls:
        with pytest.raises(Exception) as want:
            call(torch, x)
        with pytest.raises(want.type):
            call(ember, ember.tensor(x.numpy()))
