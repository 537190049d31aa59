"""ember.save -> ember.load round trips, the archive's layout, map_location, mmap, allow-list."""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np
import pytest

import ember
import ember._zip
from ember import serialization

ALL_DTYPES = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int8,
              ember.int16, ember.int32, ember.int64, ember.uint8, ember.bool]


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **load_kwargs)


def same(a, b):
    assert type(a) is type(b)
    assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
    assert a.stride() == b.stride() and a.storage_offset() == b.storage_offset()
    assert np.array_equal(a._np(), b._np(), equal_nan=True)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_every_dtype(dtype):
    t = (ember.randn(3, 4) * 50).to(dtype)
    back = roundtrip({"t": t})["t"]
    same(t, back)


def test_containers_and_scalars():
    obj = {"a": [1, 2.5, "x", None, True, (3, (4,))], "b": collections.OrderedDict(z=1, a=2),
           "c": b"\x00bytes\xff", "d": {1: -(2 ** 70)}, "e": float("inf"), "f": set()}
    back = roundtrip(obj)
    assert back == obj
    assert type(back["b"]) is collections.OrderedDict and list(back["b"]) == ["z", "a"]


def test_zero_dim_empty_and_noncontiguous():
    base = ember.arange(24.0).reshape(2, 3, 4)
    items = {"scalar": ember.tensor(3.5), "empty": ember.empty(0, 3), "t": base.transpose(0, 2),
             "sliced": base[:, 1:, ::2], "expanded": ember.ones(3, 1).expand(3, 5),
             "offset": base[1, 2]}
    back = roundtrip(items)
    for k, v in items.items():
        same(v, back[k])
    assert back["expanded"].stride() == (1, 0)
    assert back["offset"].storage_offset() == 20
    assert back["offset"].tolist() == [20.0, 21.0, 22.0, 23.0]


def test_shared_storage_stays_shared():
    base = ember.arange(10.0)
    back = roundtrip({"a": base, "b": base[2:5], "c": base.view(2, 5), "d": ember.arange(3.0)})
    assert back["a"]._storage is back["b"]._storage is back["c"]._storage
    assert back["d"]._storage is not back["a"]._storage
    back["b"].mul_(-1)
    assert back["a"].tolist()[:6] == [0.0, 1.0, -2.0, -3.0, -4.0, 5.0]
    assert back["c"][0].tolist() == [0.0, 1.0, -2.0, -3.0, -4.0]


def test_same_tensor_twice_is_one_object():
    t = ember.ones(2)
    back = roundtrip([t, t])
    assert back[0] is back[1]


def test_requires_grad_and_parameter():
    w = ember.randn(2, 3, requires_grad=True)
    back = roundtrip({"w": w, "x": ember.zeros(2)})
    assert back["w"].requires_grad and back["w"].is_leaf and not back["x"].requires_grad
    same(w.detach(), back["w"].detach())
    Parameter = serialization._parameter_class()
    if Parameter is not None:
        p = Parameter(ember.ones(3))
        q = roundtrip({"p": p})["p"]
        assert type(q) is Parameter and q.requires_grad and q.tolist() == [1.0, 1.0, 1.0]


def test_pickled_torch_globals_are_torch_names():
    buf = io.BytesIO()
    ember.save({"t": ember.ones(2, dtype=ember.bfloat16), "s": ember.Size([2]),
                "d": ember.float16, "dev": ember.device("cpu")}, buf)
    pkl = zipfile.ZipFile(buf).read("archive/data.pkl")
    import pickletools
    globals_ = {arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"}
    assert globals_ == {"collections OrderedDict", "torch._utils _rebuild_tensor_v2",
                        "torch BFloat16Storage", "torch Size", "torch float16", "torch device"}
    assert pkl[:2] == b"\x80\x02"  # protocol 2


def test_size_dtype_device_roundtrip():
    back = roundtrip({"s": ember.Size([2, 3]), "d": ember.bfloat16, "dev": ember.device("cpu"),
                      "cuda": ember.device("cuda", 1)})
    assert type(back["s"]) is ember.Size and back["s"] == (2, 3)
    assert back["d"] is ember.bfloat16
    assert back["dev"] == ember.device("cpu") and back["cuda"] == ember.device("cuda:1")


def test_optimizer_like_state_dict():
    sd = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.randn(4),
                        "exp_avg_sq": ember.rand(4)}},
          "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                            "amsgrad": False, "params": [0]}]}
    back = roundtrip(sd)
    assert back["param_groups"] == sd["param_groups"]
    for k, v in sd["state"][0].items():
        same(v, back["state"][0][k])


