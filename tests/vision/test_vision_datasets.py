"""Datasets read tiny fixtures written in the real on-disk formats."""

import gzip
import hashlib
import http.server
import os
import pickle
import shutil
import threading
from pathlib import Path

import ember
import embervision.transforms as T
import numpy as np
import pytest
from embervision.datasets import (
    CIFAR10,
    CIFAR100,
    EMNIST,
    KMNIST,
    MNIST,
    QMNIST,
    DatasetFolder,
    FakeData,
    FashionMNIST,
    ImageFolder,
    VisionDataset,
)
from embervision.datasets import utils as dutils
from embervision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset
from embervision.datasets.mnist import read_sn3_pascalvincent_tensor
from PIL import Image


def write_idx(path, array, compress=False):
    """Write ``array`` as an IDX file (big-endian), gzipped when ``compress``."""
    codes = {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12, np.float32: 13, np.float64: 14}
    code = codes[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if compress else open
    with opener(str(path) + (".gz" if compress else ""), "wb") as f:
        f.write(payload)


def make_mnist(root, cls="MNIST", n=5, compress=False, prefix=("train", "t10k")):
    raw = root / cls / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = {}
    for split in prefix:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=(n,), dtype=np.uint8)
        write_idx(raw / f"{split}-images-idx3-ubyte", images, compress)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels, compress)
        out[split] = (images, labels)
    return out


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
def test_mnist_family_reads_idx(tmp_path, cls, compress):
    arrays = make_mnist(tmp_path, cls.__name__, compress=compress)
    ds = cls(tmp_path, train=False)
    images, labels = arrays["t10k"]
    assert len(ds) == 5
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (5, 28, 28)
    assert ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), images[3])
    assert target == int(labels[3]) and isinstance(target, int)
    train = cls(tmp_path, train=True)
    np.testing.assert_array_equal(train.data.numpy(), arrays["train"][0])
    assert ds.class_to_idx[ds.classes[2]] == 2


