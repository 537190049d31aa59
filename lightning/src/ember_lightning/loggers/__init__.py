"""Experiment loggers: a base class, a dependency-free CSV logger and a TensorBoard logger."""

from .base import Logger
from .csv_logs import CSVLogger
from .tensorboard import TensorBoardLogger

__all__ = ["Logger", "CSVLogger", "TensorBoardLogger"]
