"""Small models and data shared by the ember_lightning tests (like Lightning's BoringModel)."""

from __future__ import annotations

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim yet)
import ember.utils.data  # noqa: F401
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

import ember_lightning as L


def random_loader(n: int = 16, batch_size: int = 4, features: int = 4, shuffle: bool = False,
                  seed: int = 0) -> DataLoader:
    g = ember.Generator().manual_seed(seed)
    x = ember.randn(n, features, generator=g)
    y = x.sum(1, keepdim=True) * 0.5
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)


class BoringModel(L.LightningModule):
    """A linear regressor trained with SGD; logs train_loss per step and val_loss per epoch."""

    def __init__(self, lr: float = 0.1, features: int = 4):
        super().__init__()
        self.save_hyperparameters()
        self.layer = nn.Linear(features, 1)

    def forward(self, x):
        return self.layer(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", nn.functional.mse_loss(self(x), y))

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        return self(batch[0])

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=self.hparams.lr)


def quiet_trainer(tmp_path, **kwargs) -> L.Trainer:
    """A Trainer writing under tmp_path, without progress bar or model summary."""
    kwargs.setdefault("enable_progress_bar", False)
    kwargs.setdefault("enable_model_summary", False)
    kwargs.setdefault("logger", False)
    kwargs.setdefault("enable_checkpointing", False)
    kwargs.setdefault("num_sanity_val_steps", 0)
    return L.Trainer(default_root_dir=tmp_path, accelerator="cpu", **kwargs)


def weights(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
