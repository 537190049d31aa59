"""A small GAN on the 8x8 digits with ember_lightning's manual optimisation.

Two optimizers are stepped by hand in ``training_step`` (``self.optimizers()``,
``self.manual_backward``, ``toggle_optimizer``), as in Lightning's GAN example. At the end a
PNG grid of generated digits is written (needs Pillow).

    python examples/gan.py --epochs 40 --out gan_out
"""

from __future__ import annotations

import argparse
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

from quickstart import load_digits


class GAN(L.LightningModule):
    def __init__(self, latent: int = 16, hidden: int = 128, lr: float = 2e-3):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = nn.Sequential(
            nn.Linear(latent, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2), nn.Linear(hidden, 64), nn.Tanh())
        self.discriminator = nn.Sequential(
            nn.Linear(64, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, z):
        return self.generator(z).view(-1, 1, 8, 8)

    def training_step(self, batch, batch_idx):
        (real,) = batch
        real = real.view(real.shape[0], -1)
        opt_g, opt_d = self.optimizers()
        n = real.shape[0]
        ones, zeros = ember.ones(n, 1), ember.zeros(n, 1)

        # discriminator: real -> 1, fake -> 0
        self.toggle_optimizer(opt_d)
        fake = self.generator(ember.randn(n, self.hparams.latent)).detach()
        d_loss = (F.binary_cross_entropy_with_logits(self.discriminator(real), ones)
                  + F.binary_cross_entropy_with_logits(self.discriminator(fake), zeros)) / 2
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        self.untoggle_optimizer(opt_d)

        # generator: make the discriminator say 1
        self.toggle_optimizer(opt_g)
        fake = self.generator(ember.randn(n, self.hparams.latent))
        g_loss = F.binary_cross_entropy_with_logits(self.discriminator(fake), ones)
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.untoggle_optimizer(opt_g)
        self.log_dict({"d_loss": d_loss, "g_loss": g_loss}, prog_bar=True)

    def configure_optimizers(self):
        lr = self.hparams.lr
        g = ember.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.999))
        d = ember.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
        return [g, d], []


def write_samples(images: np.ndarray, path: Path, scale: int = 6) -> None:
    from PIL import Image
    n, cols = len(images), 8
    side = 8 * scale
    grid = Image.new("L", (cols * side, -(-n // cols) * side), 255)
    for i, img in enumerate(images):
        tile = ((1 - (img + 1) / 2) * 255).clip(0, 255).astype(np.uint8)
        r, c = divmod(i, cols)
        grid.paste(Image.fromarray(tile).resize((side, side), Image.NEAREST), (c * side, r * side))
    grid.save(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--out", default="gan_out")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    L.seed_everything(0)
    x, _ = load_digits()
    x = x * 2.0 - 1.0  # load_digits gives pixels in 0..1; the generator's tanh gives -1..1
    loader = DataLoader(TensorDataset(ember.from_numpy(np.ascontiguousarray(x))), batch_size=64,
                        shuffle=True)
    model = GAN()
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="cpu", default_root_dir=args.out,
                        enable_checkpointing=False, log_every_n_steps=20)
    trainer.fit(model, loader)
    model.eval()
    with ember.no_grad():
        samples = model(ember.randn(32, model.hparams.latent)).numpy()[:, 0]
    png = Path(args.out) / "samples.png"
    write_samples(samples, png)
    print(f"wrote {png} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
