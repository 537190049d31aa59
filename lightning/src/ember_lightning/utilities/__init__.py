"""Small helpers shared by the trainer, callbacks and loggers."""

from .seed import seed_everything
from .types import AttributeDict, apply_to_collection