def test_state_dict_metadata_attribute_survives():
    sd = collections.OrderedDict(w=ember.ones(1))
    sd._metadata = collections.OrderedDict({"": {"version": 1}})
    back = roundtrip(sd)
    assert back._metadata == {"": {"version": 1}}


def test_archive_layout(tmp_path):
    path = tmp_path / "model.pt"
    ember.save({"a": ember.arange(5.0), "b": ember.ones(3, dtype=ember.int64)}, path)
    z = zipfile.ZipFile(path)
    names = z.namelist()
    assert names == ["model/data.pkl", "model/.format_version", "model/.storage_alignment",
                     "model/byteorder", "model/data/0", "model/data/1", "model/version",
                     "model/.data/serialization_id"]
    assert z.read("model/byteorder") == b"little" and z.read("model/version") == b"3\n"
    assert z.read("model/.storage_alignment") == b"64" and z.read("model/.format_version") == b"1"
    assert len(z.read("model/.data/serialization_id")) == 40
    assert z.testzip() is None
    raw = path.read_bytes()
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        n, m = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
        assert (info.header_offset + 30 + n + m) % 64 == 0  # torch's record alignment
    assert np.frombuffer(z.read("model/data/0"), "<f4").tolist() == [0, 1, 2, 3, 4]


def test_zip64_records(monkeypatch):
    monkeypatch.setattr(ember._zip, "_CHUNK", 64)  # big-record paths: descriptors, chunked CRC
    monkeypatch.setattr(ember._zip, "ZIP64_LIMIT", 16)
    t = ember.arange(100.0)
    buf = io.BytesIO()
    ember.save({"t": t, "u": t[3:]}, buf)
    assert zipfile.ZipFile(buf).testzip() is None
    buf.seek(0)
    back = ember.load(buf)
    assert back["t"].tolist() == t.tolist() and back["u"]._storage is back["t"]._storage


def test_path_file_object_and_pathlike(tmp_path):
    t = ember.randn(5)
    ember.save(t, str(tmp_path / "a.pt"))
    with open(tmp_path / "b.pt", "wb") as f:
        ember.save(t, f)
    for name in ("a.pt", "b.pt"):
        same(t, ember.load(tmp_path / name))
        with open(tmp_path / name, "rb") as f:
            same(t, ember.load(f))


def test_map_location_forms():
    t = {"w": ember.arange(4.0)}
    for loc in (None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s,
                lambda s, loc: None):
        assert roundtrip(t, map_location=loc)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    seen = []
    roundtrip(t, map_location=lambda s, loc: seen.append((s.shape, loc)))
    assert seen == [(ember.Size([4]), "cpu")]
    with pytest.raises(TypeError, match="map_location"):
        roundtrip(t, map_location=3)


