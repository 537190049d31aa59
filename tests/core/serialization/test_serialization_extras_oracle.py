"""ember.serialization's extras against torch.serialization: the unsafe globals of a
checkpoint (read, never run), skip_data, CRC/mmap/endianness options, storage locations
and the small helpers."""

import io
import mmap
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember.serialization as es  # noqa: E402
import torch.serialization as ts  # noqa: E402


class Config:
    """A user class saved whole: not allowed by weights_only loading."""

    def __init__(self, lr):
        self.lr = lr


def _ran():
    raise AssertionError("a GLOBAL of the checkpoint was executed")


class Trap:
    def __reduce__(self):
        return (_ran, ())


@pytest.fixture
def custom_ckpt(tmp_path):
    path = tmp_path / "custom.pt"
    torch.save({"w": torch.ones(2), "cfg": Config(0.1), "od": __import__("collections")
                .OrderedDict(a=torch.zeros(1)), "trap": Trap(), "s": {1, 2}}, path)
    return path


def test_unsafe_globals_match_torch(custom_ckpt):
    want = sorted(ts.get_unsafe_globals_in_checkpoint(custom_ckpt))
    got = es.get_unsafe_globals_in_checkpoint(custom_ckpt)
    assert got == want
    assert any(name.endswith(".Config") for name in got) and any(name.endswith("._ran")
                                                                for name in got)
    with open(custom_ckpt, "rb") as fh:  # a file object works too
        assert es.get_unsafe_globals_in_checkpoint(fh) == want


def test_unsafe_globals_respect_safe_globals_like_torch(custom_ckpt):
    with ts.safe_globals([Config]), es.safe_globals([Config]):
        want = sorted(ts.get_unsafe_globals_in_checkpoint(custom_ckpt))
        assert es.get_unsafe_globals_in_checkpoint(custom_ckpt) == want
    assert not any(name.endswith(".Config") for name in want)


def test_unsafe_globals_of_plain_state_dicts_are_empty(tmp_path):
    for saver, path in ((torch.save, tmp_path / "t.pt"), (ember.save, tmp_path / "e.pt")):
        mod = torch if saver is torch.save else ember
        saver({"w": mod.ones(2, 3), "n": mod.arange(4), "h": mod.zeros(2).half()}, path)
        assert es.get_unsafe_globals_in_checkpoint(path) == []
        assert ts.get_unsafe_globals_in_checkpoint(path) == []


def test_unsafe_globals_rejects_non_zip_like_torch(tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save(torch.ones(1), path, _use_new_zipfile_serialization=False)
    for mod in (es, ts):
        with pytest.raises(ValueError, match="Expected input to be a checkpoint"):
            mod.get_unsafe_globals_in_checkpoint(path)


def test_skip_data_saves_layout_with_zeroed_storages(tmp_path):
    path = tmp_path / "skip.pt"
    data = {"a": ember.randn(3, 4), "b": ember.arange(5), "v": ember.randn(6)[1:4]}
    with es.skip_data():
        ember.save(data, path)
    back = ember.load(path)
    theirs = torch.load(path)
    for key, value in data.items():
        assert tuple(back[key].shape) == tuple(value.shape) == tuple(theirs[key].shape)
        assert back[key].dtype == value.dtype
        np.testing.assert_array_equal(back[key].numpy(), np.zeros(tuple(value.shape)))
        np.testing.assert_array_equal(theirs[key].numpy(), np.zeros(tuple(value.shape)))
    with es.skip_data(), pytest.raises(RuntimeError, match="skip_data=True"):
        ember.save(data, tmp_path / "x.pt", _use_new_zipfile_serialization=False)


def test_skip_data_load_reads_no_bytes(tmp_path):
    path = tmp_path / "full.pt"
    torch.save({"w": torch.randn(4, 2)}, path)
    raw = bytearray(path.read_bytes())
    # damage the storage bytes: a skip_data load doesn't read (nor checksum) them
    start = raw.index(b"/data/0") + len("/data/0")
    raw[start + 64:start + 96] = b"\xff" * 32
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError):
        ember.load(path)
    with es.skip_data():
        got = ember.load(path)
    assert tuple(got["w"].shape) == (4, 2) and got["w"].dtype == ember.float32


def test_crc32_option_round_trip_and_interop(tmp_path):
    assert es.get_crc32_options() is ts.get_crc32_options() is True
    try:
        es.set_crc32_options(False)
        assert es.get_crc32_options() is False
        ember.save({"x": ember.arange(10.0)}, tmp_path / "nocrc_e.pt")
    finally:
        es.set_crc32_options(True)
    import zipfile
    with zipfile.ZipFile(tmp_path / "nocrc_e.pt") as zf:
        assert all(info.CRC == 0 for info in zf.infolist())
    np.testing.assert_array_equal(torch.load(tmp_path / "nocrc_e.pt")["x"].numpy(),
                                  np.arange(10.0, dtype=np.float32))
    try:  # a torch file written without CRCs loads here
        ts.set_crc32_options(False)
        torch.save({"y": torch.arange(6).reshape(2, 3)}, tmp_path / "nocrc_t.pt")
    finally:
        ts.set_crc32_options(True)
    np.testing.assert_array_equal(ember.load(tmp_path / "nocrc_t.pt")["y"].numpy(),
                                  np.arange(6).reshape(2, 3))


