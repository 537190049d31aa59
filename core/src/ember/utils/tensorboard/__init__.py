"""TensorBoard logging without TensorFlow or protobuf: ``SummaryWriter`` writes event files
(TFRecord-framed ``tensorboard.Event`` messages) that TensorBoard reads.

Example:
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> writer = SummaryWriter()            # doctest: +SKIP  (runs/<date>_<host>)
    >>> writer.add_scalar("loss", 0.5, 1)   # doctest: +SKIP
"""

from . import summary
from .writer import FileWriter, SummaryWriter

__all__ = ["SummaryWriter", "FileWriter", "summary"]
