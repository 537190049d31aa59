"""Trainer plugins (Lightning's ``lightning.pytorch.plugins``): the precision plugins."""

from .precision import DoublePrecision, HalfPrecision, MixedPrecision, Precision

__all__ = ["Precision", "MixedPrecision", "DoublePrecision", "HalfPrecision"]
