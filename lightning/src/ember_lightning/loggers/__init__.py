"""Experiment loggers: a base class and a dependency-free CSV logger."""

from .base import Logger
from .csv_logs import CSVLogger

__all__ = ["Logger", "CSVLogger"]
