"""Tensor printing against torch's, character for character (ember's module name aside):
summarized tensors of every shape kind and dtype family, and bool tensors, whose width
depends on whether a False is shown."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

SHAPES = [(3000,), (3, 1000), (1000, 3), (2, 2, 600), (7,), (2, 3)]
DTYPES = [(ember.float32, torch.float32), (ember.float64, torch.float64),
          (ember.int64, torch.int64), (ember.int32, torch.int32), (ember.bool, torch.bool)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,torch_dtype", DTYPES)
@pytest.mark.parametrize("values", ["mod7", "big", "ones"])
def test_repr_matches_torch(shape, dtype, torch_dtype, values):
    n = int(np.prod(shape))
    base = {"mod7": np.arange(n) % 7, "big": np.arange(n) * 1013.5 - 4e5,
            "ones": np.ones(n)}[values]
    t = torch.tensor(base.reshape(shape)).to(torch_dtype)
    e = ember.tensor(t.numpy())
    assert repr(e).replace("ember.", "torch.") == repr(t)


@pytest.mark.parametrize("values", [[True, True], [True, False], [False, False], [[True], [False]],
                                    [[True, True], [True, True]]])
def test_bool_repr_matches_torch(values):
    assert repr(ember.tensor(values)) == repr(torch.tensor(values))
