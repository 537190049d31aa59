"""ember.utils.benchmark: timing statements and tabulating the results, as
torch.utils.benchmark (Python statements only).

Example:
    >>> from ember.utils.benchmark import Timer
    >>> m = Timer("x @ x", setup="x = ember.randn(128, 128)").blocked_autorange()
    >>> print(m)          # median, IQR, runs per measurement
"""

from .compare import Compare
from .measurement import Measurement, TaskSpec, select_unit
from .timer import Timer, timer

__all__ = ["Compare", "Measurement", "TaskSpec", "Timer", "select_unit", "timer"]
