"""DLPack to and from torch without copies."""

import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle


def test_dlpack_both_ways_with_torch_share_memory():
    t = torch.arange(6.0).reshape(2, 3)
    e = ember.from_dlpack(t)
    e[1, 2] = 42.0
    assert t[1, 2].item() == 42.0
    back = torch.from_dlpack(ember.arange(12, dtype=ember.int32).reshape(3, 4).t())
    assert back.dtype == torch.int32 and back.tolist() == torch.arange(12, dtype=torch.int32) \
        .reshape(3, 4).t().tolist()
