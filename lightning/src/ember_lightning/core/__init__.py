"""LightningModule and LightningDataModule."""

from .datamodule import LightningDataModule
from .module import LightningModule

__all__ = ["LightningModule", "LightningDataModule"]
