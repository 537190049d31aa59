"""End-to-end training: the loops of PyTorch's tutorials learn real and synthetic digits.

The MNIST tests use the 10,000 real test images from ../shared/data (skipped where absent),
split 9,000 for training and 1,000 held out. With no training set, each epoch shifts the
training images by up to two pixels so that the networks learn strokes, not positions.
"""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.optim
from ember import nn
from ember.nn import functional as F
from ember.utils.data import DataLoader, TensorDataset

MNIST = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "vision" / "mnist"


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        _, _, ndim = struct.unpack(">HBB", f.read(4))
        shape = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


@pytest.fixture(scope="module")
def mnist_split():
    images, labels = MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz"
    if not (images.exists() and labels.exists()):
        pytest.skip(f"MNIST test images not found in {MNIST}")
    x = (_read_idx(images).astype(np.float32) / 255 - 0.1307) / 0.3081
    y = _read_idx(labels).astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:9000], order[9000:]
    return x[train, None], y[train], x[test, None], y[test]


def _shifted(images: np.ndarray, rng: np.random.Generator, most: int) -> np.ndarray:
    """Each image moved by up to `most` pixels along each axis, background filled in."""
    n, _, h, w = images.shape
    pad = np.pad(images, ((0, 0), (0, 0), (most, most), (most, most)),
                 constant_values=images.min())
    dy, dx = rng.integers(0, 2 * most + 1, (2, n))
    return np.stack([pad[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def _fit(model, optimizer, x, y, epochs, rng, shift, batch_size=64):
    """The tutorial loop: forward, loss, zero_grad, backward, step, one-cycle schedule."""
    steps = epochs * -(-len(x) // batch_size)
    schedule = ember.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=optimizer.param_groups[0]["lr"], total_steps=steps)
    for _ in range(epochs):
        data = _shifted(x, rng, shift) if shift else x
        loader = DataLoader(TensorDataset(ember.from_numpy(data), ember.from_numpy(y)),
                            batch_size=batch_size, shuffle=True)
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()


def _accuracy(model, x, y) -> float:
    model.eval()
    with ember.no_grad():
        predicted = model(ember.from_numpy(np.ascontiguousarray(x))).argmax(1).numpy()
    return float((predicted == y).mean())


def _quickstart_mlp(pixels: int, classes: int = 10) -> nn.Module:
    """The network of PyTorch's quickstart tutorial."""
    return nn.Sequential(nn.Flatten(), nn.Linear(pixels, 512), nn.ReLU(),
                         nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, classes))


def _lenet(side: int, classes: int = 10) -> nn.Module:
    """LeNet-5 with ReLU and max pooling."""
    flat = 16 * ((side // 2 - 4) // 2) ** 2
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(flat, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, classes))


def test_quickstart_mlp_with_sgd_reaches_98_percent_on_mnist(mnist_split):
    x_train, y_train, x_test, y_test = mnist_split
    ember.manual_seed(0)
    model = _quickstart_mlp(28 * 28)
    optimizer = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                                weight_decay=1e-4)
    # 20 epochs ended at 97.8-98.1% as the float32 sums' order changed; 25 end at 98.6-98.7%
    _fit(model, optimizer, x_train, y_train, 25, np.random.default_rng(1), shift=2)
    assert _accuracy(model, x_test, y_test) >= 0.98


def test_lenet_with_adam_reaches_98_percent_on_mnist(mnist_split):
    x_train, y_train, x_test, y_test = mnist_split
    ember.manual_seed(0)
    model = _lenet(28)
    optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    _fit(model, optimizer, x_train, y_train, 8, np.random.default_rng(1), shift=2)
    assert _accuracy(model, x_test, y_test) >= 0.98


def _synthetic_glyphs(n: int, rng: np.random.Generator, side: int = 16):
    """Ten classes of strokes (bars, crosses, boxes, diagonals) drawn at random offsets,
    thicknesses and contrasts, under Gaussian noise: separable, but not by position."""
    x = np.zeros((n, 1, side, side), np.float32)
    y = rng.integers(0, 10, n)
    grid = np.arange(side)
    for i, label in enumerate(y):
        oy, ox = rng.integers(-2, 3, 2)
        r, c = grid[:, None] - side // 2 - oy, grid[None, :] - side // 2 - ox
        t = rng.integers(1, 3)
        shapes = [abs(r) < t, abs(c) < t, (abs(r) < t) | (abs(c) < t),
                  abs(r - c) < t, abs(r + c) < t, (abs(r - c) < t) | (abs(r + c) < t),
                  (np.maximum(abs(r), abs(c)) - 4).__abs__() < t,
                  (abs(r) < t) & (c >= 0), (abs(c) < t) & (r >= 0),
                  (r * r + c * c < 16)]
        x[i, 0] = shapes[label] * rng.uniform(0.6, 1.4)
    return x + rng.normal(0, 0.2, x.shape).astype(np.float32), y


@pytest.mark.parametrize("network", ["mlp_sgd", "lenet_adam"])
def test_tutorial_loops_learn_a_synthetic_task(network):
    rng = np.random.default_rng(0)
    x_train, y_train = _synthetic_glyphs(3000, rng)
    x_test, y_test = _synthetic_glyphs(1000, rng)
    ember.manual_seed(0)
    if network == "mlp_sgd":
        model = _quickstart_mlp(16 * 16)
        optimizer = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        model = _lenet(16)
        optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    _fit(model, optimizer, x_train, y_train, 5, rng, shift=0)
    assert _accuracy(model, x_test, y_test) >= 0.98