@pytest.mark.skipif(sys.platform == "win32", reason="mmap flags are POSIX")
def test_mmap_options_round_trip_and_shared_writes(tmp_path):
    assert es.get_default_mmap_options() == ts.get_default_mmap_options() == mmap.MAP_PRIVATE
    for mod in (es, ts):
        with pytest.raises(ValueError, match="expected mmap.MAP_PRIVATE or mmap.MAP_SHARED"):
            mod.set_default_mmap_options(12345)
    path = tmp_path / "m.pt"
    ember.save({"w": ember.zeros(4)}, path)
    with es.set_default_mmap_options(mmap.MAP_SHARED):
        assert es.get_default_mmap_options() == mmap.MAP_SHARED
        shared = ember.load(path, mmap=True)
        shared["w"].add_(3.0)
        del shared
    assert es.get_default_mmap_options() == mmap.MAP_PRIVATE
    np.testing.assert_array_equal(torch.load(path)["w"].numpy(), np.full(4, 3.0, np.float32))
    private = ember.load(path, mmap=True)
    np.testing.assert_array_equal(private["w"].numpy(), np.full(4, 3.0, np.float32))
    private["w"].add_(1.0)
    np.testing.assert_array_equal(ember.load(path, mmap=True)["w"].numpy(),
                                  np.full(4, 3.0, np.float32))
    # the record's CRC still describes the bytes as saved: a reading load reports it
    with pytest.raises(ValueError, match="CRC-32"):
        ember.load(path)


def _without_byteorder(src, dst):
    import zipfile
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if not info.filename.endswith("/byteorder"):
                zout.writestr(info, zin.read(info.filename))


def test_load_endianness_fallback_matches_torch(tmp_path):
    assert es.get_default_load_endianness() is ts.get_default_load_endianness() is None
    assert [(m.name, m.value) for m in es.LoadEndianness] == \
        [(m.name, m.value) for m in ts.LoadEndianness]
    torch.save({"v": torch.tensor([1.0, 2.0, 3.0])}, tmp_path / "full.pt")
    _without_byteorder(tmp_path / "full.pt", tmp_path / "nobom.pt")
    try:
        for name in ("LITTLE", "BIG", "NATIVE"):
            es.set_default_load_endianness(getattr(es.LoadEndianness, name))
            ts.set_default_load_endianness(getattr(ts.LoadEndianness, name))
            assert es.get_default_load_endianness() is getattr(es.LoadEndianness, name)
            np.testing.assert_array_equal(ember.load(tmp_path / "nobom.pt")["v"].numpy(),
                                          torch.load(tmp_path / "nobom.pt")["v"].numpy())
        for mod in (es, ts):
            with pytest.raises(TypeError, match="Invalid argument type"):
                mod.set_default_load_endianness("big")
    finally:
        es.set_default_load_endianness(None)
        ts.set_default_load_endianness(None)


def test_location_helpers_match_torch():
    e_storage = ember.ones(3).untyped_storage()
    t_storage = torch.ones(3).untyped_storage()
    assert es.location_tag(e_storage) == ts.location_tag(t_storage) == "cpu"
    assert es.default_restore_location(e_storage, "cpu") is e_storage
    assert ts.default_restore_location(t_storage, "cpu") is t_storage
    for mod, storage in ((es, e_storage), (ts, t_storage)):
        with pytest.raises(RuntimeError, match="don't know how to restore data location"):
            mod.default_restore_location(storage, "nowhere")
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="is_available\\(\\) is False"):
            es.validate_cuda_device("cuda:0")
        with pytest.raises(RuntimeError, match="is_available\\(\\) is False"):
            ts.validate_cuda_device("cuda:0")
    assert es.normalize_storage_type(ember.cuda.FloatStorage) is ember.FloatStorage
    assert ts.normalize_storage_type(torch.cuda.FloatStorage) is torch.FloatStorage
    # (torch 2.13's own storage_to_tensor_type fails on a FloatStorage: its class is a
    # TypedStorage there)
    assert es.storage_to_tensor_type(ember.FloatStorage(2)) is ember.FloatTensor
    assert es.storage_to_tensor_type(ember.cuda.LongStorage.__new__(ember.cuda.LongStorage)) \
        is ember.cuda.LongTensor


def test_register_package_is_consulted_in_priority_order():
    from ember import _storage_location as loc
    before = list(loc._packages)
    try:
        es.register_package(1, lambda s: "vault" if s.nbytes() == 7 else None,
                            lambda s, where: ("restored", where) if where == "vault" else None)
        odd = ember.zeros(7, dtype=ember.uint8).untyped_storage()
        assert es.location_tag(odd) == "vault"
        assert es.location_tag(ember.ones(2).untyped_storage()) == "cpu"
        assert es.default_restore_location(odd, "vault") == ("restored", "vault")
    finally:
        loc._packages[:] = before


def test_small_helpers_match_torch():
    assert issubclass(es.SourceChangeWarning, Warning)
    with es.mkdtemp() as folder:
        assert os.path.isdir(folder)
        ember.save(ember.ones(1), os.path.join(folder, "t.pt"))
    assert not os.path.exists(folder)
    import types
    fake = types.SimpleNamespace(__name__="fake", __version__="1.12.3")
    for req in ((1, 12), (1, 13), (2,), (1, 12, 3), (1, 12, 4)):
        assert es.check_module_version_greater_or_equal(fake, req) == \
            ts.check_module_version_greater_or_equal(fake, req)
    bad = types.SimpleNamespace(__name__="bad", __version__="1.x")
    for mod in (es, ts):
        with pytest.raises(RuntimeError, match="malformed"):
            mod.check_module_version_greater_or_equal(bad, (1, 2))
        with pytest.warns(UserWarning, match="malformed"):
            assert mod.check_module_version_greater_or_equal(bad, (1, 2), False) is True
    assert set(es.__all__) >= set(ts.__all__) - {"validate_hpu_device", "StorageType"}


def test_get_unsafe_globals_never_executes(tmp_path):
    buf = io.BytesIO()
    torch.save([Trap()], buf)
    buf.seek(0)
    names = es.get_unsafe_globals_in_checkpoint(buf)
    assert names == [f"{__name__}._ran"]
