"""ember_lightning quickstart: a small CNN learns handwritten digits with ``Trainer.fit``.

Data, in order of preference:
  * ``--data DIR``: MNIST's IDX files (``train-images-idx3-ubyte[.gz]`` and labels) in DIR;
  * scikit-learn's 8x8 digits from ``<repo>/../shared/data/vision/sklearn_digits/digits.csv.gz``;
  * the same CSV from an installed scikit-learn (``sklearn/datasets/data/digits.csv.gz``).

It trains with a progress bar, keeps the best checkpoint by validation loss, reloads it
with ``load_from_checkpoint``, checks it, and writes a PNG grid of test images labelled with
the predictions (needs Pillow).

    python examples/quickstart.py                 # 8x8 digits, about half a minute on 2 cores
    python examples/quickstart.py --data ~/mnist  # MNIST

The network has one 3x3 convolution (1 -> 16 channels), max pooling and two linear layers.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import struct
import sys
import time
from pathlib import Path

import numpy as np

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim)
import ember.utils.data  # noqa: F401
from ember import nn
from ember.nn import functional as F
from ember.utils.data import DataLoader, TensorDataset

import ember_lightning as L
from ember_lightning.callbacks import ModelCheckpoint

REPO = Path(__file__).resolve().parents[1]
DIGITS_CSV = REPO.parent / "shared" / "data" / "vision" / "sklearn_digits" / "digits.csv.gz"


# ----------------------------------------------------------------------------- data
def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        _, dtype, ndim = struct.unpack(">HBB", f.read(4))
        shape = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"error: {folder} has no {stem}[.gz] (MNIST's IDX files)")


def load_mnist(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    x = _read_idx(_find(folder, "train-images-idx3-ubyte")).astype(np.float32) / 255.0
    y = _read_idx(_find(folder, "train-labels-idx1-ubyte")).astype(np.int64)
    return x[:, None], y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: 1797 images of 8x8 pixels valued 0..16, and their labels."""
    csv = DIGITS_CSV if DIGITS_CSV.exists() else None
    if csv is None:
        spec = importlib.util.find_spec("sklearn")
        if spec is not None and spec.origin is not None:
            candidate = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
            csv = candidate if candidate.exists() else None
    if csv is None:
        raise SystemExit(
            "error: no digits data found. Either pass --data DIR with MNIST's IDX files "
            "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz), or `pip install "
            f"scikit-learn` (its digits CSV is used), or place digits.csv.gz at {DIGITS_CSV}.")
    table = np.loadtxt(csv, delimiter=",", dtype=np.float32)
    return (table[:, :64] / 16.0).reshape(-1, 1, 8, 8), table[:, 64].astype(np.int64)


class DigitsData(L.LightningDataModule):
    """Splits the images 80/10/10 into train/val/test with a fixed permutation."""

    def __init__(self, data_dir: str | None = None, batch_size: int = 32):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        if hasattr(self, "train_set"):
            return
        d = self.hparams.data_dir
        x, y = load_mnist(Path(d)) if d else load_digits()
        x = (x - x.mean()) / x.std()
        order = np.random.default_rng(0).permutation(len(x))
        n_val = n_test = len(x) // 10
        parts = np.split(order, [len(x) - n_val - n_test, len(x) - n_test])
        self.image_size = x.shape[-1]
        self.train_set, self.val_set, self.test_set = (
            TensorDataset(ember.from_numpy(np.ascontiguousarray(x[i])), ember.from_numpy(y[i]))
            for i in parts)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256)

    def predict_dataloader(self):
        return DataLoader(self.test_set, batch_size=32)


# ----------------------------------------------------------------------------- model
class DigitClassifier(L.LightningModule):
    def __init__(self, image_size: int = 8, channels: int = 16, hidden: int = 64,
                 lr: float = 3e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(channels * (image_size // 2) ** 2, hidden), nn.ReLU(),
            nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)

    def _step(self, batch, stage: str):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(1) == y).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=stage == "train")
        self.log(f"{stage}_acc", acc, prog_bar=stage != "test")
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, y = batch
        return x, y, self(x).argmax(1)

    def configure_optimizers(self):
        opt = ember.optim.Adam(self.parameters(), lr=self.hparams.lr)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=6, gamma=0.3)
        return {"optimizer": opt, "lr_scheduler": sched}


# ----------------------------------------------------------------------------- picture
def write_grid(batches, path: Path, n: int = 32, scale: int = 6) -> None:
    """A grid of test images, each captioned with its prediction (green right, red wrong)."""
    from PIL import Image, ImageDraw
    xs = np.concatenate([b[0].numpy() for b in batches])[:n, 0]
    ys = np.concatenate([b[1].numpy() for b in batches])[:n]
    ps = np.concatenate([b[2].numpy() for b in batches])[:n]
    side = xs.shape[-1] * scale
    cols, cell_h = 8, side + 14
    grid = Image.new("RGB", (cols * side, -(-len(xs) // cols) * cell_h), "white")
    draw = ImageDraw.Draw(grid)
    for i, (img, y, p) in enumerate(zip(xs, ys, ps)):
        img = (img - img.min()) / max(float(img.max() - img.min()), 1e-6)
        tile = Image.fromarray((255 - img * 255).astype(np.uint8)).resize((side, side),
                                                                           Image.NEAREST)
        r, c = divmod(i, cols)
        grid.paste(tile, (c * side, r * cell_h))
        draw.text((c * side + 3, r * cell_h + side), f"pred {p}",
                  fill=(0, 140, 0) if p == y else (200, 0, 0))
    grid.save(path)


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="folder with MNIST's IDX files (default: sklearn digits)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--out", default="quickstart_out", help="logs, checkpoints and the PNG")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    start = time.perf_counter()
    L.seed_everything(args.seed)
    data = DigitsData(args.data)
    data.setup("fit")
    model = DigitClassifier(image_size=data.image_size)
    best = ModelCheckpoint(monitor="val_loss", mode="min",
                           filename="{epoch}-{val_loss:.3f}-{val_acc:.3f}")
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="cpu", callbacks=[best],
                        default_root_dir=args.out, deterministic=True, log_every_n_steps=10)
    trainer.fit(model, datamodule=data)
    print(f"best checkpoint: {best.best_model_path} (val_loss={best.best_model_score.item():.4f})")

    reloaded = DigitClassifier.load_from_checkpoint(best.best_model_path)
    (val,) = trainer.validate(reloaded, datamodule=data, verbose=False)
    (test,) = trainer.test(reloaded, datamodule=data, verbose=False)
    print(f"reloaded model: val_acc={val['val_acc']:.4f} test_acc={test['test_acc']:.4f}")

    batches = trainer.predict(reloaded, datamodule=data)
    png = Path(args.out) / "predictions.png"
    try:
        write_grid(batches, png)
        print(f"wrote {png}")
    except ImportError:
        print("Pillow is not installed: skipping the PNG grid (pip install pillow)")
    print(f"total time {time.perf_counter() - start:.1f}s")
    return val["val_acc"]


if __name__ == "__main__":
    acc = main()
    sys.exit(0 if acc >= 0.97 else 1)
