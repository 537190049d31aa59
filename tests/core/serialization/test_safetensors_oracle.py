"""ember.safetensors against the safetensors package (byte-identical files both ways)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from ember import safetensors as st  # noqa: E402

PAIRS = [(ember.float32, torch.float32), (ember.float64, torch.float64),
         (ember.float16, torch.float16), (ember.bfloat16, torch.bfloat16),
         (ember.int8, torch.int8), (ember.int16, torch.int16), (ember.int32, torch.int32),
         (ember.int64, torch.int64), (ember.uint8, torch.uint8), (ember.bool, torch.bool)]


def test_same_bytes_both_ways(tmp_path):
    ours = {f"x{i}": (ember.randn(3, 2) * 20).to(e) for i, (e, _) in enumerate(PAIRS)}
    ours["empty"] = ember.empty(0)
    st.save_file(ours, tmp_path / "e.safetensors", metadata={"a": "b"})
    theirs = safetensors_torch.load_file(tmp_path / "e.safetensors")
    for k, t in ours.items():
        ref = theirs[k]
        raw = ref.view(torch.int16) if ref.dtype == torch.bfloat16 else ref
        assert np.array_equal(raw.numpy().view(t._np().dtype), t._np())
    safetensors_torch.save_file(theirs, tmp_path / "t.safetensors", metadata={"a": "b"})
    assert (tmp_path / "e.safetensors").read_bytes() == (tmp_path / "t.safetensors").read_bytes()
    assert st.save(ours, metadata={"a": "b"}) == safetensors_torch.save(theirs, {"a": "b"})
    back = st.load_file(tmp_path / "t.safetensors")
    for k in ours:
        assert np.array_equal(back[k]._np(), ours[k]._np())
