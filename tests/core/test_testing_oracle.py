"""ember.testing against torch.testing: the same verdicts, exception types and messages."""

import numpy as np
import pytest
import torch

import ember


def _outcome(fw, make, **kw):
    try:
        fw.testing.assert_close(*make(fw), **kw)
    except Exception as e:  # noqa: BLE001 (the exception itself is the result)
        # ember's Tensor class lives in ember._tensor; torch's says torch.Tensor
        return type(e).__name__, str(e).replace("torch", "ember").replace("ember._tensor.", "ember.")
    return "ok", ""


CASES = [
    (lambda m: (m.tensor([1.0, 2.0, 3.0]), m.tensor([1.0, 2.5, 3.1])), {}),
    (lambda m: (m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0000001])), {}),
    (lambda m: (m.tensor([1.0, 2.0]), m.tensor([1, 2])), {}),
    (lambda m: (m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0, 3.0])), {}),
    (lambda m: (m.tensor([1, 2]), m.tensor([1, 3])), {}),
    (lambda m: (m.tensor([1, 2]), m.tensor([1.0, 2.0])), {"check_dtype": False}),
    (lambda m: (m.tensor([[1.0, 2.0], [3.0, 4.0]]), m.tensor([[1.0, 2.0], [3.0, 5.0]])), {}),
    (lambda m: (m.tensor([[1.0, 2.0], [3.0, 4.0]]).double(),
                m.tensor([[1.0, 2.0], [3.0, 4.01]]).double()), {}),
    (lambda m: (m.tensor([True]), m.tensor([False])), {}),
    (lambda m: (m.tensor(1.0), m.tensor(1.1)), {}),
    (lambda m: (m.tensor(1.0), m.tensor(1.1)), {"msg": "custom"}),
    (lambda m: (m.tensor(1.0), m.tensor(1.1)), {"msg": lambda text: text[:7]}),
    (lambda m: (m.tensor([1.0]), m.tensor([1.05])), {"rtol": 0.1, "atol": 0.0}),
    (lambda m: (m.tensor([1.0]), m.tensor([1.0])), {"rtol": 1e-3}),
    (lambda m: (m.tensor([float("nan")]), m.tensor([float("nan")])), {}),
    (lambda m: (m.tensor([float("nan")]), m.tensor([float("nan")])), {"equal_nan": True}),
    (lambda m: (m.tensor([float("inf")]), m.tensor([float("inf")])), {}),
    (lambda m: (m.tensor([1.0, float("inf")]), m.tensor([1.0, 5.0])), {}),
    (lambda m: (m.tensor([0.0, 1.0]), m.tensor([0.0, 0.0])), {}),
    (lambda m: (m.ones(2, 3), m.ones(3, 2).t()), {"check_stride": True}),
    (lambda m: (m.ones(2, 3), m.ones(3, 2).t()), {}),
    (lambda m: (m.tensor([1.0]).half(), m.tensor([1.0005]).half()), {}),
    (lambda m: (m.tensor([1.0]).half(), m.tensor([1.01]).half()), {}),
    (lambda m: ([m.tensor(1.0), m.tensor(2.0)], [m.tensor(1.0), m.tensor(2.1)]), {}),
    (lambda m: ({"a": [1.0, m.tensor([1.0, 2.0])]}, {"a": [1.0, m.tensor([1.0, 3.0])]}), {}),
    (lambda m: ({"a": 1}, {"b": 1}), {}),
    (lambda m: ([1, 2], [1]), {}),
    (lambda m: (m.tensor([1 + 1j, 2j]), m.tensor([1 + 1j, 2.1j])), {}),
    (lambda m: (m.tensor([1.0, 2.0]).bfloat16(), m.tensor([1.0, 2.1]).bfloat16()), {}),
    (lambda m: (m.tensor([1, 2], dtype=m.int8), m.tensor([1, 2], dtype=m.int16)),
     {"check_dtype": False}),
    (lambda m: (1.0, 1.001), {}),
    (lambda m: (1.0, 1.0000001), {}),
    (lambda m: (1, 2), {}),
    (lambda m: (1, 1.0), {}),
    (lambda m: (True, False), {}),
    (lambda m: (1 + 1j, 1 + 2j), {}),
    (lambda m: (np.array([1.0, 2.0]), np.array([1.0, 2.1])), {}),
    (lambda m: (m.tensor([1.0]), [1.0]), {}),
    (lambda m: (1.0, m.tensor(1.0)), {}),
    (lambda m: ("a", "a"), {}),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_assert_close_matches_torch(case):
    make, kw = CASES[case]
    assert _outcome(ember, make, **kw) == _outcome(torch, make, **kw)


def test_assert_close_on_device(device):
    x = ember.tensor([1.0, 2.0], device=device)
    ember.testing.assert_close(x, x.clone())
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        ember.testing.assert_close(x, x + ember.tensor([0.0, 1.0], device=device))
    if device != "cpu":
        with pytest.raises(AssertionError, match="attribute 'device'"):
            ember.testing.assert_close(x, x.cpu())


def test_assert_allclose_takes_numbers_and_lists():
    ember.testing.assert_allclose(ember.tensor([1.0, 2.0]), [1.0, 2.0])
    ember.testing.assert_allclose(ember.tensor([float("nan")]), [float("nan")])
    with pytest.raises(AssertionError):
        ember.testing.assert_allclose(ember.tensor([1.0, 2.0]), [1.0, 2.5])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64",
                                   "int8", "uint8", "bool", "complex64"])
def test_make_tensor(dtype, device):
    d = getattr(ember, dtype)
    t = ember.testing.make_tensor(4, 5, dtype=d, device=device, low=-3, high=4)
    assert t.shape == (4, 5) and t.dtype == d and t.device.type == device
    if d not in (ember.bool, ember.complex64):
        values = t.float().cpu().numpy()
        assert values.min() >= (0 if d == ember.uint8 else -3) and values.max() < 4
    nc = ember.testing.make_tensor((3, 4), dtype=d, device=device, noncontiguous=True)
    assert not nc.is_contiguous() and nc.shape == (3, 4)
    if d != ember.bool:
        nz = ember.testing.make_tensor(50, dtype=d, device=device, low=-1, high=1,
                                       exclude_zero=True)
        assert bool((nz != 0).all())
    if d.is_floating_point:
        g = ember.testing.make_tensor(2, dtype=d, device=device, requires_grad=True)
        assert g.requires_grad and g.is_leaf
    with pytest.raises(ValueError):
        ember.testing.make_tensor(2, dtype=ember.float32, device=device, low=2, high=1)