def test_cuda_location_without_cuda_is_clear():
    buf = io.BytesIO()
    ember.save(ember.ones(2), buf)
    data = buf.getvalue()
    # rewrite the location inside data.pkl: same length, so the archive stays valid
    z = zipfile.ZipFile(io.BytesIO(data))
    pkl = z.read("archive/data.pkl").replace(b"X\x03\x00\x00\x00cpu", b"X\x03\x00\x00\x00cud")
    out = io.BytesIO()
    w = ember._zip.ZipWriter(out)
    for name in z.namelist():
        w.write_record(name, pkl if name.endswith("data.pkl") else z.read(name))
    w.close()
    out.seek(0)
    with pytest.raises(RuntimeError, match="restore data location"):
        ember.load(out)
    pkl = z.read("archive/data.pkl").replace(b"X\x03\x00\x00\x00cpu",
                                             b"X\x06\x00\x00\x00cuda:0")
    out = io.BytesIO()
    w = ember._zip.ZipWriter(out)
    for name in z.namelist():
        w.write_record(name, pkl if name.endswith("data.pkl") else z.read(name))
    w.close()
    if not ember.cuda.is_available():
        out.seek(0)
        with pytest.raises(RuntimeError, match="map_location=ember.device\\('cpu'\\)"):
            ember.load(out)
    out.seek(0)
    assert ember.load(out, map_location="cpu").tolist() == [1.0, 1.0]
    out.seek(0)
    assert ember.load(out, map_location={"cuda:0": "cpu"}).tolist() == [1.0, 1.0]


def test_mmap_load(tmp_path):
    path = tmp_path / "m.pt"
    t = ember.randn(1000)
    ember.save({"t": t, "h": ember.ones(3, dtype=ember.float16)}, path)
    back = ember.load(path, mmap=True)
    same(t, back["t"])
    assert back["h"].tolist() == [1.0, 1.0, 1.0]
    back["t"].add_(1)  # copy-on-write: the file is untouched
    same(t, ember.load(path)["t"])
    with pytest.raises(ValueError, match="mmap"):
        ember.load(io.BytesIO(path.read_bytes()), mmap=True)


def test_weights_only_false_arbitrary_objects():
    obj = {"frac": __import__("fractions").Fraction(1, 3), "t": ember.ones(2)}
    back = roundtrip(obj, weights_only=False)
    assert back["frac"] == obj["frac"] and back["t"].tolist() == [1.0, 1.0]
    with pytest.raises(pickle.UnpicklingError, match="fractions.Fraction"):
        roundtrip(obj)


class Config:
    def __init__(self, lr):
        self.lr = lr


def test_safe_globals_allow_a_class():
    obj = {"cfg": Config(0.5), "t": ember.ones(1)}
    with pytest.raises(pickle.UnpicklingError) as err:
        roundtrip(obj)
    msg = str(err.value)
    assert "Config" in msg and "add_safe_globals" in msg and "weights_only" in msg
    with serialization.safe_globals([Config]):
        assert roundtrip(obj)["cfg"].lr == 0.5
    with pytest.raises(pickle.UnpicklingError):
        roundtrip(obj)
    serialization.add_safe_globals([Config])
    try:
        assert Config in serialization.get_safe_globals()
        assert roundtrip(obj)["cfg"].lr == 0.5
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []


def test_bad_arguments():
    with pytest.raises(TypeError):
        ember.save(ember.ones(1), 3)
    with pytest.raises(RuntimeError, match="pickle_module"):
        ember.load(io.BytesIO(), pickle_module=pickle)
    with pytest.raises(EOFError, match="empty"):
        ember.load(io.BytesIO())


def test_dataloader_pickling_still_by_value():
    t = ember.arange(6.0).reshape(2, 3)[:, 1]
    back = pickle.loads(pickle.dumps(t))
    assert back.tolist() == [1.0, 4.0] and back.is_contiguous()


def test_legacy_format_round_trip_keeps_shared_storages(tmp_path):
    x = ember.arange(10.0)
    buf = io.BytesIO()
    ember.save({"x": x, "tail": x[4:], "n": 3}, buf, _use_new_zipfile_serialization=False)
    assert buf.getvalue()[:2] != b"PK"
    back = ember.load(io.BytesIO(buf.getvalue()))
    assert back["n"] == 3 and back["tail"].tolist() == list(range(4, 10))
    assert back["tail"]._storage is back["x"]._storage
