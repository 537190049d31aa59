"""Tuner: the learning-rate finder and the batch-size scaler
(``from lightning.pytorch.tuner import Tuner``)."""

from .tuning import Tuner

__all__ = ["Tuner"]