def test_mnist_transforms_and_repr(tmp_path):
    make_mnist(tmp_path)
    ds = MNIST(str(tmp_path), train=False, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    img, target = ds[0]
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == ember.float32
    assert target == int(ds.targets[0]) + 100
    np.testing.assert_allclose(img.numpy()[0], ds.data[0].numpy() / 255.0, rtol=1e-6)
    text = repr(ds).splitlines()
    assert text[0] == "Dataset MNIST"
    assert text[1] == "    Number of datapoints: 5"
    assert text[2] == f"    Root location: {tmp_path}"
    assert text[3] == "    Split: Test"
    assert text[4] == "    StandardTransform"
    assert text[5] == "    Transform: ToTensor()"
    assert text[6].startswith("    Target transform: <function")
    with pytest.warns(UserWarning, match="renamed targets"):
        assert ds.test_labels is ds.targets


def test_mnist_missing_names_files(tmp_path):
    with pytest.raises(RuntimeError, match="t10k-images-idx3-ubyte"):
        MNIST(tmp_path, train=False)


def test_idx_reader_types(tmp_path):
    for arr in [np.arange(-5, 5, dtype=np.int16).reshape(2, 5),
                np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
                np.array([1, -70000, 3], dtype=np.int32)]:
        write_idx(tmp_path / "x", arr)
        t = read_sn3_pascalvincent_tensor(str(tmp_path / "x"))
        np.testing.assert_array_equal(t.numpy(), arr)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_sn3_pascalvincent_tensor(str(tmp_path / "bad"))


def test_emnist_split_and_classes(tmp_path):
    raw = tmp_path / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    write_idx(raw / "emnist-letters-test-images-idx3-ubyte", images)
    write_idx(raw / "emnist-letters-test-labels-idx1-ubyte", np.array([1, 2, 26], np.uint8))
    ds = EMNIST(tmp_path, split="letters", train=False)
    assert ds.classes[0] == "N/A" and ds.classes[26] == "z" and len(ds.classes) == 27
    assert [ds[i][1] for i in range(3)] == [1, 2, 26]
    np.testing.assert_array_equal(np.asarray(ds[1][0]), images[1])
    assert len(EMNIST.classes_split_dict["balanced"]) == 47
    assert len(EMNIST.classes_split_dict["byclass"]) == 62
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        EMNIST(tmp_path, split="nope")


def test_qmnist_compat_and_subsets(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(1).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    labels = np.arange(32, dtype=np.int32).reshape(4, 8)
    write_idx(raw / "qmnist-test-images-idx3-ubyte", images, compress=True)
    write_idx(raw / "qmnist-test-labels-idx2-int", labels)
    ds = QMNIST(tmp_path, train=False)
    assert ds.what == "test" and len(ds) == 4
    assert ds[2][1] == 16
    full = QMNIST(tmp_path, what="test", compat=False)
    assert full[2][1].tolist() == list(range(16, 24))
    assert repr(ds).splitlines()[3] == "    Split: test"
    assert len(QMNIST(tmp_path, what="test10k")) == 4
    assert len(QMNIST(tmp_path, what="test50k")) == 0


def write_cifar(root, folder, files, label_key="labels", meta=("batches.meta", "label_names")):
    base = root / folder
    base.mkdir(parents=True)
    rng = np.random.default_rng(2)
    out = {}
    for name, n in files:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        with open(base / name, "wb") as f:
            pickle.dump({"data": data, label_key: labels, "batch_label": name}, f, protocol=2)
        out[name] = (data, labels)
    with open(base / meta[0], "wb") as f:
        pickle.dump({meta[1]: [f"class{i}" for i in range(10)]}, f, protocol=2)
    return out


def test_cifar10_batches(tmp_path):
    batches = write_cifar(tmp_path, "cifar-10-batches-py",
                          [(f"data_batch_{i}", 2) for i in range(1, 6)] + [("test_batch", 3)])

    class TinyCIFAR10(CIFAR10):  # the real MD5s belong to the real batches
        train_list = [[f"data_batch_{i}", None] for i in range(1, 6)]
        test_list = [["test_batch", None]]
        meta = {"filename": "batches.meta", "key": "label_names", "md5": None}

    train = TinyCIFAR10(tmp_path, train=True)
    assert len(train) == 10 and train.data.shape == (10, 32, 32, 3)
    test = TinyCIFAR10(tmp_path, train=False)
    data, labels = batches["test_batch"]
    np.testing.assert_array_equal(test.data[1], data[1].reshape(3, 32, 32).transpose(1, 2, 0))
    img, target = test[1]
    assert img.mode == "RGB" and img.size == (32, 32) and target == labels[1]
    assert np.asarray(img)[0, 0, 2] == data[1][2 * 1024]  # blue plane comes last
    assert test.classes[3] == "class3" and test.class_to_idx["class3"] == 3
    with pytest.raises(RuntimeError, match="corrupted"):
        CIFAR10(tmp_path)  # real MD5s do not match the fixture


def test_cifar100_fine_labels(tmp_path):
    write_cifar(tmp_path, "cifar-100-python", [("train", 2), ("test", 2)], label_key="fine_labels",
                meta=("meta", "fine_label_names"))

    class TinyCIFAR100(CIFAR100):
        train_list = [["train", None]]
        test_list = [["test", None]]
        meta = {"filename": "meta", "key": "fine_label_names", "md5": None}

    ds = TinyCIFAR100(tmp_path, train=False)
    assert len(ds) == 2 and isinstance(ds[0][1], int) and ds.classes[9] == "class9"


def make_tree(root, spec):
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            Image.new("RGB", (4, 3), content).save(path)
        else:
            path.write_text(content)


def test_image_folder(tmp_path):
    make_tree(tmp_path, {"b/x.png": (1, 2, 3), "b/sub/y.JPG": (0, 0, 0), "a/z.bmp": (9, 9, 9),
                         "a/notes.txt": "not an image", "c/only.txt": "x"})
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes c"):
        ImageFolder(tmp_path)
    ds = ImageFolder(tmp_path, allow_empty=True)
    assert ds.classes == ["a", "b", "c"]
    assert ds.class_to_idx == {"a": 0, "b": 1, "c": 2}
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == [
        "a/z.bmp", "b/x.png", "b/sub/y.JPG"]  # os.walk order: a folder before its subfolders
    assert ds.targets == [0, 1, 1] and ds.imgs is ds.samples
    img, target = ds[1]
    assert img.mode == "RGB" and img.getpixel((0, 0)) == (1, 2, 3) and target == 1
    only_txt = DatasetFolder(tmp_path, loader=lambda p: Path(p).read_text(), extensions=(".txt",),
                             allow_empty=True)
    assert [s for s, _ in only_txt] == ["not an image", "x"]
    custom = ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".png"), allow_empty=True)
    assert len(custom) == 1
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        make_dataset(tmp_path, {"a": 0}, extensions=IMG_EXTENSIONS, is_valid_file=lambda p: True)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        find_classes(tmp_path / "a")


