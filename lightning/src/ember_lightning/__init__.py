"""ember_lightning: PyTorch Lightning's user-facing API on Ember.

Write ``import ember_lightning as L`` where Lightning code says ``import lightning as L``.

Example:
    >>> import ember_lightning as L
    >>> trainer = L.Trainer(max_epochs=1, accelerator="cpu")    # doctest: +SKIP
    >>> trainer.fit(model, train_loader)                        # doctest: +SKIP
"""

from . import callbacks, loggers, plugins, tuner
from .callbacks import Callback
from .core import LightningDataModule, LightningModule
from .trainer import MisconfigurationException, Trainer
from .trainer.trainer import __version__
from .utilities.seed import seed_everything

__all__ = ["LightningModule", "LightningDataModule", "Trainer", "Callback", "callbacks",
           "loggers", "plugins", "tuner", "seed_everything", "MisconfigurationException",
           "__version__"]
