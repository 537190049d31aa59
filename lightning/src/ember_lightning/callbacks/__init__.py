"""Callbacks: the base class and Lightning's built-in ones."""

from .callback import Callback
from .early_stopping import EarlyStopping
from .gradient_accumulation_scheduler import GradientAccumulationScheduler
from .lr_monitor import LearningRateMonitor
from .model_checkpoint import ModelCheckpoint
from .model_summary import ModelSummary
from .progress import ProgressBar, TQDMProgressBar
from .rich_progress import RichProgressBar
from .stochastic_weight_avg import StochasticWeightAveraging
from .timer import Timer

__all__ = ["Callback", "EarlyStopping", "GradientAccumulationScheduler", "LearningRateMonitor",
           "ModelCheckpoint", "ModelSummary", "ProgressBar", "RichProgressBar",
           "StochasticWeightAveraging", "TQDMProgressBar", "Timer"]