def test_fakedata_reproducible():
    ds = FakeData(size=4, image_size=(3, 5, 6), num_classes=3, transform=T.PILToTensor())
    ember.manual_seed(123)
    before = ember.rand(1).item()
    ember.manual_seed(123)
    a, ta = ds[1]
    assert ember.rand(1).item() == before  # the global stream is untouched
    b, tb = ds[1]
    assert ember.equal(a, b) and ta == tb and 0 <= ta < 3
    assert tuple(a.shape) == (3, 5, 6) and a.dtype == ember.uint8
    assert not ember.equal(ds[0][0], a)
    with pytest.raises(IndexError):
        ds[4]
    assert repr(ds) == "Dataset FakeData\n    Number of datapoints: 4\n    StandardTransform\n    Transform: PILToTensor()"


def test_vision_dataset_transforms_exclusive():
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        VisionDataset("x", transforms=lambda a, b: (a, b), transform=lambda a: a)


# ---- downloads ---------------------------------------------------------------------------

class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, honouring a ``Range: bytes=N-`` header; counts requests."""

    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        rng = self.headers.get("Range")
        type(self).requests.append((self.path, rng))
        if rng:
            start = int(rng.split("=")[1].rstrip("-"))
            self.send_response(206)
            data = data[start:]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def http_root(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = lambda *a, **k: _RangeHandler(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _RangeHandler.requests = []
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_url_md5_and_resume(tmp_path, http_root):
    served, base = http_root
    payload = bytes(range(256)) * 50
    (served / "blob.bin").write_bytes(payload)
    md5 = hashlib.md5(payload).hexdigest()
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / "blob.bin.part").write_bytes(payload[:1000])  # an interrupted earlier download
    dutils.download_url(base + "blob.bin", dest, md5=md5)
    assert (dest / "blob.bin").read_bytes() == payload
    assert not (dest / "blob.bin.part").exists()
    assert _RangeHandler.requests[-1] == ("/blob.bin", "bytes=1000-")
    assert dutils.check_integrity(dest / "blob.bin", md5)
    assert not dutils.check_integrity(dest / "blob.bin", "0" * 32)
    n = len(_RangeHandler.requests)
    dutils.download_url(base + "blob.bin", dest, md5=md5)  # already there: no request
    assert len(_RangeHandler.requests) == n
    with pytest.raises(RuntimeError, match="MD5 checksum"):
        dutils.download_url(base + "blob.bin", dest, filename="other.bin", md5="0" * 32)
    assert not (dest / "other.bin").exists() and not (dest / "other.bin.part").exists()


def test_mnist_download_from_mirror(tmp_path, http_root):
    served, base = http_root
    src = tmp_path / "src"
    arrays = make_mnist(src, compress=True, prefix=("t10k",))
    resources = []
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(src / "MNIST" / "raw" / name, served / name)
        resources.append((name, dutils.calculate_md5(served / name)))

    class MirrorMNIST(MNIST):
        mirrors = ["http://127.0.0.1:9/", base]  # the first mirror is unreachable
        pass

    MirrorMNIST.resources = resources
    ds = MirrorMNIST(tmp_path / "root", train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
    raw = tmp_path / "root" / "MirrorMNIST" / "raw"
    assert (raw / "t10k-images-idx3-ubyte").is_file()  # extracted like torchvision


def test_download_offline_error_names_file(tmp_path):
    class OfflineMNIST(MNIST):
        mirrors = ["http://127.0.0.1:9/"]

    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz"):
        OfflineMNIST(tmp_path, download=True)


def test_extract_archive_formats(tmp_path):
    import tarfile
    import zipfile
    (tmp_path / "a.txt").write_text("hello")
    with tarfile.open(tmp_path / "a.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "a.txt", arcname="inner/a.txt")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.write(tmp_path / "a.txt", "z/a.txt")
    with gzip.open(tmp_path / "b.txt.gz", "wb") as f:
        f.write(b"gz")
    out = tmp_path / "out"
    dutils.extract_archive(tmp_path / "a.tar.gz", out)
    dutils.extract_archive(tmp_path / "a.zip", out)
    dutils.extract_archive(tmp_path / "b.txt.gz", out)
    assert (out / "inner" / "a.txt").read_text() == "hello"
    assert (out / "z" / "a.txt").read_text() == "hello"
    assert (out / "b.txt").read_bytes() == b"gz"
    with tarfile.open(tmp_path / "evil.tar", "w") as tar:
        tar.add(tmp_path / "a.txt", arcname="../evil.txt")
    with pytest.raises(RuntimeError, match="outside"):
        dutils.extract_archive(tmp_path / "evil.tar", out)


# ---- real files from ../shared/data ------------------------------------------------------

def test_real_mnist_t10k(tmp_path, shared_vision):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        os.symlink(shared_vision / "mnist" / name, raw / name)
        md5 = dict(MNIST.resources)[name]
        assert dutils.check_integrity(raw / name, md5)
    ds = MNIST(tmp_path, train=False)
    assert len(ds) == 10000
    assert ds.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert ember.bincount(ds.targets).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    img, label = ds[0]
    assert img.size == (28, 28) and label == 7
    with gzip.open(raw / "t10k-images-idx3-ubyte.gz") as f:
        first = np.frombuffer(f.read(16 + 784)[16:], dtype=np.uint8).reshape(28, 28)
    np.testing.assert_array_equal(np.asarray(img), first)
    assert int(ds.data[0].sum()) == int(first.sum(dtype=np.int64)) == 18454


def test_real_fashion_mnist_labels(shared_vision):
    from embervision.datasets.mnist import read_label_file
    md5 = dict(FashionMNIST.resources)["t10k-labels-idx1-ubyte.gz"]
    path = shared_vision / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz"
    assert dutils.check_integrity(path, md5)
    labels = read_label_file(str(path))
    assert ember.bincount(labels).tolist() == [1000] * 10


def test_real_cifar10_meta(shared_vision):
    path = shared_vision / "cifar10_meta" / "batches.meta"
    assert dutils.check_integrity(path, CIFAR10.meta["md5"])
    with open(path, "rb") as f:
        meta = pickle.load(f, encoding="latin1")
    assert meta[CIFAR10.meta["key"]] == ["airplane", "automobile", "bird", "cat", "deer", "dog",
                                         "frog", "horse", "ship", "truck"]


def test_real_image_folder(shared_vision):
    root = shared_vision / "imagefolder_hymenoptera_mini" / "train"
    ds = ImageFolder(root)
    assert ds.classes == ["ants", "bees"]
    names = [os.path.basename(p) for p, _ in ds.samples]
    assert "imageNotFound.gif" not in names  # .gif is not in IMG_EXTENSIONS
    assert "formica.jpeg" in names
    assert ds.targets == [0, 0, 1, 1, 1]
    img, _ = ds[names.index("formica.jpeg")]
    assert img.mode == "RGB" and min(img.size) > 0
    everything = ImageFolder(root, is_valid_file=lambda p: True)
    assert len(everything) == 6
    gif, _ = everything[[os.path.basename(p) for p, _ in everything.samples].index("imageNotFound.gif")]
    assert gif.mode == "RGB" and gif.size == (300, 300)
