"""ember.safetensors: the safetensors format without the safetensors package."""

import json
import struct

import numpy as np
import pytest

import ember
from ember import safetensors as st

DTYPES = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int8, ember.int16,
          ember.int32, ember.int64, ember.uint8, ember.bool]


def sample():
    return {f"t_{d.name}": (ember.randn(2, 3) * 10).to(d) for d in DTYPES} | {
        "scalar": ember.tensor(1.5), "empty": ember.empty(0, 4)}


def test_bytes_roundtrip_every_dtype():
    tensors = sample()
    back = st.load(st.save(tensors))
    assert set(back) == set(tensors)
    for k, t in tensors.items():
        assert back[k].dtype is t.dtype and back[k].shape == t.shape
        assert np.array_equal(back[k]._np(), t._np())


def test_file_roundtrip_metadata_and_layout(tmp_path):
    path = tmp_path / "m.safetensors"
    st.save_file({"b": ember.arange(3), "a": ember.ones(2, dtype=ember.float16)}, path,
                 metadata={"format": "pt"})
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "pt"}
    assert header["b"] == {"dtype": "I64", "shape": [3], "data_offsets": [0, 24]}
    assert header["a"] == {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]}
    assert len(raw) == 8 + n + 28
    with st.safe_open(path, framework="pt") as f:
        assert f.metadata() == {"format": "pt"} and f.keys() == ["a", "b"]
        assert f.get_tensor("b").tolist() == [0, 1, 2]
        s = f.get_slice("b")
        assert s.get_shape() == [3] and s.get_dtype() == "I64" and s[1:].tolist() == [1, 2]
        with pytest.raises(st.SafetensorError):
            f.get_tensor("nope")
    assert st.load_file(path)["a"].tolist() == [1.0, 1.0]


def test_loaded_tensors_are_independent(tmp_path):
    path = tmp_path / "x.safetensors"
    st.save_file({"w": ember.zeros(4)}, path)
    w = st.load_file(path)["w"]
    w.add_(1)
    assert st.load_file(path)["w"].tolist() == [0.0] * 4


def test_refuses_shared_and_noncontiguous():
    base = ember.arange(6.0)
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": base, "b": base[1:]})
    with pytest.raises(ValueError, match="non contiguous"):
        st.save({"a": base.reshape(2, 3).T})
    with pytest.raises(TypeError):
        st.save({"a": base}, metadata={"k": 1})


@pytest.mark.parametrize("blob", [
    b"", b"\x01\x00\x00\x00\x00\x00\x00", struct.pack("<Q", 1 << 40) + b"{}",
    struct.pack("<Q", 2) + b"[]", struct.pack("<Q", 4) + b"{xx}",
    struct.pack("<Q", 2) + b"{}" + b"extra",
])
def test_bad_headers(blob):
    with pytest.raises(st.SafetensorError):
        st.load(blob)


def test_bad_offsets():
    def make(entries, data):
        h = json.dumps(entries).encode()
        return struct.pack("<Q", len(h)) + h + data
    with pytest.raises(st.SafetensorError, match="invalid offsets"):
        st.load(make({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4))
    with pytest.raises(st.SafetensorError, match="InvalidOffset"):
        st.load(make({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8))
    with pytest.raises(st.SafetensorError, match="unsupported"):
        st.load(make({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8))
    assert st.load(make({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}},
                        b"\x01\x02"))["a"].tolist() == [1, 2]
