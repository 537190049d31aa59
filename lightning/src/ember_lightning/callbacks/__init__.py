"""Callbacks: the base class and Lightning's built-in ones."""

from .callback import Callback
from .early_stopping import EarlyStopping
from .lr_monitor import LearningRateMonitor
from .model_checkpoint import ModelCheckpoint
from .model_summary import ModelSummary
from .progress import ProgressBar, TQDMProgressBar

__all__ = ["Callback", "EarlyStopping", "LearningRateMonitor", "ModelCheckpoint",
           "ModelSummary", "ProgressBar", "TQDMProgressBar"]
