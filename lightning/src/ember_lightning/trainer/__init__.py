"""The Trainer."""

from .trainer import MisconfigurationException, Trainer

__all__ = ["Trainer", "MisconfigurationException"]
